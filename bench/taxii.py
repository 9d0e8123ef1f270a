"""TAXII 2.1: acuerdo beside medallion (the OASIS reference server) on one workload, then
acuerdo alone at larger sizes. Prints every figure; record them in bench/RESULTS.md.

    .venv/bin/python bench/taxii.py                  # side by side at 1,000 objects
    .venv/bin/python bench/taxii.py --size 10000     # medallion needs over ten minutes
    .venv/bin/python bench/taxii.py --alone 100000 --skip-peer

Side by side (same client, both servers in their own processes on loopback): POST 10
envelopes of size/10 indicators each (each answered once processed), page through every
object 100 at a time, and a filtered GET (match[type] and added_after), with the ratios
medallion / acuerdo. Alone: ingest objects/s through TAXII POST (validation, signing, gate,
indexing), the p50 of a 100-object page at depth for a user who sees everything and for
one who sees 0.1 %, and the POST-to-event latency of the live stream (p99).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import time
import uuid
from typing import Any

import httpx

from acuerdo.markings import TLP, TLP2_MARKING_IDS, recipients_marking_definition
from taxii_peers import TAXII, Peer, acuerdo_peer, acuerdo_server, cpu_seconds, medallion_server

GREEN, RED = TLP2_MARKING_IDS[TLP.GREEN], TLP2_MARKING_IDS[TLP.RED]
USERS = {"alice": ["analyst"], "bob": ["analyst"]}
STAMP = "2026-07-01T12:00:00.000Z"


def indicator(n: int, markings: list[str]) -> dict[str, Any]:
    """A realistic indicator (about 600 bytes), unique per n."""
    octets = f"{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"
    return {
        "type": "indicator", "spec_version": "2.1", "id": f"indicator--{uuid.uuid4()}",
        "created": STAMP, "modified": STAMP,
        "name": f"Airstrip used for cocaine transfer, Chaco sector {n}",
        "description": "Light aircraft observed landing at night at an unregistered strip.",
        "indicator_types": ["malicious-activity"],
        "pattern": f"[ipv4-addr:value = '10.{octets}']", "pattern_type": "stix",
        "valid_from": "2026-07-01T12:00:00Z", "confidence": 70,
        "object_marking_refs": markings,
    }  # fmt: skip


def post(client: httpx.Client, peer: Peer, objs: list[dict[str, Any]]) -> dict[str, Any]:
    body = json.dumps({"objects": objs}).encode()
    headers = {**peer.headers, "Content-Type": TAXII}
    r = client.post(peer.collection + "objects/", content=body, headers=headers, timeout=3600)
    r.raise_for_status()
    status: dict[str, Any] = r.json()
    while status["status"] != "complete":  # not taken when the server answers once done
        time.sleep(0.05)
        url = f"{peer.status_root}status/{status['id']}/"
        status = client.get(url, headers=peer.headers, timeout=600).json()
    assert status["failure_count"] == 0, status["failures"][:3]
    return status


def get(client: httpx.Client, peer: Peer, what: str, **params: Any) -> httpx.Response:
    r = client.get(peer.collection + what, params=params, headers=peer.headers, timeout=7200)
    r.raise_for_status()
    return r


def side_by_side(peer: Peer, size: int) -> dict[str, float]:
    """The workload of the issue, on one server."""
    out: dict[str, float] = {}
    per = size // 10
    with httpx.Client() as client:
        times = []
        start = time.perf_counter()
        for e in range(10):
            objs = [indicator(e * per + i, [GREEN]) for i in range(per)]
            t = time.perf_counter()
            post(client, peer, objs)
            times.append(time.perf_counter() - t)
        out["post_total_s"] = time.perf_counter() - start
        out["post_objects_per_s"] = size / out["post_total_s"]
        out["post_last_envelope_objects_per_s"] = per / times[-1]
        start, pages, first, nxt = time.perf_counter(), 0, 0.0, None
        seen = 0
        while True:
            params: dict[str, Any] = {"limit": 100}
            if nxt:
                params["next"] = nxt
            t = time.perf_counter()
            env = get(client, peer, "objects/", **params).json()
            if pages == 0:
                first = time.perf_counter() - t
            pages += 1
            seen += len(env.get("objects", []))
            nxt = env.get("next")
            if not env.get("more"):
                break
        out["page_all_s"] = time.perf_counter() - start
        out["page_first_s"] = first
        out["pages"], out["objects_seen"] = pages, seen
        manifest = get(client, peer, "manifest/", limit=100).json()["objects"]
        after = manifest[len(manifest) // 2]["date_added"]
        calls = []
        for _ in range(5):
            t = time.perf_counter()
            get(client, peer, "objects/", **{"match[type]": "indicator", "added_after": after})
            calls.append(time.perf_counter() - t)
        out["filtered_get_median_s"] = statistics.median(calls)
    return out


def alone_fill(base: str, tokens: dict[str, str], total: int) -> float:
    """`total` indicators through TAXII POST: 0.1 % TLP:GREEN, the rest TLP:RED for alice."""
    peer = acuerdo_peer(base, tokens["alice"])
    red = [RED, str(recipients_marking_definition(["USA:alice"])["id"])]
    with httpx.Client() as client:
        start = time.perf_counter()
        for chunk in range(0, total, 1000):
            objs = [
                indicator(n, [GREEN] if n % 1000 == 0 else red)
                for n in range(chunk, min(total, chunk + 1000))
            ]
            post(client, peer, objs)
        return total / (time.perf_counter() - start)


def page_p50(base: str, token: str) -> tuple[float, float, int]:
    """Walk every page of 100: p50 of all pages, p50 of the deepest tenth, and pages."""
    peer = acuerdo_peer(base, token)
    times: list[float] = []
    nxt = None
    with httpx.Client() as client:
        while True:
            params: dict[str, Any] = {"limit": 100}
            if nxt:
                params["next"] = nxt
            t = time.perf_counter()
            env = get(client, peer, "objects/", **params).json()
            times.append(time.perf_counter() - t)
            nxt = env.get("next")
            if not env.get("more"):
                break
        if len(times) < 20:  # few pages: ask the same ones again for a steadier median
            for _ in range(20):
                t = time.perf_counter()
                get(client, peer, "objects/", limit=100)
                times.append(time.perf_counter() - t)
    deep = times[-max(1, len(times) // 10) :]
    return statistics.median(times), statistics.median(deep), len(times)


async def stream_latency(base: str, tokens: dict[str, str], count: int) -> list[float]:
    """POST one indicator at a time; time from sending the POST to its event on bob's stream.

    The stream is read by its own task, which notes when each event arrives, so an event
    that arrives before the POST's answer (it is sent once the write commits, before the
    status resource is stored and the answer goes out) is timed when it arrives.
    """
    peer = acuerdo_peer(base, tokens["alice"])
    arrived: dict[str, float] = {}
    wanted: dict[str, asyncio.Event] = {}

    async def read(lines: Any) -> None:
        async for line in lines:
            if line.startswith("data: "):
                oid = json.loads(line[6:]).get("id", "")
                arrived[oid] = time.perf_counter()
                if oid in wanted:
                    wanted[oid].set()

    latencies: list[float] = []
    async with httpx.AsyncClient(timeout=60) as client:
        headers = {"Authorization": f"Bearer {tokens['bob']}"}
        async with client.stream("GET", f"{base}/api/v1/stream", headers=headers) as stream:
            reader = asyncio.create_task(read(stream.aiter_lines()))
            for n in range(count):
                obj = indicator(10_000_000 + n, [GREEN])
                wanted[obj["id"]] = asyncio.Event()
                body = json.dumps({"objects": [obj]}).encode()
                t = time.perf_counter()
                r = await client.post(
                    peer.collection + "objects/", content=body,
                    headers={**peer.headers, "Content-Type": TAXII},
                )  # fmt: skip
                r.raise_for_status()
                await asyncio.wait_for(wanted[obj["id"]].wait(), 60)
                latencies.append(arrived[obj["id"]] - t)
            reader.cancel()
    return latencies


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def run_side_by_side(size: int, skip_peer: bool) -> None:
    results: dict[str, dict[str, float]] = {}
    with acuerdo_server(USERS) as (base, tokens, _pid):
        results["acuerdo"] = side_by_side(acuerdo_peer(base, tokens["alice"]), size)
    if not skip_peer:
        with medallion_server() as peer:
            results["medallion"] = side_by_side(peer, size)
    print(f"\nside by side, {size} indicators in 10 envelopes")
    keys = list(results["acuerdo"])
    print(f"{'figure':38} " + " ".join(f"{n:>12}" for n in results) + "  medallion/acuerdo")
    for k in keys:
        row = [results[n][k] for n in results]
        ratio = ""
        if "medallion" in results and results["acuerdo"][k]:
            r = results["medallion"][k] / results["acuerdo"][k]
            ratio = f"{(1 / r if 'per_s' in k else r):10.1f}x" if k not in ("pages",) else ""
        print(f"{k:38} " + " ".join(f"{v:12.3f}" for v in row) + f"  {ratio}")


def run_alone(total: int, stream_events: int) -> None:
    """acuerdo alone; beside each wall-clock figure, the server's own CPU time per unit
    (from /proc), which other load on the machine does not inflate."""
    with acuerdo_server(USERS) as (base, tokens, pid):
        cpu = cpu_seconds(pid)
        rate = alone_fill(base, tokens, total)
        per_object = (cpu_seconds(pid) - cpu) / total
        print(f"\nacuerdo alone, {total} indicators (0.1 % TLP:GREEN, the rest TLP:RED for alice)")
        print(
            f"ingest through TAXII POST: {rate:,.0f} objects/s; server CPU "
            f"{per_object * 1e6:.0f} µs an object ({1 / per_object:,.0f} objects/s of CPU)"
        )
        for user, who in (("alice", "sees all"), ("bob", "sees 0.1 %")):
            cpu = cpu_seconds(pid)
            p50, deep, pages = page_p50(base, tokens[user])
            per_page = (cpu_seconds(pid) - cpu) / pages
            print(
                f"100-object page, {user} ({who}): p50 {p50 * 1000:.1f} ms, deepest tenth "
                f"p50 {deep * 1000:.1f} ms ({pages} requests); server CPU "
                f"{per_page * 1000:.1f} ms a page"
            )
        cpu = cpu_seconds(pid)
        lat = asyncio.run(stream_latency(base, tokens, stream_events))
        per_event = (cpu_seconds(pid) - cpu) / max(1, len(lat))
        print(
            f"stream POST-to-event over {len(lat)} POSTs: p50 {percentile(lat, 0.5) * 1000:.1f}"
            f" ms, p99 {percentile(lat, 0.99) * 1000:.1f} ms; server CPU "
            f"{per_event * 1000:.1f} ms a POST and its event"
        )
        print("load average at the end: " + " ".join(f"{x:.2f}" for x in os.getloadavg()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=1000, help="side-by-side objects")
    parser.add_argument("--alone", type=int, default=20_000, help="objects for acuerdo alone")
    parser.add_argument("--stream-events", type=int, default=200)
    parser.add_argument("--skip-peer", action="store_true", help="no medallion")
    parser.add_argument("--only", default="side,alone", help="side, alone or both")
    args = parser.parse_args()
    if "side" in args.only:
        run_side_by_side(args.size, args.skip_peer)
    if "alone" in args.only:
        run_alone(args.alone, args.stream_events)


if __name__ == "__main__":
    main()

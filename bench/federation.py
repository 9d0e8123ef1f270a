"""Federation figures: publish-to-visible latency, catch-up rate, the cost of an empty pull.

Two real nodes (`acuerdo serve` processes, SQLite by default) on loopback, driven as in
tests/federation (the same process harness):

1. latency: records are POSTed to USA at a steady rate; for each, the time from USA's commit
   to PRY's commit (both `ledger.received_at`, one machine's clock) gives p50 and p99;
2. catch-up: with PRY away, N records are written on USA; then a fresh PRY node pulls them
   all, once with per-record verification on and once off (records/s between its first and
   last commit);
3. empty pull: a signed feed request at the head, `wait=0`, against a small and a large
   outbox: bytes sent and received, and time per request.

    .venv/bin/python bench/federation.py --quick
    .venv/bin/python bench/federation.py --rate 1000 --seconds 20 --catchup 100000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "federation"))
from processes import SERVE_ENV, NodeProcess, pair, post_records, start_pair, until

from acuerdo.federation.httpsig import sign_request
from acuerdo.ledger.keydir import load_node_keys
from acuerdo.ledger.keys import KeyPurpose
from acuerdo.markings import TLP, TLP2_MARKING_IDS
from acuerdo.operations import create_token_cmd
from acuerdo.settings import Settings

STAMP = "2026-07-01T12:00:00.000Z"


def indicator(n: int) -> dict[str, Any]:
    return {
        "type": "indicator", "spec_version": "2.1", "id": f"indicator--{uuid.uuid4()}",
        "created": STAMP, "modified": STAMP, "name": f"Airstrip {n}",
        "pattern": f"[ipv4-addr:value = '198.51.{n // 256 % 256}.{n % 256}']",
        "pattern_type": "stix", "valid_from": "2026-07-01T12:00:00Z",
        "object_marking_refs": [TLP2_MARKING_IDS[TLP.GREEN]],
    }  # fmt: skip


def _instant(text: str) -> float:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").timestamp()


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


async def _received(node: NodeProcess, holder: str) -> dict[str, float]:
    rows = await node.query(
        "SELECT object_id, received_at FROM ledger WHERE holder = $ AND object_type = 'indicator'",
        holder,
    )
    return {oid: _instant(at) for oid, at in rows}


async def _outbox_head(node: NodeProcess, partner: str) -> int:
    """The last entry of `node`'s outbox for `partner` (one index lookup)."""
    rows = await node.query("SELECT max(oseq) FROM federation_outbox WHERE partner = $", partner)
    return int(rows[0][0] or 0)


async def _cursor(node: NodeProcess, partner: str) -> int:
    """How far `node` has applied `partner`'s outbox (its stored cursor, one row)."""
    rows = await node.query("SELECT oseq FROM federation_cursors WHERE partner = $", partner)
    return int(rows[0][0]) if rows else 0


async def latency(
    usa: NodeProcess, pry: NodeProcess, rate: int, seconds: float, tick: float
) -> None:
    # Each tick's POST is its own task, so a slow answer does not push the schedule back:
    # the rate asked is the rate offered (the achieved rate counts until the last answer).
    per_tick = max(1, round(rate * tick))
    ids: list[str] = []
    posts: list[asyncio.Task[None]] = []
    start = time.monotonic()
    n = 0
    while time.monotonic() - start < seconds:
        due = start + n * tick
        await asyncio.sleep(max(0.0, due - time.monotonic()))
        objs = [indicator(n * per_tick + i) for i in range(per_tick)]
        posts.append(asyncio.create_task(post_records(usa, objs, "analyst")))
        ids.extend(o["id"] for o in objs)
        n += 1
    await asyncio.gather(*posts)
    achieved = len(ids) / (time.monotonic() - start)
    wanted = set(ids)

    async def arrived() -> bool:
        return wanted <= (await _received(pry, "USA")).keys()

    await until(arrived, "every record on PRY", attempts=20000)
    sent, seen = await _received(usa, "USA"), await _received(pry, "USA")
    lat = [(seen[i] - sent[i]) * 1000 for i in ids]
    print(
        f"latency: {len(ids)} records at {achieved:.0f}/s asked {rate}/s: publish-to-visible "
        f"p50 {_pct(lat, 0.5):.1f} ms, p99 {_pct(lat, 0.99):.1f} ms, max {max(lat):.1f} ms"
    )


async def empty_pull(usa: NodeProcess, pry: NodeProcess, label: str, rounds: int = 50) -> None:
    head = await usa.query(
        "SELECT oseq, entry_hash FROM federation_outbox WHERE partner = 'PRY' "
        "ORDER BY oseq DESC LIMIT 1"
    )
    oseq, last = head[0]
    signer = load_node_keys(pry.home / "keys").signer(KeyPurpose.REQUESTS)
    url = f"{usa.url}/federation/v1/feed?after={oseq}&last={last}&wait=0"
    agreement_hash = json.loads((usa.home / "node.json").read_text())["agreement_hash"]
    times, sizes = [], set()
    async with httpx.AsyncClient() as client:
        for _ in range(rounds):
            headers = sign_request("GET", url, b"", signer, agreement_hash)
            sent = len(url) + sum(len(k) + len(v) + 4 for k, v in headers.items())
            t0 = time.perf_counter()
            r = await client.get(url, headers=headers)
            times.append((time.perf_counter() - t0) * 1000)
            body = r.json()
            if r.status_code != 200 or body["entries"]:
                raise SystemExit(f"the empty pull was not empty: {r.text[:300]}")
            # the head's time stamp varies in its digits only; sizes are the same
            sizes.add((sent, len(r.content) - len(body["head"]["at"])))
    print(
        f"empty pull at outbox length {oseq} ({label}): one request, {sorted(sizes)} "
        f"(request bytes, answer bytes less its time stamp), "
        f"median {statistics.median(times):.2f} ms"
    )


TICKS = os.sysconf("SC_CLK_TCK")
PROFILE = os.environ.get("BENCH_PROFILE")  # py-spy raw output of PRY catching up, if set


def _threads(pid: int) -> dict[str, float]:
    """CPU seconds (user + system) of each thread of a process (the event loop's is "main")
    and of each child process (all its threads, ended ones included)."""
    out: dict[str, float] = {}
    pids = [pid] + [
        int(p.name)
        for p in Path("/proc").iterdir()
        if p.name.isdigit() and _stat(p / "stat", pid_only=True) == pid
    ]
    for task in Path(f"/proc/{pid}/task").glob("*"):
        found = _stat(task / "stat")
        if isinstance(found, tuple):
            tid = int(task.name)
            out["main" if tid == pid else f"thread {tid}"] = found[1]
    for each in pids[1:]:
        # A child as a whole: its process line also counts the threads that have ended.
        found = _stat(Path(f"/proc/{each}/stat"))
        if isinstance(found, tuple):
            out[f"child {each} {found[0]}"] = found[1]
    return out


def _stat(path: Path, pid_only: bool = False) -> tuple[str, float] | int | None:
    try:
        text = path.read_text()
    except OSError:
        return None
    name, rest = text[text.index("(") + 1 : text.rindex(")")], text[text.rindex(")") + 2 :]
    fields = rest.split()
    if pid_only:
        return int(fields[1])  # the parent's pid
    return name, (int(fields[11]) + int(fields[12])) / TICKS


def _cpu_line(label: str, before: dict[str, float], after: dict[str, float], n: int) -> str:
    spent = {k: after.get(k, 0.0) - before.get(k, 0.0) for k in after}
    total = sum(spent.values())
    parts = ", ".join(
        f"{k} {v:.2f}" for k, v in sorted(spent.items(), key=lambda kv: -kv[1]) if v >= 0.05
    )
    return f"  {label} CPU {total:.2f} s ({total / max(n, 1) * 1e6:.0f} us a record): {parts}"


async def catch_up(usa: NodeProcess, root: Path, verify: bool, pg: str | None) -> None:
    pry = NodeProcess("PRY", root / f"pry-{'verify' if verify else 'chain'}", pg)
    await pry.init()
    pair(usa, pry)
    SERVE_ENV["ACUERDO_FEDERATION_VERIFY_RECORDS"] = "true" if verify else "false"
    expected = len(await _received(usa, "USA"))
    head = await _outbox_head(usa, "PRY")
    assert usa.process is not None
    usa_before = _threads(usa.process.pid)
    await pry.start()
    assert pry.process is not None
    # PRY's start-up is not counted; what it pulled before answering /health is left out of
    # the per-record CPU as well.
    pry_before = _threads(pry.process.pid)
    spy = None
    if PROFILE:
        out = f"{PROFILE}-{'on' if verify else 'off'}.txt"
        spy = subprocess.Popen(  # noqa: ASYNC220 (returns at once)
            [str(Path(sys.executable).with_name("py-spy")), "record", "--pid",
             str(pry.process.pid), "-f", "raw", "-o", out, "--threads", "--nonblocking"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
    early = len(await _received(pry, "USA"))
    try:
        # Done when PRY's cursor reaches USA's outbox head: one row read a poll. (Counting
        # PRY's received records instead read the whole ledger every 0.2 s, which at
        # 1,000,000 records took most of a core from the two nodes being measured.)
        async def complete() -> bool:
            return await _cursor(pry, "USA") >= head

        await until(complete, "catch-up", attempts=1_000_000, pause=0.2)
        pry_after, usa_after = _threads(pry.process.pid), _threads(usa.process.pid)
        if spy is not None:
            spy.send_signal(signal.SIGINT)
            spy.wait()
        times = sorted((await _received(pry, "USA")).values())
        if len(times) < expected:
            raise RuntimeError(f"PRY's cursor is at USA's head but it holds {len(times)} records")
        rate = len(times) / (times[-1] - times[0])
        print(
            f"catch-up of {expected} records (verification {'on' if verify else 'off'}): "
            f"{rate:.0f} records/s in {times[-1] - times[0]:.1f} s "
            f"(load average {os.getloadavg()[0]:.1f})"
        )
        print(_cpu_line("PRY (pulling)", pry_before, pry_after, expected - early))
        print(_cpu_line("USA (serving)", usa_before, usa_after, expected))
    finally:
        pry.stop()


async def _reuse(usa: NodeProcess) -> None:
    """Start a USA node kept by an earlier run (`--dir`), with a fresh token to fill it."""
    settings = Settings(home=usa.home)
    usa.tokens["analyst"] = await create_token_cmd(settings, "analyst", "bench")
    await usa.start()


async def main(args: argparse.Namespace) -> None:
    # With --dir the USA node is kept, and a later run with the same --dir reuses it (only
    # the catch-up runs then; records are added up to --catchup).
    kept = Path(args.dir) if args.dir else None
    root = kept or Path(tempfile.mkdtemp(prefix="acuerdo-bench-fed-"))
    usa = NodeProcess("USA", root / "usa", None)
    pry = NodeProcess("PRY", root / "pry", None)
    # USA serves batches of the node's default size (the tests' harness sets fewer).
    SERVE_ENV.pop("ACUERDO_FEDERATION_BATCH_MAX", None)
    if args.page:
        SERVE_ENV["ACUERDO_FEDERATION_BATCH_MAX"] = str(args.page)
    try:
        if (usa.home / "node.json").exists():
            await _reuse(usa)
            args.only &= {"catchup"}
        else:
            await start_pair(usa, pry)
        if "latency" in args.only:
            await latency(usa, pry, args.rate, args.seconds, args.tick)
        if "empty" in args.only:
            await empty_pull(usa, pry, "after the latency run")
        pry.stop()
        if "catchup" not in args.only:
            return
        held = len(await _received(usa, "USA"))
        for start in range(held, args.catchup, 1000):
            await post_records(usa, [indicator(start + i) for i in range(1000)], "analyst")
        if "empty" in args.only:
            await empty_pull(usa, pry, "after the catch-up fill")
        for verify in args.verify:
            await catch_up(usa, root, verify, None)
    finally:
        usa.stop()
        pry.stop()
        for each in [root] if kept is None else root.glob("pry*"):
            shutil.rmtree(each, ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=int, default=1000, help="records/s asked of USA")
    parser.add_argument("--seconds", type=float, default=20.0, help="length of the steady run")
    parser.add_argument(
        "--tick", type=float, default=0.1, help="seconds between POSTs (rate x tick records each)"
    )
    parser.add_argument("--catchup", type=int, default=100_000, help="records PRY catches up")
    parser.add_argument("--quick", action="store_true", help="200/s for 5 s, 5,000 to catch up")
    parser.add_argument(
        "--dir", default=None, help="where the nodes live, kept for the next run (default: tmp)"
    )
    parser.add_argument(
        "--page", type=int, default=0, help="entries USA serves in one batch (default: the node's)"
    )
    parser.add_argument(
        "--only", default="latency,empty,catchup", help="parts to run: latency,empty,catchup"
    )
    parser.add_argument(
        "--verify", default="on,off", help="catch-up runs: per-record verification on,off"
    )
    ns = parser.parse_args()
    ns.only = set(ns.only.split(","))
    ns.verify = [v == "on" for v in ns.verify.split(",")]
    if ns.quick:
        ns.rate, ns.seconds, ns.catchup = 200, 5.0, 5000
    asyncio.run(main(ns))

"""Where a pulled record's CPU goes, on both sides, in one process and by CPU time.

    .venv/bin/python bench/federation_costs.py                    # 20,000 records, pages of 2,000
    .venv/bin/python bench/federation_costs.py --records 5000 --verify off

A USA node and a PRY node (SQLite, fresh homes under bench/.cache/) are opened in this
process. USA writes the records (the indicators of bench/federation.py) through `Node.write`;
then each page of its outbox for PRY is served as the feed route serves it (read, batch
document with its signed head, JSON encoding, the answer's signature) and pulled as the
puller pulls it (JSON parse, head and chain checks, planning, the writer's transaction).
Every step is timed by CPU time (garbage collections also on their own lines, inside the
steps they interrupt) (`time.process_time`, threads included: the signature
checks run in a worker thread), so other load on the machine does not count; the network
and the two processes' scheduling are not measured here (bench/federation.py does that).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import shutil
import sys
import time
import uuid
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from acuerdo.api.routes.federation import _answer
from acuerdo.federation.apply import CursorState, apply_plan, assess, read_page
from acuerdo.federation.feed import batch_document, head_signature_holds, read_batch
from acuerdo.federation.verify import check_chain
from acuerdo.ledger.audit import GENESIS
from acuerdo.ledger.keys import KeyPurpose, TrustStore
from acuerdo.node import Node, init_node
from acuerdo.settings import Settings
from federation import indicator

CACHE = Path(__file__).resolve().parent / ".cache"
SPENT: dict[str, float] = defaultdict(float)
MAIN: dict[str, float] = defaultdict(float)  # of which this (the event loop's) thread


class Timed:
    """Adds the CPU time of a block to SPENT[name]."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __enter__(self) -> None:
        self.t, self.main = time.process_time(), time.thread_time()

    def __exit__(self, *exc: object) -> None:
        SPENT[self.name] += time.process_time() - self.t
        MAIN[self.name] += time.thread_time() - self.main


async def open_node(home: Path, party: str) -> Node:
    settings = Settings(home=home)
    if not (home / "node.json").exists():
        await init_node(settings, party=party, agreement="usa-pry-2025")
    return await Node.open(settings)


class _Signed:
    """What the feed route knows of a verified request: its nonce."""

    nonce = "bench-nonce"


def _gc_timer(phase: str, info: dict[str, int]) -> None:
    if phase == "start":
        SPENT["_gc_start"] = time.process_time()
    else:
        SPENT[f"(garbage collection, generation {info['generation']})"] += (
            time.process_time() - SPENT["_gc_start"]
        )


async def run(records: int, page: int, verify: bool) -> None:
    # USA's records are written once and kept for later runs of the same size.
    kept = CACHE / f"fedcosts-usa-{records}"
    filled = (kept / "filled").exists()
    root = CACHE / f"fedcosts-{uuid.uuid4().hex[:8]}"
    usa = await open_node(kept, "USA")
    pry = await open_node(root / "pry", "PRY")
    try:
        if not filled:
            for start in range(0, records, 1000):
                objs = [indicator(start + i) for i in range(min(1000, records - start))]
                await usa.write(objs, user=None)
            (kept / "filled").touch()
        k = usa.keys
        trust = TrustStore({"USA": k.root_public_key}, k.published, k.revocations)
        requests_key = k.signer(KeyPurpose.REQUESTS).public_key
        cursor = CursorState(0, GENESIS)
        gc.collect()
        gc.freeze()  # as `acuerdo serve` does once started
        gc.callbacks.append(_gc_timer)
        cpu = time.process_time()
        served = 0
        while True:
            with Timed("USA: read the page"):
                entries, head = await read_batch(usa.engines.reader, "PRY", cursor.oseq, page)
            if not entries:
                break
            with Timed("USA: batch document, signed head"):
                doc = batch_document(
                    entries, origin="USA", partner="PRY", after=cursor.oseq,
                    last=cursor.entry_hash, outbox_oseq=head, agreement=usa.agreement.hash,
                    signer=k.signer(KeyPurpose.REQUESTS),
                )  # fmt: skip
            with Timed("USA: JSON encoding, answer signed"):
                body = _answer(usa, _Signed(), doc).body  # type: ignore[arg-type]
            served += len(entries)
            with Timed("PRY: JSON parse"):
                doc = json.loads(body)
            with Timed("PRY: head signature"):
                assert head_signature_holds(doc["head"], doc["head_signature"], requests_key)
            with Timed("PRY: chain check"):
                checked = check_chain(
                    doc["entries"], (cursor.oseq, cursor.entry_hash), doc["head"]["hash"]
                )
            with Timed("PRY: read records (form, owner, signatures)"):
                read = await read_page(
                    pry, "USA", checked.good, trust if verify else None, checked.raw
                )
            with Timed("PRY: assess (gate, domain checks)"):
                plan = await assess(pry, read)
            assert not plan.quarantined, plan.quarantined[:1]
            assert not plan.assessments, plan.assessments[:1]
            assert checked.through is not None
            cursor = CursorState(*checked.through)
            with Timed("PRY: apply (writer transaction)"):
                await apply_plan(pry, "USA", plan, cursor, {})
        cpu = time.process_time() - cpu
        gc.callbacks.remove(_gc_timer)
        del SPENT["_gc_start"]
        print(f"{served} records in pages of {page}, verification {'on' if verify else 'off'}")
        print(f"  {'step':42} {'CPU':>7}  {'of which the event loop thread':>6}")
        for name, spent in SPENT.items():
            main = f"{MAIN[name] / served * 1e6:7.1f} µs" if name in MAIN else ""
            print(f"  {name:42} {spent / served * 1e6:7.1f} µs  {main}")
        print(f"  {'total':42} {cpu / served * 1e6:7.1f} µs a record")
    finally:
        await usa.close()
        await pry.close()
        shutil.rmtree(root, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--page", type=int, default=2000)
    parser.add_argument("--verify", choices=("on", "off"), default="on")
    args = parser.parse_args()
    asyncio.run(run(args.records, args.page, args.verify == "on"))


if __name__ == "__main__":
    main()

"""How much the writer's executemany waits for the GIL while the event loop is busy.

    .venv/bin/python bench/writer_gil.py               # 2,000 ledger rows, 3 rounds
    .venv/bin/python bench/writer_gil.py --rows 500 --rounds 5

The node's writer runs SQLite in a thread. `sqlite3`'s executemany binds each row in Python
and releases the GIL only around each row's step, so before every row the writer's thread
must take the GIL back. When the event loop's thread is running Python meanwhile (a
federation puller reading the next page, a TAXII POST being checked), it keeps the GIL
for up to the switch interval (5 ms) each time, and the writer advances about one row per
interval. This bench measures that on the node's own ledger table (created from
acuerdo.ledger.tables in a temporary file), in one process:

- executemany of N ledger rows with the other thread idle, then with it running Python;
- the same rows in one `INSERT ... SELECT ... FROM json_each(?)` statement (one step, the
  GIL released throughout), the remedy measured on the catch-up bench and not kept
  (bench/RESULTS.md, Federation: it costs more CPU than the waiting it removes there);
- executemany again with `sys.setswitchinterval(2e-5)`.

Wall and thread CPU time of the writer's thread are printed; the figures are the ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sqlite3
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine

from acuerdo.ledger.staging import LEDGER_COLUMNS
from acuerdo.ledger.tables import metadata

BYTES = {"body", "envelope", "signature"}
Rows = list[tuple[Any, ...]]


def ledger_rows(first_seq: int, n: int) -> Rows:
    """Rows shaped as a pulled page's: random ids, 400-byte bodies, 64-byte signatures."""
    out: Rows = []
    for i in range(n):
        oid = f"indicator--{secrets.token_hex(16)}"
        body = json.dumps({"id": oid, "pattern": "[ipv4-addr:value = '10.0.0.1']", "x": "y" * 320})
        envelope = f'{{"agr":"{"a" * 64}","kid":"{"b" * 32}","sha":"{secrets.token_hex(32)}"}}'
        out.append(
            (first_seq + i, "USA", oid, "m:2026-11-26T00:00:00.000Z", "indicator", "record",
             secrets.token_hex(32), body.encode(), envelope.encode(), os.urandom(64), "USA",
             "USA", "USA:analyst", "[]", "2026-11-26T00:00:00.000000Z", False)
        )  # fmt: skip
    return out


def executemany(db: sqlite3.Connection, rows: Rows) -> None:
    cols = ", ".join(LEDGER_COLUMNS)
    db.executemany(
        f"INSERT INTO ledger ({cols}) VALUES ({', '.join('?' * len(LEDGER_COLUMNS))})", rows
    )


def one_statement(db: sqlite3.Connection, rows: Rows) -> None:
    """Every row in one JSON text, every bytes value in one blob read back by offset."""
    blob = bytearray()
    at = [i for i, c in enumerate(LEDGER_COLUMNS) if c in BYTES]
    encoded = []
    for row in rows:
        values = list(row)
        for i in at:
            values[i] = [len(blob), len(row[i])]
            blob += row[i]
        encoded.append(values)
    select = ", ".join(
        f"substr(?2, (j.value->>'$[{i}][0]') + 1, j.value->>'$[{i}][1]')" if c in BYTES
        else f"j.value->>{i}"
        for i, c in enumerate(LEDGER_COLUMNS)
    )  # fmt: skip
    cols = ", ".join(LEDGER_COLUMNS)
    sql = f"INSERT INTO ledger ({cols}) SELECT {select} FROM json_each(?1) AS j"
    db.execute(sql, (json.dumps(encoded, ensure_ascii=False), bytes(blob)))


def timed(
    db: sqlite3.Connection,
    write: Callable[[sqlite3.Connection, Rows], None],
    rows: Rows,
    busy: bool,
) -> tuple[float, float]:
    """(wall, thread CPU) of `write` in a second thread, the first one spinning if `busy`."""
    spinning = threading.Event()
    if busy:
        spinning.set()

    def spin() -> None:
        while spinning.is_set():
            sum(range(1000))

    result: dict[str, float] = {}

    def work() -> None:
        db.execute("BEGIN IMMEDIATE")
        cpu, wall = time.thread_time(), time.perf_counter()
        write(db, rows)
        result["wall"], result["cpu"] = time.perf_counter() - wall, time.thread_time() - cpu
        db.execute("ROLLBACK")

    spinner = threading.Thread(target=spin)
    spinner.start()
    writer = threading.Thread(target=work)
    writer.start()
    writer.join()
    spinning.clear()
    spinner.join()
    return result["wall"], result["cpu"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "ledger.sqlite3"
        metadata.create_all(create_engine(f"sqlite:///{path}"))
        db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        executemany(db, ledger_rows(1, 20_000))  # an index that is not empty
        rows = ledger_rows(1_000_000, args.rows)
        cases: list[tuple[str, Callable[[sqlite3.Connection, Rows], None], bool, float]] = [
            ("executemany, other thread idle", executemany, False, 0.005),
            ("executemany, other thread running Python", executemany, True, 0.005),
            ("one JSON statement, other thread idle", one_statement, False, 0.005),
            ("one JSON statement, other thread running Python", one_statement, True, 0.005),
            ("executemany, running Python, switch interval 20 us", executemany, True, 2e-5),
        ]
        print(f"{args.rows} ledger rows into a ledger of 20,000; best of {args.rounds} rounds")
        base = None
        for label, write, busy, interval in cases:
            sys.setswitchinterval(interval)
            best = min(
                (timed(db, write, rows, busy) for _ in range(args.rounds)), key=lambda r: r[0]
            )
            sys.setswitchinterval(0.005)
            base = base or best[0]
            wall, cpu = best[0] * 1e3, best[1] * 1e3
            print(f"  {label:55} wall {wall:9.1f} ms  CPU {cpu:7.1f} ms  ({best[0] / base:6.1f}x)")
        db.close()


if __name__ == "__main__":
    main()

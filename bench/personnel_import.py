"""Time the import of an N-row XLSX of covered persons (issue 3 target: 100,000 rows <= 30 s).

Production code only: the file is written with openpyxl, read back with the importer's
reader (calamine), checked row by row and written through `Node.write` in batches, as
`acuerdo person import` does. Printed per phase: reading and checking every row (what a
file with errors costs: nothing is written), the first import (every row new), and the
same file imported again (every row unchanged: reads and comparisons, no writes).

    .venv/bin/python bench/personnel_import.py                 # 100,000 rows
    .venv/bin/python bench/personnel_import.py --rows 5000
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

# The template rows the tests import (tests/ too, for the conftest they import).
TESTS = Path(__file__).resolve().parent.parent / "tests"
sys.path[:0] = [str(TESTS), str(TESTS / "personnel")]

from test_import_xlsx import sheet  # noqa: E402

from acuerdo.domains.personnel.importing import import_rows  # noqa: E402
from acuerdo.domains.personnel.importing_rows import plan_rows  # noqa: E402
from acuerdo.domains.personnel.spreadsheet import DEFAULT_MAPPING, SheetFormat, read_rows  # noqa: E402
from acuerdo.node import Node, init_node  # noqa: E402
from acuerdo.settings import Settings  # noqa: E402
from acuerdo.users import add_user  # noqa: E402


def _line(label: str, seconds: float, rows: int, extra: str = "", cpu: float = 0.0) -> None:
    rate = rows / seconds if seconds else float("inf")
    print(
        f"{label:<34} {seconds:9.2f} s  {rate:9.0f} rows/s  cpu {cpu:7.2f} s  {extra}",
        flush=True,
    )


async def run(rows: int, workdir: Path) -> dict[str, Any]:
    t0 = time.perf_counter()
    data = sheet(rows, SheetFormat.XLSX)
    path = workdir / "persons.xlsx"
    path.write_bytes(data)
    print(f"{rows} rows, {len(data) / 1e6:.1f} MB XLSX written in {time.perf_counter() - t0:.1f} s")
    settings = Settings(home=workdir / "node")
    await init_node(settings, party="USA", agreement="usa-pry-2025")
    node = await Node.open(settings)
    try:
        party = node.agreement.party(node.party)
        user = await add_user(
            node.engines.writer, party=node.party, name="registrar",
            agency=party.agencies[0].id, roles=["registrar"], password=None,
        )  # fmt: skip
        t, c = time.perf_counter(), time.process_time()
        header, it = read_rows(path, SheetFormat.XLSX)
        plans, errors = plan_rows(node.agreement, header, it, DEFAULT_MAPPING)
        check = time.perf_counter() - t
        assert not errors
        assert len(plans) == rows
        _line("read and check every row", check, rows, cpu=time.process_time() - c)
        figures: dict[str, Any] = {"rows": rows, "check_s": check}
        for label, key in (
            ("first import (all new)", "first_s"),
            ("again (all unchanged)", "again_s"),
        ):
            t, c = time.perf_counter(), time.process_time()
            header, it = read_rows(path, SheetFormat.XLSX)
            report = await import_rows(node, user, header, it, DEFAULT_MAPPING)
            figures[key] = time.perf_counter() - t
            cpu = time.process_time() - c
            _line(label, figures[key], rows, f"{report.versions} versions written", cpu)
        return figures
    finally:
        await node.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="acuerdo-import-bench-"))
    try:
        figures = asyncio.run(run(args.rows, workdir))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    per_row = figures["first_s"] / figures["rows"] * 1000
    print(f"first import: {per_row:.2f} ms a row; target 100,000 rows in 30 s is 0.30 ms a row")
    print(f"load average after: {os.getloadavg()[0]:.2f} (the machine is shared: see RESULTS.md)")


if __name__ == "__main__":
    main()

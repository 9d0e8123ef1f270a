"""Time the import of an N-row XLSX of covered persons (issue 3 target: 100,000 rows <= 30 s).

Production code only, except the file: it is written as Excel or LibreOffice save a sheet
(texts in the shared-strings table, written here with xlsxwriter), read back with the importer's
reader (openpyxl, read-only mode), checked row by row and written through `Node.write` in
batches, as `acuerdo person import` does (`import_sheet`: the sheet is read in a second
process while this one checks rows and prepares records). Printed per phase: reading and
checking every row alone (what a file with errors costs: nothing is written),
the first import (every row new), and the same file imported again (every row unchanged:
reads and comparisons, no writes). Under each import, the CPU each thread and child process
spent (from /proc): on a shared machine it moves less than wall time, and its sum over two
cores is the least wall time any overlap of that work could reach.

    .venv/bin/python bench/personnel_import.py                 # 100,000 rows
    .venv/bin/python bench/personnel_import.py --rows 5000
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

# The template rows the tests import (tests/ too, for the conftest they import).
TESTS = Path(__file__).resolve().parent.parent / "tests"
sys.path[:0] = [str(TESTS), str(TESTS / "personnel")]

from test_import_xlsx import person_row, sheet  # noqa: E402

from acuerdo.domains.personnel.importing import import_sheet  # noqa: E402
from acuerdo.domains.personnel.sheet_process import planned_chunks  # noqa: E402
from acuerdo.domains.personnel.spreadsheet import (  # noqa: E402
    DEFAULT_MAPPING,
    TEMPLATE,
    SheetFormat,
)
from acuerdo.node import Node, init_node  # noqa: E402
from acuerdo.settings import Settings  # noqa: E402
from acuerdo.users import add_user  # noqa: E402


def _line(
    label: str, seconds: float, rows: int, extra: str = "", cpu: float = 0.0, child: float = 0.0
) -> None:
    rate = rows / seconds if seconds else float("inf")
    print(
        f"{label:<34} {seconds:9.2f} s  {rate:9.0f} rows/s  cpu {cpu:7.2f} s"
        f" + reader {child:6.2f} s  {extra}",
        flush=True,
    )


def _cpu_by_worker() -> dict[str, float]:
    """CPU seconds so far of each thread of this process (by its Python name; the main
    thread runs the event loop) and of each live child process (by the module it runs),
    read from /proc; empty where /proc is not Linux's."""
    tick = os.sysconf("SC_CLK_TCK")
    names = {t.native_id: t.name for t in threading.enumerate()}
    names[threading.main_thread().native_id] = "event loop (main thread)"
    out: dict[str, float] = {}

    def cpu(stat: str) -> float:
        fields = stat[stat.rindex(")") + 2 :].split()
        return (int(fields[11]) + int(fields[12])) / tick

    try:
        for tid in os.listdir("/proc/self/task"):
            with open(f"/proc/self/task/{tid}/stat") as f:
                name = names.get(int(tid), f"thread {tid}")
                out[name] = out.get(name, 0.0) + cpu(f.read())
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                with open(f"/proc/{pid}/stat") as f:
                    stat = f.read()
                if int(stat[stat.rindex(")") + 2 :].split()[1]) != os.getpid():
                    continue
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    args = f.read().split(b"\0")
            except OSError:
                continue  # gone meanwhile
            module = args[args.index(b"-m") + 1].decode() if b"-m" in args else pid
            out[f"child {module}"] = out.get(f"child {module}", 0.0) + cpu(stat)
    except OSError:
        return {}
    return out


def _cpu_lines(before: dict[str, float], after: dict[str, float], finished: float) -> None:
    """Print where an import's CPU went: threads, live children, and children that ended
    (the sheet's reader). On a shared machine these move less than wall time does, and
    their sum over the two cores bounds what any overlap could reach."""
    spent = {k: v - before.get(k, 0.0) for k, v in after.items()}
    spent["children that ended (the sheet's reader)"] = finished
    total = 0.0
    for name, seconds in sorted(spent.items(), key=lambda kv: -kv[1]):
        if seconds >= 0.05:
            print(f"    {name:<60} {seconds:7.2f} s CPU")
            total += seconds
    print(f"    {'all of it, over 2 cores':<60} {total:7.2f} s CPU -> {total / 2:.1f} s at best")


def _children_cpu() -> float:
    """CPU seconds of the finished child processes (the sheet readers)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def excel_sheet(path: Path, rows: int) -> None:
    """The template rows as a spreadsheet program saves them: every text once, in the
    shared-strings table (openpyxl, which acuerdo exports with, writes each cell's text in
    place; its reader takes ~3x longer over such a file, see `--openpyxl-file`)."""
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path))
    sheet_ = book.add_worksheet("persons")
    sheet_.write_row(0, 0, list(TEMPLATE.values()))
    for i in range(rows):
        values = person_row(i)
        sheet_.write_row(i + 1, 0, [values[f] or None for f in TEMPLATE])
    book.close()


async def run(rows: int, workdir: Path, openpyxl_file: bool) -> dict[str, Any]:
    t0 = time.perf_counter()
    path = workdir / "persons.xlsx"
    if openpyxl_file:
        path.write_bytes(sheet(rows, SheetFormat.XLSX))
    else:
        excel_sheet(path, rows)
    size = path.stat().st_size / 1e6
    print(f"{rows} rows, {size:.1f} MB XLSX written in {time.perf_counter() - t0:.1f} s")
    settings = Settings(home=workdir / "node")
    await init_node(settings, party="USA", agreement="usa-pry-2025")
    node = await Node.open(settings)
    try:
        party = node.agreement.party(node.party)
        user = await add_user(
            node.engines.writer, party=node.party, name="registrar",
            agency=party.agencies[0].id, roles=["registrar"], password=None,
        )  # fmt: skip
        t, c, k = time.perf_counter(), time.process_time(), _children_cpu()
        valid = 0
        async for chunk in planned_chunks(node.agreement, path, SheetFormat.XLSX, DEFAULT_MAPPING):
            assert not chunk.errors
            valid += len(chunk.plans)
        check = time.perf_counter() - t
        assert valid == rows
        cpu, child = time.process_time() - c, _children_cpu() - k
        _line("read and check every row", check, rows, "(no writes)", cpu, child)
        figures: dict[str, Any] = {"rows": rows, "check_s": check}
        for label, key in (
            ("first import (all new)", "first_s"),
            ("again (all unchanged)", "again_s"),
        ):
            workers = _cpu_by_worker()
            t, c, k = time.perf_counter(), time.process_time(), _children_cpu()
            report = await import_sheet(node, user, path, SheetFormat.XLSX, DEFAULT_MAPPING)
            figures[key] = time.perf_counter() - t
            cpu, child = time.process_time() - c, _children_cpu() - k
            _line(label, figures[key], rows, f"{report.versions} versions written", cpu, child)
            _cpu_lines(workers, _cpu_by_worker(), child)
        return figures
    finally:
        await node.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument(
        "--openpyxl-file", action="store_true", help="a file as openpyxl writes it (inline texts)"
    )
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="acuerdo-import-bench-"))
    try:
        figures = asyncio.run(run(args.rows, workdir, args.openpyxl_file))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    per_row = figures["first_s"] / figures["rows"] * 1000
    print(f"first import: {per_row:.2f} ms a row; target 100,000 rows in 30 s is 0.30 ms a row")
    print(f"load average after: {os.getloadavg()[0]:.2f} (the machine is shared: see RESULTS.md)")


if __name__ == "__main__":
    main()

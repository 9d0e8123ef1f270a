"""Reading and checking a spreadsheet in a second process, while the node prepares records.

openpyxl's read-only reader spends ~80-120 us of Python a row of 18 cells (a sheet saved with
shared strings; ~200 us when each cell holds its text), and the row checks another ~30 us: at
100,000 rows that is a third of the whole import's budget if it shares a core (and the GIL)
with the writes. So the importer starts this module as a child process
(`python -m acuerdo.domains.personnel.sheet_process`): the child reads the sheet, checks
every row (`RowPlanner`, the same code an in-process import runs) and hands on the plans
and errors in chunks, while the importer turns each chunk into prepared records on its own
core. Nothing is written until the child has read the last row: a file with errors still
writes nothing.

The request (file bytes or path, format, column mapping, agreement) goes to the child's
stdin as one pickle; each answer is a frame on its stdout, a 4-byte length and a pickle.
Both ends are this module, so the pickles are trusted. The child starts in ~0.4 s of CPU:
it imports the reference JSON Schema validator (jsonschema, ~1.8 s to import) only when a
row fails the compiled one, to word the row's errors.

The child reads XLSX with the standard library's C XML parser rather than defusedxml's
pure-Python one (twice as fast): this Python's expat (2.4.1 or later) limits entity
expansion (billion laughs, quadratic blow-up) and ElementTree fetches no external entities,
which is what defusedxml guards against (see the XML vulnerabilities table in the Python
documentation). `check_expat` refuses to run on an older expat.
"""

from __future__ import annotations

import asyncio
import os
import pickle
import sys
import tempfile
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from acuerdo.agreement import Agreement
from acuerdo.domains.personnel.importing_rows import Error, RowPlan, RowPlanner
from acuerdo.domains.personnel.spreadsheet import (
    ColumnMapping,
    Row,
    SheetError,
    SheetFormat,
    read_rows,
)

CHUNK_ROWS = 1000
_LENGTH = 4


@dataclass
class Chunk:
    """Consecutive rows of the sheet: the plans of the valid ones, the errors of the others."""

    plans: list[RowPlan] = field(default_factory=list)
    errors: list[Error] = field(default_factory=list)
    rows_read: int = 0  # rows read so far, this chunk's included


def chunked(
    agreement: Agreement,
    header: list[str],
    rows: Iterable[Row],
    mapping: ColumnMapping,
    size: int = CHUNK_ROWS,
) -> Iterator[Chunk]:
    """Plan rows in sheet order, `size` rows a chunk (SheetError: the header lacks columns)."""
    planner = RowPlanner(agreement, header, mapping)
    chunk, count = Chunk(), 0
    for row in rows:
        count += 1
        plan, errors = planner.plan(row)
        if plan is not None:
            chunk.plans.append(plan)
        chunk.errors.extend(errors)
        if count % size == 0:
            chunk.rows_read = count
            yield chunk
            chunk = Chunk()
    chunk.rows_read = count
    yield chunk


def check_expat() -> None:
    """Refuse an expat without entity-expansion limits (see the module's docstring)."""
    import pyexpat

    if pyexpat.version_info < (2, 4, 1):
        raise SheetError(
            f"this Python's XML parser ({pyexpat.EXPAT_VERSION}) predates expat 2.4.1 and "
            "cannot read XLSX files safely"
        )


# --- the importer's side ---------------------------------------------------------------------


async def planned_chunks(
    agreement: Agreement, source: bytes | Path, fmt: SheetFormat, mapping: ColumnMapping
) -> AsyncIterator[Chunk]:
    """The sheet's chunks as the child reads them; SheetError as the child words it."""
    check_expat()
    env = dict(os.environ, OPENPYXL_DEFUSEDXML="False")
    # The child's warnings go to a file, not a pipe nobody reads until the end (a file full
    # of warnings must not block the child); they are shown only if it fails.
    with tempfile.TemporaryFile() as errors:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            __name__,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=errors,
            env=env,
        )
        assert proc.stdin is not None
        assert proc.stdout is not None
        try:
            proc.stdin.write(
                pickle.dumps((source, fmt, mapping, agreement), pickle.HIGHEST_PROTOCOL)
            )
            await proc.stdin.drain()
            proc.stdin.close()
            while True:
                try:
                    size = int.from_bytes(await proc.stdout.readexactly(_LENGTH), "big")
                    frame = await proc.stdout.readexactly(size)
                    kind, value = pickle.loads(frame)  # noqa: S301 (our own child's answer)
                except asyncio.IncompleteReadError:
                    await proc.wait()
                    errors.seek(0)
                    why = errors.read()[-2000:].decode(errors="replace").strip()
                    raise RuntimeError(
                        f"the sheet reader stopped (exit {proc.returncode}): {why}"
                    ) from None
                if kind == "end":
                    break
                if kind == "sheet-error":
                    raise SheetError(value)
                yield value
            await proc.wait()
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()


# --- the child's side ------------------------------------------------------------------------


def _send(out: BinaryIO, kind: str, value: Any) -> None:
    data = pickle.dumps((kind, value), pickle.HIGHEST_PROTOCOL)
    out.write(len(data).to_bytes(_LENGTH, "big"))
    out.write(data)
    out.flush()


def main() -> None:
    """Read the request from stdin, answer chunks on stdout."""
    source, fmt, mapping, agreement = pickle.load(sys.stdin.buffer)  # noqa: S301 (the importer's)
    out = sys.stdout.buffer
    try:
        header, rows = read_rows(source, fmt)
        for chunk in chunked(agreement, header, rows, mapping):
            _send(out, "chunk", chunk)
    except SheetError as exc:
        _send(out, "sheet-error", str(exc))
    _send(out, "end", None)


if __name__ == "__main__":
    # Run the module under its own name, so that what it pickles unpickles in the importer.
    from acuerdo.domains.personnel import sheet_process

    sheet_process.main()

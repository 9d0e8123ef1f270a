"""Reading a spreadsheet in a second process, while the node checks its rows and prepares records.

openpyxl's read-only reader spends ~80-120 us of Python a row of 18 cells (a sheet saved with
shared strings; ~200 us when each cell holds its text): at 100,000 rows, 10 s of one core.
So the importer starts a child process (`python -m acuerdo.domains.personnel.sheet_reader`,
which imports only what reading needs: it starts in ~0.1 s): the child reads the sheet and
hands on the header, then the rows' cells in chunks, while the importer checks each chunk's rows
(`RowPlanner`, ~20 us a row, the same code an in-process import runs) and turns the valid
ones into prepared records on its own core. (The child used to check the rows too; the
reading alone is the longer side, so the checks now run beside the importer's preparing.)
Nothing is written until the child has read the last row: a file with errors still writes
nothing.

The request (file bytes or path, format) goes to the child's stdin as one pickle; each
answer is a frame on its stdout, a 4-byte length and a pickle. Both ends are acuerdo's, so
the pickles are trusted.

The child reads XLSX with the standard library's C XML parser rather than defusedxml's
pure-Python one (twice as fast): this Python's expat (2.4.1 or later) limits entity
expansion (billion laughs, quadratic blow-up) and ElementTree fetches no external entities,
which is what defusedxml guards against (see the XML vulnerabilities table in the Python
documentation). `check_expat` refuses to run on an older expat.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import pickle
import sys
import tempfile
from collections.abc import AsyncGenerator, AsyncIterator, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from acuerdo.agreement import Agreement
from acuerdo.domains.personnel import sheet_reader
from acuerdo.domains.personnel.importing_rows import Error, RowPlan, RowPlanner
from acuerdo.domains.personnel.sheet_reader import CHUNK_ROWS, LENGTH
from acuerdo.domains.personnel.spreadsheet import ColumnMapping, Row, SheetError, SheetFormat


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
    """The sheet's rows planned in chunks as the child reads them; SheetError as the child
    words it (a file it cannot read) or as the planner does (a header lacking columns)."""
    planner: RowPlanner | None = None
    count = 0
    async with contextlib.aclosing(_frames(source, fmt)) as frames:  # the child stops with us
        async for kind, value in frames:
            if kind == "header":
                planner = RowPlanner(agreement, value, mapping)  # SheetError: columns missing
                continue
            if planner is None:
                raise RuntimeError("the sheet reader sent rows before the header")
            chunk = Chunk()
            for number, cells in value:
                plan, errors = planner.plan(Row(number, cells))
                if plan is not None:
                    chunk.plans.append(plan)
                chunk.errors.extend(errors)
            count += len(value)
            chunk.rows_read = count
            yield chunk


async def _frames(source: bytes | Path, fmt: SheetFormat) -> AsyncGenerator[tuple[str, Any], None]:
    """The child's frames up to its end: ("header", names), then ("rows", [(number, cells)])."""
    check_expat()
    env = dict(os.environ, OPENPYXL_DEFUSEDXML="False")
    # The child's warnings go to a file, not a pipe nobody reads until the end (a file full
    # of warnings must not block the child); they are shown only if it fails.
    with tempfile.TemporaryFile() as errors:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            sheet_reader.__name__,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=errors,
            env=env,
        )
        assert proc.stdin is not None
        assert proc.stdout is not None
        try:
            proc.stdin.write(pickle.dumps((source, fmt), pickle.HIGHEST_PROTOCOL))
            await proc.stdin.drain()
            proc.stdin.close()
            while True:
                try:
                    size = int.from_bytes(await proc.stdout.readexactly(LENGTH), "big")
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
                yield kind, value
            await proc.wait()
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()

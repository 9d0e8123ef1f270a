"""The child process that reads a spreadsheet for an import (`sheet_process` starts it).

It reads the request (file bytes or path, format) from stdin as one pickle and answers in
frames on stdout, each a 4-byte length and a pickle: ("header", names), then ("rows",
[(number, cells)]) `CHUNK_ROWS` at a time, then ("end", None); a file it cannot read is
("sheet-error", message) before the end. Only plain values cross (texts, numbers, dates),
and both ends are acuerdo's, so the pickles are trusted.

It imports only what reading needs (openpyxl and `spreadsheet`: ~0.1 s to start, against
~0.3 s when it was the importer's module, which imports the agreement), since the importer
has nothing to do until the first rows arrive.
"""

from __future__ import annotations

import pickle
import sys
from typing import Any, BinaryIO

from acuerdo.domains.personnel.spreadsheet import SheetError, read_rows

CHUNK_ROWS = 1000
LENGTH = 4  # bytes of a frame's length


def _send(out: BinaryIO, kind: str, value: Any) -> None:
    data = pickle.dumps((kind, value), pickle.HIGHEST_PROTOCOL)
    out.write(len(data).to_bytes(LENGTH, "big"))
    out.write(data)
    out.flush()


def main() -> None:
    """Read the request from stdin, answer the header and then the rows, in frames."""
    source, fmt = pickle.load(sys.stdin.buffer)  # noqa: S301 (the importer's)
    out = sys.stdout.buffer
    try:
        header, rows = read_rows(source, fmt)
        _send(out, "header", header)
        batch: list[tuple[int, tuple[Any, ...]]] = []
        for row in rows:
            batch.append((row.number, row.cells))
            if len(batch) == CHUNK_ROWS:
                _send(out, "rows", batch)
                batch = []
        if batch:
            _send(out, "rows", batch)
    except SheetError as exc:
        _send(out, "sheet-error", str(exc))
    _send(out, "end", None)


if __name__ == "__main__":
    main()

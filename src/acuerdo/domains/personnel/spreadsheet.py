"""Rows of the spreadsheets people already keep: CSV and XLSX, read and written.

Reading yields the header and then each data row with its row number as the spreadsheet
shows it (the header is row 1), so that an error names the row a person would scroll to.
XLSX is read with openpyxl in read-only mode: rows stream from the file instead of building
the whole workbook in memory. That reader costs ~80-120 us of Python a row of 18 cells (~200
us when texts sit in each cell rather than in the shared-strings table), so a large import
reads its sheet in a second process beside the writes (`sheet_process`).
Cells keep their types (dates stay dates); the importer decides what each means.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, BinaryIO

from openpyxl import Workbook

from acuerdo.domains.personnel.xlsx_strings import open_workbook
from acuerdo.ledger.frozen import quick_init

Cell = str | int | float | bool | date | datetime | None


class SheetFormat(StrEnum):
    """The file formats acuerdo imports and exports."""

    CSV = "csv"
    XLSX = "xlsx"


class SheetError(ValueError):
    """The file cannot be read as a spreadsheet of this format; the message says why."""


@quick_init
@dataclass(frozen=True)
class Row:
    """One data row: its number in the sheet (header = 1) and its cells, in column order."""

    number: int
    cells: tuple[Cell, ...]


def format_of(path: Path, declared: str | None = None) -> SheetFormat:
    """The declared format, else the file's suffix; refuse anything else."""
    name = (declared or path.suffix.lstrip(".")).lower()
    try:
        return SheetFormat(name)
    except ValueError:
        raise SheetError(
            f"cannot tell the format of {path.name!r}: use a .csv or .xlsx file or give "
            "--format csv|xlsx"
        ) from None


def _blank(cells: Sequence[Cell]) -> bool:
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in cells)


def _csv_rows(data: bytes) -> Iterator[tuple[int, tuple[Cell, ...]]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SheetError(f"the CSV file is not UTF-8 (byte {exc.start})") from None
    # Spreadsheets saved in Spanish locales separate with ';': tell by the header line.
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        for record in reader:
            yield reader.line_num, tuple(record)
    except csv.Error as exc:
        raise SheetError(f"the CSV file is malformed near line {reader.line_num}: {exc}") from None


def _xlsx_rows(source: bytes | Path) -> Iterator[tuple[int, tuple[Cell, ...]]]:
    """Rows of the first sheet (cached formula values, not formulas), numbered as the
    spreadsheet shows them; the file is closed when the rows are done (or dropped)."""
    stream: BinaryIO = source.open("rb") if isinstance(source, Path) else io.BytesIO(source)
    with stream:
        try:
            book = open_workbook(stream)  # openpyxl's reader, its shared texts read faster
        except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
            raise SheetError(f"the file is not an XLSX workbook: {exc}") from None
        try:
            sheet = book.worksheets[0]
            # Read-only sheets hand on every row from the first, gaps as empty rows.
            for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
                yield number, tuple(map(_cell, values))
        finally:
            book.close()


def _cell(value: Any) -> Cell:
    """A cell as one of the types the importer reads (times, durations, rich text as text)."""
    if isinstance(value, str | float | int | bool | date) or value is None:
        return value
    return str(value)


def read_rows(source: bytes | Path, fmt: SheetFormat) -> tuple[list[str], Iterator[Row]]:
    """The header (trimmed texts) and an iterator over the non-blank data rows after it."""
    if fmt is SheetFormat.CSV:
        data = source.read_bytes() if isinstance(source, Path) else source
        raw = _csv_rows(data)
    else:
        raw = _xlsx_rows(source)
    first = next(raw, None)
    if first is None:
        raise SheetError("the file is empty: it needs a header row")
    header = ["" if c is None else str(c).strip() for c in first[1]]
    while header and not header[-1]:
        header.pop()
    if not header:
        raise SheetError("the first row must be the header (column names)")

    def rows() -> Iterator[Row]:
        for number, cells in raw:
            if not _blank(cells):
                yield Row(number, cells)

    return header, rows()


def write_rows(header: Sequence[str], rows: Sequence[Sequence[Any]], fmt: SheetFormat) -> bytes:
    """A file of this format with the header and rows (cells are texts or None)."""
    if fmt is SheetFormat.CSV:
        out = io.StringIO(newline="")
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(header)
        writer.writerows(["" if c is None else c for c in r] for r in rows)
        return out.getvalue().encode("utf-8")
    book = Workbook(write_only=True)
    sheet = book.create_sheet("persons")
    sheet.append(list(header))
    for r in rows:
        sheet.append(list(r))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# --- column mappings -------------------------------------------------------------------------

# The documented template (docs/import-export.md): field -> column header. Export writes
# these headers, so an exported file imports again without a mapping file.
TEMPLATE: dict[str, str] = {
    "given_names": "Given names",
    "family_names": "Family names",
    "date_of_birth": "Date of birth",
    "nationalities": "Nationalities",
    "national_id_kind": "ID kind",
    "national_id_number": "ID number",
    "licence_numbers": "Licence numbers",
    "category": "Category",
    "service_or_employer": "Service or employer",
    "rank_or_grade": "Rank or grade",
    "arms_authorised": "Arms authorised",
    "licences": "Licences",
    "order_number": "Order number",
    "order_issuing_authority": "Issuing authority",
    "order_purpose": "Purpose",
    "order_valid_from": "Valid from",
    "order_valid_until": "Valid until",
    "order_ports_of_entry": "Ports of entry",
}
REQUIRED_FIELDS = (
    "given_names",
    "family_names",
    "date_of_birth",
    "nationalities",
    "national_id_kind",
    "national_id_number",
    "category",
    "service_or_employer",
)


@dataclass(frozen=True)
class ColumnMapping:
    """Which column holds each field, and how dates are written in this layout."""

    columns: dict[str, str]
    date_format: str | None = None  # strptime format; None: ISO 8601 (YYYY-MM-DD)

    def locate(self, header: Sequence[str]) -> dict[str, int]:
        """Field -> column index; headers match ignoring case and surrounding spaces.

        Raises SheetError naming every required column the header lacks.
        """
        index = {h.strip().casefold(): i for i, h in enumerate(header) if h.strip()}
        found = {
            field: index[name.strip().casefold()]
            for field, name in self.columns.items()
            if name.strip().casefold() in index
        }
        missing = [self.columns.get(f, f) for f in REQUIRED_FIELDS if f not in found]
        if missing:
            raise SheetError(
                "the header lacks the column(s) "
                + ", ".join(repr(m) for m in missing)
                + "; name them as in the template or give a mapping file"
            )
        return found


DEFAULT_MAPPING = ColumnMapping(dict(TEMPLATE))


def load_mapping(path: Path) -> ColumnMapping:
    """A YAML mapping file: `columns: {field: header}` (unnamed fields keep the template's
    header) and an optional `date_format` such as "%d/%m/%Y"."""
    import yaml

    try:
        data = yaml.safe_load(path.read_text("utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise SheetError(f"cannot read the mapping file {path}: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("columns", {}), dict):
        raise SheetError(f"{path}: a mapping file is a YAML map with a 'columns' map")
    unknown = sorted(set(data) - {"columns", "date_format"})
    columns = {str(k): str(v) for k, v in (data.get("columns") or {}).items()}
    unknown += sorted(f"columns.{k}" for k in set(columns) - set(TEMPLATE))
    if unknown:
        raise SheetError(
            f"{path}: unknown key(s) {', '.join(unknown)}; fields are {', '.join(TEMPLATE)}"
        )
    fmt = data.get("date_format")
    if fmt is not None and not isinstance(fmt, str):
        raise SheetError(f"{path}: date_format must be a text such as '%d/%m/%Y'")
    return ColumnMapping(TEMPLATE | columns, fmt)

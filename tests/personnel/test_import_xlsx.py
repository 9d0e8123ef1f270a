"""Import of a 1,000-row XLSX: bad rows reported exactly, nothing written, then idempotent.

Also home to what test_import_csv.py shares: the template sheet builder and table counts.
One SQLite node serves the whole module (the writes of 995 rows cost seconds); the CSV tests
run on both backends.
"""

from __future__ import annotations

import hmac
import json
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy import func, select

from acuerdo.domains.personnel.importing import ImportReport, import_sheet
from acuerdo.domains.personnel.importing_records import NAMESPACE, natural_id
from acuerdo.domains.personnel.importing_records import salts as fresh_salts
from acuerdo.domains.personnel.spreadsheet import (
    DEFAULT_MAPPING,
    TEMPLATE,
    SheetError,
    SheetFormat,
    read_rows,
    write_rows,
)
from acuerdo.ledger.tables import ledger, metadata
from acuerdo.node import Node
from acuerdo.users import User, add_user
from conftest import make_node

pytestmark = pytest.mark.asyncio(loop_scope="module")

# Sheet row (header = 1) -> (column, value that breaks it). One error each.
BAD = {
    101: ("Category", "astronaut"),
    202: ("Date of birth", "1990-02-30"),
    303: ("Nationalities", "US"),
    404: ("Given names", "x" * 201),
    505: ("Valid until", "2026-13-01"),
}


def person_row(i: int) -> dict[str, Any]:
    """Template field -> cell of the i-th person (sheet row i + 2); every tenth shares an order."""
    row: dict[str, Any] = {
        "given_names": f"Ana María {i}",
        "family_names": "Benítez Ortiz",
        "date_of_birth": f"19{70 + i % 30}-0{1 + i % 9}-1{i % 10}",
        "nationalities": "USA" if i % 7 else "USA; PRY",
        "national_id_kind": "DoD ID",
        "national_id_number": str(1_000_000_000 + i),
        "licence_numbers": "" if i % 3 else f"DL-{i}",
        "category": "member-of-force" if i % 4 else "civilian-employee",
        "service_or_employer": "U.S. Army South",
        "rank_or_grade": "SGT" if i % 4 else "",
        "arms_authorised": "yes" if i % 2 else "no",
        "licences": "" if i % 5 else "driving:USA:2027-06-30",
        "order_number": "",
        "order_issuing_authority": "",
        "order_purpose": "",
        "order_valid_from": "",
        "order_valid_until": "",
        "order_ports_of_entry": "",
    }
    if i % 11:
        row |= {
            "order_number": f"USARSO-26-{i // 10:04d}",
            "order_issuing_authority": "U.S. Army South G-3",
            "order_purpose": "Bilateral training, Chaco",
            "order_valid_from": "2026-07-01",
            "order_valid_until": "2026-09-30",
            "order_ports_of_entry": "airport:Silvio Pettirossi",
        }
    return row


def sheet(n: int, fmt: SheetFormat, bad: dict[int, tuple[str, str]] | None = None) -> bytes:
    """A template-layout file of n persons, with the given cells broken."""
    columns = {header: field for field, header in TEMPLATE.items()}
    rows = []
    for i in range(n):
        values = person_row(i)
        if bad and i + 2 in bad:
            header, value = bad[i + 2]
            values[columns[header]] = value
        rows.append([values[f] or None for f in TEMPLATE])
    return write_rows(list(TEMPLATE.values()), rows, fmt)


async def table_counts(node: Node) -> dict[str, int]:
    async with node.engines.reader.connect() as conn:
        return {
            t.name: int((await conn.execute(select(func.count()).select_from(t))).scalar_one())
            for t in metadata.sorted_tables
        }


async def run_import(
    node: Node, user: User, data: bytes, fmt: SheetFormat, **kw: Any
) -> ImportReport:
    """As `acuerdo person import` does: the rows read and checked in a second process."""
    return await import_sheet(node, user, data, fmt, DEFAULT_MAPPING, **kw)


async def registrar(node: Node) -> User:
    party = node.agreement.party(node.party)
    return await add_user(
        node.engines.writer, party=node.party, name="registrar",
        agency=party.agencies[0].id, roles=["registrar"], password=None,
    )  # fmt: skip


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def node(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Node]:
    opened = await make_node(tmp_path_factory.mktemp("usa"), None)
    yield opened
    await opened.close()


@pytest.fixture(scope="module")
def bad_xlsx() -> bytes:
    return sheet(1000, SheetFormat.XLSX, BAD)


async def test_bad_rows_are_reported_exactly_and_nothing_is_written(
    node: Node, bad_xlsx: bytes
) -> None:
    user = await registrar(node)
    before = await table_counts(node)
    report = await run_import(node, user, bad_xlsx, SheetFormat.XLSX)
    assert report.refused and report.rows == 1000 and report.valid_rows == 995
    assert {(e.row, e.column) for e in report.errors} == {(r, c) for r, (c, _) in BAD.items()}
    assert len(report.errors) == 5
    assert "astronaut" in str(report.errors[0]) and "member-of-force" in str(report.errors[0])
    assert report.versions == 0 and await table_counts(node) == before


async def test_valid_rows_only_writes_995_then_a_second_import_writes_nothing(
    node: Node, bad_xlsx: bytes
) -> None:
    from acuerdo.users import get_user

    user = await get_user(node.engines.reader, "registrar")
    assert user is not None
    before = await table_counts(node)
    report = await run_import(node, user, bad_xlsx, SheetFormat.XLSX, valid_rows_only=True)
    assert not report.refused and report.written_rows == 995 and len(report.errors) == 5
    orders = report.written_orders
    assert orders > 0 and report.versions == 2 * 995 + orders
    after = await table_counts(node)
    assert after["ledger"] - before["ledger"] == 2 * 995 + orders
    again = await run_import(node, user, bad_xlsx, SheetFormat.XLSX, valid_rows_only=True)
    assert (again.written_rows, again.unchanged_rows, again.versions) == (0, 995, 0)
    assert again.unchanged_orders == orders
    assert await table_counts(node) == after


async def test_a_changed_row_is_a_new_version_with_the_same_salt(node: Node) -> None:
    from acuerdo.users import get_user

    user = await get_user(node.engines.reader, "registrar")
    assert user is not None
    pid = natural_id(node, "acuerdo-personal-data", "DoD ID", str(1_000_000_000 + 3))
    first = await salts(node, pid)
    changed = sheet(6, SheetFormat.XLSX, {5: ("Family names", "Benítez de Ortiz")})
    report = await run_import(node, user, changed, SheetFormat.XLSX)
    assert (report.written_rows, report.unchanged_rows) == (1, 5)
    # One personal-data version; the order now names the 5 persons of this file only.
    assert report.versions == 1 + report.written_orders and report.written_orders == 1
    assert await salts(node, pid) == first * 2  # two versions, one salt
    other = natural_id(node, "acuerdo-personal-data", "DoD ID", str(1_000_000_000 + 4))
    assert (await salts(node, other))[0] != first[0]  # random per person


@pytest.mark.parametrize(
    "key", [("DoD ID", "1000000003"), ("Pasaporte", "ÑX-12 ü"), ("cédula", "")]
)
async def test_natural_ids_are_uuid5_of_the_keyed_natural_key(
    node: Node, key: tuple[str, str]
) -> None:
    """Ids are computed without uuid objects: still exactly `uuid.uuid5` of the keyed key,
    so files imported before find the same objects."""
    otype = "acuerdo-personal-data"
    mac = hmac.digest(node.secret, "\x00".join((node.party, otype, *key)).encode(), "sha256")
    expected = f"{otype}--{uuid.uuid5(NAMESPACE, node.party + ':' + mac.hex())}"
    assert natural_id(node, otype, *key) == expected


async def test_a_file_the_reader_process_cannot_use_is_refused_with_why(node: Node) -> None:
    from acuerdo.users import get_user

    user = await get_user(node.engines.reader, "registrar")
    assert user is not None
    before = await table_counts(node)
    with pytest.raises(SheetError, match="not an XLSX workbook"):
        await run_import(node, user, b"PK\x03\x04 not a zip", SheetFormat.XLSX)
    no_category = write_rows(["Given names", "Family names"], [["Ana", "Ortiz"]], SheetFormat.XLSX)
    with pytest.raises(SheetError, match="'Category'"):
        await run_import(node, user, no_category, SheetFormat.XLSX)
    assert await table_counts(node) == before


async def salts(node: Node, object_id: str) -> list[str]:
    async with node.engines.reader.connect() as conn:
        q = select(ledger.c.body).where(ledger.c.object_id == object_id)
        return [json.loads(b)["salt"] for b in (await conn.execute(q)).scalars()]


async def test_xlsx_cells_typed_as_dates_and_numbers_are_read(tmp_path: Path) -> None:
    """Spreadsheets keep dates as dates and IDs as numbers: both read as the template says."""
    from datetime import datetime

    from openpyxl import Workbook

    book = Workbook()
    ws = book.active
    assert ws is not None
    ws.append(list(TEMPLATE.values()))
    values = person_row(1) | {"date_of_birth": datetime(1985, 3, 9), "national_id_number": 12345.0}
    ws.append([values[f] or None for f in TEMPLATE])
    path = tmp_path / "typed.xlsx"
    book.save(path)
    header, rows = read_rows(path, SheetFormat.XLSX)
    (row,) = list(rows)
    assert row.number == 2 and header == list(TEMPLATE.values())
    from acuerdo.agreement import load_profile
    from acuerdo.domains.personnel.importing_rows import plan_rows

    plans, errors = plan_rows(load_profile("usa-pry-2025"), header, [row], DEFAULT_MAPPING)
    assert not errors
    assert plans[0].personal["date_of_birth"] == "1985-03-09" and plans[0].id_number == "12345"


async def test_fresh_salts_are_16_random_bytes_each() -> None:
    made = fresh_salts(1000) + fresh_salts(1000)
    assert all(len(s) == 32 and bytes.fromhex(s) for s in made)
    assert len(set(made)) == 2000
    assert fresh_salts(0) == []

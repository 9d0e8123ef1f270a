"""Mapping files and headers are refused precisely; an interrupted import completes on re-run."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from test_import_xlsx import sheet, table_counts

from acuerdo.domains.personnel.importing import ImportReport, import_rows, write_plans
from acuerdo.domains.personnel.importing_rows import plan_rows
from acuerdo.domains.personnel.spreadsheet import (
    DEFAULT_MAPPING,
    SheetError,
    SheetFormat,
    load_mapping,
    read_rows,
)
from acuerdo.domains.personnel.tables import personnel_order_persons as OP
from acuerdo.domains.personnel.tables import personnel_persons as P
from conftest import NodeHarness


def test_a_mapping_file_with_an_unknown_field_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text('columns:\n  given_name: "Nombre"\n', "utf-8")
    with pytest.raises(SheetError, match=r"unknown key\(s\) columns.given_name"):
        load_mapping(path)
    path.write_text('columns:\n  given_names: "Nombre"\ndate_format: "%d/%m/%Y"\n', "utf-8")
    mapping = load_mapping(path)
    assert mapping.columns["given_names"] == "Nombre" and mapping.date_format == "%d/%m/%Y"
    assert mapping.columns["family_names"] == DEFAULT_MAPPING.columns["family_names"]


def test_a_header_without_required_columns_is_refused_whole() -> None:
    header, rows = read_rows(b"Given names,Family names\r\nAna,Ortiz\r\n", SheetFormat.CSV)
    with pytest.raises(SheetError, match=r"'Date of birth'.*'Category'"):
        DEFAULT_MAPPING.locate(header)
    assert [r.number for r in rows] == [2]


async def test_an_interrupted_import_completes_when_run_again(harness: NodeHarness) -> None:
    node = harness.node
    user = harness.users["registrar"]
    data = sheet(30, SheetFormat.CSV)
    header, rows = read_rows(data, SheetFormat.CSV)
    plans, errors = plan_rows(node.agreement, header, rows, DEFAULT_MAPPING)
    assert not errors
    # The first two batches of ten were written before the import stopped.
    await write_plans(node, user, plans[:20], ImportReport(), batch_rows=10)
    before = await table_counts(node)
    header, rows = read_rows(data, SheetFormat.CSV)
    report = await import_rows(node, user, header, rows, DEFAULT_MAPPING, batch_rows=10)
    assert (report.written_rows, report.unchanged_rows) == (10, 20)
    assert (await table_counts(node))["ledger"] - before["ledger"] == report.versions


async def test_an_order_whose_rows_fall_in_several_writes_names_all_and_sets_each_window(
    harness: NodeHarness,
) -> None:
    """Rows 11-20 share an order; read 7 rows at a time and written 14 at a time, four of
    its persons are written (without a window) before the order, six with it."""
    node = harness.node
    user = harness.users["registrar"]
    data = sheet(30, SheetFormat.CSV)
    header, rows = read_rows(data, SheetFormat.CSV)
    report = await import_rows(
        node, user, header, rows, DEFAULT_MAPPING, batch_rows=7, write_rows=14
    )
    with_order = [i for i in range(30) if i % 11]
    assert (report.written_rows, report.written_orders) == (30, 3)
    async with node.engines.reader.connect() as conn:
        windows = (
            await conn.execute(select(P.c.valid_from, P.c.valid_until, func.count()).group_by(
                P.c.valid_from, P.c.valid_until))
        ).all()  # fmt: skip
        links = (await conn.execute(select(func.count()).select_from(OP))).scalar_one()
    assert sorted(windows, key=str) == sorted(
        [("2026-07-01", "2026-09-30", len(with_order)), (None, None, 30 - len(with_order))],
        key=str,
    )
    assert links == len(with_order)
    header, rows = read_rows(data, SheetFormat.CSV)
    again = await import_rows(
        node, user, header, rows, DEFAULT_MAPPING, batch_rows=7, write_rows=14
    )
    assert (again.versions, again.unchanged_rows, again.unchanged_orders) == (0, 30, 3)

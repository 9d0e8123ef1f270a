"""CSV import through the API and the CLI, a YAML mapping, and export round trips.

Runs on both backends (conftest's `harness`). The sheets are test_import_xlsx.py's.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from test_import_xlsx import person_row, sheet, table_counts

from acuerdo.cli import main as cli_main
from acuerdo.domains.personnel.spreadsheet import TEMPLATE, SheetFormat, read_rows
from conftest import NodeHarness

CSV = {"content-type": "text/csv"}
BAD = {5: ("Category", "dependent-of-contractor"), 9: ("Nationalities", "USA; ZZZ")}


async def post_csv(h: NodeHarness, data: bytes, query: str = "", user: str = "registrar") -> Any:
    headers = h.auth(user) | CSV
    return await h.client.post(f"/api/v1/imports/persons{query}", content=data, headers=headers)


async def test_api_csv_import_reports_rows_then_imports_valid_rows_once(
    harness: NodeHarness,
) -> None:
    h = harness
    data = sheet(40, SheetFormat.CSV, BAD)
    before = await table_counts(h.node)
    r = await post_csv(h, data)
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["type"] == "urn:acuerdo:problem:invalid-rows" and "nothing" in body["detail"]
    assert [(e["row"], e["column"]) for e in body["errors"]] == [
        (5, "Category"),
        (9, "Nationalities"),
    ]
    assert "'ZZZ'" in body["errors"][1]["message"]
    assert await table_counts(h.node) == before
    forbidden = await post_csv(h, data, "?valid_rows_only=true", user="viewer")
    assert forbidden.status_code == 403
    r = await post_csv(h, data, "?valid_rows_only=true")
    assert r.status_code == 200, r.text
    assert r.json()["written_rows"] == 38 and len(r.json()["errors"]) == 2
    after = await table_counts(h.node)
    assert after["ledger"] > before["ledger"]
    again = await post_csv(h, data, "?valid_rows_only=true")
    assert (again.json()["written_rows"], again.json()["unchanged_rows"]) == (0, 38)
    assert await table_counts(h.node) == after


SPANISH = {
    "given_names": "Nombres",
    "family_names": "Apellidos",
    "date_of_birth": "Fecha de nacimiento",
    "nationalities": "Nacionalidad",
    "national_id_kind": "Tipo de documento",
    "national_id_number": "Número de documento",
    "category": "Categoría",
    "service_or_employer": "Servicio",
}


def spanish_csv(rows: list[dict[str, Any]]) -> bytes:
    """Another layout: Spanish headers, ';' separators, dates as DD/MM/YYYY, fewer columns."""
    lines = [";".join(SPANISH.values())]
    for row in rows:
        born = row["date_of_birth"]
        if len(born) == 10 and born[4] == "-":
            born = f"{born[8:]}/{born[5:7]}/{born[:4]}"
        row = row | {"date_of_birth": born, "nationalities": row["nationalities"].replace(";", ",")}
        lines.append(";".join(f'"{row[f]}"' for f in SPANISH))
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def cli(home: Path, *args: str) -> Any:
    return CliRunner().invoke(cli_main, ["--home", str(home), "person", *args])


async def test_cli_import_with_a_mapping_file(harness: NodeHarness, tmp_path: Path) -> None:
    h, home = harness, harness.node.settings.home
    mapping = tmp_path / "layout.yaml"
    lines = [f'  {f}: "{header}"' for f, header in SPANISH.items()]
    mapping.write_text("columns:\n" + "\n".join(lines) + '\ndate_format: "%d/%m/%Y"\n', "utf-8")
    rows = [person_row(i) for i in range(12)]
    bad = tmp_path / "bad.csv"
    bad.write_bytes(spanish_csv([*rows[:2], rows[2] | {"date_of_birth": "31/02/1990"}]))
    before = await table_counts(h.node)
    result = await asyncio.to_thread(
        cli, home, "import", str(bad), "--user", "registrar", "--mapping", str(mapping), "--quiet"
    )
    assert result.exit_code == 1
    assert "row 4, column 'Fecha de nacimiento': '31/02/1990' is not a date" in result.stderr
    assert await table_counts(h.node) == before
    good = tmp_path / "good.csv"
    good.write_bytes(spanish_csv(rows))
    args = ("import", str(good), "--user", "registrar", "--mapping", str(mapping))
    result = await asyncio.to_thread(cli, home, *args)
    assert result.exit_code == 0, result.output
    assert "12 rows: 12 written, 0 unchanged" in result.stdout
    after = await table_counts(h.node)
    assert after["ledger"] == before["ledger"] + 24  # no order columns in this layout
    result = await asyncio.to_thread(cli, home, *args)
    assert "12 rows: 0 written, 12 unchanged" in result.stdout
    assert await table_counts(h.node) == after
    no_user = await asyncio.to_thread(cli, home, "import", str(good), "--user", "nobody")
    assert no_user.exit_code == 1 and "no user 'nobody'" in no_user.stderr


def as_values(row: dict[str, Any]) -> dict[str, Any]:
    return {f: row[f] or None for f in TEMPLATE}


async def test_export_round_trips(harness: NodeHarness, tmp_path: Path) -> None:
    """What is imported exports as the same cells; the export imports again as no change."""
    h = harness
    r = await post_csv(h, sheet(25, SheetFormat.CSV))
    assert r.status_code == 200 and r.json()["written_rows"] == 25, r.text
    expected = {str(1_000_000_000 + i): as_values(person_row(i)) for i in range(25)}
    counts = await table_counts(h.node)
    for fmt in (SheetFormat.CSV, SheetFormat.XLSX):
        got = await h.client.get(
            f"/api/v1/exports/persons?format={fmt.value}", headers=h.auth("registrar")
        )
        assert got.status_code == 200, got.text
        header, rows = read_rows(got.content, fmt)
        fields = {header.index(t): f for f, t in TEMPLATE.items()}
        exported = {}
        for row in rows:
            cells = [*row.cells, *[None] * len(header)]  # XLSX rows may end early
            values = {f: (str(cells[i]) if cells[i] else None) for i, f in fields.items()}
            exported[values["national_id_number"]] = values
        assert exported == expected, fmt
        again = await post_csv(h, got.content, f"?format={fmt.value}")
        assert again.status_code == 200, again.text
        assert (again.json()["written_rows"], again.json()["versions"]) == (0, 0)
    assert (await table_counts(h.node))["ledger"] == counts["ledger"]
    path = tmp_path / "out.xlsx"
    result = await asyncio.to_thread(
        cli, h.node.settings.home, "export", "--user", "registrar", "--out", str(path)
    )
    assert result.exit_code == 0 and "25 persons" in result.stdout
    assert len(list(read_rows(path, SheetFormat.XLSX)[1])) == 25

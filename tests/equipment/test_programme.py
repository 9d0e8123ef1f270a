"""The annual programme of activities: CSV and the PDF tabled before a congress, drawn from
the activity records (type, places, dates, personnel, arms) and their derived state."""

from __future__ import annotations

import asyncio
import csv
import io
import uuid
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from pypdf import PdfReader

from acuerdo.cli import main as cli_main
from acuerdo.ledger.types import BY_NAME
from conftest import NodeHarness

STAMP = "2026-03-01T12:00:00.000Z"
CHACO = {
    "name": "Mariscal Estigarribia",
    "region": "PY-19",
    "latitude": -22.03,
    "longitude": -60.61,
}
RIVER = {
    "name": "Base Naval de Bahía Negra",
    "region": "PY-16",
    "latitude": -20.23,
    "longitude": -58.17,
}


def activity(title: str, start: str, end: str, **extra: Any) -> dict[str, Any]:
    otype = "acuerdo-activity"
    return {
        "type": otype,
        "spec_version": "2.1",
        "id": f"{otype}--{uuid.uuid4()}",
        "created": STAMP,
        "modified": STAMP,
        "extensions": {BY_NAME[otype].extension_id: {"extension_type": "new-sdo"}},
        "activity_type": "bilateral-training",
        "title": title,
        "purpose": "Training",
        "lifecycle": "proposed",
        "start": start,
        "end": end,
        "places": [CHACO],
        "personnel_count": 40,
    } | extra


def pdf_text(data: bytes) -> str:
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)


async def test_annual_programme_csv_and_pdf(harness: NodeHarness, tmp_path: Path) -> None:
    h = harness
    armed = activity(
        "Ejercicio de ingenieros",
        "2026-09-01T12:00:00Z",
        "2026-09-20T12:00:00Z",
        arms=[{"description": "M4 carbine", "quantity": 10}],
        units=[{"party": "USA", "name": "Army South engineers", "personnel": 40}],
    )
    # Starts at 01:00 UTC on 1 May: still 30 April in Asunción (UTC-3).
    river = activity(
        "Patrulla fluvial",
        "2026-05-01T01:00:00Z",
        "2026-05-10T12:00:00Z",
        places=[RIVER],
        activity_type="humanitarian-assistance",
        personnel_count=25,
    )
    draft = activity("Borrador", "2026-10-01T12:00:00Z", "2026-10-02T12:00:00Z", lifecycle="draft")
    later = activity("Next year", "2027-02-01T12:00:00Z", "2027-02-10T12:00:00Z")
    for obj in (armed, river, draft, later):
        r = await h.client.post("/api/v1/records", json=obj, headers=h.auth("registrar"))
        assert r.status_code == 201, r.text
    got = await h.client.get("/api/v1/annual-programme/2026.csv", headers=h.auth("viewer"))
    assert got.status_code == 200 and got.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(got.content.decode("utf-8-sig"))))
    assert [(r["number"], r["title"], r["start"], r["end"]) for r in rows] == [
        ("1", "Patrulla fluvial", "2026-04-30", "2026-05-10"),
        ("2", "Ejercicio de ingenieros", "2026-09-01", "2026-09-20"),
    ]
    assert rows[0]["type"] == "Humanitarian assistance"
    assert rows[0]["places"] == "Base Naval de Bahía Negra (Alto Paraguay)"
    assert (rows[1]["personnel"], rows[1]["arms"]) == ("40", "10 x M4 carbine")
    assert rows[1]["units"] == "Army South engineers (USA, 40)"
    assert {r["state"] for r in rows} == {"proposed"}

    es = await h.client.get("/api/v1/annual-programme/2026.pdf", headers=h.auth("viewer"))
    en = await h.client.get(
        "/api/v1/annual-programme/2026.pdf", params={"lang": "en"}, headers=h.auth("viewer")
    )
    spanish, english = pdf_text(es.content), pdf_text(en.content)
    for text in (
        "PROGRAMA ANUAL DE ACTIVIDADES 2026",
        "Congreso",
        "Armamento",
        "Mariscal Estigarribia (Boquerón)",
        "10 x M4 carbine",
        "Sin armamento",
        "2 actividades; 65 personas en total; 1 con armamento.",
    ):
        assert text in spanish, text
    for text in (
        "ANNUAL PROGRAMME OF ACTIVITIES 2026",
        "No arms",
        "2 activities; 65 persons in all; 1 with arms.",
    ):
        assert text in english, text
    assert "Borrador" not in spanish and "Next year" not in spanish
    next_year = await h.client.get("/api/v1/annual-programme/2027.csv", headers=h.auth("viewer"))
    assert [
        r["title"] for r in csv.DictReader(io.StringIO(next_year.content.decode("utf-8-sig")))
    ] == ["Next year"]
    bad = await h.client.get("/api/v1/annual-programme/2026.xls", headers=h.auth("viewer"))
    assert bad.status_code == 404

    out = tmp_path / "p.pdf"
    args = [
        "--home",
        str(h.node.settings.home),
        "programme",
        "2026",
        "--user",
        "viewer",
        "--out",
        str(out),
        "--lang",
        "en",
    ]
    result = await asyncio.to_thread(CliRunner().invoke, cli_main, args)
    assert result.exit_code == 0, result.output
    assert "2 activities; 65 persons in all" in pdf_text(out.read_bytes())

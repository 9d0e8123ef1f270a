"""`acuerdo incident report|explain` and `acuerdo deadlines` on a usa-pry-2025 node."""

from __future__ import annotations

import asyncio
import io
import json
from pathlib import Path

import case_records as cr
from click.testing import CliRunner
from incident_nodes import row_counts
from pypdf import PdfReader

from acuerdo.cli import main as cli_main
from conftest import NodeHarness


def _cli(home: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli_main, ["--home", str(home), *args])
    return result.exit_code, result.stdout + (result.stderr or "")


async def test_report_explain_and_deadlines(harness: NodeHarness, tmp_path: Path) -> None:
    h = harness
    home = h.node.settings.home
    member = cr.person("USA")
    pdata = cr.record(
        "acuerdo-personal-data",
        salt="1" * 32,
        given_names="Luis",
        family_names="Gómez",
        date_of_birth="1985-01-02",
        nationalities=["USA"],
    )
    member["personal_data_ref"] = pdata["id"]
    r = await h.client.post(
        "/api/v1/records",
        headers=h.auth("registrar"),
        json={"type": "bundle", "id": cr.new_id("bundle"), "objects": [pdata, member]},
    )
    assert r.status_code == 201, r.text
    incident = cr.incident([cr.suspect(member["id"], host=True, sending=False)])
    claim = cr.claim(claimant_kind="government", official_duty=True, currency="PYG")
    file = tmp_path / "incident.json"
    file.write_text(json.dumps([incident, claim]), encoding="utf-8")

    code, out = await asyncio.to_thread(
        _cli, home, "incident", "report", str(file), "--user", "registrar"
    )
    assert code == 0, out
    assert f"written {incident['id']}" in out and f"written {claim['id']}" in out

    code, out = await asyncio.to_thread(
        _cli, home, "incident", "explain", incident["id"], "--user", "viewer", "--at", "2026-03-03"
    )
    assert code == 0, out
    assert "sending-state-exercises, primary USA, exercising USA" in out
    assert "[Art. 3 (wording not public)]" in out
    assert "obligation USA: Notify Paraguay that the United States exercises jurisdiction" in out
    assert "[open]" in out and incident["id"] in out and "rests on:" in out

    code, out = await asyncio.to_thread(
        _cli, home, "incident", "explain", claim["id"], "--user", "viewer"
    )
    assert code == 0 and f"claim {claim['id']}: waived" in out and "Art. 11" in out

    pdf = tmp_path / "jc.pdf"
    code, out = await asyncio.to_thread(
        _cli,
        home,
        "deadlines",
        "--user",
        "viewer",
        "--at",
        "2099-01-01",
        "--pdf",
        str(pdf),
        "--lang",
        "en",
    )
    assert code == 0, out
    assert incident["id"].split("--")[1][:8] in out and "OVERDUE" in out
    text = "".join(p.extract_text() for p in PdfReader(pdf).pages)
    assert "Joint Committee report" in text and "Late items" in text


async def test_the_joint_committee_sees_pending_activities(harness: NodeHarness) -> None:
    """An activity proposed and not yet decided is pending in the view and the report."""
    h = harness
    activity = cr.record(
        "acuerdo-activity",
        activity_type="bilateral-training",
        title="Ejercicio combinado de ingenieros, Chaco",
        purpose="Train host engineers in water-well drilling",
        lifecycle="proposed",
        start="2026-09-01T12:00:00Z",
        end="2026-09-20T12:00:00Z",
        places=[
            {
                "name": "Campo Mariscal Estigarribia",
                "region": "PY-19",
                "latitude": -22.03,
                "longitude": -60.61,
            }
        ],
        units=[{"party": "USA", "name": "U.S. Army South engineers", "personnel": 40}],
        personnel_count=40,
    )
    r = await h.client.post("/api/v1/records", json=activity, headers=h.auth("registrar"))
    assert r.status_code == 201, r.text
    view = await h.client.get("/api/v1/joint-committee?at=2026-09-02", headers=h.auth("viewer"))
    pending = view.json()["pending_activities"]["items"]
    assert [(p["id"], p["state"], p["start_passed"]) for p in pending] == [
        (activity["id"], "proposed", True)
    ]
    pdf = await h.client.get("/api/v1/joint-committee/report?lang=es", headers=h.auth("viewer"))
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    text = " ".join(text.split())
    assert "Actividades pendientes" in text and "Ejercicio combinado de ingenieros" in text


async def test_a_refused_file_writes_nothing_and_says_why(
    harness: NodeHarness, tmp_path: Path
) -> None:
    home = harness.node.settings.home
    file = tmp_path / "claim.json"
    file.write_text(json.dumps(cr.claim(currency="ABC")), encoding="utf-8")
    before = await row_counts(harness.node)
    code, out = await asyncio.to_thread(
        _cli, home, "incident", "report", str(file), "--user", "registrar"
    )
    assert code == 1 and "currency 'ABC' is not an ISO 4217 currency code" in out
    code, out = await asyncio.to_thread(
        _cli, home, "incident", "report", str(file), "--user", "viewer"
    )
    assert code == 1 and "needs one of: registrar, approver, admin" in out
    assert await row_counts(harness.node) == before
    code, out = await asyncio.to_thread(_cli, home, "deadlines", "--user", "viewer", "--at", "soon")
    assert code == 2 and "expected a date" in out

"""Status cards over HTTP and from the shell: issue, verify, revoke, and the checkpoint files."""

from __future__ import annotations

import asyncio
import io
import re
from pathlib import Path

import zxingcpp
from card_support import card_cli, covered_person
from PIL import Image

from conftest import NodeHarness


async def test_issue_verify_revoke_over_http(harness: NodeHarness) -> None:
    h = harness
    person = await covered_person(h.node, h.users["registrar"])
    r = await h.client.post(
        "/api/v1/cards", json={"person_id": person}, headers=h.auth("registrar")
    )
    assert r.status_code == 201, r.text
    issued = r.json()
    assert issued["code"].startswith("SOFA1:") and issued["qr_version"] <= 15
    check = await h.client.post(
        "/api/v1/cards/verify", json={"code": issued["code"]}, headers=h.auth("verifier")
    )
    assert check.json()["valid"] and "Art. 2" in check.json()["allows"][0]
    png = await h.client.post(
        "/api/v1/cards", json={"person_id": person, "format": "png"}, headers=h.auth("registrar")
    )
    assert png.headers["content-type"] == "image/png"
    scanned = zxingcpp.read_barcodes(Image.open(io.BytesIO(png.content)))
    assert scanned and scanned[0].text.startswith("SOFA1:")
    pdf = await h.client.post(
        "/api/v1/cards", json={"person_id": person, "format": "pdf"}, headers=h.auth("registrar")
    )
    assert pdf.content.startswith(b"%PDF")
    revoke = await h.client.post(
        f"/api/v1/cards/{issued['card_record_id']}/revoke",
        json={"reason": "lost"},
        headers=h.auth("registrar"),
    )
    assert revoke.json() == {"card_id": issued["card_id"], "revoked": True}
    again = await h.client.post(
        "/api/v1/cards/verify", json={"code": issued["code"]}, headers=h.auth("verifier")
    )
    assert (again.json()["valid"], again.json()["reason"]) == (False, "revoked")
    listed = await h.client.get("/api/v1/cards/revocations", headers=h.auth("viewer"))
    assert bytes.fromhex(issued["card_id"]) in listed.content


async def test_withheld_or_absent_persons_answer_alike(harness: NodeHarness) -> None:
    h = harness
    person = await covered_person(h.node, h.users["registrar"])
    absent = "acuerdo-covered-person--00000000-0000-4000-8000-000000000000"
    gone = await h.client.post("/api/v1/cards", json={"person_id": absent}, headers=h.auth("admin"))
    # admin may see the person but not the personal data: the same 404 as an absent record
    r = await h.client.post("/api/v1/cards", json={"person_id": person}, headers=h.auth("admin"))
    assert (r.status_code, gone.status_code) == (404, 404)
    assert r.json()["type"] == gone.json()["type"] == "urn:acuerdo:problem:not-found"
    shape = re.compile(r"no record [a-z-]+--[0-9a-f-]{36} here")
    assert shape.fullmatch(r.json()["detail"]) and shape.fullmatch(gone.json()["detail"])
    r = await h.client.post("/api/v1/cards", json={"person_id": person}, headers=h.auth("viewer"))
    assert r.status_code == 403


async def test_cli_issue_then_verify_offline_with_files(
    harness: NodeHarness, tmp_path: Path
) -> None:
    h = harness
    home = h.node.settings.home
    person = await covered_person(h.node, h.users["registrar"])
    image = tmp_path / "card.png"
    issued = await asyncio.to_thread(
        card_cli, home, "issue", person, "--user", "registrar", "--out", str(image)
    )
    assert issued.exit_code == 0, issued.output
    code = issued.stdout.strip().splitlines()[-1]
    bundle, revocations = tmp_path / "trust.json", tmp_path / "revoked.cose"
    assert (
        await asyncio.to_thread(card_cli, home, "trust-bundle", "--out", str(bundle))
    ).exit_code == 0
    listed = await asyncio.to_thread(card_cli, home, "revocations", "--out", str(revocations))
    assert listed.exit_code == 0, listed.output
    # offline: a home with no node at all
    offline = tmp_path / "nowhere"
    args = ("--trust", str(bundle), "--revocations", str(revocations))
    ok = card_cli(offline, "verify", str(image), *args)
    assert ok.exit_code == 0 and ok.stdout.startswith("VALID"), ok.output
    assert "Art. 2" in ok.stdout
    bad = card_cli(offline, "verify", code[:-4] + "AAAA", *args)
    assert bad.exit_code == 1 and bad.stdout.startswith("INVALID")
    assert not offline.exists()

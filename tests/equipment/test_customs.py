"""Customs declarations: gap-free numbers, precise refusals that write nothing, who may
decide (a table), decisions that name one exact version, and the certificate in Spanish
and English. The sending state's node files; the host's node decides; versions travel
between them with their original signatures."""

from __future__ import annotations

import asyncio
import io
from typing import Any

import pytest
from equipment_support import (
    Host,
    deliver,
    host,
    ledger_size,
    post,
    problem,
    radar_import,
)
from pypdf import PdfReader

from acuerdo.domains.equipment import customs
from conftest import NodeHarness

__all__ = ["host"]  # the fixture, imported for pytest

DECLARE = "/api/v1/customs/declarations"


async def declare(h: NodeHarness, body: dict[str, Any] | None = None) -> dict[str, Any]:
    r = await post(h, DECLARE, "registrar", body or radar_import())
    assert r.status_code == 201, r.text
    return dict(r.json())


def decision(host: Host, declaration_id: str) -> str:
    return f"{DECLARE}/{declaration_id}/decision"


async def test_numbers_are_gap_free_even_with_refusals_and_concurrent_filings(
    harness: NodeHarness,
) -> None:
    h = harness
    first = await declare(h)
    assert (first["serial"], first["number"]) == (1, "USA-CD-000001")
    refused = await post(h, DECLARE, "registrar", radar_import(regime="re-export"))
    problem(refused, 422, "an import is temporary or permanent, not re-export")
    second = await declare(h)
    assert second["serial"] == 2  # the refusal took no number
    filed = await asyncio.gather(*(declare(h) for _ in range(6)))
    assert sorted(f["serial"] for f in filed) == [3, 4, 5, 6, 7, 8]
    listed = await h.client.get(DECLARE, headers=h.auth("viewer"))
    assert [d["serial"] for d in listed.json()["items"]] == list(range(1, 9))


async def test_new_declarations_cannot_bypass_the_numbering(harness: NodeHarness) -> None:
    """Through the generic records route a new declaration is refused, whatever its number."""
    h = harness
    from acuerdo.domains.equipment.common import new_record

    obj = new_record("acuerdo-customs-declaration", {"serial": 1, **radar_import()})
    obj["re_export_by"] = "2026-12-01"
    before = await ledger_size(h.node)
    r = await h.client.post("/api/v1/records", json=obj, headers=h.auth("registrar"))
    problem(r, 422, "customs declarations are numbered by the node")
    assert await ledger_size(h.node) == before


def with_item(**change: Any) -> dict[str, Any]:
    body = radar_import()
    body["items"][0] = body["items"][0] | change
    return body


BAD_DECLARATIONS = [
    (with_item(colour="green"), "Additional properties are not allowed ('colour' was unexpected)"),
    (with_item(quantity=-1), "$.items[0].quantity: -1 is less than or equal to the minimum of 0"),
    (with_item(quantity=0), "$.items[0].quantity: 0 is less than or equal to the minimum of 0"),
    (with_item(value=-5), "$.items[0].value: -5 is less than the minimum of 0"),
    (with_item(currency="usd"), "$.items[0].currency: 'usd' does not match"),
    (with_item(quantity=2), "3 serial numbers for a quantity of 2"),
    (radar_import(serial=7), "serial is assigned by the node"),
    (radar_import(items=[]), "$.items: [] should be non-empty"),
    (radar_import(regime="permanent", re_export_by="2027-01-01"), "re_export_by is required"),
    (radar_import(re_export_by="2099-01-01"), "the limit set by parameter temporary-import-period"),
    ({**radar_import(), "direction": "export"}, "an export is permanent or re-export"),
]


@pytest.mark.parametrize(("body", "message"), BAD_DECLARATIONS)
async def test_bad_declarations_are_refused_precisely_and_write_nothing(
    harness: NodeHarness, body: dict[str, Any], message: str
) -> None:
    h = harness
    before = await ledger_size(h.node)
    problem(await post(h, DECLARE, "registrar", body), 422, message)
    assert await ledger_size(h.node) == before
    assert (await declare(h))["serial"] == 1  # the control: the next filing is number 1


async def test_who_may_file(harness: NodeHarness, host: Host) -> None:
    h = harness
    problem(await post(h, DECLARE, "viewer", radar_import()), 403, "registrar, admin")
    problem(await post(h, DECLARE, "analyst", radar_import()), 403)
    problem(await post(host, DECLARE, "admin", radar_import()), 422, "written by a sending state")
    assert (await declare(h))["serial"] == 1


# (host user, expected status, fragment): only approvers of the customs agency decide.
DECIDERS = [
    ("customs", 201, ""),
    ("customs-clerk", 403, "role approver in the host agency 'aduanas'"),
    ("foreign", 403, "in agency 'mre'"),
    ("defence", 403, "in agency 'mdn'"),
    ("admin", 403, "has roles admin in agency 'mre'"),
]


@pytest.mark.parametrize(("user", "status", "fragment"), DECIDERS)
async def test_only_host_customs_approvers_decide(
    harness: NodeHarness, host: Host, user: str, status: int, fragment: str
) -> None:
    h = harness
    filed = await declare(h)
    await deliver(h.node, host.node, [filed["id"]])
    before = await ledger_size(host.node)
    r = await post(host, decision(host, filed["id"]), user, {"outcome": "cleared"})
    if status == 201:
        assert r.status_code == 201, r.text
        assert await ledger_size(host.node) == before + 1
    else:
        problem(r, status, fragment)
        assert await ledger_size(host.node) == before


async def test_the_sending_state_cannot_decide_its_own_declaration(harness: NodeHarness) -> None:
    h = harness
    filed = await declare(h)
    before = await ledger_size(h.node)
    r = await post(h, decision(None, filed["id"]), "admin", {"outcome": "cleared"})  # type: ignore[arg-type]
    problem(r, 403, "customs decisions are written by the host party only")
    assert await ledger_size(h.node) == before


async def amend(h: NodeHarness, declaration_id: str, **change: Any) -> dict[str, Any]:
    """A new version of a declaration through the generic records route (same number)."""
    got = await h.client.get(f"/api/v1/records/{declaration_id}", headers=h.auth("registrar"))
    body = got.json() | change | {"modified": "2030-01-01T00:00:00.000Z"}
    r = await h.client.post("/api/v1/records", json=body, headers=h.auth("registrar"))
    assert r.status_code == 201, r.text
    return body


async def test_a_decision_names_one_exact_version(harness: NodeHarness, host: Host) -> None:
    h = harness
    filed = await declare(h)
    await deliver(h.node, host.node, [filed["id"]])
    v1 = {"modified": filed["modified"], "sha256": filed["sha256"]}
    r = await post(host, decision(host, filed["id"]), "customs", {"outcome": "cleared"})
    assert r.status_code == 201, r.text
    shown = await host.client.get(f"{DECLARE}/{filed['id']}", headers=host.auth("customs"))
    assert shown.json()["status"] == "cleared"
    # The sending state amends: version 2 keeps its number and is pending again.
    await amend(h, filed["id"], consignee="Fuerza Aérea Paraguaya")
    problem(await post(h, DECLARE, "registrar", radar_import(serial=1)), 422, "serial")
    await deliver(h.node, host.node, [filed["id"]])
    shown = await host.client.get(f"{DECLARE}/{filed['id']}", headers=host.auth("customs"))
    assert (shown.json()["status"], shown.json()["serial"]) == ("pending", 1)
    before = await ledger_size(host.node)
    stale = {"outcome": "held", "reason": "inspection", "version": v1}
    problem(
        await post(host, decision(host, filed["id"]), "customs", stale), 422, "no longer current"
    )
    unknown = {"outcome": "cleared", "version": v1 | {"sha256": "0" * 64}}
    problem(
        await post(host, decision(host, filed["id"]), "customs", unknown),
        422,
        "names a version this node does not hold",
    )
    absent = "acuerdo-customs-declaration--8f0e9a52-56a4-4a5c-9a3b-0c2f7a0d4e11"
    problem(await post(host, decision(host, absent), "customs", {"outcome": "cleared"}), 404)
    problem(
        await post(host, decision(host, filed["id"]), "customs", {"outcome": "held"}),
        422,
        "'reason' is a required property",
    )
    assert await ledger_size(host.node) == before
    r = await post(
        host, decision(host, filed["id"]), "customs", {"outcome": "held", "reason": "inspection"}
    )
    assert r.status_code == 201, r.text
    shown = await host.client.get(f"{DECLARE}/{filed['id']}", headers=host.auth("customs"))
    assert (shown.json()["status"], shown.json()["reason"]) == ("held", "inspection")


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


async def test_certificate_in_spanish_and_english(harness: NodeHarness, host: Host) -> None:
    h = harness
    filed = await declare(h, radar_import(consignee="Comando de la Fuerza Aérea"))
    await deliver(h.node, host.node, [filed["id"]])
    r = await post(host, decision(host, filed["id"]), "customs", {"outcome": "cleared"})
    assert r.status_code == 201, r.text
    await deliver(host.node, h.node, [r.json()["id"]])
    url = f"{DECLARE}/{filed['id']}/certificate"
    es = await h.client.get(url, params={"lang": "es"}, headers=h.auth("viewer"))
    en = await h.client.get(url, params={"lang": "en"}, headers=h.auth("viewer"))
    assert es.headers["content-type"] == en.headers["content-type"] == "application/pdf"
    spanish, english = pdf_text(es.content), pdf_text(en.content)
    for text in (
        "Certificado de declaración aduanera",
        "N.º USA-CD-000001",
        "Importación",
        "Temporal (a reexportar)",
        "Despachada (libre de derechos)",
        "texto no público",
        "4.500.000,00",
        "TPS-0001",
        "Comando de la Fuerza Aérea",
        filed["sha256"],
    ):
        assert text in spanish, text
    for text in (
        "Customs declaration certificate",
        "No. USA-CD-000001",
        "Import",
        "Temporary (to be re-exported)",
        "Cleared (duty free)",
        "wording not public",
        "4,500,000.00",
        "4,620,000.50",
        "Radar spare parts kit",
    ):
        assert text in english, text
    assert "Despachada" not in english and "Cleared" not in spanish
    problem(await h.client.get(url, params={"lang": "de"}, headers=h.auth("viewer")), 422)


async def test_certificate_number_is_party_and_serial() -> None:
    assert customs.certificate_number("USA", 42) == "USA-CD-000042"

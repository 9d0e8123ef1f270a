"""The single writer: ownership, audit entries, outboxes, and grants that follow references."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from sqlalchemy import func, select

from acuerdo.federation.tables import federation_outbox as outbox
from acuerdo.ledger.keys import KeyPurpose
from acuerdo.ledger.record import prepare
from acuerdo.ledger.signing import sign_record
from acuerdo.ledger.tables import audit
from acuerdo.ledger.types import RECORD_TYPES
from acuerdo.ledger.writes import Signed
from acuerdo.markings import TLP, TLP2_MARKING_IDS
from conftest import NodeHarness

RED = TLP2_MARKING_IDS[TLP.RED]


def _obj(otype: str = "indicator", **extra: Any) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "type": otype,
        "spec_version": "2.1",
        "id": f"{otype}--{uuid.uuid4()}",
        "created": "2026-07-01T12:00:00Z",
        "modified": "2026-07-01T12:00:00Z",
    }
    if otype == "indicator":
        obj |= {
            "name": "n",
            "pattern": "[url:value = 'http://x.test/']",
            "pattern_type": "stix",
            "valid_from": "2026-07-01T12:00:00Z",
        }
    return obj | extra


async def _count(h: NodeHarness, table: Any, *where: Any) -> int:
    async with h.node.engines.reader.connect() as conn:
        return int(
            (await conn.execute(select(func.count()).select_from(table).where(*where))).scalar_one()
        )


async def test_a_partner_owned_object_cannot_be_versioned_here(harness: NodeHarness) -> None:
    h = harness
    node = h.node
    theirs = _obj()
    draft = prepare(theirs, writer_party="PRY")
    envelope, sig = sign_record(
        draft.body,
        agreement_hash=node.agreement.hash,
        origin="PRY",
        signer=node.keys.signer(KeyPurpose.RECORDS),
    )
    await node.writer.append([Signed(draft, envelope, sig, "PRY", None, ())], actor="PRY")
    newer = dict(theirs, modified="2026-07-02T00:00:00Z")
    r = await h.client.post("/api/v1/records", json=newer, headers=h.auth("analyst"))
    assert r.status_code == 409
    assert "another party" in r.json()["detail"]
    assert "PRY" not in r.json()["detail"]


async def test_each_write_is_audited_and_queued_for_the_partner_the_gate_allows(
    harness: NodeHarness,
) -> None:
    h = harness
    before_audit = await _count(h, audit)
    before_out = await _count(h, outbox, outbox.c.partner == "PRY")
    shared = _obj()  # amber by the agreement's default: releasable to both parties
    red = _obj(object_marking_refs=[RED])  # TLP:RED never goes to a node
    for obj in (shared, red):
        assert (
            await h.client.post("/api/v1/records", json=obj, headers=h.auth("analyst"))
        ).status_code == 201
    assert await _count(h, audit) == before_audit + 2
    assert await _count(h, outbox, outbox.c.partner == "PRY") == before_out + 1


def _secret_and_report() -> tuple[dict[str, Any], dict[str, Any]]:
    """A TLP:RED indicator and a report that names it."""
    secret = _obj(object_marking_refs=[RED])
    report = _obj(
        "report",
        name="weekly",
        published="2026-07-01T12:00:00Z",
        report_types=["threat-report"],
        object_refs=[secret["id"]],
    )
    return secret, report


async def _status(h: NodeHarness, object_id: str, role: str) -> int:
    return (await h.client.get(f"/api/v1/records/{object_id}", headers=h.auth(role))).status_code


async def test_a_record_is_withheld_while_what_it_refers_to_is(harness: NodeHarness) -> None:
    h = harness
    secret, report = _secret_and_report()
    # The report arrives first: it refers to nothing held yet, so everyone may see it...
    assert (
        await h.client.post("/api/v1/records", json=report, headers=h.auth("analyst"))
    ).status_code == 201
    assert await _status(h, report["id"], "viewer") == 200
    # ...then the TLP:RED indicator it names arrives: the report is withheld from the viewer.
    assert (
        await h.client.post("/api/v1/records", json=secret, headers=h.auth("analyst"))
    ).status_code == 201
    assert await _status(h, report["id"], "viewer") == 404
    assert await _status(h, report["id"], "analyst") == 200
    listed = (await h.client.get("/api/v1/records?type=report", headers=h.auth("viewer"))).json()
    assert report["id"] not in [i["record"]["id"] for i in listed["items"]]


@pytest.mark.parametrize("referrer_first", [True, False])
async def test_a_record_and_what_it_refers_to_in_one_write(
    harness: NodeHarness, referrer_first: bool
) -> None:
    """One transaction: the report's grants see the TLP:RED indicator it names, whichever of
    the two is staged first (first: its grants are computed again once the indicator is)."""
    h = harness
    secret, report = _secret_and_report()
    objects = [report, secret] if referrer_first else [secret, report]
    bundle = {"type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": objects}
    assert (
        await h.client.post("/api/v1/records", json=bundle, headers=h.auth("analyst"))
    ).status_code == 201
    assert await _status(h, report["id"], "viewer") == 404
    assert await _status(h, report["id"], "analyst") == 200
    assert await _count(h, outbox, outbox.c.object_id == report["id"]) == 0


async def test_personal_data_is_marked_apart_from_the_person_who_links_it(
    harness: NodeHarness,
) -> None:
    h = harness
    pid = f"acuerdo-personal-data--{uuid.uuid4()}"
    ext = {t.name: t.extension_id for t in RECORD_TYPES}
    personal = _obj(
        "acuerdo-personal-data",
        id=pid,
        salt="0" * 31 + "1",
        given_names="Ana María",
        family_names="Benítez Ortiz",
        date_of_birth="1990-03-01",
        nationalities=["USA"],
        extensions={ext["acuerdo-personal-data"]: {"extension_type": "new-sdo"}},
    )
    person = _obj(
        "acuerdo-covered-person",
        party="USA",
        category="member-of-force",
        service_or_employer="U.S. Army",
        personal_data_ref=pid,
        extensions={ext["acuerdo-covered-person"]: {"extension_type": "new-sdo"}},
    )
    bundle = {"type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": [personal, person]}
    assert (
        await h.client.post("/api/v1/records", json=bundle, headers=h.auth("registrar"))
    ).status_code == 201
    # The viewer sees the covered person but not the personal data it links.
    assert (
        await h.client.get(f"/api/v1/records/{person['id']}", headers=h.auth("viewer"))
    ).status_code == 200
    assert (
        await h.client.get(f"/api/v1/records/{pid}", headers=h.auth("viewer"))
    ).status_code == 404


async def test_a_large_job_hands_the_event_loop_back_while_it_is_checked(
    harness: NodeHarness,
) -> None:
    """The writer's next step must not wait behind a thousand records' checks."""
    node = harness.node
    objs = [_obj() for _ in range(500)]
    turns = 0
    running = asyncio.Event()

    async def other_task() -> None:
        nonlocal turns
        running.set()
        while True:
            turns += 1
            await asyncio.sleep(0)

    ticker = asyncio.create_task(other_task())
    await running.wait()
    before = turns
    drafts = await node.prepare_all(objs)
    during = turns - before
    ticker.cancel()
    assert [d.object_id for d in drafts] == [o["id"] for o in objs]
    # Run in one go, the checks would not let the other task in at all.
    assert during >= 500 // 50 - 1, during
    written = await node.write(objs, user=harness.users["analyst"], prepared=drafts)
    assert len(written) == 500

"""Erasure: personal data is erased on request, and everything still verifies."""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

from sqlalchemy import select

from acuerdo.ledger.audit import verify_chain
from acuerdo.ledger.canonical import canonicalize
from acuerdo.ledger.keys import KeyPurpose
from acuerdo.ledger.record import prepare
from acuerdo.ledger.signing import Envelope, sign_record
from acuerdo.ledger.tables import ledger
from acuerdo.ledger.types import BY_NAME
from acuerdo.ledger.writes import Signed
from conftest import NodeHarness

STAMP = "2026-07-01T12:00:00.000Z"


def _ext(name: str) -> dict[str, Any]:
    return {BY_NAME[name].extension_id: {"extension_type": "new-sdo"}}


def personal(**extra: Any) -> dict[str, Any]:
    obj = {
        "type": "acuerdo-personal-data",
        "spec_version": "2.1",
        "id": f"acuerdo-personal-data--{uuid.uuid4()}",
        "created": STAMP,
        "modified": STAMP,
        "extensions": _ext("acuerdo-personal-data"),
        "salt": uuid.uuid4().hex,
        "given_names": "José María Ángel",
        "family_names": "Giménez Villasboa",
        "date_of_birth": "1988-11-02",
        "nationalities": ["USA"],
        "national_id": {"kind": "DoD ID", "number": "1234567890"},
    }
    return obj | extra


def erasure(target: str) -> dict[str, Any]:
    return {
        "type": "acuerdo-erasure",
        "spec_version": "2.1",
        "id": f"acuerdo-erasure--{uuid.uuid4()}",
        "created": STAMP,
        "modified": STAMP,
        "extensions": _ext("acuerdo-erasure"),
        "personal_data_ref": target,
        "grounds": "request-of-the-person",
    }


async def _rows(h: NodeHarness, object_id: str) -> list[Any]:
    async with h.node.engines.reader.connect() as conn:
        # In ledger order: PostgreSQL returns rows an UPDATE rewrote in any order.
        q = (
            select(ledger.c.body, ledger.c.sha256, ledger.c.envelope)
            .where(ledger.c.object_id == object_id)
            .order_by(ledger.c.seq)
        )
        return list((await conn.execute(q)).all())


async def test_erasure_leaves_hashes_signatures_and_the_audit_chain_verifiable(
    harness: NodeHarness,
) -> None:
    h = harness
    v1 = personal()
    v2 = dict(v1, modified="2026-07-02T12:00:00.000Z", family_names="Giménez de Villasboa")
    for v in (v1, v2):
        assert (
            await h.client.post("/api/v1/records", json=v, headers=h.auth("registrar"))
        ).status_code == 201
    before = await _rows(h, v1["id"])
    r = await h.client.post("/api/v1/records", json=erasure(v1["id"]), headers=h.auth("registrar"))
    assert r.status_code == 201, r.text
    after = await _rows(h, v1["id"])
    assert [row.sha256 for row in after] == [row.sha256 for row in before]
    for row in after:
        stub = json.loads(row.body)
        assert stub["erased"] is True
        assert "Giménez" not in row.body.decode()
        assert "1988" not in row.body.decode() and v1["salt"] not in row.body.decode()
        # The signature covers the envelope, the envelope names the hash: still verifiable.
        assert Envelope.from_bytes(row.envelope).record_hash == row.sha256
    served = await h.client.get(f"/api/v1/records/{v1['id']}", headers=h.auth("registrar"))
    assert json.loads(served.content)["erased"] is True
    async with h.node.engines.reader.connect() as conn:
        assert (await verify_chain(conn)).ok
    # Guessing the content does not confirm the hash without the erased random salt.
    guess = dict(v2, salt=uuid.uuid4().hex)
    assert hashlib.sha256(canonicalize(guess)).hexdigest() not in {row.sha256 for row in after}
    assert hashlib.sha256(canonicalize(v2)).hexdigest() in {row.sha256 for row in after}


async def test_only_the_owner_erases_and_late_personal_data_arrives_erased(
    harness: NodeHarness,
) -> None:
    h = harness
    node = h.node
    theirs = personal(nationalities=["PRY"])
    signer = node.keys.signer(KeyPurpose.RECORDS)

    async def ingest(obj: dict[str, Any], party: str) -> None:
        draft = prepare(obj, writer_party=party)
        env, sig = sign_record(
            draft.body, agreement_hash=node.agreement.hash, origin=party, signer=signer
        )
        await node.writer.append([Signed(draft, env, sig, party, None, ())], actor=party)

    await ingest(theirs, "PRY")
    r = await h.client.post(
        "/api/v1/records", json=erasure(theirs["id"]), headers=h.auth("registrar")
    )
    assert r.status_code == 422
    assert "only by the party" in r.json()["detail"]
    # The partner's erasure reaches this node before a version of the personal data it erases.
    late = dict(theirs, modified="2026-07-03T00:00:00.000Z")
    await ingest(erasure(theirs["id"]), "PRY")
    await ingest(late, "PRY")
    assert all(json.loads(row.body)["erased"] for row in await _rows(h, theirs["id"]))
    # Personal data first seen after its erasure arrives erased too (nothing of it was
    # stored, yet a stored record refers to it: the writer must not skip the lookup).
    unseen = personal(nationalities=["PRY"])
    await ingest(erasure(unseen["id"]), "PRY")
    await ingest(unseen, "PRY")
    assert all(json.loads(row.body)["erased"] for row in await _rows(h, unseen["id"]))

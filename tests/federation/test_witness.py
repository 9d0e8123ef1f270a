"""Witnessed audit heads in process: the signed statement, the proof, and the routes.

Two real nodes on SQLite in one process; PRY talks to USA's app through httpx's ASGI
transport with real RFC 9421 signatures (the puller's own request code). The rewrite of a
node's history seen from its partner in separate processes is in test_witness_nodes.py.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from acuerdo.api.app import create_app
from acuerdo.federation.partners import add_partner, list_partners, requests_public_key
from acuerdo.federation.puller import PartnerRefused, Puller
from acuerdo.federation.tables import federation_witnessed
from acuerdo.federation.witness import (
    FIELDS,
    UnknownHead,
    WitnessRefused,
    check_proof,
    check_statement,
    digests_between,
    give_head,
    given_seq,
    witness,
)
from acuerdo.ledger.audit import AuditEntry, legacy_entry_hash, verify_chain
from acuerdo.ledger.keys import KeyPurpose
from acuerdo.ledger.tables import audit
from acuerdo.node import Node
from conftest import make_node

USA_URL = "http://usa.test"


@pytest.fixture
async def pair(tmp_path: Path) -> AsyncIterator[tuple[Node, Node, Puller]]:
    usa = await make_node(tmp_path / "usa", None, party="USA")
    pry = await make_node(tmp_path / "pry", None, party="PRY")
    await add_partner(usa, "PRY", "http://pry.test", requests_public_key(pry))
    await add_partner(pry, "USA", USA_URL, requests_public_key(usa))
    (partner,) = await list_partners(pry.engines.reader)
    puller = Puller(pry, partner)
    await puller.client.aclose()
    app = create_app(usa.settings, node=usa)
    puller.client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app))
    try:
        yield usa, pry, puller
    finally:
        await puller.close()
        await usa.close()
        await pry.close()


def requests_key_of(node: Node) -> bytes:
    return node.keys.signer(KeyPurpose.REQUESTS).public_key


async def witnessed_heads(node: Node) -> list[str]:
    async with node.engines.reader.connect() as conn:
        return list((await conn.execute(select(federation_witnessed.c.audit_head))).scalars())


async def test_a_head_statement_carries_a_hash_never_a_size_and_only_its_signer_passes(
    pair: tuple[Node, Node, Puller],
) -> None:
    usa, pry, _ = pair
    await usa.audit([AuditEntry("cli", "test.entry", "x", {"n": i}) for i in range(5)])
    statement, signature, seq = await give_head(usa, "PRY")
    doc = statement.to_json()
    assert sorted(doc) == sorted(FIELDS) and str(seq) not in doc.values()
    usa_key = (await list_partners(pry.engines.reader))[0].public_key
    pry_key = (await list_partners(usa.engines.reader))[0].public_key
    expect = {"origin": "USA", "partner": "PRY", "agreement": pry.agreement.hash}
    assert check_statement(doc, signature, **expect, key=usa_key) == statement
    cases = [
        ((doc, signature, pry_key), "not signed by USA's requests key"),
        ((doc | {"audit_head": "0" * 64}, signature, usa_key), "not signed"),
        ((doc | {"entries": "12"}, signature, usa_key), "holds exactly"),
        ((doc | {"audit_head": "zz"}, signature, usa_key), "not a SHA-256"),
        ((doc, signature[:-4], usa_key), "not signed"),
        (([doc], signature, usa_key), "holds exactly"),
    ]
    for (d, s, k), reason in cases:
        with pytest.raises(WitnessRefused, match=reason):
            check_statement(d, s, **expect, key=k)
    with pytest.raises(WitnessRefused, match="names USA to PRY"):
        check_statement(doc, signature, **(expect | {"partner": "USA"}), key=usa_key)
    with pytest.raises(WitnessRefused, match="another agreement"):
        check_statement(doc, signature, **(expect | {"agreement": "ab" * 32}), key=usa_key)


async def test_a_proof_recomputes_the_chain_from_the_witnessed_head_and_nothing_else_does(
    pair: tuple[Node, Node, Puller],
) -> None:
    usa, _, _ = pair
    first, _, s1 = await give_head(usa, "PRY")
    await usa.audit([AuditEntry("cli", "test.entry", "x", {"n": i}) for i in range(7)])
    second, _, s2 = await give_head(usa, "PRY")
    assert await given_seq(usa.engines.reader, "PRY", first.audit_head) == s1
    digests = await digests_between(usa.engines.reader, s1, s2)
    assert len(digests) == s2 - s1 >= 7
    assert check_proof(first.audit_head, digests, second.audit_head) is None
    tampered = [*digests[:2], hashlib.sha256(b"other").hexdigest(), *digests[3:]]
    assert "do not lead to" in str(check_proof(first.audit_head, tampered, second.audit_head))
    assert "do not lead to" in str(check_proof(first.audit_head, digests[1:], second.audit_head))
    stranger = hashlib.sha256(b"not in the chain").hexdigest()
    assert "do not lead to" in str(check_proof(stranger, digests, second.audit_head))
    assert "digest 1 of the proof" in str(check_proof(first.audit_head, [digests[0], "x"], "0"))
    assert "not a list" in str(check_proof(first.audit_head, "abc", second.audit_head))
    with pytest.raises(UnknownHead):
        await given_seq(usa.engines.reader, "PRY", stranger)
    with pytest.raises(UnknownHead):
        await given_seq(usa.engines.reader, "USA", first.audit_head)


async def test_audit_entries_chained_before_digests_still_verify(tmp_path: Path) -> None:
    node = await make_node(tmp_path / "usa", None, party="USA")
    try:
        async with node.engines.writer.begin() as conn:
            rows = (await conn.execute(audit.select().order_by(audit.c.seq))).all()
            prev = "0" * 64
            for r in rows:
                entry = AuditEntry(r.actor, r.action, r.subject, json.loads(r.detail))
                new = legacy_entry_hash(prev, r.seq, r.at, entry, r.detail)
                await conn.execute(
                    audit.update().where(audit.c.seq == r.seq).values(prev=prev, hash=new)
                )
                prev = new
        await node.audit([AuditEntry("cli", "test.entry", "after", {})])
        async with node.engines.reader.connect() as conn:
            report = await verify_chain(conn)
        assert report.ok and report.entries == len(rows) + 1, report
    finally:
        await node.close()


async def test_witness_over_signed_requests_and_the_routes_refuse_precisely(
    pair: tuple[Node, Node, Puller],
) -> None:
    usa, pry, puller = pair
    key = puller.partner.public_key
    verdict = await witness(pry, "USA", key, puller.request)
    assert not verdict.consistent and "no audit head of USA witnessed yet" in verdict.message
    right = puller.partner
    puller.partner = dataclasses.replace(right, public_key=requests_key_of(pry))
    await puller._witness_if_due()  # refused (not USA's signature): logged, never raised
    assert puller._witness_due > 0 and not await witnessed_heads(pry)
    puller.partner, puller._witness_due = right, 0.0
    await puller._witness_if_due()
    assert len(await witnessed_heads(pry)) == 1
    await usa.audit([AuditEntry("cli", "test.entry", "x", {"n": i}) for i in range(3)])
    puller._witness_due = 0.0
    await puller._witness_if_due()
    verdict = await witness(pry, "USA", key, puller.request)
    assert verdict.consistent and verdict.proven == 2, verdict
    stranger = hashlib.sha256(b"never given").hexdigest()
    with pytest.raises(PartnerRefused, match="404 unknown-head: this node never gave PRY"):
        await puller.request("/federation/v1/audit-proof", {"from": stranger})
    with pytest.raises(PartnerRefused, match="422"):
        await puller.request("/federation/v1/audit-proof", {"from": "not-a-hash"})
    with pytest.raises(PartnerRefused, match="422"):
        await puller.request("/federation/v1/audit-proof", {})
    client = puller.client
    for path in ("/federation/v1/audit-head", f"/federation/v1/audit-proof?from={stranger}"):
        r = await client.get(f"{USA_URL}{path}")
        assert r.status_code == 401 and r.headers["content-type"] == "application/problem+json"

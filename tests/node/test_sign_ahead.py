"""Signatures begun ahead of a write are used only for the versions they were made for.

`Node.sign_ahead` starts signing drafts an importer will write first; `Node.write` takes
those signatures for the front of its job and signs the rest, or signs everything afresh
when the front differs; a refused write writes nothing. Every stored signature must verify
against its own version's bytes.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from acuerdo.ledger.keys import KeyPurpose
from acuerdo.ledger.record import RecordError
from acuerdo.ledger.signing import verify_record
from acuerdo.ledger.tables import ledger
from acuerdo.node import Node
from conftest import make_node


@pytest.fixture
async def node(tmp_path: Path) -> AsyncIterator[Node]:
    opened = await make_node(tmp_path / "usa", None)
    try:
        yield opened
    finally:
        await opened.close()


def _indicators(count: int, name: str = "airstrip") -> list[dict[str, Any]]:
    return [
        {
            "type": "indicator",
            "spec_version": "2.1",
            "id": f"indicator--{uuid.uuid4()}",
            "created": "2026-07-01T00:00:00Z",
            "modified": "2026-07-01T00:00:00Z",
            "name": f"{name} {i}",
            "pattern": f"[ipv4-addr:value = '198.51.100.{i % 250}']",
            "pattern_type": "stix",
            "valid_from": "2026-07-01T00:00:00Z",
        }
        for i in range(count)
    ]


async def _stored_and_verified(node: Node, ids: list[str]) -> int:
    """How many versions of these ids the ledger holds; each one's signature must verify."""
    public = node.keys.signers[KeyPurpose.RECORDS].public_key
    async with node.engines.reader.connect() as conn:
        rows = (
            await conn.execute(
                select(ledger.c.body, ledger.c.envelope, ledger.c.signature).where(
                    ledger.c.object_id.in_(ids)
                )
            )
        ).all()
    for body, envelope, signature in rows:
        verify_record(body, envelope, signature, public, agreement_hash=node.agreement.hash)
    return len(rows)


@pytest.mark.asyncio
@pytest.mark.parametrize("ahead", [0, 1, 70, 100])  # none, in place, in the process, all
async def test_the_front_signed_ahead_and_the_rest_then(node: Node, ahead: int) -> None:
    objs = _indicators(100)
    drafts = [node.prepare(o) for o in objs]
    signed = node.sign_ahead(drafts[:ahead])
    await node.write(objs, user=None, prepared=drafts, signed_ahead=signed)
    assert await _stored_and_verified(node, [o["id"] for o in objs]) == 100


@pytest.mark.asyncio
@pytest.mark.parametrize("differs", ["other versions", "another order", "more than the job"])
async def test_signatures_made_for_other_versions_are_not_used(node: Node, differs: str) -> None:
    objs = _indicators(80)
    drafts = [node.prepare(o) for o in objs]
    ahead = {
        "other versions": [node.prepare(o) for o in _indicators(70, "other")],
        "another order": list(reversed(drafts[:70])),
        "more than the job": drafts + [node.prepare(o) for o in _indicators(10, "other")],
    }[differs]
    signed = node.sign_ahead(ahead)
    await node.write(objs, user=None, prepared=drafts, signed_ahead=signed)
    assert await _stored_and_verified(node, [o["id"] for o in objs]) == 80


@pytest.mark.asyncio
async def test_a_refused_write_writes_nothing_and_drops_them(node: Node) -> None:
    objs = _indicators(70)
    objs[-1]["object_marking_refs"] = ["marking-definition--" + str(uuid.uuid4())]
    drafts = [node.prepare(o) for o in objs]
    signed = node.sign_ahead(drafts)
    with pytest.raises(RecordError):
        await node.write(objs, user=None, prepared=drafts, signed_ahead=signed)
    signed.drop()
    assert await _stored_and_verified(node, [o["id"] for o in objs]) == 0

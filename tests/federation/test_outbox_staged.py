"""The outbox projector's staged path gives exactly the entries of reading grants back.

When nothing stored refers to what a transaction wrote and no grant was recomputed, the
projector builds outbox entries from the partners the writer staged instead of reading the
grants, envelopes and signatures back. Two nodes take the same writes, one of them always reading
back; their outboxes must hold the same entries (hashes differ only by the nodes' keys).
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import select

from acuerdo.federation.outbox import OutboxProjector
from acuerdo.federation.tables import federation_outbox
from acuerdo.markings import TLP, TLP2_MARKING_IDS
from acuerdo.node import Node
from acuerdo.policy import party_identity_id
from acuerdo.users import User, add_user
from conftest import make_node

AMBER, RED, GREEN = (TLP2_MARKING_IDS[t] for t in (TLP.AMBER, TLP.RED, TLP.GREEN))


def _indicator(oid: str, modified: str, tlp: str, **extra: Any) -> dict[str, Any]:
    return {
        "type": "indicator",
        "spec_version": "2.1",
        "id": oid,
        "created_by_ref": party_identity_id("USA"),
        "created": "2026-07-01T00:00:00.000Z",
        "modified": modified,
        "name": f"strip {oid[-4:]}",
        "pattern": "[ipv4-addr:value = '10.0.0.1']",
        "pattern_type": "stix",
        "valid_from": "2026-07-01T12:00:00Z",
        "object_marking_refs": [tlp],
        **extra,
    }


def _report(oid: str, modified: str, tlp: str, refs: list[str]) -> dict[str, Any]:
    return {
        "type": "report",
        "spec_version": "2.1",
        "id": oid,
        "created_by_ref": party_identity_id("USA"),
        "created": "2026-07-01T00:00:00.000Z",
        "modified": modified,
        "name": "weekly",
        "published": "2026-07-01T12:00:00Z",
        "report_types": ["threat-report"],
        "object_refs": refs,
        "object_marking_refs": [tlp],
    }


def _id(kind: str) -> str:
    return f"{kind}--{uuid.uuid4()}"


def _t(n: int) -> str:
    return f"2026-07-0{1 + n // 24}T{n % 24:02d}:00:00.000Z"


def _jobs() -> list[list[dict[str, Any]]]:
    """Writes that cross every branch: released, narrowed, widened again, withheld from the
    start, older versions arriving late, several versions in one job, and references (which
    take the reading-back path on both nodes)."""
    x, y, z, r = _id("indicator"), _id("indicator"), _id("indicator"), _id("report")
    many = [_id("indicator") for _ in range(12)]
    marks = (AMBER, RED, GREEN)
    return [
        [_indicator(x, _t(2), AMBER)],
        [_indicator(x, _t(3), RED)],  # narrowed: withdrawn
        [_indicator(x, _t(4), AMBER)],  # released again
        [_indicator(x, _t(1), AMBER)],  # older, arriving late: released, not current
        [_indicator(y, _t(2), RED)],  # never released: nothing to withdraw
        [_indicator(z, _t(2), AMBER), _report(r, _t(2), AMBER, [z])],
        [_indicator(z, _t(3), RED)],  # the report narrows with it
        [_indicator(oid, _t(2), marks[i % 3]) for i, oid in enumerate(many)],
        [  # two versions of one object in one job, and a narrowing of a released one
            _indicator(many[3], _t(3), AMBER),
            _indicator(many[3], _t(5), RED),
            _indicator(many[0], _t(6), RED),
            _indicator(many[1], _t(6), AMBER),  # RED before: now released
        ],
        # A new report referring to a version written beside it whose audience is unchanged
        # (staged path: nothing stored refers to either), then to one that narrows.
        [_indicator(x, _t(5), AMBER), _report(_id("report"), _t(5), AMBER, [x, many[2]])],
        [_indicator(many[4], _t(7), AMBER), _report(_id("report"), _t(7), AMBER, [many[4]])],
        [_indicator(many[4], _t(8), RED)],
    ]


async def _node(home: Path, url: str | None) -> tuple[Node, User]:
    node = await make_node(home, url)
    party = node.agreement.party("USA")
    assert party is not None
    user = await add_user(
        node.engines.writer, party="USA", name="analyst", agency=party.agencies[0].id,
        roles=["analyst"], password=None,
    )  # fmt: skip
    return node, user


async def _entries(node: Node) -> list[tuple[Any, ...]]:
    o = federation_outbox.c
    cols = (o.partner, o.oseq, o.kind, o.ledger_seq, o.object_id, o.version_key)
    async with node.engines.reader.connect() as conn:
        rows = await conn.execute(select(*cols).order_by(o.partner, o.oseq))
        return [tuple(row) for row in rows]


async def test_staged_entries_equal_those_read_back(
    tmp_path: Path, database_url: str | None
) -> None:
    staged, alice = await _node(tmp_path / "staged", database_url)
    read_back, bob = await _node(tmp_path / "read-back", None)
    try:
        projectors = [p for p in read_back.context.projectors if isinstance(p, OutboxProjector)]
        assert len(projectors) == 1
        projectors[0].use_staged = False
        # Each node's bootstrap (its own identity, stamped at init) is not compared.
        skip = len(await _entries(staged))
        assert skip == len(await _entries(read_back))
        for job in _jobs():
            await staged.write(job, user=alice)
            await read_back.write(job, user=bob)
        ours, theirs = (await _entries(staged))[skip:], (await _entries(read_back))[skip:]
        kinds = [e[2] for e in ours]
        assert kinds.count("record") >= 8 and kinds.count("withdrawn") >= 4, kinds
        assert ours == theirs
    finally:
        await staged.close()
        await read_back.close()

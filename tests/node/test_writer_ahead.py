"""The writer reads and stages the next batch while the current one commits (SQLite).

What it staged ahead was read inside the committing transaction, so it must see every row
that transaction wrote; and it is written only if no other writer appended in between, else
it is read and staged again. Each test here fails if either half goes wrong: a stale read
makes the wrong version current, a stale audit head breaks the chain or its sequence.
"""

from __future__ import annotations

import asyncio
import sqlite3
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from acuerdo.ledger import audit as audit_chain
from acuerdo.ledger.tables import grants, objects
from acuerdo.ledger.writer import utc_now
from acuerdo.ledger.writes import PrecedingWriteFailed, Signed, WriteRefused
from acuerdo.node import Node, init_node
from acuerdo.settings import Settings
from conftest import signed_here

VERSIONS = 8


@pytest.fixture
async def node(tmp_path: Path) -> AsyncIterator[Node]:
    # One job a batch: every job after the first is taken while the one before commits.
    settings = Settings(home=tmp_path / "usa", write_batch_max=1)
    await init_node(settings, party="USA", agreement="usa-pry-2025")
    opened = await Node.open(settings)
    try:
        yield opened
    finally:
        await opened.close()


def _versions(node: Node, name: str = "airstrip", object_id: str | None = None) -> list[Signed]:
    """VERSIONS versions of one indicator, oldest first, signed by this node."""
    base: dict[str, Any] = {
        "type": "indicator",
        "spec_version": "2.1",
        "id": object_id or f"indicator--{uuid.uuid4()}",
        "created": "2026-07-01T00:00:00Z",
        "name": "airstrip",
        "pattern": "[ipv4-addr:value = '198.51.100.7']",
        "pattern_type": "stix",
        "valid_from": "2026-07-01T00:00:00Z",
    }
    base["name"] = name
    return [
        signed_here(node, base | {"modified": f"2026-07-{day:02d}T00:00:00Z"})
        for day in range(1, VERSIONS + 1)
    ]


async def _append_each(node: Node, versions: list[Signed]) -> list[int]:
    """Queue every version as its own job at once; the seq each got."""
    done = await asyncio.gather(*(node.writer.append([s], actor="USA:test") for s in versions))
    return [appended[0].seq for appended in done]


async def _current_key(node: Node, object_id: str) -> str:
    """The object's current version key, once the audit chain is checked whole."""
    async with node.engines.reader.connect() as conn:
        report = await audit_chain.verify_chain(conn)
        key = (
            await conn.execute(
                select(objects.c.current_version_key).where(objects.c.object_id == object_id)
            )
        ).scalar_one()
    assert report.ok, report.reason
    return str(key)


async def test_a_batch_staged_ahead_sees_what_the_committing_one_wrote(node: Node) -> None:
    versions = _versions(node)
    seqs = await _append_each(node, versions)
    assert seqs == list(range(seqs[0], seqs[0] + VERSIONS))
    # Each version replaced the one before it: staged on a read that missed the previous
    # batch's rows, a later version would not have cleared its predecessor's grants.
    assert await _current_key(node, versions[0].draft.object_id) == versions[-1].draft.version_key
    async with node.engines.reader.connect() as conn:
        held = (
            await conn.execute(select(grants.c.seq, grants.c.current).where(grants.c.seq.in_(seqs)))
        ).all()
    assert {seq for seq, _ in held} == set(seqs)
    assert {seq for seq, current in held if current} == {seqs[-1]}


async def test_a_batch_staged_ahead_is_staged_again_after_another_writer_appends(
    node: Node,
) -> None:
    """Another process's writer (the CLI, say) appends an audit entry right after the first
    batch commits: the batch staged ahead on the old head must not be written as staged."""
    path = node.settings.home / "acuerdo.sqlite3"
    fired: list[int] = []

    def other_writer() -> None:
        if fired:
            return
        with sqlite3.connect(path, isolation_level=None) as db:
            db.execute("BEGIN IMMEDIATE")
            seq, head = db.execute(
                "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1"
            ).fetchone()
            entry = audit_chain.AuditEntry("USA:cli", "user.add", "USA:someone", {})
            row = audit_chain.row_for(head, seq + 1, utc_now(), entry)
            names = ", ".join(row)
            db.execute(
                f"INSERT INTO audit ({names}) VALUES ({', '.join('?' for _ in row)})",
                list(row.values()),
            )
            db.execute("COMMIT")
        fired.append(seq + 1)

    node.context.commit_listeners.append(other_writer)
    versions = _versions(node)
    seqs = await _append_each(node, versions)
    assert fired, "the other writer never ran"
    assert seqs == list(range(seqs[0], seqs[0] + VERSIONS))
    assert await _current_key(node, versions[0].draft.object_id) == versions[-1].draft.version_key
    with sqlite3.connect(path) as db:
        actions = db.execute(
            "SELECT action FROM audit WHERE seq >= ? - 1 ORDER BY seq LIMIT 3", (fired[0],)
        ).fetchall()
    # The first batch's entry, the other writer's, then the second batch's.
    assert [a for (a,) in actions] == ["record.write", "user.add", "record.write"]


async def test_a_job_queued_to_follow_another_is_written_after_it_or_not_at_all(
    tmp_path: Path,
) -> None:
    settings = Settings(home=tmp_path / "usa")  # batches large enough to hold both jobs
    await init_node(settings, party="USA", agreement="usa-pry-2025")
    node = await Node.open(settings)
    try:
        one, two, three = _versions(node)[:3]
        first = node.writer.enqueue([one], actor="USA:test")
        # Queued together, but never in one transaction: it follows the first's outcome.
        second = node.writer.enqueue([two], actor="USA:test", after=first)
        assert (await second)[0].seq == (await first)[0].seq + 1
        # The same version with other content is refused; what follows it is not written.
        other = _versions(node, name="other", object_id=one.draft.object_id)[0]
        refused = node.writer.enqueue([other], actor="USA:test")
        orphan = node.writer.enqueue([three], actor="USA:test", after=refused)
        with pytest.raises(WriteRefused):
            await refused
        with pytest.raises(PrecedingWriteFailed):
            await orphan
        assert await _current_key(node, one.draft.object_id) == two.draft.version_key
    finally:
        await node.close()

"""Several processes serving one node on PostgreSQL: a commit by any of them wakes the feeds
waiting in the others (NOTIFY in the transaction that adds outbox entries, LISTEN in each
serving process). Two nodes opened on one database stand for two processes. PostgreSQL
only: SQLite is one process by construction."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pytest

from acuerdo.markings import TLP, TLP2_MARKING_IDS
from acuerdo.node import Node
from conftest import make_node

STAMP = "2026-07-01T12:00:00.000Z"


def indicator() -> dict[str, object]:
    return {
        "type": "indicator", "spec_version": "2.1", "id": f"indicator--{uuid.uuid4()}",
        "created": STAMP, "modified": STAMP, "pattern": "[ipv4-addr:value = '203.0.113.7']",
        "pattern_type": "stix", "valid_from": "2026-07-01T12:00:00Z",
        "object_marking_refs": [TLP2_MARKING_IDS[TLP.GREEN]],
    }  # fmt: skip


async def _woken(node: Node, seen: int) -> bool:
    """Whether the node's feed signal moved past `seen` (bounded wait, not a timing test)."""
    for _ in range(200):
        if node.federation.wakeup.generation != seen:
            return True
        await asyncio.sleep(0.05)
    return False


@pytest.mark.parametrize("backend", ["postgres"])
async def test_a_commit_in_another_process_wakes_this_ones_feeds(
    tmp_path: Path, database_url: str | None
) -> None:
    serving = await make_node(tmp_path / "usa", database_url)
    other = await Node.open(serving.settings)
    try:
        await serving.federation.start_listening()
        seen = serving.federation.wakeup.generation
        await other.write([indicator()], user=None)
        assert await _woken(serving, seen)
    finally:
        await other.close()
        await serving.close()

"""What the writer's past batches were made of is freed later, but never kept without bound.

A batch's staged rows are freed while the writer next waits for the checkpointer (or once
`SPENT_MAX` batches are kept), not between two transactions; this checks the bound, and
that closing the node lets them all go.
"""

from __future__ import annotations

import gc
from pathlib import Path

import pytest
from test_durability import _indicator

from acuerdo.ledger.staging import Stage
from acuerdo.ledger.writer import SPENT_MAX
from acuerdo.node import Node, init_node
from acuerdo.settings import Settings


def _live_stages() -> int:
    gc.collect()
    return sum(1 for o in gc.get_objects() if type(o) is Stage)


@pytest.mark.asyncio
async def test_spent_batches_are_bounded_and_freed_on_close(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "usa", write_batch_max=1)
    await init_node(settings, party="USA", agreement="usa-pry-2025")
    node = await Node.open(settings)
    before = _live_stages()
    try:
        for i in range(3 * SPENT_MAX):
            await node.write([_indicator(i)], user=None)
            assert _live_stages() - before <= SPENT_MAX + 1
    finally:
        await node.close()
    assert _live_stages() <= before

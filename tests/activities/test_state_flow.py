"""An activity from proposal to completion across two real nodes: the proposer's and the
host's, with records delivered between them as federation would."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from activity_records import (
    Side,
    activity,
    amended,
    decision,
    deliver,
    pair_of_nodes,
    sha_of,
)
from sqlalchemy import select

from acuerdo.domains.activities.tables import activities
from acuerdo.ledger.record import RecordError
from acuerdo.ledger.writes import WriteRefused
from acuerdo.node import Node

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module", params=["sqlite", "postgres"])
async def pair(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[tuple[Side, Side]]:
    async with pair_of_nodes(str(request.param), tmp_path_factory.mktemp("pair")) as both:
        yield both


async def state(node: Node, activity_id: str) -> str | None:
    async with node.engines.reader.connect() as conn:
        q = select(activities.c.state).where(activities.c.activity_id == activity_id)
        return (await conn.execute(q)).scalar()


async def propose(usa: Side, pry: Side, obj: dict[str, Any]) -> str:
    await usa.node.write([obj], user=usa.users["planner"])
    await deliver(usa.node, pry.node, object_ids={obj["id"]})
    return await sha_of(pry.node, obj["id"], obj["modified"])


async def test_decision_names_a_version_and_an_amendment_needs_a_new_one(
    pair: tuple[Side, Side],
) -> None:
    usa, pry = pair
    v1 = activity()
    sha1 = await propose(usa, pry, v1)
    assert await state(pry.node, v1["id"]) == "proposed"
    ref = {"id": v1["id"], "modified": v1["modified"], "sha256": sha1}
    await pry.node.write([decision(ref)], user=pry.users["decider"])
    assert await state(pry.node, v1["id"]) == "approved"
    await deliver(pry.node, usa.node)
    assert await state(usa.node, v1["id"]) == "approved"
    v2 = amended(v1, "2026-07-02T09:00:00.000Z", personnel_count=55)
    await propose(usa, pry, v2)
    for node in (usa.node, pry.node):
        assert await state(node, v1["id"]) == "proposed"  # v1's approval says nothing of v2
    with pytest.raises(WriteRefused, match="amended"):
        await pry.node.write([decision(ref)], user=pry.users["decider"])


async def test_only_the_competent_agency_decides(pair: tuple[Side, Side]) -> None:
    usa, pry = pair
    v1 = activity()
    sha1 = await propose(usa, pry, v1)
    ref = {"id": v1["id"], "modified": v1["modified"], "sha256": sha1}
    with pytest.raises(WriteRefused, match="approver role"):
        await pry.node.write([decision(ref)], user=pry.users["immigration"])
    with pytest.raises(WriteRefused, match="agency 'mre'"):
        await pry.node.write([decision(ref, agency="mdn")], user=pry.users["duty-officer"])
    with pytest.raises(WriteRefused, match="only the host party"):
        await usa.node.write([decision(ref)], user=usa.users["planner"])
    urgent = decision(ref, path="emergency", agency="mdn")
    with pytest.raises(RecordError, match="not sent as an urgent request"):
        await pry.node.write([urgent], user=pry.users["duty-officer"])
    assert await state(pry.node, v1["id"]) == "proposed"

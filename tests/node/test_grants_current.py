"""Per audience, exactly the newest version of an object that a token may read is current.

Versions of a few indicators, marked so that each version is released to its own set of
tokens (TLP levels), are written in random jobs, several jobs to a transaction or one after
another, newer and older versions in any order. The check reads the grants table back and
compares it with what the rule says, computed here from the stored rows alone: for each
object and token, the current row is the token's row of the greatest version key. It fails
if the writer's shortcut for objects new to a batch (`BatchState.fresh`) misses a later
version of the same object in that batch.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from acuerdo.ledger.tables import grants, ledger
from acuerdo.ledger.writes import Signed
from acuerdo.node import Node, init_node
from acuerdo.settings import Settings
from conftest import signed_here

TLP = [
    "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",  # CLEAR
    "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",  # GREEN
    "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",  # AMBER
    "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",  # RED
]
OBJECTS = 3
DAYS = 6

# A version: (object, day of its `modified`, TLP level).
version = st.tuples(st.integers(0, OBJECTS - 1), st.integers(1, DAYS), st.integers(0, len(TLP) - 1))
# Waves of jobs: the jobs of a wave are queued together (sharing transactions), the waves
# one after another.
waves = st.lists(
    st.lists(st.lists(version, min_size=1, max_size=4), min_size=1, max_size=4),
    min_size=1,
    max_size=3,
)


def _signed(node: Node, oid: str, day: int, level: int) -> Signed:
    obj: dict[str, Any] = {
        "type": "indicator",
        "spec_version": "2.1",
        "id": oid,
        "created": "2026-07-01T00:00:00Z",
        "modified": f"2026-07-{day:02d}T00:00:00Z",
        "name": "airstrip",
        "pattern": "[ipv4-addr:value = '198.51.100.7']",
        "pattern_type": "stix",
        "valid_from": "2026-07-01T00:00:00Z",
        "object_marking_refs": [TLP[level]],
    }
    return signed_here(node, obj)


async def _example(node: Node, plan: list[list[list[tuple[int, int, int]]]]) -> None:
    ids = [f"indicator--{uuid.uuid4()}" for _ in range(OBJECTS)]
    seen: set[tuple[int, int]] = set()  # one content per version: no conflicts
    levels: set[int] = set()  # of the versions written
    for wave in plan:
        jobs = []
        for job in wave:
            versions = []
            for obj, day, level in job:
                if (obj, day) not in seen:
                    seen.add((obj, day))
                    levels.add(level)
                    versions.append(_signed(node, ids[obj], day, level))
            if versions:
                jobs.append(node.writer.append(versions, actor="USA:test"))
        await asyncio.gather(*jobs)
    async with node.engines.reader.connect() as conn:
        rows = (
            await conn.execute(
                select(ledger.c.object_id, ledger.c.version_key, grants.c.token, grants.c.current)
                .join(grants, grants.c.seq == ledger.c.seq)
                .where(ledger.c.object_id.in_(ids))
            )
        ).all()
    by_token: dict[tuple[str, str], list[tuple[str, bool]]] = defaultdict(list)
    for oid, key, token, current in rows:
        by_token[(oid, token)].append((key, bool(current)))
    if 0 in levels:
        assert by_token, "a TLP:CLEAR version was granted to no one"
    for (oid, token), held in by_token.items():
        newest = max(key for key, _ in held)
        assert [key for key, current in held if current] == [newest], (oid, token, held)


def test_the_newest_version_a_token_may_read_is_its_current_one(tmp_path: Path) -> None:
    loop = asyncio.new_event_loop()
    settings_ = Settings(home=tmp_path / "usa")

    async def open_node() -> Node:
        await init_node(settings_, party="USA", agreement="usa-pry-2025")
        return await Node.open(settings_)

    node = loop.run_until_complete(open_node())
    try:

        @settings(max_examples=60, deadline=None, database=None,
                  suppress_health_check=[HealthCheck.too_slow])  # fmt: skip
        @given(plan=waves)
        @example(plan=[[[(0, 1, 3), (0, 1, 0)]]])  # the same version twice: written once
        def check(plan: list[list[list[tuple[int, int, int]]]]) -> None:
            loop.run_until_complete(_example(node, plan))

        check()
    finally:
        loop.run_until_complete(node.close())
        loop.close()

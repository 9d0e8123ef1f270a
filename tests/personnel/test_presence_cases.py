"""Presence through each case: arrival, departure, late notification, host-only arrival,
overstay, re-entry, departure never recorded, expected arrival; and the per-day timeline.

The sending state's records are written through its node; the host's confirmations are
signed by a real host node and taken in, as federation would deliver them.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from personnel_records import (
    BRIDGE,
    confirmation,
    movement,
    order,
    person,
    personal_data,
    take_in,
    version_ref,
)

from acuerdo.domains.personnel.queries import Filters, presence, timeline
from acuerdo.node import Node
from conftest import NodeHarness, make_node

AT = "2026-07-20T12:00:00.000000Z"


@pytest.fixture
async def host(tmp_path: Path) -> AsyncIterator[Node]:
    node = await make_node(tmp_path / "pry", None, party="PRY")
    yield node
    await node.close()


def sha(obj: dict[str, Any]) -> str:
    return hashlib.sha256(repr(sorted(obj.items())).encode()).hexdigest()


async def enrol(h: NodeHarness, valid_until: str = "2026-09-30") -> tuple[str, str]:
    pdata = personal_data()
    p = person(pdata)
    o = order([p["id"]], "2026-07-01", valid_until)
    await h.node.write([pdata, p, o], user=h.users["registrar"])
    return p["id"], o["id"]


async def ids(h: NodeHarness, view: str, at: str = AT, **filters: str) -> set[str]:
    page = await presence(
        h.node, h.users["registrar"], at=at, view=view, filters=Filters(**filters), limit=1000
    )
    return {r["person"] for r in page.rows}


async def test_each_presence_case(harness: NodeHarness, host: Node) -> None:
    h = harness
    reg = h.users["registrar"]
    # arrival, notified and confirmed
    arrived, o1 = await enrol(h)
    m = movement(arrived, o1, "arrival", "2026-07-02T10:00:00Z")
    await h.node.write([m], user=reg)
    await take_in(
        h.node,
        host,
        [confirmation(arrived, "arrival", "2026-07-02T10:40:00Z", version_ref(m, sha(m)))],
    )
    # departure
    left, o2 = await enrol(h)
    await h.node.write(
        [
            movement(left, o2, "arrival", "2026-07-02T10:00:00Z"),
            movement(left, o2, "departure", "2026-07-15T18:00:00Z"),
        ],
        user=reg,
    )
    # host-only arrival, then a late notification of the same crossing
    late, o3 = await enrol(h)
    await take_in(h.node, host, [confirmation(late, "arrival", "2026-07-05T08:00:00Z")])
    assert late in await ids(h, "host-only")
    await h.node.write(
        [
            movement(
                late,
                o3,
                "arrival",
                "2026-07-05T07:30:00Z",
                created="2026-07-06T09:00:00.000Z",
                modified="2026-07-06T09:00:00.000Z",
            )
        ],
        user=reg,
    )
    # host-only arrival never notified
    unseen, _ = await enrol(h)
    await take_in(
        h.node, host, [confirmation(unseen, "arrival", "2026-07-03T14:00:00Z", port=BRIDGE)]
    )
    # overstay: orders ended on 10 July
    over, o5 = await enrol(h, valid_until="2026-07-10")
    await h.node.write([movement(over, o5, "arrival", "2026-07-02T10:00:00Z")], user=reg)
    # re-entry
    again, o6 = await enrol(h)
    await h.node.write(
        [
            movement(again, o6, "arrival", "2026-07-02T10:00:00Z"),
            movement(again, o6, "departure", "2026-07-08T10:00:00Z"),
            movement(again, o6, "arrival", "2026-07-12T10:00:00Z"),
        ],
        user=reg,
    )
    # departure never recorded: two arrivals ten days apart
    stayed, o7 = await enrol(h)
    await h.node.write(
        [
            movement(stayed, o7, "arrival", "2026-07-02T10:00:00Z"),
            movement(stayed, o7, "arrival", "2026-07-12T10:00:00Z"),
        ],
        user=reg,
    )
    # expected: orders, no arrival yet
    expected, _ = await enrol(h)

    present = await ids(h, "present")
    assert present == {arrived, late, unseen, over, again, stayed}
    assert await ids(h, "host-only") == {unseen}  # the late notification cleared `late`
    assert await ids(h, "overstays") == {over}
    assert await ids(h, "departure-unrecorded") == {stayed}
    assert await ids(h, "expected") == {expected}
    assert left in await ids(h, "present", at="2026-07-10T00:00:00.000000Z")
    assert again not in await ids(h, "present", at="2026-07-10T00:00:00.000000Z")
    assert await ids(h, "present", place=BRIDGE["name"]) == {unseen}
    assert await ids(h, "present", category="dependent") == set()

    days = dict(await timeline(h.node, reg, date(2026, 7, 1), date(2026, 7, 20)))
    assert days[date(2026, 7, 1)] == 0
    assert days[date(2026, 7, 2)] == 5  # arrived, left, over, again, stayed
    assert days[date(2026, 7, 3)] == 6  # + unseen
    assert days[date(2026, 7, 10)] == 6  # again is out, late is in
    assert days[date(2026, 7, 20)] == 6  # left is gone, again is back


async def test_presence_lists_pseudonyms_to_roles_without_personal_data(
    harness: NodeHarness,
) -> None:
    h = harness
    pid, oid = await enrol(h)
    await h.node.write(
        [movement(pid, oid, "arrival", "2026-07-02T10:00:00Z")], user=h.users["registrar"]
    )
    named = await presence(h.node, h.users["registrar"], at=AT)
    hidden = await presence(h.node, h.users["viewer"], at=AT)
    assert [r["person"] for r in named.rows] == [r["person"] for r in hidden.rows] == [pid]
    assert named.rows[0]["name"] == "Benítez Ortiz, José María Ignacio"
    assert hidden.rows[0]["name"].startswith("p-") and "Benítez" not in str(hidden.rows)


async def test_a_person_stored_after_their_crossing_counts_in_the_timeline(
    harness: NodeHarness, host: Node
) -> None:
    """The host's confirmation of an arrival may reach this node before the sending state's
    record of the person: the day counts once the person is stored, in a later transaction
    (the writer sees that a stored record names the new person and recounts its days)."""
    h = harness
    reg = h.users["registrar"]
    pdata = personal_data()
    p = person(pdata)
    await take_in(h.node, host, [confirmation(p["id"], "arrival", "2026-07-03T14:00:00Z")])
    days = dict(await timeline(h.node, reg, date(2026, 7, 1), date(2026, 7, 5)))
    assert days[date(2026, 7, 4)] == 0  # no person row yet: nothing to count
    await h.node.write([pdata, p, order([p["id"]])], user=reg)
    days = dict(await timeline(h.node, reg, date(2026, 7, 1), date(2026, 7, 5)))
    assert days[date(2026, 7, 2)] == 0
    assert days[date(2026, 7, 4)] == 1

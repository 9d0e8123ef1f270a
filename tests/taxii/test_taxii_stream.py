"""Live streams over real HTTP: events as versions are committed, revocations, resuming with
Last-Event-ID with nothing lost or repeated, a consumer that falls behind, heartbeats."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from stream_client import open_stream
from taxii_support import RED, LiveNode, blocking, envelope, indicator, live_node

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def live(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[LiveNode]:
    home: Path = tmp_path_factory.mktemp("stream") / "usa"
    async with live_node(home, None) as node:
        yield node


async def post(live: LiveNode, user: str, objs: list[dict[str, object]]) -> None:
    coll = await blocking(live.collection, user)
    status = await blocking(coll.add_objects, envelope(objs), poll_interval=0.05)
    assert status.success_count == len(objs), status.failures


async def test_events_arrive_as_versions_are_written_and_revoked(live: LiveNode) -> None:
    async with open_stream(live.url, live.auth("ben")) as ben:
        first = indicator(1)
        await post(live, "ana", [first])
        event = await ben.next()
        assert (event.event, event.object_id) == ("version", first["id"])
        coll = await blocking(live.collection, "ana")
        await blocking(coll.delete_object, first["id"])
        event = await ben.next()
        assert (event.event, event.object_id) == ("revoked", first["id"])


async def test_withheld_versions_are_not_sent(live: LiveNode) -> None:
    async with open_stream(live.url, live.auth("ben")) as ben:
        secret = indicator(2, object_marking_refs=[RED, live.red_for_ana])
        public = indicator(3)
        await post(live, "ana", [secret])
        await post(live, "ana", [public])
        assert (await ben.next()).object_id == public["id"]  # the secret one never came


async def test_resume_with_last_event_id_loses_and_repeats_nothing(live: LiveNode) -> None:
    batch = [indicator(10 + i) for i in range(5)]
    async with open_stream(live.url, live.auth("ben")) as ben:
        await post(live, "ana", batch[:2])
        last = await ben.next()
        assert last.object_id == batch[0]["id"]
    await post(live, "ana", batch[2:])  # written while ben is away
    resumed = {"Last-Event-ID": last.id, **live.auth("ben")}
    async with open_stream(live.url, resumed) as ben:
        got = [(await ben.next()).object_id for _ in range(4)]
    assert got == [o["id"] for o in batch[1:]]
    # An event id of another user's stream is refused, not honoured.
    import httpx

    async with httpx.AsyncClient() as c:
        r = await c.get(
            f"{live.url}/api/v1/stream", headers={"Last-Event-ID": last.id, **live.auth("ana")}
        )
    assert r.status_code == 400


async def test_a_consumer_that_falls_behind_catches_up(live: LiveNode) -> None:
    many = [indicator(100 + i) for i in range(1200)]
    async with open_stream(live.url, live.auth("ben")) as ben:
        for i in range(0, len(many), 400):  # written faster than ben reads
            await post(live, "ana", many[i : i + 400])
        got = [(await ben.next()).object_id for _ in many]
    assert got == [o["id"] for o in many]


async def test_an_idle_stream_sends_heartbeats(live: LiveNode) -> None:
    async with open_stream(live.url, live.auth("vic")) as vic:
        await vic.heartbeat()
        await vic.heartbeat()
        assert vic.heartbeats >= 2

"""A small server-sent-events reader over real HTTP, for the stream tests and the bench."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import httpx


@dataclass
class Event:
    id: str = ""
    event: str = ""
    data: str = ""

    @property
    def object_id(self) -> str:
        return str(json.loads(self.data)["id"])


@dataclass
class EventReader:
    """Events and heartbeats of one open stream, read as they arrive."""

    lines: AsyncIterator[str]
    heartbeats: int = 0
    pending: Event = field(default_factory=Event)

    async def next(self) -> Event:
        """The next event; heartbeats are counted on the way."""
        async for line in self.lines:
            if line == ": heartbeat":
                self.heartbeats += 1
            elif line.startswith(("id: ", "event: ", "data: ")):
                key, _, value = line.partition(": ")
                setattr(self.pending, key, value)
            elif line == "" and self.pending.data:
                event, self.pending = self.pending, Event()
                return event
        raise EOFError("the stream ended")

    async def heartbeat(self) -> None:
        """Wait for the next heartbeat (no event may come first)."""
        start = self.heartbeats
        async for line in self.lines:
            assert not line.startswith("data: "), line
            if line == ": heartbeat":
                self.heartbeats += 1
            if self.heartbeats > start:
                return


@asynccontextmanager
async def open_stream(
    url: str, headers: dict[str, str], **params: str
) -> AsyncIterator[EventReader]:
    async with (
        httpx.AsyncClient(timeout=30) as client,
        client.stream("GET", f"{url}/api/v1/stream", headers=headers, params=params) as r,
    ):
        assert r.status_code == 200, await r.aread()
        yield EventReader(r.aiter_lines())

"""A wake-up call after every ledger commit, for live streams.

The writer calls `notify` after each commit (WriterContext.commit_listeners). A stream
remembers the generation it last read at; if a commit happened since, it reads at once,
otherwise it waits. Nothing is carried in the signal itself: a stream always reads what it
sends from the ledger, so a missed or merged wake-up loses no event.
"""

from __future__ import annotations

import asyncio
import contextlib


class CommitSignal:
    """Generation counter plus an event replaced at each commit."""

    def __init__(self) -> None:
        self.generation = 0
        self._event = asyncio.Event()

    def notify(self) -> None:
        self.generation += 1
        event, self._event = self._event, asyncio.Event()
        event.set()

    async def wait(self, seen: int, seconds: float) -> bool:
        """Wait for a commit after generation `seen`; False when `seconds` pass first."""
        if self.generation != seen:
            return True
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self._event.wait()
            return True
        return False

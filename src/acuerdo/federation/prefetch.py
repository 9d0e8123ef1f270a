"""Fetching the page after next while the next one is read: the request leaves the critical path.

When a puller is behind, each page passes three stages: its request (the partner reads its
outbox and signs the answer, ~30 µs a record there, plus the transfer), its reading (parse,
chain, record checks and signatures in the reading process) and its application (this
node's writer). The puller applies one page while it reads the next; without this module the
next page's request also waited for that page's turn, so request and reading came one after
the other: on the 40,000-record catch-up the pull of a page (~90 ms of request and ~310 ms
of reading) set the pace, not the ~290 ms of its application.

So as soon as a page's bytes arrive, the cursor it ends at is taken from its head (the
answer's last member, found from the end of the bytes without parsing the entries) and the
page after it is requested at once. The cursor is only a hint, never trusted: a prefetched
answer is used only for the cursor the puller reaches after checking the page's chain and
signed head, so a hint that is wrong, forged or unreadable costs one wasted request and
nothing else. A prefetch that fails is forgotten and the request made again in the
ordinary way, where its failure is handled (divergence, backoff) as any other.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable, Coroutine
from typing import Any

Cursor = tuple[int, str]  # (oseq, entry hash) of the last entry applied

# The serving node writes the head right after the entries (`feed.batch_document`).
_HEAD_MARK = b'],"head":'
# A page's signed head and its signature fit in this many bytes from the end of the page.
_TAIL_BYTES = 4096


def next_cursor(content: bytes) -> tuple[Cursor, int] | None:
    """The cursor a feed answer ends at and the partner's outbox length, as the answer's
    head says (unchecked: a hint); None when the tail is not a head this reader knows."""
    start = content.rfind(_HEAD_MARK, max(0, len(content) - _TAIL_BYTES))
    if start < 0:
        return None
    try:
        tail = json.loads(b"{" + content[start + 2 :])
        head = tail["head"]
        oseq, entry_hash, outbox = head["oseq"], head["hash"], head["outbox_oseq"]
    except (ValueError, TypeError, KeyError):
        return None
    if not (isinstance(oseq, int) and isinstance(outbox, int) and isinstance(entry_hash, str)):
        return None
    return (oseq, entry_hash), outbox


class Prefetch:
    """At most one feed request made ahead, for the cursor the page before it ends at."""

    def __init__(self, fetch: Callable[[Cursor], Coroutine[Any, Any, bytes]]) -> None:
        self._fetch = fetch
        self._ahead: tuple[Cursor, asyncio.Task[bytes]] | None = None
        self.used = 0  # prefetched answers that were used (for tests and the curious)

    async def page(self, cursor: Cursor) -> bytes:
        """The feed answer after `cursor`: the one fetched ahead for it, or a new request;
        when the answer says more entries wait, the page after it is requested at once."""
        content = await self._take(cursor)
        if content is None:
            content = await self._fetch(cursor)
        hint = next_cursor(content)
        if hint is not None:
            after, outbox = hint
            if cursor[0] < after[0] < outbox:
                self._ahead = (after, asyncio.create_task(self._fetch(after)))
        return content

    async def _take(self, cursor: Cursor) -> bytes | None:
        ahead, self._ahead = self._ahead, None
        if ahead is None:
            return None
        hinted, task = ahead
        if hinted != cursor:
            forget(task)
            return None
        try:
            content = await task
        except Exception:  # asked again by the caller, where a failure is handled
            return None
        self.used += 1
        return content

    def drop(self) -> None:
        """Forget the request made ahead (the puller starts over from its stored cursor)."""
        ahead, self._ahead = self._ahead, None
        if ahead is not None:
            forget(ahead[1])


def forget(task: asyncio.Task[Any]) -> None:
    """Cancel a request no one will use; its outcome, whatever it is, is consumed."""
    task.cancel()
    task.add_done_callback(_consume)


def _consume(task: asyncio.Task[Any]) -> None:
    with contextlib.suppress(BaseException):
        task.exception()

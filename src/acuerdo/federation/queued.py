"""Pages a puller has queued to the writer and not yet seen written, oldest first.

A puller that is behind queues page N+1's transaction before page N is written, so that the
writer reads and stages N+1 while N commits (acuerdo.ledger.writer). Each queued transaction
follows the one before it (`Job.after`): the writer never puts two in one transaction and
writes a page only if the one before was written. If one fails, those behind it were not
written either; they are dropped here and the puller pulls them again from its cursor.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from acuerdo.federation.apply import (
    CursorState,
    Plan,
    Queued,
    ReadPage,
    queue_plan,
    settle_plan,
)
from acuerdo.federation.authenticity import Rejected
from acuerdo.federation.prefetch import forget

if TYPE_CHECKING:
    from acuerdo.node import Node


@dataclass
class QueuedPage:
    """A page whose transaction is queued to the writer and not yet settled."""

    queued: Queued  # the transaction's outcome
    settled: asyncio.Task[None]  # `settle_plan` awaiting it
    end: CursorState | None  # the cursor once it is written
    defines: bool  # it adds marking definitions
    count: int  # versions it applies


class QueuedPages:
    """One partner's queued pages (two at most in the puller's loop)."""

    def __init__(self) -> None:
        self._pages: list[QueuedPage] = []
        self.applied = 0  # versions of the pages settled so far

    def __len__(self) -> int:
        return len(self._pages)

    @property
    def last(self) -> QueuedPage | None:
        return self._pages[-1] if self._pages else None

    @property
    def defines(self) -> bool:
        """Does a queued page add marking definitions (the gate's catalog changes on commit)?"""
        return any(p.defines for p in self._pages)

    def may_assess_ahead(self, node: Node, page: ReadPage) -> bool:
        """May this page be assessed before the queued ones are written? Only if nothing in
        its assessment reads the ledger (each check of its record types is declared
        ledger-free) and no queued page adds marking definitions."""
        if self.defines:
            return False
        free = node.ledger_free_checks
        return all(
            check in free
            for read in page.read
            if not isinstance(read, Rejected)
            for check in node.checks.get(read.draft.object_type, ())
        )

    def add(
        self,
        node: Node,
        partner: str,
        plan: Plan,
        end: CursorState | None,
        status: dict[str, Any],
    ) -> None:
        """Queue a page's transaction to follow the last one queued."""
        after = self._pages[-1].queued if self._pages else None
        queued = queue_plan(node, partner, plan, end, status, after)
        settled = asyncio.create_task(settle_plan(node, partner, plan, end, status, queued))
        defines = any(v.draft.object_type == "marking-definition" for v in plan.versions)
        self._pages.append(QueuedPage(queued, settled, end, defines, len(plan.versions)))

    async def settle(self, keep: int = 0) -> None:
        """Wait until all but `keep` pages are written, oldest first. If one failed, the
        pages behind it were not written: they are dropped, and its error raised."""
        while len(self._pages) > keep:
            page = self._pages[0]
            try:
                await page.settled
            except BaseException:
                self.forget()
                raise
            self._pages.pop(0)
            self.applied += page.count

    async def settle_quietly(self) -> None:
        """Settle what is queued before handling an error (its outcome is in the cursor)."""
        with contextlib.suppress(Exception):
            await self.settle()
        self.forget()

    def forget(self) -> None:
        """Stop following the queued pages (the writer still writes or fails them)."""
        for page in self._pages:
            forget(page.settled)
        self._pages.clear()

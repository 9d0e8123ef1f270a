"""The TAXII service of one node: its collections, its reader, its status resources.

Built on first use by the app (no work at import) and kept on `app.state`; when built it
resumes every POST a previous run of the node left unfinished.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
from typing import Any

from fastapi import Request

from acuerdo.api.taxii.collections import CollectionView, load_views
from acuerdo.api.taxii.ingest import BATCH, check_objects, write_valid
from acuerdo.api.taxii.media import TaxiiError
from acuerdo.api.taxii.scan import CollectionReader
from acuerdo.api.taxii.status import StatusRecord, StatusStore
from acuerdo.ledger.reader import CursorCodec
from acuerdo.node import Node
from acuerdo.users import User, get_user

API_ROOT = "intel"


class TaxiiService:
    """Collections, gated reads and asynchronous POST processing for one node."""

    def __init__(self, node: Node) -> None:
        self.node = node
        self.views: tuple[CollectionView, ...] = load_views(
            node.agreement, node.settings.taxii_collections
        )
        self.reader = CollectionReader(node)
        self.statuses = StatusStore(node.engines.writer, node.engines.reader)
        # `next` values are sealed under a key of their own, bound to user, view and filters.
        key = hmac.new(node.secret, b"acuerdo taxii cursors", "sha256").digest()
        self.cursors = CursorCodec(key)
        self._tasks: set[asyncio.Task[None]] = set()

    def view(self, collection_id: str, user: User) -> CollectionView:
        """The collection a user may read or write; any other id answers 404 alike."""
        for v in self.views:
            if v.id == collection_id and (v.can_read(user) or v.can_write(user)):
                return v
        raise TaxiiError(404, f"no collection {collection_id[:40]} here")

    def visible_views(self, user: User) -> list[CollectionView]:
        return [v for v in self.views if v.can_read(user) or v.can_write(user)]

    async def submit(
        self, user: User, view: CollectionView, objects: list[Any], envelope: bytes | None = None
    ) -> StatusRecord:
        """Process a POST; small ones are answered complete, large ones pending.

        A large POST is stored first (with `envelope`, the bytes received, when given), so
        that its status survives a restart; a small one is stored once, complete.
        """
        record = self.statuses.new(user.principal, API_ROOT, view.id, objects)
        if len(objects) <= self.node.settings.taxii_sync_objects:
            await asyncio.shield(self._start(record, user, view, stored=False))
        else:
            await self.statuses.create(record, envelope)
            self._start(record, user, view, stored=True)
        return record

    def _start(
        self, record: StatusRecord, user: User, view: CollectionView, *, stored: bool
    ) -> asyncio.Task[None]:
        work = self._process(record, user, view, stored=stored)
        task = asyncio.create_task(work, name=f"taxii-{record.id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _process(
        self, record: StatusRecord, user: User, view: CollectionView, *, stored: bool
    ) -> None:
        while record.processed < record.total_count:
            start = record.processed
            chunk = record.objects[start : start + BATCH]
            valid, failures = check_objects(self.node, user, view, chunk, start)
            written = await write_valid(self.node, user, valid)
            if stored:
                await self.statuses.add(record, failures + written, start + len(chunk))
            else:
                self.statuses.note(record, failures + written, start + len(chunk))
        if not stored:
            await self.statuses.store_complete(record)

    async def resume(self) -> None:
        """Continue the POSTs a previous run left pending (their requesters still exist)."""
        for record in await self.statuses.unfinished():
            name = record.requester.partition(":")[2]
            user = await get_user(self.node.engines.reader, name)
            view = next((v for v in self.views if v.id == record.collection_id), None)
            if user is None or view is None:
                continue
            self._start(record, user, view, stored=True)

    async def stop(self) -> None:
        """Cancel processing (a restart resumes it from the last recorded batch)."""
        for task in list(self._tasks):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def idle(self) -> None:
        """Wait until every POST being processed is done (tests and shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)


async def taxii_service(request: Request) -> TaxiiService:
    """The app's TAXII service, built (and its unfinished POSTs resumed) on first use."""
    state = request.app.state
    service: TaxiiService | None = getattr(state, "taxii", None)
    if service is not None and service.node is state.node:
        return service
    service = TaxiiService(state.node)
    state.taxii = service
    await service.resume()
    return service

"""What a user sees in a collection: gated index scans of the ledger, sliced into pages.

The release gate's grants decide visibility (RecordReader.page_query: one index range scan
per token of the user), so a user who may see 0.1 % of a million objects reads about a
thousand index entries, never a million rows. The collection's own filters (origin, marking)
and the request's (added_after, match[...]) then apply to the versions found. A request
scans a bounded number of versions: when the bound is reached before the page is full, the
page is shorter and `more` is true, so every request costs about the same whatever is
withheld, and a withheld version never shows in a count or a cursor.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Exists, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from acuerdo.api.taxii.collections import CollectionView
from acuerdo.api.taxii.entries import Entry, in_view, passes
from acuerdo.api.taxii.filters import Filters
from acuerdo.ledger.access import CHANNEL_BITS
from acuerdo.ledger.tables import grants, ledger
from acuerdo.node import Node
from acuerdo.release import Channel, Recipient, recipient_tokens

CHANNEL = Channel.TAXII
SCAN_BUDGET = 5000  # versions one request may examine before answering with `more`


@dataclass(frozen=True)
class Slice:
    """A page of entries; `resume_after` is where the next page starts (None: the end)."""

    entries: list[Entry]
    resume_after: int | None


def _granted(recipient: Recipient) -> Exists:
    tokens = sorted(recipient_tokens(recipient))
    return (
        select(grants.c.seq)
        .where(
            grants.c.seq == ledger.c.seq,
            grants.c.token.in_(tokens),
            grants.c.channels.op("&")(CHANNEL_BITS[CHANNEL]) != 0,
        )
        .exists()
    )


class CollectionReader:
    """Gated reads of one node's ledger for TAXII."""

    def __init__(self, node: Node) -> None:
        self._node = node

    async def start_after(self, conn: AsyncConnection, added_after: str | None) -> int:
        """The ledger position just before the first version added after `added_after`.

        A binary search over the ledger's key (about 20 lookups for a million versions):
        versions are appended in time order, and `passes` rechecks each date exactly.
        """
        if added_after is None:
            return 0
        top = (await conn.execute(select(func.max(ledger.c.seq)))).scalar()
        lo, hi = 1, int(top or 0) + 1
        while lo < hi:
            mid = (lo + hi) // 2
            q = select(ledger.c.seq, ledger.c.received_at).where(ledger.c.seq >= mid)
            row = (await conn.execute(q.order_by(ledger.c.seq).limit(1))).first()
            if row is None or row[1] > added_after:
                hi = mid
            else:
                lo = int(row[0]) + 1
        return lo - 1

    async def _bounds(
        self, conn: AsyncConnection, recipient: Recipient, ids: set[str]
    ) -> dict[str, tuple[str, str]]:
        """First and last version key of each object among the versions the user sees."""
        if not ids:
            return {}
        q = (
            select(
                ledger.c.object_id, func.min(ledger.c.version_key), func.max(ledger.c.version_key)
            )
            .where(ledger.c.object_id.in_(sorted(ids)), _granted(recipient))
            .group_by(ledger.c.object_id)
        )
        return {str(r[0]): (str(r[1]), str(r[2])) for r in await conn.execute(q)}

    async def versions_of(
        self, user_recipient: Recipient, view: CollectionView, object_id: str
    ) -> list[Entry]:
        """Every version of one object the user sees in the collection, in ledger order."""
        found = await self._node.reader.versions(user_recipient, CHANNEL, object_id)
        entries = [Entry.of(v) for v in found]
        return sorted((e for e in entries if in_view(e, view)), key=lambda e: e.seq)

    async def scan(
        self, recipient: Recipient, view: CollectionView, f: Filters, after: int
    ) -> Slice:
        """A page of versions matching the collection and the filters, after `after`."""
        if f.ids:
            return await self._by_ids(recipient, view, f, after)
        types = view.types & f.types if view.types and f.types else view.types or f.types
        if view.types and f.types and not types:
            return Slice([], None)
        found: list[Entry] = []
        pos = after
        if f.added_after is not None:
            async with self._node.engines.reader.connect() as conn:
                pos = max(after, await self.start_after(conn, f.added_after))
        scanned = 0
        batch = min(max(f.limit + 1, 100), 1000)
        while scanned < SCAN_BUDGET:
            # One statement (gated index scans joined to the ledger), one hop on SQLite.
            versions = await self._node.reader.versions_after(
                recipient, CHANNEL, after=pos, limit=batch, types=sorted(types),
                current_only=f.last_only,
            )  # fmt: skip
            if not versions:
                return Slice(found, None)
            entries = [Entry.of(v) for v in versions]
            bounds: dict[str, tuple[str, str]] = {}
            if not (f.last_only or f.all_versions):
                async with self._node.engines.reader.connect() as conn:
                    bounds = await self._bounds(conn, recipient, {e.object_id for e in entries})
            for e in entries:
                scanned += 1
                pos = e.seq
                last = (e.version_key, e.version_key) if f.last_only else bounds.get(e.object_id)
                if in_view(e, view) and passes(e, f, last):
                    if len(found) == f.limit:
                        return Slice(found, found[-1].seq)
                    found.append(e)
            if len(versions) < batch:
                return Slice(found, None)
        return Slice(found, pos)

    async def _by_ids(
        self, recipient: Recipient, view: CollectionView, f: Filters, after: int
    ) -> Slice:
        """match[id]: read those objects' versions directly, not the whole collection."""
        candidates: list[tuple[Entry, tuple[str, str]]] = []
        for object_id in sorted(f.ids):
            versions = await self.versions_of(recipient, view, object_id)
            if versions:
                keys = sorted(e.version_key for e in versions)
                candidates.extend((e, (keys[0], keys[-1])) for e in versions)
        candidates.sort(key=lambda c: c[0].seq)
        found = [e for e, b in candidates if e.seq > after and passes(e, f, b)]
        if len(found) > f.limit:
            return Slice(found[: f.limit], found[f.limit - 1].seq)
        return Slice(found, None)

"""The only way records leave storage: through the release gate's grants.

Every read names a recipient and a channel. A version is handed out only when one of the
recipient's tokens holds a grant for it on that channel, and lists are index range scans over
those few tokens, so a user who may see one record in a million pays for one. A withheld
version and a missing one take the same query and give the same answer: nothing.
"""

from __future__ import annotations

import base64
import json
import os
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import ColumnElement, Dialect, TextClause, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from acuerdo.ledger.access import CHANNEL_BITS
from acuerdo.ledger.rowio import driver_thread, fetch_all
from acuerdo.ledger.tables import grants, ledger
from acuerdo.release import Channel, Recipient, recipient_tokens


@dataclass(frozen=True)
class StoredVersion:
    """A version as served: its canonical bytes and signature, and what the node added."""

    object_id: str
    object_type: str
    kind: str
    version_key: str
    sha256: str
    body: bytes
    envelope: bytes
    signature: bytes
    origin: str
    owner: str
    received_at: str
    applied_markings: tuple[str, ...]
    revoked: bool
    seq: int  # internal: never handed out, cursors are sealed


@dataclass(frozen=True)
class Page:
    items: list[StoredVersion]
    next_cursor: str | None


class CursorError(ValueError):
    """A cursor that this node did not hand out (or that was altered)."""


class CursorCodec:
    """Opaque cursors: the ledger position sealed with AES-GCM under a node key.

    Raw sequence numbers would count writes the reader may not see; sealed ones reveal nothing
    and cannot be forged to jump elsewhere.
    """

    def __init__(self, key: bytes) -> None:
        self._aead = AESGCM(key[:32])

    def seal(self, position: int, scope: str) -> str:
        nonce = _nonce()
        box = self._aead.encrypt(nonce, struct.pack(">Q", position), scope.encode())
        return base64.urlsafe_b64encode(nonce + box).decode().rstrip("=")

    def open(self, cursor: str, scope: str) -> int:
        try:
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
            plain = self._aead.decrypt(raw[:12], raw[12:], scope.encode())
            return int(struct.unpack(">Q", plain)[0])
        except (ValueError, InvalidTag, struct.error):
            raise CursorError(
                "cursor is not valid here: use the next cursor a page returned"
            ) from None


def _nonce() -> bytes:
    return os.urandom(12)


_COLUMNS = (
    ledger.c.seq,
    ledger.c.object_id,
    ledger.c.object_type,
    ledger.c.kind,
    ledger.c.version_key,
    ledger.c.sha256,
    ledger.c.body,
    ledger.c.envelope,
    ledger.c.signature,
    ledger.c.origin,
    ledger.c.owner,
    ledger.c.received_at,
    ledger.c.applied_markings,
    ledger.c.revoked,
)


def _version(r: Any) -> StoredVersion:
    """A row of _COLUMNS, by position (a DB-API tuple or a SQLAlchemy Row)."""
    return StoredVersion(
        object_id=r[1],
        object_type=r[2],
        kind=r[3],
        version_key=r[4],
        sha256=r[5],
        body=bytes(r[6]),
        envelope=bytes(r[7]),
        signature=bytes(r[8]),
        origin=r[9],
        owner=r[10],
        received_at=r[11],
        applied_markings=_markings(r[12]),
        revoked=bool(r[13]),
        seq=int(r[0]),
    )


@lru_cache(maxsize=256)
def _markings(text: str) -> tuple[str, ...]:
    return tuple(json.loads(text))


@lru_cache(maxsize=128)
def _page_sql(current: str, tokens: int, types: int, current_only: bool) -> str:
    """The page query as SQL with named parameters, one text per shape.

    One branch per (token, type): an index range scan of `grants` (primary key (token, seq),
    or (token, object_type, seq) with a type), each stopping after :lim rows; the union of
    the branches is sorted and cut to :lim. A user with few tokens reads few index entries,
    however many records others may see. Built as text once per shape because building and
    compiling the equivalent Core statement cost more than the query itself.
    """
    branches: list[str] = []
    for t in range(tokens):
        for y in range(types or 1):
            conds = [f"token = :t{t}", "seq > :after", "(channels & :mask) != 0"]
            if types:
                conds.append(f"object_type = :y{y}")
            if current_only:
                conds.append(f"{current} = :yes")
            where = " AND ".join(conds)
            branches.append(
                f"SELECT seq FROM (SELECT seq FROM grants WHERE {where} "  # noqa: S608
                f"ORDER BY seq LIMIT :lim) AS b{len(branches)}"
            )
    union = " UNION ".join(branches)
    return f"SELECT seq FROM ({union}) AS merged ORDER BY seq LIMIT :lim"  # noqa: S608


@lru_cache(maxsize=128)
def _rows_sql(page: str) -> str:
    """The versions of a page, in ledger order: the page joined to the ledger's key."""
    cols = ", ".join(f"ledger.{c.name}" for c in _COLUMNS)
    return (
        f"SELECT {cols} FROM ledger JOIN ({page}) AS page "  # noqa: S608
        "ON page.seq = ledger.seq ORDER BY ledger.seq"
    )


@lru_cache(maxsize=128)
def _positional(dialect: Dialect, sql: str) -> tuple[str, tuple[str, ...]]:
    """`sql` with named parameters, compiled for a positional DB-API driver."""
    compiled = text(sql).compile(dialect=dialect)
    return str(compiled), tuple(compiled.positiontup or ())


class RecordReader:
    """Gate-enforced reads of one node's records."""

    def __init__(self, engine: AsyncEngine, cursors: CursorCodec) -> None:
        self._engine = engine
        self._cursors = cursors

    @staticmethod
    def _granted(
        recipient: Recipient, channel: Channel, seq_col: ColumnElement[int]
    ) -> ColumnElement[bool]:
        tokens = sorted(recipient_tokens(recipient))
        return (
            select(grants.c.seq)
            .where(
                grants.c.seq == seq_col,
                grants.c.token.in_(tokens),
                grants.c.channels.op("&")(CHANNEL_BITS[channel]) != 0,
            )
            .exists()
        )

    async def get(
        self, recipient: Recipient, channel: Channel, object_id: str
    ) -> StoredVersion | None:
        """The newest version of an object released to the recipient on the channel.

        Newest among what the recipient may see: a withheld newer version is as absent as
        one never written, so the older one the recipient may see is current for them.
        """
        q = (
            select(*_COLUMNS)
            .where(ledger.c.object_id == object_id, self._granted(recipient, channel, ledger.c.seq))
            .order_by(ledger.c.version_key.desc())
            .limit(1)
        )
        async with self._engine.connect() as conn:
            row = (await conn.execute(q)).first()
        return None if row is None else _version(row)

    async def versions(
        self, recipient: Recipient, channel: Channel, object_id: str
    ) -> list[StoredVersion]:
        """Every version of an object released to the recipient, oldest first."""
        q = (
            select(*_COLUMNS)
            .where(ledger.c.object_id == object_id, self._granted(recipient, channel, ledger.c.seq))
            .order_by(ledger.c.version_key)
        )
        async with self._engine.connect() as conn:
            return [_version(r) for r in await conn.execute(q)]

    def _page_text(
        self,
        recipient: Recipient,
        channel: Channel,
        *,
        after: int,
        limit: int,
        types: Sequence[str],
        current_only: bool,
    ) -> tuple[str, dict[str, Any]]:
        tokens = sorted(recipient_tokens(recipient))
        current = self._engine.dialect.identifier_preparer.quote("current")
        sql = _page_sql(current, len(tokens), len(types), current_only)
        params: dict[str, Any] = {f"t{i}": t for i, t in enumerate(tokens)}
        params.update({f"y{i}": y for i, y in enumerate(types)})
        params.update(after=after, lim=limit, mask=CHANNEL_BITS[channel])
        if current_only:
            params["yes"] = True
        return sql, params

    def page_query(
        self,
        recipient: Recipient,
        channel: Channel,
        *,
        after: int,
        limit: int,
        types: Sequence[str] = (),
        current_only: bool = True,
    ) -> TextClause:
        """One index range scan per (token, type), merged: the query a page runs."""
        sql, params = self._page_text(
            recipient, channel, after=after, limit=limit, types=types, current_only=current_only
        )
        return text(sql).bindparams(**params)

    def page_statement(self, recipient: Recipient, channel: Channel, *, limit: int) -> TextClause:
        """The one statement `page` runs for a first page of current versions (for EXPLAIN):
        the page query joined to the ledger's key."""
        sql, params = self._page_text(
            recipient, channel, after=0, limit=limit, types=(), current_only=True
        )
        return text(_rows_sql(sql)).bindparams(**params)

    async def page(
        self,
        recipient: Recipient,
        channel: Channel,
        *,
        cursor: str | None,
        limit: int,
        types: Sequence[str] = (),
        current_only: bool = True,
    ) -> Page:
        """A page of versions released to the recipient, in ledger order, with the next cursor.

        One statement (the page query joined to the ledger), and on SQLite one hop to the
        driver's thread: a page costs its index range scans and 100 primary-key lookups.
        """
        scope = f"{recipient.party}:{recipient.username or ''}:{channel.value}"
        after = self._cursors.open(cursor, scope) if cursor else 0
        items = await self.versions_after(
            recipient, channel, after=after, limit=limit, types=types, current_only=current_only
        )
        nxt = self._cursors.seal(items[-1].seq, scope) if len(items) == limit else None
        if current_only:
            items = _newest_per_object(items)
        return Page(items, nxt)

    async def versions_after(
        self,
        recipient: Recipient,
        channel: Channel,
        *,
        after: int,
        limit: int,
        types: Sequence[str] = (),
        current_only: bool = True,
    ) -> list[StoredVersion]:
        """The versions the page query finds after a ledger position, in ledger order (a
        reader holding two tokens may get two versions of one object): what `page` reads,
        for callers that keep their own cursors, such as TAXII."""
        sql, params = self._page_text(
            recipient, channel, after=after, limit=limit, types=types, current_only=current_only
        )
        rows_sql = _rows_sql(sql)
        async with self._engine.connect() as conn:
            run = await driver_thread(conn)
            if run is not None:
                positional, names = _positional(conn.dialect, rows_sql)
                values = tuple(params[n] for n in names)
                rows = await run(fetch_all, positional, values)
            else:
                rows = (await conn.execute(text(rows_sql).bindparams(**params))).all()
        return [_version(r) for r in rows]


def _newest_per_object(items: list[StoredVersion]) -> list[StoredVersion]:
    """One version per object: a reader holding two tokens may have a newest for each."""
    newest: dict[str, StoredVersion] = {}
    for v in items:
        if v.object_id not in newest or newest[v.object_id].version_key < v.version_key:
            newest[v.object_id] = v
    return [v for v in items if newest[v.object_id] is v]

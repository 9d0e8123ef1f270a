"""The only way records leave storage: through the release gate's grants.

Every read names a recipient and a channel. A version is handed out only when one of the
recipient's tokens holds a grant for it on that channel, and lists are index range scans over
those few tokens, so a user who may see one record in a million pays for one. A withheld
version and a missing one take the same query and give the same answer: nothing.
"""

from __future__ import annotations

import base64
import os
import json
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import ColumnElement, Select, and_, select, union
from sqlalchemy.ext.asyncio import AsyncEngine

from acuerdo.ledger.access import CHANNEL_BITS
from acuerdo.ledger.tables import grants, ledger, objects
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
    return StoredVersion(
        object_id=r.object_id,
        object_type=r.object_type,
        kind=r.kind,
        version_key=r.version_key,
        sha256=r.sha256,
        body=bytes(r.body),
        envelope=bytes(r.envelope),
        signature=bytes(r.signature),
        origin=r.origin,
        owner=r.owner,
        received_at=r.received_at,
        applied_markings=tuple(json.loads(r.applied_markings)),
        revoked=r.revoked,
        seq=r.seq,
    )


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
        """The current version of an object, if released to the recipient on the channel."""
        q = (
            select(*_COLUMNS)
            .join(objects, objects.c.current_seq == ledger.c.seq)
            .where(
                objects.c.object_id == object_id, self._granted(recipient, channel, ledger.c.seq)
            )
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

    def page_query(
        self,
        recipient: Recipient,
        channel: Channel,
        *,
        after: int,
        limit: int,
        types: Sequence[str] = (),
        current_only: bool = True,
    ) -> Select[Any]:
        """One index range scan per (token, type), merged: the query a page runs."""
        branches = []
        for token in sorted(recipient_tokens(recipient)):
            for otype in types or (None,):
                conds = [
                    grants.c.token == token,
                    grants.c.seq > after,
                    grants.c.channels.op("&")(CHANNEL_BITS[channel]) != 0,
                ]
                if otype is not None:
                    conds.append(grants.c.object_type == otype)
                if current_only:
                    conds.append(grants.c.current.is_(True))
                sub = (
                    select(grants.c.seq)
                    .where(and_(*conds))
                    .order_by(grants.c.seq)
                    .limit(limit)
                    .subquery()
                )
                branches.append(select(sub.c.seq))
        merged = union(*branches).subquery()
        return select(merged.c.seq).order_by(merged.c.seq).limit(limit)

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
        """A page of versions released to the recipient, in ledger order, with the next cursor."""
        scope = f"{recipient.party}:{recipient.username or ''}:{channel.value}"
        after = self._cursors.open(cursor, scope) if cursor else 0
        q = self.page_query(
            recipient, channel, after=after, limit=limit, types=types, current_only=current_only
        )
        async with self._engine.connect() as conn:
            seqs = [int(x) for x in (await conn.execute(q)).scalars()]
            rows = (
                (
                    await conn.execute(
                        select(*_COLUMNS).where(ledger.c.seq.in_(seqs)).order_by(ledger.c.seq)
                    )
                ).all()
                if seqs
                else []
            )
        items = [_version(r) for r in rows]
        nxt = self._cursors.seal(seqs[-1], scope) if len(seqs) == limit else None
        return Page(items, nxt)

"""The events of one user's live stream: new and revoked versions, through the release gate.

Each event is a version the gate releases to the user on the stream channel (a relationship
whose ends are withheld has no grant, so it is never sent). Positions are read from the
ledger, never from a buffer, so a consumer that falls behind or reconnects with
Last-Event-ID catches up with every event; event ids are sealed, so they count nothing the
user may not see. Personal data never travels on a stream: it is read through the audited
API only.
"""

from __future__ import annotations

import hmac
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

from sqlalchemy import func, select

from acuerdo.ledger.reader import CursorCodec
from acuerdo.ledger.tables import ledger
from acuerdo.node import Node
from acuerdo.release import Channel, RecordKind
from acuerdo.streams.signal import CommitSignal
from acuerdo.users import User

BATCH = 500


@dataclass(frozen=True)
class StreamEvent:
    """One server-sent event; `seq` stays on the node, `id` is sealed."""

    seq: int
    id: str
    kind: str  # "version" or "revoked"
    data: bytes

    def encode(self) -> bytes:
        return (
            b"id: "
            + self.id.encode()
            + b"\nevent: "
            + self.kind.encode()
            + b"\ndata: "
            + (self.data + b"\n\n")
        )


HEARTBEAT = b": heartbeat\n\n"


def stream_cursors(node: Node) -> CursorCodec:
    return CursorCodec(hmac.new(node.secret, b"acuerdo stream cursors", "sha256").digest())


def scope_of(user: User) -> str:
    return f"stream:{user.principal}"


async def tail(node: Node) -> int:
    """The ledger position a new stream starts after: now."""
    async with node.engines.reader.connect() as conn:
        return int((await conn.execute(select(func.max(ledger.c.seq)))).scalar() or 0)


async def read_after(
    node: Node, user: User, after: int, types: Sequence[str], cursors: CursorCodec
) -> tuple[list[StreamEvent], int, bool]:
    """Events after a position, the new position, and whether more are waiting."""
    versions = await node.reader.versions_after(
        user.recipient, Channel.STREAM, after=after, limit=BATCH, types=types, current_only=False
    )  # one statement: the gated index scans joined to the ledger
    if not versions:
        return [], after, False
    scope = scope_of(user)
    events = [
        StreamEvent(
            v.seq, cursors.seal(v.seq, scope), "revoked" if v.revoked else "version", v.body
        )
        for v in versions
        if v.kind != RecordKind.PERSONAL.value
    ]
    return events, versions[-1].seq, len(versions) == BATCH


async def event_stream(
    node: Node,
    user: User,
    signal: CommitSignal,
    *,
    after: int,
    types: Sequence[str],
    heartbeat: float,
    follow: bool = True,
) -> AsyncIterator[bytes]:
    """Events as they are committed, from `after` on; a heartbeat when idle.

    Without `follow`, the stream ends once it has sent every event committed so far.
    """
    cursors = stream_cursors(node)
    yield b"retry: 1000\n\n"
    while True:
        seen = signal.generation
        events, after, more = await read_after(node, user, after, types, cursors)
        for e in events:
            yield e.encode()
        if more:
            continue
        if not follow:
            return
        if not await signal.wait(seen, heartbeat):
            yield HEARTBEAT

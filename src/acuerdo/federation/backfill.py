"""`acuerdo federation backfill PARTY`: re-evaluate this node's records for one partner.

For the current version of every object this node's party wrote, the release decision (the
gate's grant rows, as recomputed when what a record refers to changed) is compared with what
the partner's outbox last said of that object: what is now released and was never sent is
queued, what was sent and is no longer released is withdrawn. It runs as one writer job.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from acuerdo.federation.outbox import (
    RECORD,
    WITHDRAWN,
    OutboxWriter,
    last_entries,
    outbox_head,
    released_to,
    versions_at,
)
from acuerdo.ledger.tables import ledger, objects

if TYPE_CHECKING:
    from acuerdo.node import Node


async def _backfill(conn: AsyncConnection, party: str, partner: str) -> tuple[int, int]:
    query = (
        select(objects.c.current_seq)
        .select_from(objects.join(ledger, ledger.c.seq == objects.c.current_seq))
        .where(ledger.c.holder == party)
        .order_by(objects.c.current_seq)
    )
    seqs = [int(s) for s in (await conn.execute(query)).scalars()]
    out = OutboxWriter(partner, await outbox_head(conn, partner))
    added = withdrawn = 0
    for i in range(0, len(seqs), 500):
        chunk = seqs[i : i + 500]
        released = await released_to(conn, partner, chunk)
        versions = await versions_at(conn, chunk)
        held = await last_entries(conn, partner, [versions[s].object_id for s in chunk])
        for seq in chunk:
            v = versions[seq]
            last = held.get(v.object_id)
            if seq in released and last != (RECORD, seq):
                out.add(RECORD, v)
                added += 1
            elif seq not in released and last is not None and last[0] == RECORD:
                out.add(WITHDRAWN, (await versions_at(conn, [last[1]]))[last[1]])
                withdrawn += 1
        await out.flush(conn)
    return added, withdrawn


async def backfill(node: Node, partner: str) -> tuple[int, int]:
    """Queue what became releasable to `partner`, withdraw what no longer is."""
    if partner == node.party or partner not in {p.code for p in node.agreement.model.parties}:
        raise ValueError(f"{partner} is not a partner party of the adopted agreement")
    result: list[tuple[int, int]] = []

    async def step(conn: AsyncConnection) -> None:
        result.append(await _backfill(conn, node.party, partner))

    await node.writer.append([], actor="cli", in_transaction=[step])
    return result[0]

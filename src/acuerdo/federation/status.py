"""What an operator sees of the exchange: per partner, contact, cursor, lag, quarantine,
assessments and divergence (the CLI, the admin route and /metrics show the same)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from acuerdo.federation.apply import load_cursor, store_cursor
from acuerdo.federation.partners import list_partners
from acuerdo.federation.tables import (
    federation_assessments,
    federation_cursors,
    federation_witnessed,
)
from acuerdo.ledger.tables import quarantine
from acuerdo.ledger.writer import utc_now

if TYPE_CHECKING:
    from acuerdo.node import Node


@dataclass(frozen=True)
class PartnerStatus:
    party: str
    url: str
    last_contact: str | None
    cursor: int
    partner_head: int
    behind: int
    seconds_behind: float
    quarantined: int
    flagged: int
    diverged: str | None
    last_error: str | None
    last_witnessed: str | None  # when the partner last signed an audit head held here
    history: str | None  # why its audit history failed a proof, if it did

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class Quarantined:
    id: int
    received_at: str
    source: str
    reason: str


def _seconds_since(stamp: str | None) -> float:
    if not stamp:
        return 0.0
    then = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    return max(0.0, (datetime.now(UTC) - then).total_seconds())


async def federation_status(node: Node) -> list[PartnerStatus]:
    out = []
    c = federation_cursors.c
    for p in await list_partners(node.engines.reader):
        async with node.engines.reader.connect() as conn:
            row = (
                await conn.execute(select(federation_cursors).where(c.partner == p.party))
            ).first()
            q = await conn.execute(
                select(func.count()).where(quarantine.c.source == f"federation:{p.party}")
            )
            quarantined_count = int(q.scalar_one())
            f = await conn.execute(
                select(func.count()).where(federation_assessments.c.partner == p.party)
            )
            flagged = int(f.scalar_one())
            w = federation_witnessed.c
            last_witnessed = (
                await conn.execute(select(func.max(w.signed_at)).where(w.partner == p.party))
            ).scalar_one()
            refuted = (
                await conn.execute(
                    select(w.refuted).where(w.partner == p.party, w.refuted.is_not(None)).limit(1)
                )
            ).scalar_one_or_none()
        m: dict[str, Any] = dict(row._mapping) if row else {}
        cursor, head = int(m.get("oseq", 0)), int(m.get("partner_head", 0))
        behind = max(0, head - cursor)
        out.append(
            PartnerStatus(
                p.party,
                p.url,
                m.get("last_contact"),
                cursor,
                head,
                behind,
                _seconds_since(m.get("caught_up_at")) if behind else 0.0,
                quarantined_count,
                flagged,
                m.get("diverged"),
                m.get("last_error"),
                last_witnessed,
                refuted,
            )
        )
    return out


async def quarantined(node: Node, party: str | None) -> list[Quarantined]:
    q = select(quarantine.c.id, quarantine.c.received_at, quarantine.c.source, quarantine.c.reason)
    if party is not None:
        q = q.where(quarantine.c.source == f"federation:{party}")
    async with node.engines.reader.connect() as conn:
        rows = (await conn.execute(q.order_by(quarantine.c.id))).all()
    return [Quarantined(int(r[0]), r[1], r[2], r[3]) for r in rows]


async def resume(node: Node, party: str) -> bool:
    """Clear a partner's divergence so its puller resumes; False if it had not diverged."""
    cursor = await load_cursor(node, party)
    if not cursor.diverged:
        return False

    async def step(conn: Any) -> None:
        from acuerdo.federation.apply import CursorState

        state = CursorState(cursor.oseq, cursor.entry_hash, None)
        await store_cursor(conn, party, state, {"last_error": None}, utc_now())

    await node.writer.append([], actor="cli", in_transaction=[step])
    return True

"""Pending activities for the Joint Committee's view, from the activities domain's projection.

An activity is pending while the host has not decided on its current version (``proposed``)
or has asked for more information (``information-requested``). Rows are only those whose
current version the release gate grants the user (an indexed EXISTS on ``grants``), so a
withheld activity is absent here as everywhere.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import JsonValue
from sqlalchemy import exists, select

from acuerdo.domains.activities.tables import activities
from acuerdo.ledger.access import CHANNEL_BITS
from acuerdo.ledger.stix import format_instant
from acuerdo.ledger.tables import grants
from acuerdo.node import Node
from acuerdo.release import Channel, recipient_tokens
from acuerdo.users import User

PENDING_STATES = ("proposed", "information-requested")


async def pending_activities(node: Node, user: User, now: datetime) -> list[dict[str, JsonValue]]:
    """Activities awaiting the host's decision, earliest start first; ``start_passed`` flags
    those whose start has come at ``now`` without a decision."""
    a = activities
    tokens = sorted(recipient_tokens(user.recipient))
    granted = exists(
        select(grants.c.seq).where(
            grants.c.seq == a.c.seq,
            grants.c.token.in_(tokens),
            grants.c.channels.op("&")(CHANNEL_BITS[Channel.API]) != 0,
        )
    )
    q = (
        select(
            a.c.activity_id,
            a.c.proposer,
            a.c.activity_type,
            a.c.title,
            a.c.state,
            a.c.start_at,
            a.c.proposed_at,
        )
        .where(a.c.state.in_(PENDING_STATES), a.c.revoked.is_(False), granted)
        .order_by(a.c.start_at, a.c.activity_id)
    )
    async with node.engines.reader.connect() as conn:
        rows = (await conn.execute(q)).all()
    at = format_instant(now)
    return [
        {
            "id": r.activity_id,
            "owner": r.proposer,
            "topic": r.activity_type,
            "summary": f"{r.title} ({r.state}; starts {r.start_at[:16]}Z)",
            "state": r.state,
            "start_at": r.start_at,
            "proposed_at": r.proposed_at,
            "start_passed": r.start_at <= at,
        }
        for r in rows
    ]

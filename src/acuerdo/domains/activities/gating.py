"""The release gate as SQL for activity queries, and the host's local time.

An activity (or instrument) row carries the ledger seq of its current version; a caller sees
the row when one of its tokens holds a grant for that seq on the channel: an indexed EXISTS
on `grants`, never a filter in Python.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, exists, select

from acuerdo.domains.activities.conflicts import Gate
from acuerdo.ledger.access import CHANNEL_BITS
from acuerdo.ledger.tables import grants, objects
from acuerdo.node import Node
from acuerdo.release import Channel, recipient_tokens
from acuerdo.users import User


def gate(user: User, channel: Channel = Channel.API) -> Gate:
    """The gate as SQL over a table with a `seq` column (its current version's)."""
    tokens = sorted(recipient_tokens(user.recipient))

    def visible(table: Any) -> ColumnElement[bool]:
        return exists(
            select(grants.c.seq).where(
                grants.c.seq == table.c.seq,
                grants.c.token.in_(tokens),
                grants.c.channels.op("&")(CHANNEL_BITS[channel]) != 0,
            )
        )

    return visible


def object_visible(user: User, id_column: Any) -> ColumnElement[bool]:
    """The caller holds a grant for the current version of the object `id_column` names."""
    tokens = sorted(recipient_tokens(user.recipient))
    return exists(
        select(grants.c.seq)
        .select_from(objects.join(grants, grants.c.seq == objects.c.current_seq))
        .where(
            objects.c.object_id == id_column,
            grants.c.token.in_(tokens),
            grants.c.channels.op("&")(CHANNEL_BITS[Channel.API]) != 0,
        )
    )


def parse_instant(text: str) -> datetime:
    return datetime.fromisoformat(text.rstrip("Z") + "+00:00")


def zone_of(node: Node) -> ZoneInfo:
    """The host's local time zone: the agreement's calendar's, else UTC."""
    calendars = node.agreement.model.calendars
    return ZoneInfo(calendars[0].timezone) if calendars else ZoneInfo("UTC")

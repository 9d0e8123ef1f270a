"""Movements of aircraft, vessels and vehicles "with due notification", and their
acknowledgement by the host.

The notice the agreement asks for is a parameter of the movement provision. A period that
runs from a notification runs from the host's receipt of it (DESIGN.md, time): the receipt
is the time the host's acknowledgement records, or, on the host's own node before it
acknowledges, the time its ledger received the version. Until one of those is known the
sender's own clock stands in, and the row says the receipt is unconfirmed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from acuerdo.domains.equipment.answers import write_answer
from acuerdo.domains.equipment.common import (
    CRAFT_ACK,
    CRAFT_MOVEMENT,
    CRAFT_PROVISION,
    EquipmentRefused,
    Seen,
    answer_for,
    answers_by_ref,
    citation,
    file_new,
    period_of,
    provision,
    require_sending,
    visible,
)
from acuerdo.ledger import stix
from acuerdo.ledger.record import Draft, RecordError
from acuerdo.ledger.writes import Appended
from acuerdo.node import Node
from acuerdo.users import User

NOTIFIERS = ("registrar", "admin")
UNITS = {"minutes": 1 / 60, "hours": 1.0, "calendar-days": 24.0}


async def check_movement(node: Node, draft: Draft, drafts: Sequence[Draft]) -> None:
    """A notification is the sending state's, and its craft arrives after it departs."""
    del drafts
    require_sending(node, draft, "craft movement notifications")
    o = draft.obj
    if stix.parse_timestamp(o["arrives"], "arrives") < stix.parse_timestamp(
        o["departs"], "departs"
    ):
        raise RecordError(f"{draft.object_id}: arrives ({o['arrives']}) is before departs")


CHECKS = ((CRAFT_MOVEMENT, check_movement),)


def notice_hours(node: Node) -> tuple[float, str]:
    """The notice the agreement asks for, in hours, and the parameter that sets it."""
    param = period_of(node, provision(node, CRAFT_PROVISION).notice)
    if param.unit not in UNITS:
        raise RecordError(f"parameter {param.id} must be in hours, minutes or calendar days")
    return float(param.value) * UNITS[param.unit], param.id


async def notify(
    node: Node, user: User, content: Mapping[str, Any]
) -> tuple[dict[str, Any], Appended]:
    """File a craft movement notification."""
    if not user.has_any(NOTIFIERS):
        raise EquipmentRefused(
            f"notifying craft movements needs one of the roles {', '.join(NOTIFIERS)}",
            403,
            "forbidden",
        )
    return await file_new(node, user, CRAFT_MOVEMENT, content)


async def acknowledge(
    node: Node, user: User, movement_id: str, remarks: str | None, version: Mapping[str, Any] | None
) -> tuple[dict[str, Any], Appended]:
    """The host acknowledges a notification, recording when its node received that version."""

    def props(seen: Seen) -> dict[str, Any]:
        return {"received": seen.version.received_at, **({"remarks": remarks} if remarks else {})}

    obj, appended, _ = await write_answer(node, user, CRAFT_ACK, movement_id, props, version)
    return obj, appended


def _receipt(node: Node, seen: Seen, ack: Seen | None) -> tuple[str, str]:
    if ack is not None:
        return str(ack.body["received"]), "acknowledged"
    if seen.version.owner != node.party:
        return seen.version.received_at, "received here"
    return str(seen.body["modified"]), "unconfirmed: sender's clock"


def movement_row(node: Node, seen: Seen, ack: Seen | None, required: float) -> dict[str, Any]:
    b = seen.body
    notified, basis = _receipt(node, seen, ack)
    start = stix.parse_timestamp(b["departs"], "departs")
    given = start - stix.parse_timestamp(notified, "notified")
    return {
        "id": seen.id,
        "party": seen.version.owner,
        "craft": b["craft"],
        "direction": b["direction"],
        "route": [p["name"] for p in b["route"]],
        "departs": b["departs"],
        "arrives": b["arrives"],
        "cargo_category": b["cargo_category"],
        "arms_aboard": b["arms_aboard"],
        "notified": notified,
        "receipt": basis,
        "notice_hours": round(given / timedelta(hours=1), 2),
        "required_hours": required,
        "late": given < timedelta(hours=required),
        "acknowledged": ack is not None,
        "acknowledged_by": None if ack is None else ack.body["agency"],
        "revoked": seen.version.revoked,
        "version": {"modified": b["modified"], "sha256": seen.version.sha256},
    }


async def movements(node: Node, user: User) -> dict[str, Any]:
    """Every craft movement the user may see, with its notice and whether it was late."""
    required, param = notice_hours(node)
    seen = await visible(node, user, [CRAFT_MOVEMENT, CRAFT_ACK])
    acks = answers_by_ref([s for s in seen if s.version.object_type == CRAFT_ACK], "notification")
    rows = [
        movement_row(node, s, answer_for(s, acks, "notification"), required)
        for s in seen
        if s.version.object_type == CRAFT_MOVEMENT
    ]
    rows.sort(key=lambda r: (r["departs"], r["id"]))
    basis = citation(node, provision(node, CRAFT_PROVISION))
    return {"notice": {"parameter": param, "hours": required, **basis}, "items": rows}

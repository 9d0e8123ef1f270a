"""Frequency requests by the sending state and the host regulator's assignment decisions.

The agreement lets the sending state use its own telecommunications and the spectrum they
need; the host's spectrum regulator (named in the agreement file) assigns each request,
with or without conditions, or refuses it, naming the exact version it decides.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from acuerdo.domains.equipment.answers import write_answer
from acuerdo.domains.equipment.common import (
    FREQUENCY_ASSIGNMENT,
    FREQUENCY_REQUEST,
    TELECOMS,
    EquipmentRefused,
    Seen,
    answer_for,
    answers_by_ref,
    citation,
    file_new,
    provision,
    require_sending,
    visible,
)
from acuerdo.ledger.record import Draft, RecordError
from acuerdo.ledger.writes import Appended
from acuerdo.node import Node
from acuerdo.users import User

REQUESTERS = ("registrar", "admin")


async def check_request(node: Node, draft: Draft, drafts: Sequence[Draft]) -> None:
    """A request is the sending state's; its bands and dates run forwards."""
    del drafts
    require_sending(node, draft, "frequency requests")
    o, oid = draft.obj, draft.object_id
    for n, band in enumerate(o["bands"]):
        if float(band["low_mhz"]) >= float(band["high_mhz"]):
            raise RecordError(f"{oid}: $.bands[{n}]: low_mhz must be below high_mhz")
    if str(o["valid_until"]) < str(o["valid_from"]):
        raise RecordError(f"{oid}: valid_until is before valid_from")


CHECKS = ((FREQUENCY_REQUEST, check_request),)


async def request(
    node: Node, user: User, content: Mapping[str, Any]
) -> tuple[dict[str, Any], Appended]:
    """File a frequency request."""
    if not user.has_any(REQUESTERS):
        raise EquipmentRefused(
            f"requesting frequencies needs one of the roles {', '.join(REQUESTERS)}",
            403,
            "forbidden",
        )
    return await file_new(node, user, FREQUENCY_REQUEST, content)


async def assign(
    node: Node,
    user: User,
    request_id: str,
    decision: Mapping[str, Any],
    version: Mapping[str, Any] | None = None,
) -> tuple[dict[str, Any], Appended]:
    """The host regulator's decision: outcome, conditions or reason, as the schema asks."""
    props = {k: decision[k] for k in ("outcome", "conditions", "reason") if k in decision}
    obj, appended, _ = await write_answer(
        node, user, FREQUENCY_ASSIGNMENT, request_id, props, version
    )
    return obj, appended


def request_row(seen: Seen, decision: Seen | None) -> dict[str, Any]:
    b = seen.body
    return {
        "id": seen.id,
        "party": seen.version.owner,
        "purpose": b["purpose"],
        "bands": b["bands"],
        "max_power_w": b["max_power_w"],
        "places": [p["name"] for p in b["places"]],
        "valid_from": b["valid_from"],
        "valid_until": b["valid_until"],
        "status": "pending" if decision is None else decision.body["outcome"],
        "conditions": [] if decision is None else decision.body.get("conditions", []),
        "reason": None if decision is None else decision.body.get("reason"),
        "revoked": seen.version.revoked,
        "version": {"modified": b["modified"], "sha256": seen.version.sha256},
    }


async def requests(node: Node, user: User) -> dict[str, Any]:
    """Every frequency request the user may see, with the decision on its current version."""
    seen = await visible(node, user, [FREQUENCY_REQUEST, FREQUENCY_ASSIGNMENT])
    decided = answers_by_ref(
        [s for s in seen if s.version.object_type == FREQUENCY_ASSIGNMENT], "request"
    )
    rows = [
        request_row(s, answer_for(s, decided, "request"))
        for s in seen
        if s.version.object_type == FREQUENCY_REQUEST
    ]
    rows.sort(key=lambda r: (r["valid_from"], r["id"]))
    return {"basis": citation(node, provision(node, TELECOMS)), "items": rows}

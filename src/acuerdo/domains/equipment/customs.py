"""Customs declarations under the duty exemption: numbering, the rules each version meets,
and filing and deciding them.

A declaration is numbered by the node that files it: 1, 2, 3... for that party, with no gap
and no repeat. The number is taken under a per-node lock together with the write, so two
filings at once cannot take the same number and a refused filing consumes none; an amended
version keeps its number. A re-export names, item by item, the temporary import it returns,
and may not return more than was imported nor serial numbers that were never imported.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Mapping, Sequence
from contextvars import ContextVar
from datetime import date, timedelta
from typing import Any

from acuerdo.domains.equipment.answers import write_answer
from acuerdo.domains.equipment.common import (
    CUSTOMS_DECISION,
    DECLARATION,
    DUTY_FREE,
    EquipmentRefused,
    count_objects,
    current_bodies,
    current_body,
    new_record,
    period_of,
    provision,
    require_sending,
)
from acuerdo.ledger.record import Draft, RecordError
from acuerdo.ledger.writes import Appended
from acuerdo.node import Node
from acuerdo.users import User

FILERS = ("registrar", "admin")
ASSIGNED = ("type", "spec_version", "id", "created", "modified", "serial", "extensions")
REGIMES = {"import": ("temporary", "permanent"), "export": ("permanent", "re-export")}

_numbering: ContextVar[bool] = ContextVar("acuerdo_customs_numbering", default=False)
_locks: weakref.WeakKeyDictionary[Node, asyncio.Lock] = weakref.WeakKeyDictionary()


def _lock(node: Node) -> asyncio.Lock:
    lock = _locks.get(node)
    if lock is None:
        lock = _locks[node] = asyncio.Lock()
    return lock


def certificate_number(party: str, serial: int) -> str:
    """How a declaration's number is printed: the declaring party and its serial."""
    return f"{party}-CD-{serial:06d}"


def re_export_limit(node: Node, declared: date) -> date:
    """The latest re-export date the agreement allows for goods declared on `declared`."""
    param = period_of(node, provision(node, DUTY_FREE).period)
    if param.unit != "calendar-days":
        raise RecordError(f"parameter {param.id} must count calendar days, not {param.unit}")
    return declared + timedelta(days=int(param.value))


def _declared_on(obj: Mapping[str, Any]) -> date:
    return date.fromisoformat(str(obj["created"])[:10])


def _check_shape(node: Node, obj: Mapping[str, Any], oid: str) -> None:
    direction, regime = str(obj["direction"]), str(obj["regime"])
    if regime not in REGIMES[direction]:
        allowed = " or ".join(REGIMES[direction])
        raise RecordError(f"{oid}: an {direction} is {allowed}, not {regime}")
    lines = [int(i["line"]) for i in obj["items"]]
    if len(set(lines)) != len(lines):
        raise RecordError(f"{oid}: item line numbers must be unique")
    for n, item in enumerate(obj["items"]):
        if "serial_numbers" in item and len(item["serial_numbers"]) > float(item["quantity"]):
            raise RecordError(
                f"{oid}: $.items[{n}]: {len(item['serial_numbers'])} serial numbers for a "
                f"quantity of {item['quantity']}"
            )
        if ("reexport_of" in item) != (regime == "re-export"):
            raise RecordError(
                f"{oid}: $.items[{n}]: reexport_of is required on a re-export, and only there"
            )
    temporary = direction == "import" and regime == "temporary"
    if temporary != ("re_export_by" in obj):
        raise RecordError(f"{oid}: re_export_by is required on a temporary import, and only there")
    if temporary:
        limit = re_export_limit(node, _declared_on(obj))
        if date.fromisoformat(str(obj["re_export_by"])) > limit:
            p = provision(node, DUTY_FREE)
            raise RecordError(
                f"{oid}: re_export_by {obj['re_export_by']} is later than {limit.isoformat()}, "
                f"the limit set by parameter {p.period} (provision {p.id})"
            )


async def _check_numbering(node: Node, draft: Draft, drafts: Sequence[Draft]) -> None:
    oid, serial = draft.object_id, int(draft.obj["serial"])
    async with node.engines.reader.connect() as conn:
        stored = await current_body(conn, oid)
        if stored is not None:
            if int(stored["serial"]) != serial:
                raise RecordError(f"{oid}: a declaration keeps its number {stored['serial']}")
            return
        if not _numbering.get():
            raise RecordError(
                f"{oid}: customs declarations are numbered by the node: file them with "
                "POST /api/v1/customs/declarations or `acuerdo customs declare`"
            )
        if sum(d.object_type == DECLARATION for d in drafts) > 1:
            raise RecordError("file one new customs declaration at a time")
        expected = await count_objects(conn, DECLARATION, draft.owner) + 1
    if serial != expected:
        raise RecordError(f"{oid}: serial must be {expected}, the next number, not {serial}")


def _returned(
    bodies: Mapping[str, Mapping[str, Any]], skip: str
) -> dict[tuple[str, int], tuple[float, set[str]]]:
    """Quantity and serial numbers re-exported so far per (import, line), `skip` left out."""
    out: dict[tuple[str, int], tuple[float, set[str]]] = {}
    for oid, body in bodies.items():
        if oid == skip or body.get("revoked") or body.get("regime") != "re-export":
            continue
        for item in body["items"]:
            key = (str(item["reexport_of"]["declaration_ref"]), int(item["reexport_of"]["line"]))
            qty, serials = out.get(key, (0.0, set()))
            out[key] = (
                qty + float(item["quantity"]),
                serials | set(item.get("serial_numbers", ())),
            )
    return out


async def _check_reexport(node: Node, draft: Draft) -> None:
    obj, oid = draft.obj, draft.object_id
    if obj.get("regime") != "re-export" or draft.revoked:
        return
    async with node.engines.reader.connect() as conn:
        bodies = await current_bodies(conn, DECLARATION)
    done = _returned(bodies, oid)
    for n, item in enumerate(obj["items"]):
        ref = item["reexport_of"]
        where = f"{oid}: $.items[{n}].reexport_of"
        source = bodies.get(str(ref["declaration_ref"]))
        if source is None or source.get("revoked") or source["regime"] != "temporary":
            raise RecordError(f"{where}: {ref['declaration_ref']} is no temporary import held here")
        lines = {int(i["line"]): i for i in source["items"]}
        imported = lines.get(int(ref["line"]))
        if imported is None:
            raise RecordError(f"{where}: {ref['declaration_ref']} has no line {ref['line']}")
        before, returned = done.get((str(ref["declaration_ref"]), int(ref["line"])), (0.0, set()))
        if before + float(item["quantity"]) > float(imported["quantity"]):
            left = float(imported["quantity"]) - before
            raise RecordError(
                f"{where}: re-exports {item['quantity']} but only {left:g} of line "
                f"{ref['line']} remain to be re-exported"
            )
        serials = set(item.get("serial_numbers", ()))
        unknown = serials - set(imported.get("serial_numbers", ()))
        again = serials & returned
        if unknown or again:
            bad = sorted(unknown or again)
            why = "were not imported on that line" if unknown else "were re-exported already"
            raise RecordError(f"{where}: serial numbers {', '.join(bad)} {why}")


async def check_declaration(node: Node, draft: Draft, drafts: Sequence[Draft]) -> None:
    """Every version of a declaration: the sending state's, well formed, well numbered."""
    require_sending(node, draft, "customs declarations")
    _check_shape(node, draft.obj, draft.object_id)
    await _check_numbering(node, draft, drafts)
    await _check_reexport(node, draft)


CHECKS = ((DECLARATION, check_declaration),)


def _refuse_assigned(content: Mapping[str, Any]) -> None:
    for key in ASSIGNED:
        if key in content:
            raise EquipmentRefused(
                f"{key} is assigned by the node: leave it out of the declaration"
            )


async def declare(
    node: Node, user: User, content: Mapping[str, Any]
) -> tuple[dict[str, Any], Appended]:
    """File a new declaration: the next number, a temporary import's re-export date (the
    agreement's limit unless an earlier one is given), checked, signed, written."""
    if not user.has_any(FILERS):
        raise EquipmentRefused(
            f"filing customs declarations needs one of the roles {', '.join(FILERS)}",
            403,
            "forbidden",
        )
    _refuse_assigned(content)
    async with _lock(node):
        async with node.engines.reader.connect() as conn:
            serial = await count_objects(conn, DECLARATION, node.party) + 1
        obj = new_record(DECLARATION, {"serial": serial, **content})
        if (
            content.get("direction") == "import"
            and content.get("regime") == "temporary"
            and "re_export_by" not in content
        ):
            obj["re_export_by"] = re_export_limit(node, _declared_on(obj)).isoformat()
        token = _numbering.set(True)
        try:
            (appended,) = await node.write([obj], user=user)
        finally:
            _numbering.reset(token)
    return obj, appended


async def decide(
    node: Node,
    user: User,
    declaration_id: str,
    outcome: Any,
    reason: str | None,
    version: Mapping[str, Any] | None = None,
) -> tuple[dict[str, Any], Appended]:
    """The host customs agency clears or holds a declaration (its current version unless
    the officer names the one they examined)."""
    props = {"outcome": outcome, **({"reason": reason} if reason else {})}
    obj, appended, _ = await write_answer(
        node, user, CUSTOMS_DECISION, declaration_id, props, version
    )
    return obj, appended

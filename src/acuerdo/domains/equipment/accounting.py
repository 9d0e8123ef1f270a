"""What customs has decided, and what was imported temporarily and is still in the country.

Everything here is derived at read time from the versions the user may see, through the
release gate: a declaration withheld from the user is in no list and no total. A line of a
temporary import is accounted for when cleared re-exports return its whole quantity; a
re-export declared but not (yet) cleared is shown apart, not counted as gone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from acuerdo.domains.equipment.common import (
    CUSTOMS_DECISION,
    DECLARATION,
    Seen,
    answer_for,
    answers_by_ref,
    visible,
)
from acuerdo.domains.equipment.customs import certificate_number
from acuerdo.node import Node
from acuerdo.users import User


def status_of(decision: Seen | None) -> str:
    """pending, cleared or held: the current version's customs status."""
    return "pending" if decision is None else str(decision.body["outcome"])


def summary(seen: Seen, decision: Seen | None) -> dict[str, Any]:
    """A declaration as lists show it: number, what, where, its items' totals, its status."""
    b = seen.body
    totals: dict[str, float] = {}
    for item in b["items"]:
        totals[item["currency"]] = totals.get(item["currency"], 0.0) + float(item["value"])
    out = {
        "id": seen.id,
        "number": certificate_number(seen.version.owner, int(b["serial"])),
        "serial": b["serial"],
        "party": seen.version.owner,
        "direction": b["direction"],
        "regime": b["regime"],
        "port": b["port"]["name"],
        "declared": str(b["created"])[:10],
        "items": len(b["items"]),
        "value": {k: round(v, 2) for k, v in sorted(totals.items())},
        "re_export_by": b.get("re_export_by"),
        "revoked": seen.version.revoked,
        "status": status_of(decision),
        "decided": None if decision is None else str(decision.body["created"]),
        "reason": None if decision is None else decision.body.get("reason"),
        "version": {"modified": b["modified"], "sha256": seen.version.sha256},
    }
    return out


async def declarations(node: Node, user: User) -> list[dict[str, Any]]:
    """Every declaration the user may see, by party and number, with its customs status."""
    seen = await visible(node, user, [DECLARATION, CUSTOMS_DECISION])
    decls = [s for s in seen if s.version.object_type == DECLARATION]
    answers = answers_by_ref(
        [s for s in seen if s.version.object_type == CUSTOMS_DECISION], "declaration"
    )
    rows = [summary(d, answer_for(d, answers, "declaration")) for d in decls]
    return sorted(rows, key=lambda r: (r["party"], r["serial"]))


async def declaration(node: Node, user: User, seen: Seen) -> tuple[dict[str, Any], Seen | None]:
    """One declaration's summary and the decision on its current version, if any."""
    found = await visible(node, user, [CUSTOMS_DECISION])
    answers = answers_by_ref(found, "declaration")
    decision = answer_for(seen, answers, "declaration")
    return summary(seen, decision), decision


@dataclass(frozen=True)
class Outstanding:
    """One line of a temporary import not wholly re-exported."""

    declaration: str
    number: str
    line: int
    description: str
    imported: float
    re_exported: float
    re_export_declared: float
    outstanding: float
    serial_numbers: list[str]
    re_export_by: str
    overdue: bool
    import_status: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _returns(
    decls: list[Seen], answers: Mapping[str, list[Seen]]
) -> dict[tuple[str, int], tuple[float, float, set[str]]]:
    """Per (import, line): quantity re-exported and cleared, quantity declared but not
    cleared, and serial numbers re-exported and cleared."""
    out: dict[tuple[str, int], tuple[float, float, set[str]]] = {}
    for d in decls:
        if d.version.revoked or d.body["regime"] != "re-export":
            continue
        cleared = status_of(answer_for(d, answers, "declaration")) == "cleared"
        for item in d.body["items"]:
            ref = item["reexport_of"]
            key = (str(ref["declaration_ref"]), int(ref["line"]))
            done, declared, serials = out.get(key, (0.0, 0.0, set()))
            qty = float(item["quantity"])
            if cleared:
                out[key] = (done + qty, declared, serials | set(item.get("serial_numbers", ())))
            else:
                out[key] = (done, declared + qty, serials)
    return out


async def outstanding(node: Node, user: User, today: date) -> list[Outstanding]:
    """Lines imported temporarily and not yet re-exported, with their due date (overdue when
    `today` is past it), oldest due first."""
    seen = await visible(node, user, [DECLARATION, CUSTOMS_DECISION])
    decls = [s for s in seen if s.version.object_type == DECLARATION]
    answers = answers_by_ref(
        [s for s in seen if s.version.object_type == CUSTOMS_DECISION], "declaration"
    )
    returns = _returns(decls, answers)
    rows: list[Outstanding] = []
    for d in decls:
        b = d.body
        if d.version.revoked or b["direction"] != "import" or b["regime"] != "temporary":
            continue
        for item in b["items"]:
            done, declared, serials = returns.get((d.id, int(item["line"])), (0.0, 0.0, set()))
            left = float(item["quantity"]) - done
            if left <= 0:
                continue
            rows.append(
                Outstanding(
                    declaration=d.id,
                    number=certificate_number(d.version.owner, int(b["serial"])),
                    line=int(item["line"]),
                    description=str(item["description"]),
                    imported=float(item["quantity"]),
                    re_exported=done,
                    re_export_declared=declared,
                    outstanding=left,
                    serial_numbers=[s for s in item.get("serial_numbers", []) if s not in serials],
                    re_export_by=str(b["re_export_by"]),
                    overdue=date.fromisoformat(str(b["re_export_by"])) < today,
                    import_status=status_of(answer_for(d, answers, "declaration")),
                )
            )
    return sorted(rows, key=lambda r: (r.re_export_by, r.number, r.line))

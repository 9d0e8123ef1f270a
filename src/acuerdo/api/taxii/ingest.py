"""Taking in the objects of a TAXII envelope, each with its own outcome (spec 5.5 and 4.3).

TAXII reports per object: the valid ones are stored, each invalid one is listed with the
reason, and nothing of an invalid object is written. An object's checks are the ledger's
(node.prepare: STIX common rules, types, schemas), the writer's role for its kind, and the
collection's view (a collection of indicators takes indicators). Valid objects are written
in batches; when the gate or the writer refuses a batch, it is split until the refused
objects stand alone, so one bad object costs its neighbours nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from acuerdo.api.taxii.collections import CollectionView
from acuerdo.ledger.record import Draft, RecordError
from acuerdo.ledger.types import BY_NAME
from acuerdo.ledger.writes import WriteRefused
from acuerdo.node import Node
from acuerdo.release import RecordKind
from acuerdo.users import User

WRITERS = {
    RecordKind.INTEL: ("analyst", "admin"),
    RecordKind.REFERENCE: ("admin",),
}
BATCH = 500
AGREEMENT_ELSEWHERE = "never intelligence: write it through /api/v1/records"


@dataclass(frozen=True)
class Outcome:
    """One object's fate: the status resource's status-details (spec 4.3.1)."""

    id: str
    version: str
    ok: bool
    message: str

    def details(self) -> dict[str, str]:
        return {"id": self.id, "version": self.version, "message": self.message}


def _identify(obj: Any, index: int) -> tuple[str, str]:
    """The id and version a failure is reported under, as far as the object says them."""
    if not isinstance(obj, dict):
        return f"objects[{index}]", ""
    oid = obj.get("id")
    version = obj.get("modified", obj.get("created", ""))
    return (
        oid if isinstance(oid, str) and len(oid) < 300 else f"objects[{index}]",
        version if isinstance(version, str) and len(version) < 40 else "",
    )


def _refusal(d: Draft, user: User, view: CollectionView) -> str | None:
    """Why this collection does not take this object from this user, or None."""
    if d.kind in (RecordKind.AGREEMENT, RecordKind.PERSONAL):
        return f"{d.object_type} is an agreement record, {AGREEMENT_ELSEWHERE}"
    allowed = WRITERS[d.kind]
    if not user.has_any(allowed):
        return f"writing {d.object_type} needs one of the roles {', '.join(allowed)}"
    if view.types and d.object_type not in view.types:
        return f"collection {view.alias} holds {', '.join(sorted(view.types))}, not {d.object_type}"
    if view.origins and node_party_missing(view, d):
        return f"collection {view.alias} holds what {', '.join(sorted(view.origins))} took in"
    return None


def node_party_missing(view: CollectionView, d: Draft) -> bool:
    return d.holder not in view.origins


def check_objects(
    node: Node, user: User, view: CollectionView, objs: Sequence[Any], first_index: int
) -> tuple[list[tuple[Any, Draft]], list[Outcome]]:
    """Check each object alone against the ledger's rules, the writer's role and the view;
    the valid ones with their drafts, and a failure naming the rule for each other.

    The type's own checks (STIX validity, patterns) run in `Node.write`; `write_valid`
    runs them one object at a time only when a batch is refused."""
    valid: list[tuple[Any, Draft]] = []
    failures: list[Outcome] = []
    for i, obj in enumerate(objs, start=first_index):
        oid, version = _identify(obj, i)
        if isinstance(obj, dict) and obj.get("type") in BY_NAME:
            message = f"{obj['type']} is an agreement record, {AGREEMENT_ELSEWHERE}"
            failures.append(Outcome(oid, version, False, message))
            continue
        try:
            draft = node.prepare(obj)
        except RecordError as exc:
            failures.append(Outcome(oid, version, False, str(exc)))
            continue
        refusal = _refusal(draft, user, view)
        if refusal is not None:
            failures.append(Outcome(oid, version, False, refusal))
            continue
        valid.append((obj, draft))
    return valid, failures


def _success(d: Draft, duplicate: bool) -> Outcome:
    message = "already held: the same version" if duplicate else "written"
    return Outcome(d.object_id, _version(d), True, message)


async def _type_checks(
    node: Node, items: Sequence[tuple[Any, Draft]]
) -> tuple[list[tuple[Any, Draft]], list[Outcome]]:
    """Each object's type checks on their own: who passes, and a failure for each other."""
    passed: list[tuple[Any, Draft]] = []
    failures: list[Outcome] = []
    for obj, d in items:
        try:
            for check in node.checks.get(d.object_type, ()):
                await check(node, d, (d,))
        except RecordError as exc:
            failures.append(Outcome(d.object_id, _version(d), False, str(exc)))
        else:
            passed.append((obj, d))
    return passed, failures


def _version(d: Draft) -> str:
    return d.version_key[2:] if d.version_key.startswith("t:") else ""


async def write_valid(
    node: Node, user: User, items: Sequence[tuple[Any, Draft]], *, isolated: bool = False
) -> list[Outcome]:
    """Write the checked objects as one job. When it is refused, each object's type checks
    run alone (one pass), and what passes is halved until each writer refusal stands alone:
    valid input pays for one validation, invalid input for finding its culprits."""
    if not items:
        return []
    try:
        appended = await node.write(
            [o for o, _ in items], user=user, prepared=[d for _, d in items]
        )
    except (RecordError, WriteRefused) as exc:
        if len(items) == 1:
            message = exc.message if isinstance(exc, WriteRefused) else str(exc)
            return [Outcome(items[0][1].object_id, _version(items[0][1]), False, message)]
        failures: list[Outcome] = []
        if not isolated:
            items, failures = await _type_checks(node, items)
        half = len(items) // 2
        return [
            *failures,
            *await write_valid(node, user, items[:half], isolated=True),
            *await write_valid(node, user, items[half:], isolated=True),
        ]
    by_id = {(d.object_id, d.version_key): d for _, d in items}
    return [_success(by_id[(a.object_id, a.version_key)], a.duplicate) for a in appended]

"""Checks on every write of an activity record, before it is signed.

Content that breaks the agreement (a type it does not provide for, a region that is not the
host's, an emergency path the type lacks) is refused as an invalid record (422). Authority
is refused as such (403): only the host party's competent agency decides, only the proposer
reports, only the host issues authorisation instruments. A decision must name the exact,
current, proposed version of an activity this writer may see (409 otherwise): approving
version 1 approves nothing about version 2, so deciding a superseded version is refused
rather than recorded to no effect. A refused write writes nothing. Amendments by anyone but
the proposer are refused by the ledger itself (an object id belongs to its first writer).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from acuerdo.agreement.questions import ActivityQuestion
from acuerdo.domains.activities import rules
from acuerdo.domains.activities.records import (
    ACTIVITY,
    APPROVED_WITH_CONDITIONS,
    AUTHORISATION,
    DECISION,
    EMERGENCY,
    PROPOSED,
    REPORT,
    VersionRef,
    instant,
)
from acuerdo.ledger.record import Draft, RecordError
from acuerdo.ledger.tables import ledger
from acuerdo.ledger.writes import WriteRefused
from acuerdo.release import Channel
from acuerdo.users import User

if TYPE_CHECKING:
    from acuerdo.node import Node

DECIDERS = frozenset({"approver", "admin"})


def install_activity_checks(node: Node) -> None:
    node.checks.setdefault(ACTIVITY, []).append(check_activity)
    node.checks.setdefault(AUTHORISATION, []).append(check_authorisation)
    node.author_checks.setdefault(DECISION, []).append(check_decision)
    node.author_checks.setdefault(REPORT, []).append(check_report)


def _refuse_authority(message: str) -> WriteRefused:
    return WriteRefused("not-competent", message, 403)


async def check_activity(node: Node, draft: Draft, job: Sequence[Draft]) -> None:
    """An activity of a type the agreement provides for, in the host's regions, in order."""
    del job
    o, oid, agreement = draft.obj, draft.object_id, node.agreement
    if node.party == agreement.host_party.code:
        raise _refuse_authority(
            f"{oid}: the host party decides activities; a proposal is written by the party "
            "whose forces take part"
        )
    if draft.revoked:
        return
    type_id = str(o["activity_type"])
    kind = rules.activity_type(agreement, type_id)
    if kind is None:
        reason = agreement.evaluate(ActivityQuestion(activity_type=type_id)).reasons[0]
        raise RecordError(f"{oid}: refused under Art. {reason.citation.article}: {reason.text}")
    if instant(o["end"], "end") <= instant(o["start"], "start"):
        raise RecordError(f"{oid}: end must be after start")
    codes = {r.code for r in agreement.model.activities.regions}
    for i, place in enumerate(o["places"]):
        if codes and place["region"] not in codes:
            raise RecordError(
                f"{oid}: places[{i}].region {place['region']!r} is not a region of the host "
                f"party in the agreement ({', '.join(sorted(codes))})"
            )
    if o.get("emergency") and not rules.emergency_allowed(agreement, type_id):
        raise RecordError(
            f"{oid}: {kind.name} has no emergency path in the agreement "
            f"(Art. {kind.basis.article}); propose it with ordinary notice"
        )


@dataclass(frozen=True)
class _Held:
    object_type: str
    owner: str
    version_key: str
    sha256: str
    body: bytes
    revoked: bool


async def _held_versions(node: Node, user: User | None, object_id: str) -> list[_Held]:
    """Versions of an object as the writer may see them: through the gate for a user (so a
    withheld version is refused in the same words as a missing one), all for the node."""
    if user is not None:
        return [
            _Held(v.object_type, v.owner, v.version_key, v.sha256, v.body, v.revoked)
            for v in await node.reader.versions(user.recipient, Channel.API, object_id)
        ]
    L = ledger
    q = select(L.c.object_type, L.c.owner, L.c.version_key, L.c.sha256, L.c.body, L.c.revoked)
    async with node.engines.reader.connect() as conn:
        rows = await conn.execute(q.where(L.c.object_id == object_id))
        return [_Held(r[0], r[1], r[2], r[3], bytes(r[4]), bool(r[5])) for r in rows]


async def _version(node: Node, user: User | None, ref: VersionRef) -> tuple[_Held, bool]:
    """The named version, and whether it is the current one."""
    found = await _held_versions(node, user, ref.object_id)
    match = [v for v in found if v.version_key == "t:" + ref.modified and v.sha256 == ref.sha256]
    if not match:
        raise WriteRefused(
            "unknown-version",
            f"no version {ref.modified} of {ref.object_id} with sha256 {ref.sha256[:12]}... "
            "is held here: name the exact version (id, modified, sha256)",
            409,
        )
    newest = max(v.version_key for v in found)
    return match[0], newest == match[0].version_key


async def check_decision(node: Node, draft: Draft, job: Sequence[Draft], user: User | None) -> None:
    """Only the host's competent agency decides, and only the current proposed version."""
    del job
    o, oid, agreement = draft.obj, draft.object_id, node.agreement
    host = agreement.host_party
    if node.party != host.code:
        raise _refuse_authority(
            f"{oid}: only the host party ({host.name}) decides activities; "
            f"this node is {node.party}'s"
        )
    path, agency = str(o["path"]), str(o["agency"])
    required = rules.deciding_agency(agreement, path)
    if path == EMERGENCY and agreement.model.activities.emergency is None:
        raise RecordError(f"{oid}: the agreement provides no emergency path")
    if required is not None and agency != required:
        raise _refuse_authority(
            f"{oid}: {path} decisions are taken by the agency {required!r}, not {agency!r}"
        )
    if user is not None and (user.agency != agency or not user.has_any(DECIDERS)):
        raise _refuse_authority(
            f"{oid}: deciding for {agency!r} needs the approver role in that agency; "
            f"you are {', '.join(sorted(user.roles))} in {user.agency!r}"
        )
    if o["outcome"] == APPROVED_WITH_CONDITIONS and not o.get("conditions"):
        raise RecordError(f"{oid}: an approval with conditions needs its conditions")
    if draft.revoked:
        return
    ref = VersionRef.of(o["activity"])
    version, current = await _version(node, user, ref)
    body: dict[str, Any] = json.loads(version.body)
    if version.object_type != ACTIVITY:
        raise RecordError(f"{oid}: {ref.object_id} is not an activity")
    if not current:
        raise WriteRefused(
            "not-current-version",
            f"{oid}: version {ref.modified} of {ref.object_id} has been amended; a decision "
            "on one version says nothing about another, so decide the current version",
            409,
        )
    if version.revoked or body.get("lifecycle") != PROPOSED:
        state = "cancelled" if version.revoked else body.get("lifecycle")
        raise WriteRefused("not-proposed", f"{oid}: {ref.object_id} is {state}, not proposed", 409)
    if path == EMERGENCY and not body.get("emergency"):
        raise RecordError(
            f"{oid}: {ref.object_id} was not sent as an urgent request; decide it on the "
            "regular path"
        )


async def check_report(node: Node, draft: Draft, job: Sequence[Draft], user: User | None) -> None:
    """Only the proposer closes its activity, naming a version it holds."""
    del job
    ref = VersionRef.of(draft.obj["activity"])
    version, _ = await _version(node, user, ref)
    if version.object_type != ACTIVITY:
        raise RecordError(f"{draft.object_id}: {ref.object_id} is not an activity")
    if version.owner != node.party:
        raise _refuse_authority(
            f"{draft.object_id}: only the party that proposed {ref.object_id} reports on it"
        )


async def check_authorisation(node: Node, draft: Draft, job: Sequence[Draft]) -> None:
    """Authorisation instruments are the host's, over the host's regions, in order."""
    del job
    o, oid, agreement = draft.obj, draft.object_id, node.agreement
    if node.party != agreement.host_party.code:
        raise _refuse_authority(f"{oid}: only the host party issues authorisation instruments")
    if str(o["valid_until"]) < str(o["valid_from"]):
        raise RecordError(f"{oid}: valid_until is before valid_from")
    codes = {r.code for r in agreement.model.activities.regions}
    unknown = sorted(set(o.get("regions", [])) - codes) if codes else []
    if unknown:
        raise RecordError(f"{oid}: regions {', '.join(unknown)} are not the host party's")
    types = {t.id for t in agreement.model.activities.types}
    other = sorted(set(o.get("activity_types", [])) - types)
    if other:
        raise RecordError(f"{oid}: the agreement provides for no activity type {other[0]!r}")

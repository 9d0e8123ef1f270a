"""Writing activity records for a user: propose, amend, decide, report, authorise.

The API routes and the CLI both come here, so a proposal made from a YAML file and one made
over HTTP are the same record checked by the same rules. Callers send the activity's own
fields; the node adds what STIX needs (type, id, timestamps, extension declaration). The
object an amendment or decision is about is read through the release gate: one the user may
not see is answered exactly like one that does not exist.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from acuerdo.domains.activities.records import (
    ACTIVITY,
    AUTHORISATION,
    DECISION,
    EMERGENCY,
    OUTCOMES,
    REGULAR,
    REPORT,
)
from acuerdo.ledger import stix
from acuerdo.ledger.record import RecordError
from acuerdo.ledger.types import BY_NAME
from acuerdo.ledger.writes import WriteRefused
from acuerdo.node import Node
from acuerdo.release import Channel
from acuerdo.users import User

# Set by the node, never by the caller.
RESERVED = frozenset({"type", "spec_version", "id", "created", "modified", "extensions"})


class NotFound(LookupError):
    """No such object here, or one the user may not see (the same answer for both)."""


@dataclass(frozen=True)
class Written:
    object_id: str
    version: str
    sha256: str

    def to_json(self) -> dict[str, str]:
        return {"id": self.object_id, "version": self.version, "sha256": self.sha256}


def _stamp() -> str:
    return stix.now_timestamp()


def _wrap(otype: str, fields: Mapping[str, Any], *, object_id: str | None = None) -> dict[str, Any]:
    reserved = sorted(RESERVED & fields.keys())
    if reserved:
        raise RecordError(f"{', '.join(reserved)}: set by the node, not by the caller")
    now = _stamp()
    base = {
        "type": otype,
        "spec_version": "2.1",
        "id": object_id or f"{otype}--{uuid.uuid4()}",
        "created": now,
        "modified": now,
        "extensions": {BY_NAME[otype].extension_id: {"extension_type": "new-sdo"}},
    }
    return base | dict(fields)


async def _write(node: Node, user: User, obj: dict[str, Any]) -> Written:
    (appended,) = await node.write([obj], user=user)
    return Written(appended.object_id, appended.version_key[2:], appended.sha256)


async def current(node: Node, user: User, activity_id: str) -> tuple[dict[str, Any], str, str]:
    """The activity's current version the user may see: body, owner, sha256."""
    if not activity_id.startswith(ACTIVITY + "--"):
        raise RecordError(f"{activity_id!r} is not an activity id ({ACTIVITY}--<uuid>)")
    v = await node.reader.get(user.recipient, Channel.API, activity_id)
    if v is None:
        raise NotFound(f"no activity {activity_id} here")
    return json.loads(v.body), v.owner, v.sha256


async def propose(node: Node, user: User, fields: Mapping[str, Any]) -> Written:
    """A new activity (lifecycle 'proposed' unless the fields say 'draft')."""
    return await _write(node, user, _wrap(ACTIVITY, {"lifecycle": "proposed"} | dict(fields)))


async def amend(node: Node, user: User, activity_id: str, changes: Mapping[str, Any]) -> Written:
    """A new version of the user's own party's activity with `changes` applied."""
    body, owner, _ = await current(node, user, activity_id)
    if owner != node.party:
        raise WriteRefused(
            "ownership",
            f"only the proposer ({owner}) amends {activity_id}; answer it with a decision",
            403,
        )
    reserved = sorted(RESERVED & changes.keys())
    if reserved:
        raise RecordError(f"{', '.join(reserved)}: set by the node, not by the caller")
    before = stix.parse_timestamp(body["modified"], "modified")
    now = stix.parse_timestamp(_stamp(), "modified")
    later = max(now, before + timedelta(milliseconds=1))
    modified = later.strftime("%Y-%m-%dT%H:%M:%S.") + f"{later.microsecond // 1000:03d}Z"
    return await _write(node, user, body | dict(changes) | {"modified": modified})


async def decide(
    node: Node,
    user: User,
    activity_id: str,
    *,
    outcome: str,
    reason: str,
    conditions: str | None = None,
    emergency: bool = False,
    version: Mapping[str, str] | None = None,
) -> Written:
    """The host's decision on the activity's current version (or the version named)."""
    if outcome not in OUTCOMES:
        raise RecordError(f"outcome must be one of {', '.join(OUTCOMES)}")
    body, _, sha = await current(node, user, activity_id)
    ref = {"id": activity_id, "modified": body["modified"], "sha256": sha}
    if version is not None:
        ref = {"id": activity_id, **{k: version[k] for k in ("modified", "sha256") if k in version}}
    fields: dict[str, Any] = {
        "activity": ref,
        "outcome": outcome,
        "reason": reason,
        "path": EMERGENCY if emergency else REGULAR,
        "agency": user.agency,
    }
    if conditions:
        fields["conditions"] = conditions
    return await _write(node, user, _wrap(DECISION, fields))


async def report(node: Node, user: User, activity_id: str, fields: Mapping[str, Any]) -> Written:
    """The proposer's after-action report on the current version."""
    body, _, sha = await current(node, user, activity_id)
    ref = {"id": activity_id, "modified": body["modified"], "sha256": sha}
    return await _write(node, user, _wrap(REPORT, {"activity": ref} | dict(fields)))


async def authorise(node: Node, user: User, fields: Mapping[str, Any]) -> Written:
    """A host authorisation instrument."""
    return await _write(node, user, _wrap(AUTHORISATION, fields))

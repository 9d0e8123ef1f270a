"""What the equipment records share: type names, the agreement's provisions, who writes what,
and reading the versions a record names.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from acuerdo.agreement.schema import Parameter, Provision
from acuerdo.ledger import stix
from acuerdo.ledger.reader import StoredVersion
from acuerdo.ledger.record import Draft, RecordError
from acuerdo.ledger.tables import ledger, objects
from acuerdo.ledger.types import BY_NAME
from acuerdo.ledger.writes import Appended
from acuerdo.node import Node
from acuerdo.release import Channel
from acuerdo.users import User

CRAFT_MOVEMENT = "acuerdo-craft-movement"
CRAFT_ACK = "acuerdo-craft-acknowledgement"
DECLARATION = "acuerdo-customs-declaration"
CUSTOMS_DECISION = "acuerdo-customs-decision"
FREQUENCY_REQUEST = "acuerdo-frequency-request"
FREQUENCY_ASSIGNMENT = "acuerdo-frequency-assignment"
PROGRAMME = "acuerdo-transfer-programme"
MILESTONE = "acuerdo-transfer-milestone"

# The provisions these records rest on, by their id in every shipped profile.
DUTY_FREE = "duty-free-import-export"
CRAFT_PROVISION = "vehicle-movement"
TELECOMS = "own-telecommunications"
# The role that answers for the host's competent agency (clears, acknowledges, assigns).
DECIDER_ROLE = "approver"
PAGE = 1000


class EquipmentRefused(ValueError):
    """A request on equipment records is refused; `status` is the HTTP status it maps to."""

    def __init__(self, message: str, status: int = 422, code: str = "invalid-record") -> None:
        super().__init__(message)
        self.status = status
        self.code = code


def provision(node: Node, provision_id: str) -> Provision:
    """The adopted agreement's provision, or a refusal naming what is missing."""
    for p in node.agreement.model.provisions:
        if p.id == provision_id:
            return p
    raise RecordError(f"the adopted agreement has no provision {provision_id!r}")


def citation(node: Node, p: Provision) -> dict[str, Any]:
    """The article a provision rests on, as decisions and reports cite it."""
    c = node.agreement.citation(p.basis)
    return {"provision": p.id, "article": c.article, "title": c.title, "public": c.public}


def period_of(node: Node, parameter_id: str | None) -> Parameter:
    if parameter_id is None:
        raise RecordError("the adopted agreement sets no period for this provision")
    return node.agreement.parameter(parameter_id)


def role_of(node: Node, party: str) -> str:
    """`host` or `sending`: the party's role in the adopted agreement."""
    return node.agreement.party(party).role


def require_sending(node: Node, draft: Draft, what: str) -> None:
    """Only a sending state writes notifications, declarations and requests."""
    if role_of(node, draft.owner) != "sending":
        raise RecordError(f"{draft.object_id}: {what} are written by a sending state, not the host")


def new_record(
    record_type: str, props: Mapping[str, Any], *, now: str | None = None
) -> dict[str, Any]:
    """A fresh STIX object of an equipment type (a new id, created = modified = now)."""
    stamp = now or stix.now_timestamp()
    return {
        "type": record_type,
        "spec_version": "2.1",
        "id": f"{record_type}--{uuid.uuid4()}",
        "created": stamp,
        "modified": stamp,
        **props,
        "extensions": {BY_NAME[record_type].extension_id: {"extension_type": "new-sdo"}},
    }


NODE_ASSIGNED = ("type", "id", "spec_version", "created", "modified", "extensions")


async def file_new(
    node: Node, user: User, record_type: str, content: Mapping[str, Any]
) -> tuple[dict[str, Any], Appended]:
    """Write a new record of `record_type` from what the user gave: the node, not the user,
    assigns its identity, version and extension, so a body naming any of them is refused."""
    for key in NODE_ASSIGNED:
        if key in content:
            raise EquipmentRefused(f"{key} is assigned by the node: leave it out")
    obj = new_record(record_type, content)
    (appended,) = await node.write([obj], user=user)
    return obj, appended


def amended(
    current: Mapping[str, Any], props: Mapping[str, Any], *, now: str | None = None
) -> dict[str, Any]:
    """A new version of `current` with `props` replacing its content (id and created kept)."""
    keep = {k: current[k] for k in ("type", "spec_version", "id", "created", "extensions")}
    stamp = now or stix.now_timestamp()
    return {**keep, **props, "modified": stamp}


def version_ref(v: StoredVersion) -> dict[str, str]:
    """The reference a decision puts to the exact version it answers."""
    body = json.loads(v.body)
    return {"id": v.object_id, "modified": str(body["modified"]), "sha256": v.sha256}


def version_key_of(ref: Mapping[str, Any]) -> str:
    return "t:" + stix.format_instant(stix.parse_timestamp(ref["modified"], "modified"))


async def held_version(conn: AsyncConnection, ref: Mapping[str, Any]) -> dict[str, Any] | None:
    """The body of the version a reference names, if this node holds exactly that version."""
    q = select(ledger.c.body).where(
        ledger.c.object_id == str(ref["id"]),
        ledger.c.version_key == version_key_of(ref),
        ledger.c.sha256 == str(ref["sha256"]),
    )
    body = (await conn.execute(q)).scalar()
    return None if body is None else dict(json.loads(body))


async def current_bodies(conn: AsyncConnection, record_type: str) -> dict[str, dict[str, Any]]:
    """The current version's body of every object of a type on this node (internal use: for
    rules that must see everything, never handed to a user)."""
    q = (
        select(objects.c.object_id, ledger.c.body)
        .join(ledger, ledger.c.seq == objects.c.current_seq)
        .where(objects.c.object_type == record_type)
    )
    return {oid: dict(json.loads(body)) for oid, body in await conn.execute(q)}


async def current_body(conn: AsyncConnection, object_id: str) -> dict[str, Any] | None:
    q = (
        select(ledger.c.body)
        .join(objects, ledger.c.seq == objects.c.current_seq)
        .where(objects.c.object_id == object_id)
    )
    body = (await conn.execute(q)).scalar()
    return None if body is None else dict(json.loads(body))


async def count_objects(conn: AsyncConnection, record_type: str, owner: str) -> int:
    q = (
        select(func.count())
        .select_from(objects)
        .where(objects.c.object_type == record_type, objects.c.owner == owner)
    )
    return int((await conn.execute(q)).scalar_one())


@dataclass(frozen=True)
class Seen:
    """A current version the user may see, with its parsed body."""

    version: StoredVersion
    body: dict[str, Any]

    @property
    def id(self) -> str:
        return self.version.object_id


async def visible(
    node: Node, user: User, record_types: Sequence[str], channel: Channel = Channel.API
) -> list[Seen]:
    """Every current version of these types the user may receive, through the release gate."""
    out: list[Seen] = []
    cursor: str | None = None
    while True:
        page = await node.reader.page(
            user.recipient, channel, cursor=cursor, limit=PAGE, types=sorted(record_types)
        )
        out.extend(Seen(v, dict(json.loads(v.body))) for v in page.items)
        if page.next_cursor is None:
            return out
        cursor = page.next_cursor


async def visible_one(node: Node, user: User, object_id: str, record_type: str) -> Seen:
    """One current version the user may see, or 404: withheld looks like absent."""
    v = None
    if object_id.startswith(record_type + "--"):
        v = await node.reader.get(user.recipient, Channel.API, object_id)
    if v is None:
        raise EquipmentRefused(f"no record {object_id} here", 404, "not-found")
    return Seen(v, dict(json.loads(v.body)))


def answers_by_ref(answers: Sequence[Seen], field: str) -> dict[str, list[Seen]]:
    """Host answers grouped by the object id they name, newest answer first."""
    out: dict[str, list[Seen]] = {}
    for a in answers:
        if a.version.revoked:
            continue
        out.setdefault(str(a.body[field]["id"]), []).append(a)
    for found in out.values():
        found.sort(key=lambda a: a.version.version_key, reverse=True)
    return out


def answer_for(seen: Seen, answers: Mapping[str, list[Seen]], field: str) -> Seen | None:
    """The newest answer naming exactly the current version of `seen` (an answer to an
    earlier version says nothing of this one)."""
    for a in answers.get(seen.id, ()):
        ref = a.body[field]
        if ref["sha256"] == seen.version.sha256:
            return a
    return None


def parse_date(value: str, field: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise EquipmentRefused(f"{field}: {value!r} is not a date YYYY-MM-DD") from None

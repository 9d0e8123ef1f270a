"""Movement orders and movements as a caller may see them: filtered lists and single records.

Everything is read through the ledger's reader as the caller (the release gate decides; a
withheld order or movement is absent from lists and answers like an id never written, and
a movement naming a person withheld from the caller is itself withheld, because a record is
released only when what it refers to is). Each answer names its persons: by name for a
caller the gate gives the person's personal data to (each read audited before the answer,
`queries.names_for`), else by the node's pseudonym of the person id.

Lists walk the reader's pages of one record type in ledger order and keep the records the
filters match, so a page may hold fewer items than asked for: follow `next` to the end.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from acuerdo.domains.personnel.queries import names_for, pseudonym
from acuerdo.ledger.reader import StoredVersion
from acuerdo.node import Node
from acuerdo.release import Channel
from acuerdo.users import User

ORDER = "acuerdo-movement-order"
MOVEMENT = "acuerdo-movement"


@dataclass(frozen=True)
class OrderFilters:
    """Orders naming a person, in force on a day, serving an activity (or purpose)."""

    person: str | None = None
    valid_on: date | None = None
    activity: str | None = None

    def keep(self, order: Mapping[str, Any]) -> bool:
        if self.person and self.person not in order.get("person_refs", ()):
            return False
        day = self.valid_on.isoformat() if self.valid_on else None
        if day and not str(order["valid_from"])[:10] <= day <= str(order["valid_until"])[:10]:
            return False
        return not self.activity or self.activity in (order.get("activity_ref"), order["purpose"])


@dataclass(frozen=True)
class MovementFilters:
    """Movements of a person, in one direction, at a port, within an interval (UTC text)."""

    person: str | None = None
    direction: str | None = None
    port: str | None = None
    since: str | None = None
    until: str | None = None

    def keep(self, movement: Mapping[str, Any]) -> bool:
        time = str(movement["time"])
        return (
            (not self.person or movement["person_ref"] == self.person)
            and (not self.direction or movement["direction"] == self.direction)
            and (not self.port or movement["port"]["name"] == self.port)
            and (not self.since or time >= self.since)
            and (not self.until or time <= self.until)
        )


def _persons_of(record: Mapping[str, Any]) -> list[str]:
    if "person_refs" in record:
        return [str(p) for p in record["person_refs"]]
    return [str(record["person_ref"])]


async def _named(node: Node, user: User, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each record with `persons`: [{person, name}] (names audited, else pseudonyms)."""
    refs: dict[str, str] = {}
    for pid in {p for r in records for p in _persons_of(r)}:
        person = await node.reader.get(user.recipient, Channel.API, pid)
        if person is not None and not person.revoked:
            refs[pid] = str(json.loads(person.body).get("personal_data_ref", ""))
    names = await names_for(node, user, sorted(set(refs.values()))) if refs else {}
    for r in records:
        r["persons"] = [
            {"person": p, "name": names.get(refs.get(p, ""), pseudonym(node, p))}
            for p in _persons_of(r)
        ]
    return records


async def listed(
    node: Node,
    user: User,
    object_type: str,
    keep: Callable[[Mapping[str, Any]], bool],
    *,
    cursor: str | None,
    limit: int,
) -> tuple[list[dict[str, Any]], str | None]:
    """One reader page of the type (current versions the caller may see), filtered.

    CursorError for a cursor this node did not hand out to this caller and type.
    """
    page = await node.reader.page(
        user.recipient, Channel.API, cursor=cursor, limit=limit, types=[object_type]
    )
    kept = [_record(v) for v in page.items if not v.revoked]
    return await _named(node, user, [r for r in kept if keep(r)]), page.next_cursor


async def one(node: Node, user: User, object_type: str, object_id: str) -> dict[str, Any] | None:
    """The current version of one order or movement, or None (absent, withheld, other type)."""
    version = await node.reader.get(user.recipient, Channel.API, object_id)
    if version is None or version.object_type != object_type:
        return None
    return (await _named(node, user, [_record(version)]))[0]


def _record(version: StoredVersion) -> dict[str, Any]:
    record: dict[str, Any] = json.loads(version.body)
    record["revoked"] = version.revoked
    return record

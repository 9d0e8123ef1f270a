"""Import covered personnel from a spreadsheet: every row checked first, then written in batches.

Each row becomes a personal-data record and a covered-person record; rows that name an order
number also make (or join) a movement order. Ids are deterministic, so importing the same
file again finds the same objects: a row whose content equals the current version is left
alone, and a changed row becomes a new version of the same object (its personal data keeps
the salt of the current version, so the salt is random per person but stable across
imports). The natural key of a row is its national ID (kind and number), keyed with the node
secret before it becomes an id: ids travel to the partner, and a plain hash of a DoD ID
could be confirmed by guessing (DESIGN.md, pseudonyms are keyed hashes).

Nothing is written when any row has an error unless the caller asks for the valid rows only.
Writing goes in batches of `BATCH_ROWS` rows: the batch's personal data in one `Node.write`
job, then its covered persons in the next, then (after every row) the orders. Each job is
all or nothing, a person is never written before its personal data, and a re-run of an
interrupted import finds the finished jobs unchanged and completes the rest.
"""

from __future__ import annotations

import hmac
import json
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from acuerdo.domains.personnel.importing_rows import RowPlan, plan_rows
from acuerdo.domains.personnel.spreadsheet import ColumnMapping, Row
from acuerdo.ledger import stix
from acuerdo.ledger.access import CHANNEL_BITS
from acuerdo.ledger.tables import grants, ledger
from acuerdo.ledger.types import BY_NAME
from acuerdo.node import Node
from acuerdo.release import Channel, recipient_tokens
from acuerdo.users import User

PERSON = "acuerdo-covered-person"
PERSONAL = "acuerdo-personal-data"
ORDER = "acuerdo-movement-order"
BATCH_ROWS = 1000
# uuid5 namespace of imported records (fixed: the same key gives the same id on every run).
NAMESPACE = uuid.UUID("6f0d8f53-2f0c-5c1e-9d55-3a4f3c0e6b21")
# What a new version may change without the row having changed.
VOLATILE = frozenset({"created", "modified", "salt"})

Progress = Callable[[str, int, int], None]  # (phase, done, total)


@dataclass(frozen=True)
class RowError:
    """One problem of one row: its number in the sheet and the column header it is in."""

    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"row {self.row}, column {self.column!r}: {self.message}"


@dataclass
class ImportReport:
    """What an import found and did."""

    rows: int = 0
    valid_rows: int = 0
    errors: list[RowError] = field(default_factory=list)
    written_rows: int = 0  # rows that made new versions
    unchanged_rows: int = 0
    written_orders: int = 0
    unchanged_orders: int = 0
    versions: int = 0  # record versions appended
    refused: bool = False  # errors and not asked for the valid rows: nothing written

    def as_dict(self) -> dict[str, Any]:
        out = {k: v for k, v in self.__dict__.items() if k != "errors"}
        out["errors"] = [e.__dict__ for e in self.errors]
        return out


def natural_id(node: Node, object_type: str, *key: str) -> str:
    """A deterministic id: uuid5 over the party and a natural key keyed with the node secret."""
    mac = hmac.new(node.secret, "\x00".join((node.party, object_type, *key)).encode(), "sha256")
    return f"{object_type}--{uuid.uuid5(NAMESPACE, node.party + ':' + mac.hexdigest())}"


def _stamp(instant: datetime) -> str:
    return f"{instant:%Y-%m-%dT%H:%M:%S}.{instant.microsecond // 1000:03d}Z"


def _declared(object_type: str) -> dict[str, Any]:
    return {BY_NAME[object_type].extension_id: {"extension_type": "new-sdo"}}


async def current_versions(node: Node, user: User, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The current version (among those the importing user may see) of each id held.

    The same grants the release gate wrote decide what counts: a version withheld from the
    user is as absent to the import as to any read, so its outcome tells nothing of it.
    """
    tokens = sorted(recipient_tokens(user.recipient))
    found: dict[str, tuple[str, dict[str, Any]]] = {}
    for start in range(0, len(ids), 500):
        chunk = list(ids[start : start + 500])
        granted = (
            select(grants.c.seq)
            .where(
                grants.c.seq == ledger.c.seq,
                grants.c.token.in_(tokens),
                grants.c.channels.op("&")(CHANNEL_BITS[Channel.API]) != 0,
            )
            .exists()
        )
        q = select(ledger.c.object_id, ledger.c.version_key, ledger.c.body, ledger.c.revoked)
        q = q.where(ledger.c.object_id.in_(chunk), granted)
        async with node.engines.reader.connect() as conn:
            for oid, key, body, revoked in await conn.execute(q):
                if oid not in found or found[oid][0] < key:
                    obj = json.loads(body)
                    if revoked:
                        obj["revoked"] = True
                    found[oid] = (key, obj)
    return {oid: obj for oid, (_, obj) in found.items()}


def _content(obj: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in obj.items() if k not in VOLATILE}


def versioned(
    new: dict[str, Any], current: Mapping[str, Any] | None, now: datetime
) -> dict[str, Any] | None:
    """The version to write for `new`, or None when the current version already says it.

    A new object gets `now` as created and modified; a change keeps `created` and takes a
    `modified` later than the current one's. Personal data keeps the current salt.
    """
    if current is not None and "salt" in current:
        new["salt"] = current["salt"]
    if current is not None and not current.get("revoked") and _content(new) == _content(current):
        return None
    stamp = now
    if current is not None:
        last = stix.parse_timestamp(current["modified"], "modified")
        stamp = max(now, last + timedelta(milliseconds=1))
        new["created"] = current["created"]
    else:
        new["created"] = _stamp(stamp)
    new["modified"] = _stamp(stamp)
    return new


def row_objects(node: Node, plan: RowPlan) -> tuple[dict[str, Any], dict[str, Any]]:
    """The personal-data and covered-person objects of a row (without timestamps)."""
    pid = natural_id(node, PERSONAL, plan.id_kind, plan.id_number)
    personal = {
        "type": PERSONAL,
        "spec_version": "2.1",
        "id": pid,
        "extensions": _declared(PERSONAL),
        "salt": uuid.uuid4().hex,
        **plan.personal,
    }
    person = {
        "type": PERSON,
        "spec_version": "2.1",
        "id": natural_id(node, PERSON, plan.id_kind, plan.id_number),
        "extensions": _declared(PERSON),
        "party": node.party,
        **plan.person,
        "personal_data_ref": pid,
    }
    return personal, person


def order_object(
    node: Node, number: str, order: Mapping[str, Any], persons: list[str]
) -> dict[str, Any]:
    """A movement order naming every imported person that carries its number."""
    return {
        "type": ORDER,
        "spec_version": "2.1",
        "id": natural_id(node, ORDER, number),
        "extensions": _declared(ORDER),
        "order_number": number,
        "kind": "individual" if len(persons) == 1 else "collective",
        "person_refs": sorted(persons),
        **order,
    }


async def _write_changed(
    node: Node, user: User, objs: list[dict[str, Any]], now: datetime
) -> list[dict[str, Any]]:
    """Write the objects that differ from their current versions; return those written.

    Personal data goes in a job before the persons that refer to it: a job holding both a
    record and what refers to it makes the ledger recompute the referrers' grants, which
    costs several times the writes themselves (and personal data restricts no referrer).
    """
    currents = await current_versions(node, user, [o["id"] for o in objs])
    changed = [versioned(o, currents.get(o["id"]), now) for o in objs]
    kept = [o for o in changed if o is not None]
    for object_type in (PERSONAL, PERSON, ORDER):
        job = [o for o in kept if o["type"] == object_type]
        if job:
            await node.write(job, user=user)
    return kept


def _batches(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


async def write_plans(
    node: Node,
    user: User,
    plans: Sequence[RowPlan],
    report: ImportReport,
    *,
    batch_rows: int = BATCH_ROWS,
    progress: Progress | None = None,
) -> None:
    """Write the valid rows in batches, then their orders; count what changed."""
    now = datetime.now(UTC)
    done = 0
    for batch in _batches(plans, batch_rows):
        objs = [o for p in batch for o in row_objects(node, p)]
        kept = await _write_changed(node, user, objs, now)
        changed_people = {o["id"] for o in kept if o["type"] == PERSON}
        changed_people |= {o["id"] for o in kept if o["type"] == PERSONAL}
        for a, b in zip(objs[::2], objs[1::2], strict=True):
            if a["id"] in changed_people or b["id"] in changed_people:
                report.written_rows += 1
            else:
                report.unchanged_rows += 1
        report.versions += len(kept)
        done += len(batch)
        if progress:
            progress("write", done, len(plans))
    orders: dict[str, tuple[Mapping[str, Any], list[str]]] = {}
    for p in plans:
        if p.order_number is not None and p.order is not None:
            person_id = natural_id(node, PERSON, p.id_kind, p.id_number)
            orders.setdefault(p.order_number, (p.order, []))[1].append(person_id)
    objs = [order_object(node, n, o, ids) for n, (o, ids) in orders.items()]
    for batch in _batches(objs, batch_rows):
        kept = await _write_changed(node, user, list(batch), now)
        report.written_orders += len(kept)
        report.unchanged_orders += len(batch) - len(kept)
        report.versions += len(kept)


async def import_rows(
    node: Node,
    user: User,
    header: Sequence[str],
    rows: Iterable[Row],
    mapping: ColumnMapping,
    *,
    valid_rows_only: bool = False,
    batch_rows: int = BATCH_ROWS,
    progress: Progress | None = None,
) -> ImportReport:
    """Check every row, then write (all valid rows, or nothing when any row is bad unless
    `valid_rows_only`). SheetError when the header lacks a required column."""
    report = ImportReport()
    plans, errors = plan_rows(node.agreement, header, rows, mapping, progress=progress)
    report.rows = len(plans) + len({e[0] for e in errors})
    report.errors = [RowError(r, c, m) for r, c, m in errors]
    report.valid_rows = len(plans)
    if errors and not valid_rows_only:
        report.refused = True
        return report
    await write_plans(node, user, plans, report, batch_rows=batch_rows, progress=progress)
    return report

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
Writing goes in batches of `BATCH_ROWS` rows, each one `Node.write` job holding the batch's
personal data and then its covered persons (signed together, appended in one transaction by
the node's single writer, projected once per batch), then (after every row) the orders. Each
job is all or nothing, a person is never written without its personal data, and a re-run of
an interrupted import finds the finished jobs unchanged and completes the rest.
"""

from __future__ import annotations

import asyncio
import gc
import hmac
import json
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
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
    mac = hmac.digest(node.secret, "\x00".join((node.party, object_type, *key)).encode(), "sha256")
    return f"{object_type}--{uuid.uuid5(NAMESPACE, node.party + ':' + mac.hex())}"


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


async def _to_write(
    node: Node, user: User, objs: list[dict[str, Any]], now: datetime
) -> list[dict[str, Any]]:
    """The objects that differ from their current versions, stamped as new versions."""
    currents = await current_versions(node, user, [o["id"] for o in objs])
    changed = [versioned(o, currents.get(o["id"]), now) for o in objs]
    return [o for o in changed if o is not None]


class _WriteAhead:
    """Jobs handed to the node's writer, at most one in flight while the next is prepared.

    The writer commits a batch mostly in its database driver's thread and in the signing
    thread; meanwhile this task reads, checks and prepares the next batch (whose ids differ:
    a sheet names each person once). Each job stays all or nothing on its own.
    """

    def __init__(self, node: Node, user: User) -> None:
        self.node, self.user = node, user
        self._pending: asyncio.Task[Any] | None = None

    async def push(self, objs: list[dict[str, Any]]) -> None:
        task = asyncio.create_task(self.node.write(objs, user=self.user)) if objs else None
        try:
            await self.drain()
        except BaseException:
            if task is not None:
                await asyncio.gather(task, return_exceptions=True)
            raise
        self._pending = task

    async def drain(self) -> None:
        """Wait for the job in flight; its failure is raised here."""
        task, self._pending = self._pending, None
        if task is not None:
            await task


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
    orders: dict[str, tuple[Mapping[str, Any], list[str]]] = {}
    ahead = _WriteAhead(node, user)
    try:
        for batch in _batches(plans, batch_rows):
            pairs = [row_objects(node, p) for p in batch]
            kept = await _to_write(node, user, [o for pair in pairs for o in pair], now)
            await ahead.push(kept)
            _count_rows(report, batch, pairs, {o["id"] for o in kept}, orders)
            report.versions += len(kept)
            gc.freeze()  # this batch's survivors join the still part of the heap
            if progress:
                progress("write", report.written_rows + report.unchanged_rows, len(plans))
    finally:
        await ahead.drain()
    objs = [order_object(node, n, o, ids) for n, (o, ids) in orders.items()]
    for order_batch in _batches(objs, batch_rows):
        kept = await _to_write(node, user, list(order_batch), now)
        if kept:
            await node.write(kept, user=user)
        report.written_orders += len(kept)
        report.unchanged_orders += len(order_batch) - len(kept)
        report.versions += len(kept)


def _count_rows(
    report: ImportReport,
    batch: Sequence[RowPlan],
    pairs: Sequence[tuple[dict[str, Any], dict[str, Any]]],
    changed: set[str],
    orders: dict[str, tuple[Mapping[str, Any], list[str]]],
) -> None:
    """Count written and unchanged rows; gather each order's persons."""
    for plan, (personal, person) in zip(batch, pairs, strict=True):
        if personal["id"] in changed or person["id"] in changed:
            report.written_rows += 1
        else:
            report.unchanged_rows += 1
        if plan.order_number is not None and plan.order is not None:
            orders.setdefault(plan.order_number, (plan.order, []))[1].append(person["id"])


@contextmanager
def still_heap() -> Iterator[None]:
    """Keep the collector from walking, again and again, what an import holds for its length.

    An import keeps every row's plan (~20 objects a row) until it ends; each full collection
    walks all of them, which at 100,000 rows cost more than the writes. Objects that exist
    when a batch starts are frozen (left out of collections) and released when the import
    ends, so garbage they hold is collected then, never lost.
    """
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _freezing(rows: Iterable[Row]) -> Iterator[Row]:
    """The rows, freezing what planning has kept so far every thousand rows (see still_heap)."""
    for count, row in enumerate(rows):
        if count % 1000 == 999:
            gc.freeze()
        yield row


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
    with still_heap():
        return await _import_rows(
            node, user, header, rows, mapping, valid_rows_only, batch_rows, progress
        )


async def _import_rows(
    node: Node,
    user: User,
    header: Sequence[str],
    rows: Iterable[Row],
    mapping: ColumnMapping,
    valid_rows_only: bool,
    batch_rows: int,
    progress: Progress | None,
) -> ImportReport:
    report = ImportReport()
    plans, errors = plan_rows(node.agreement, header, _freezing(rows), mapping, progress=progress)
    report.rows = len(plans) + len({e[0] for e in errors})
    report.errors = [RowError(r, c, m) for r, c, m in errors]
    report.valid_rows = len(plans)
    if errors and not valid_rows_only:
        report.refused = True
        return report
    await write_plans(node, user, plans, report, batch_rows=batch_rows, progress=progress)
    return report

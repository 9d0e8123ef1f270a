"""Applying a checked batch: authentic records into the ledger with the origin's identity,
failures into quarantine with their reason, withdrawals hidden, the cursor stored, all in
one transaction of the node's single writer.

A record this node reads differently under the agreement (a domain check refuses it, or the
gate here finds it wrongly marked) is still applied, and flagged as an assessment: the host
must see who is in its territory even when it disagrees with how the record was written.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, delete, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from acuerdo.federation.authenticity import Rejected, read_records
from acuerdo.federation.outbox import WITHDRAWN
from acuerdo.federation.receipts import receipts_for
from acuerdo.federation.tables import federation_assessments, federation_cursors
from acuerdo.federation.verify import Raw
from acuerdo.ledger.keys import TrustStore
from acuerdo.ledger.record import RecordError
from acuerdo.ledger.tables import grants, ledger, quarantine
from acuerdo.ledger.writer import utc_now
from acuerdo.ledger.writes import Appended, Signed, WriteRefused
from acuerdo.markings import MarkingCatalog
from acuerdo.release import Refusal

if TYPE_CHECKING:
    from acuerdo.node import Node

Step = Callable[[AsyncConnection], Awaitable[None]]


@dataclass
class Plan:
    """What one batch does to this node."""

    versions: list[Signed] = field(default_factory=list)
    quarantined: list[tuple[dict[str, Any], str]] = field(default_factory=list)
    assessments: list[tuple[str, str, str]] = field(default_factory=list)  # id, version, why
    withdrawn: list[tuple[str, str]] = field(default_factory=list)  # id, last version held


@dataclass(frozen=True)
class CursorState:
    """Where pulling from a partner stands."""

    oseq: int
    entry_hash: str
    diverged: str | None = None


@dataclass
class ReadPage:
    """A page's entries as read before anything is applied: what depends on the records
    alone (form, owner, signatures), not on this node's ledger, so it may be read while
    the previous page is still being written."""

    withdrawn: list[tuple[str, str]]  # id, last version held
    records: list[dict[str, Any]]
    read: list[Signed | Rejected]  # one per record entry, in order
    catalog: MarkingCatalog  # the catalog the applied markings were decided under


async def read_page(
    node: Node,
    partner: str,
    entries: list[dict[str, Any]],
    trust: TrustStore | None,
    raw: Raw | None = None,
) -> ReadPage:
    """Read every entry's record (owner, signature, form) of a chain-checked page."""
    withdrawn, records = [], []
    for e in entries:
        if e.get("kind") == WITHDRAWN:
            withdrawn.append((str(e["id"]), str(e["version"])))
        else:
            records.append(e)
    catalog = node.context.catalog
    read = await read_records(node, partner, records, trust, raw)
    return ReadPage(withdrawn, records, read, catalog)


async def assess(node: Node, page: ReadPage) -> Plan:
    """What this node reads in a page's authentic records under the agreement, as of its
    ledger now (run once the previous page is applied): markings applied by default, the
    gate's decision and the domain checks, any disagreement flagged as an assessment."""
    plan = Plan(withdrawn=list(page.withdrawn))
    fresh = node.context.catalog is not page.catalog  # marking definitions arrived since
    for e, read in zip(page.records, page.read, strict=True):
        if isinstance(read, Rejected):
            plan.quarantined.append((e, str(read)))
        elif fresh:
            plan.versions.append(replace(read, applied_markings=node.applied_markings(read.draft)))
        else:
            plan.versions.append(read)
    drafts = [s.draft for s in plan.versions]
    # The gate's answer depends on the record's facts, not its id: once per distinct facts.
    refused: dict[tuple[object, ...], str | None] = {}
    for s in plan.versions:
        d = s.draft
        reasons = []
        facts = (d.object_type, d.kind, d.holder, d.markings, s.applied_markings)
        if facts not in refused:
            decision = node.audience(d, s.applied_markings, None)
            refused[facts] = decision.reason if isinstance(decision, Refusal) else None
        if refused[facts] is not None:
            reasons.append(str(refused[facts]))
        for check in node.checks.get(d.object_type, ()):
            try:
                await check(node, d, drafts)
            except RecordError as exc:
                reasons.append(str(exc))
        if reasons:
            plan.assessments.append((d.object_id, d.version_key, "; ".join(reasons)))
    plan.versions.extend(await receipts_for(node, plan.versions))
    return plan


async def plan_batch(
    node: Node,
    partner: str,
    entries: list[dict[str, Any]],
    trust: TrustStore | None,
    raw: Raw | None = None,
) -> Plan:
    """Check every entry's record (owner, signature, form) and what this node reads in it."""
    return await assess(node, await read_page(node, partner, entries, trust, raw))


def _finish(partner: str, plan: Plan, cursor: CursorState | None, status: dict[str, Any]) -> Step:
    """The step that completes a batch inside the writer's transaction."""

    async def step(conn: AsyncConnection) -> None:
        now = utc_now()
        if plan.quarantined:
            await conn.execute(
                insert(quarantine),
                [
                    {
                        "received_at": now,
                        "source": f"federation:{partner}",
                        "reason": reason,
                        "body": json.dumps(e, sort_keys=True).encode("utf-8"),
                        "envelope": None,
                        "signature": None,
                    }
                    for e, reason in plan.quarantined
                ],
            )
        for oid, version in plan.withdrawn:
            seqs = select(ledger.c.seq).where(
                and_(
                    ledger.c.object_id == oid,
                    ledger.c.holder == partner,
                    ledger.c.version_key <= version,
                )
            )
            await conn.execute(delete(grants).where(grants.c.seq.in_(seqs)))
        if plan.assessments:
            await conn.execute(
                insert(federation_assessments),
                [
                    {"partner": partner, "object_id": o, "version_key": v, "reason": r, "at": now}
                    for o, v, r in plan.assessments
                ],
            )
        await store_cursor(conn, partner, cursor, status, now)

    return step


async def store_cursor(
    conn: AsyncConnection,
    partner: str,
    cursor: CursorState | None,
    status: dict[str, Any],
    now: str,
) -> None:
    """Update the partner's cursor row (created on first use) with the batch's outcome."""
    c = federation_cursors.c
    values: dict[str, Any] = {**status, "updated_at": now}
    if cursor is not None:
        values.update(oseq=cursor.oseq, entry_hash=cursor.entry_hash, diverged=cursor.diverged)
    done = await conn.execute(
        federation_cursors.update().where(c.partner == partner).values(**values)
    )
    if done.rowcount == 0:
        first: dict[str, Any] = {
            "partner": partner, "oseq": 0, "entry_hash": "0" * 64, "diverged": None,
            "last_contact": None, "partner_head": 0, "caught_up_at": None, "last_error": None,
        }  # fmt: skip
        await conn.execute(insert(federation_cursors).values(**(first | values)))


async def apply_plan(
    node: Node, partner: str, plan: Plan, cursor: CursorState | None, status: dict[str, Any]
) -> None:
    """Apply a batch in one writer transaction; a refused bundle is applied one by one."""
    await settle_plan(
        node, partner, plan, cursor, status, queue_plan(node, partner, plan, cursor, status)
    )


Queued = asyncio.Future[list[Appended]]


def queue_plan(
    node: Node,
    partner: str,
    plan: Plan,
    cursor: CursorState | None,
    status: dict[str, Any],
    after: Queued | None = None,
) -> Queued:
    """Queue a batch's transaction (`settle_plan` awaits it); with `after`, it is written only
    if the batch queued before it was (a puller that is behind queues the next page so)."""
    return node.writer.enqueue(
        plan.versions,
        actor=f"node:{partner}",
        conflict_to_quarantine=True,
        in_transaction=[_finish(partner, plan, cursor, status)],
        after=after,
    )


async def settle_plan(
    node: Node,
    partner: str,
    plan: Plan,
    cursor: CursorState | None,
    status: dict[str, Any],
    queued: Queued,
) -> None:
    """Await a queued batch; if its bundle was refused, apply it one version at a time."""
    actor = f"node:{partner}"
    try:
        await queued
        return
    except WriteRefused:
        pass
    finish = _finish(partner, plan, cursor, status)
    for s in plan.versions:
        try:
            await node.writer.append([s], actor=actor, conflict_to_quarantine=True)
        except WriteRefused as exc:
            entry = {"id": s.draft.object_id, "version": s.draft.version_key}
            plan.quarantined.append((entry, f"refused: {exc.message}"))
    await node.writer.append([], actor=actor, in_transaction=[finish])


async def record_status(node: Node, partner: str, status: dict[str, Any]) -> None:
    """Store contact, head and error fields of a partner without moving its cursor."""
    step = _finish(partner, Plan(), None, status)
    await node.writer.append([], actor=f"node:{partner}", in_transaction=[step])


async def load_cursor(node: Node, partner: str) -> CursorState:
    c = federation_cursors.c
    async with node.engines.reader.connect() as conn:
        row = (
            await conn.execute(select(c.oseq, c.entry_hash, c.diverged).where(c.partner == partner))
        ).first()
    if row is None:
        return CursorState(0, "0" * 64)
    return CursorState(int(row[0]), str(row[1]), row[2])

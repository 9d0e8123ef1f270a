"""One write transaction, planned in memory and then flushed with executemany.

`load_state` reads what the batch needs to know (sequence heads, the objects it touches and
the objects they refer to) in a few indexed queries; `stage_job` checks a job completely
before staging any of it, so a refused job leaves no row behind; `flush` writes every staged
row with one executemany per table. This is what makes the writer fast: Core inserts, no
per-row round trips.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from acuerdo.ledger import audit as audit_chain
from acuerdo.ledger.access import (
    admits_node,
    audience_from_json,
    audience_to_json,
    audience_with_refs,
    extend_catalog,
    grant_rows,
)
from acuerdo.ledger.engine import lock_for_writing
from acuerdo.ledger.propagation import propagate
from acuerdo.ledger.tables import audit, grants, ledger, objects, outbox, quarantine, refs
from acuerdo.ledger.writes import Appended, Job, Signed, WriterContext, WriteRefused
from acuerdo.markings import MarkingCatalog
from acuerdo.release import Audience, RecordFacts

CHUNK = 500


@dataclass
class ObjectState:
    """The projection row of one object as this transaction sees it."""

    owner: str
    object_type: str
    current_seq: int
    current_version_key: str
    revoked: bool
    audience: str | None
    in_db: bool


@dataclass
class BatchState:
    """What the transaction knows: sequence heads, touched objects, known identities."""

    next_seq: int
    next_audit: int
    audit_head: str
    outbox_heads: dict[str, tuple[int, str]]
    objects: dict[str, ObjectState]
    identities: dict[tuple[str, str, str], tuple[str, int]]
    catalog: MarkingCatalog
    first_seq: int = 0


@dataclass
class Stage:
    """Rows to write, gathered across every job of the batch."""

    ledger_rows: list[dict[str, Any]] = field(default_factory=list)
    grant_rows: list[dict[str, Any]] = field(default_factory=list)
    uncurrent: list[int] = field(default_factory=list)
    refs_rows: list[dict[str, Any]] = field(default_factory=list)
    audit_rows: list[dict[str, Any]] = field(default_factory=list)
    outbox_rows: list[dict[str, Any]] = field(default_factory=list)
    quarantine_rows: list[dict[str, Any]] = field(default_factory=list)
    definitions: list[dict[str, object]] = field(default_factory=list)
    changed: set[str] = field(default_factory=set)
    touched: set[str] = field(default_factory=set)


def _chunks(items: list[str]) -> Iterable[list[str]]:
    for i in range(0, len(items), CHUNK):
        yield items[i : i + CHUNK]


async def load_state(
    conn: AsyncConnection, dialect: str, jobs: list[Job], ctx: WriterContext
) -> BatchState:
    """Read the heads and the rows of every object the batch writes or refers to."""
    await lock_for_writing(conn, dialect)
    max_seq = (await conn.execute(select(func.max(ledger.c.seq)))).scalar() or 0
    head = (
        await conn.execute(select(audit.c.seq, audit.c.hash).order_by(audit.c.seq.desc()).limit(1))
    ).first()
    heads: dict[str, tuple[int, str]] = {}
    for partner in ctx.partners:
        row = (
            await conn.execute(
                select(outbox.c.oseq, outbox.c.chain)
                .where(outbox.c.partner == partner)
                .order_by(outbox.c.oseq.desc())
                .limit(1)
            )
        ).first()
        heads[partner] = (row.oseq, row.chain) if row else (0, audit_chain.GENESIS)
    written = {s.draft.object_id for job in jobs for s in job.versions}
    wanted = sorted(written | {r for job in jobs for s in job.versions for r in s.draft.refs})
    state = BatchState(
        next_seq=max_seq + 1,
        next_audit=(head.seq if head else 0) + 1,
        audit_head=head.hash if head else audit_chain.GENESIS,
        outbox_heads=heads,
        objects={},
        identities={},
        catalog=ctx.catalog,
        first_seq=max_seq + 1,
    )
    for chunk in _chunks(wanted):
        for r in await conn.execute(select(objects).where(objects.c.object_id.in_(chunk))):
            state.objects[r.object_id] = ObjectState(
                r.owner,
                r.object_type,
                r.current_seq,
                r.current_version_key,
                r.revoked,
                r.audience,
                True,
            )
    for chunk in _chunks(sorted(written & state.objects.keys())):
        q = select(
            ledger.c.owner, ledger.c.object_id, ledger.c.version_key, ledger.c.sha256, ledger.c.seq
        )
        for r in await conn.execute(q.where(ledger.c.object_id.in_(chunk))):
            state.identities[(r.owner, r.object_id, r.version_key)] = (r.sha256, r.seq)
    return state


def _check_job(job: Job, state: BatchState) -> list[str]:
    """Decide each version's fate (new, duplicate, conflict) or refuse the whole job."""
    owners: dict[str, str] = {}
    seen: dict[tuple[str, str, str], str] = {}
    plan: list[str] = []
    for s in job.versions:
        d = s.draft
        known = state.objects.get(d.object_id)
        owner = known.owner if known else owners.get(d.object_id)
        if owner is not None and owner != d.owner:
            raise WriteRefused(
                "ownership",
                f"{d.object_id} was first written by another party's node; only that node "
                "writes its versions (choose a new id for a new object)",
            )
        owners[d.object_id] = d.owner
        ident = (d.owner, d.object_id, d.version_key)
        prior = state.identities.get(ident)
        prior_sha = prior[0] if prior else seen.get(ident)
        if prior_sha is None:
            plan.append("new")
            seen[ident] = d.sha256
        elif prior_sha == d.sha256:
            plan.append("duplicate")
        elif job.conflict_to_quarantine:
            plan.append("conflict")
        else:
            raise WriteRefused(
                "conflict",
                f"{d.object_id} already has version {d.version_key[2:]} with other content; "
                "a changed record needs a later 'modified'",
            )
    return plan


def _audience(s: Signed, state: BatchState, ctx: WriterContext) -> Audience | None:
    d = s.draft
    facts = RecordFacts(
        type=d.object_type,
        kind=d.kind,
        holder=d.holder,
        author=s.author,
        marking_ids=d.markings | frozenset(s.applied_markings),
    )
    # A referenced object this node does not hold reveals nothing and restricts nothing.
    held = (state.objects[r] for r in sorted(d.refs) if r in state.objects)
    return audience_with_refs(
        facts, (audience_from_json(o.audience) for o in held), state.catalog, ctx.policy
    )


def stage_job(
    job: Job, state: BatchState, stage: Stage, ctx: WriterContext, now: str
) -> list[Appended]:
    """Stage a job's rows, or raise WriteRefused having staged nothing."""
    # Marking definitions first: a bundle's records may be marked by definitions it carries.
    job.versions = sorted(job.versions, key=lambda s: s.draft.object_type != "marking-definition")
    plan = _check_job(job, state)
    results: list[Appended] = []
    for s, fate in zip(job.versions, plan, strict=True):
        d = s.draft
        if fate == "duplicate":
            sha, seq = state.identities.get((d.owner, d.object_id, d.version_key), (d.sha256, 0))
            obj = state.objects[d.object_id]
            results.append(
                Appended(seq, d.object_id, d.version_key, sha, True, obj.current_seq == seq, None)
            )
            continue
        if fate == "conflict":
            stage.quarantine_rows.append(
                {
                    "received_at": now,
                    "source": s.origin,
                    "body": d.body,
                    "envelope": s.envelope,
                    "signature": s.signature,
                    "reason": f"conflict: {d.object_id} version {d.version_key[2:]} is held "
                    "with other content",
                }
            )
            continue
        results.append(_stage_version(s, job.actor, state, stage, ctx, now))
    for entry in job.entries:
        _stage_audit(entry, state, stage, now)
    return results


def _stage_version(
    s: Signed, actor: str, state: BatchState, stage: Stage, ctx: WriterContext, now: str
) -> Appended:
    d = s.draft
    seq = state.next_seq
    state.next_seq += 1
    aud = _audience(s, state, ctx)
    aud_json = audience_to_json(aud)
    stage.ledger_rows.append(
        {
            "seq": seq,
            "owner": d.owner,
            "object_id": d.object_id,
            "version_key": d.version_key,
            "object_type": d.object_type,
            "kind": d.kind.value,
            "sha256": d.sha256,
            "body": d.body,
            "envelope": s.envelope,
            "signature": s.signature,
            "origin": s.origin,
            "holder": d.holder,
            "author": s.author,
            "applied_markings": json.dumps(list(s.applied_markings)),
            "received_at": now,
            "revoked": d.revoked,
        }
    )
    state.identities[(d.owner, d.object_id, d.version_key)] = (d.sha256, seq)
    obj = state.objects.get(d.object_id)
    current = obj is None or d.version_key > obj.current_version_key
    if current:
        if obj is not None:
            _uncurrent(obj.current_seq, state, stage)
        if obj is None or obj.audience != aud_json:
            stage.changed.add(d.object_id)  # objects that refer to it may need new grants
        state.objects[d.object_id] = ObjectState(
            d.owner,
            d.object_type,
            seq,
            d.version_key,
            d.revoked,
            aud_json,
            obj.in_db if obj else False,
        )
        stage.touched.add(d.object_id)
    stage.grant_rows.extend(grant_rows(aud, seq=seq, object_type=d.object_type, current=current))
    stage.refs_rows.extend({"src_id": d.object_id, "dst_id": r} for r in sorted(d.refs))
    _stage_audit(
        audit_chain.AuditEntry(
            actor,
            "record.write",
            d.object_id,
            {"version": d.version_key, "sha256": d.sha256, "origin": s.origin},
        ),
        state,
        stage,
        now,
    )
    if aud is not None:
        for partner in ctx.partners:
            if admits_node(aud, partner):
                _stage_outbox(partner, seq, d.sha256, state, stage)
    if d.object_type == "marking-definition":
        definition = dict(d.obj)
        state.catalog = extend_catalog(state.catalog, [definition])
        stage.definitions.append(definition)
    return Appended(seq, d.object_id, d.version_key, d.sha256, False, current, aud)


def _uncurrent(old_seq: int, state: BatchState, stage: Stage) -> None:
    if old_seq >= state.first_seq:
        for row in stage.grant_rows:
            if row["seq"] == old_seq:
                row["current"] = False
    else:
        stage.uncurrent.append(old_seq)


def _stage_audit(entry: audit_chain.AuditEntry, state: BatchState, stage: Stage, now: str) -> None:
    row = audit_chain.row_for(state.audit_head, state.next_audit, now, entry)
    stage.audit_rows.append(row)
    state.audit_head = row["hash"]
    state.next_audit += 1


def _stage_outbox(partner: str, seq: int, sha: str, state: BatchState, stage: Stage) -> None:
    last, chain = state.outbox_heads[partner]
    oseq = last + 1
    link = hashlib.sha256(f"{chain}:{oseq}:{sha}".encode("ascii")).hexdigest()
    stage.outbox_rows.append({"partner": partner, "oseq": oseq, "ledger_seq": seq, "chain": link})
    state.outbox_heads[partner] = (oseq, link)


async def flush(
    conn: AsyncConnection, dialect: str, stage: Stage, state: BatchState, ctx: WriterContext
) -> None:
    """Write every staged row, one executemany per table, then propagate audience changes."""
    if stage.ledger_rows:
        await conn.execute(ledger.insert(), stage.ledger_rows)
    new_rows: list[dict[str, Any]] = []
    upd_rows: list[dict[str, Any]] = []
    for oid in sorted(stage.touched):
        o = state.objects[oid]
        row = {
            "b_id": oid,
            "owner": o.owner,
            "object_type": o.object_type,
            "current_seq": o.current_seq,
            "current_version_key": o.current_version_key,
            "revoked": o.revoked,
            "audience": o.audience,
        }
        (upd_rows if o.in_db else new_rows).append(row)
    if new_rows:
        await conn.execute(
            objects.insert().values(object_id=bindparam("b_id")),
            new_rows,
        )
    if upd_rows:
        await conn.execute(
            objects.update().where(objects.c.object_id == bindparam("b_id")),
            upd_rows,
        )
    if stage.uncurrent:
        await conn.execute(
            grants.update().where(grants.c.seq == bindparam("b_seq")).values(current=False),
            [{"b_seq": s} for s in stage.uncurrent],
        )
    if stage.grant_rows:
        await conn.execute(grants.insert(), stage.grant_rows)
    if stage.refs_rows:
        ins = postgresql.insert(refs) if dialect == "postgresql" else sqlite.insert(refs)
        await conn.execute(ins.on_conflict_do_nothing(), stage.refs_rows)
    if stage.audit_rows:
        await conn.execute(audit.insert(), stage.audit_rows)
    if stage.outbox_rows:
        await conn.execute(outbox.insert(), stage.outbox_rows)
    if stage.quarantine_rows:
        await conn.execute(quarantine.insert(), stage.quarantine_rows)
    if stage.changed:
        await propagate(conn, stage.changed, state.catalog, ctx.policy)

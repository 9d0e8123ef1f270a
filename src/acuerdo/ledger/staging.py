"""One write transaction, planned in memory and then flushed with executemany.

acuerdo.ledger.rowio reads what the batch needs to know (sequence heads, the objects it
touches and the objects they refer to); `stage_job` checks a job completely before staging
any of it, so a refused job leaves no row behind; rowio then writes every staged row with one
executemany per table.

Staging is plain Python per version, so it is kept lean: rows are tuples in column order,
and the gate's audience is computed once per distinct (record facts, audiences of what it
refers to) in a batch, not once per version. A thousand indicators marked alike cost one
gate decision, and exactly the decision each of them would get on its own.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from acuerdo.ledger.access import (
    admits_node,
    audience_from_json,
    audience_to_json,
    audience_with_refs,
    channel_mask,
    extend_catalog,
)
from acuerdo.ledger.audit_staging import stage_audit, stage_write_audit
from acuerdo.ledger.record import Draft
from acuerdo.ledger.types import PERSONAL_TYPES
from acuerdo.ledger.writes import (
    Appended,
    Job,
    Projected,
    Signed,
    WriteFacts,
    WriterContext,
    WriteRefused,
)
from acuerdo.markings import MarkingCatalog
from acuerdo.release import Audience, RecordFacts


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


@dataclass(frozen=True, slots=True)
class Release:
    """The gate's audience of a version and what the writer derives from it."""

    audience: Audience | None
    json: str | None
    tokens: tuple[str, ...]  # grant tokens, sorted (none when released to no one)
    mask: int  # channel bits of every grant row
    partners: tuple[str, ...]  # partner nodes it is released to (federation's outboxes)


@dataclass
class BatchState:
    """What the transaction knows: sequence heads, touched objects, known identities."""

    next_seq: int
    next_audit: int
    audit_head: str
    objects: dict[str, ObjectState]
    identities: dict[tuple[str, str, str], tuple[str, int]]
    catalog: MarkingCatalog
    first_seq: int = 0
    releases: dict[tuple[Any, ...], Release] = field(default_factory=dict)
    fast_audit: bool | None = None  # None until checked against audit.row_for
    referenced: bool = True  # may a stored object refer to one this batch writes?
    # (object id, token) -> (seq, version key) of the newest version granted to that token:
    # "current" is per audience, so a withheld newer version hides nothing older.
    token_current: dict[tuple[str, str], tuple[int, str]] = field(default_factory=dict)
    # Objects first written by this batch, whose one version so far is current for every
    # token it was granted to: (seq, version key), kept instead of a `token_current` entry
    # per token (an import's new objects are nearly all of its versions); `_unfresh` turns
    # one into those entries if a later version of it comes.
    fresh: dict[str, tuple[int, str]] = field(default_factory=dict)
    # (ledger head, audit seq, audit hash) as read: the writer checks them again before it
    # writes a batch it staged while the previous one committed.
    heads: tuple[int, int | None, str | None] = (0, None, None)


@dataclass
class Stage:
    """Rows to write, gathered across every job of the batch, as tuples in column order.

    Grant rows are lists: a later version of the same object in the same batch clears the
    `current` flag (index 4) of the rows staged for the version it replaces.
    """

    ledger_rows: list[tuple[Any, ...]] = field(default_factory=list)
    grant_rows: list[list[Any]] = field(default_factory=list)
    grants_by_seq: dict[int, list[list[Any]]] = field(default_factory=dict)
    uncurrent: list[tuple[bool, str, int]] = field(default_factory=list)
    refs_rows: list[tuple[str, str]] = field(default_factory=list)
    audit_rows: list[tuple[Any, ...]] = field(default_factory=list)
    quarantine_rows: list[tuple[Any, ...]] = field(default_factory=list)
    definitions: list[dict[str, object]] = field(default_factory=list)
    projected: list[Projected] = field(default_factory=list)
    changed: set[str] = field(default_factory=set)
    touched: set[str] = field(default_factory=set)
    referred: set[str] = field(default_factory=set)  # what the batch's versions refer to
    # Did an object's audience change after a version referring to it was staged? (Staged
    # later, a referrer's grants already take the new audience into account.)
    stale_referrer: bool = False
    facts: WriteFacts = field(default_factory=WriteFacts)


# Column orders of the staged tuples; rowio builds its statements from these.
LEDGER_COLUMNS = (
    "seq", "owner", "object_id", "version_key", "object_type", "kind", "sha256", "body",
    "envelope", "signature", "origin", "holder", "author", "applied_markings", "received_at",
    "revoked",
)  # fmt: skip
GRANT_COLUMNS = ("token", "seq", "object_type", "channels", "current")
REFS_COLUMNS = ("src_id", "dst_id")
QUARANTINE_COLUMNS = ("received_at", "source", "body", "envelope", "signature", "reason")
OBJECT_COLUMNS = (
    "object_id", "owner", "object_type", "current_seq", "current_version_key", "revoked",
    "audience",
)  # fmt: skip


def needs_propagation(stage: Stage, state: BatchState) -> bool:
    """Could a changed object have referrers whose grants did not see the change (stored
    before, or staged earlier in this batch)?"""
    if not stage.changed:
        return False
    return state.referenced or stage.stale_referrer


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


def _release(s: Signed, state: BatchState, ctx: WriterContext) -> Release:
    """The version's audience, narrowed by what it refers to; computed once per kind."""
    d = s.draft
    # (Most versions carry no applied markings and no refs: neither set is built for them.)
    marking_ids = d.markings | frozenset(s.applied_markings) if s.applied_markings else d.markings
    # A referenced object this node does not hold reveals nothing and restricts nothing;
    # nor does personal data, which is marked apart from the record that links it.
    refs = map(state.objects.get, sorted(d.refs)) if d.refs else ()
    held = tuple(o.audience for o in refs if o is not None and o.object_type not in PERSONAL_TYPES)
    key = (d.object_type, d.kind, d.holder, s.author, marking_ids, held)
    found = state.releases.get(key)
    if found is not None:
        return found
    facts = RecordFacts(
        type=d.object_type,
        kind=d.kind,
        holder=d.holder,
        author=s.author,
        marking_ids=marking_ids,
    )
    aud = audience_with_refs(
        facts, (audience_from_json(a) for a in held), state.catalog, ctx.policy
    )
    if aud is None or not aud.channels:
        tokens: tuple[str, ...] = ()
        mask = 0
    else:
        tokens, mask = tuple(sorted(aud.tokens())), channel_mask(aud.channels)
    partners = () if aud is None else tuple(p for p in ctx.partners if admits_node(aud, p))
    release = Release(aud, audience_to_json(aud), tokens, mask, partners)
    state.releases[key] = release
    return release


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
            reason = (
                f"conflict: {d.object_id} version {d.version_key[2:]} is held with other content"
            )
            stage.quarantine_rows.append((now, s.origin, d.body, s.envelope, s.signature, reason))
            continue
        results.append(_stage_version(s, job.actor, state, stage, ctx, now))
    for entry in job.entries:
        stage_audit(entry, state, stage, now)
    return results


@lru_cache(maxsize=256)
def _markings_json(applied: tuple[str, ...]) -> str:
    return json.dumps(list(applied))


def _stage_version(
    s: Signed, actor: str, state: BatchState, stage: Stage, ctx: WriterContext, now: str
) -> Appended:
    d = s.draft
    seq = state.next_seq
    state.next_seq += 1
    release = _release(s, state, ctx)
    row = (seq, d.owner, d.object_id, d.version_key, d.object_type, d.kind.value, d.sha256)
    stage.ledger_rows.append(
        (*row, d.body, s.envelope, s.signature, s.origin, d.holder, s.author,
         _markings_json(s.applied_markings), now, d.revoked)
    )  # fmt: skip
    state.identities[(d.owner, d.object_id, d.version_key)] = (d.sha256, seq)
    obj = state.objects.get(d.object_id)
    current = obj is None or d.version_key > obj.current_version_key
    if current:
        # Objects that refer to it may need new grants; personal data restricts no referrer.
        changed = obj is None or obj.audience != release.json
        if changed and d.object_type not in PERSONAL_TYPES:
            stage.changed.add(d.object_id)
            stage.stale_referrer |= d.object_id in stage.referred
        state.objects[d.object_id] = ObjectState(
            d.owner,
            d.object_type,
            seq,
            d.version_key,
            d.revoked,
            release.json,
            obj.in_db if obj else False,
        )
        stage.touched.add(d.object_id)
    if release.tokens:
        if obj is None:  # new to the ledger and to the batch: current for every token
            rows = [[t, seq, d.object_type, release.mask, True] for t in release.tokens]
            state.fresh[d.object_id] = (seq, d.version_key)
        else:
            if state.fresh:
                _unfresh(d.object_id, state, stage)
            rows = [
                [t, seq, d.object_type, release.mask, _newest_for(t, seq, d, obj, state, stage)]
                for t in release.tokens
            ]
        stage.grant_rows.extend(rows)
        stage.grants_by_seq[seq] = rows
    if d.refs:
        stage.refs_rows.extend((d.object_id, r) for r in sorted(d.refs))
        stage.referred.update(d.refs)
    stage_write_audit(actor, d, s.origin, state, stage, now)
    if d.object_type == "marking-definition":
        definition = dict(d.obj)
        state.catalog = extend_catalog(state.catalog, [definition])
        state.releases.clear()  # decisions taken under the old catalog may differ now
        stage.definitions.append(definition)
    if ctx.projectors:
        stage.projected.append(
            Projected(
                seq,
                d,
                current,
                s.author,
                s.envelope,
                s.signature,
                release.partners,
                stage.facts,
                new_object=obj is None or not obj.in_db,
            )
        )
    return Appended(seq, d.object_id, d.version_key, d.sha256, False, current, release.audience)


def _newest_for(
    token: str, seq: int, d: Draft, obj: ObjectState | None, state: BatchState, stage: Stage
) -> bool:
    """Is this version the newest of its object granted to `token`? If so, it takes over."""
    key = (d.object_id, token)
    prior = state.token_current.get(key) if obj is not None else None
    if prior is not None and prior[1] > d.version_key:
        return False
    if prior is not None:
        _uncurrent(prior[0], token, state, stage)
    state.token_current[key] = (seq, d.version_key)
    return True


def _unfresh(object_id: str, state: BatchState, stage: Stage) -> None:
    """An object first written by this batch gets another version: its first version's
    tokens become `token_current` entries, as `_newest_for` would have made them."""
    found = state.fresh.pop(object_id, None)
    if found is not None:
        seq, version_key = found
        for row in stage.grants_by_seq[seq]:
            state.token_current[(object_id, row[0])] = (seq, version_key)


def _uncurrent(old_seq: int, token: str, state: BatchState, stage: Stage) -> None:
    if old_seq >= state.first_seq:
        for row in stage.grants_by_seq.get(old_seq, ()):
            if row[0] == token:
                row[4] = False
    else:
        stage.uncurrent.append((False, token, old_seq))


def object_rows(
    stage: Stage, state: BatchState
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """Projection rows of the touched objects: (new ones to insert, known ones to update)."""
    new_rows: list[tuple[Any, ...]] = []
    upd_rows: list[tuple[Any, ...]] = []
    for oid in sorted(stage.touched):
        o = state.objects[oid]
        values = (
            o.owner, o.object_type, o.current_seq, o.current_version_key, o.revoked, o.audience
        )  # fmt: skip
        if o.in_db:
            upd_rows.append((*values, oid))
        else:
            new_rows.append((oid, *values))
    return new_rows, upd_rows

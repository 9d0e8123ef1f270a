"""A batch's audit entries, staged beside its ledger rows: each chained to the one before.

The writer stages one entry per version it writes (`stage_write_audit`) and a job's own
entries (`stage_audit`); both extend the chain from the batch's audit head, in order, so
the entries of one transaction are contiguous and each links its predecessor's hash.
"""

from __future__ import annotations

import hashlib
from json.encoder import encode_basestring as _q
from typing import TYPE_CHECKING, Any

from acuerdo.ledger import audit as audit_chain
from acuerdo.ledger.record import Draft

if TYPE_CHECKING:
    from acuerdo.ledger.staging import BatchState, Stage

AUDIT_COLUMNS = ("seq", "at", "actor", "action", "subject", "detail", "prev", "hash")


def stage_audit(entry: audit_chain.AuditEntry, state: BatchState, stage: Stage, now: str) -> None:
    """Stage a job's own audit entry (one that records no version), chained to the last."""
    row = audit_chain.row_for(state.audit_head, state.next_audit, now, entry)
    _push_audit(tuple(row[c] for c in AUDIT_COLUMNS), state, stage)


def _push_audit(row: tuple[Any, ...], state: BatchState, stage: Stage) -> None:
    stage.audit_rows.append(row)
    state.audit_head = row[7]
    state.next_audit += 1


def stage_write_audit(
    actor: str, d: Draft, origin: str, state: BatchState, stage: Stage, now: str
) -> None:
    """The audit entry of a written version, built as text instead of through dicts.

    It must equal `audit.row_for` byte for byte: each batch checks its first such entry
    against `row_for`, and keeps to `row_for` for the whole batch if they ever differ.
    """
    if state.fast_audit is not True:
        entry = audit_chain.AuditEntry(
            actor, "record.write", d.object_id,
            {"version": d.version_key, "sha256": d.sha256, "origin": origin},
        )  # fmt: skip
        row = audit_chain.row_for(state.audit_head, state.next_audit, now, entry)
        expected = tuple(row[c] for c in AUDIT_COLUMNS)
        if state.fast_audit is None:
            state.fast_audit = _write_audit_row(actor, d, origin, state, now) == expected
        _push_audit(expected, state, stage)
        return
    _push_audit(_write_audit_row(actor, d, origin, state, now), state, stage)


def _write_audit_row(
    actor: str, d: Draft, origin: str, state: BatchState, now: str
) -> tuple[Any, ...]:
    # Canonical JSON by hand: members in code-unit order, strings escaped as JCS does.
    detail = f'{{"origin":{_q(origin)},"sha256":{_q(d.sha256)},"version":{_q(d.version_key)}}}'
    seq, prev = state.next_audit, state.audit_head
    content = (
        f'{{"action":"record.write","actor":{_q(actor)},"at":{_q(now)},"detail":{detail},'
        f'"seq":{seq},"subject":{_q(d.object_id)}}}'
    )
    digest = audit_chain.link(prev, hashlib.sha256(content.encode("utf-8")).hexdigest())
    return (seq, now, actor, "record.write", d.object_id, detail, prev, digest)

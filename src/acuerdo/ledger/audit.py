"""The audit chain: every write, login and read of personal data, hash-chained.

Each entry's hash covers the previous entry's hash and the SHA-256 of its own canonical
content, so editing, inserting or deleting a row breaks every hash after it; `verify_chain`
names the first entry whose stored hash no longer follows. Chaining the content's digest
(not the content) lets a node prove to its partner that today's chain extends a head the
partner witnessed by sending digests only, never what was audited
(acuerdo.federation.witness). Entries written before that change chained the content
itself; `verify_chain` still accepts them (the two inputs cannot collide: a digest is hex,
content starts with "{"). Entries are appended by the node's single writer, which
commits many of them in one transaction (group commit) and answers each caller only after
that commit: a read of personal data is never answered before its audit entry is durable.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from acuerdo.ledger.canonical import canonicalize
from acuerdo.ledger.tables import audit

GENESIS = "0" * 64


@dataclass(frozen=True)
class AuditEntry:
    """What happened, who did it, and to what. `detail` never holds personal data."""

    actor: str
    action: str
    subject: str
    detail: dict[str, Any] = field(default_factory=dict)


def content_bytes(seq: int, at: str, entry: AuditEntry, detail_json: str) -> bytes:
    """An entry's canonical content, as its digest covers it."""
    return canonicalize(
        {
            "seq": seq,
            "at": at,
            "actor": entry.actor,
            "action": entry.action,
            "subject": entry.subject,
            "detail": json.loads(detail_json),
        }
    )


def content_digest(seq: int, at: str, entry: AuditEntry, detail_json: str) -> str:
    """SHA-256 (hex) of an entry's canonical content: what a proof to a partner carries."""
    return hashlib.sha256(content_bytes(seq, at, entry, detail_json)).hexdigest()


def link(prev: str, digest: str) -> str:
    """The hash of an entry from the previous hash and its content's digest."""
    return hashlib.sha256((prev + digest).encode("ascii")).hexdigest()


def entry_hash(prev: str, seq: int, at: str, entry: AuditEntry, detail_json: str) -> str:
    """Hash of one entry, chained to the previous one."""
    return link(prev, content_digest(seq, at, entry, detail_json))


def legacy_entry_hash(prev: str, seq: int, at: str, entry: AuditEntry, detail_json: str) -> str:
    """The hash of entries written before chaining digests: over the content itself."""
    content = content_bytes(seq, at, entry, detail_json)
    return hashlib.sha256(prev.encode("ascii") + content).hexdigest()


def row_for(prev: str, seq: int, at: str, entry: AuditEntry) -> dict[str, Any]:
    """The table row of an entry appended after `prev`."""
    detail_json = canonicalize(entry.detail).decode("utf-8")
    return {
        "seq": seq,
        "at": at,
        "actor": entry.actor,
        "action": entry.action,
        "subject": entry.subject,
        "detail": detail_json,
        "prev": prev,
        "hash": entry_hash(prev, seq, at, entry, detail_json),
    }


@dataclass(frozen=True)
class ChainReport:
    """Outcome of verifying the chain: how many entries, and the first broken one if any."""

    entries: int
    head: str
    broken_seq: int | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_seq is None


async def verify_chain(conn: AsyncConnection, *, chunk: int = 5000) -> ChainReport:
    """Walk the chain from genesis; stop at the first entry that does not follow."""
    prev, expected_seq, count, after = GENESIS, 1, 0, 0
    while True:
        rows = (
            await conn.execute(
                select(audit).where(audit.c.seq > after).order_by(audit.c.seq).limit(chunk)
            )
        ).all()
        if not rows:
            return ChainReport(count, prev)
        for r in rows:
            if r.seq != expected_seq:
                return ChainReport(count, prev, r.seq, f"entry {expected_seq} is missing")
            if r.prev != prev:
                return ChainReport(count, prev, r.seq, "does not point at the previous entry")
            try:
                detail = json.loads(r.detail)
                if not isinstance(detail, dict):
                    raise ValueError
            except ValueError:
                return ChainReport(count, prev, r.seq, "detail is not a JSON object")
            entry = AuditEntry(r.actor, r.action, r.subject, detail)
            if entry_hash(prev, r.seq, r.at, entry, r.detail) != r.hash and (
                legacy_entry_hash(prev, r.seq, r.at, entry, r.detail) != r.hash
            ):
                return ChainReport(count, prev, r.seq, "content does not match its hash")
            prev, expected_seq, count, after = r.hash, r.seq + 1, count + 1, r.seq

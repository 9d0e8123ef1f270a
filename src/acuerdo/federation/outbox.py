"""Per-partner outboxes, filled inside the writer's transaction by a projector.

For each version this node's own party wrote, the release gate's decision (materialised as
the version's grant rows: a `node:PARTY` token with the federation channel) says which
partners receive it; each such version becomes the next entry of that partner's outbox. The
sequence is allocated inside the write transaction, so it is contiguous on every backend,
and each entry's hash chains the previous entry's hash with the record's canonical bytes
and signature: holding a signed head authenticates every entry before it.

Withheld versions never enter an outbox. When a newer version no longer goes to a partner
that held an older one (its markings narrowed), a *withdrawn* entry goes instead, and the
partner hides the object.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from json.encoder import encode_basestring as _q

from sqlalchemy import and_, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from acuerdo.federation.tables import federation_outbox
from acuerdo.ledger.access import CHANNEL_BITS
from acuerdo.ledger.audit import GENESIS
from acuerdo.ledger.frozen import quick_init
from acuerdo.ledger.rowio import Fetch, in_one_hop, insert_rows, insert_sql, placeholders
from acuerdo.ledger.tables import grants, ledger, refs
from acuerdo.ledger.writes import Projected
from acuerdo.release import Channel

ENTRY_PREFIX = b"acuerdo/federation-entry/v1\x00"
ENTRY_COLUMNS = (
    "partner", "oseq", "kind", "ledger_seq", "object_id", "version_key", "entry_hash",
)  # fmt: skip
RECORD = "record"
WITHDRAWN = "withdrawn"
FEDERATION_BIT = CHANNEL_BITS[Channel.FEDERATION]
OUTBOX_CHANNEL = "acuerdo_outbox"  # PostgreSQL NOTIFY channel: outbox entries committed


def signature_digest(envelope: bytes, signature: bytes) -> str:
    """SHA-256 over a record's envelope and signature (the envelope holds no NUL)."""
    return hashlib.sha256(envelope + b"\x00" + signature).hexdigest()


def entry_hash(
    prev: str, oseq: int, kind: str, object_id: str, version_key: str, record: str, sig: str
) -> str:
    """The hash of one outbox entry, chained to the previous entry's hash.

    It hashes the canonical JSON (RFC 8785) of the entry's fields, written here as text:
    members in key order, strings escaped as canonicalize escapes them (both sides compute
    it once per entry; tests hold it equal to `canonicalize` of the same fields).
    """
    body = (
        f'{{"id":{_q(object_id)},"kind":{_q(kind)},"oseq":{int(oseq)},"prev":{_q(prev)},'
        f'"record":{_q(record)},"sig":{_q(sig)},"version":{_q(version_key)}}}'
    )
    return hashlib.sha256(ENTRY_PREFIX + body.encode("utf-8")).hexdigest()


@quick_init
@dataclass(frozen=True)
class Version:
    """What an outbox entry needs of a ledger version."""

    seq: int
    object_id: str
    version_key: str
    sha256: str
    sig: str


async def outbox_head(conn: AsyncConnection, partner: str) -> tuple[int, str]:
    """(last oseq, its entry hash) of a partner's outbox; (0, GENESIS) when empty."""
    row = (
        await conn.execute(
            select(federation_outbox.c.oseq, federation_outbox.c.entry_hash)
            .where(federation_outbox.c.partner == partner)
            .order_by(federation_outbox.c.oseq.desc())
            .limit(1)
        )
    ).first()
    return (int(row[0]), str(row[1])) if row else (0, GENESIS)


async def released_to(conn: AsyncConnection, partner: str, seqs: Sequence[int]) -> set[int]:
    """Of these ledger seqs, those the gate released to the partner's node by federation."""
    out: set[int] = set()
    for i in range(0, len(seqs), 500):
        chunk = list(seqs[i : i + 500])
        rows = await conn.execute(
            select(grants.c.seq, grants.c.channels).where(
                and_(grants.c.token == f"node:{partner}", grants.c.seq.in_(chunk))
            )
        )
        out.update(int(s) for s, ch in rows if ch & FEDERATION_BIT)
    return out


async def versions_at(conn: AsyncConnection, seqs: Sequence[int]) -> dict[int, Version]:
    """The ledger versions at these seqs, with their signature digests."""
    out: dict[int, Version] = {}
    cols = (ledger.c.seq, ledger.c.object_id, ledger.c.version_key, ledger.c.sha256)
    for i in range(0, len(seqs), 500):
        chunk = list(seqs[i : i + 500])
        rows = await conn.execute(
            select(*cols, ledger.c.envelope, ledger.c.signature).where(ledger.c.seq.in_(chunk))
        )
        for seq, oid, key, sha, env, sig in rows:
            out[int(seq)] = Version(int(seq), oid, key, sha, signature_digest(env, sig))
    return out


async def last_entries(
    conn: AsyncConnection, partner: str, object_ids: Sequence[str]
) -> dict[str, tuple[str, int]]:
    """Per object, (kind, ledger seq) of the newest entry the partner's outbox holds for it."""
    out: dict[str, tuple[str, int, int]] = {}
    o = federation_outbox.c
    for i in range(0, len(object_ids), 500):
        chunk = list(object_ids[i : i + 500])
        rows = await conn.execute(
            select(o.object_id, o.kind, o.ledger_seq, o.oseq).where(
                and_(o.partner == partner, o.object_id.in_(chunk))
            )
        )
        for oid, kind, lseq, oseq in rows:
            if oid not in out or oseq > out[oid][2]:
                out[oid] = (kind, int(lseq), int(oseq))
    return {k: (v[0], v[1]) for k, v in out.items()}


class OutboxWriter:
    """Appends entries to one partner's outbox within a transaction, chaining as it goes."""

    def __init__(self, partner: str, head: tuple[int, str]) -> None:
        self.partner = partner
        self.oseq, self.hash = head
        self.rows: list[tuple[object, ...]] = []

    def add(self, kind: str, v: Version) -> None:
        self.oseq += 1
        sig = v.sig if kind == RECORD else ""
        self.hash = entry_hash(
            self.hash, self.oseq, kind, v.object_id, v.version_key, v.sha256, sig
        )
        self.rows.append(
            (self.partner, self.oseq, kind, v.seq, v.object_id, v.version_key, self.hash)
        )

    async def flush(self, conn: AsyncConnection) -> None:
        if self.rows:
            await insert_rows(conn, federation_outbox.name, ENTRY_COLUMNS, self.rows)
            self.rows = []


async def referrers_of(conn: AsyncConnection, object_ids: Sequence[str]) -> list[str]:
    """Objects that refer to any of these (their grants may have narrowed with them)."""
    found: set[str] = set()
    for i in range(0, len(object_ids), 500):
        chunk = list(object_ids[i : i + 500])
        found.update(
            (await conn.execute(select(refs.c.src_id).where(refs.c.dst_id.in_(chunk)))).scalars()
        )
    return sorted(found)


async def queue_versions(
    conn: AsyncConnection,
    partner: str,
    seqs: Sequence[int],
    current: set[int],
    referrers: Sequence[str] = (),
) -> int:
    """Queue these own versions for one partner: released ones as records, and a withdrawn
    entry for each current version that no longer goes to a partner that held its object,
    and for each referrer whose held version is no longer released (what it refers to
    narrowed).

    Returns the number of entries added.
    """
    released = await released_to(conn, partner, seqs)
    narrowed = [s for s in seqs if s in current and s not in released]
    versions = await versions_at(conn, sorted(released | set(narrowed)))
    held = await last_entries(conn, partner, sorted({versions[s].object_id for s in narrowed}))
    out = OutboxWriter(partner, await outbox_head(conn, partner))
    sent: dict[str, tuple[str, int]] = dict(held)
    for seq in seqs:
        v = versions.get(seq)
        if v is None:
            continue
        if seq in released:
            out.add(RECORD, v)
            sent[v.object_id] = (RECORD, seq)
            continue
        last = sent.get(v.object_id)
        if last is not None and last[0] == RECORD:
            gone = (await versions_at(conn, [last[1]]))[last[1]]
            out.add(WITHDRAWN, gone)
            sent[v.object_id] = (WITHDRAWN, last[1])
    if referrers:
        await _withdraw_narrowed(conn, partner, referrers, sent, out)
    added = len(out.rows)
    await out.flush(conn)
    return added


async def _withdraw_narrowed(
    conn: AsyncConnection,
    partner: str,
    object_ids: Sequence[str],
    sent: dict[str, tuple[str, int]],
    out: OutboxWriter,
) -> None:
    held = await last_entries(conn, partner, [o for o in object_ids if o not in sent])
    held_seqs = [seq for kind, seq in held.values() if kind == RECORD]
    if not held_seqs:
        return
    still = await released_to(conn, partner, held_seqs)
    gone = await versions_at(conn, [s for s in held_seqs if s not in still])
    for seq in sorted(gone):
        out.add(WITHDRAWN, gone[seq])
        sent[gone[seq].object_id] = (WITHDRAWN, seq)


class OutboxProjector:
    """The writer-side half of federation: fills every partner's outbox in the transaction."""

    def __init__(self, party: str, partners: Sequence[str], *, use_staged: bool = True) -> None:
        self.party = party
        self.partners = tuple(partners)
        # False: always read the grants back (what tests compare the staged path against).
        self.use_staged = use_staged

    async def project(
        self, conn: AsyncConnection, dialect: str, versions: Sequence[Projected]
    ) -> None:
        own = [p for p in versions if p.draft.holder == self.party]
        facts = versions[0].facts if versions else None
        added = 0
        if self.use_staged and facts is not None and not facts.referenced and not facts.regranted:
            # Nothing stored refers to what this transaction wrote, and its grants are the
            # ones staged: the partners staged beside each version are its grant rows, and
            # no referrer can have narrowed (one staged in this transaction is among its
            # versions). The same entries as below, without reading back.
            for partner in self.partners if own else ():
                added += await _queue_staged(conn, partner, own)
        else:
            seqs = [p.seq for p in own]
            current = {p.seq for p in own if p.current}
            referrers = await referrers_of(conn, [p.draft.object_id for p in versions if p.current])
            for partner in self.partners if own or referrers else ():
                added += await queue_versions(conn, partner, seqs, current, referrers)
        if added and dialect == "postgresql":
            # Delivered at commit, to feeds waiting in every process serving this node.
            await conn.execute(text(f"NOTIFY {OUTBOX_CHANNEL}"))


async def _queue_staged(conn: AsyncConnection, partner: str, own: Sequence[Projected]) -> int:
    """`queue_versions` for versions whose released partners the writer staged; returns
    the number of entries added."""
    narrowed = sorted({p.draft.object_id for p in own if p.current and partner not in p.partners})
    sent = await last_entries(conn, partner, narrowed) if narrowed else {}
    entries: list[tuple[str, Version]] = []
    for p in own:
        d = p.draft
        if partner in p.partners:
            sig = signature_digest(p.envelope, p.signature)
            entries.append((RECORD, Version(p.seq, d.object_id, d.version_key, d.sha256, sig)))
            sent[d.object_id] = (RECORD, p.seq)
            continue
        last = sent.get(d.object_id) if p.current else None
        if last is not None and last[0] == RECORD:
            entries.append((WITHDRAWN, (await versions_at(conn, [last[1]]))[last[1]]))
            sent[d.object_id] = (WITHDRAWN, last[1])
    if not entries:
        return 0
    (mark,) = placeholders(conn.dialect, 1)
    head_sql = (
        "SELECT oseq, entry_hash FROM federation_outbox "  # noqa: S608 (no input in the SQL)
        f"WHERE partner = {mark} ORDER BY oseq DESC LIMIT 1"
    )
    add_sql = insert_sql(conn.dialect, federation_outbox.name, ENTRY_COLUMNS)

    def append(fetch: Fetch, many: Callable[[str, list[tuple[object, ...]]], object]) -> None:
        # The head and the new entries in one round trip to the driver.
        rows = fetch(head_sql, (partner,))
        out = OutboxWriter(partner, (int(rows[0][0]), str(rows[0][1])) if rows else (0, GENESIS))
        for kind, v in entries:
            out.add(kind, v)
        many(add_sql, out.rows)

    await in_one_hop(conn, append)
    return len(entries)


__all__ = [
    "OUTBOX_CHANNEL",
    "RECORD",
    "WITHDRAWN",
    "OutboxProjector",
    "entry_hash",
    "outbox_head",
    "queue_versions",
    "signature_digest",
]

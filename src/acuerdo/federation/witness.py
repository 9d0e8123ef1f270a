"""Witnessed audit-chain heads: each node holds its partner's signed audit heads, and can
ask, for an audit, for proof that the partner's chain today still extends every one of them.

Routinely (every `federation_witness_seconds`, from the puller) a node fetches its partner's
*head statement*: the partner's party, this node's party, the agreement, the hash of the
partner's audit-chain head and when it was signed, signed with the partner's requests key.
It carries no length: routine exchange reveals no volumes. The serving node remembers each
head it gave (and where it sits in its chain); the receiving node keeps each head with its
signature.

A proof is asked for on request (`acuerdo federation witness PARTY`): the partner answers
with the SHA-256 digest of every entry's content between a witnessed head and a later one
(or its current head, freshly signed). Each entry's hash is the hash of the previous one and
its content's digest (acuerdo.ledger.audit), so the asking node recomputes the chain from
the witnessed head and must land on the later head; what was audited is never revealed, and
the count of entries is revealed only then. A node that rewrote its audit history, even
consistently (every hash after the edit recomputed, so its own `audit verify` passes), cannot
make the old head lead to its new chain.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from acuerdo.federation.tables import federation_witness_given, federation_witnessed
from acuerdo.ledger.audit import GENESIS, AuditEntry, content_digest, link
from acuerdo.ledger.canonical import canonicalize
from acuerdo.ledger.keys import KeyPurpose
from acuerdo.ledger.signing import b64url, b64url_decode, sign_domain, verify_domain
from acuerdo.ledger.tables import audit
from acuerdo.ledger.writer import utc_now

if TYPE_CHECKING:
    from acuerdo.node import Node

STATEMENT_PREFIX = b"acuerdo/audit-head/v1\x00"
_HASH = re.compile(r"[0-9a-f]{64}")
FIELDS = ("origin", "partner", "audit_head", "signed_at", "agreement")

Request = Callable[[str, dict[str, Any]], Awaitable[dict[str, Any]]]


class WitnessRefused(Exception):
    """A head statement or a proof that does not hold; the message says why."""


class UnknownHead(Exception):
    """A proof was asked from a head this node never gave that partner."""


@dataclass(frozen=True)
class HeadStatement:
    """A node's signed word on its audit-chain head, given to one partner."""

    origin: str
    partner: str
    audit_head: str
    signed_at: str
    agreement: str

    def to_json(self) -> dict[str, str]:
        return dict(self.__dict__)


def sign_statement(statement: HeadStatement, node: Node) -> str:
    message = canonicalize(statement.to_json())
    return b64url(sign_domain(STATEMENT_PREFIX, message, node.keys.signer(KeyPurpose.REQUESTS)))


def check_statement(
    document: Any, signature: Any, *, origin: str, partner: str, agreement: str, key: bytes
) -> HeadStatement:
    """The statement, if it is well formed, names these nodes and is signed by `key`."""
    if not isinstance(document, dict) or sorted(document) != sorted(FIELDS):
        raise WitnessRefused(f"a head statement holds exactly {', '.join(FIELDS)}")
    if not all(isinstance(document[f], str) for f in FIELDS):
        raise WitnessRefused("a head statement's fields are strings")
    statement = HeadStatement(**document)
    if not _HASH.fullmatch(statement.audit_head):
        raise WitnessRefused("the audit head is not a SHA-256 hex digest")
    try:
        raw = b64url_decode(signature) if isinstance(signature, str) else b""
        holds = verify_domain(STATEMENT_PREFIX, canonicalize(document), raw, key)
    except ValueError:
        holds = False
    if not holds:
        raise WitnessRefused(f"the head statement is not signed by {origin}'s requests key")
    if (statement.origin, statement.partner) != (origin, partner):
        raise WitnessRefused(f"the head statement names {statement.origin} to {statement.partner}")
    if statement.agreement != agreement:
        raise WitnessRefused("the head statement names another agreement")
    return statement


def check_proof(start: str, digests: Any, target: str) -> str | None:
    """Why recomputing the chain from `start` over `digests` misses `target` (None: it lands)."""
    if not isinstance(digests, list):
        return "the proof's digests are not a list"
    head = start
    for i, digest in enumerate(digests):
        if not isinstance(digest, str) or not _HASH.fullmatch(digest):
            return f"digest {i} of the proof is not a SHA-256 hex digest"
        head = link(head, digest)
    if head != target:
        return f"{len(digests)} entries after the witnessed head do not lead to {target}"
    return None


# --- the serving node ---------------------------------------------------------------------


async def _audit_head(conn: AsyncConnection) -> tuple[int, str]:
    a = audit.c
    row = (await conn.execute(select(a.seq, a.hash).order_by(a.seq.desc()).limit(1))).first()
    return (int(row[0]), str(row[1])) if row else (0, GENESIS)


async def give_head(node: Node, partner: str) -> tuple[HeadStatement, str, int]:
    """Sign this node's current audit head for `partner`, and remember it was given."""
    async with node.engines.reader.connect() as conn:
        seq, head = await _audit_head(conn)
    statement = HeadStatement(node.party, partner, head, utc_now(), node.agreement.hash)
    signature = sign_statement(statement, node)
    g = federation_witness_given.c

    async def remember(conn: AsyncConnection) -> None:
        known = await conn.execute(
            select(g.audit_seq).where(and_(g.partner == partner, g.audit_head == head))
        )
        if known.first() is None:
            values = {"partner": partner, "audit_head": head, "audit_seq": seq}
            await conn.execute(
                insert(federation_witness_given).values(**values, signed_at=statement.signed_at)
            )

    await node.writer.append([], actor=f"node:{partner}", in_transaction=[remember])
    return statement, signature, seq


async def given_seq(engine: AsyncEngine, partner: str, head: str) -> int:
    """Where a head given to `partner` sits in this chain (UnknownHead if never given)."""
    if head == GENESIS:
        return 0
    g = federation_witness_given.c
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                select(g.audit_seq).where(and_(g.partner == partner, g.audit_head == head))
            )
        ).first()
    if row is None:
        raise UnknownHead(f"this node never gave {partner} the audit head {head}")
    return int(row[0])


async def digests_between(engine: AsyncEngine, after: int, through: int) -> list[str]:
    """The content digests of entries after..through, as the chain holds them today."""
    a, out, chunk = audit.c, [], 5000
    async with engine.connect() as conn:
        while after < through:
            upto = min(through, after + chunk)
            rows = await conn.execute(
                select(a.seq, a.at, a.actor, a.action, a.subject, a.detail)
                .where(and_(a.seq > after, a.seq <= upto))
                .order_by(a.seq)
            )
            for seq, at, actor, action, subject, detail in rows:
                entry = AuditEntry(actor, action, subject, json.loads(detail))
                out.append(content_digest(int(seq), at, entry, detail))
            after = upto
    return out


# --- the witnessing node --------------------------------------------------------------------


async def receive_head(node: Node, party: str, key: bytes, request: Request) -> HeadStatement:
    """Fetch the partner's signed audit head, check it, and keep it (once per hash)."""
    doc = await request("/federation/v1/audit-head", {})
    statement = check_statement(
        doc.get("statement"),
        doc.get("signature"),
        origin=party,
        partner=node.party,
        agreement=node.agreement.hash,
        key=key,
    )
    await _keep(node, statement, str(doc["signature"]), proven=False)
    return statement


async def _keep(node: Node, statement: HeadStatement, signature: str, *, proven: bool) -> None:
    w = federation_witnessed.c
    party, now = statement.origin, utc_now()

    async def keep(conn: AsyncConnection) -> None:
        where = and_(w.partner == party, w.audit_head == statement.audit_head)
        if (await conn.execute(select(w.signed_at).where(where))).first() is None:
            await conn.execute(
                insert(federation_witnessed).values(
                    partner=party,
                    audit_head=statement.audit_head,
                    signed_at=statement.signed_at,
                    signature=signature,
                    received_at=now,
                    proven_at=now if proven else None,
                )
            )

    await node.writer.append([], actor=f"node:{party}", in_transaction=[keep])


async def _mark(node: Node, party: str, head: str, values: dict[str, Any]) -> None:
    w = federation_witnessed.c

    async def mark(conn: AsyncConnection) -> None:
        where = and_(w.partner == party, w.audit_head == head)
        await conn.execute(update(federation_witnessed).where(where).values(**values))

    await node.writer.append([], actor="cli", in_transaction=[mark])


@dataclass(frozen=True)
class Verdict:
    """The outcome of auditing a partner's history against the heads witnessed here."""

    consistent: bool
    proven: int
    message: str


async def witness(node: Node, party: str, key: bytes, request: Request) -> Verdict:
    """Ask the partner to prove its current chain extends every head witnessed here.

    From the last proven head (or the oldest witnessed), each later witnessed head is proven
    in turn, then the current head: each proof covers only the entries since the last one.
    """
    w = federation_witnessed.c
    async with node.engines.reader.connect() as conn:
        rows = (
            await conn.execute(
                select(w.audit_head, w.signed_at, w.proven_at)
                .where(w.partner == party)
                .order_by(w.signed_at, w.audit_head)
            )
        ).all()
    if not rows:
        return Verdict(False, 0, f"{party}: no audit head of {party} witnessed yet")
    proven_rows = [i for i, r in enumerate(rows) if r.proven_at]
    start = proven_rows[-1] if proven_rows else 0
    anchor, anchor_at = str(rows[start][0]), str(rows[start][1])
    targets: list[tuple[str, str] | None] = [
        (str(r[0]), str(r[1])) for r in rows[start + 1 :] if not r.proven_at
    ]
    targets.append(None)  # finally: the current head
    proven = 0
    for target in targets:
        params = {"from": anchor} | ({"to": target[0]} if target else {})
        doc = await request("/federation/v1/audit-proof", params)
        if target is None:
            current = check_statement(
                doc.get("statement"),
                doc.get("signature"),
                origin=party,
                partner=node.party,
                agreement=node.agreement.hash,
                key=key,
            )
            await _keep(node, current, str(doc["signature"]), proven=False)
            target = (current.audit_head, current.signed_at)
            what = f"the current head (signed at {current.signed_at})"
        else:
            what = f"the head witnessed at {target[1]}"
        reason = check_proof(anchor, doc.get("digests"), target[0])
        if reason is not None:
            message = (
                f"history rewritten: head witnessed at {anchor_at} is not an ancestor of {what}"
            )
            await _mark(node, party, anchor, {"refuted": f"{message} ({reason})"})
            return Verdict(False, proven, f"{party}: {message}")
        now = utc_now()
        await _mark(node, party, anchor, {"proven_at": now, "refuted": None})
        await _mark(node, party, target[0], {"proven_at": now, "refuted": None})
        proven += 1
        anchor, anchor_at = target
    return Verdict(
        True,
        proven,
        f"{party}: consistent: its current audit head (signed at {anchor_at}) extends every "
        f"head witnessed here",
    )

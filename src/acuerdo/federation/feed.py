"""The serving half: a partner's outbox after its cursor, in batches ending in a signed head.

A partner sends its cursor (the last entry it applied) and that entry's hash. If this node's
outbox does not hold that entry with that hash (restored from an old backup, truncated),
the answer is divergence, never a silent restart. Each batch ends with a head (the partner,
the last entry's sequence and hash, the outbox's length for that partner, the agreement)
signed with this node's requests key: the partner keeps it as a witness.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncEngine

from acuerdo.federation.outbox import RECORD, outbox_head
from acuerdo.federation.tables import federation_outbox
from acuerdo.ledger.audit import GENESIS
from acuerdo.ledger.canonical import canonicalize
from acuerdo.ledger.signing import Signer, b64url, b64url_decode, sign_domain, verify_domain
from acuerdo.ledger.tables import ledger
from acuerdo.ledger.writer import utc_now

HEAD_PREFIX = b"acuerdo/federation-head/v1\x00"
RESPONSE_PREFIX = b"acuerdo/federation-response/v1\x00"
RESPONSE_HEADER = "Acuerdo-Response-Signature"


class Divergence(Exception):
    """The partner's cursor names an entry this outbox does not hold as it says."""


@dataclass(frozen=True)
class Head:
    """The signed statement closing a batch."""

    origin: str
    partner: str
    oseq: int
    hash: str
    outbox_oseq: int
    agreement: str
    at: str

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def sign_head(head: Head, signer: Signer) -> str:
    return b64url(sign_domain(HEAD_PREFIX, canonicalize(head.to_json()), signer))


def head_signature_holds(head: dict[str, Any], signature: str, public_key: bytes) -> bool:
    try:
        return verify_domain(HEAD_PREFIX, canonicalize(head), b64url_decode(signature), public_key)
    except ValueError:
        return False


def response_signature(nonce: str, body: bytes, signer: Signer) -> str:
    """Binds an answer to the request it answers (its nonce): an old answer cannot be replayed."""
    message = nonce.encode("ascii") + b"\n" + hashlib.sha256(body).digest()
    return f"keyid={signer.key_id};sig={b64url(sign_domain(RESPONSE_PREFIX, message, signer))}"


def response_signature_holds(header: str, nonce: str, body: bytes, public_key: bytes) -> bool:
    fields = dict(part.split("=", 1) for part in header.split(";") if "=" in part)
    message = nonce.encode("ascii") + b"\n" + hashlib.sha256(body).digest()
    try:
        signature = b64url_decode(fields.get("sig", ""))
    except ValueError:
        return False
    return verify_domain(RESPONSE_PREFIX, message, signature, public_key)


async def check_cursor(engine: AsyncEngine, partner: str, after: int, last: str) -> None:
    """Raise Divergence unless entry `after` of the partner's outbox has hash `last`."""
    if after == 0:
        if last != GENESIS:
            raise Divergence("cursor 0 must come with the genesis hash")
        return
    o = federation_outbox.c
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                select(o.entry_hash).where(and_(o.partner == partner, o.oseq == after))
            )
        ).first()
    if row is None:
        raise Divergence(f"this outbox holds no entry {after} for {partner}: it was rewound")
    if row[0] != last:
        raise Divergence(f"entry {after} of this outbox has another hash than the one applied")


async def read_batch(
    engine: AsyncEngine, partner: str, after: int, limit: int
) -> tuple[list[dict[str, Any]], int]:
    """Entries after the cursor (at most `limit`) and the outbox's last sequence number."""
    o, lg = federation_outbox.c, ledger.c
    query = (
        select(
            o.oseq,
            o.kind,
            o.object_id,
            o.version_key,
            o.entry_hash,
            lg.sha256,
            lg.body,
            lg.envelope,
            lg.signature,
        )
        .select_from(federation_outbox.join(ledger, lg.seq == o.ledger_seq))
        .where(and_(o.partner == partner, o.oseq > after))
        .order_by(o.oseq)
        .limit(limit)
    )
    async with engine.connect() as conn:
        rows = (await conn.execute(query)).all()
        head_oseq, _ = await outbox_head(conn, partner) if rows else (after, "")
    entries = []
    for oseq, kind, oid, key, entry, sha, body, envelope, signature in rows:
        item: dict[str, Any] = {
            "oseq": int(oseq), "kind": kind, "id": oid, "version": key, "hash": entry,
            "sha256": sha,
        }  # fmt: skip
        if kind == RECORD:
            item["body"] = bytes(body).decode("utf-8")
            item["envelope"] = b64url(bytes(envelope))
            item["signature"] = b64url(bytes(signature))
        entries.append(item)
    return entries, max(head_oseq, after)


def batch_document(
    entries: list[dict[str, Any]],
    *,
    origin: str,
    partner: str,
    after: int,
    last: str,
    outbox_oseq: int,
    agreement: str,
    signer: Signer,
) -> dict[str, Any]:
    """The batch as served: entries, then the head it ends with, signed."""
    tail = entries[-1] if entries else None
    head = Head(
        origin=origin,
        partner=partner,
        oseq=tail["oseq"] if tail else after,
        hash=tail["hash"] if tail else last,
        outbox_oseq=outbox_oseq,
        agreement=agreement,
        at=utc_now(),
    )
    return {"entries": entries, "head": head.to_json(), "head_signature": sign_head(head, signer)}

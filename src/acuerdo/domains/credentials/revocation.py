"""The signed revocation list a checkpoint loads: which card ids no longer hold, as of when.

A COSE_Sign1, signed with the issuing node's cards key, over the CBOR map
{1: issuer party, 2: issued at (epoch seconds), 3: [card id, ...]}; its protected header
carries content type 3 = CONTENT_TYPE, which a card never has, so a list can never pass for a
card or a card for a list. The list is built from the ledger's status-card versions: the
revoked ones, and the cards whose person, personal data or orders changed since they were
issued (`revoked_card_ids`). It holds opaque random card ids only, so it is read from the
node's own rows rather than through a reader's view (a list cut to what one user may see
would be a wrong list).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import cbor2
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from acuerdo.domains.credentials.cose import CardKey, CoseError, parse_sign1, sign1
from acuerdo.domains.credentials.trust import TrustBundle
from acuerdo.ledger.keys import KeyPurpose, UntrustedKey
from acuerdo.ledger.signing import Signer
from acuerdo.ledger.tables import ledger, objects

if TYPE_CHECKING:
    from acuerdo.node import Node

CONTENT_TYPE = "application/acuerdo-card-revocations+cbor"
STATUS_CARD = "acuerdo-status-card"


class RevocationListError(ValueError):
    """A revocation list that cannot be trusted or read, and why."""


@dataclass(frozen=True)
class RevocationList:
    issuer: str
    issued_at: int
    card_ids: frozenset[bytes]

    def payload(self) -> bytes:
        ids = sorted(self.card_ids)
        return bytes(cbor2.dumps({1: self.issuer, 2: self.issued_at, 3: ids}, canonical=True))

    def sign(self, signer: Signer) -> bytes:
        return sign1(self.payload(), signer, content_type=CONTENT_TYPE)


def _parse_payload(payload: bytes) -> RevocationList:
    value = cbor2.loads(payload)
    if not isinstance(value, Mapping) or set(value) != {1, 2, 3}:
        raise ValueError("payload must be the map {1: issuer, 2: issued at, 3: card ids}")
    issuer, issued_at, ids = value[1], value[2], value[3]
    if not isinstance(issuer, str) or type(issued_at) is not int:
        raise ValueError("issuer must be text and issued at an integer")
    if not isinstance(ids, (list, tuple)) or not all(
        isinstance(i, bytes) and len(i) == 16 for i in ids
    ):
        raise ValueError("card ids must be a list of 16-byte strings")
    return RevocationList(issuer, issued_at, frozenset(ids))


def verify_revocation_list(data: bytes, bundle: TrustBundle, *, at: datetime) -> RevocationList:
    """Check a list's signature by a trusted cards key of its issuer; return its content."""
    try:
        message = parse_sign1(data)
        if message.content_type != CONTENT_TYPE:
            raise RevocationListError(f"not a revocation list (content type {CONTENT_TYPE})")
        content = _parse_payload(message.payload)
    except (CoseError, ValueError, cbor2.CBORDecodeError, EOFError) as exc:
        raise RevocationListError(f"unreadable revocation list: {exc}") from None
    party, key_id = bundle.card_keys().get(message.kid, ("", ""))
    try:
        if party != content.issuer:
            raise UntrustedKey(f"kid {message.kid.hex()} is no card key of {content.issuer}")
        key = bundle.store().working_key(party, key_id, KeyPurpose.CARDS, at)
    except UntrustedKey as exc:
        raise RevocationListError(f"revocation list signed by an untrusted key: {exc}") from None
    if not message.verify(CardKey(key)):
        raise RevocationListError("revocation list signature does not hold")
    return content


async def revoked_card_ids(node: Node, *, now: datetime | None = None) -> frozenset[bytes]:
    """Card ids of this node's status cards that no longer hold (see `withdrawn`).

    A card holds while every version it rests on (its person, personal data and orders,
    named in the card record by id and hash) is still that record's current, unrevoked
    version: an order shortened, cancelled or superseded by a new version, a person removed
    from it, a corrected name, a changed category or coverage, each withdraws the cards
    issued on the old versions, with no one having to remember them. Cards revoked by hand
    are listed too. Expired cards are left out (a checkpoint refuses them anyway) when
    `now` is given.
    """
    query = select(ledger.c.object_id, ledger.c.version_key, ledger.c.body, ledger.c.revoked)
    query = query.where(ledger.c.object_type == STATUS_CARD, ledger.c.owner == node.party)
    async with node.engines.reader.connect() as conn:
        rows = (await conn.execute(query)).all()
        newest: dict[str, tuple[str, dict[str, Any], bool]] = {}
        ids: set[bytes] = set()
        for object_id, key, body, revoked in rows:
            record: dict[str, Any] = json.loads(body)
            if revoked:
                ids.add(bytes.fromhex(str(record["card_id"])))
            elif object_id not in newest or newest[object_id][0] < key:
                newest[object_id] = (key, record, bool(revoked))
        standing = [r for _, r, _ in newest.values() if not _expired(r, now)]
        ids |= await withdrawn(conn, standing)
    return frozenset(ids)


def _expired(card: Mapping[str, Any], now: datetime | None) -> bool:
    return now is not None and str(card["valid_until"]) < f"{now:%Y-%m-%dT%H:%M:%SZ}"


async def withdrawn(conn: AsyncConnection, cards: list[dict[str, Any]]) -> set[bytes]:
    """Card ids of cards resting on a version that is no longer its record's current one."""
    basis = {
        str(card["card_id"]): [card["person"], card["personal_data"], *card["orders"]]
        for card in cards
    }
    wanted = sorted({str(ref["id"]) for refs in basis.values() for ref in refs})
    current: dict[str, tuple[str, bool]] = {}
    for start in range(0, len(wanted), 500):
        q = (
            select(objects.c.object_id, ledger.c.sha256, ledger.c.revoked)
            .join(ledger, ledger.c.seq == objects.c.current_seq)
            .where(objects.c.object_id.in_(wanted[start : start + 500]))
        )
        for object_id, sha256, revoked in (await conn.execute(q)).all():
            current[object_id] = (sha256, bool(revoked))
    return {
        bytes.fromhex(card_id)
        for card_id, refs in basis.items()
        if any(current.get(str(r["id"])) != (r["sha256"], False) for r in refs)
    }


async def signed_revocation_list(node: Node, *, now: datetime) -> bytes:
    """This node's current revocation list, signed with its cards key."""
    ids = await revoked_card_ids(node, now=now)
    content = RevocationList(node.party, int(now.timestamp()), ids)
    return content.sign(node.keys.signer(KeyPurpose.CARDS))

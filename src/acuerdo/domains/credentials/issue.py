"""Issuing and revoking status cards on the sending state's node.

A card is issued only for a person this node wrote, whom the agreement says is covered, with
at least one movement order in force today that names them; every read goes through the
release gate as the issuing user, and the read of personal data is audited before the card
is made. Validity runs from now to the earliest of: the end (UTC) of the longest order in
force, and now plus the agreement's maximum card validity (parameter MAX_VALIDITY_PARAMETER
in calendar days when the adopted file sets it, else DEFAULT_MAX_DAYS). The card is recorded
as an acuerdo-status-card version naming the exact person, personal-data and order versions
it rests on; revoking it is writing a revoked version.
"""

from __future__ import annotations

import json
import os
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from acuerdo.domains.credentials.claims import (
    CardClaims,
    agreement_categories,
    agreement_statuses,
    short_agreement_hash,
)
from acuerdo.domains.credentials.codec import encode
from acuerdo.domains.credentials.cose import sign1
from acuerdo.domains.credentials.render import MAX_QR_VERSION, qr
from acuerdo.domains.personnel.coverage import person_facts
from acuerdo.ledger.audit import AuditEntry
from acuerdo.ledger.keys import KeyPurpose
from acuerdo.ledger.reader import StoredVersion
from acuerdo.ledger.types import BY_NAME
from acuerdo.release import Channel
from acuerdo.users import User

if TYPE_CHECKING:
    from acuerdo.node import Node

STATUS_CARD = "acuerdo-status-card"
ORDER = "acuerdo-movement-order"
MAX_VALIDITY_PARAMETER = "status-card-max-validity"
DEFAULT_MAX_DAYS = 90


class CardRefused(Exception):
    """No card may be issued (or revoked); the message cites the rule. `absent`: 404-like."""

    def __init__(self, message: str, *, absent: bool = False) -> None:
        super().__init__(message)
        self.absent = absent


@dataclass(frozen=True)
class IssuedCard:
    code: str
    claims: CardClaims
    record_id: str


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _ref(version: StoredVersion, body: dict[str, Any]) -> dict[str, str]:
    """A version reference: id, modified and hash of exactly the version used."""
    return {"id": version.object_id, "modified": str(body["modified"]), "sha256": version.sha256}


def max_validity_days(node: Node) -> int:
    try:
        return int(node.agreement.parameter(MAX_VALIDITY_PARAMETER).value)
    except KeyError:
        return DEFAULT_MAX_DAYS


async def _visible(node: Node, user: User, object_id: str) -> tuple[StoredVersion, dict[str, Any]]:
    version = await node.reader.get(user.recipient, Channel.API, object_id)
    if version is None or version.revoked:
        raise CardRefused(f"no record {object_id} here", absent=True)
    return version, json.loads(version.body)


async def _orders_in_force(
    node: Node, user: User, person_id: str, today: date
) -> list[tuple[StoredVersion, dict[str, Any]]]:
    """Current orders the user may see that name the person and are in force today."""
    found: list[tuple[StoredVersion, dict[str, Any]]] = []
    cursor: str | None = None
    while True:
        page = await node.reader.page(
            user.recipient, Channel.API, cursor=cursor, limit=500, types=[ORDER]
        )
        for version in page.items:
            order = json.loads(version.body)
            if version.revoked or person_id not in order.get("person_refs", ()):
                continue
            start = date.fromisoformat(order["valid_from"])
            if start <= today <= date.fromisoformat(order["valid_until"]):
                found.append((version, order))
        cursor = page.next_cursor
        if cursor is None:
            return found


def _coverage(node: Node, person: dict[str, Any], personal: dict[str, Any]) -> tuple[str, str]:
    """The status and article the agreement gives the person; CardRefused if not covered."""
    decision = node.agreement.evaluate(person_facts(person, personal))
    if decision.outcome != "covered":
        cited = "; ".join(f"Art. {r.citation.article}: {r.text}" for r in decision.reasons)
        raise CardRefused(f"not covered ({decision.outcome}): {cited}")
    last = decision.reasons[-1]
    return str(decision.details["status"]), last.citation.article


@dataclass(frozen=True)
class _Basis:
    """The exact versions a card rests on, as the issuing user may see them."""

    person_v: StoredVersion
    person: dict[str, Any]
    personal_v: StoredVersion
    personal: dict[str, Any]
    orders: list[tuple[StoredVersion, dict[str, Any]]]


async def _basis(node: Node, user: User, person_id: str, today: date) -> _Basis:
    """Person, personal data (read audited first) and orders in force; refusals cite why."""
    person_v, person = await _visible(node, user, person_id)
    if person_v.owner != node.party:
        raise CardRefused(f"{person_id} is {person_v.owner}'s person: only its node issues cards")
    personal_v, personal = await _visible(node, user, str(person["personal_data_ref"]))
    entry = {"version": personal_v.version_key, "via": "card.issue"}
    await node.audit([AuditEntry(user.principal, "personal.read", personal_v.object_id, entry)])
    orders = await _orders_in_force(node, user, person_id, today)
    return _Basis(person_v, person, personal_v, personal, orders)


def _card_record(
    basis: _Basis, claims: CardClaims, status: str, article: str, key_id: str
) -> dict[str, Any]:
    """The acuerdo-status-card version that records an issued card (no names in it)."""
    now = claims.valid_from_time
    return {
        "type": STATUS_CARD,
        "spec_version": "2.1",
        "id": f"{STATUS_CARD}--{uuid.uuid4()}",
        "created": _stamp(now),
        "modified": _stamp(now),
        "card_id": claims.card_id_hex,
        "person": _ref(basis.person_v, basis.person),
        "personal_data": _ref(basis.personal_v, basis.personal),
        "orders": [_ref(v, o) for v, o in basis.orders],
        "valid_from": f"{now:%Y-%m-%dT%H:%M:%SZ}",
        "valid_until": f"{claims.valid_until_time:%Y-%m-%dT%H:%M:%SZ}",
        "category": str(basis.person["category"]),
        "status": status,
        "article": article,
        "key_id": key_id,
        "extensions": {BY_NAME[STATUS_CARD].extension_id: {"extension_type": "new-sdo"}},
    }


async def issue_card(
    node: Node, user: User, person_id: str, *, now: datetime | None = None
) -> IssuedCard:
    """Issue, sign and record a card for a covered person with orders in force."""
    now = (now or datetime.now(UTC)).replace(microsecond=0)
    basis = await _basis(node, user, person_id, now.date())
    person, personal = basis.person, basis.personal
    status, article = _coverage(node, person, personal)
    national_id = personal.get("national_id")
    if not national_id:
        raise CardRefused("no national ID on file: Art. 2 entry rests on identification")
    if not basis.orders:
        raise CardRefused("no movement order in force names this person (Art. 2)")
    last_day = max(date.fromisoformat(o["valid_until"]) for _, o in basis.orders)
    order_end = datetime.combine(last_day + timedelta(days=1), time(), UTC)
    until = min(order_end, now + timedelta(days=max_validity_days(node)))
    signer = node.keys.signer(KeyPurpose.CARDS)
    claims = CardClaims(
        issuer=node.party,
        card_id=os.urandom(16),
        family_names=str(personal["family_names"]),
        given_names=str(personal["given_names"]),
        birth_date=str(personal["date_of_birth"]),
        category=agreement_categories(node.agreement).index(str(person["category"])),
        status=agreement_statuses(node.agreement).index(status),
        article=article,
        agreement_hash=short_agreement_hash(node.agreement.hash),
        id_last4=str(national_id["number"])[-4:],
        valid_from=int(now.timestamp()),
        valid_until=int(until.timestamp()),
    )
    code = encode(sign1(claims.to_cbor(), signer))
    if qr(code).version > MAX_QR_VERSION:  # type: ignore[operator]
        raise CardRefused(f"the names are too long for a QR code of version {MAX_QR_VERSION}")
    record = _card_record(basis, claims, status, article, signer.key_id)
    await node.write([record], user=user)
    return IssuedCard(code, claims, str(record["id"]))


async def revoke_card(
    node: Node, user: User, record_id: str, reason: str, *, now: datetime | None = None
) -> str:
    """Write a revoked version of a card record; returns the revoked card id (hex)."""
    version, card = await _visible(node, user, record_id)
    if version.object_type != STATUS_CARD or version.owner != node.party:
        raise CardRefused(f"no status card {record_id} of {node.party} here", absent=True)
    stamp = _stamp(now or datetime.now(UTC))
    if stamp <= str(card["modified"]):
        stamp = _stamp(datetime.fromisoformat(card["modified"]) + timedelta(milliseconds=1))
    card.update(modified=stamp, revoked=True, revocation_reason=reason[:200])
    await node.write([card], user=user)
    return str(card["card_id"])

"""The claim set a status card carries: integer keys, only what a checkpoint needs.

Integer keys and CBOR keep the QR code small (the EU digital certificate pattern). The set is
deliberately poor: who issued it, which card, who the person is (names, date of birth, last
four characters of the national ID to compare with the ID shown), their category and status
under the agreement with its article and the agreement hash, and the validity window.

To fit the worst case (three given names, two compound surnames, accents) into a QR code of
version 15 at level Q, category and status are numbers: their positions in the agreement
file the card names by hash (``agreement_categories``/``agreement_statuses``; the hash pins
the file, so a position means one thing), and the agreement hash is its first 16 bytes.
Nothing operational (arms, unit, activity, orders) is ever put on a card. The CDDL is in
docs/status-cards.md; `from_cbor` refuses anything that does not match it exactly.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import cbor2

from acuerdo.agreement import Agreement

# Claim keys (the CDDL in docs/status-cards.md names them).
ISSUER, CARD_ID, FAMILY_NAMES, GIVEN_NAMES, BIRTH_DATE = 1, 2, 3, 4, 5
CATEGORY, STATUS, ARTICLE, AGREEMENT_HASH, ID_LAST4 = 6, 7, 8, 9, 10
VALID_FROM, VALID_UNTIL = 11, 12
_TEXT_LIMITS = {
    ISSUER: 3,
    FAMILY_NAMES: 200,
    GIVEN_NAMES: 200,
    BIRTH_DATE: 10,
    ARTICLE: 100,
    ID_LAST4: 4,
}
_BYTES_LENGTHS = {CARD_ID: 16, AGREEMENT_HASH: 16}
_INT_KEYS = (CATEGORY, STATUS, VALID_FROM, VALID_UNTIL)
AGREEMENT_HASH_BYTES = 16
_KEYS = frozenset(_TEXT_LIMITS) | frozenset(_BYTES_LENGTHS) | frozenset(_INT_KEYS)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_PARTY = re.compile(r"[A-Z]{3}")


class ClaimsError(ValueError):
    """A claim set that is not the one docs/status-cards.md defines, and how."""


@dataclass(frozen=True)
class CardClaims:
    """The claims of one card. Times are whole seconds since the epoch, UTC."""

    issuer: str
    card_id: bytes
    family_names: str
    given_names: str
    birth_date: str
    category: int  # position in the agreement's coverage categories
    status: int  # position in the agreement's statuses (agreement_statuses)
    article: str
    agreement_hash: bytes  # first 16 bytes of the adopted agreement's SHA-256
    id_last4: str
    valid_from: int
    valid_until: int

    def __post_init__(self) -> None:
        _check(self.to_map())

    def to_map(self) -> dict[int, Any]:
        return {
            ISSUER: self.issuer,
            CARD_ID: self.card_id,
            FAMILY_NAMES: self.family_names,
            GIVEN_NAMES: self.given_names,
            BIRTH_DATE: self.birth_date,
            CATEGORY: self.category,
            STATUS: self.status,
            ARTICLE: self.article,
            AGREEMENT_HASH: self.agreement_hash,
            ID_LAST4: self.id_last4,
            VALID_FROM: self.valid_from,
            VALID_UNTIL: self.valid_until,
        }

    def to_cbor(self) -> bytes:
        """Deterministic CBOR (RFC 8949 §4.2: shortest forms, keys sorted)."""
        return cbor2.dumps(self.to_map(), canonical=True)

    @classmethod
    def from_cbor(cls, data: bytes) -> CardClaims:
        try:
            value = cbor2.loads(data)
        except (cbor2.CBORDecodeError, ValueError, TypeError) as exc:
            raise ClaimsError(f"claims are not CBOR: {exc}") from None
        if not isinstance(value, Mapping) or len(value) != len(_KEYS):
            raise ClaimsError("claims must be a CBOR map of the twelve claims")
        try:  # __post_init__ checks every claim
            return cls(
                issuer=value[ISSUER],
                card_id=value[CARD_ID],
                family_names=value[FAMILY_NAMES],
                given_names=value[GIVEN_NAMES],
                birth_date=value[BIRTH_DATE],
                category=value[CATEGORY],
                status=value[STATUS],
                article=value[ARTICLE],
                agreement_hash=value[AGREEMENT_HASH],
                id_last4=value[ID_LAST4],
                valid_from=value[VALID_FROM],
                valid_until=value[VALID_UNTIL],
            )
        except KeyError:
            raise ClaimsError("claims keys are not 1..12") from None

    def to_json(self) -> dict[str, str | int]:
        """The claims as JSON values (bytes as hex), by field name."""
        data = {k: v.hex() if isinstance(v, bytes) else v for k, v in self.__dict__.items()}
        return data

    @property
    def card_id_hex(self) -> str:
        return self.card_id.hex()

    @property
    def valid_from_time(self) -> datetime:
        return datetime.fromtimestamp(self.valid_from, UTC)

    @property
    def valid_until_time(self) -> datetime:
        return datetime.fromtimestamp(self.valid_until, UTC)


def agreement_categories(agreement: Agreement) -> list[str]:
    """Category ids in file order: claim 6 is a position in this list."""
    return [c.id for c in agreement.model.coverage.categories]


def agreement_statuses(agreement: Agreement) -> list[str]:
    """Distinct statuses of covered categories, in file order: claim 7 is a position here."""
    statuses: list[str] = []
    for category in agreement.model.coverage.categories:
        status = category.coverage.status
        if category.coverage.covered and status and status not in statuses:
            statuses.append(status)
    return statuses


def short_agreement_hash(agreement_hash: str) -> bytes:
    return bytes.fromhex(agreement_hash)[:AGREEMENT_HASH_BYTES]


def _check(value: Mapping[Any, Any]) -> None:
    """Exactly the twelve keys, each of its type and size."""
    if value.keys() != _KEYS:
        raise ClaimsError(f"claims keys {sorted(map(str, value))} are not 1..12")
    for key, limit in _TEXT_LIMITS.items():
        text = value[key]
        if not isinstance(text, str) or not 0 < len(text) <= limit:
            raise ClaimsError(f"claim {key} must be text of 1 to {limit} characters")
    for key, length in _BYTES_LENGTHS.items():
        if not isinstance(value[key], bytes) or len(value[key]) != length:
            raise ClaimsError(f"claim {key} must be {length} bytes")
    for key in _INT_KEYS:
        if type(value[key]) is not int or value[key] < 0:
            raise ClaimsError(f"claim {key} must be a non-negative integer")
    if not _PARTY.fullmatch(value[ISSUER]):
        raise ClaimsError("claim 1 (issuer) must be an ISO 3166 alpha-3 code")
    if not _DATE.fullmatch(value[BIRTH_DATE]):
        raise ClaimsError("claim 5 (date of birth) must be YYYY-MM-DD")
    if value[VALID_UNTIL] <= value[VALID_FROM]:
        raise ClaimsError("claim 12 (valid until) must come after claim 11 (valid from)")

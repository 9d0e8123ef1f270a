"""Offline verification of a status card: valid or not, why, and what the status allows.

Needs only a trust bundle (and, when the checkpoint has one, a signed revocation list): no
network, no database. The order of checks gives the most useful reason first: a code that
does not parse is "format"; a key the bundle does not trust for cards is "unknown-key"; a
signature that does not hold is "signature" (checked before the claims are read, so any
altered byte of the signed content lands here); then "agreement" (issued under another
agreement), "issuer" (claims name another party than the key's), "not-yet-valid",
"expired" and "revoked".
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from acuerdo.domains.credentials.claims import CardClaims, ClaimsError, short_agreement_hash
from acuerdo.domains.credentials.codec import CodecError, decode
from acuerdo.domains.credentials.cose import CardKey, CoseError, parse_sign1
from acuerdo.domains.credentials.revocation import RevocationList
from acuerdo.domains.credentials.trust import TrustBundle
from acuerdo.ledger.keys import KeyPurpose, UntrustedKey

_CACHE_LIMIT = 1024


@dataclass(frozen=True)
class Verification:
    """The answer a checkpoint gets. `allows` is what the status means, with its article."""

    valid: bool
    reason: str  # "valid" or the code of the first check that failed
    message: str
    claims: CardClaims | None = None
    allows: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        """Human-readable answer, for the CLI (claims shown only once the signature held)."""
        out = [f"{'VALID' if self.valid else 'INVALID'} ({self.reason}): {self.message}"]
        c = self.claims
        if c is not None:
            out += [
                f"card {c.card_id_hex} issued by {c.issuer}",
                f"name: {c.given_names} {c.family_names}",
                f"date of birth: {c.birth_date}   national ID ends in: {c.id_last4}",
                f"category #{c.category}   status #{c.status} (Art. {c.article})",
                f"valid from {c.valid_from_time:%Y-%m-%d %H:%M}Z "
                f"until {c.valid_until_time:%Y-%m-%d %H:%M}Z",
            ]
        out += [f"allows: {a}" for a in self.allows]
        return out


class CardVerifier:
    """Verifies card codes against one trust bundle and an optional revocation list."""

    def __init__(self, bundle: TrustBundle, revocations: RevocationList | None = None) -> None:
        self.bundle = bundle
        self.store = bundle.store()
        self.revocations = revocations
        self._card_keys = bundle.card_keys()
        self._agreement_hash = short_agreement_hash(bundle.agreement_hash)
        # (key id, second) -> key or the reason it is not trusted. Certificate and
        # revocation times have whole-second precision, so the answer within a second is one.
        self._keys: dict[tuple[str, int], CardKey | str] = {}
        # What a valid card's answer says, by (category, status, article): built once.
        self._answers: dict[tuple[int, int, str], tuple[str, list[str]]] = {}

    def _key(self, party: str, key_id: str, second: int) -> CardKey | str:
        slot = (key_id, second)
        found = self._keys.get(slot)
        if found is None:
            at = datetime.fromtimestamp(second, UTC)
            try:
                raw = self.store.working_key(party, key_id, KeyPurpose.CARDS, at)
                found = CardKey(raw)
            except UntrustedKey as exc:
                found = str(exc)
            if len(self._keys) >= _CACHE_LIMIT:
                self._keys.clear()
            self._keys[slot] = found
        return found

    def verify(self, code: str, *, now: datetime | None = None) -> Verification:
        """Verify a card code (the QR text) at `now` (default: the current time)."""
        second = int(now.timestamp() if now is not None else time.time())
        try:
            message = parse_sign1(decode(code))
        except (CodecError, CoseError) as exc:
            return Verification(False, "format", str(exc))
        if message.content_type is not None:
            return Verification(False, "format", "this COSE message is not a status card")
        known = self._card_keys.get(message.kid)
        if known is None:
            return Verification(
                False, "unknown-key", f"kid {message.kid.hex()} is not a trusted card key"
            )
        party, key_id = known
        key = self._key(party, key_id, second)
        if isinstance(key, str):
            return Verification(False, "unknown-key", key)
        if not message.verify(key):
            return Verification(False, "signature", "the signature does not hold: altered card")
        try:
            claims = CardClaims.from_cbor(message.payload)
        except ClaimsError as exc:
            return Verification(False, "format", f"signed, but not a claim set: {exc}")
        return self._check_claims(claims, party, second)

    def _check_claims(self, claims: CardClaims, party: str, second: int) -> Verification:
        def no(reason: str, text: str) -> Verification:
            return Verification(False, reason, text, claims)

        if claims.issuer != party:
            return no("issuer", f"claims name issuer {claims.issuer}, the key is {party}'s")
        if claims.agreement_hash != self._agreement_hash:
            return no("agreement", "issued under another agreement than the adopted one")
        if claims.category >= len(self.bundle.categories) or claims.status >= len(
            self.bundle.statuses
        ):
            return no("agreement", "category or status is not one of the adopted agreement's")
        if second < claims.valid_from:
            return no("not-yet-valid", f"valid only from {claims.valid_from_time:%Y-%m-%d %H:%M}Z")
        if second >= claims.valid_until:
            return no("expired", f"expired at {claims.valid_until_time:%Y-%m-%d %H:%M}Z")
        revocations = self.revocations
        if (
            revocations is not None
            and revocations.issuer == claims.issuer
            and claims.card_id in revocations.card_ids
        ):
            issued = datetime.fromtimestamp(revocations.issued_at, UTC)
            return no("revoked", f"revoked (revocation list of {issued:%Y-%m-%d %H:%M}Z)")
        summary, allows = self._answer(claims)
        return Verification(True, "valid", summary, claims, list(allows))

    def _answer(self, claims: CardClaims) -> tuple[str, list[str]]:
        """The summary and what the status allows (the article is the card's own claim)."""
        slot = (claims.category, claims.status, claims.article)
        found = self._answers.get(slot)
        if found is None:
            category = self.bundle.categories[claims.category][1]
            text = self.bundle.statuses[claims.status]
            found = (
                f"covered under {self.bundle.agreement_id}: {category}",
                [f"{text.id}: {text.reason} (Art. {claims.article}, {text.title})"],
            )
            if len(self._answers) < _CACHE_LIMIT:
                self._answers[slot] = found
        return found

    def names(self, claims: CardClaims) -> tuple[str, str]:
        """Category and status ids a card names by position (bounds checked by verify)."""
        return self.bundle.categories[claims.category][0], self.bundle.statuses[claims.status].id


def read_code_from_image(path: Path) -> str:
    """The text of the QR code in an image file (PNG, JPEG...), decoded with zxing-cpp."""
    import zxingcpp
    from PIL import Image

    with Image.open(path) as image:
        results = zxingcpp.read_barcodes(image.convert("L"))
    texts = [r.text for r in results if r.text]
    if not texts:
        raise ValueError(f"{path}: no QR code found in the image")
    return texts[0]

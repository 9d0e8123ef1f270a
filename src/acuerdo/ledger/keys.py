"""Party root keys, purpose-bound working keys, and the trust decisions built on them.

Each party has one long-lived Ed25519 root key, kept offline, whose public key the agreement
pins. The root certifies working keys, each bound to one purpose (signing records, signing
node-to-node requests, signing status cards) and a validity window, and revokes them after a
compromise. So a working key rotates without the agreement changing, and a key stolen from a
node cannot be used for a purpose it was never certified for.

Every signature is made through the ``Signer`` protocol, so a hardware module (PKCS#11) can
replace a key file without any caller noticing (Signer and FileSigner live in signing and
are re-exported here). A node's key directory (create, load, export the root for offline
keeping, rotate) is managed in keydir.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, ClassVar, Self

from acuerdo.ledger.canonical import CanonicalError, canonicalize
from acuerdo.ledger.signing import (
    CERTIFICATE_PREFIX,
    REVOCATION_PREFIX,
    b64url,
    b64url_decode,
    key_id_for,
    sign_domain,
    verify_domain,
)
from acuerdo.ledger.signing import FileSigner as FileSigner
from acuerdo.ledger.signing import Signer as Signer

_TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
_PARTY = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


class KeyPurpose(StrEnum):
    """What a working key may sign; a certificate binds a key to exactly one."""

    RECORDS = "records"
    REQUESTS = "requests"
    CARDS = "cards"


class UntrustedKey(KeyError):
    """A key, certificate or revocation that must not be trusted, with the reason why."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else "untrusted key"


def format_time(moment: datetime) -> str:
    """UTC timestamp at second precision with 'Z'; refuses naive datetimes."""
    if moment.tzinfo is None:
        raise ValueError("a naive datetime has no defined instant; pass an aware one")
    return moment.astimezone(UTC).strftime(_TIME_FORMAT)


def parse_time(text: str) -> datetime:
    """Inverse of format_time (exactly that shape)."""
    return datetime.strptime(text, _TIME_FORMAT).replace(tzinfo=UTC)


class _RootStatement:
    """What certificates and revocations share: signed by a root over their canonical body.

    Signed bytes: PREFIX + canonicalize(every field but ``signature``).
    """

    PREFIX: ClassVar[bytes]
    key_id: str
    issuer: str
    signature: str

    def body(self) -> bytes:
        return canonicalize({k: v for k, v in self.to_json().items() if k != "signature"})

    def to_json(self) -> dict[str, str]:
        return {f.name: getattr(self, f.name) for f in fields(self)}  # type: ignore[arg-type]

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Self:
        """Exactly the fields, all strings: unknown or missing fields are refused."""
        names = {f.name for f in fields(cls)}  # type: ignore[arg-type]
        missing, unknown = names - data.keys(), data.keys() - names
        if missing or unknown:
            raise ValueError(
                f"{cls.__name__}: missing {sorted(missing)}, unknown {sorted(unknown)}"
            )
        if not all(isinstance(v, str) for v in data.values()):
            raise ValueError(f"{cls.__name__}: every field must be a string")
        return cls(**data)

    def signed_by(self, root: Signer) -> Self:
        """This statement with its issuer set to root and signed by it."""
        unsigned = replace(self, issuer=root.key_id, signature="")  # type: ignore[type-var]
        signature = sign_domain(self.PREFIX, unsigned.body(), root)
        return replace(unsigned, signature=b64url(signature))  # type: ignore[type-var]


@dataclass(frozen=True)
class KeyCertificate(_RootStatement):
    """The root's statement: this public key is `party`'s key for `purpose` in a window."""

    PREFIX: ClassVar[bytes] = CERTIFICATE_PREFIX
    party: str
    key_id: str
    purpose: str
    public_key: str  # base64url, raw 32 bytes
    not_before: str
    not_after: str
    issuer: str = ""  # key id of the root
    signature: str = ""  # base64url


@dataclass(frozen=True)
class KeyRevocation(_RootStatement):
    """The root's statement: working key `key_id` is not to be trusted from `revoked_at` on.

    The root sets revoked_at to the earliest moment the key may have been compromised.
    """

    PREFIX: ClassVar[bytes] = REVOCATION_PREFIX
    party: str
    key_id: str
    reason: str
    revoked_at: str
    issuer: str = ""
    signature: str = ""


def issue_certificate(
    root: Signer,
    *,
    party: str,
    public_key: bytes,
    purpose: KeyPurpose,
    not_before: datetime,
    not_after: datetime,
) -> KeyCertificate:
    """Certify a working key with the root (the root signer may be offline hardware)."""
    if not _PARTY.fullmatch(party):
        raise ValueError(f"party code {party!r} is not a valid code")
    start, end = format_time(not_before), format_time(not_after)  # refuses naive times
    if not_after <= not_before:
        raise ValueError("a certificate must end after it begins")
    return KeyCertificate(
        party=party,
        key_id=key_id_for(public_key),
        purpose=KeyPurpose(purpose).value,
        public_key=b64url(public_key),
        not_before=start,
        not_after=end,
    ).signed_by(root)


def revoke_key(
    root: Signer, *, party: str, key_id: str, reason: str, revoked_at: datetime
) -> KeyRevocation:
    """Revoke a working key from revoked_at on, signed by the root."""
    revocation = KeyRevocation(
        party=party, key_id=key_id, reason=reason, revoked_at=format_time(revoked_at)
    )
    return revocation.signed_by(root)


def _check_root_signature(statement: _RootStatement, root_public_key: bytes) -> None:
    what = "certificate" if isinstance(statement, KeyCertificate) else "revocation"
    if statement.issuer != key_id_for(root_public_key):
        raise UntrustedKey(
            f"{what} for key {statement.key_id} was issued by {statement.issuer}, "
            f"not by the pinned root {key_id_for(root_public_key)}"
        )
    try:
        signature = b64url_decode(statement.signature)
        body = statement.body()
    except (ValueError, CanonicalError) as exc:
        raise UntrustedKey(f"{what} for key {statement.key_id} is malformed: {exc}") from exc
    if not verify_domain(statement.PREFIX, body, signature, root_public_key):
        raise UntrustedKey(f"{what} for key {statement.key_id} has a bad root signature")


def verify_certificate(
    cert: KeyCertificate,
    root_public_key: bytes,
    *,
    at: datetime,
    purpose: KeyPurpose | None = None,
) -> bytes:
    """Check a certificate (root signature, key id, purpose, window); return the public key."""
    _check_root_signature(cert, root_public_key)
    try:
        public_key = b64url_decode(cert.public_key)
        key_id = key_id_for(public_key)
        cert_purpose = KeyPurpose(cert.purpose)
        not_before, not_after = parse_time(cert.not_before), parse_time(cert.not_after)
    except ValueError as exc:
        raise UntrustedKey(f"certificate for key {cert.key_id} is malformed: {exc}") from exc
    if key_id != cert.key_id:
        raise UntrustedKey(f"certificate names key {cert.key_id} but holds key {key_id}")
    if purpose is not None and cert_purpose is not KeyPurpose(purpose):
        raise UntrustedKey(
            f"key {cert.key_id} is certified for {cert_purpose.value}, not {KeyPurpose(purpose)}"
        )
    if not not_before <= at < not_after:
        raise UntrustedKey(
            f"certificate for key {cert.key_id} is valid from {cert.not_before} "
            f"until {cert.not_after}, not at {format_time(at)}"
        )
    return public_key


class TrustStore:
    """Which working keys to trust: pinned party roots plus what those roots signed.

    Certificates and revocations are checked against the pinned root when added; a
    statement a root did not sign is refused at once rather than kept for later.
    """

    def __init__(
        self,
        roots: Mapping[str, bytes],
        certificates: Iterable[KeyCertificate] = (),
        revocations: Iterable[KeyRevocation] = (),
    ) -> None:
        self._roots = dict(roots)
        self._certificates: dict[tuple[str, str], list[KeyCertificate]] = {}
        self._revocations: dict[tuple[str, str], KeyRevocation] = {}
        for cert in certificates:
            self.add_certificate(cert)
        for revocation in revocations:
            self.add_revocation(revocation)

    def _root(self, party: str) -> bytes:
        try:
            return self._roots[party]
        except KeyError:
            raise UntrustedKey(f"no root key is pinned for party {party!r}") from None

    def add_certificate(self, cert: KeyCertificate) -> None:
        _check_root_signature(cert, self._root(cert.party))
        self._certificates.setdefault((cert.party, cert.key_id), []).append(cert)

    def add_revocation(self, revocation: KeyRevocation) -> None:
        _check_root_signature(revocation, self._root(revocation.party))
        parse_time(revocation.revoked_at)
        key = (revocation.party, revocation.key_id)
        earlier = self._revocations.get(key)
        if earlier is None or revocation.revoked_at < earlier.revoked_at:
            self._revocations[key] = revocation

    def working_key(self, party: str, key_id: str, purpose: KeyPurpose, at: datetime) -> bytes:
        """The public key to verify `party`'s `purpose` signature by `key_id` at time `at`."""
        root = self._root(party)
        revocation = self._revocations.get((party, key_id))
        if revocation is not None and at >= parse_time(revocation.revoked_at):
            raise UntrustedKey(
                f"key {key_id} of {party} was revoked from {revocation.revoked_at}: "
                f"{revocation.reason}"
            )
        certs = self._certificates.get((party, key_id))
        if not certs:
            raise UntrustedKey(f"no certificate for key {key_id} of {party}")
        reasons = []
        for cert in certs:
            try:
                return verify_certificate(cert, root, at=at, purpose=purpose)
            except UntrustedKey as exc:
                reasons.append(str(exc))
        raise UntrustedKey("; ".join(reasons))


# ---- A node's key directory ---------------------------------------------------------------

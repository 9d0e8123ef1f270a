"""Detached record signatures: the envelope, domain-separated Ed25519, and the signer interface.

A record version is stored as its canonical bytes and never re-serialised, so its signature
is detached: an envelope names what was signed (format version, adopted agreement hash,
origin node, key id, SHA-256 of the canonical record bytes), and the Ed25519 signature
covers a fixed domain prefix followed by the envelope's own canonical bytes. The format is
specified in docs/signatures.md, with test vectors in tests/vectors/.

Every signature acuerdo makes starts with one of the prefixes below, so a signature made
for one use (a certificate, a record) can never be presented as another.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
    load_pem_private_key,
)

from acuerdo.ledger.canonical import CanonicalError, canonicalize, parse_json

#: Domain-separation prefixes. Each ends in NUL and holds no other NUL, so none is a prefix
#: of another and the message after it cannot be confused with the prefix.
RECORD_SIGNATURE_PREFIX = b"acuerdo/record-signature/v1\x00"
CERTIFICATE_PREFIX = b"acuerdo/key-certificate/v1\x00"
REVOCATION_PREFIX = b"acuerdo/key-revocation/v1\x00"
DOMAIN_PREFIXES = (RECORD_SIGNATURE_PREFIX, CERTIFICATE_PREFIX, REVOCATION_PREFIX)
_PREFIX_SHAPE = re.compile(rb"acuerdo/[a-z0-9-]+/v[0-9]+\x00")

ENVELOPE_VERSION = 1
_HEX64 = re.compile(r"[0-9a-f]{64}")
_KEY_ID = re.compile(r"[0-9a-f]{32}")
_NODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def key_id_for(public_key: bytes) -> str:
    """Key id: hex of the first 16 bytes of SHA-256 over the raw 32-byte public key."""
    if len(public_key) != 32:
        raise ValueError(f"an Ed25519 public key is 32 bytes, not {len(public_key)}")
    return hashlib.sha256(public_key).digest()[:16].hex()


def b64url(data: bytes) -> str:
    """Unpadded base64url (RFC 4648 §5)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


_B64URL_DIGITS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_TO_STANDARD = bytes.maketrans(b"-_", b"+/")
# A tail of 2 or 3 characters carries 1 or 2 bytes; the last character's low bits beyond
# them must be zero, or another text would decode to the same bytes.
_UNUSED_BITS = {0: 0, 2: 0b1111, 3: 0b11}


def b64url_decode(text: str) -> bytes:
    """Strict inverse of b64url: refuses padding, other alphabets and non-canonical tails.

    The tail is checked on its last digit instead of by encoding the bytes back, and the
    alphabet by binascii's strict mode once the standard alphabet's own digits are refused:
    pulled pages decode two of these per record.
    """
    tail = len(text) % 4
    last = _B64URL_DIGITS.find(text[-1]) if text else 0
    if "+" in text or "/" in text or "=" in text or last < 0 or tail == 1:
        raise ValueError("not unpadded base64url")
    if last & _UNUSED_BITS[tail]:
        raise ValueError("not the canonical base64url of its bytes")
    try:
        standard = text.encode("ascii").translate(_TO_STANDARD)
        return binascii.a2b_base64(standard + b"=" * (-tail % 4), strict_mode=True)
    except (UnicodeEncodeError, binascii.Error):
        raise ValueError("not unpadded base64url") from None


class Signer(Protocol):
    """Anything that signs with one Ed25519 key: a key file today, a PKCS#11 token later.

    ``sign`` must be safe to call from a worker thread (the writer signs off the loop).
    """

    @property
    def key_id(self) -> str: ...

    @property
    def public_key(self) -> bytes: ...

    def sign(self, data: bytes) -> bytes: ...


class FileSigner:
    """An Ed25519 private key held in memory, read from (or written to) a PKCS#8 PEM."""

    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        self._private = private_key
        self._public = private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self._key_id = key_id_for(self._public)

    @classmethod
    def generate(cls) -> FileSigner:
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def from_seed(cls, seed: bytes) -> FileSigner:
        """A key from its 32-byte seed (test vectors; real keys come from generate)."""
        return cls(Ed25519PrivateKey.from_private_bytes(seed))

    @classmethod
    def from_pem(cls, pem: bytes) -> FileSigner:
        key = load_pem_private_key(pem, password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError(f"expected an Ed25519 key, found {type(key).__name__}")
        return cls(key)

    def to_pem(self) -> bytes:
        return self._private.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())

    @property
    def key_id(self) -> str:
        return self._key_id

    @property
    def public_key(self) -> bytes:
        return self._public

    def sign(self, data: bytes) -> bytes:
        return self._private.sign(data)


def _check_prefix(prefix: bytes) -> None:
    if not _PREFIX_SHAPE.fullmatch(prefix):
        raise ValueError(f"{prefix!r} is not a domain prefix like b'acuerdo/name/v1\\x00'")


def sign_domain(prefix: bytes, message: bytes, signer: Signer) -> bytes:
    """Sign prefix + message: the one way acuerdo signs anything."""
    _check_prefix(prefix)
    return signer.sign(prefix + message)


def verify_domain(prefix: bytes, message: bytes, signature: bytes, public_key: bytes) -> bool:
    """True when signature is the Ed25519 signature of prefix + message under public_key."""
    _check_prefix(prefix)
    if len(signature) != 64 or len(public_key) != 32:
        return False
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, prefix + message)
    except (InvalidSignature, ValueError):
        return False
    return True


class SignatureError(ValueError):
    """A record signature that does not hold; ``reason`` is a stable code for quarantine.

    Codes: "format" (envelope unreadable), "key" (envelope names another key),
    "signature" (Ed25519 check failed), "hash" (record bytes differ from the signed hash),
    "agreement" (signed under another agreement).
    """

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


# Field names inside the envelope bytes (short, stable, part of the format).
_FIELDS = {
    "v": "version",
    "agr": "agreement_hash",
    "org": "origin",
    "kid": "key_id",
    "sha": "record_hash",
}


@dataclass(frozen=True)
class Envelope:
    """What a record signature covers; its canonical bytes are what Ed25519 signs."""

    version: int
    agreement_hash: str  # hex SHA-256 of the adopted agreement's canonical bytes
    origin: str  # node (party) code that signed, e.g. "USA"
    key_id: str  # key id of the records working key
    record_hash: str  # hex SHA-256 of the record's canonical bytes

    def __post_init__(self) -> None:
        if type(self.version) is not int or self.version != ENVELOPE_VERSION:
            raise ValueError(f"envelope version {self.version!r} is not {ENVELOPE_VERSION}")
        for name, pattern in (("agreement_hash", _HEX64), ("record_hash", _HEX64)):
            if not isinstance(getattr(self, name), str) or not pattern.fullmatch(
                getattr(self, name)
            ):
                raise ValueError(f"envelope {name} is not 64 lowercase hex digits")
        if not isinstance(self.key_id, str) or not _KEY_ID.fullmatch(self.key_id):
            raise ValueError("envelope key id is not 32 lowercase hex digits")
        if not isinstance(self.origin, str) or not _NODE.fullmatch(self.origin):
            raise ValueError(f"envelope origin {self.origin!r} is not a node code")

    def to_bytes(self) -> bytes:
        return canonicalize({short: getattr(self, long) for short, long in _FIELDS.items()})

    @classmethod
    def from_bytes(cls, data: bytes) -> Envelope:
        """Read envelope bytes strictly: canonical, exactly the known fields, valid values."""
        try:
            value = parse_json(data, max_depth=1)
        except CanonicalError as exc:
            raise SignatureError("format", f"envelope is not JSON: {exc}") from exc
        if not isinstance(value, dict):
            raise SignatureError("format", "envelope is not a JSON object")
        missing, unknown = _FIELDS.keys() - value.keys(), value.keys() - _FIELDS.keys()
        if missing or unknown:
            raise SignatureError(
                "format", f"envelope fields: missing {sorted(missing)}, unknown {sorted(unknown)}"
            )
        try:
            envelope = cls(**{long: value[short] for short, long in _FIELDS.items()})  # type: ignore[arg-type]
        except ValueError as exc:
            raise SignatureError("format", str(exc)) from exc
        if envelope.to_bytes() != data:
            raise SignatureError("format", "envelope bytes are not in canonical form")
        return envelope


def sign_record(
    canonical: bytes, *, agreement_hash: str, origin: str, signer: Signer
) -> tuple[bytes, bytes]:
    """Sign a record's canonical bytes; return (envelope bytes, 64-byte signature)."""
    envelope = Envelope(
        version=ENVELOPE_VERSION,
        agreement_hash=agreement_hash,
        origin=origin,
        key_id=signer.key_id,
        record_hash=hashlib.sha256(canonical).hexdigest(),
    ).to_bytes()
    return envelope, sign_domain(RECORD_SIGNATURE_PREFIX, envelope, signer)


@lru_cache(maxsize=16)
def _envelope_template(agreement_hash: str, origin: str, key_id: str) -> tuple[bytes, bytes] | None:
    """(head, tail) of the envelope around its record hash, or None if the format moved.

    Built and validated once per (agreement, origin, key): a single API write would
    otherwise pay for validating and canonicalising the fixed fields on every request.
    """
    placeholder = "0" * 64
    template = Envelope(
        version=ENVELOPE_VERSION,
        agreement_hash=agreement_hash,
        origin=origin,
        key_id=key_id,
        record_hash=placeholder,
    ).to_bytes()
    marker = b'"sha":"' + placeholder.encode("ascii") + b'"'
    head, found, tail = template.partition(marker)
    if not found:
        return None
    return head + b'"sha":"', b'"' + tail


def sign_many(
    canonicals: Iterable[bytes], *, agreement_hash: str, origin: str, signer: Signer
) -> list[tuple[bytes, bytes]]:
    """Sign a batch: `sign_hashes` over the SHA-256 of each record's canonical bytes."""
    hashes = [hashlib.sha256(c).hexdigest() for c in canonicals]
    return sign_hashes(hashes, agreement_hash=agreement_hash, origin=origin, signer=signer)


def sign_hashes(
    record_hashes: Iterable[str], *, agreement_hash: str, origin: str, signer: Signer
) -> list[tuple[bytes, bytes]]:
    """(envelope, signature) per record, given the hex SHA-256 of its canonical bytes.

    Same bytes as `sign_record` for each record, built faster: the envelope's fixed fields
    are validated and canonicalised once, and only the record hash (64 lowercase hex
    digits, checked, which need no escaping) is spliced in per record. Ed25519 itself is
    what remains. Taking hashes, not records, lets a signing process get 64 bytes a record.
    """
    template = _envelope_template(agreement_hash, origin, signer.key_id)
    hashes = list(record_hashes)
    for h in hashes:
        if not _HEX64.fullmatch(h):
            raise ValueError(f"{h!r} is not a hex SHA-256")
    if template is None:  # the envelope format changed: build each envelope in full
        out = []
        for h in hashes:
            env = Envelope(
                version=ENVELOPE_VERSION,
                agreement_hash=agreement_hash,
                origin=origin,
                key_id=signer.key_id,
                record_hash=h,
            ).to_bytes()
            out.append((env, sign_domain(RECORD_SIGNATURE_PREFIX, env, signer)))
        return out
    head, tail = template
    sign = signer.sign
    result: list[tuple[bytes, bytes]] = []
    for h in hashes:
        envelope = head + h.encode("ascii") + tail
        result.append((envelope, sign(RECORD_SIGNATURE_PREFIX + envelope)))
    return result


def verify_record(
    canonical: bytes,
    envelope_bytes: bytes,
    signature: bytes,
    public_key_bytes: bytes,
    *,
    agreement_hash: str | None = None,
) -> Envelope:
    """Check a detached record signature; return the envelope or raise SignatureError.

    The caller chooses public_key_bytes (normally TrustStore.working_key for the envelope's
    origin and key id); this checks that the envelope names that key, that the signature
    covers the envelope, that the envelope covers these bytes, and the agreement.
    """
    envelope = Envelope.from_bytes(envelope_bytes)
    try:
        expected_key = key_id_for(public_key_bytes)
    except ValueError as exc:
        raise SignatureError("key", str(exc)) from exc
    if envelope.key_id != expected_key:
        raise SignatureError(
            "key", f"envelope names key {envelope.key_id}, verifying key is {expected_key}"
        )
    if not verify_domain(RECORD_SIGNATURE_PREFIX, envelope_bytes, signature, public_key_bytes):
        raise SignatureError("signature", f"bad signature by key {envelope.key_id}")
    actual = hashlib.sha256(canonical).hexdigest()
    if actual != envelope.record_hash:
        raise SignatureError(
            "hash", f"record hash {actual} does not match signed hash {envelope.record_hash}"
        )
    if agreement_hash is not None and envelope.agreement_hash != agreement_hash:
        raise SignatureError(
            "agreement",
            f"signed under agreement {envelope.agreement_hash}, expected {agreement_hash}",
        )
    return envelope

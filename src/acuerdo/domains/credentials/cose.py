"""COSE_Sign1 (RFC 9052 §4.2) with EdDSA over Ed25519, signed with `cryptography`.

pycose 1.1.0 cannot decode what cbor2 6.x produces (tagged arrays come back as tuples), so
this small layer does only what cards need: a protected header {1: -8 (EdDSA), 4: kid} and
optionally 3 (content type), an empty unprotected map, the payload embedded, tag 18. What is
signed is the Sig_structure ["Signature1", protected, h'', payload]. Parsing is strict: a
message that is not exactly this shape is refused before any signature is checked.

Signatures are checked with libsodium (PyNaCl): a checkpoint's verifications per second are
bounded by the Ed25519 check, and libsodium's takes about half the time of OpenSSL's here
(~55 us against ~105 us). The independent test verifier uses OpenSSL, so the two
implementations are held to each other.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import cbor2
from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey

from acuerdo.ledger.signing import Signer

ALG, CONTENT_TYPE, KID = 1, 3, 4
EDDSA = -8
SIGN1_TAG = 18
KID_BYTES = 8  # the first 8 bytes of the key id, as EU digital certificates do


class CoseError(ValueError):
    """A message that is not a COSE_Sign1 of the shape cards use, and how."""


@dataclass(frozen=True)
class Sign1:
    """A parsed COSE_Sign1: the protected bytes as received, what they say, the payload."""

    protected: bytes
    kid: bytes
    content_type: str | None
    payload: bytes
    signature: bytes

    def to_be_signed(self) -> bytes:
        return sig_structure(self.protected, self.payload)

    def verify(self, key: CardKey) -> bool:
        """True when the Ed25519 signature holds over the Sig_structure."""
        return key.holds(self.signature, self.to_be_signed())


class CardKey:
    """A trusted Ed25519 public key, parsed once and kept by whoever verifies many cards."""

    __slots__ = ("_key",)

    def __init__(self, public_key: bytes) -> None:
        if len(public_key) != 32:
            raise ValueError("an Ed25519 public key is 32 bytes")
        self._key = VerifyKey(public_key)

    def holds(self, signature: bytes, data: bytes) -> bool:
        """True when `signature` is this key's over `data`."""
        try:
            self._key.verify(data, signature)
        except BadSignatureError:
            return False
        return True


def kid_of(key_id: str) -> bytes:
    """The COSE kid of an acuerdo key id (hex): its first KID_BYTES bytes."""
    return bytes.fromhex(key_id)[:KID_BYTES]


def sig_structure(protected: bytes, payload: bytes) -> bytes:
    """CBOR of ["Signature1", protected, h'', payload], built directly (a hot path).

    Byte for byte what a CBOR encoder gives for that array (tests compare with cbor2).
    """
    return (
        _SIG1_HEAD
        + _bstr_head(len(protected))
        + protected
        + b"\x40"
        + (_bstr_head(len(payload)) + payload)
    )


_SIG1_HEAD = b"\x84\x6aSignature1"  # array(4), text(10) "Signature1"


def _bstr_head(length: int) -> bytes:
    if length < 24:
        return bytes((0x40 | length,))
    if length < 0x100:
        return bytes((0x58, length))
    if length < 0x10000:
        return b"\x59" + length.to_bytes(2, "big")
    return b"\x5a" + length.to_bytes(4, "big")


def sign1(payload: bytes, signer: Signer, *, content_type: str | None = None) -> bytes:
    """A tagged COSE_Sign1 of payload, signed by signer, its kid the key id's first 8 bytes."""
    header: dict[int, Any] = {ALG: EDDSA, KID: kid_of(signer.key_id)}
    if content_type is not None:
        header[CONTENT_TYPE] = content_type
    protected = bytes(cbor2.dumps(header, canonical=True))
    signature = signer.sign(sig_structure(protected, payload))
    message = [protected, {}, payload, signature]
    return bytes(cbor2.dumps(cbor2.CBORTag(SIGN1_TAG, message)))


def parse_sign1(data: bytes) -> Sign1:
    """Strictly parse a tagged COSE_Sign1 with an EdDSA protected header."""
    try:
        value = cbor2.loads(data)
        header = _header(value)
    except (cbor2.CBORDecodeError, ValueError, TypeError, EOFError) as exc:
        raise CoseError(f"not a COSE_Sign1 message: {exc}") from None
    protected, _unprotected, payload, signature = value.value
    kid = header.get(KID)
    content_type = header.get(CONTENT_TYPE)
    if not isinstance(kid, bytes) or len(kid) != KID_BYTES:
        raise CoseError(f"protected header 4 (kid) must be {KID_BYTES} bytes")
    if content_type is not None and not isinstance(content_type, str):
        raise CoseError("protected header 3 (content type) must be text")
    if not isinstance(payload, bytes) or not isinstance(signature, bytes) or len(signature) != 64:
        raise CoseError("payload must be embedded bytes and the signature 64 bytes")
    return Sign1(protected, kid, content_type, payload, signature)


def _header(value: Any) -> Mapping[Any, Any]:
    if not isinstance(value, cbor2.CBORTag) or value.tag != SIGN1_TAG:
        raise ValueError("expected CBOR tag 18 (COSE_Sign1)")
    parts = value.value
    if not isinstance(parts, (list, tuple)) or len(parts) != 4:
        raise ValueError("COSE_Sign1 is an array of four items")
    protected, unprotected = parts[0], parts[1]
    if not isinstance(protected, bytes) or not isinstance(unprotected, Mapping) or unprotected:
        raise ValueError("expected protected bytes and an empty unprotected map")
    return _protected_header(protected)


@lru_cache(maxsize=64)
def _protected_header(protected: bytes) -> Mapping[Any, Any]:
    """Parsed once per distinct header: every card of one key carries the same bytes."""
    header = cbor2.loads(protected)
    if not isinstance(header, Mapping) or header.get(ALG) != EDDSA:
        raise ValueError("protected header must name alg -8 (EdDSA)")
    if set(header) - {ALG, CONTENT_TYPE, KID}:
        raise ValueError(f"unexpected protected header labels {sorted(map(str, header))}")
    return header

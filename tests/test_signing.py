"""Check the published signature vectors with independent code.

This module deliberately imports nothing from acuerdo: only ``cryptography``, ``rfc8785``,
hashlib and json, following docs/signatures.md. If acuerdo's signing drifted from the
written format, these tests would fail even though acuerdo agrees with itself.
"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

VECTORS = json.loads(
    (Path(__file__).parent / "vectors" / "signatures.json").read_text(encoding="utf-8")
)
RECORD_PREFIX = b"acuerdo/record-signature/v1\x00"
CERTIFICATE_PREFIX = b"acuerdo/key-certificate/v1\x00"
RECORDS: list[dict[str, Any]] = VECTORS["records"]


def _public_from_seed(seed_hex: str) -> bytes:
    private = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(seed_hex))
    return private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def _canonical(record_text: str) -> bytes:
    """RFC 8785 via the reference package; beyond 2^53, exact digits (documented extension)."""
    value = json.loads(record_text)
    try:
        return bytes(rfc8785.dumps(value))
    except rfc8785.IntegerDomainError:
        # The vector with big integers has no floats and only BMP keys, where Python's
        # sorted compact JSON is the extended canonical form.
        return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def _verify(vector: dict[str, Any], record: bytes) -> None:
    """Raise if the vector's signature does not hold for these record bytes."""
    public = bytes.fromhex(vector["public_key"])
    envelope = vector["envelope"].encode()
    Ed25519PublicKey.from_public_bytes(public).verify(
        bytes.fromhex(vector["signature"]), RECORD_PREFIX + envelope
    )
    fields = json.loads(envelope)
    if fields["sha"] != hashlib.sha256(record).hexdigest():
        raise InvalidSignature("record hash differs from the signed hash")


# Public keys of RFC 8032 section 7.1 tests 1-3, whose secret keys are the vector seeds.
RFC8032_PUBLIC_KEYS = {
    "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60": (
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
    ),
    "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb": (
        "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c"
    ),
    "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7": (
        "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025"
    ),
}


def test_prefix_matches_the_specification() -> None:
    assert bytes.fromhex(VECTORS["record_prefix_hex"]) == RECORD_PREFIX


def test_seeds_are_the_rfc8032_keys() -> None:
    seeds = [(v["seed"], v["public_key"]) for v in RECORDS]
    seeds += [(c["root_seed"], c["root_public_key"]) for c in VECTORS["certificates"]]
    for seed, public in seeds:
        assert RFC8032_PUBLIC_KEYS[seed] == public == _public_from_seed(seed).hex()


@pytest.mark.parametrize("vector", RECORDS, ids=[v["name"] for v in RECORDS])
def test_record_vector_verifies_independently(vector: dict[str, Any]) -> None:
    public = _public_from_seed(vector["seed"])
    assert public.hex() == vector["public_key"]
    assert hashlib.sha256(public).digest()[:16].hex() == vector["key_id"]
    canonical = _canonical(vector["record"])
    assert canonical == vector["canonical"].encode()
    assert hashlib.sha256(canonical).hexdigest() == vector["canonical_sha256"]
    expected_envelope = rfc8785.dumps(
        {
            "v": 1,
            "agr": vector["agreement_hash"],
            "org": vector["origin"],
            "kid": vector["key_id"],
            "sha": vector["canonical_sha256"],
        }
    )
    assert vector["envelope"].encode() == expected_envelope
    _verify(vector, canonical)


@pytest.mark.parametrize("vector", RECORDS, ids=[v["name"] for v in RECORDS])
def test_tampered_record_fails(vector: dict[str, Any]) -> None:
    canonical = bytearray(vector["canonical"].encode())
    for position in (0, len(canonical) // 2, len(canonical) - 1):
        tampered = bytearray(canonical)
        tampered[position] ^= 0x01
        with pytest.raises(InvalidSignature):
            _verify(vector, bytes(tampered))


@pytest.mark.parametrize("vector", RECORDS, ids=[v["name"] for v in RECORDS])
def test_tampered_envelope_or_signature_fails(vector: dict[str, Any]) -> None:
    record = vector["canonical"].encode()
    envelope = vector["envelope"].replace('"org":"', '"org":"X')
    with pytest.raises(InvalidSignature):
        _verify({**vector, "envelope": envelope}, record)
    signature = bytearray.fromhex(vector["signature"])
    signature[10] ^= 0x80
    with pytest.raises(InvalidSignature):
        _verify({**vector, "signature": signature.hex()}, record)


def test_big_integer_vector_keeps_exact_digits() -> None:
    (vector,) = [v for v in RECORDS if v["name"] == "sco-big-integer"]
    with pytest.raises(rfc8785.IntegerDomainError):
        rfc8785.dumps(json.loads(vector["record"]))
    assert '"size":18446744073709551615' in vector["canonical"]


def test_certificate_vector_verifies_independently() -> None:
    for vector in VECTORS["certificates"]:
        root = _public_from_seed(vector["root_seed"])
        assert root.hex() == vector["root_public_key"]
        cert = dict(vector["certificate"])
        signature_b64 = cert.pop("signature")
        body = rfc8785.dumps(cert)
        assert body == vector["body"].encode()
        assert cert["issuer"] == hashlib.sha256(root).digest()[:16].hex()
        signature = base64.urlsafe_b64decode(signature_b64 + "=" * (-len(signature_b64) % 4))
        Ed25519PublicKey.from_public_bytes(root).verify(signature, CERTIFICATE_PREFIX + body)
        tampered = rfc8785.dumps({**cert, "purpose": "cards"})
        with pytest.raises(InvalidSignature):
            Ed25519PublicKey.from_public_bytes(root).verify(
                signature, CERTIFICATE_PREFIX + tampered
            )

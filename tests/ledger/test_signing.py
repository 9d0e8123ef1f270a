"""Record signatures: envelope format, domain separation, and every refusal reason."""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from acuerdo.ledger.canonical import canonicalize
from acuerdo.ledger.signing import (
    CERTIFICATE_PREFIX,
    DOMAIN_PREFIXES,
    RECORD_SIGNATURE_PREFIX,
    Envelope,
    FileSigner,
    SignatureError,
    b64url,
    b64url_decode,
    key_id_for,
    sign_domain,
    sign_many,
    sign_record,
    verify_domain,
    verify_record,
)

AGREEMENT = hashlib.sha256(b"agreement").hexdigest()
OTHER_AGREEMENT = hashlib.sha256(b"other agreement").hexdigest()
SIGNER = FileSigner.from_seed(bytes(range(32)))
RECORD = canonicalize({"type": "x-acuerdo-person", "id": "x-acuerdo-person--1", "n": 1.0})
VECTORS_DIR = Path(__file__).resolve().parents[1] / "vectors"


def _signed() -> tuple[bytes, bytes]:
    return sign_record(RECORD, agreement_hash=AGREEMENT, origin="USA", signer=SIGNER)


def test_sign_and_verify_roundtrip() -> None:
    envelope_bytes, signature = _signed()
    envelope = verify_record(
        RECORD, envelope_bytes, signature, SIGNER.public_key, agreement_hash=AGREEMENT
    )
    assert envelope == Envelope(
        1, AGREEMENT, "USA", SIGNER.key_id, hashlib.sha256(RECORD).hexdigest()
    )
    assert json.loads(envelope_bytes) == {
        "v": 1,
        "agr": AGREEMENT,
        "org": "USA",
        "kid": SIGNER.key_id,
        "sha": hashlib.sha256(RECORD).hexdigest(),
    }
    assert envelope.to_bytes() == envelope_bytes == canonicalize(json.loads(envelope_bytes))


def test_refusal_reasons() -> None:
    envelope, signature = _signed()
    other = FileSigner.from_seed(bytes(32))
    cases = [
        (RECORD + b" ", envelope, signature, SIGNER.public_key, None, "hash"),
        (RECORD, envelope, signature[:-1] + b"\x00", SIGNER.public_key, None, "signature"),
        (RECORD, envelope, signature, other.public_key, None, "key"),
        (RECORD, envelope, signature, b"short", None, "key"),
        (RECORD, envelope, signature, SIGNER.public_key, OTHER_AGREEMENT, "agreement"),
        (RECORD, envelope + b" ", signature, SIGNER.public_key, None, "format"),
    ]
    for record, env, sig, key, agreement, reason in cases:
        with pytest.raises(SignatureError) as caught:
            verify_record(record, env, sig, key, agreement_hash=agreement)
        assert caught.value.reason == reason, (reason, str(caught.value))


def test_envelope_signed_by_other_key_with_forged_key_id_fails() -> None:
    envelope, _ = _signed()
    forged = FileSigner.from_seed(bytes(32)).sign(RECORD_SIGNATURE_PREFIX + envelope)
    with pytest.raises(SignatureError, match="bad signature"):
        verify_record(RECORD, envelope, forged, SIGNER.public_key)


@pytest.mark.parametrize(
    ("mutation", "message"),
    [
        (lambda d: {**d, "extra": 1}, "unknown \\['extra'\\]"),
        (lambda d: {k: v for k, v in d.items() if k != "kid"}, "missing \\['kid'\\]"),
        (lambda d: {**d, "v": 2}, "version 2"),
        (lambda d: {**d, "v": True}, "version True"),
        (lambda d: {**d, "sha": d["sha"].upper()}, "record_hash is not 64 lowercase hex"),
        (lambda d: {**d, "org": ""}, "not a node code"),
        (lambda d: {**d, "kid": 5}, "key id"),
    ],
)
def test_envelope_from_bytes_is_strict(mutation: object, message: str) -> None:
    envelope, _ = _signed()
    data = mutation(json.loads(envelope))  # type: ignore[operator]
    with pytest.raises(SignatureError, match=message) as caught:
        Envelope.from_bytes(canonicalize(data))
    assert caught.value.reason == "format"


def test_envelope_must_be_canonical() -> None:
    envelope, _ = _signed()
    pretty = json.dumps(json.loads(envelope), indent=1).encode()
    with pytest.raises(SignatureError, match="not in canonical form"):
        Envelope.from_bytes(pretty)
    with pytest.raises(SignatureError, match="duplicate key"):
        Envelope.from_bytes(envelope[:-1] + b',"v":1}')


def test_domain_separation() -> None:
    assert len(set(DOMAIN_PREFIXES)) == len(DOMAIN_PREFIXES)
    for prefix in DOMAIN_PREFIXES:
        assert prefix.endswith(b"\x00")
        assert prefix.count(b"\x00") == 1
        assert not any(p != prefix and p.startswith(prefix) for p in DOMAIN_PREFIXES)
    signature = sign_domain(CERTIFICATE_PREFIX, b"message", SIGNER)
    assert verify_domain(CERTIFICATE_PREFIX, b"message", signature, SIGNER.public_key)
    assert not verify_domain(RECORD_SIGNATURE_PREFIX, b"message", signature, SIGNER.public_key)
    with pytest.raises(ValueError, match="not a domain prefix"):
        sign_domain(b"no-nul", b"message", SIGNER)


def test_sign_many_in_worker_threads_matches_sign_record() -> None:
    records = [canonicalize({"id": f"x--{i}", "i": i}) for i in range(200)]
    expected = [
        sign_record(r, agreement_hash=AGREEMENT, origin="PRY", signer=SIGNER) for r in records
    ]
    batches = [records[i : i + 50] for i in range(0, 200, 50)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = pool.map(
            lambda batch: sign_many(batch, agreement_hash=AGREEMENT, origin="PRY", signer=SIGNER),
            batches,
        )
        signed = [pair for batch in results for pair in batch]
    assert signed == expected  # Ed25519 is deterministic


@settings(deadline=None, max_examples=50)
@given(st.binary(max_size=2000), st.integers(min_value=0, max_value=7))
def test_any_flipped_bit_in_the_record_is_caught(record: bytes, bit: int) -> None:
    envelope, signature = sign_record(record, agreement_hash=AGREEMENT, origin="USA", signer=SIGNER)
    if not record:
        return
    tampered = bytearray(record)
    tampered[len(record) // 2] ^= 1 << bit
    with pytest.raises(SignatureError, match="record hash"):
        verify_record(bytes(tampered), envelope, signature, SIGNER.public_key)


def test_key_ids_and_base64url() -> None:
    assert SIGNER.key_id == hashlib.sha256(SIGNER.public_key).hexdigest()[:32]
    assert key_id_for(SIGNER.public_key) == SIGNER.key_id
    with pytest.raises(ValueError, match="32 bytes"):
        key_id_for(b"\x00" * 31)
    assert b64url_decode(b64url(b"\xfb\xff")) == b"\xfb\xff"
    refused = (
        ("+/8", "not unpadded"), ("-_8=", "not unpadded"), ("-_9", "canonical"),
        ("AAAAA", "not unpadded"), ("AA A", "not unpadded"), ("AAé", "not unpadded"),
        ("AA\n", "not unpadded"), ("AB", "canonical"), ("AAB", "canonical"),
    )  # fmt: skip
    for bad, message in refused:
        with pytest.raises(ValueError, match=message):
            b64url_decode(bad)


@settings(deadline=None, max_examples=300)
@given(st.binary(max_size=80))
def test_base64url_decodes_exactly_what_it_encodes(data: bytes) -> None:
    text = b64url(data)
    assert b64url_decode(text) == data == base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def test_pem_roundtrip_and_wrong_key_type() -> None:
    again = FileSigner.from_pem(SIGNER.to_pem())
    assert again.public_key == SIGNER.public_key
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import (
        Encoding,
        NoEncryption,
        PrivateFormat,
    )

    ec_pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()
    )
    with pytest.raises(ValueError, match="expected an Ed25519 key"):
        FileSigner.from_pem(ec_pem)


def test_published_vectors_are_up_to_date_and_verify_here() -> None:
    spec = importlib.util.spec_from_file_location("vector_generator", VECTORS_DIR / "generate.py")
    assert spec is not None
    assert spec.loader is not None
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    for name, text in generator.rendered().items():
        assert (VECTORS_DIR / name).read_text(encoding="utf-8") == text, f"{name} is stale"
    for vector in json.loads((VECTORS_DIR / "signatures.json").read_text())["records"]:
        verify_record(
            vector["canonical"].encode(),
            vector["envelope"].encode(),
            bytes.fromhex(vector["signature"]),
            bytes.fromhex(vector["public_key"]),
            agreement_hash=vector["agreement_hash"],
        )


def test_sign_many_template_survives_lookalike_fields() -> None:
    zeros = "0" * 64  # the same digits as the template's placeholder hash
    records = [b"", b"{}", RECORD]
    batch = sign_many(records, agreement_hash=zeros, origin="sha", signer=SIGNER)
    assert batch == [
        sign_record(r, agreement_hash=zeros, origin="sha", signer=SIGNER) for r in records
    ]
    for record, (envelope, signature) in zip(records, batch, strict=True):
        verify_record(record, envelope, signature, SIGNER.public_key, agreement_hash=zeros)
    assert sign_many([], agreement_hash=zeros, origin="USA", signer=SIGNER) == []

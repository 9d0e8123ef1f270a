"""The card code layers alone: Base45 against the reference package, claims, COSE strictness."""

from __future__ import annotations

import base45  # type: ignore[import-untyped]
import cbor2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from acuerdo.domains.credentials import codec
from acuerdo.domains.credentials.claims import CardClaims, ClaimsError
from acuerdo.domains.credentials.cose import CoseError, parse_sign1, sig_structure, sign1
from acuerdo.ledger.signing import FileSigner

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"


@settings(deadline=None, max_examples=300)
@given(st.binary(max_size=400))
def test_base45_decodes_what_the_reference_encodes(data: bytes) -> None:
    assert codec.b45decode(base45.b45encode(data).decode()) == data


@settings(deadline=None, max_examples=300)
@given(st.text(alphabet=ALPHABET + "a:é", max_size=30))
def test_base45_refuses_what_the_reference_refuses(text: str) -> None:
    try:
        expected: bytes | None = base45.b45decode(text)
    except ValueError:
        expected = None
    try:
        got: bytes | None = codec.b45decode(text)
    except ValueError:
        got = None
    assert got == expected


names = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x24F), min_size=1, max_size=60)


@settings(deadline=None, max_examples=100)
@given(names, names, st.integers(0, 2**32), st.integers(1, 2**20))
def test_claims_round_trip(given_names: str, family: str, start: int, span: int) -> None:
    claims = CardClaims(
        issuer="USA",
        card_id=bytes(16),
        family_names=family,
        given_names=given_names,
        birth_date="1990-05-17",
        category=0,
        status=0,
        article="2",
        agreement_hash=bytes(16),
        id_last4="0042",
        valid_from=start,
        valid_until=start + span,
    )
    assert CardClaims.from_cbor(claims.to_cbor()) == claims


def test_claims_refuse_extra_missing_and_wrong_types() -> None:
    good = {1: "USA", 2: bytes(16), 3: "A", 4: "B", 5: "1990-05-17", 6: 0, 7: 0, 8: "2"}
    good |= {9: bytes(16), 10: "1234", 11: 1, 12: 2}
    assert CardClaims.from_cbor(cbor2.dumps(good)).id_last4 == "1234"
    for broken in (
        good | {13: "arms"},
        {k: v for k, v in good.items() if k != 5},
        good | {9: bytes(32)},
        good | {6: "member-of-force"},
        good | {12: 1},
        good | {5: "17/05/1990"},
    ):
        with pytest.raises(ClaimsError):
            CardClaims.from_cbor(cbor2.dumps(broken))


def test_cose_refuses_other_shapes() -> None:
    signer = FileSigner.generate()
    message = cbor2.loads(sign1(b"x", signer))
    protected, _, payload, signature = message.value
    for shape in (
        cbor2.CBORTag(98, [protected, {}, payload, signature]),
        cbor2.CBORTag(18, [protected, {4: b"x"}, payload, signature]),
        cbor2.CBORTag(18, [cbor2.dumps({1: -7, 4: bytes(8)}), {}, payload, signature]),
        cbor2.CBORTag(18, [protected, {}, None, signature]),
        cbor2.CBORTag(18, [protected, {}, payload]),
    ):
        with pytest.raises(CoseError):
            parse_sign1(cbor2.dumps(shape))
    parsed = parse_sign1(sign1(b"x", signer))
    assert parsed.kid == bytes.fromhex(signer.key_id)[:8] and parsed.payload == b"x"


@settings(deadline=None, max_examples=200)
@given(st.binary(max_size=300), st.integers(0, 70_000).map(bytes))
def test_sig_structure_is_what_cbor_encodes(protected: bytes, payload: bytes) -> None:
    expected = cbor2.dumps(["Signature1", protected, b"", payload])
    assert sig_structure(protected, payload) == expected

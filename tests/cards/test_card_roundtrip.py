"""Status cards end to end: issue, render, scan the image, verify; and each way a card fails."""

from __future__ import annotations

import random
import zlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import base45  # type: ignore[import-untyped]
import pytest
from card_support import covered_person

from acuerdo.domains.credentials import codec, render
from acuerdo.domains.credentials.claims import CardClaims
from acuerdo.domains.credentials.cose import sign1
from acuerdo.domains.credentials.issue import CardRefused, issue_card, revoke_card
from acuerdo.domains.credentials.revocation import (
    RevocationListError,
    signed_revocation_list,
    verify_revocation_list,
)
from acuerdo.domains.credentials.trust import TrustBundle, bundle_for
from acuerdo.domains.credentials.verify import CardVerifier, read_code_from_image
from acuerdo.ledger.keys import KeyPurpose
from acuerdo.ledger.signing import FileSigner
from conftest import NodeHarness

# Names too long for any card, and not compressible by zlib: random accented letters.
LONG = "".join(random.Random(7).choices("ÁÉÍÓÚÑÜáéíóúñüabcdefghijklmnopqrstuvwxyz -", k=300))


async def test_issue_render_scan_verify(harness: NodeHarness, tmp_path: Path) -> None:
    node, registrar = harness.node, harness.users["registrar"]
    person = await covered_person(node, registrar)
    card = await issue_card(node, registrar, person)
    image = tmp_path / "card.png"
    image.write_bytes(render.png(card.code))
    scanned = read_code_from_image(image)
    assert scanned == card.code
    bundle = TrustBundle.from_json(bundle_for(node).to_json())  # as read from its file
    answer = CardVerifier(bundle).verify(scanned)
    assert answer.valid, answer.message
    assert answer.claims is not None and answer.claims.family_names == "Benítez Ortiz"
    assert answer.claims.id_last4 == "7890"
    assert any("administrative-and-technical-staff" in a and "Art. 2" in a for a in answer.allows)
    assert render.svg(card.code).startswith(b"<?xml")
    category, status = CardVerifier(bundle).names(card.claims)
    assert (category, status) == ("member-of-force", "administrative-and-technical-staff")
    document = render.pdf(
        card.claims, card.code, agreement_title="t", category=category, status=status
    )
    assert document.startswith(b"%PDF")


async def test_validity_never_beyond_orders_nor_the_maximum(harness: NodeHarness) -> None:
    node, registrar = harness.node, harness.users["registrar"]
    now = datetime.now(UTC).replace(microsecond=0)
    short = await issue_card(node, registrar, await covered_person(node, registrar), now=now)
    order_end = datetime.combine(now.date() + timedelta(days=31), datetime.min.time(), UTC)
    assert short.claims.valid_until == int(order_end.timestamp())
    long_orders = await covered_person(node, registrar, order_days=(-1, 400))
    capped = await issue_card(node, registrar, long_orders, now=now)
    assert capped.claims.valid_until == int((now + timedelta(days=90)).timestamp())


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"category": "contractor-employee"}, "Art. 1"),
        ({"category": "dependent"}, "Art. 1"),
        ({"order_days": None}, "no movement order"),
        ({"order_days": (-30, -1)}, "no movement order"),
        ({"national_id": None}, "national ID"),
        ({"given": LONG[:150], "family": LONG[150:]}, "too long"),
    ],
)
async def test_no_card_without_coverage_orders_and_id(
    harness: NodeHarness, kwargs: dict[str, object], words: str
) -> None:
    node, registrar = harness.node, harness.users["registrar"]
    person = await covered_person(node, registrar, **kwargs)  # type: ignore[arg-type]
    with pytest.raises(CardRefused, match=words):
        await issue_card(node, registrar, person)


async def test_a_person_the_user_may_not_see_is_absent(harness: NodeHarness) -> None:
    node = harness.node
    person = await covered_person(node, harness.users["registrar"])
    with pytest.raises(CardRefused) as refused:
        await issue_card(node, harness.users["analyst"], person)  # no personal-data role
    assert refused.value.absent


def _flip(code: str, index: int) -> str:
    """The code of the same COSE bytes with one byte flipped."""
    raw = bytearray(codec.decode(code))
    raw[index] ^= 0x01
    return codec.encode(bytes(raw))


async def test_each_failure_has_its_reason(harness: NodeHarness) -> None:
    node, registrar = harness.node, harness.users["registrar"]
    card = await issue_card(node, registrar, await covered_person(node, registrar))
    verifier = CardVerifier(bundle_for(node))
    assert verifier.verify(card.code).valid
    # one flipped byte inside the signed claims (the payload sits before the signature)
    raw = codec.decode(card.code)
    assert verifier.verify(_flip(card.code, len(raw) - 64 - 20)).reason == "signature"
    assert verifier.verify(_flip(card.code, len(raw) - 5)).reason == "signature"
    assert verifier.verify(card.code[:-3]).reason == "format"
    assert verifier.verify("HC1:" + card.code[6:]).reason == "format"
    later = card.claims.valid_until_time + timedelta(seconds=1)
    assert verifier.verify(card.code, now=later).reason == "expired"
    person = await covered_person(node, registrar)
    future = await issue_card(node, registrar, person, now=datetime.now(UTC) + timedelta(hours=1))
    assert verifier.verify(future.code).reason == "not-yet-valid"
    stranger = FileSigner.generate()
    forged = codec.encode(sign1(card.claims.to_cbor(), stranger))
    assert verifier.verify(forged).reason == "unknown-key"
    records_key = node.keys.signer(KeyPurpose.RECORDS)  # trusted, but not for cards
    assert verifier.verify(codec.encode(sign1(card.claims.to_cbor(), records_key))).reason == (
        "unknown-key"
    )


async def test_revoked_card_fails_with_a_signed_list(harness: NodeHarness) -> None:
    node, registrar = harness.node, harness.users["registrar"]
    card = await issue_card(node, registrar, await covered_person(node, registrar))
    other = await issue_card(node, registrar, await covered_person(node, registrar))
    revoked_hex = await revoke_card(node, registrar, card.record_id, "lost")
    assert revoked_hex == card.claims.card_id_hex
    now = datetime.now(UTC)
    signed = await signed_revocation_list(node, now=now)
    bundle = bundle_for(node)
    content = verify_revocation_list(signed, bundle, at=now)
    verifier = CardVerifier(bundle, content)
    answer = verifier.verify(card.code)
    assert (answer.valid, answer.reason) == (False, "revoked")
    assert verifier.verify(other.code).valid
    tampered = bytearray(signed)
    tampered[-70] ^= 1
    with pytest.raises(RevocationListError):
        verify_revocation_list(bytes(tampered), bundle, at=now)
    with pytest.raises(RevocationListError, match="not a revocation list"):
        verify_revocation_list(codec.decode(card.code), bundle, at=now)


def test_worst_case_card_fits_qr_version_15_at_level_q() -> None:
    from card_support import WORST_FAMILY, WORST_GIVEN

    claims = CardClaims(
        issuer="USA",
        card_id=bytes(range(16)),
        family_names=WORST_FAMILY,
        given_names=WORST_GIVEN,
        birth_date="1990-05-17",
        category=1,
        status=0,
        article="2",
        agreement_hash=bytes(range(16)),
        id_last4="X7Z9",
        valid_from=1_790_000_000,
        valid_until=1_797_776_000,
    )
    code = codec.encode(sign1(claims.to_cbor(), FileSigner.generate()))
    symbol = render.qr(code)
    assert symbol.error == "Q" and symbol.designator == f"{symbol.version}-Q"
    assert isinstance(symbol.version, int) and symbol.version <= 15, symbol.version
    assert zlib.decompress(base45.b45decode(code[len(codec.PREFIX) :])) == codec.decode(code)

"""The signed checkpoint bundle: agreement hash, card keys and revocation list in one file.

A checkpoint trusts a bundle only through the root public key it was given (`--root`):
a bundle whose signature fails, whose root is another, or which is not a bundle at all is
refused whole, with the reason; a good one verifies cards offline and knows the cards the
issuer revoked or withdrew.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest
from card_support import card_cli, covered_person
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from acuerdo.domains.credentials.checkpoint import (
    CheckpointBundleError,
    open_checkpoint_bundle,
    signed_checkpoint_bundle,
)
from acuerdo.domains.credentials.issue import issue_card, revoke_card
from acuerdo.domains.credentials.revocation import signed_revocation_list
from acuerdo.domains.credentials.trust import bundle_for
from acuerdo.domains.credentials.verify import CardVerifier
from acuerdo.ledger.signing import b64url
from conftest import NodeHarness


def other_root() -> bytes:
    return Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


async def test_a_bundle_carries_keys_hash_and_revocations(harness: NodeHarness) -> None:
    node, registrar = harness.node, harness.users["registrar"]
    kept = await issue_card(node, registrar, await covered_person(node, registrar))
    lost = await issue_card(node, registrar, await covered_person(node, registrar))
    await revoke_card(node, registrar, lost.record_id, "lost")
    now = datetime.now(UTC)
    signed = await signed_checkpoint_bundle(node, now=now)
    root = bundle_for(node).roots[node.party]
    opened = open_checkpoint_bundle(signed, [other_root(), root], at=now)
    assert (opened.issuer, opened.trust.agreement_hash) == (node.party, node.agreement.hash)
    assert opened.revocations.card_ids == {lost.claims.card_id}
    verifier = CardVerifier(opened.trust, opened.revocations)
    assert verifier.verify(kept.code).valid
    assert verifier.verify(lost.code).reason == "revoked"


async def test_a_wrong_signature_root_or_content_is_refused(harness: NodeHarness) -> None:
    node = harness.node
    now = datetime.now(UTC)
    signed = await signed_checkpoint_bundle(node, now=now)
    root = bundle_for(node).roots[node.party]
    with pytest.raises(CheckpointBundleError, match="not one this checkpoint trusts"):
        open_checkpoint_bundle(signed, [other_root()], at=now)
    tampered = bytearray(signed)
    tampered[-10] ^= 1  # in the signature
    with pytest.raises(CheckpointBundleError, match="signature does not hold"):
        open_checkpoint_bundle(bytes(tampered), [root], at=now)
    inside = bytearray(signed)
    at = bytes(inside).index(node.agreement.hash.encode())
    inside[at] = ord("0") if inside[at] != ord("0") else ord("1")  # another agreement hash
    with pytest.raises(CheckpointBundleError, match="signature does not hold"):
        open_checkpoint_bundle(bytes(inside), [root], at=now)
    a_list = await signed_revocation_list(node, now=now)
    with pytest.raises(CheckpointBundleError, match="not a checkpoint bundle"):
        open_checkpoint_bundle(a_list, [root], at=now)
    with pytest.raises(CheckpointBundleError, match="unreadable"):
        open_checkpoint_bundle(b"\x00" + signed, [root], at=now)


async def test_cli_exports_a_bundle_and_verifies_with_it_offline(
    harness: NodeHarness, tmp_path: Path
) -> None:
    h = harness
    home = h.node.settings.home
    person = await covered_person(h.node, h.users["registrar"])
    card = await issue_card(h.node, h.users["registrar"], person)
    out = tmp_path / "checkpoint.cose"
    made = await asyncio.to_thread(card_cli, home, "checkpoint-bundle", "--out", str(out))
    assert made.exit_code == 0, made.output
    root = b64url(bundle_for(h.node).roots[h.node.party])
    assert f"--root {root}" in made.stdout
    offline = tmp_path / "nowhere"  # no node at all
    ok = card_cli(offline, "verify", card.code, "--bundle", str(out), "--root", root)
    assert ok.exit_code == 0 and ok.stdout.startswith("VALID"), ok.output
    wrong = card_cli(
        offline, "verify", card.code, "--bundle", str(out), "--root", b64url(other_root())
    )
    assert wrong.exit_code == 1 and "not one this checkpoint trusts" in wrong.output
    bare = card_cli(offline, "verify", card.code, "--bundle", str(out))
    assert bare.exit_code == 1 and "--root" in bare.output
    mixed = card_cli(
        offline, "verify", card.code, "--bundle", str(out), "--root", root, "--trust", str(out)
    )
    assert mixed.exit_code == 2 and "leave out the others" in mixed.output
    assert not offline.exists()

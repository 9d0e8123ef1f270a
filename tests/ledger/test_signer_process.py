"""The signing process: the same envelopes and signatures as signing in place, and a child
that dies is replaced."""

from __future__ import annotations

import hashlib
import os
import signal
from pathlib import Path

import pytest
from sqlalchemy import select

from acuerdo.ledger.canonical import canonicalize
from acuerdo.ledger.keys import KeyPurpose
from acuerdo.ledger.signer_process import (
    SignerProcessError,
    SigningProcess,
    decode_answer,
    decode_request,
    encode_request,
)
from acuerdo.ledger.signing import FileSigner, sign_hashes, sign_record, verify_record
from acuerdo.ledger.tables import ledger
from acuerdo.markings import TLP, TLP2_MARKING_IDS
from acuerdo.node import SIGN_IN_PROCESS_MIN
from acuerdo.policy import party_identity_id
from conftest import make_node

AGREEMENT = hashlib.sha256(b"agreement").hexdigest()
SIGNER = FileSigner.from_seed(bytes(range(32)))


def _hashes(n: int) -> tuple[list[bytes], list[str]]:
    records = [canonicalize({"id": f"x--{i}", "i": i}) for i in range(n)]
    return records, [hashlib.sha256(r).hexdigest() for r in records]


async def test_the_child_signs_what_sign_record_signs() -> None:
    records, hashes = _hashes(300)
    expected = [
        sign_record(r, agreement_hash=AGREEMENT, origin="USA", signer=SIGNER) for r in records
    ]
    process = SigningProcess(SIGNER)
    try:
        first = await process.sign_hashes(hashes[:100], agreement_hash=AGREEMENT, origin="USA")
        rest = await process.sign_hashes(hashes[100:], agreement_hash=AGREEMENT, origin="USA")
    finally:
        await process.close()
    assert first + rest == expected  # Ed25519 is deterministic: the very same bytes
    for record, (envelope, signature) in zip(records[:100], first, strict=True):
        verify_record(record, envelope, signature, SIGNER.public_key, agreement_hash=AGREEMENT)


async def test_a_killed_child_is_replaced_by_one_that_signs_the_same() -> None:
    _, hashes = _hashes(80)
    expected = sign_hashes(hashes, agreement_hash=AGREEMENT, origin="PRY", signer=SIGNER)
    process = SigningProcess(SIGNER)
    try:
        assert await process.sign_hashes(hashes, agreement_hash=AGREEMENT, origin="PRY") == expected
        child = process._child
        assert child is not None
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        assert await process.sign_hashes(hashes, agreement_hash=AGREEMENT, origin="PRY") == expected
        assert await process.sign_hashes(hashes, agreement_hash=AGREEMENT, origin="PRY") == expected
        assert process._child is not None
        assert process._child.pid != child.pid
    finally:
        await process.close()
    assert process._child is None


def test_frames_refuse_what_is_not_one_signature_per_record() -> None:
    _, hashes = _hashes(3)
    assert decode_request(encode_request(hashes, AGREEMENT, "USA")) == (hashes, AGREEMENT, "USA")
    with pytest.raises(ValueError, match="64 hex digits"):
        decode_request(encode_request([h[:-1] for h in hashes], AGREEMENT, "USA"))
    with pytest.raises(SignerProcessError, match="bad hash"):
        decode_answer(b"-bad hash", 3)
    with pytest.raises(ValueError, match="not a hex SHA-256"):
        sign_hashes(["Z" * 64], agreement_hash=AGREEMENT, origin="USA", signer=SIGNER)


def _indicator(i: int) -> dict[str, object]:
    stamp = "2026-07-01T12:00:00.000Z"
    return {
        "type": "indicator",
        "spec_version": "2.1",
        "id": f"indicator--00000000-0000-4000-8000-{i:012d}",
        "created_by_ref": party_identity_id("USA"),
        "created": stamp,
        "modified": stamp,
        "pattern": f"[ipv4-addr:value = '10.0.0.{i % 250}']",
        "pattern_type": "stix",
        "valid_from": "2026-07-01T12:00:00Z",
        "object_marking_refs": [TLP2_MARKING_IDS[TLP.AMBER]],
    }


async def test_a_large_batch_through_the_node_is_signed_by_its_records_key(tmp_path: Path) -> None:
    node = await make_node(tmp_path / "usa", None)
    try:
        objs = [_indicator(i) for i in range(SIGN_IN_PROCESS_MIN + 6)]
        appended = await node.write(objs, user=None)
        assert node.signing._child is not None  # the batch went to the signing process
        public = node.keys.signers[KeyPurpose.RECORDS].public_key
        cols = (ledger.c.body, ledger.c.envelope, ledger.c.signature)
        async with node.engines.reader.connect() as conn:
            query = select(*cols).where(ledger.c.seq.in_([a.seq for a in appended]))
            rows = (await conn.execute(query)).all()
        assert len(rows) == len(objs)
        for body, envelope, signature in rows:
            verify_record(body, envelope, signature, public, agreement_hash=node.agreement.hash)
    finally:
        await node.close()
    assert node.signing._child is None

"""Reading a pulled page: every record's signature is checked (in one batch), a forged or
altered one is rejected with its reason, and with verification off the chain alone decides.
Real nodes on SQLite, in process; the page is what USA's feed serves PRY. Run once."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

from acuerdo.federation.apply import CursorState, apply_plan, assess, read_page
from acuerdo.federation.authenticity import (
    Claim,
    Envelopes,
    Rejected,
    read_records,
    signatures_hold,
)
from acuerdo.federation.feed import read_batch
from acuerdo.ledger.signing import (
    Envelope,
    FileSigner,
    SignatureError,
    b64url,
    b64url_decode,
    sign_many,
)
from acuerdo.ledger.writes import Signed
from acuerdo.markings import TLP, TLP2_MARKING_IDS, rel_to_marking_definition
from conftest import make_node

STAMP = "2026-07-01T12:00:00.000Z"


def indicator(n: int) -> dict[str, object]:
    return {
        "type": "indicator", "spec_version": "2.1", "id": f"indicator--{uuid.uuid4()}",
        "created": STAMP, "modified": STAMP, "name": f"Airstrip {n}",
        "pattern": f"[ipv4-addr:value = '198.51.100.{n}']", "pattern_type": "stix",
        "valid_from": "2026-07-01T12:00:00Z",
        "object_marking_refs": [TLP2_MARKING_IDS[TLP.GREEN]],
    }  # fmt: skip


def test_envelopes_read_as_strictly_as_from_bytes() -> None:
    signer = FileSigner.generate()
    pairs = sign_many(
        [f"record {i}".encode() for i in range(5)],
        agreement_hash="ab" * 32,
        origin="USA",
        signer=signer,
    )
    reader = Envelopes()
    for envelope, _ in pairs:
        assert reader.read(envelope) == Envelope.from_bytes(envelope)
    first = pairs[0][0]
    upper = first.replace(first[-80:-16], first[-80:-16].upper())
    for bad in (upper, first.replace(b'"v":1', b'"v":2'), first + b" "):
        try:
            reader.read(bad)
        except SignatureError:
            continue
        raise AssertionError(f"accepted {bad!r}")


def test_signatures_hold_only_for_the_signed_envelope() -> None:
    signer = FileSigner.generate()
    [(envelope, signature)] = sign_many(
        [b"x"], agreement_hash="ab" * 32, origin="USA", signer=signer
    )
    key = signer.public_key
    forged = bytes([signature[0] ^ 1]) + signature[1:]
    claims = [
        Claim(envelope, signature, key),
        Claim(envelope, forged, key),
        Claim(envelope + b" ", signature, key),
        Claim(envelope, signature[:63], key),
        Claim(envelope, signature, FileSigner.generate().public_key),
    ]
    assert signatures_hold(claims) == [True, False, False, False, False]


async def test_a_page_with_a_forged_and_an_altered_record(tmp_path: Path) -> None:
    usa = await make_node(tmp_path / "usa", None, party="USA")
    pry = await make_node(tmp_path / "pry", None, party="PRY")
    try:
        await usa.write([indicator(i) for i in range(40)], user=None)
        entries, _ = await read_batch(usa.engines.reader, "PRY", 0, 1000)
        records = [e for e in entries if e["kind"] == "record" and "Airstrip" in e["body"]]
        assert len(records) == 40
        trust = usa.keys.trust_store()
        good = await read_records(pry, "USA", records, trust)
        assert all(isinstance(r, Signed) for r in good), good

        page: list[dict[str, Any]] = [dict(e) for e in records]
        sig = b64url_decode(page[3]["signature"])
        page[3]["signature"] = b64url(bytes([sig[0] ^ 1]) + sig[1:])
        page[7]["body"] = page[7]["body"].replace("Airstrip", "Airfield")
        read = await read_records(pry, "USA", page, trust)
        assert isinstance(read[3], Rejected) and "bad signature" in str(read[3])
        assert isinstance(read[7], Rejected)
        assert str(read[7]).startswith("signature: record hash"), read[7]
        assert [i for i, r in enumerate(read) if isinstance(r, Rejected)] == [3, 7]

        # Verification off: the chain (checked before this) is what authenticates.
        unchecked = await read_records(pry, "USA", page, None)
        assert isinstance(unchecked[3], Signed)
        # Text that is not canonical is refused, even when the chain vouches for it: what is
        # stored and hashed must be what the checks read.
        spaced = [dict(records[0], body=json.dumps(json.loads(records[0]["body"])))]
        [read_spaced] = await read_records(pry, "USA", spaced, None)
        assert isinstance(read_spaced, Rejected) and "canonical form" in str(read_spaced)
        # A record owned by another party is refused whatever the setting.
        assert all(isinstance(r, Rejected) for r in await read_records(pry, "PRY", page, None))
    finally:
        await usa.close()
        await pry.close()


async def test_a_page_read_ahead_is_assessed_under_what_the_page_before_brought(
    tmp_path: Path,
) -> None:
    """The puller reads the next page while the current one is written; the gate and the
    domain checks of that next page must still see what the current one brings (here the
    REL TO marking its records carry), so nothing is flagged that in order would not be."""
    usa = await make_node(tmp_path / "usa", None, party="USA")
    pry = await make_node(tmp_path / "pry", None, party="PRY")
    try:
        both = rel_to_marking_definition(("USA", "PRY"))
        await usa.write([both], user=None)
        marked = [indicator(i) for i in range(20)]
        for obj in marked:
            obj["object_marking_refs"] = [TLP2_MARKING_IDS[TLP.GREEN], both["id"]]
        await usa.write(marked, user=None)
        entries, _ = await read_batch(usa.engines.reader, "PRY", 0, 1000)
        cut = next(i for i, e in enumerate(entries) if e["id"] == both["id"]) + 1
        first, then = entries[:cut], entries[cut:]
        trust = usa.keys.trust_store()
        ahead = await read_page(pry, "USA", then, trust)  # before `first` is applied
        assert both["id"] not in pry.context.catalog
        await apply_plan(pry, "USA", await assess(pry, await read_page(pry, "USA", first, trust)),
                         CursorState(cut, first[-1]["hash"]), {})  # fmt: skip
        plan = await assess(pry, ahead)
        assert not plan.quarantined
        assert not plan.assessments, plan.assessments
        assert len(plan.versions) == len(then) == 20
        in_order = await assess(pry, await read_page(pry, "USA", then, trust))
        assert [s.applied_markings for s in plan.versions] == [
            s.applied_markings for s in in_order.versions
        ]
    finally:
        await usa.close()
        await pry.close()

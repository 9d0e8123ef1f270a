"""A large pulled page read in the child process gives what reading it in process gives:
the same drafts and bytes, the same refusals with the same reasons, the same verdict on the
chain and the head. Real nodes on SQLite in process, a real child; the page is the feed
answer USA serves PRY. The parent builds nothing from the child's answer but an answer.
Run once."""

from __future__ import annotations

import asyncio
import hashlib
import json
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from test_authenticity import indicator

from acuerdo.federation.apply import CursorState, read_page
from acuerdo.federation.authenticity import Rejected
from acuerdo.federation.feed import batch_document, read_batch
from acuerdo.federation.outbox import entry_hash, signature_digest
from acuerdo.federation.partners import Partner
from acuerdo.federation.puller import PartnerRefused, Puller
from acuerdo.federation.reader_process import (
    PageRead,
    PageRefused,
    ReaderProcess,
    ReaderProcessError,
    Setup,
    decode_answer,
)
from acuerdo.federation.verify import check_chain
from acuerdo.ledger.audit import GENESIS
from acuerdo.ledger.keys import KeyPurpose
from acuerdo.ledger.signing import b64url, b64url_decode
from acuerdo.ledger.writes import Signed
from acuerdo.node import Node
from acuerdo.release import RecordKind
from conftest import make_node


def _answer(
    usa: Node, entries: list[dict[str, Any]], head_oseq: int, partner: str = "PRY"
) -> bytes:
    doc = batch_document(
        entries, origin="USA", partner=partner, after=0, last=GENESIS, outbox_oseq=head_oseq,
        agreement=usa.agreement.hash, signer=usa.keys.signer(KeyPurpose.REQUESTS),
    )  # fmt: skip
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _flip_signature(e: dict[str, Any]) -> None:
    sig = b64url_decode(e["signature"])
    e["signature"] = b64url(bytes([sig[0] ^ 1]) + sig[1:])


def _rechained(
    entries: list[dict[str, Any]], at: int, change: Callable[[dict[str, Any]], None]
) -> list[dict[str, Any]]:
    """The entries with entry `at` changed and every hash recomputed from there on."""
    change(entries[at])
    prev = entries[at - 1]["hash"] if at else GENESIS
    for e in entries[at:]:
        if e["kind"] == "record":
            sig = signature_digest(b64url_decode(e["envelope"]), b64url_decode(e["signature"]))
            record = hashlib.sha256(e["body"].encode("utf-8")).hexdigest()
        else:
            sig, record = "", e["sha256"]
        e["hash"] = prev = entry_hash(
            prev, e["oseq"], e["kind"], e["id"], e["version"], record, sig
        )
    return entries


def _setup(usa: Node, pry: Node) -> Setup:
    key = usa.keys.signer(KeyPurpose.REQUESTS).public_key
    return Setup("USA", "PRY", pry.agreement.hash, pry.party_identities, key)


def _outcome(read: list[Any]) -> list[Any]:
    """Each read entry as comparable data: the draft and bytes, or the reason."""
    out: list[Any] = []
    for r in read:
        if isinstance(r, Rejected):
            out.append(("rejected", str(r)))
        else:
            draft, envelope, sig = (
                (r.draft, r.envelope, r.signature) if isinstance(r, Signed) else r
            )
            out.append((draft, envelope, sig))
    return out


async def test_the_child_reads_a_page_as_the_puller_does_in_process(tmp_path: Path) -> None:
    usa = await make_node(tmp_path / "usa", None, party="USA")
    pry = await make_node(tmp_path / "pry", None, party="PRY")
    reader = ReaderProcess(_setup(usa, pry))
    try:
        await usa.write([indicator(i) for i in range(60)], user=None)
        entries, head = await read_batch(usa.engines.reader, "PRY", 0, 1000)
        trust = usa.keys.trust_store()
        # A forged signature under a chain that vouches for it (the chain recomputed over
        # it), and an altered body under the partner's real chain (quarantined as tampered).
        airstrips = [i for i, e in enumerate(entries) if "Airstrip" in e.get("body", "")]
        forged = _rechained([dict(e) for e in entries], airstrips[9], _flip_signature)
        altered = [dict(e) for e in entries]
        at = airstrips[16]
        altered[at]["body"] = altered[at]["body"].replace("Airstrip", "Airfield")

        for verify in (trust, None):
            for batch in (entries, forged, altered):
                content = _answer(usa, batch, head)
                got = await reader.read(content, (0, GENESIS), verify)
                doc = json.loads(content)
                checked = check_chain(doc["entries"], (0, GENESIS), doc["head"]["hash"])
                here = await read_page(pry, "USA", checked.good, verify, checked.raw)
                assert _outcome(got.read) == _outcome(here.read)
                assert got.withdrawn == here.withdrawn
                assert (got.through, got.broken) == (checked.through, checked.broken)
                assert got.tampered == checked.tampered
                assert got.entries == len(batch)
                refused = [e["oseq"] for e in got.records if e]
                assert refused == [
                    e["oseq"]
                    for e, r in zip(here.records, here.read, strict=True)
                    if isinstance(r, Rejected)
                ]
        got = await reader.read(_answer(usa, forged, head), (0, GENESIS), trust)
        reasons = [str(r) for r in got.read if isinstance(r, Rejected)]
        assert len(reasons) == 1 and "bad signature" in reasons[0], reasons
        assert not got.tampered
        got = await reader.read(_answer(usa, altered, head), (0, GENESIS), trust)
        assert [reason for _, reason in got.tampered] == [
            f"entry {altered[at]['oseq']}: its content does not match its hash"
        ]
        assert not [r for r in got.read if isinstance(r, Rejected)]

        # A head signed by another key, or naming other nodes, refuses the whole page.
        doc = json.loads(_answer(usa, entries, head))
        doc["head_signature"] = json.loads(_answer(usa, entries[:1], head))["head_signature"]
        with pytest.raises(PageRefused, match="not signed by the partner"):
            await reader.read(json.dumps(doc).encode(), (0, GENESIS), trust)
        with pytest.raises(PageRefused, match="not a feed batch"):
            await reader.read(b"[1, 2]", (0, GENESIS), trust)
        with pytest.raises(PageRefused, match="not a feed batch"):
            await reader.read(b'{"head": 1}', (0, GENESIS), trust)
        # The child is still serving after refusals.
        assert len((await reader.read(_answer(usa, entries, head), (0, GENESIS), None)).read)
    finally:
        await reader.close()
        await usa.close()
        await pry.close()


def test_the_parent_builds_only_what_an_answer_holds() -> None:
    """A child subverted by what it read could answer a pickle that runs code: refused."""
    evil = pickle.dumps(("page", Path("/etc")))
    with pytest.raises(ReaderProcessError, match=r"pathlib\.\w*Path"):
        decode_answer(evil)
    with pytest.raises(ReaderProcessError, match="unreadable"):
        decode_answer(b"\x80\x05 not a pickle")
    with pytest.raises(PageRefused, match="why"):
        decode_answer(pickle.dumps(("refused", "why")))
    # Drafts travel as plain fields: no class of the ledger is built from an answer.
    with pytest.raises(ReaderProcessError, match=r"acuerdo\.release\.RecordKind"):
        decode_answer(pickle.dumps(("page", RecordKind.INTEL)))
    page = PageRead({}, 0, None, None, [], [], [], [])
    with pytest.raises(ReaderProcessError, match="no usable page"):
        decode_answer(pickle.dumps(("page", (page, [(("too", "short"), b"", b"")]))))
    with pytest.raises(ReaderProcessError, match="no usable page"):
        decode_answer(pickle.dumps(("page", page)))


async def _until(condition: Callable[[], bool]) -> None:
    for _ in range(500):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the reading process did not get there")


async def test_a_child_that_dies_is_replaced_and_the_page_read_in_process(tmp_path: Path) -> None:
    usa = await make_node(tmp_path / "usa", None, party="USA")
    pry = await make_node(tmp_path / "pry", None, party="PRY")
    try:
        await usa.write([indicator(i) for i in range(10)], user=None)
        entries, head = await read_batch(usa.engines.reader, "PRY", 0, 1000)
        content = _answer(usa, entries, head)
        reader = ReaderProcess(_setup(usa, pry))
        first = await reader.read(content, (0, GENESIS), None)
        child = reader._pipe.child
        assert child is not None
        child.kill()
        child.wait()
        again = await reader.read(content, (0, GENESIS), None)  # a new child
        assert _outcome(again.read) == _outcome(first.read)
        await reader.close()

        # The puller falls back to reading in process when its child fails.
        key = usa.keys.signer(KeyPurpose.REQUESTS)
        partner = Partner("USA", "http://127.0.0.1:9", key.public_key, key.key_id, "")
        puller = Puller(pry, partner)
        pry.settings.federation_reader_min_bytes = 0
        broken = ReaderProcess(_setup(usa, pry))
        broken._pipe.first = b"not a pickle"  # the child exits at once on its first frame
        puller._reader = broken
        broken.start()
        await _until(lambda: broken.failed)
        trust = usa.keys.trust_store()
        # The failed child is replaced; the new one starts in the background, and until it
        # has answered, pages are read here.
        pulled = await puller._read(content, CursorState(0, GENESIS), trust)
        assert _outcome(pulled.page.read) == _outcome(first.read)
        fresh = puller._reader
        assert fresh is not None and fresh is not broken
        await _until(lambda: fresh.ready)
        pages: list[bytes] = []
        ask = fresh._pipe.round_trip

        def counted(request: bytes) -> bytes:
            pages.append(request)
            return ask(request)

        fresh._pipe.round_trip = counted  # type: ignore[method-assign]
        pulled = await puller._read(content, CursorState(0, GENESIS), trust)
        assert _outcome(pulled.page.read) == _outcome(first.read)
        assert len(pages) == 1  # read by the child, now that it is up
        with pytest.raises(PartnerRefused, match="names other nodes"):
            await puller._read(_answer(usa, entries, head, "ARG"), CursorState(0, GENESIS), None)
        with pytest.raises(PartnerRefused, match="not a feed batch"):
            await puller._read(b"[]", CursorState(0, GENESIS), None)
        await puller.close()
    finally:
        await usa.close()
        await pry.close()

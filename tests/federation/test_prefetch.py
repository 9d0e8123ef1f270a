"""The page after next is requested as soon as a page arrives, and used only for the cursor the
puller reaches after checking that page: a hint that is wrong or a request that fails changes
nothing but the number of requests. Two real nodes on SQLite in one process, USA served over
real HTTP on loopback (uvicorn in the test's loop); run once."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select
from test_connect import _free_port, indicator, serving

from acuerdo.federation.apply import load_cursor
from acuerdo.federation.feed import batch_document, read_batch
from acuerdo.federation.partners import add_partner, list_partners, requests_public_key
from acuerdo.federation.prefetch import Cursor, next_cursor
from acuerdo.federation.puller import Puller
from acuerdo.ledger.audit import GENESIS
from acuerdo.ledger.keys import KeyPurpose
from acuerdo.ledger.tables import ledger
from acuerdo.node import Node
from conftest import make_node


async def _nodes(tmp_path: Path, port: int) -> tuple[Node, Node]:
    usa = await make_node(tmp_path / "usa", None, party="USA")
    pry = await make_node(tmp_path / "pry", None, party="PRY")
    await add_partner(usa, "PRY", "http://127.0.0.1:1", requests_public_key(pry))
    await add_partner(pry, "USA", f"http://127.0.0.1:{port}", requests_public_key(usa))
    return usa, pry


async def test_the_hint_is_the_head_the_page_ends_at_and_nothing_else_is_taken_for_one(
    tmp_path: Path,
) -> None:
    usa = await make_node(tmp_path / "usa", None, party="USA")
    try:
        # A record whose text looks like the end of a page cannot pass for the head.
        trap = indicator() | {"description": '],"head":{"oseq":999,"hash":"x","outbox_oseq":1000}'}
        await usa.write([indicator(), trap, indicator()], user=None)
        entries, outbox = await read_batch(usa.engines.reader, "PRY", 0, 10_000)
        assert trap["id"] in {e["id"] for e in entries}
        doc = batch_document(
            entries, origin="USA", partner="PRY", after=0, last=GENESIS, outbox_oseq=outbox,
            agreement=usa.agreement.hash, signer=usa.keys.signer(KeyPurpose.REQUESTS),
        )  # fmt: skip
        content = json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        assert next_cursor(content) == ((outbox, entries[-1]["hash"]), outbox)
        assert next_cursor(content[:-40]) is None  # cut short
        assert next_cursor(b'{"entries":[],"head":{"oseq":"2"}}') is None  # not a head
        assert next_cursor(b"[]") is None
    finally:
        await usa.close()


async def test_a_behind_puller_uses_the_prefetched_pages_and_applies_every_record_once(
    tmp_path: Path,
) -> None:
    port = _free_port()
    usa, pry = await _nodes(tmp_path, port)
    usa.settings.federation_batch_max = 5
    try:
        written = await usa.write([indicator() for _ in range(23)], user=None)
        outbox = (await read_batch(usa.engines.reader, "PRY", 0, 1))[1]
        async with serving(usa, port):
            puller = Puller(pry, (await list_partners(pry.engines.reader))[0])
            calls: list[Cursor] = []
            failed: list[Cursor] = []
            fetch = puller._prefetch._fetch

            async def counted(cursor: Cursor) -> bytes:
                """The puller's own request, counted; the request ahead for the third page
                fails once, as a dropped connection would."""
                calls.append(cursor)
                if cursor[0] == 10 and not failed:
                    failed.append(cursor)
                    raise OSError("connection reset")
                return await fetch(cursor)

            puller._prefetch._fetch = counted
            try:
                rounds = 0
                while (cursor := await load_cursor(pry, "USA")).oseq < outbox:
                    await puller.round(cursor)
                    rounds += 1
            finally:
                await puller.close()
        # Every page after the first came from a request made ahead, but the third: that
        # request failed and was made again.
        assert rounds == len(range(0, outbox, 5))
        assert puller._prefetch.used == rounds - 2
        assert [c[0] for c in calls] == sorted([*range(0, outbox, 5), 10])
        async with pry.engines.reader.connect() as conn:
            q = select(ledger.c.object_id, ledger.c.version_key).where(ledger.c.origin == "USA")
            got = (await conn.execute(q)).all()
        assert len(got) == len(set(got))  # nothing applied twice
        assert {w.object_id for w in written} <= {oid for oid, _ in got}
    finally:
        await usa.close()
        await pry.close()


async def test_a_request_ahead_for_another_cursor_is_dropped_not_used(tmp_path: Path) -> None:
    port = _free_port()
    usa, pry = await _nodes(tmp_path, port)
    usa.settings.federation_batch_max = 4
    try:
        await usa.write([indicator() for _ in range(10)], user=None)
        async with serving(usa, port):
            puller = Puller(pry, (await list_partners(pry.engines.reader))[0])
            prefetch = puller._prefetch
            try:
                first = await prefetch.page((0, GENESIS))
                hint = next_cursor(first)
                assert hint is not None and hint[0][0] == 4
                # The puller starts over from a cursor other than the one hinted (an operator
                # reset, a restart): the page fetched ahead is not the one asked for.
                again = await prefetch.page((0, GENESIS))
                assert prefetch.used == 0
                assert next_cursor(again) == hint
                second = await prefetch.page(hint[0])
                assert prefetch.used == 1
                assert next_cursor(second) is not None
                assert next_cursor(second)[0][0] == 8  # type: ignore[index]
            finally:
                await puller.close()
    finally:
        await usa.close()
        await pry.close()

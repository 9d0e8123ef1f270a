"""A puller that is behind queues each page's transaction before the page ahead of it is
written, so the writer reads and stages it while that one commits. The order still holds:
a page is written only if the one queued before it was, and a page whose turn was lost is
pulled again from the stored cursor. Two real nodes on SQLite in one process, USA served
over real HTTP on loopback; run once."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

from sqlalchemy import select
from test_connect import _free_port, indicator, serving

from acuerdo.federation.apply import load_cursor
from acuerdo.federation.feed import read_batch
from acuerdo.federation.partners import add_partner, list_partners, requests_public_key
from acuerdo.federation.puller import Puller
from acuerdo.ledger.tables import ledger, quarantine
from acuerdo.ledger.writes import PrecedingWriteFailed
from acuerdo.node import Node
from conftest import make_node


async def _nodes(tmp_path: Path, port: int) -> tuple[Node, Node]:
    usa = await make_node(tmp_path / "usa", None, party="USA")
    pry = await make_node(tmp_path / "pry", None, party="PRY")
    await add_partner(usa, "PRY", "http://127.0.0.1:1", requests_public_key(pry))
    await add_partner(pry, "USA", f"http://127.0.0.1:{port}", requests_public_key(usa))
    usa.settings.federation_batch_max = 5
    pry.settings.federation_wait_seconds = 0  # caught up: no long poll to outlast at the end
    return usa, pry


async def _catch_up(puller: Puller, pry: Node, head: int) -> None:
    """Run the puller's own loop until PRY's stored cursor reaches USA's outbox head."""
    task = asyncio.create_task(puller.run())
    try:
        for _ in range(1500):
            if (await load_cursor(pry, "USA")).oseq >= head:
                return
            if task.done():
                task.result()
            await asyncio.sleep(0.02)
        raise AssertionError("the puller did not catch up")
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def _from_usa(pry: Node) -> list[tuple[str, str]]:
    async with pry.engines.reader.connect() as conn:
        q = select(ledger.c.object_id, ledger.c.version_key).where(ledger.c.origin == "USA")
        return [(str(o), str(v)) for o, v in (await conn.execute(q)).all()]


async def test_a_behind_puller_returns_with_its_page_queued_and_applies_every_record_once(
    tmp_path: Path,
) -> None:
    port = _free_port()
    usa, pry = await _nodes(tmp_path, port)
    try:
        written = await usa.write([indicator() for _ in range(23)], user=None)
        head = (await read_batch(usa.engines.reader, "PRY", 0, 1))[1]
        async with serving(usa, port):
            puller = Puller(pry, (await list_partners(pry.engines.reader))[0])
            try:
                # Behind: the round returns with its page queued, its cursor not yet stored.
                await puller._round(await load_cursor(pry, "USA"), pipelined=True)
                assert len(puller._queued) == 1
                assert puller._queued.last is not None
                end = puller._queued.last.end
                assert end is not None and end.oseq == 5
                await _catch_up(puller, pry, head)
                assert len(puller._queued) == 0  # caught up: nothing left queued
            finally:
                await puller.close()
        got = await _from_usa(pry)
        assert len(got) == len(set(got))  # nothing applied twice
        assert {w.object_id for w in written} <= {oid for oid, _ in got}
    finally:
        await usa.close()
        await pry.close()


async def test_a_page_queued_behind_a_refused_bundle_is_pulled_again_not_skipped(
    tmp_path: Path,
) -> None:
    """PRY already holds an object under the id of one of USA's records: the page that
    brings it is refused as a bundle and applied one version at a time, and the page queued
    behind it is not written in its place but pulled again."""
    port = _free_port()
    usa, pry = await _nodes(tmp_path, port)
    try:
        clash = indicator()
        await pry.write([clash], user=None)  # PRY's own object, first
        async with serving(usa, port):
            puller = Puller(pry, (await list_partners(pry.engines.reader))[0])
            try:
                # The agreement's own records (markings, extensions, identities) first.
                await _catch_up(puller, pry, (await read_batch(usa.engines.reader, "PRY", 0, 1))[1])
                records = [indicator() for _ in range(12)]
                records[2] = clash  # ...then USA's record under the same id, in the next page
                for record in records:  # one a job, so that the outbox keeps this order
                    await usa.write([record], user=None)
                head = (await read_batch(usa.engines.reader, "PRY", 0, 1))[1]
                start = (await load_cursor(pry, "USA")).oseq
                # The clash's page is queued; so is the next, to follow it; the one after
                # finds that the second was not written and raises, and nothing of either
                # page after the first is written.
                cursor = await load_cursor(pry, "USA")
                raised_at = None
                for turn in range(1, 4):
                    try:
                        await puller._round(cursor, pipelined=True)
                    except PrecedingWriteFailed:
                        raised_at = turn
                        break
                    assert puller._queued.last is not None
                    end = puller._queued.last.end
                    assert end is not None
                    cursor = end
                assert raised_at == 3
                assert len(puller._queued) == 0
                assert (await load_cursor(pry, "USA")).oseq == start + 5  # the first page only
                await _catch_up(puller, pry, head)
            finally:
                await puller.close()
        got = await _from_usa(pry)
        assert len(got) == len(set(got))
        want = {str(r["id"]) for r in records if r is not clash}
        assert want <= {oid for oid, _ in got}
        assert str(clash["id"]) not in {oid for oid, _ in got}
        async with pry.engines.reader.connect() as conn:
            reasons = (await conn.execute(select(quarantine.c.reason))).scalars().all()
        assert len([r for r in reasons if "another party" in r]) == 1
    finally:
        await usa.close()
        await pry.close()

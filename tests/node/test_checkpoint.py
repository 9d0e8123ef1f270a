"""SQLite's log is copied back by the checkpointer, starts over, and loses nothing."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from test_durability import _indicator

from acuerdo.node import Node, init_node
from acuerdo.settings import Settings
from acuerdo.users import User, add_user
from conftest import make_node


async def _analyst(node: Node) -> User:
    party = node.agreement.party(node.party)
    assert party is not None
    return await add_user(
        node.engines.writer, party=node.party, name="analyst", agency=party.agencies[0].id,
        roles=["analyst"], password=None,
    )  # fmt: skip


async def test_the_writer_commits_without_copying_and_the_checkpointer_copies(
    tmp_path: Path,
) -> None:
    node = await make_node(tmp_path / "usa", None)
    try:
        ckpt = node.writer.checkpointer
        assert ckpt is not None
        user = await _analyst(node)
        await node.write([_indicator(n) for n in range(300)], user=user)
        assert node.writer._conn is not None
        got = await node.writer._conn.exec_driver_sql("PRAGMA wal_autocheckpoint")
        assert got.scalar_one() == 0  # the writer's commits only append to the log
        await node.writer._conn.rollback()
        assert ckpt.caught_up(10.0)
        assert ckpt.stats.runs >= 1 and ckpt.stats.failures == 0
        assert 0 < ckpt.stats.last_log_pages == ckpt.stats.last_copied  # all of it copied
    finally:
        await node.close()


async def test_a_long_log_starts_over_and_every_record_survives_a_reopen(tmp_path: Path) -> None:
    home = tmp_path / "usa"
    node = await make_node(home, None)
    ids: list[str] = []
    try:
        ckpt = node.writer.checkpointer
        assert ckpt is not None
        ckpt.long_log_pages = 1  # every transaction waits for the copy, then starts over
        node.writer._batch_max = 100  # one job a transaction
        user = await _analyst(node)
        await node.write([_indicator(n) for n in range(100)], user=user)
        assert ckpt.caught_up(10.0)
        one_batch = ckpt.stats.last_log_pages  # the log started over at that transaction
        batches = [[_indicator(b * 100 + n) for n in range(100, 200)] for b in range(16)]
        ids = [o["id"] for objs in batches for o in objs]
        # Queued together, each transaction begins as soon as the one before commits: the
        # checkpointer is still copying then, and unless the writer waits for it the log
        # never starts over and holds all sixteen batches.
        await asyncio.gather(*(node.write(objs, user=user) for objs in batches))
        assert ckpt.caught_up(10.0)
        assert 0 < ckpt.stats.last_log_pages < 4 * one_batch, (ckpt.stats, one_batch)
    finally:
        await node.close()
    with sqlite3.connect(home / "acuerdo.sqlite3") as db:
        marks = ",".join("?" * len(ids))
        (found,) = db.execute(
            f"SELECT count(*) FROM ledger WHERE object_id IN ({marks})", ids
        ).fetchone()
    assert found == len(ids) == 1600


async def test_the_writer_keeps_the_page_cache_the_settings_give_it(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "usa", sqlite_writer_cache_mib=48)
    await init_node(settings, party="USA", agreement="usa-pry-2025")
    node = await Node.open(settings)
    try:
        await node.write([_indicator(1)], user=await _analyst(node))
        assert node.writer._conn is not None
        got = await node.writer._conn.exec_driver_sql("PRAGMA cache_size")
        assert got.scalar_one() == -48 * 1024  # negative: KiB
        await node.writer._conn.rollback()
    finally:
        await node.close()

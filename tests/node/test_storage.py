"""Storage guarantees: SQLite pragmas, indexed gated pages on both backends, key files, time."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from acuerdo.ledger.engine import pragmas
from acuerdo.node import Node, NodeError
from acuerdo.release import Channel, Recipient
from acuerdo.settings import Settings
from conftest import make_node


async def test_sqlite_runs_wal_with_synchronous_full_on_every_connection(tmp_path: Path) -> None:
    node = await make_node(tmp_path / "usa", None)
    try:
        for engine in (node.engines.writer, node.engines.reader):
            async with engine.connect() as conn:
                got = await pragmas(conn)
            assert got["journal_mode"] == "wal"
            assert got["synchronous"] == "2"  # FULL
            assert got["foreign_keys"] == "1"
    finally:
        await node.close()


async def test_gated_page_is_an_index_range_scan(
    tmp_path: Path, database_url: str | None, backend: str
) -> None:
    node = await make_node(tmp_path / "usa", database_url)
    try:
        viewer = Recipient.user("USA", "viewer", ["viewer"])
        query = node.reader.page_query(viewer, Channel.API, after=0, limit=100, types=["indicator"])
        compiled = query.compile(
            node.engines.reader.sync_engine, compile_kwargs={"literal_binds": True}
        )
        async with node.engines.reader.connect() as conn:
            if backend == "sqlite":
                plan = " | ".join(
                    str(r[-1]) for r in await conn.execute(text(f"EXPLAIN QUERY PLAN {compiled}"))
                )
                assert "INDEX" in plan, plan
                assert "SCAN grants" not in plan.replace("SCAN grants USING", ""), plan
                assert "ledger" not in plan, plan
            else:
                await conn.execute(text("SET enable_seqscan = off"))
                plan = " | ".join(
                    str(r[0]) for r in await conn.execute(text(f"EXPLAIN {compiled}"))
                )
                assert "Index" in plan, plan
                assert "Seq Scan" not in plan, plan
    finally:
        await node.close()


async def test_node_refuses_to_start_with_a_readable_or_missing_key(tmp_path: Path) -> None:
    node = await make_node(tmp_path / "usa", None)
    await node.close()
    key = tmp_path / "usa" / "keys" / "records.key"
    key.chmod(0o644)
    with pytest.raises(NodeError, match=r"records\.key"):
        await Node.open(Settings(home=tmp_path / "usa"))
    key.unlink()
    with pytest.raises(NodeError, match=r"records\.key"):
        await Node.open(Settings(home=tmp_path / "usa"))


async def test_node_refuses_an_agreement_that_is_not_the_adopted_one(tmp_path: Path) -> None:
    node = await make_node(tmp_path / "usa", None)
    await node.close()
    adopted = tmp_path / "usa" / "agreement.yaml"
    adopted.write_text(adopted.read_text().replace("value: 30", "value: 31", 1))
    with pytest.raises(NodeError, match="adopted"):
        await Node.open(Settings(home=tmp_path / "usa"))


def test_asuncion_is_utc_minus_3_all_year() -> None:
    # Paraguay adopted permanent UTC-3 in October 2024; tzdata must know it.
    tz = ZoneInfo("America/Asuncion")
    for month in (1, 7, 12):
        moment = datetime(2026, month, 15, 12, 0, tzinfo=UTC).astimezone(tz)
        offset = moment.utcoffset()
        assert offset is not None and offset.total_seconds() == -3 * 3600, (month, offset)

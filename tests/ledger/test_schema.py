"""The migrations build exactly the tables the code describes, and 0002 keeps every row."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, func, inspect, select, text

from acuerdo.domains.personnel.importing import import_rows
from acuerdo.domains.personnel.spreadsheet import DEFAULT_MAPPING, SheetFormat, read_rows
from acuerdo.domains.personnel.tables import personnel_persons
from acuerdo.ledger.schema import alembic_config
from acuerdo.ledger.tables import grants, ledger, metadata, objects
from acuerdo.markings import TLP, TLP2_MARKING_IDS
from acuerdo.node import Node
from conftest import make_node
from personnel.test_import_xlsx import registrar, sheet


def _indicator() -> dict[str, Any]:
    return {
        "type": "indicator",
        "spec_version": "2.1",
        "id": f"indicator--{uuid.uuid4()}",
        "created": "2026-07-01T12:00:00.000Z",
        "modified": "2026-07-01T12:00:00.000Z",
        "pattern": "[ipv4-addr:value = '198.51.100.7']",
        "pattern_type": "stix",
        "valid_from": "2026-07-01T12:00:00Z",
        "object_marking_refs": [TLP2_MARKING_IDS[TLP.AMBER]],
    }


async def _migrate(node: Node, target: str, *, down: bool = False) -> None:
    def run(conn: Connection) -> None:
        cfg = alembic_config(conn)
        (command.downgrade if down else command.upgrade)(cfg, target)

    async with node.engines.writer.begin() as conn:
        await conn.run_sync(run)


async def _counts(node: Node) -> tuple[int, ...]:
    out: list[int] = []
    async with node.engines.reader.connect() as conn:
        for table in (ledger, objects, grants):
            q = select(func.count()).select_from(table)
            out.append(int((await conn.execute(q)).scalar_one()))
    return tuple(out)


async def test_migrations_match_the_tables_metadata(
    tmp_path: Path, database_url: str | None
) -> None:
    node = await make_node(tmp_path / "usa", database_url)
    try:
        async with node.engines.writer.connect() as conn:
            diffs = await conn.run_sync(
                lambda c: compare_metadata(MigrationContext.configure(c), metadata)
            )
            uniques = await conn.run_sync(lambda c: inspect(c).get_unique_constraints("ledger"))
        assert diffs == []
        # compare_metadata does not look at column order; lookups by object id rely on it.
        identity = next(u for u in uniques if u["name"] == "uq_ledger_identity")
        assert identity["column_names"] == ["object_id", "version_key", "owner"]
    finally:
        await node.close()


async def test_sqlite_layout_has_no_redundant_btrees(tmp_path: Path) -> None:
    node = await make_node(tmp_path / "usa", None)
    try:
        async with node.engines.reader.connect() as conn:
            sql = {
                r[0]: r[1]
                for r in await conn.execute(text("SELECT name, sql FROM sqlite_master"))
                if r[1]
            }
        for table in ("ledger", "audit"):  # seq is the rowid: no autoindex beside it
            assert "seq INTEGER NOT NULL" in sql[table]
            assert "WITHOUT ROWID" not in sql[table]
        for table in ("grants", "refs", "federation_outbox", "intel_observables"):
            assert "WITHOUT ROWID" in sql[table], table
        for table in ("objects", "personnel_persons"):  # wide rows: appended, key indexed
            assert "WITHOUT ROWID" not in sql[table], table
        assert "ix_ledger_object" not in sql
        assert "ix_intel_observables_object" not in sql  # the ledger's identity index serves
    finally:
        await node.close()


async def test_downgrade_and_upgrade_keep_every_row(
    tmp_path: Path, database_url: str | None
) -> None:
    node = await make_node(tmp_path / "usa", database_url)
    try:
        written = await node.write([_indicator() for _ in range(5)], user=None)
        before = await _counts(node)

        await _migrate(node, "0001", down=True)
        await _migrate(node, "head")
        assert await _counts(node) == before
        more = await node.write([_indicator()], user=None)
        assert more[0].seq == max(a.seq for a in written) + 1
    finally:
        await node.close()


async def test_correlation_index_round_trip_through_0010_keeps_its_rows(
    tmp_path: Path, database_url: str | None
) -> None:
    """0011 dropped intel_observables.object_id; going back fills it from the ledger."""
    node = await make_node(tmp_path / "usa", database_url)
    try:
        written = await node.write([_indicator() for _ in range(3)], user=None)
        by_seq = {a.seq: a.object_id for a in written}

        async def rows(sql: str) -> list[Any]:
            async with node.engines.writer.connect() as conn:
                return [tuple(r) for r in await conn.execute(text(sql))]

        before = await rows("SELECT key, seq FROM intel_observables ORDER BY seq")
        assert [seq for _, seq in before] == sorted(by_seq)
        await _migrate(node, "0010", down=True)
        old = await rows("SELECT key, seq, object_id FROM intel_observables ORDER BY seq")
        assert old == [(key, seq, by_seq[seq]) for key, seq in before]
        await _migrate(node, "head")
        assert await rows("SELECT key, seq FROM intel_observables ORDER BY seq") == before
    finally:
        await node.close()


async def test_wide_tables_round_trip_through_0011_keep_their_rows(
    tmp_path: Path, database_url: str | None
) -> None:
    """0012 and 0013 made personnel_persons and objects rowid tables on SQLite; down and up
    keep every row of both."""
    node = await make_node(tmp_path / "usa", database_url)
    try:
        user = await registrar(node)
        header, rows = read_rows(sheet(12, SheetFormat.CSV), SheetFormat.CSV)
        report = await import_rows(node, user, header, rows, DEFAULT_MAPPING)
        assert report.written_rows == 12

        async def persons() -> list[Any]:
            async with node.engines.reader.connect() as conn:
                rows = []
                for table, key in ((personnel_persons, "person_id"), (objects, "object_id")):
                    q = select(table).order_by(table.c[key])
                    rows += [tuple(r) for r in await conn.execute(q)]
                return rows

        async def without_rowid() -> bool | None:
            if node.engines.dialect != "sqlite":
                return None
            async with node.engines.reader.connect() as conn:
                q = text("SELECT sql FROM sqlite_master WHERE name = 'personnel_persons'")
                return "WITHOUT ROWID" in str((await conn.execute(q)).scalar_one())

        before = await persons()
        assert len(before) > 36  # 12 persons, then their 24 records and 2 orders among others
        assert await without_rowid() in (False, None)
        await _migrate(node, "0011", down=True)
        assert await persons() == before
        assert await without_rowid() in (True, None)
        await _migrate(node, "head")
        assert await persons() == before
        assert await without_rowid() in (False, None)
    finally:
        await node.close()

"""A node rewrites its audit history, consistently, and its partner detects it.

Two real nodes in separate processes talking HTTP on loopback (USA on SQLite, PRY on
PostgreSQL). PRY witnesses USA's signed audit heads as it pulls; then USA's database is
edited behind its back: an old audit entry changed and every hash after it recomputed, so
USA's own `audit verify` still passes. PRY's `federation witness USA` must say the history
was rewritten. Run once (not per backend): the pair covers both stores.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import uuid
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from processes import ACUERDO, NodeProcess, cli, post_records, until, usa_on_sqlite_pry_on_postgres

from acuerdo.ledger.audit import GENESIS, AuditEntry, entry_hash
from acuerdo.markings import TLP, TLP2_MARKING_IDS
from conftest import PG_ADMIN_URL

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.slow]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def nodes(
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[tuple[NodeProcess, NodeProcess]]:
    homes = tmp_path_factory.mktemp("usa"), tmp_path_factory.mktemp("pry")
    async with usa_on_sqlite_pry_on_postgres(*homes, PG_ADMIN_URL) as pair:
        yield pair


def witness(pry: NodeProcess) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [ACUERDO, "--home", str(pry.home), "federation", "witness", "USA"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def rewrite_history(usa: NodeProcess, seq: int) -> None:
    """Change audit entry `seq` and recompute every hash after it, as a forger would."""
    conn = sqlite3.connect(usa.home / "acuerdo.sqlite3")
    try:
        rows = conn.execute(
            "SELECT seq, at, actor, action, subject, detail FROM audit ORDER BY seq"
        ).fetchall()
        prev = GENESIS
        for n, at, actor, action, subject, detail in rows:
            if n == seq:
                subject = "someone-else"
            new = entry_hash(
                prev, n, at, AuditEntry(actor, action, subject, json.loads(detail)), detail
            )
            conn.execute(
                "UPDATE audit SET subject = ?, prev = ?, hash = ? WHERE seq = ?",
                (subject, prev, new, n),
            )
            prev = new
        conn.commit()
    finally:
        conn.close()


async def test_a_consistently_rewritten_audit_history_is_detected_by_the_partner(
    nodes: tuple[NodeProcess, NodeProcess],
) -> None:
    usa, pry = nodes
    stamp = "2026-07-01T12:00:00.000Z"
    record = {
        "type": "indicator", "spec_version": "2.1", "id": f"indicator--{uuid.uuid4()}",
        "created": stamp, "modified": stamp, "name": "Airstrip near Mariscal Estigarribia",
        "pattern": "[ipv4-addr:value = '203.0.113.7']", "pattern_type": "stix",
        "valid_from": "2026-07-01T12:00:00Z",
        "object_marking_refs": [TLP2_MARKING_IDS[TLP.GREEN]],
    }  # fmt: skip

    async def witnessed(count: int) -> None:
        async def check() -> bool:
            rows = await pry.query(
                "SELECT count(*) FROM federation_witnessed WHERE partner = 'USA'"
            )
            return int(rows[0][0]) >= count

        await until(check, f"{count} of USA's audit heads witnessed by PRY")

    await witnessed(1)
    await post_records(usa, [record], "analyst")  # USA's audit head moves on
    await witnessed(2)
    given = await usa.query("SELECT count(*) FROM federation_witness_given WHERE partner = 'PRY'")
    assert int(given[0][0]) >= 2
    fine = witness(pry)
    assert fine.returncode == 0 and "USA: consistent" in fine.stdout, fine

    usa.stop()
    rewrite_history(usa, 2)
    assert "audit chain intact" in cli(usa.home, "audit", "verify")
    await usa.start()

    caught = witness(pry)
    assert caught.returncode == 1, caught
    assert "USA: history rewritten: head witnessed at" in caught.stdout
    assert "is not an ancestor of" in caught.stdout
    assert "AUDIT HISTORY: history rewritten" in cli(pry.home, "federation", "status")
    again = witness(pry)
    assert again.returncode == 1 and "history rewritten" in again.stdout

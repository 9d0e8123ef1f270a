"""Status resources survive a restart, and a POST the node had not finished is resumed.

A large POST is answered pending; the node is stopped at once (its processing cancelled
between batches), then opened again from the same home and database. The status is still
there, still pending, and the restarted node completes it: every object written once.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from taxii_support import TAXII, add_users, database, indicator, open_node, serve

from acuerdo.ledger.tables import ledger, taxii_status
from conftest import BACKENDS

SIZE = 1500  # three batches of 500


async def collection_url(client: httpx.AsyncClient) -> str:
    r = await client.get("/taxii2/intel/collections/")
    found = [c for c in r.json()["collections"] if c["alias"] == "intelligence"]
    return f"/taxii2/intel/collections/{found[0]['id']}/objects/"


@pytest.mark.parametrize("backend", BACKENDS)
async def test_a_pending_post_survives_a_restart_and_completes(
    tmp_path: Path, backend: str
) -> None:
    objs = [indicator(i) for i in range(SIZE)]
    settings = {"max_body_bytes": 4 * 1024 * 1024, "taxii_sync_objects": 0}
    async with database(backend) as url:
        node = await open_node(tmp_path / "usa", url, **settings)
        try:
            tokens = await add_users(node)
            auth = {"Authorization": f"Bearer {tokens['ana']}"}
            async with serve(node) as base, httpx.AsyncClient(base_url=base, headers=auth) as c:
                target = await collection_url(c)
                r = await c.post(target, json={"objects": objs}, headers={"Content-Type": TAXII})
                assert r.status_code == 202 and r.json()["status"] == "pending"
                sid = r.json()["id"]
            # the server stopped: processing was cancelled with the POST unfinished
        finally:
            await node.close()

        node = await open_node(tmp_path / "usa", url, **settings)
        try:
            async with node.engines.reader.connect() as conn:
                row = (
                    await conn.execute(select(taxii_status).where(taxii_status.c.id == sid))
                ).one()
            assert row.status == "pending" and row.envelope is not None
            async with serve(node) as base, httpx.AsyncClient(base_url=base, headers=auth) as c:
                status = (await c.get(f"/taxii2/intel/status/{sid}/")).json()
                while status["status"] != "complete":
                    assert status["success_count"] + status["pending_count"] == SIZE
                    await asyncio.sleep(0.05)
                    status = (await c.get(f"/taxii2/intel/status/{sid}/")).json()
                assert (status["success_count"], status["failure_count"]) == (SIZE, 0)
                assert {s["id"] for s in status["successes"]} == {o["id"] for o in objs}
                others = {"Authorization": f"Bearer {tokens['ben']}"}
                assert (
                    await c.get(f"/taxii2/intel/status/{sid}/", headers=others)
                ).status_code == 404
            async with node.engines.reader.connect() as conn:
                q = (
                    select(func.count())
                    .select_from(ledger)
                    .where(ledger.c.object_type == "indicator")
                )
                assert (await conn.execute(q)).scalar_one() == SIZE  # each written once
        finally:
            await node.close()

        node = await open_node(tmp_path / "usa", url, **settings)  # and once complete, kept
        try:
            async with serve(node) as base, httpx.AsyncClient(base_url=base, headers=auth) as c:
                again = (await c.get(f"/taxii2/intel/status/{sid}/")).json()
            assert again["status"] == "complete" and again["success_count"] == SIZE
            assert again["pendings"] == []
        finally:
            await node.close()

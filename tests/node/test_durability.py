"""Nothing acknowledged is lost: kill -9 a real server in the middle of a stream of writes.

Runs once, on SQLite (the embedded default, where WAL and synchronous=FULL must hold the
promise), with a real `acuerdo serve` process and real HTTP on loopback.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from acuerdo.ledger.audit import verify_chain
from acuerdo.ledger.tables import ledger
from acuerdo.node import Node, init_node
from acuerdo.settings import Settings
from acuerdo.users import add_user, create_token

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _prepare(home: Path) -> str:
    settings = Settings(home=home)
    await init_node(settings, party="USA", agreement="usa-pry-2025")
    node = await Node.open(settings)
    try:
        await add_user(
            node.engines.writer,
            party="USA",
            name="analyst",
            agency="odc",
            roles=["analyst"],
            password=None,
        )
        return await create_token(node.engines.writer, "analyst")
    finally:
        await node.close()


def _indicator(i: int) -> dict[str, object]:
    return {
        "type": "indicator",
        "spec_version": "2.1",
        "id": f"indicator--{uuid.uuid4()}",
        "created": "2026-07-01T12:00:00Z",
        "modified": "2026-07-01T12:00:00Z",
        "name": f"route {i}",
        "pattern": "[domain-name:value = 'example.org']",
        "pattern_type": "stix",
        "valid_from": "2026-07-01T12:00:00Z",
    }


def test_kill_9_loses_no_acknowledged_write(tmp_path: Path) -> None:
    home = tmp_path / "usa"
    token = asyncio.run(_prepare(home))
    port = _free_port()
    env = dict(os.environ, ACUERDO_HOME=str(home))
    proc = subprocess.Popen(
        [sys.executable, "-m", "acuerdo", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    acked: list[str] = []
    stop = threading.Event()
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            raise AssertionError("server did not start")

        def writer() -> None:
            with httpx.Client(
                base_url=base, timeout=5, headers={"Authorization": f"Bearer {token}"}
            ) as client:
                i = 0
                while not stop.is_set() and i < 5000:
                    obj = _indicator(i)
                    try:
                        r = client.post("/api/v1/records", json=obj)
                    except httpx.TransportError:
                        return
                    if r.status_code == 201:
                        acked.append(str(obj["id"]))
                    i += 1

        threads = [threading.Thread(target=writer) for _ in range(3)]
        for t in threads:
            t.start()
        while len(acked) < 150 and any(t.is_alive() for t in threads):
            time.sleep(0.01)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        for t in threads:
            t.join(timeout=10)
    finally:
        stop.set()
        if proc.poll() is None:
            proc.kill()
    assert len(acked) >= 150

    async def check() -> tuple[set[str], bool]:
        node = await Node.open(Settings(home=home))
        try:
            async with node.engines.reader.connect() as conn:
                held = set((await conn.execute(select(ledger.c.object_id))).scalars())
                report = await verify_chain(conn)
            return held, report.ok
        finally:
            await node.close()

    held, chain_ok = asyncio.run(check())
    missing = [i for i in acked if i not in held]
    assert missing == [], f"{len(missing)} acknowledged writes lost"
    assert chain_ok
    assert json.loads((home / "node.json").read_text())["party"] == "USA"

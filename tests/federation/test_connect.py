"""Connecting two nodes: the agreement decides whom a node trusts and whether it exchanges at
all, and a partner that never answers holds up nothing local. Real HTTP on loopback (a
uvicorn server in the test's loop); SQLite only, run once."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import uvicorn
from sqlalchemy import func, select

from acuerdo.agreement import load_profile
from acuerdo.api.app import create_app
from acuerdo.federation.apply import load_cursor
from acuerdo.federation.partners import (
    PartnerError,
    add_partner,
    list_partners,
    requests_public_key,
)
from acuerdo.federation.puller import PartnerRefused, Puller
from acuerdo.federation.status import federation_status
from acuerdo.ledger.signing import FileSigner, b64url
from acuerdo.ledger.tables import audit, ledger
from acuerdo.markings import TLP, TLP2_MARKING_IDS
from acuerdo.node import Node
from conftest import make_node

STAMP = "2026-07-01T12:00:00.000Z"


def indicator() -> dict[str, object]:
    return {
        "type": "indicator", "spec_version": "2.1", "id": f"indicator--{uuid.uuid4()}",
        "created": STAMP, "modified": STAMP, "pattern": "[ipv4-addr:value = '203.0.113.9']",
        "pattern_type": "stix", "valid_from": "2026-07-01T12:00:00Z",
        "object_marking_refs": [TLP2_MARKING_IDS[TLP.GREEN]],
    }  # fmt: skip


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.asynccontextmanager
async def serving(node: Node, port: int) -> AsyncIterator[None]:
    config = uvicorn.Config(
        create_app(node.settings, node=node), host="127.0.0.1", port=port, log_level="warning"
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    for _ in range(1000):
        if server.started:
            break
        await asyncio.sleep(0.02)
    try:
        yield
    finally:
        server.should_exit = True
        await task


def _revised_profile(tmp_path: Path, pinned: dict[str, str] | None = None) -> Path:
    """The shipped agreement with one provisional value changed (another hash), or with a
    root key pinned for PRY."""
    source = load_profile("usa-pry-2025").source_path
    assert source is not None
    text = Path(source).read_text("utf-8")
    if pinned is None:
        text = text.replace("    value: 30\n", "    value: 31\n", 1)
    else:
        key = (
            "    root_keys:\n      - key_id: pinned-root\n        purpose: root\n"
            f"        public_key: {pinned['key']}\n        not_before: 2026-01-01\n"
            "        not_after: 2036-01-01\n"
        )
        head, _, tail = text.rpartition("    root_keys: []\n")  # the second party's
        text = head + key + tail
    path = tmp_path / "revised.yaml"
    path.write_text(text, "utf-8")
    return path


async def test_nodes_with_different_agreement_hashes_refuse_to_exchange(tmp_path: Path) -> None:
    usa = await make_node(tmp_path / "usa", None, party="USA")
    pry = await make_node(tmp_path / "pry", None, party="PRY",
                          agreement=str(_revised_profile(tmp_path)))  # fmt: skip
    assert usa.agreement.hash != pry.agreement.hash
    port = _free_port()
    try:
        await add_partner(usa, "PRY", "http://127.0.0.1:1", requests_public_key(pry))
        await add_partner(pry, "USA", f"http://127.0.0.1:{port}", requests_public_key(usa))
        written = await usa.write([indicator()], user=None)
        async with serving(usa, port):
            puller = Puller(pry, (await list_partners(pry.engines.reader))[0])
            try:
                with pytest.raises(PartnerRefused) as info:
                    await puller.round(await load_cursor(pry, "USA"))
            finally:
                await puller.close()
        assert "409 agreement-mismatch" in str(info.value)
        assert (await federation_status(pry))[0].cursor == 0
        async with pry.engines.reader.connect() as conn:
            q = select(func.count()).where(ledger.c.object_id == written[0].object_id)
            assert (await conn.execute(q)).scalar_one() == 0
        async with usa.engines.reader.connect() as conn:
            q = select(audit.c.detail).where(audit.c.action == "federation.refused")
            assert "agreement-mismatch" in (await conn.execute(q)).scalars().one()
    finally:
        await usa.close()
        await pry.close()


async def test_partner_add_is_refused_when_the_agreement_pins_other_keys(tmp_path: Path) -> None:
    pinned = FileSigner.generate()
    path = _revised_profile(tmp_path, {"key": b64url(pinned.public_key)})
    usa = await make_node(tmp_path / "usa", None, party="USA", agreement=str(path))
    try:
        other = b64url(FileSigner.generate().public_key)
        with pytest.raises(PartnerError, match=r"lists the keys of PRY \(pinned-root\); key"):
            await add_partner(usa, "PRY", "http://127.0.0.1:8402", other)
        added = await add_partner(usa, "PRY", "http://127.0.0.1:8402", b64url(pinned.public_key))
        assert added.key_id == pinned.key_id
    finally:
        await usa.close()


async def test_a_partner_that_accepts_and_never_answers_does_not_block_local_writes(
    tmp_path: Path,
) -> None:
    held: list[asyncio.StreamWriter] = []
    connected = asyncio.Event()

    async def silent(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)  # accept, read nothing, answer nothing
        connected.set()

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    usa = await make_node(tmp_path / "usa", None, party="USA")
    try:
        await add_partner(
            usa, "PRY", f"http://127.0.0.1:{port}", b64url(FileSigner.generate().public_key)
        )
        await usa.federation.start_pullers()
        await connected.wait()  # the puller is now waiting on the silent partner
        for _ in range(10):
            appended = await usa.write([indicator() for _ in range(20)], user=None)
            assert len(appended) == 20  # each write completes while the puller waits
        task = next(iter(usa.federation._tasks.values()))
        assert not task.done()
        status = (await federation_status(usa))[0]
        assert status.last_contact is None
    finally:
        await usa.close()
        for w in held:
            w.close()
        server.close()

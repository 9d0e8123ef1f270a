"""Two real nodes for the equipment tests: the sending state's (the `harness` node) and the
host's, each on the backend under test, with users of the host's agencies; and delivery of
signed versions from one node to the other, as federation would (the stored bytes, envelope
and signature, unchanged).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy import func, select

from acuerdo.api.app import create_app
from acuerdo.ledger.record import prepare
from acuerdo.ledger.tables import ledger
from acuerdo.ledger.writes import Signed
from acuerdo.node import Node
from acuerdo.users import User, add_user, create_token
from conftest import PG_ADMIN_URL, NodeHarness, make_node

# name -> (agency, roles) on the host node; agencies are the profile's.
HOST_USERS = {
    "customs": ("aduanas", ["approver"]),
    "customs-clerk": ("aduanas", ["viewer"]),
    "foreign": ("mre", ["approver"]),
    "defence": ("mdn", ["approver"]),
    "spectrum": ("conatel", ["approver"]),
    "admin": ("mre", ["admin"]),
}

PORT = {"name": "Aeropuerto Internacional Silvio Pettirossi", "code": "ASU", "kind": "airport"}


def radar_import(**extra: Any) -> dict[str, Any]:
    """A temporary import of three air-surveillance radars and their spares."""
    items = [
        {
            "line": 1,
            "description": "Air-surveillance radar, transportable",
            "quantity": 3,
            "unit": "unit",
            "serial_numbers": ["TPS-0001", "TPS-0002", "TPS-0003"],
            "value": 4500000,
            "currency": "USD",
        },
        {
            "line": 2,
            "description": "Radar spare parts kit",
            "quantity": 10,
            "value": 120000.5,
            "currency": "USD",
        },
    ]
    return {"direction": "import", "regime": "temporary", "port": PORT, "items": items} | extra


def re_export(import_id: str, lines: Iterable[tuple[int, float, list[str]]]) -> dict[str, Any]:
    items = []
    for n, (line, qty, serials) in enumerate(lines, start=1):
        item: dict[str, Any] = {
            "line": n,
            "description": f"Returned from line {line}",
            "quantity": qty,
            "value": 1000,
            "currency": "USD",
            "reexport_of": {"declaration_ref": import_id, "line": line},
        }
        if serials:
            item["serial_numbers"] = serials
        items.append(item)
    return {"direction": "export", "regime": "re-export", "port": PORT, "items": items}


async def _pg_database() -> tuple[str, str]:
    name = f"acuerdo_t_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(PG_ADMIN_URL.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return name, f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}"


async def _drop(name: str) -> None:
    admin = await asyncpg.connect(PG_ADMIN_URL.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@dataclass
class Host:
    node: Node
    client: httpx.AsyncClient
    tokens: dict[str, str]
    users: dict[str, User]

    def auth(self, name: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[name]}"}


@pytest.fixture
async def host(tmp_path: Path, backend: str) -> AsyncIterator[Host]:
    """The host party's node, on the same backend as the sending state's."""
    name, url = await _pg_database() if backend == "postgres" else ("", None)
    node = await make_node(tmp_path / "host", url, party="PRY")
    users, tokens = {}, {}
    for user, (agency, roles) in HOST_USERS.items():
        users[user] = await add_user(
            node.engines.writer, party=node.party, name=user, agency=agency, roles=roles,
            password=None,
        )  # fmt: skip
        tokens[user] = await create_token(node.engines.writer, user)
    app = create_app(node.settings, node=node)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://pry.test") as client:
        yield Host(node, client, tokens, users)
    await node.close()
    if name:
        await _drop(name)


async def deliver(src: Node, dst: Node, object_ids: Iterable[str]) -> None:
    """Append every version of these objects on `dst` as `src` stored and signed them, with
    the markings `src` applied beside them."""
    cols = (ledger.c.body, ledger.c.envelope, ledger.c.signature, ledger.c.origin)
    q = select(*cols, ledger.c.applied_markings).where(ledger.c.object_id.in_(list(object_ids)))
    async with src.engines.reader.connect() as conn:
        rows = (await conn.execute(q.order_by(ledger.c.seq))).all()
    signed = []
    for body, envelope, signature, origin, applied in rows:
        draft = prepare(
            json.loads(body), writer_party=origin, party_identities=dst.party_identities
        )
        markings = tuple(json.loads(applied))  # what the origin applied travels beside
        signed.append(Signed(draft, bytes(envelope), bytes(signature), origin, None, markings))
    await dst.writer.append(signed, actor="ingest")


async def ledger_size(node: Node) -> int:
    async with node.engines.reader.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(ledger))).scalar_one())


def problem(r: httpx.Response, status: int, *fragments: str) -> dict[str, Any]:
    """The response is a problem of `status` whose detail holds every fragment."""
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json"), r.headers
    body: dict[str, Any] = r.json()
    for fragment in fragments:
        assert fragment in body["detail"], (fragment, body["detail"])
    return body


async def post(
    h: NodeHarness | Host, path: str, user: str, body: Mapping[str, Any]
) -> httpx.Response:
    return await h.client.post(path, json=dict(body), headers=h.auth(user))

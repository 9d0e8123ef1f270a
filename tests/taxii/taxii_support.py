"""What the TAXII tests share: a node served by uvicorn on a loopback port, its users, and
builders of STIX objects.

The server runs in the test's event loop (the node's engines and writer belong to it); the
OASIS client, which blocks, runs in a worker thread, so every request is real HTTP.
"""

from __future__ import annotations

import asyncio
import socket
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import uvicorn
from taxii2client.v21 import ApiRoot, Collection, Server

from acuerdo.api.app import create_app
from acuerdo.ledger.types import BY_NAME
from acuerdo.markings import TLP, TLP2_MARKING_IDS, recipients_marking_definition
from acuerdo.node import Node, init_node
from acuerdo.settings import Settings
from acuerdo.users import add_user, create_token
from conftest import PG_ADMIN_URL

T = TypeVar("T")
PASSWORD = "a long test passphrase"
STAMP = "2026-07-01T12:00:00.000Z"
GREEN, AMBER, RED = (TLP2_MARKING_IDS[t] for t in (TLP.GREEN, TLP.AMBER, TLP.RED))
TAXII = "application/taxii+json;version=2.1"
# name -> roles; every user signs in with PASSWORD (HTTP Basic, as taxii2-client does)
USERS = {"ana": ["analyst"], "ben": ["analyst"], "vic": ["viewer"], "root": ["admin"],
         "reg": ["registrar"]}  # fmt: skip


@dataclass
class LiveNode:
    """A node behind a real HTTP server."""

    node: Node
    url: str  # http://127.0.0.1:PORT
    tokens: dict[str, str]

    @property
    def discovery(self) -> str:
        return f"{self.url}/taxii2/"

    def server(self, user: str) -> Server:
        return Server(self.discovery, user=user, password=PASSWORD)

    def api_root(self, user: str) -> ApiRoot:
        return ApiRoot(f"{self.url}/taxii2/intel/", user=user, password=PASSWORD)

    def collection(self, user: str, alias: str = "intelligence") -> Collection:
        root = self.api_root(user)
        found = [c for c in root.collections if c.alias == alias]
        if not found:  # not StopIteration: it cannot cross the thread's future
            raise LookupError(f"{user} has no collection {alias}")
        return Collection(found[0].url, user=user, password=PASSWORD)

    def auth(self, user: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[user]}"}

    @property
    def red_for_ana(self) -> str:
        return str(recipients_marking_definition(["USA:ana"])["id"])


async def blocking(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run a blocking client call in a thread while the server answers in this loop."""
    return await asyncio.to_thread(fn, *args, **kwargs)


@asynccontextmanager
async def serve(node: Node) -> AsyncIterator[str]:
    """uvicorn serving the node's app on a free loopback port, until the block ends."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    app = create_app(node.settings, node=node)
    config = uvicorn.Config(app, log_level="warning", lifespan="on", timeout_graceful_shutdown=1)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
        sock.close()


@asynccontextmanager
async def database(backend: str) -> AsyncIterator[str | None]:
    """A database for a module's node: SQLite in the node's home, or a PostgreSQL database
    created here and dropped after (never one the tests did not create)."""
    if backend == "sqlite":
        yield None
        return
    name = f"acuerdo_taxii_{uuid.uuid4().hex[:12]}"
    dsn = PG_ADMIN_URL.replace("+asyncpg", "", 1)
    admin = await asyncpg.connect(dsn)
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    try:
        yield f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}"
    finally:
        admin = await asyncpg.connect(dsn)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


def node_settings(home: Path, database_url: str | None, **settings: Any) -> Settings:
    values: dict[str, Any] = {"max_body_bytes": 256 * 1024, "stream_heartbeat_seconds": 0.5}
    values.update(settings)
    return Settings(home=home, database_url=database_url, **values)


async def open_node(home: Path, database_url: str | None, **settings: Any) -> Node:
    """A node made once in `home` (then reopened from it, as after a restart)."""
    s = node_settings(home, database_url, **settings)
    if not (home / "node.json").exists():
        await init_node(s, party="USA", agreement="usa-pry-2025")
    return await Node.open(s)


async def add_users(node: Node) -> dict[str, str]:
    party = node.agreement.party(node.party)
    assert party is not None
    tokens = {}
    for name, roles in USERS.items():
        await add_user(
            node.engines.writer, party=node.party, name=name, agency=party.agencies[0].id,
            roles=roles, password=PASSWORD,
        )  # fmt: skip
        tokens[name] = await create_token(node.engines.writer, name)
    await node.write([recipients_marking_definition(["USA:ana"])], user=None)
    return tokens


@asynccontextmanager
async def live_node(
    home: Path, database_url: str | None, **settings: Any
) -> AsyncIterator[LiveNode]:
    """A fresh node with USERS, served over HTTP."""
    node = await open_node(home, database_url, **settings)
    try:
        tokens = await add_users(node)
        async with serve(node) as url:
            yield LiveNode(node, url, tokens)
    finally:
        await node.close()


def sdo(type_: str, **props: Any) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "type": type_, "spec_version": "2.1", "id": f"{type_}--{uuid.uuid4()}",
        "created": STAMP, "modified": STAMP, "object_marking_refs": [GREEN],
    }  # fmt: skip
    obj.update(props)
    return obj


def indicator(n: int = 0, **props: Any) -> dict[str, Any]:
    base = {
        "name": f"Airstrip {n} used by a trafficking network",
        "pattern": f"[ipv4-addr:value = '198.51.{n // 256 % 256}.{n % 256}']",
        "pattern_type": "stix",
        "valid_from": STAMP,
        "indicator_types": ["malicious-activity"],
    }
    base.update(props)
    return sdo("indicator", **base)


def envelope(objs: list[dict[str, Any]]) -> dict[str, Any]:
    return {"objects": objs}


def covered_person() -> dict[str, Any]:
    """An agreement record: never intelligence, refused by every TAXII collection."""
    return sdo(
        "acuerdo-covered-person",
        extensions={BY_NAME["acuerdo-covered-person"].extension_id: {"extension_type": "new-sdo"}},
        category="member-of-force",
        personal_data_ref=f"acuerdo-personal-data--{uuid.uuid4()}",
    )

"""Fixtures: real nodes on real SQLite and PostgreSQL databases, real HTTP through the app.

Every node-level test runs once per backend. PostgreSQL tests get a database created for them
and dropped afterwards; the suite never touches a database it did not create.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx
import pytest

from acuerdo.api.app import create_app
from acuerdo.ledger.keys import KeyPurpose
from acuerdo.ledger.record import prepare
from acuerdo.ledger.signing import sign_record
from acuerdo.ledger.writes import Signed
from acuerdo.node import Node, init_node
from acuerdo.settings import Settings
from acuerdo.users import User, add_user, create_token

PG_ADMIN_URL = os.environ.get(
    "ACUERDO_TEST_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)
BACKENDS = ("sqlite", "postgres")


def _dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def database_url(backend: str) -> AsyncIterator[str | None]:
    """None for SQLite (the node's default file); a fresh PostgreSQL database otherwise."""
    if backend == "sqlite":
        yield None
        return
    name = f"acuerdo_t_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(_dsn(PG_ADMIN_URL))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        admin = await asyncpg.connect(_dsn(PG_ADMIN_URL))
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


@dataclass
class NodeHarness:
    """A node with users and tokens, and an HTTP client on its app."""

    node: Node
    client: httpx.AsyncClient
    tokens: dict[str, str]
    users: dict[str, User]

    def auth(self, name: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[name]}"}


# name -> (roles, agency); agencies are the profile's.
USERS = {
    "admin": (["admin"], None),
    "registrar": (["registrar"], None),
    "analyst": (["analyst"], None),
    "viewer": (["viewer"], None),
    "verifier": (["verifier"], None),
}


async def make_node(
    home: Path, database_url: str | None, *, party: str = "USA", agreement: str = "usa-pry-2025"
) -> Node:
    settings = Settings(home=home, database_url=database_url, max_body_bytes=64 * 1024)
    await init_node(settings, party=party, agreement=agreement)
    return await Node.open(settings)


def signed_here(node: Node, obj: dict[str, object]) -> Signed:
    """`obj` checked and signed by `node` as its own version, with the markings the node
    applies: what `node.writer.append` takes, without the API or `Node.write` around it."""
    draft = prepare(obj, writer_party=node.party)
    envelope, sig = sign_record(
        draft.body,
        agreement_hash=node.agreement.hash,
        origin=node.party,
        signer=node.keys.signer(KeyPurpose.RECORDS),
    )
    return Signed(draft, envelope, sig, node.party, None, node.applied_markings(draft))


@pytest.fixture
async def harness(tmp_path: Path, database_url: str | None) -> AsyncIterator[NodeHarness]:
    node = await make_node(tmp_path / "usa", database_url)
    party = node.agreement.party(node.party)
    assert party is not None
    tokens: dict[str, str] = {}
    users: dict[str, User] = {}
    for name, (roles, agency) in USERS.items():
        users[name] = await add_user(
            node.engines.writer,
            party=node.party,
            name=name,
            agency=agency or party.agencies[0].id,
            roles=roles,
            password=None,
        )
        tokens[name] = await create_token(node.engines.writer, name)
    app = create_app(node.settings, node=node)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://usa.test") as client:
        yield NodeHarness(node, client, tokens, users)
    await node.close()

"""Two real nodes of a NATO SOFA pair: the sending State's under test, the host's signing.

The sending State's node (USA) runs on the backend under test with users and an HTTP
client; the receiving State's node (DEU, SQLite) signs its own records with its own keys,
which are appended on the sending node as federation would deliver them. One pair per
module and backend: tests use fresh persons and incidents, so they share it safely.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import case_records as cr
import httpx
import pytest
import pytest_asyncio
from sqlalchemy import func, select

from acuerdo.api.app import create_app
from acuerdo.ledger.keys import KeyPurpose
from acuerdo.ledger.record import prepare
from acuerdo.ledger.signing import sign_record
from acuerdo.ledger.tables import metadata
from acuerdo.ledger.writes import Signed
from acuerdo.node import Node
from acuerdo.users import add_user, create_token
from conftest import BACKENDS, PG_ADMIN_URL, USERS, NodeHarness, make_node

NATO = "nato-sofa-1951"


@dataclass
class Pair:
    h: NodeHarness
    host: Node

    async def from_host(self, *objs: Mapping[str, Any]) -> None:
        """Records the host wrote and signed, appended here as federation would."""
        signed = []
        for obj in objs:
            draft = prepare(
                obj, writer_party=self.host.party, party_identities=self.h.node.party_identities
            )
            env, sig = sign_record(
                draft.body,
                agreement_hash=self.host.agreement.hash,
                origin=self.host.party,
                signer=self.host.keys.signer(KeyPurpose.RECORDS),
            )
            # Unmarked, so the agreement's default applies beside it, as for local records.
            applied = self.h.node.applied_markings(draft)
            signed.append(Signed(draft, env, sig, self.host.party, None, applied))
        await self.h.node.writer.append(signed, actor="ingest")

    async def to_host(self, *objs: Mapping[str, Any]) -> None:
        """Records this node wrote, appended on the host's node as federation would."""
        signed = []
        for obj in objs:
            draft = prepare(
                obj, writer_party=self.h.node.party, party_identities=self.host.party_identities
            )
            env, sig = sign_record(
                draft.body,
                agreement_hash=self.h.node.agreement.hash,
                origin=self.h.node.party,
                signer=self.h.node.keys.signer(KeyPurpose.RECORDS),
            )
            applied = self.host.applied_markings(draft)
            signed.append(Signed(draft, env, sig, self.h.node.party, None, applied))
        await self.host.writer.append(signed, actor="ingest")

    async def post(self, user: str, *objs: Mapping[str, Any]) -> httpx.Response:
        body: Any = (
            objs[0]
            if len(objs) == 1
            else {"type": "bundle", "id": cr.new_id("bundle"), "objects": list(objs)}
        )
        return await self.h.client.post("/api/v1/records", json=body, headers=self.h.auth(user))

    async def person(self, category: str = "member-of-force") -> dict[str, Any]:
        """A covered person of the sending State, with its personal data, written here."""
        pdata = cr.record(
            "acuerdo-personal-data",
            salt="0" * 32,
            given_names="Ana",
            family_names="Ruiz",
            date_of_birth="1990-05-17",
            nationalities=["USA"],
        )
        member = cr.person("USA", category) | {"personal_data_ref": pdata["id"]}
        r = await self.post("registrar", pdata, member)
        assert r.status_code == 201, r.text
        return member

    async def get(self, path: str, user: str = "viewer", **params: Any) -> httpx.Response:
        return await self.h.client.get(path, params=params, headers=self.h.auth(user))


@asynccontextmanager
async def _database(backend: str) -> AsyncIterator[str | None]:
    """None for SQLite (the node's own file); a PostgreSQL database made and dropped here."""
    if backend == "sqlite":
        yield None
        return
    name = f"acuerdo_t_{uuid.uuid4().hex[:12]}"
    dsn = PG_ADMIN_URL.replace("postgresql+asyncpg://", "postgresql://", 1)
    admin = await asyncpg.connect(dsn)
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    try:
        yield f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}"
    finally:
        admin = await asyncpg.connect(dsn)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def row_counts(node: Node) -> dict[str, int]:
    """Rows in every table of the node: a refused write must change none of them."""
    async with node.engines.reader.connect() as conn:
        return {
            t.name: int((await conn.execute(select(func.count()).select_from(t))).scalar_one())
            for t in metadata.sorted_tables
        }


def problem(r: httpx.Response, status: int, *fragments: str) -> dict[str, Any]:
    """An RFC 9457 answer with this status whose detail says each fragment."""
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = r.json()
    for fragment in fragments:
        assert fragment in body["detail"], (fragment, body["detail"])
    return body


async def open_pair(backend: str, home: Path, agreement: str = NATO) -> AsyncIterator[Pair]:
    async with _database(backend) as url:
        node = await make_node(home / "usa", url, party="USA", agreement=agreement)
        host = await make_node(home / "deu", None, party="DEU", agreement=agreement)
        party = node.agreement.party(node.party)
        tokens, users = {}, {}
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
        transport = httpx.ASGITransport(app=create_app(node.settings, node=node))
        try:
            async with httpx.AsyncClient(transport=transport, base_url="http://usa.test") as c:
                yield Pair(NodeHarness(node, c, tokens, users), host)
        finally:
            await host.close()
            await node.close()


@pytest_asyncio.fixture(scope="module", loop_scope="module", params=BACKENDS, name="pair")
async def pair_fixture(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Pair]:
    async for pair in open_pair(str(request.param), tmp_path_factory.mktemp("pair")):
        yield pair

"""Builders of activity records for tests, two real nodes (proposer and host), and delivery
of one node's records to the other as federation would (signed bytes appended unchanged).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from sqlalchemy import select

from acuerdo.api.app import create_app
from acuerdo.domains.activities import TYPES
from acuerdo.domains.activities.records import instant
from acuerdo.ledger.record import prepare
from acuerdo.ledger.tables import ledger
from acuerdo.ledger.types import BY_NAME
from acuerdo.ledger.writes import Signed
from acuerdo.node import Node
from acuerdo.users import User, add_user, create_token
from conftest import PG_ADMIN_URL, make_node

STAMP = "2026-07-01T12:00:00.000Z"
PLACE = {
    "name": "Campo de entrenamiento Mariscal Estigarribia",
    "region": "PY-19",
    "latitude": -22.03,
    "longitude": -60.61,
}
# name -> (roles, agency) on each node; agencies are the profile's.
SENDING_USERS = {"planner": (["registrar"], "odc"), "viewer": (["viewer"], "odc")}
HOST_USERS = {
    "decider": (["approver"], "mre"),
    "duty-officer": (["approver"], "mdn"),
    "immigration": (["approver"], "migraciones"),
    "clerk": (["registrar"], "mre"),
    "viewer": (["viewer"], "mre"),
}


def new_id(otype: str) -> str:
    return f"{otype}--{uuid.uuid4()}"


def record(otype: str, props: Mapping[str, Any], **extra: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"type": otype, "spec_version": "2.1", "id": new_id(otype)}
    base |= {"created": STAMP, "modified": STAMP}
    base["extensions"] = {BY_NAME[otype].extension_id: {"extension_type": "new-sdo"}}
    return base | dict(props) | extra


def activity(**extra: Any) -> dict[str, Any]:
    props = {
        "activity_type": "bilateral-training",
        "title": "Ejercicio combinado de ingenieros, Chaco",
        "purpose": "Train host engineers in water-well drilling",
        "lifecycle": "proposed",
        "start": "2026-09-01T12:00:00Z",
        "end": "2026-09-20T12:00:00Z",
        "places": [PLACE],
        "units": [{"party": "USA", "name": "U.S. Army South engineers", "personnel": 40}],
        "personnel_count": 40,
        "arms": [{"description": "M4 carbine", "quantity": 10}],
        "host_trainees": [{"unit": "Batallón de Ingenieros 1", "count": 60}],
    }
    return record("acuerdo-activity", props, **extra)


def amended(obj: Mapping[str, Any], modified: str, **changes: Any) -> dict[str, Any]:
    """A later version of `obj` (same id) with changes."""
    return dict(obj) | {"modified": modified} | changes


def version_ref(node_obj: Mapping[str, Any], sha256: str) -> dict[str, str]:
    return {"id": node_obj["id"], "modified": node_obj["modified"], "sha256": sha256}


def decision(ref: Mapping[str, str], outcome: str = "approved", **extra: Any) -> dict[str, Any]:
    props = {
        "activity": dict(ref),
        "outcome": outcome,
        "reason": "Reviewed by the Ministry under Art. 1",
        "path": "regular",
        "agency": "mre",
    }
    if outcome == "approved-with-conditions":
        props["conditions"] = "No live fire outside the range"
    return record("acuerdo-activity-decision", props, **extra)


async def sha_of(node: Node, object_id: str, modified: str) -> str:
    """The sha256 of the version of `object_id` whose `modified` is `modified`."""
    key = "t:" + instant(modified)
    q = select(ledger.c.sha256).where(ledger.c.object_id == object_id, ledger.c.version_key == key)
    async with node.engines.reader.connect() as conn:
        found = (await conn.execute(q)).scalar()
    assert found is not None, f"{object_id}@{modified} not held"
    return str(found)


async def deliver(src: Node, dst: Node, *, object_ids: set[str] | None = None) -> int:
    """Append src's own activity records to dst, as federation would: same bytes and
    signature, dst's default markings beside them. Returns how many versions were new."""
    q = (
        select(ledger.c.body, ledger.c.envelope, ledger.c.signature, ledger.c.origin)
        .where(ledger.c.owner == src.party, ledger.c.object_type.in_(sorted(TYPES)))
        .order_by(ledger.c.seq)
    )
    if object_ids is not None:
        q = q.where(ledger.c.object_id.in_(sorted(object_ids)))
    async with src.engines.reader.connect() as conn:
        rows = (await conn.execute(q)).all()
    new = 0
    for body, envelope, signature, origin in rows:
        obj = json.loads(body)
        new += await append_foreign(dst, obj, bytes(envelope), bytes(signature), origin)
    return new


async def append_foreign(
    dst: Node, obj: Mapping[str, Any], envelope: bytes, signature: bytes, origin: str
) -> int:
    draft = prepare(obj, writer_party=origin, party_identities=dst.party_identities)
    signed = Signed(draft, envelope, signature, origin, None, dst.applied_markings(draft))
    (appended,) = await dst.writer.append([signed], actor=f"federation:{origin}")
    return 0 if appended.duplicate else 1


@dataclass
class Side:
    node: Node
    client: httpx.AsyncClient
    tokens: dict[str, str]
    users: dict[str, User]

    def auth(self, name: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[name]}"}


@asynccontextmanager
async def database(backend: str) -> AsyncIterator[str | None]:
    """None for SQLite; otherwise a PostgreSQL database created here and dropped after."""
    if backend == "sqlite":
        yield None
        return
    name = f"acuerdo_act_{uuid.uuid4().hex[:12]}"
    dsn = PG_ADMIN_URL.replace("postgresql+asyncpg://", "postgresql://", 1)
    admin = await asyncpg.connect(dsn)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        yield f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}"
    finally:
        admin = await asyncpg.connect(dsn)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


@asynccontextmanager
async def pair_of_nodes(backend: str, home: Path) -> AsyncIterator[tuple[Side, Side]]:
    """A sending-state node and the host's, each with its users, on one backend."""
    async with (
        database(backend) as url_a,
        database(backend) as url_b,
        side(home / "sending", url_a, "USA", SENDING_USERS) as sending,
        side(home / "host", url_b, "PRY", HOST_USERS) as host,
    ):
        yield sending, host


@asynccontextmanager
async def side(
    home: Path, url: str | None, party: str, people: Mapping[str, tuple[list[str], str]]
) -> AsyncIterator[Side]:
    node = await make_node(home, url, party=party)
    tokens, users = {}, {}
    for name, (roles, agency) in people.items():
        users[name] = await add_user(
            node.engines.writer, party=party, name=name, agency=agency, roles=roles, password=None
        )
        tokens[name] = await create_token(node.engines.writer, name)
    transport = httpx.ASGITransport(app=create_app(node.settings, node=node))
    try:
        async with httpx.AsyncClient(transport=transport, base_url=f"http://{party}.test") as c:
            yield Side(node, c, tokens, users)
    finally:
        await node.close()

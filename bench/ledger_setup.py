"""What every ledger benchmark shares: the records it writes, the nodes it writes them to.

Records are real STIX indicators, marked the way the gate needs (TLP 2.0 marking ids, the
party identity as `created_by_ref`), so every version takes the whole write path: checks,
canonical bytes, signature, gate, grants, refs, audit chain and outbox. Nodes are made with
the production code (`init_node`, `Node.open`, `add_user`, `create_token`), on SQLite in a
directory of our own or on a PostgreSQL database created for the run and dropped after it.
"""

from __future__ import annotations

import statistics
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]

from acuerdo.markings import TLP, TLP2_MARKING_IDS
from acuerdo.node import Node, init_node
from acuerdo.policy import party_identity_id
from acuerdo.settings import Settings
from acuerdo.users import User, add_user, create_token, get_user

PARTY = "USA"
PROFILE = "usa-pry-2025"
DEFAULT_PG_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
AMBER = TLP2_MARKING_IDS[TLP.AMBER]
RED = TLP2_MARKING_IDS[TLP.RED]
AUTHOR = party_identity_id(PARTY)

# Two analysts of the same party and agency: the gate, not the role, tells them apart.
ALICE, BOB = "alice", "bob"


def indicator(n: int, *, tlp: str = AMBER) -> dict[str, Any]:
    """A realistic intelligence record (about 600 canonical bytes), unique per n."""
    octets = f"{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"
    return {
        "type": "indicator",
        "spec_version": "2.1",
        "id": f"indicator--{uuid.uuid4()}",
        "created_by_ref": AUTHOR,
        "created": "2026-07-01T12:00:00.000Z",
        "modified": "2026-07-01T12:00:00.000Z",
        "name": f"Airstrip used for cocaine transfer, Chaco sector {n}",
        "description": (
            "Light aircraft observed landing at night at an unregistered strip; the same "
            "tail number was reported by the anti-drug agency in a previous operation."
        ),
        "indicator_types": ["malicious-activity"],
        "pattern": f"[ipv4-addr:value = '10.{octets}']",
        "pattern_type": "stix",
        "valid_from": "2026-07-01T12:00:00Z",
        "labels": ["drug-trafficking", "aviation"],
        "confidence": 70,
        "object_marking_refs": [tlp],
    }


@dataclass
class BenchNode:
    """A node opened for a benchmark, with its users and their API tokens."""

    node: Node
    backend: str
    home: Path
    database_url: str | None
    users: dict[str, User]
    tokens: dict[str, str]


def _dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


@asynccontextmanager
async def pg_database(admin_url: str, label: str) -> AsyncIterator[str]:
    """A PostgreSQL database created for this run (dropped on exit), as a node URL."""
    name = f"acuerdo_bench_{label}_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(_dsn(admin_url))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        yield f"{admin_url.rsplit('/', 1)[0]}/{name}"
    finally:
        admin = await asyncpg.connect(_dsn(admin_url))
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


async def create_node(home: Path, database_url: str | None) -> None:
    """Create a node with the two analysts (and their tokens kept in <home>/bench-tokens)."""
    settings = Settings(home=home, database_url=database_url)
    await init_node(settings, party=PARTY, agreement=PROFILE)
    node = await Node.open(settings)
    try:
        party = node.agreement.party(PARTY)
        assert party is not None
        lines = []
        for name in (ALICE, BOB):
            await add_user(
                node.engines.writer, party=PARTY, name=name, agency=party.agencies[0].id,
                roles=["analyst"], password=None,
            )  # fmt: skip
            lines.append(f"{name} {await create_token(node.engines.writer, name)}")
        (home / "bench-tokens").write_text("\n".join(lines) + "\n", encoding="utf-8")
        (home / "bench-tokens").chmod(0o600)
    finally:
        await node.close()


async def open_node(home: Path, backend: str, database_url: str | None) -> BenchNode:
    """Open a node made by `create_node`."""
    node = await Node.open(Settings(home=home, database_url=database_url))
    tokens = dict(
        line.split(" ", 1) for line in (home / "bench-tokens").read_text("utf-8").splitlines()
    )
    users: dict[str, User] = {}
    for name in tokens:
        user = await get_user(node.engines.reader, name)
        assert user is not None
        users[name] = user
    return BenchNode(node, backend, home, database_url, users, tokens)


@asynccontextmanager
async def fresh_node(
    backend: str, workdir: Path, label: str, pg_url: str
) -> AsyncIterator[BenchNode]:
    """A new node on `backend` for one benchmark; its database is gone afterwards."""
    home = workdir / f"{label}-{backend}-{uuid.uuid4().hex[:6]}"
    async with AsyncExitStack() as stack:
        url = None
        if backend != "sqlite":
            url = await stack.enter_async_context(pg_database(pg_url, label))
        await create_node(home, url)
        bench = await open_node(home, backend, url)
        try:
            yield bench
        finally:
            await bench.node.close()


def percentile(samples: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile (pct in 0..100) of a non-empty sample."""
    ordered = sorted(samples)
    rank = max(1, round(pct / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def summary_ms(samples: Sequence[float]) -> tuple[float, float, float]:
    """(p50, p95, mean) of durations in seconds, as milliseconds."""
    return (
        percentile(samples, 50) * 1e3,
        percentile(samples, 95) * 1e3,
        statistics.fmean(samples) * 1e3,
    )

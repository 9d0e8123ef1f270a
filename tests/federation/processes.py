"""Real nodes in their own processes: `acuerdo init`, users, partners, `acuerdo serve`.

Each node is driven through the `acuerdo` command, as an operator would, and serves HTTP on
a loopback port; tests read its database directly (SQLite file or PostgreSQL database) only
to check what it holds.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sqlite3
import ssl
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from acuerdo.operations import add_user_cmd, create_token_cmd
from acuerdo.settings import Settings

ACUERDO = str(Path(sys.executable).with_name("acuerdo"))
PASSWORD = "a long enough passphrase"
SERVE_ENV = {
    "ACUERDO_FEDERATION_WAIT_SECONDS": "2",
    "ACUERDO_FEDERATION_BACKOFF_MAX_SECONDS": "0.5",
    "ACUERDO_FEDERATION_BATCH_MAX": "500",
    "ACUERDO_WRITE_BATCH_MAX": "500",
    "ACUERDO_FEDERATION_WITNESS_SECONDS": "1",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cli(home: Path, *args: str, stdin: str | None = None, check: bool = True) -> str:
    """Run `acuerdo --home HOME ...`; its standard output (or the refusal when check=False)."""
    r = subprocess.run(
        [ACUERDO, "--home", str(home), *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if check:
        assert r.returncode == 0, (args, r.stdout, r.stderr)
        return r.stdout
    return r.stdout + r.stderr


@dataclass
class NodeProcess:
    """One node: its home, database and port, and its server process when running."""

    party: str
    home: Path
    database_url: str | None
    port: int = field(default_factory=free_port)
    tokens: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None
    log: Path | None = None
    # Extra `serve` options (TLS), and the CA file a client verifies the node's HTTPS with.
    serve_args: tuple[str, ...] = ()
    tls_ca: Path | None = None

    @property
    def url(self) -> str:
        return f"{'https' if self.tls_ca else 'http'}://127.0.0.1:{self.port}"

    def client(self, timeout: float = 30) -> httpx.AsyncClient:
        """An HTTP client for this node (verifying its TLS certificate when it serves TLS)."""
        verify = ssl.create_default_context(cafile=self.tls_ca) if self.tls_ca else True
        return httpx.AsyncClient(timeout=timeout, verify=verify)

    async def init(self, agreement: str = "usa-pry-2025") -> None:
        """`acuerdo init` in a process; users and tokens through the same operations
        in-process (the CLI's user and token commands are tested elsewhere)."""
        extra = ["--database-url", self.database_url] if self.database_url else []
        await asyncio.to_thread(
            cli, self.home, "init", "--party", self.party, "--agreement", agreement, *extra
        )
        settings = Settings(home=self.home)
        for name in ("admin", "analyst", "registrar", "viewer"):
            role = name
            await add_user_cmd(settings, name, [role], None, PASSWORD)
            self.tokens[name] = await create_token_cmd(settings, name, "test")

    def key(self) -> str:
        return cli(self.home, "key", "show").strip()

    def auth(self, user: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[user]}"}

    async def start(self) -> None:
        env = {**os.environ, **SERVE_ENV}
        self.log = self.home / f"serve-{self.port}.log"
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(  # noqa: ASYNC220 (returns at once)
                [
                    ACUERDO,
                    "--home",
                    str(self.home),
                    "serve",
                    "--port",
                    str(self.port),
                    *self.serve_args,
                ],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        async with self.client() as client:
            for _ in range(600):
                assert self.process.poll() is None, self.log.read_text()[-3000:]
                try:
                    if (await client.get(f"{self.url}/health")).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
        raise AssertionError(f"{self.party} did not start: {self.log.read_text()[-3000:]}")

    def kill(self) -> None:
        """kill -9: no shutdown, no flush; what was committed must survive."""
        if self.process is not None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=30)
            self.process = None

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=30)
            self.process = None

    async def query(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        """Read the node's database directly (the check, not the system under test)."""
        if self.database_url is None:
            path = self.home / "acuerdo.sqlite3"

            def run() -> list[tuple[Any, ...]]:
                conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
                try:
                    return [tuple(r) for r in conn.execute(sql.replace("$", "?"), params)]
                finally:
                    conn.close()

            return await asyncio.to_thread(run)
        dsn = self.database_url.replace("postgresql+asyncpg://", "postgresql://", 1)
        conn = await asyncpg.connect(dsn)
        try:
            return [tuple(r) for r in await conn.fetch(_numbered(sql), *params)]
        finally:
            await conn.close()

    async def execute(self, sql: str, *params: Any) -> None:
        """Change the node's database behind its back (tampering tests only)."""
        if self.database_url is None:
            path = self.home / "acuerdo.sqlite3"

            def run() -> None:
                conn = sqlite3.connect(path, timeout=30)
                try:
                    conn.execute(sql.replace("$", "?"), params)
                    conn.commit()
                finally:
                    conn.close()

            await asyncio.to_thread(run)
            return
        dsn = self.database_url.replace("postgresql+asyncpg://", "postgresql://", 1)
        conn = await asyncpg.connect(dsn)
        try:
            await conn.execute(_numbered(sql), *params)
        finally:
            await conn.close()


def _numbered(sql: str) -> str:
    """`$` placeholders become $1, $2... for asyncpg."""
    parts = sql.split("$")
    return parts[0] + "".join(f"${i}{p}" for i, p in enumerate(parts[1:], start=1))


def pair(usa: NodeProcess, pry: NodeProcess) -> None:
    """Each node adds the other as its partner, with the key the other prints."""
    cli(usa.home, "partner", "add", pry.party, "--url", pry.url, "--public-key", pry.key())
    cli(pry.home, "partner", "add", usa.party, "--url", usa.url, "--public-key", usa.key())


async def start_pair(usa: NodeProcess, pry: NodeProcess) -> None:
    """Create both nodes, make each the other's partner, and start serving them."""
    await usa.init()
    await pry.init()
    pair(usa, pry)
    await usa.start()
    await pry.start()


@asynccontextmanager
async def usa_on_sqlite_pry_on_postgres(
    usa_home: Path, pry_home: Path, admin_url: str
) -> AsyncIterator[tuple[NodeProcess, NodeProcess]]:
    """A started pair, USA on SQLite and PRY on a PostgreSQL database of its own (dropped
    after, whatever happens)."""
    name = f"acuerdo_t_{uuid.uuid4().hex[:12]}"
    admin_dsn = admin_url.replace("postgresql+asyncpg://", "postgresql://", 1)
    admin = await asyncpg.connect(admin_dsn)
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    usa = NodeProcess("USA", usa_home, None)
    pry = NodeProcess("PRY", pry_home, f"{admin_url.rsplit('/', 1)[0]}/{name}")
    try:
        await start_pair(usa, pry)
        yield usa, pry
    finally:
        usa.stop()
        pry.stop()
        admin = await asyncpg.connect(admin_dsn)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def until(
    check: Callable[[], Awaitable[bool]], what: str, *, attempts: int = 1200, pause: float = 0.1
) -> None:
    """Poll until `check` holds; fail naming `what` (a bound on waiting, not a timing test)."""
    for _ in range(attempts):
        if await check():
            return
        await asyncio.sleep(pause)
    raise AssertionError(f"never happened: {what}")


async def post_records(node: NodeProcess, objs: Sequence[dict[str, Any]], user: str) -> None:
    """POST records to a node's API, one bundle (the API's own write path)."""
    body = {"type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": list(objs)}
    async with node.client(timeout=300) as client:
        r = await client.post(f"{node.url}/api/v1/records", json=body, headers=node.auth(user))
    assert r.status_code == 201, r.text

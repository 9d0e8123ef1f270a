"""Database engines: the writer's connections, a pool of readers, the pragmas durability needs.

SQLite is the embedded default: WAL so readers never block the writer, `synchronous=FULL`
so an acknowledged commit survives power loss (not only a process crash), and the writer's
transactions open with `BEGIN IMMEDIATE` so a write never fails halfway on a lock upgrade.
PostgreSQL is the production store; its writer takes a transaction-level advisory lock so
that two processes on one node (a server and a CLI command) never interleave sequences.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import PoolResetState, event, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

SQLITE_PRAGMAS = (
    ("journal_mode", "wal"),
    ("synchronous", "full"),
    ("foreign_keys", "on"),
    ("busy_timeout", "10000"),
)
WRITER_LOCK_KEY = 0x61637565  # "acue": one advisory lock per node database


@dataclass(frozen=True)
class Engines:
    """The writer engine (one connection) and the reader engine of one node database."""

    writer: AsyncEngine
    reader: AsyncEngine
    dialect: str

    async def dispose(self) -> None:
        await self.writer.dispose()
        await self.reader.dispose()


def _sqlite_hooks(engine: AsyncEngine, begin: str) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from the driver so our BEGIN is the one that runs.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for name, value in SQLITE_PRAGMAS:
            cursor.execute(f"PRAGMA {name}={value}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        # The ledger writer opens its transaction itself, in the same hop to the driver's
        # thread as its first reads (rowio), then hands it to SQLAlchemy: do not begin twice.
        if not in_transaction(conn.connection.dbapi_connection):
            conn.exec_driver_sql(begin)

    @event.listens_for(engine.sync_engine, "reset")
    def _on_reset(dbapi_connection: Any, _record: Any, state: PoolResetState) -> None:
        # What the pool's reset-on-return does, minus a round trip to the driver's thread
        # when there is nothing to roll back (a committed write, a one-hop read).
        if state.terminate_only or not state.asyncio_safe:
            return
        if in_transaction(dbapi_connection):
            dbapi_connection.rollback()


def in_transaction(dbapi_connection: Any) -> bool:
    """Is this (aiosqlite-adapted) SQLite connection inside a transaction?

    Read from the event loop's thread without a hop: sqlite3 answers it from the
    connection's autocommit flag. Unknown adapters answer True (roll back to be safe).
    """
    driver = getattr(dbapi_connection, "driver_connection", None)
    flag = getattr(driver, "in_transaction", None)
    return flag if isinstance(flag, bool) else True


def create_engines(url: str) -> Engines:
    """Engines for a node database URL (sqlite+aiosqlite:// or postgresql+asyncpg://)."""
    if url.startswith("sqlite"):
        # Connections are reset on return by `_on_reset` (only when a transaction is open).
        # The ledger writer keeps one connection; the second serves the few other writes
        # (users, tokens, partners), which BEGIN IMMEDIATE serialises with the writer's.
        writer = create_async_engine(url, pool_size=2, max_overflow=0, pool_reset_on_return=None)
        reader = create_async_engine(url, pool_size=4, max_overflow=4, pool_reset_on_return=None)
        _sqlite_hooks(writer, "BEGIN IMMEDIATE")
        _sqlite_hooks(reader, "BEGIN")
        return Engines(writer, reader, "sqlite")
    if url.startswith("postgresql"):
        writer = create_async_engine(url, pool_size=2, max_overflow=0)
        reader = create_async_engine(url, pool_size=5, max_overflow=5)
        return Engines(writer, reader, "postgresql")
    raise ValueError(f"unsupported database URL {url.split(':', 1)[0]!r}: use sqlite or postgresql")


async def lock_for_writing(conn: AsyncConnection, dialect: str) -> None:
    """Serialise writers across processes for the rest of this transaction."""
    if dialect == "postgresql":
        await conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": WRITER_LOCK_KEY})


async def pragmas(conn: AsyncConnection) -> dict[str, str]:
    """The pragmas in force on a SQLite connection (tests assert them)."""
    out: dict[str, str] = {}
    for name, _ in SQLITE_PRAGMAS:
        row = (await conn.exec_driver_sql(f"PRAGMA {name}")).first()
        out[name] = str(row[0]) if row else ""
    return out

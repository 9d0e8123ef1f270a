"""The writer's database I/O: read a batch's heads and objects (`batch_rows` writes its rows).

Few statements, each doing a lot: the heads (ledger, audit chain) come in one SELECT, the
touched objects in one more, and the staged rows go out with one driver-level executemany
per table (rows are already tuples in column order; Core's executemany would rebuild a
parameter dict per row, which costs more than SQLite's insert itself).

On SQLite every statement through the async adapter is several hops to aiosqlite's thread
(cursor, execute, fetch, close), and under load each hop waits for the scheduler. So on
SQLite the reads run as one function in that thread, and so do the writes: one hop each,
and the event loop stays free meanwhile to check and sign the next batch. PostgreSQL runs
the very same SQL through `exec_driver_sql`.

Statements are built here from table and column names of acuerdo's own schema (never from
input) with placeholders for every value; hence the S608 exemptions below.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from functools import lru_cache
from typing import Any, TypeVar

from sqlalchemy import Connection, Dialect
from sqlalchemy.ext.asyncio import AsyncConnection

from acuerdo.ledger import audit as audit_chain
from acuerdo.ledger import staging
from acuerdo.ledger.engine import lock_for_writing
from acuerdo.ledger.staging import BatchState, ObjectState
from acuerdo.ledger.writes import Job, WriterContext

CHUNK = 500
T = TypeVar("T")
Fetch = Callable[[str, Sequence[Any]], Sequence[Sequence[Any]]]
Rows = list[tuple[Any, ...]]


def _marks(dialect: Dialect, count: int, start: int = 1) -> list[str]:
    if dialect.paramstyle == "qmark":
        return ["?"] * count
    if dialect.paramstyle == "numeric_dollar":
        return [f"${i}" for i in range(start, start + count)]
    raise ValueError(f"unsupported paramstyle {dialect.paramstyle!r}")


@lru_cache(maxsize=64)
def _insert_sql(dialect: Dialect, table: str, columns: tuple[str, ...], suffix: str = "") -> str:
    """A driver-level INSERT in the dialect's placeholder style (qmark or $n)."""
    quote = dialect.identifier_preparer.quote
    names = ", ".join(quote(c) for c in columns)
    marks = ", ".join(_marks(dialect, len(columns)))
    return f"INSERT INTO {quote(table)} ({names}) VALUES ({marks}){suffix}"  # noqa: S608


def _key_in(dialect: Dialect, key: str, n: int, start: int = 1) -> str:
    """`key IN (?, ...)` on SQLite; `key = ANY($k)`, one array parameter, on PostgreSQL.

    On PostgreSQL a list of n parameters is a prepared statement that gets a generic plan
    after five runs, and that plan became sequential scans once tables grew (the objects
    lookup went from 10 µs to 1.6 ms a version between 15,000 and 25,000 records).
    """
    if dialect.paramstyle == "numeric_dollar":
        return f"{key} = ANY(${start})"
    return f"{key} IN ({', '.join(_marks(dialect, n))})"


def _key_params(dialect: Dialect, keys: list[str]) -> list[Any]:
    return [keys] if dialect.paramstyle == "numeric_dollar" else keys


def _chunks(dialect: Dialect, keys: list[str]) -> list[list[str]]:
    """SQLite takes keys in chunks (bounded parameter count); PostgreSQL all in one array."""
    if dialect.paramstyle == "numeric_dollar":
        return [keys] if keys else []
    return [keys[i : i + CHUNK] for i in range(0, len(keys), CHUNK)]


@lru_cache(maxsize=64)
def _token_current_sql(dialect: Dialect, n: int) -> str:
    """Per token, the version of each object currently newest for it."""
    return (
        "SELECT l.object_id, g.token, g.seq, l.version_key FROM ledger l "  # noqa: S608
        f"JOIN grants g ON g.seq = l.seq WHERE g.current AND {_key_in(dialect, 'l.object_id', n)}"
    )


@lru_cache(maxsize=64)
def _referenced_sql(dialect: Dialect, n: int) -> str:
    """Does anything already refer to one of n objects?"""
    return f"SELECT dst_id FROM refs WHERE {_key_in(dialect, 'dst_id', n)} {_FIRST_REF}"  # noqa: S608


# ORDER BY makes PostgreSQL use ix_refs_dst: with LIMIT 1 alone it expects a match at once
# (a few objects, such as party identities, are referred to by nearly every row) and scans
# the table, comparing each row with every key: 2.8 s at 50,000 refs and 2,000 keys.
_FIRST_REF = "ORDER BY dst_id LIMIT 1"


@lru_cache(maxsize=64)
def _heads_sql(dialect: Dialect, written: int) -> str:
    """Ledger head, audit head and (when `written` keys are given) whether anything already
    refers to them, as one row; index lookups only."""
    cols = [
        "(SELECT max(seq) FROM ledger)",
        "(SELECT seq FROM audit ORDER BY seq DESC LIMIT 1)",
        "(SELECT hash FROM audit ORDER BY seq DESC LIMIT 1)",
    ]
    if written:
        hit = _key_in(dialect, "dst_id", written)
        cols.append(f"(SELECT dst_id FROM refs WHERE {hit} {_FIRST_REF})")  # noqa: S608
    return "SELECT " + ", ".join(cols)


@lru_cache(maxsize=64)
def _select_in_sql(dialect: Dialect, table: str, columns: tuple[str, ...], key: str, n: int) -> str:
    quote = dialect.identifier_preparer.quote
    names = ", ".join(quote(c) for c in columns)
    where = _key_in(dialect, quote(key), n)
    return f"SELECT {names} FROM {quote(table)} WHERE {where}"  # noqa: S608


IDENTITY_COLUMNS = ("owner", "object_id", "version_key", "sha256", "seq")


def _read(
    dialect: Dialect, written: list[str], wanted: list[str], fetch: Fetch
) -> tuple[Sequence[Any], bool, Rows, Rows, Rows]:
    """(heads row, whether anything refers to a written object, object rows, and identity
    rows and per-token current rows of the known objects being written)."""
    chunks = _chunks(dialect, written)
    first = chunks[0] if len(chunks) == 1 else []
    params = _key_params(dialect, first) if first else []
    heads = fetch(_heads_sql(dialect, len(first)), params)[0]
    referenced = bool(first) and heads[3] is not None
    for chunk in chunks if not first else []:
        if fetch(_referenced_sql(dialect, len(chunk)), _key_params(dialect, chunk)):
            referenced = True
            break
    obj_rows: Rows = []
    for chunk in _chunks(dialect, wanted):
        sql = _select_in_sql(dialect, "objects", staging.OBJECT_COLUMNS, "object_id", len(chunk))
        obj_rows.extend(tuple(r) for r in fetch(sql, _key_params(dialect, chunk)))
    known = sorted(set(written) & {r[0] for r in obj_rows})
    ident_rows: Rows = []
    current_rows: Rows = []
    for chunk in _chunks(dialect, known):
        keys = _key_params(dialect, chunk)
        sql = _select_in_sql(dialect, "ledger", IDENTITY_COLUMNS, "object_id", len(chunk))
        ident_rows.extend(tuple(r) for r in fetch(sql, keys))
        current_rows.extend(tuple(r) for r in fetch(_token_current_sql(dialect, len(chunk)), keys))
    return heads, referenced, obj_rows, ident_rows, current_rows


def _read_sqlite(
    dialect: Dialect, written: list[str], wanted: list[str], db: Any
) -> tuple[Sequence[Any], bool, Rows, Rows, Rows]:
    # The write transaction opens here, in the same hop as its reads (BEGIN IMMEDIATE takes
    # the write lock at once, so nothing read below can change before the commit).
    if not db.in_transaction:
        db.execute("BEGIN IMMEDIATE")
    return _read(dialect, written, wanted, lambda sql, p: db.execute(sql, p).fetchall())


def _read_sync(
    dialect: Dialect, written: list[str], wanted: list[str], conn: Connection
) -> tuple[Sequence[Any], bool, Rows, Rows, Rows]:
    return _read(dialect, written, wanted, lambda sql, p: conn.exec_driver_sql(sql, tuple(p)).all())


async def driver_thread(conn: AsyncConnection) -> Callable[..., Awaitable[Any]] | None:
    """For aiosqlite: run a function on its sqlite3 connection, in its thread, in one hop.

    Uses aiosqlite's `_execute` (SQLAlchemy's own adapter uses aiosqlite's queue the same
    way); if that ever goes away, None, and callers use one statement at a time.
    """
    if conn.dialect.name != "sqlite":
        return None
    sync = conn.sync_connection
    if sync is not None and not sync.invalidated and not sync.closed:
        # An open connection's DB-API connection is an attribute away; get_raw_connection
        # would spawn a greenlet to read it (its CPU showed on every write).
        driver = sync.connection.driver_connection
    else:
        driver = (await conn.get_raw_connection()).driver_connection
    execute = getattr(driver, "_execute", None)
    sqlite_conn = getattr(driver, "_connection", None)
    if execute is None or sqlite_conn is None:
        return None

    async def run(fn: Callable[..., Any], *args: Any) -> Any:
        return await execute(fn, *args, sqlite_conn)

    return run


def fetch_all(sql: str, params: Sequence[Any], db: Any) -> list[Any]:
    """Run one SELECT on a DB-API connection (in aiosqlite's thread) and fetch every row."""
    return list(db.execute(sql, params).fetchall())


def placeholders(dialect: Dialect, count: int) -> list[str]:
    """`count` parameter markers in the dialect's style, for driver-level SQL."""
    return _marks(dialect, count)


async def fetch_rows(conn: AsyncConnection, sql: str, params: Sequence[Any]) -> list[Any]:
    """One driver-level SELECT in an open transaction: one hop on SQLite, every row."""
    run = await driver_thread(conn)
    if run is not None:
        return list(await run(fetch_all, sql, params))
    return list((await conn.exec_driver_sql(sql, tuple(params))).all())


ExecuteMany = Callable[[str, Rows], object]


def insert_sql(dialect: Dialect, table: str, columns: tuple[str, ...], suffix: str = "") -> str:
    """A driver-level INSERT of tuples in column order, for `insert_rows` or `in_one_hop`."""
    return _insert_sql(dialect, table, columns, suffix)


def _sqlite_call(fn: Callable[[Fetch, ExecuteMany], T], db: Any) -> T:
    return fn(lambda sql, p: db.execute(sql, p).fetchall(), db.executemany)


async def in_one_hop(conn: AsyncConnection, fn: Callable[[Fetch, ExecuteMany], T]) -> T:
    """Run `fn(fetch, executemany)` on the transaction's driver connection, in one hop.

    On SQLite it runs in aiosqlite's thread (one round trip however many statements it
    runs); on PostgreSQL through `run_sync`. Its SQL uses `placeholders` of the dialect.
    """
    run = await driver_thread(conn)
    if run is not None:
        result: T = await run(_sqlite_call, fn)
        return result

    def _sync(sync: Connection) -> T:
        return fn(
            lambda sql, p: sync.exec_driver_sql(sql, tuple(p)).all(),
            lambda sql, rows: sync.exec_driver_sql(sql, rows),
        )

    return await conn.run_sync(_sync)


async def insert_rows(
    conn: AsyncConnection, table: str, columns: tuple[str, ...], rows: Rows, suffix: str = ""
) -> None:
    """Insert tuples in column order with one driver-level executemany (one hop on SQLite).

    Core's executemany builds and binds a parameter dict per row, which costs more than
    SQLite's insert itself; projectors that write a row per version use this instead.
    """
    if rows:
        sql = insert_sql(conn.dialect, table, columns, suffix)
        await in_one_hop(conn, lambda _fetch, many: many(sql, rows))


def heads_key(row: Sequence[Any]) -> tuple[int, int | None, str | None]:
    """Ledger head, audit seq and audit hash of a heads row, as `BatchState.heads` keeps them."""
    return (int(row[0] or 0), None if row[1] is None else int(row[1]), row[2])


def _heads_sqlite(dialect: Dialect, db: Any) -> tuple[int, int | None, str | None]:
    if not db.in_transaction:
        db.execute("BEGIN IMMEDIATE")
    return heads_key(db.execute(_heads_sql(dialect, 0)).fetchone())


async def begin_if_unchanged(conn: AsyncConnection, state: BatchState) -> bool:
    """Begin the write transaction (SQLite) and say whether the ledger and the audit chain
    still end where they did when `state` was read.

    Every append to either goes through a writer, and every write that changes what a batch
    reads (objects, grants, references) appends to the ledger: equal heads mean that no
    other writer, in this process or another, wrote since.
    """
    run = await driver_thread(conn)
    if run is None:
        raise RuntimeError("begin_if_unchanged is for SQLite's driver thread")
    now = await run(_heads_sqlite, conn.dialect)
    await conn.begin()
    return bool(now == state.heads)


async def load_state(
    conn: AsyncConnection, dialect: str, jobs: list[Job], ctx: WriterContext, *, begin: bool = True
) -> BatchState:
    """Begin the write transaction, lock, and read the heads and the rows of every object the
    batch writes or refers to. The caller commits `conn` (or closes it to roll back).

    On SQLite `BEGIN IMMEDIATE` and the reads are one hop to the driver's thread; SQLAlchemy
    then adopts the open transaction (the engine's begin hook sees it and adds nothing).
    With `begin` False (SQLite only) the reads run inside the transaction already open, and
    see what it wrote: the writer reads the next batch so before committing the current one.
    """
    written_ids = {s.draft.object_id for job in jobs for s in job.versions}
    written = sorted(written_ids)
    wanted = sorted(written_ids | {r for job in jobs for s in job.versions for r in s.draft.refs})
    d = conn.dialect
    run = await driver_thread(conn)
    if run is not None:
        heads, referenced, obj_rows, ident_rows, current_rows = await run(
            _read_sqlite, d, written, wanted
        )
        if begin:
            await conn.begin()
    elif not begin:
        raise RuntimeError("reading ahead inside an open transaction is for SQLite only")
    else:
        await conn.begin()
        await lock_for_writing(conn, dialect)
        heads, referenced, obj_rows, ident_rows, current_rows = await conn.run_sync(
            lambda sync: _read_sync(d, written, wanted, sync)
        )
    max_seq, audit_seq, audit_hash = heads[0] or 0, heads[1], heads[2]
    state = BatchState(
        next_seq=int(max_seq) + 1,
        next_audit=int(audit_seq or 0) + 1,
        audit_head=audit_hash if audit_seq is not None else audit_chain.GENESIS,
        objects={},
        identities={},
        catalog=ctx.catalog,
        first_seq=int(max_seq) + 1,
        referenced=referenced,
        heads=heads_key(heads),
    )
    for oid, owner, otype, cur_seq, cur_key, revoked, audience in obj_rows:
        state.objects[oid] = ObjectState(
            owner, otype, int(cur_seq), cur_key, bool(revoked), audience, True
        )
    for owner, oid, key, sha, seq in ident_rows:
        state.identities[(owner, oid, key)] = (sha, int(seq))
    for oid, token, seq, key in current_rows:
        state.token_current[(oid, token)] = (int(seq), key)
    return state

"""Users, roles, passwords and API tokens of one node.

A user belongs to the node's party and to one of its agencies; roles are granted within an
agency (customs clears declarations, immigration confirms arrivals). Passwords are argon2
hashes, checked at login only: an argon2 check costs about 110 ms, so it never runs per
request. API tokens are 256-bit random values stored as their SHA-256 and looked up by it.
HTTP Basic is served from a short-lived cache of verified credentials keyed by an HMAC with
the node secret, never by the password itself.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import re
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Dialect, Select, bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from acuerdo.ledger.rowio import driver_thread, fetch_all
from acuerdo.ledger.tables import api_tokens, user_roles, users
from acuerdo.release import Recipient

ROLES = ("admin", "registrar", "approver", "analyst", "verifier", "viewer")
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}\Z")
MIN_PASSWORD = 12
_hasher = PasswordHasher()


class UserError(ValueError):
    """A user operation is refused; the message says why."""


@dataclass(frozen=True)
class User:
    """An authenticated person acting on this node."""

    id: int
    party: str
    name: str
    agency: str
    roles: frozenset[str]

    @property
    def principal(self) -> str:
        """How audit entries and TLP:RED recipient lists name this user."""
        return f"{self.party}:{self.name}"

    @property
    def recipient(self) -> Recipient:
        return Recipient.user(self.party, self.name, self.roles)

    def has_any(self, roles: frozenset[str] | set[str] | tuple[str, ...]) -> bool:
        return not self.roles.isdisjoint(roles)


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


async def add_user(
    engine: AsyncEngine,
    *,
    party: str,
    name: str,
    agency: str,
    roles: list[str],
    password: str | None,
    min_password: int = MIN_PASSWORD,
) -> User:
    """Create a user with roles in an agency; refuse bad names, roles and weak passwords."""
    if not NAME_RE.match(name):
        raise UserError(
            "user name must be 1-64 of a-z, 0-9, '.', '_', '-' starting with a letter or digit"
        )
    unknown = sorted(set(roles) - set(ROLES))
    if unknown or not roles:
        raise UserError(
            f"roles must be some of {', '.join(ROLES)} (got {', '.join(unknown) or 'none'})"
        )
    if password is not None and len(password) < min_password:
        raise UserError(f"password must have at least {min_password} characters")
    pw_hash = await asyncio.to_thread(_hasher.hash, password) if password else None
    try:
        async with engine.begin() as conn:
            uid = (
                await conn.execute(
                    users.insert().returning(users.c.id),
                    {
                        "party": party,
                        "name": name,
                        "agency": agency,
                        "password_hash": pw_hash,
                        "created_at": _now(),
                        "disabled": False,
                    },
                )
            ).scalar_one()
            await conn.execute(
                user_roles.insert(),
                [{"user_id": uid, "role": r, "agency": agency} for r in sorted(set(roles))],
            )
    except IntegrityError:
        raise UserError(f"user {name!r} already exists") from None
    return User(uid, party, name, agency, frozenset(roles))


async def _load(engine: AsyncEngine, where: object) -> User | None:
    async with engine.connect() as conn:
        row = (await conn.execute(select(users).where(where, users.c.disabled.is_(False)))).first()  # type: ignore[arg-type]
        if row is None:
            return None
        roles = (
            await conn.execute(select(user_roles.c.role).where(user_roles.c.user_id == row.id))
        ).scalars()
        return User(row.id, row.party, row.name, row.agency, frozenset(roles))


async def get_user(engine: AsyncEngine, name: str) -> User | None:
    return await _load(engine, users.c.name == name)


async def create_token(engine: AsyncEngine, name: str, label: str = "cli") -> str:
    """A new API token for a user; only its SHA-256 is stored, so it is shown once."""
    user = await get_user(engine, name)
    if user is None:
        raise UserError(f"no user {name!r}")
    token = secrets.token_urlsafe(32)
    async with engine.begin() as conn:
        await conn.execute(
            api_tokens.insert(),
            {
                "sha256": hashlib.sha256(token.encode()).hexdigest(),
                "user_id": user.id,
                "label": label,
                "created_at": _now(),
                "revoked": False,
            },
        )
    return token


def _token_query() -> Select[tuple[int, str, str, str, str]]:
    """The token, its user and the user's roles together, in one query."""
    return (
        select(users.c.id, users.c.party, users.c.name, users.c.agency, user_roles.c.role)
        .join(api_tokens, api_tokens.c.user_id == users.c.id)
        .join(user_roles, user_roles.c.user_id == users.c.id)
        .where(
            api_tokens.c.sha256 == bindparam("digest"),
            api_tokens.c.revoked.is_(False),
            users.c.disabled.is_(False),
        )
    )


@cache
def _token_sql(dialect: Dialect) -> str:
    """The token query as the driver's SQL (its one parameter is the digest)."""
    return str(_token_query().compile(dialect=dialect))


async def user_by_token(engine: AsyncEngine, token: str) -> User | None:
    """The user a bearer token belongs to, or None (unknown, revoked or disabled).

    Every request with a bearer token runs this, so on SQLite it is one hop to the driver's
    thread (Core through aiosqlite takes seven: begin, cursor, execute, fetch, close...).
    """
    digest = hashlib.sha256(token.encode()).hexdigest()
    async with engine.connect() as conn:
        run = await driver_thread(conn)
        if run is not None and conn.dialect.paramstyle == "qmark":
            rows = await run(fetch_all, _token_sql(conn.dialect), (digest,))
        else:
            rows = (await conn.execute(_token_query(), {"digest": digest})).all()
    if not rows:
        return None
    uid, party, name, agency, _ = rows[0]
    return User(uid, party, name, agency, frozenset(r[4] for r in rows))


async def check_password(engine: AsyncEngine, name: str, password: str) -> User | None:
    """Verify a password with argon2 (off the event loop); None when it does not match."""
    async with engine.connect() as conn:
        row = (
            await conn.execute(select(users.c.password_hash).where(users.c.name == name))
        ).first()
    stored = row.password_hash if row else None
    if stored is None:
        # Spend the same time on unknown users, so timing does not tell which names exist.
        await asyncio.to_thread(_verify, _dummy_hash(), password)
        return None
    if not await asyncio.to_thread(_verify, stored, password):
        return None
    return await get_user(engine, name)


def _verify(stored: str, password: str) -> bool:
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


@cache
def _dummy_hash() -> str:
    return _hasher.hash(secrets.token_hex(16))


class BasicCache:
    """Verified HTTP Basic credentials for a short time, keyed by HMAC(node secret, credential)."""

    def __init__(self, secret: bytes, ttl: float) -> None:
        self._secret = secret
        self._ttl = ttl
        self._entries: dict[bytes, tuple[float, int]] = {}

    def _key(self, name: str, password: str) -> bytes:
        return hmac.new(self._secret, f"{name}\x00{password}".encode(), hashlib.sha256).digest()

    def get(self, name: str, password: str) -> int | None:
        """The user id of a recently verified credential, if still fresh."""
        key = self._key(name, password)
        hit = self._entries.get(key)
        if hit is None or hit[0] < time.monotonic():
            self._entries.pop(key, None)
            return None
        return hit[1]

    def put(self, name: str, password: str, user_id: int) -> None:
        if self._ttl <= 0:
            return
        if len(self._entries) > 10_000:
            now = time.monotonic()
            self._entries = {k: v for k, v in self._entries.items() if v[0] >= now}
        self._entries[self._key(name, password)] = (time.monotonic() + self._ttl, user_id)


async def user_by_id(engine: AsyncEngine, user_id: int) -> User | None:
    return await _load(engine, users.c.id == user_id)

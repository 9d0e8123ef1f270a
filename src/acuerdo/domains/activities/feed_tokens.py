"""Calendar-feed tokens: revocable, read-only, good for one user's activity feed and nothing else.

Calendar programs fetch a URL and cannot send a Bearer header, so the feed takes its token
in the query. Such a URL ends up in calendar settings, proxies and logs; it therefore opens
exactly one thing, the user's activity feed, read through the release gate as that user.
Feed tokens live in their own table: the API's token look-up never sees them, so one can
never write, nor read any other route. They are stored as their SHA-256, shown once, and
revoked by id.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from acuerdo.domains.activities.tables import calendar_feed_tokens as T
from acuerdo.users import User, user_by_id


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def create_feed_token(engine: AsyncEngine, user: User, label: str) -> tuple[int, str]:
    """A new feed token for `user`: (its id, the token itself, shown only now)."""
    token = "cal_" + secrets.token_urlsafe(32)
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    async with engine.begin() as conn:
        row = {
            "sha256": _digest(token),
            "user_id": user.id,
            "label": label[:80],
            "created_at": now,
            "revoked": False,
        }
        token_id = (await conn.execute(T.insert().returning(T.c.id), row)).scalar_one()
    return int(token_id), token


async def revoke_feed_token(engine: AsyncEngine, user: User, token_id: int) -> bool:
    """Revoke one of the user's feed tokens (an admin may revoke anyone's)."""
    q = update(T).where(T.c.id == token_id, T.c.revoked.is_(False))
    if "admin" not in user.roles:
        q = q.where(T.c.user_id == user.id)
    async with engine.begin() as conn:
        done = await conn.execute(q.values(revoked=True))
    return bool(done.rowcount)


async def feed_user(engine: AsyncEngine, token: str) -> User | None:
    """The user a live feed token belongs to, or None (unknown, revoked, user disabled)."""
    q = select(T.c.user_id).where(T.c.sha256 == _digest(token), T.c.revoked.is_(False))
    async with engine.connect() as conn:
        user_id = (await conn.execute(q)).scalar()
    return None if user_id is None else await user_by_id(engine, int(user_id))

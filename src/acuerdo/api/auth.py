"""Authentication and roles as FastAPI dependencies (`CurrentUser`, `require`).

Bearer tokens are looked up by their SHA-256. HTTP Basic, for clients that only speak it, is
verified with argon2 once and then served from the node's short-lived HMAC-keyed cache. Each
login (a Basic credential verified with argon2, successful or not) is audited.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request

from acuerdo.api.problems import Problem
from acuerdo.ledger.audit import AuditEntry
from acuerdo.node import Node
from acuerdo.users import User, check_password, user_by_id, user_by_token

CHALLENGE = {"WWW-Authenticate": 'Bearer realm="acuerdo", Basic realm="acuerdo", charset="UTF-8"'}


async def get_node(request: Request) -> Node:
    """The app's node. Async on purpose: FastAPI runs a plain `def` dependency in a worker
    thread, a hop there and back on every request for one attribute read."""
    node: Node = request.app.state.node
    return node


NodeDep = Annotated[Node, Depends(get_node)]


def _unauthorized(detail: str) -> Problem:
    return Problem(401, detail, code="unauthenticated", headers=CHALLENGE)


async def _basic(node: Node, credential: str) -> User:
    try:
        name, sep, password = (
            base64.b64decode(credential, validate=True).decode("utf-8").partition(":")
        )
    except (binascii.Error, UnicodeDecodeError):
        raise _unauthorized("malformed Basic credentials") from None
    if not sep:
        raise _unauthorized("malformed Basic credentials")
    cached = node.basic_cache.get(name, password)
    if cached is not None:
        user = await user_by_id(node.engines.reader, cached)
        if user is not None:
            return user
    user = await check_password(node.engines.reader, name, password)
    if user is None:
        await node.audit([AuditEntry(f"{node.party}:?", "login.failed", "basic", {})])
        raise _unauthorized("wrong user name or password")
    node.basic_cache.put(name, password, user.id)
    await node.audit([AuditEntry(user.principal, "login", "basic", {})])
    return user


async def current_user(request: Request, node: NodeDep) -> User:
    """The authenticated user, or 401 with a challenge."""
    header = request.headers.get("authorization")
    if not header:
        raise _unauthorized("this endpoint needs a Bearer token or HTTP Basic credentials")
    scheme, _, credential = header.partition(" ")
    credential = credential.strip()
    if scheme.lower() in ("bearer", "basic") and not credential:
        raise _unauthorized(f"the {scheme} credentials are empty")
    if scheme.lower() == "bearer":
        user = await user_by_token(node.engines.reader, credential)
        if user is None:
            raise _unauthorized("unknown or revoked token")
        return user
    if scheme.lower() == "basic":
        return await _basic(node, credential)
    raise _unauthorized(f"unsupported authorization scheme {scheme!r}: use Bearer or Basic")


CurrentUser = Annotated[User, Depends(current_user)]


def require(*roles: str) -> Callable[[User], Awaitable[User]]:
    """A dependency that admits users holding any of these roles."""

    async def _check(user: CurrentUser) -> User:
        if not user.has_any(roles):
            raise Problem(
                403,
                f"this needs one of the roles {', '.join(roles)}; you have "
                f"{', '.join(sorted(user.roles))}",
                code="forbidden",
            )
        return user

    return _check

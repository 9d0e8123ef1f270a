"""What the CLI's commands do, as async functions that tests can call directly."""

from __future__ import annotations

import asyncio
from types import FrameType

import httpx

from acuerdo.ledger.audit import AuditEntry, ChainReport, verify_chain
from acuerdo.node import Node, NodeError
from acuerdo.settings import Settings
from acuerdo.users import User, UserError, add_user, create_token


async def add_user_cmd(
    settings: Settings, name: str, roles: list[str], agency: str | None, password: str
) -> User:
    """Add a user to the node in settings.home (audited)."""
    node = await _open(settings)
    try:
        party = node.agreement.party(node.party)
        assert party is not None
        agencies = [a.id for a in party.agencies]
        chosen = agency or agencies[0]
        if chosen not in agencies:
            raise UserError(
                f"agency {chosen!r} is not one of {node.party}'s: {', '.join(agencies)}"
            )
        created = await add_user(
            node.engines.writer,
            party=node.party,
            name=name,
            agency=chosen,
            roles=roles,
            password=password,
            min_password=4 if settings.demo else 12,
        )
        await node.audit(
            [
                AuditEntry(
                    "cli",
                    "user.add",
                    created.principal,
                    {"roles": sorted(created.roles), "agency": chosen},
                )
            ]
        )
        return created
    finally:
        await node.close()


async def create_token_cmd(settings: Settings, name: str, label: str) -> str:
    """Create an API token (audited; the token itself is never logged)."""
    node = await _open(settings)
    try:
        value = await create_token(node.engines.writer, name, label)
        await node.audit(
            [AuditEntry("cli", "token.create", f"{node.party}:{name}", {"label": label})]
        )
        return value
    finally:
        await node.close()


async def verify_audit(settings: Settings) -> ChainReport:
    node = await _open(settings)
    try:
        async with node.engines.reader.connect() as conn:
            return await verify_chain(conn)
    finally:
        await node.close()


async def get_in_process(settings: Settings, path: str, token: str) -> tuple[int, bytes]:
    """One authenticated GET through the real app, without a network."""
    from acuerdo.api.app import create_app

    node = await _open(settings)
    try:
        app = create_app(settings, node=node)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://acuerdo.local"
        ) as client:
            r = await client.get(path, headers={"Authorization": f"Bearer {token}"})
            return r.status_code, r.content
    finally:
        await node.close()


async def _open(settings: Settings) -> Node:
    try:
        return await Node.open(settings)
    except NodeError as exc:
        raise ValueError(str(exc)) from None


def serve_node(settings: Settings) -> None:
    """Check the node opens (keys, agreement, database), then serve it with uvicorn."""
    import uvicorn

    from acuerdo.api.app import create_app
    from acuerdo.federation.tls import serve_options

    tls = serve_options(settings)

    async def _check() -> None:
        node = await _open(settings)
        await node.close()

    asyncio.run(_check())
    # A partner's long poll may wait for entries; on shutdown it is cut after a few seconds
    # (the partner retries from its cursor), so Ctrl-C never waits for a poll to time out.
    app = create_app(settings)

    class _Server(uvicorn.Server):
        def handle_exit(self, sig: int, frame: FrameType | None) -> None:
            # Long polls see the flag within half a second and answer what they have, so a
            # stop never has to cancel them mid-request.
            node = getattr(app.state, "node", None)
            if node is not None:
                node.federation.closing = True
            super().handle_exit(sig, frame)

    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_level="info",
        timeout_graceful_shutdown=3,
        **tls,
    )
    _Server(config).run()

"""The FastAPI app factory: nothing is created at import, everything from `create_app`."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from acuerdo import __version__, streams
from acuerdo.api import problems, taxii
from acuerdo.api.routes import (
    activities,
    agreement,
    cards,
    customs,
    docs,
    equipment,
    federation,
    health,
    imports,
    incidents,
    intel,
    joint_committee,
    keys,
    movements,
    operations,
    personnel,
    programme,
    records,
)
from acuerdo.node import Node
from acuerdo.settings import Settings


def create_app(settings: Settings, *, node: Node | None = None) -> FastAPI:
    """An app serving one node. With `node`, the caller owns its lifecycle (tests, CLI)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if node is not None:
            app.state.node = node
            try:
                yield
            finally:
                await taxii.shutdown(app)
            return
        opened = await Node.open(settings)
        app.state.node = opened
        await opened.federation.start_listening()
        if settings.federation_pull:
            await opened.federation.start_pullers()
        # Everything loaded so far (modules, app, agreement, node) lives as long as the
        # process: frozen, it is no longer scanned by every full garbage collection, which
        # under ingest cost about 30 µs an object (bench/taxii_costs.py --gc-stats).
        gc.freeze()
        try:
            yield
        finally:
            await taxii.shutdown(app)
            await opened.close()

    app = FastAPI(
        title="acuerdo node",
        version=__version__,
        summary="A status-of-forces agreement run as software: one party's node.",
        lifespan=lifespan,
        # FastAPI would serve these to anyone; routes.docs serves them to signed-in users.
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
    )
    if node is not None:
        app.state.node = node
    problems.install(app)
    modules = (health, agreement, records, imports, personnel, movements, cards, keys, docs, intel)
    domains = (activities, incidents, joint_committee, customs, equipment, programme)
    for module in (*modules, *domains, federation, operations):
        app.include_router(module.router)
    taxii.install(app)
    streams.install(app)
    return app

"""Live streams: server-sent events of new and revoked versions, per user, through the gate."""

from __future__ import annotations

from fastapi import FastAPI

from acuerdo.streams import routes

__all__ = ["install"]


def install(app: FastAPI) -> None:
    """Add the stream route to an app."""
    app.include_router(routes.router)

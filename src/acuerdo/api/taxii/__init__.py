"""The TAXII 2.1 server of a node: routes, error handler, lifecycle (docs/taxii.md)."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import Response

from acuerdo.api.taxii import routes_collections, routes_object, routes_objects, routes_server
from acuerdo.api.taxii.media import TaxiiError, error_response
from acuerdo.api.taxii.service import TaxiiService

__all__ = ["TaxiiError", "TaxiiService", "install", "shutdown"]


def install(app: FastAPI) -> None:
    """Add the TAXII routes and their error handler to an app."""

    @app.exception_handler(TaxiiError)
    async def _taxii_error(request: Request, exc: TaxiiError) -> Response:
        return error_response(exc, request.url.path)

    for module in (routes_server, routes_collections, routes_objects, routes_object):
        app.include_router(module.router)


async def shutdown(app: FastAPI) -> None:
    """Stop processing POSTs before the node closes; a restart resumes them."""
    service: TaxiiService | None = getattr(app.state, "taxii", None)
    if service is not None:
        await service.stop()
        app.state.taxii = None

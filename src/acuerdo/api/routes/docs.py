"""The API's description (OpenAPI) and its documentation page, for signed-in users only.

Every endpoint but /health requires authentication, so FastAPI's own /openapi.json, /docs and
/redoc (served to anyone) are switched off in the app factory and replaced by these two.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse

from acuerdo.api.auth import CurrentUser

router = APIRouter(include_in_schema=False)


@router.get("/openapi.json")
async def openapi(request: Request, user: CurrentUser) -> JSONResponse:
    """The OpenAPI document of this node's API."""
    return JSONResponse(request.app.openapi())


@router.get("/docs")
async def docs(request: Request, user: CurrentUser) -> HTMLResponse:
    """Interactive documentation; the browser reuses the credentials it signed in with."""
    root = str(request.scope.get("root_path", "")).rstrip("/")
    return get_swagger_ui_html(openapi_url=f"{root}/openapi.json", title=request.app.title)

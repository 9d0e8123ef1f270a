"""The API's description (OpenAPI) and a plain documentation page, for signed-in users only.

Every endpoint but /health requires authentication, so FastAPI's own /openapi.json, /docs and
/redoc (served to anyone) are switched off in the app factory and replaced by these two. The
page is rendered here from the OpenAPI document with no external script or style: a node runs
on networks that reach nothing outside, and a page must not ask a browser to.
"""

from __future__ import annotations

from html import escape
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse

from acuerdo.api.auth import CurrentUser

router = APIRouter(include_in_schema=False)


@router.get("/openapi.json")
async def openapi(request: Request, user: CurrentUser) -> JSONResponse:
    """The OpenAPI document of this node's API."""
    return JSONResponse(request.app.openapi())


def _rows(spec: dict[str, Any]) -> str:
    rows = []
    for path, operations in sorted(spec.get("paths", {}).items()):
        for method, op in sorted(operations.items()):
            summary = op.get("summary") or ""
            doc = (op.get("description") or "").split("\n")[0]
            rows.append(
                f"<tr><td><code>{escape(method.upper())}</code></td>"
                f"<td><code>{escape(path)}</code></td><td>{escape(summary)}</td>"
                f"<td>{escape(doc)}</td></tr>"
            )
    return "\n".join(rows)


@router.get("/docs")
async def docs(request: Request, user: CurrentUser) -> HTMLResponse:
    """The endpoints of this node, from its OpenAPI document (machine form: /openapi.json)."""
    spec = request.app.openapi()
    title = escape(str(spec.get("info", {}).get("title", "acuerdo")))
    page = (
        "<!doctype html><html lang=en><meta charset=utf-8>"
        f"<title>{title}</title>"
        "<style>body{font:15px system-ui,sans-serif;margin:2em}td{padding:.2em .6em;"
        "border-bottom:1px solid #ddd;vertical-align:top}</style>"
        f"<h1>{title}</h1><p>Signed in as {escape(user.principal)}. Machine-readable "
        "description: <a href=openapi.json>openapi.json</a>.</p>"
        f"<table><tr><th>method<th>path<th>summary<th>what it does</tr>{_rows(spec)}</table>"
    )
    return HTMLResponse(page)

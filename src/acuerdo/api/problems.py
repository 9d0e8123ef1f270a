"""RFC 9457 problem details: every refusal is a precise message with the right status.

Handlers here turn every error a request can meet (validation, refusal by the rules, auth,
size, unexpected) into application/problem+json. A stack trace never reaches a client.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("acuerdo.api")

TITLES = {
    400: "Bad request",
    401: "Authentication required",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Request body too large",
    415: "Unsupported media type",
    422: "Unprocessable record",
    500: "Internal error",
}


class Problem(Exception):
    """An error answered as problem+json."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        code: str | None = None,
        headers: dict[str, str] | None = None,
        errors: list[Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.code = code or TITLES.get(status, "error").lower().replace(" ", "-")
        self.headers = headers
        self.errors = errors


def problem_response(
    status: int,
    detail: str,
    code: str,
    *,
    headers: dict[str, str] | None = None,
    errors: list[Any] | None = None,
    instance: str | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": f"urn:acuerdo:problem:{code}",
        "title": TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
    }
    if instance:
        body["instance"] = instance
    if errors:
        body["errors"] = errors
    return JSONResponse(
        body, status_code=status, headers=headers, media_type="application/problem+json"
    )


def install(app: FastAPI) -> None:
    """Register the problem handlers on an app."""

    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> JSONResponse:
        return problem_response(
            exc.status,
            exc.detail,
            exc.code,
            headers=exc.headers,
            errors=exc.errors,
            instance=request.url.path,
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"field": ".".join(str(p) for p in e.get("loc", ())), "message": e.get("msg", "")}
            for e in exc.errors()
        ]
        first = errors[0] if errors else {"field": "", "message": "invalid request"}
        detail = f"{first['field']}: {first['message']}" if first["field"] else first["message"]
        return problem_response(422, detail, "validation", errors=errors, instance=request.url.path)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else TITLES.get(exc.status_code, "error")
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"no route {request.method} {request.url.path}"
        if exc.status_code == 405:
            detail = f"{request.method} is not allowed on {request.url.path}"
        code = TITLES.get(exc.status_code, "error").lower().replace(" ", "-")
        # Keep what the status needs beside the body, e.g. Allow on 405 (RFC 9110 15.5.6).
        headers = dict(exc.headers) if exc.headers else None
        return problem_response(
            exc.status_code, detail, code, headers=headers, instance=request.url.path
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return problem_response(
            500,
            "the node could not complete the request; nothing was "
            "written unless a later read shows it",
            "internal",
        )

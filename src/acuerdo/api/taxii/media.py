"""TAXII 2.1 media types and errors (spec sections 1.6.8, 3.6 and 3.6.1).

Clients name what they accept; a request for anything else is answered 406, a body of any
other type 415, and every error is a TAXII error message that also carries the RFC 9457
problem members (type, title, status, detail), so generic HTTP clients and TAXII clients
both read it.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request
from fastapi.responses import Response

TAXII = "application/taxii+json;version=2.1"
STIX = "application/stix+json;version=2.1"
_TAXII_BASE = "application/taxii+json"

TITLES = {
    400: "Bad request",
    401: "Authentication required",
    403: "Forbidden",
    404: "Not found",
    406: "Not acceptable",
    413: "Request body too large",
    415: "Unsupported media type",
    422: "Unprocessable object",
}


class TaxiiError(Exception):
    """An error answered as a TAXII error message (spec 3.6.1)."""

    def __init__(self, status: int, detail: str, *, code: str | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.code = code or TITLES.get(status, "error").lower().replace(" ", "-")


def error_response(exc: TaxiiError, path: str) -> Response:
    """The error message resource, with the problem-details members beside TAXII's."""
    title = TITLES.get(exc.status, "Error")
    body = {
        "title": title,
        "description": exc.detail,
        "error_code": exc.code,
        "http_status": str(exc.status),
        "type": f"urn:acuerdo:problem:{exc.code}",
        "status": exc.status,
        "detail": exc.detail,
        "instance": path,
    }
    return Response(json.dumps(body), status_code=exc.status, media_type=TAXII)


def taxii_json(data: Any, *, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A TAXII resource as application/taxii+json;version=2.1."""
    raw = json.dumps(data, separators=(",", ":")).encode()
    return Response(raw, status_code=status, media_type=TAXII, headers=headers)


def _media_ranges(header: str) -> list[tuple[str, dict[str, str]]]:
    ranges: list[tuple[str, dict[str, str]]] = []
    for part in header.split(","):
        pieces = [p.strip() for p in part.split(";") if p.strip()]
        if not pieces:
            continue
        params: dict[str, str] = {}
        for p in pieces[1:]:
            key, _, value = p.partition("=")
            params[key.strip().lower()] = value.strip().strip('"')
        ranges.append((pieces[0].lower(), params))
    return ranges


def _matches_taxii(mtype: str, params: dict[str, str]) -> bool:
    if params.get("q") in ("0", "0.0", "0.00", "0.000"):
        return False
    if mtype in ("*/*", "application/*"):
        return True
    return mtype == _TAXII_BASE and params.get("version", "2.1") == "2.1"


def negotiate(request: Request) -> None:
    """Raise 406 unless the Accept header admits application/taxii+json;version=2.1.

    An absent Accept header accepts anything (RFC 9110 12.5.1); a TAXII 2.0 or STIX-only
    Accept does not: this server speaks TAXII 2.1 envelopes only.
    """
    header = request.headers.get("accept")
    if header is None or not header.strip():
        return
    if any(_matches_taxii(t, p) for t, p in _media_ranges(header)):
        return
    raise TaxiiError(
        406, f"this endpoint answers only {TAXII}; the Accept header asked for {header[:120]!r}"
    )


def require_taxii_body(request: Request) -> None:
    """Raise 415 unless the body is application/taxii+json (version 2.1 when one is named)."""
    header = request.headers.get("content-type", "")
    ranges = _media_ranges(header)
    if ranges:
        mtype, params = ranges[0]
        if mtype == _TAXII_BASE and params.get("version", "2.1") == "2.1":
            return
    raise TaxiiError(415, f"send the envelope as {TAXII}, not {header[:80] or 'nothing'!r}")

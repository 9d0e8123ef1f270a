"""Reading request bodies with a hard size limit and strict JSON."""

from __future__ import annotations

from typing import Any

from fastapi import Request

from acuerdo.api.problems import Problem
from acuerdo.ledger.canonical import CanonicalError, parse_json


async def read_limited(request: Request, limit: int) -> bytes:
    """The body, or 413 as soon as it passes `limit` bytes (declared or streamed)."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise Problem(400, "Content-Length is not a number")
        if int(declared) > limit:
            raise Problem(
                413, f"request body of {declared} bytes is over this node's limit of {limit} bytes"
            )
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise Problem(413, f"request body is over this node's limit of {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


async def read_json(request: Request, limit: int) -> Any:
    """A strictly parsed JSON body (no duplicate keys, valid Unicode, no NaN)."""
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype not in ("application/json", "application/stix+json", "application/taxii+json"):
        raise Problem(415, f"send JSON (Content-Type application/json), not {ctype or 'nothing'}")
    raw = await read_limited(request, limit)
    if not raw.strip():
        raise Problem(
            400, "the request body is empty; send a STIX object or bundle", code="malformed-json"
        )
    try:
        return parse_json(raw)
    except CanonicalError as exc:
        raise Problem(400, f"malformed JSON: {exc}", code="malformed-json") from None

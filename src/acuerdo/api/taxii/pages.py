"""Paging shared by the objects, manifest, object and versions endpoints (spec 3.4).

`next` is an opaque value sealed under the node's TAXII cursor key and bound to the user,
the collection, the endpoint and the filters; a cursor used anywhere else is refused (400).
It never holds a raw ledger position a reader could count withheld writes with.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Request
from fastapi.responses import Response

from acuerdo.api.taxii.collections import CollectionView
from acuerdo.api.taxii.entries import Entry
from acuerdo.api.taxii.filters import Filters, parse_filters
from acuerdo.api.taxii.media import TAXII, TaxiiError
from acuerdo.api.taxii.scan import Slice
from acuerdo.api.taxii.service import TaxiiService
from acuerdo.ledger.reader import CursorError
from acuerdo.users import User


def filters_for(request: Request, service: TaxiiService, allowed: frozenset[str]) -> Filters:
    settings = service.node.settings
    return parse_filters(
        request.query_params,
        allowed,
        default_limit=settings.page_size,
        largest_limit=settings.max_page_size,
    )


def _scope(user: User, view: CollectionView, endpoint: str, f: Filters) -> str:
    return f"taxii:{user.principal}:{view.id}:{endpoint}:{f.fingerprint()}"


async def page(
    service: TaxiiService, user: User, view: CollectionView, f: Filters, endpoint: str
) -> tuple[Slice, str | None]:
    """One page of the collection for this user and filters, and the `next` to hand out."""
    scope = _scope(user, view, endpoint, f)
    after = 0
    if f.next is not None:
        try:
            after = service.cursors.open(f.next, scope)
        except CursorError:
            raise TaxiiError(
                400, "next is not valid here: pass the next value the previous page returned, "
                "with the same filters", code="invalid-next",
            ) from None  # fmt: skip
    found = await service.reader.scan(user.recipient, view, f, after)
    nxt = None if found.resume_after is None else service.cursors.seal(found.resume_after, scope)
    return found, nxt


def _quote(text: str) -> bytes:
    return b'"' + text.encode() + b'"'


def paged_response(
    found: Slice, nxt: str | None, member: bytes, render: Callable[[Entry], bytes]
) -> Response:
    """`{"more":..,"next":..,member:[..]}` with the TAXII date-added headers (spec 3.4.1)."""
    parts = [b'"more":' + (b"true" if nxt else b"false")]
    if nxt:
        parts.append(b'"next":' + _quote(nxt))
    if found.entries:
        parts.append(b'"' + member + b'":[' + b",".join(map(render, found.entries)) + b"]")
    headers = {}
    if found.entries:
        headers["X-TAXII-Date-Added-First"] = found.entries[0].date_added
        headers["X-TAXII-Date-Added-Last"] = found.entries[-1].date_added
    return Response(b"{" + b",".join(parts) + b"}", media_type=TAXII, headers=headers)


def body_of(e: Entry) -> bytes:
    return e.body


def manifest_of(e: Entry) -> bytes:
    m = e.manifest()
    return (
        b'{"id":' + _quote(m["id"]) + b',"date_added":' + _quote(m["date_added"])
        + b',"version":' + _quote(m["version"]) + b',"media_type":' + _quote(m["media_type"])
        + b"}"
    )  # fmt: skip


def version_of(e: Entry) -> bytes:
    return _quote(e.version)

"""TAXII 2.1 objects and manifest of a collection (spec sections 5.3, 5.4 and 5.5)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from acuerdo.api.auth import CurrentUser
from acuerdo.api.body import read_limited
from acuerdo.api.problems import Problem
from acuerdo.api.taxii import filters
from acuerdo.api.taxii.collections import CollectionView
from acuerdo.api.taxii.deps import Negotiated, Service
from acuerdo.api.taxii.media import TaxiiError, require_taxii_body, taxii_json
from acuerdo.api.taxii.pages import body_of, filters_for, manifest_of, page, paged_response
from acuerdo.api.taxii.service import API_ROOT, TaxiiService
from acuerdo.ledger.canonical import CanonicalError, parse_json
from acuerdo.users import User

router = APIRouter(
    prefix=f"/taxii2/{API_ROOT}/collections/{{collection_id}}",
    tags=["taxii"],
    dependencies=[Negotiated],
)


def _readable(service: TaxiiService, collection_id: str, user: User) -> CollectionView:
    view = service.view(collection_id, user)
    if not view.can_read(user):
        raise TaxiiError(403, f"you may write to collection {view.alias} but not read it")
    return view


@router.get("/manifest/", response_class=Response)
async def manifest(
    collection_id: str, request: Request, user: CurrentUser, service: Service
) -> Response:
    """Get object manifests (spec 5.3): one record per version the user may see."""
    view = _readable(service, collection_id, user)
    f = filters_for(request, service, filters.OBJECTS)
    found, nxt = await page(service, user, view, f, "manifest")
    return paged_response(found, nxt, b"objects", manifest_of)


@router.get("/objects/", response_class=Response)
async def get_objects(
    collection_id: str, request: Request, user: CurrentUser, service: Service
) -> Response:
    """Get objects (spec 5.4): an envelope of what the release gate lets this user see.

    Filters: added_after, match[id], match[type], match[version] (first, last, all or a
    timestamp; last by default), match[spec_version]; paged with limit and next.
    """
    view = _readable(service, collection_id, user)
    f = filters_for(request, service, filters.OBJECTS)
    found, nxt = await page(service, user, view, f, "objects")
    return paged_response(found, nxt, b"objects", body_of)


async def _envelope_objects(request: Request, limit: int) -> tuple[list[Any], bytes]:
    """The envelope's objects, and the bytes received (kept for a POST answered pending)."""
    require_taxii_body(request)
    try:
        raw = await read_limited(request, limit)
    except Problem as exc:
        raise TaxiiError(exc.status, exc.detail) from None
    try:
        data = parse_json(raw)
    except CanonicalError as exc:
        raise TaxiiError(400, f"malformed JSON: {exc}", code="malformed-json") from None
    objects = data.get("objects") if isinstance(data, dict) else None
    if not isinstance(objects, list) or not objects:
        raise TaxiiError(
            422, "send a TAXII envelope: a JSON object whose 'objects' is a non-empty list",
            code="invalid-envelope",
        )  # fmt: skip
    return objects, raw


@router.post("/objects/", response_class=Response, status_code=202)
async def add_objects(
    collection_id: str, request: Request, user: CurrentUser, service: Service
) -> Response:
    """Add objects (spec 5.5): answered with a status resource (spec 4.3.1).

    Each object is checked on its own: the valid ones are written, each invalid one is
    listed in `failures` with the reason. A POST of more than ACUERDO_TAXII_SYNC_OBJECTS
    objects is answered at once, pending, and processed after.
    """
    view = service.view(collection_id, user)
    if not view.can_write(user):
        raise TaxiiError(403, f"you may not write to collection {view.alias}")
    objects, raw = await _envelope_objects(request, service.node.settings.max_body_bytes)
    record = await service.submit(user, view, objects, raw)
    return taxii_json(record.resource(), status=202)

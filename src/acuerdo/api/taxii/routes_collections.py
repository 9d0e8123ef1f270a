"""TAXII 2.1 collections (spec sections 5.1 and 5.2): the views a user may read or write."""

from __future__ import annotations

from fastapi import APIRouter, Response

from acuerdo.api.auth import CurrentUser
from acuerdo.api.taxii.deps import Negotiated, Service
from acuerdo.api.taxii.media import taxii_json
from acuerdo.api.taxii.service import API_ROOT

router = APIRouter(prefix=f"/taxii2/{API_ROOT}", tags=["taxii"], dependencies=[Negotiated])


@router.get("/collections/", response_class=Response)
async def collections(user: CurrentUser, service: Service) -> Response:
    """Get collections (spec 5.1): those the user may read or write, with can_read/can_write."""
    views = service.visible_views(user)
    if not views:
        return taxii_json({})
    return taxii_json({"collections": [v.resource(user) for v in views]})


@router.get("/collections/{collection_id}/", response_class=Response)
async def collection(collection_id: str, user: CurrentUser, service: Service) -> Response:
    """Get a collection (spec 5.2)."""
    return taxii_json(service.view(collection_id, user).resource(user))

"""TAXII 2.1 server information: discovery, API root, status (spec sections 4.1, 4.2, 4.3)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from acuerdo.api.auth import CurrentUser
from acuerdo.api.taxii.deps import Negotiated, Service
from acuerdo.api.taxii.media import TAXII, TaxiiError, taxii_json
from acuerdo.api.taxii.service import API_ROOT

router = APIRouter(prefix="/taxii2", tags=["taxii"], dependencies=[Negotiated])
ROOT_PATH = f"/taxii2/{API_ROOT}/"


@router.get("/", response_class=Response)
async def discovery(user: CurrentUser, service: Service) -> Response:
    """Server discovery (spec 4.1): this node's one API root, for intelligence."""
    party = service.node.agreement.party(service.node.party)
    name = party.name if party else service.node.party
    return taxii_json(
        {
            "title": f"acuerdo node of {name}",
            "description": "Intelligence shared under the adopted agreement; every object "
            "passes the release gate for the user who asks.",
            "default": ROOT_PATH,
            "api_roots": [ROOT_PATH],
        }
    )


@router.get(f"/{API_ROOT}/", response_class=Response)
async def api_root(user: CurrentUser, service: Service) -> Response:
    """API root information (spec 4.2); max_content_length is the node's body limit."""
    return taxii_json(
        {
            "title": "Intelligence",
            "description": "STIX 2.1 intelligence on transnational crime and drug trafficking.",
            "versions": [TAXII],
            "max_content_length": service.node.settings.max_body_bytes,
        }
    )


@router.get(f"/{API_ROOT}/status/{{status_id}}/", response_class=Response)
async def status(status_id: str, user: CurrentUser, service: Service) -> Response:
    """A status resource (spec 4.3): only the user who made the POST may read it."""
    record = await service.statuses.get(status_id) if len(status_id) <= 36 else None
    if record is None or record.requester != user.principal:
        raise TaxiiError(404, f"no status {status_id[:40]} here")
    return taxii_json(record.resource())

"""Operations views for admins: federation status as JSON and as Prometheus metrics."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST

from acuerdo.api.auth import NodeDep, require
from acuerdo.federation.metrics import render
from acuerdo.federation.status import federation_status
from acuerdo.users import User

router = APIRouter(tags=["operations"])
Admin = Annotated[User, Depends(require("admin"))]


@router.get("/api/v1/federation/status")
async def status(node: NodeDep, user: Admin) -> dict[str, Any]:
    """Per partner: last contact, cursor, lag, quarantined and flagged counts, divergence."""
    return {"partners": [s.to_json() for s in await federation_status(node)]}


@router.get("/metrics")
async def metrics(node: NodeDep, user: Admin) -> Response:
    """The same figures in the Prometheus text format (metrics are for admins)."""
    return Response(render(await federation_status(node)), media_type=CONTENT_TYPE_LATEST)

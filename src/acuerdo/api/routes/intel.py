"""Intelligence views: the correlations of one record, through the release gate.

Records themselves are written and read through /api/v1/records (and TAXII). A withheld or
missing record answers 404 alike; correlations list, count and flag only what the caller
may see (docs/intel.md).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from acuerdo.api.auth import CurrentUser, NodeDep
from acuerdo.api.problems import Problem
from acuerdo.domains.intel.correlation import correlations_of, view_json
from acuerdo.ledger.stix import ID_RE

router = APIRouter(prefix="/api/v1/intel", tags=["intel"])


@router.get("/objects/{object_id}/correlations")
async def object_correlations(object_id: str, node: NodeDep, user: CurrentUser) -> dict[str, Any]:
    """Each observable of the record and the other records (of either party) that carry it."""
    if len(object_id) > 300 or not ID_RE.match(object_id):
        raise Problem(
            422, f"{object_id[:80]!r} is not a STIX id '<type>--<uuid>'", code="validation"
        )
    view = await correlations_of(node, user.recipient, object_id)
    if view is None:
        raise Problem(404, f"no record {object_id} here", code="not-found")
    return view_json(view)

"""The node's public keys and their root-signed certificates, for anyone verifying records."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from acuerdo.api.auth import CurrentUser, NodeDep
from acuerdo.ledger.signing import b64url

router = APIRouter(prefix="/api/v1", tags=["keys"])


@router.get("/keys")
async def keys(node: NodeDep, user: CurrentUser) -> dict[str, Any]:
    """Root public key, working-key certificates and revocations (public material only)."""
    k = node.keys
    return {
        "party": k.party,
        "root_public_key": b64url(k.root_public_key),
        "certificates": [c.to_json() for c in k.published],
        "revocations": [r.to_json() for r in k.revocations],
    }

"""Health: the only endpoint that needs no authentication, and it says nothing sensitive."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()


@router.get("/health", tags=["health"])
async def health() -> dict[str, str]:
    """Liveness: the process answers. Reveals no party, agreement or volume."""
    return {"status": "ok"}

"""The adopted agreement, its hash, and the evaluation API (a question in, a decision out)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from acuerdo.agreement import (
    ActivityQuestion,
    ClaimQuestion,
    CoverageQuestion,
    EntryQuestion,
    JurisdictionQuestion,
)
from acuerdo.api.auth import CurrentUser, NodeDep
from acuerdo.api.body import read_json
from acuerdo.api.problems import Problem

router = APIRouter(prefix="/api/v1", tags=["agreement"])

QUESTIONS: dict[str, Any] = {
    "coverage": CoverageQuestion,
    "jurisdiction": JurisdictionQuestion,
    "claims": ClaimQuestion,
    "activity": ActivityQuestion,
    "entry": EntryQuestion,
}


@router.get("/agreement")
async def agreement(node: NodeDep, user: CurrentUser) -> dict[str, Any]:
    """The agreement this node adopted: identity, canonical hash and the full document."""
    a = node.agreement
    return {
        "id": a.model.agreement.id,
        "title": a.model.agreement.title,
        "version": a.model.agreement.version,
        "hash": a.hash,
        "party": node.party,
        "document": a.document,
    }


@router.post("/decide/{question}")
async def decide(
    question: str, request: Request, node: NodeDep, user: CurrentUser
) -> dict[str, Any]:
    """Ask the agreement a question; the decision carries its reasons, articles and hash."""
    model = QUESTIONS.get(question)
    if model is None:
        raise Problem(404, f"no question {question!r}; ask one of {', '.join(QUESTIONS)}")
    data = await read_json(request, node.settings.max_body_bytes)
    try:
        parsed = model.model_validate(data)
    except ValueError as exc:
        errors: list[dict[str, Any]] = list(getattr(exc, "errors", list)())
        first = errors[0] if errors else {"loc": (), "msg": str(exc)}
        field = ".".join(str(p) for p in first.get("loc", ()))
        raise Problem(
            422,
            f"{field}: {first.get('msg')}" if field else str(first.get("msg")),
            code="validation",
        ) from None
    decision = node.agreement.evaluate(parsed)
    result: dict[str, Any] = decision.model_dump(mode="json")
    return result

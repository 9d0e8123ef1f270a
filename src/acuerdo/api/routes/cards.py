"""Status cards over HTTP: issue, revoke, verify, and the files a checkpoint takes offline.

No route here returns a record. Issuing answers with the card (its code or an image of it)
for a person the caller may see through the release gate, and the id of the card record
the caller just wrote; a person withheld from the caller answers exactly like an absent
one. The trust bundle and the signed revocation list are what checkpoints load: public keys
and opaque card ids only.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field

from acuerdo.api.auth import CurrentUser, NodeDep
from acuerdo.api.problems import Problem
from acuerdo.domains.credentials import render
from acuerdo.domains.credentials.issue import CardRefused, issue_card, revoke_card
from acuerdo.domains.credentials.revocation import signed_revocation_list, verify_revocation_list
from acuerdo.domains.credentials.trust import bundle_for
from acuerdo.domains.credentials.verify import CardVerifier
from acuerdo.ledger.record import RecordError
from acuerdo.ledger.writes import WriteRefused
from acuerdo.users import User

router = APIRouter(prefix="/api/v1/cards", tags=["cards"])
ISSUERS = ("registrar", "admin")
COSE = "application/cose"
MEDIA = {"png": "image/png", "svg": "image/svg+xml", "pdf": "application/pdf"}


class IssueRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    person_id: str = Field(pattern=r"^acuerdo-covered-person--[0-9a-f-]{36}$")
    format: Literal["code", "png", "svg", "pdf"] = "code"


class RevokeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=200)


class VerifyRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(min_length=1, max_length=2000)


def _may_issue(user: User) -> None:
    if not user.has_any(ISSUERS):
        raise Problem(403, f"cards need one of the roles {', '.join(ISSUERS)}", code="forbidden")


def _refused(exc: CardRefused) -> Problem:
    if exc.absent:
        return Problem(404, str(exc), code="not-found")
    return Problem(422, str(exc), code="card-refused")


@router.post("", status_code=201, response_model=None)
async def issue(body: IssueRequest, node: NodeDep, user: CurrentUser) -> Response | dict[str, Any]:
    """Issue a card for a covered person with orders in force; the code, or PNG/SVG/PDF."""
    _may_issue(user)
    try:
        card = await issue_card(node, user, body.person_id)
    except CardRefused as exc:
        raise _refused(exc) from None
    except (RecordError, WriteRefused) as exc:
        raise Problem(422, str(exc), code="card-refused") from None
    if body.format == "png":
        return Response(render.png(card.code), status_code=201, media_type=MEDIA["png"])
    if body.format == "svg":
        return Response(render.svg(card.code), status_code=201, media_type=MEDIA["svg"])
    if body.format == "pdf":
        category, status = CardVerifier(bundle_for(node)).names(card.claims)
        title = node.agreement.model.agreement.title
        document = render.pdf(
            card.claims, card.code, agreement_title=title, category=category, status=status
        )
        return Response(document, status_code=201, media_type=MEDIA["pdf"])
    return {
        "card_id": card.claims.card_id_hex,
        "card_record_id": card.record_id,
        "code": card.code,
        "valid_from": f"{card.claims.valid_from_time:%Y-%m-%dT%H:%M:%SZ}",
        "valid_until": f"{card.claims.valid_until_time:%Y-%m-%dT%H:%M:%SZ}",
        "qr_version": render.qr(card.code).version,
    }


@router.post("/{card_record_id}/revoke")
async def revoke(
    card_record_id: str, body: RevokeRequest, node: NodeDep, user: CurrentUser
) -> dict[str, Any]:
    """Revoke a card: a revoked version of its record; the next revocation list names it."""
    _may_issue(user)
    try:
        card_id = await revoke_card(node, user, card_record_id, body.reason)
    except CardRefused as exc:
        raise _refused(exc) from None
    except (RecordError, WriteRefused) as exc:
        raise Problem(422, str(exc), code="card-refused") from None
    return {"card_id": card_id, "revoked": True}


@router.post("/verify")
async def verify(body: VerifyRequest, node: NodeDep, user: CurrentUser) -> dict[str, Any]:
    """Verify a card code with this node's trust bundle and current revocation list."""
    del user
    now = datetime.now(UTC)
    bundle = bundle_for(node)
    revocations = verify_revocation_list(
        await signed_revocation_list(node, now=now), bundle, at=now
    )
    answer = CardVerifier(bundle, revocations).verify(body.code, now=now)
    return {
        "valid": answer.valid,
        "reason": answer.reason,
        "message": answer.message,
        "claims": None if answer.claims is None else answer.claims.to_json(),
        "allows": answer.allows,
    }


@router.get("/trust-bundle")
async def trust_bundle(node: NodeDep, user: CurrentUser) -> dict[str, Any]:
    """What a checkpoint needs to verify this party's cards offline (public material only)."""
    del user
    return bundle_for(node).to_json()


@router.get("/revocations", response_class=Response, responses={200: {"content": {COSE: {}}}})
async def revocations(node: NodeDep, user: CurrentUser) -> Response:
    """The signed revocation list (COSE_Sign1 over opaque card ids), fresh as of now."""
    del user
    signed = await signed_revocation_list(node, now=datetime.now(UTC))
    return Response(signed, media_type=COSE)

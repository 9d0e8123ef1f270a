"""Node-to-node routes: a partner's key bundle, its outbox feed, and this node's witnessed
audit heads and their proofs; RFC 9421-signed only.

Users never call these: every request must be signed with a configured partner's requests
key, carry the same agreement hash as this node's, and fit the signature window; anything
else is refused (401, or 409 for another agreement) and audited. Each answer is signed back,
bound to the request's nonce.
"""

from __future__ import annotations

import json
import time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from acuerdo.api.auth import CHALLENGE, NodeDep
from acuerdo.api.problems import Problem
from acuerdo.federation.feed import (
    RESPONSE_HEADER,
    Divergence,
    batch_document,
    check_cursor,
    read_batch,
    response_signature,
)
from acuerdo.federation.httpsig import AGREEMENT_HEADER, SignatureRefused, verify_request
from acuerdo.federation.partners import Partner
from acuerdo.federation.witness import UnknownHead, digests_between, give_head, given_seq
from acuerdo.ledger.audit import AuditEntry
from acuerdo.ledger.keys import KeyPurpose
from acuerdo.ledger.signing import b64url

router = APIRouter(prefix="/federation/v1", tags=["federation"])
NODE_CHALLENGE = {
    "WWW-Authenticate": CHALLENGE["WWW-Authenticate"] + ', Signature realm="acuerdo-federation"'
}


class SignedRequest:
    """A verified request from a partner node."""

    def __init__(self, partner: Partner, nonce: str) -> None:
        self.partner = partner
        self.nonce = nonce


async def _refuse(node: NodeDep, request: Request, code: str, message: str, key: str) -> Problem:
    await node.audit(
        [AuditEntry("node:?", "federation.refused", request.url.path, {"code": code, "key": key})]
    )
    if code == "agreement-mismatch":
        return Problem(409, message, code=code)
    return Problem(401, message, code="unauthenticated", headers=NODE_CHALLENGE)


async def signed_partner(request: Request, node: NodeDep) -> SignedRequest:
    """Verify the request's signature against the configured partners (401 otherwise)."""
    body = await request.body()
    params = request.headers.get("signature-input", "")
    key_id = params.split('keyid="', 1)[1].split('"', 1)[0] if 'keyid="' in params else ""
    partner = await node.federation.partner_by_key(key_id) if key_id else None
    try:
        signed = verify_request(
            request.method,
            str(request.url),
            dict(request.headers),
            body,
            lambda k: partner.public_key if partner is not None and k == partner.key_id else None,
            node.federation.nonces,
            window=node.settings.federation_window_seconds,
            now=time.time(),
        )
    except SignatureRefused as exc:
        if exc.code == "unsigned" and not request.headers.get("authorization"):
            raise Problem(
                401, exc.message, code="unauthenticated", headers=NODE_CHALLENGE
            ) from None
        raise await _refuse(node, request, exc.code, exc.message, key_id) from None
    assert partner is not None
    theirs = request.headers.get(AGREEMENT_HEADER, "")
    if theirs != node.agreement.hash:
        raise await _refuse(
            node,
            request,
            "agreement-mismatch",
            f"this node runs agreement {node.agreement.hash}, the request names {theirs[:64]}: "
            "nodes exchange records only while they run the same agreement",
            key_id,
        )
    return SignedRequest(partner, signed.nonce)


Signed = Annotated[SignedRequest, Depends(signed_partner)]


def _answer(node: NodeDep, signed: SignedRequest, document: dict[str, Any]) -> Response:
    body = json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    signer = node.keys.signer(KeyPurpose.REQUESTS)
    headers = {RESPONSE_HEADER: response_signature(signed.nonce, body, signer)}
    return Response(body, media_type="application/json", headers=headers)


@router.get("/hello")
async def hello(node: NodeDep, signed: Signed) -> Response:
    """This node's party, agreement hash and published keys, signed for the caller."""
    k = node.keys
    return _answer(
        node,
        signed,
        {
            "party": node.party,
            "agreement": node.agreement.hash,
            "root_public_key": b64url(k.root_public_key),
            "certificates": [c.to_json() for c in k.published],
            "revocations": [r.to_json() for r in k.revocations],
        },
    )


@router.get("/feed")
async def feed(
    node: NodeDep,
    signed: Signed,
    after: Annotated[int, Query(ge=0)] = 0,
    last: Annotated[str, Query(pattern="^[0-9a-f]{64}$")] = "0" * 64,
    wait: Annotated[float, Query(ge=0, le=120)] = 0.0,
    limit: Annotated[int | None, Query(ge=1, le=20_000)] = None,
) -> Response:
    """The caller's outbox after its cursor, waiting up to `wait` seconds for new entries."""
    party = signed.partner.party
    try:
        await check_cursor(node.engines.reader, party, after, last)
    except Divergence as exc:
        await node.audit([AuditEntry(f"node:{party}", "federation.divergence", party, {})])
        raise Problem(409, str(exc), code="divergence") from None
    size = min(limit or node.settings.federation_batch_max, node.settings.federation_batch_max)
    deadline = time.monotonic() + min(wait, node.settings.federation_wait_seconds)
    wakeup = node.federation.wakeup
    while True:
        seen = wakeup.generation
        entries, head = await read_batch(node.engines.reader, party, after, size)
        remaining = deadline - time.monotonic()
        if entries or remaining <= 0 or node.federation.closing:
            break
        await wakeup.wait(seen, min(remaining, 0.5))
    document = batch_document(
        entries,
        origin=node.party,
        partner=party,
        after=after,
        last=last,
        outbox_oseq=head,
        agreement=node.agreement.hash,
        signer=node.keys.signer(KeyPurpose.REQUESTS),
    )
    return _answer(node, signed, document)


@router.get("/audit-head")
async def audit_head(node: NodeDep, signed: Signed) -> Response:
    """This node's audit-chain head, signed for the caller to witness: a hash, never a size."""
    statement, signature, _ = await give_head(node, signed.partner.party)
    return _answer(node, signed, {"statement": statement.to_json(), "signature": signature})


@router.get("/audit-proof")
async def audit_proof(
    node: NodeDep,
    signed: Signed,
    start: Annotated[str, Query(alias="from", pattern="^[0-9a-f]{64}$")],
    to: Annotated[str | None, Query(pattern="^[0-9a-f]{64}$")] = None,
) -> Response:
    """The content digests of the entries from a head the caller witnessed to a later one
    (or to the current head, signed here): enough to recompute the chain, nothing audited."""
    party = signed.partner.party
    try:
        after = await given_seq(node.engines.reader, party, start)
        document: dict[str, Any] = {"from": start}
        if to is None:
            statement, signature, through = await give_head(node, party)
            document |= {"statement": statement.to_json(), "signature": signature}
            to = statement.audit_head
        else:
            through = await given_seq(node.engines.reader, party, to)
    except UnknownHead as exc:
        raise Problem(404, str(exc), code="unknown-head") from None
    if through < after:
        raise Problem(422, f"head {to} precedes head {start} in this chain", code="head-order")
    await node.audit([AuditEntry(f"node:{party}", "federation.audit-proof", party, {})])
    digests = await digests_between(node.engines.reader, after, through)
    return _answer(node, signed, document | {"to": to, "digests": digests})

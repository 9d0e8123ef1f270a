"""Partner nodes: which party, where it answers, and the key its requests are signed with.

A partner is configured by an operator (`acuerdo partner add`), never learned from the
network. When the adopted agreement lists keys for that party, the key given must be one
of them: the agreement, not the operator, has the last word on whom a node trusts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from acuerdo.federation.tables import federation_partners
from acuerdo.ledger.audit import AuditEntry
from acuerdo.ledger.keys import KeyPurpose
from acuerdo.ledger.signing import b64url, b64url_decode, key_id_for
from acuerdo.ledger.writer import utc_now

if TYPE_CHECKING:
    from acuerdo.node import Node


class PartnerError(ValueError):
    """A partner that cannot be added as given; the message says why."""


@dataclass(frozen=True)
class Partner:
    """A partner node as this node knows it."""

    party: str
    url: str
    public_key: bytes
    key_id: str
    added_at: str
    keys_bundle: dict[str, Any] | None = None


def requests_public_key(node: Node) -> str:
    """This node's public key for node-to-node requests (base64url), as partners enter it."""
    return b64url(node.keys.signer(KeyPurpose.REQUESTS).public_key)


def _check_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise PartnerError(f"--url {url!r} is not an http(s) URL with a host")
    if parts.query or parts.fragment:
        raise PartnerError("--url is the partner node's base URL: no query or fragment")
    return url.rstrip("/")


def _check_key(node: Node, party: str, key_text: str) -> bytes:
    try:
        raw = b64url_decode(key_text.strip())
        key_id_for(raw)
    except ValueError:
        raise PartnerError(
            "--public-key must be a 32-byte Ed25519 key in unpadded base64url, as "
            "`acuerdo key show` prints it on the partner's node"
        ) from None
    pinned = node.agreement.party(party).root_keys
    if pinned and key_text.strip() not in {k.public_key for k in pinned}:
        ids = ", ".join(k.key_id for k in pinned)
        raise PartnerError(
            f"the adopted agreement lists the keys of {party} ({ids}); key {key_id_for(raw)} "
            "is not one of them"
        )
    return raw


async def add_partner(node: Node, party: str, url: str, key_text: str) -> Partner:
    """Add (or replace) a partner after checking it against the adopted agreement."""
    codes = [p.code for p in node.agreement.model.parties]
    if party == node.party:
        raise PartnerError(f"{party} is this node's own party, not a partner")
    if party not in codes:
        raise PartnerError(f"{party} is not a party to the adopted agreement ({', '.join(codes)})")
    base = _check_url(url)
    raw = _check_key(node, party, key_text)
    partner = Partner(party, base, raw, key_id_for(raw), utc_now())
    async with node.engines.writer.begin() as conn:
        await conn.execute(delete(federation_partners).where(federation_partners.c.party == party))
        await conn.execute(
            insert(federation_partners).values(
                party=party,
                url=base,
                public_key=b64url(raw),
                key_id=partner.key_id,
                added_at=partner.added_at,
            )
        )
    await node.audit(
        [AuditEntry("cli", "partner.add", party, {"url": base, "key_id": partner.key_id})]
    )
    return partner


async def list_partners(engine: AsyncEngine) -> list[Partner]:
    """Every configured partner, by party code."""
    async with engine.connect() as conn:
        rows = (
            await conn.execute(select(federation_partners).order_by(federation_partners.c.party))
        ).all()
    return [
        Partner(
            r.party,
            r.url,
            b64url_decode(r.public_key),
            r.key_id,
            r.added_at,
            json.loads(r.keys_bundle) if r.keys_bundle else None,
        )
        for r in rows
    ]

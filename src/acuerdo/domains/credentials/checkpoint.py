"""The checkpoint bundle: one signed file with all an offline verifier needs.

A checkpoint has no network: it carries the adopted agreement's hash, the card keys the
party roots certified (the roots the agreement pins, else the issuing node's own), and the
issuer's current signed revocation list. The bundle holds the trust bundle (`trust.py`) and
that list, signed as one COSE_Sign1 with the issuer's cards key, whose certificate inside
the bundle a root signed. Opening it checks, in order: the content type (a card or a list
never passes for a bundle), that the issuer's root in the bundle is one the checkpoint was
told to trust (`--root`: the public key the agreement pins, or the one the issuing state
handed over by a trusted channel), every certificate against its root, the bundle's
signature by a working cards key of the issuer, and the embedded revocation list's own
signature. Any failure refuses the whole bundle with the reason.

```cddl
checkpoint-bundle = {
  1 => party,   ; issuer
  2 => uint,    ; issued at, seconds since the epoch
  3 => bstr,    ; the trust bundle, UTF-8 JSON (format acuerdo-card-trust/1)
  4 => bstr,    ; the issuer's signed revocation list (COSE_Sign1, see revocation.py)
}
```
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import cbor2

from acuerdo.domains.credentials.cose import CardKey, CoseError, parse_sign1, sign1
from acuerdo.domains.credentials.revocation import (
    RevocationList,
    RevocationListError,
    signed_revocation_list,
    verify_revocation_list,
)
from acuerdo.domains.credentials.trust import TrustBundle, bundle_for
from acuerdo.ledger.keys import KeyPurpose, UntrustedKey
from acuerdo.ledger.signing import b64url

if TYPE_CHECKING:
    from acuerdo.node import Node

CONTENT_TYPE = "application/acuerdo-checkpoint-bundle+cbor"


class CheckpointBundleError(ValueError):
    """A checkpoint bundle that cannot be trusted or read, and why."""


@dataclass(frozen=True)
class CheckpointBundle:
    """An opened, checked bundle: whom to trust and which cards no longer hold."""

    issuer: str
    issued_at: int
    trust: TrustBundle
    revocations: RevocationList


async def signed_checkpoint_bundle(node: Node, *, now: datetime) -> bytes:
    """This node's checkpoint bundle as of now, signed with its cards key."""
    trust = bundle_for(node)
    payload = {
        1: node.party,
        2: int(now.timestamp()),
        3: json.dumps(trust.to_json(), sort_keys=True, ensure_ascii=False).encode(),
        4: await signed_revocation_list(node, now=now),
    }
    data = bytes(cbor2.dumps(payload, canonical=True))
    return sign1(data, node.keys.signer(KeyPurpose.CARDS), content_type=CONTENT_TYPE)


def _payload(data: bytes) -> tuple[str, int, TrustBundle, bytes]:
    value = cbor2.loads(data)
    if not isinstance(value, Mapping) or set(value) != {1, 2, 3, 4}:
        raise ValueError("payload must be the map {1: issuer, 2: issued at, 3: trust, 4: list}")
    issuer, issued_at, trust, revocations = value[1], value[2], value[3], value[4]
    if not isinstance(issuer, str) or type(issued_at) is not int:
        raise ValueError("issuer must be text and issued at an integer")
    if not isinstance(trust, bytes) or not isinstance(revocations, bytes):
        raise ValueError("the trust bundle and the revocation list must be byte strings")
    return issuer, issued_at, TrustBundle.from_json(json.loads(trust)), revocations


def open_checkpoint_bundle(
    data: bytes, trusted_roots: Iterable[bytes], *, at: datetime
) -> CheckpointBundle:
    """Check a bundle against the root public keys the checkpoint trusts; its content."""
    try:
        message = parse_sign1(data)
        if message.content_type != CONTENT_TYPE:
            raise CheckpointBundleError(f"not a checkpoint bundle (content type {CONTENT_TYPE})")
        issuer, issued_at, trust, listed = _payload(message.payload)
    except (CoseError, ValueError, cbor2.CBORDecodeError, EOFError, UnicodeDecodeError) as exc:
        if isinstance(exc, CheckpointBundleError):
            raise
        raise CheckpointBundleError(f"unreadable checkpoint bundle: {exc}") from None
    root = trust.roots.get(issuer)
    if root is None or root not in set(trusted_roots):
        shown = "none" if root is None else b64url(root)
        raise CheckpointBundleError(
            f"the bundle's root key of {issuer} ({shown}) is not one this checkpoint trusts"
        )
    party, key_id = trust.card_keys().get(message.kid, ("", ""))
    try:
        if party != issuer:
            raise UntrustedKey(f"kid {message.kid.hex()} is no card key of {issuer}")
        key = trust.store().working_key(party, key_id, KeyPurpose.CARDS, at)
    except UntrustedKey as exc:
        raise CheckpointBundleError(f"bundle signed by an untrusted key: {exc}") from None
    if not message.verify(CardKey(key)):
        raise CheckpointBundleError("the bundle's signature does not hold")
    try:
        revocations = verify_revocation_list(listed, trust, at=at)
    except RevocationListError as exc:
        raise CheckpointBundleError(f"its revocation list: {exc}") from None
    if revocations.issuer != issuer:
        raise CheckpointBundleError(f"its revocation list is {revocations.issuer}'s")
    return CheckpointBundle(issuer, issued_at, trust, revocations)

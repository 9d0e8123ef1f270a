"""A status-card verifier that knows nothing of acuerdo: cbor2, cryptography, base45, zlib.

Written from docs/status-cards.md only, so that the format, not the code that made it, is
what a checkpoint built by someone else has to follow. It must import nothing of acuerdo.
"""

from __future__ import annotations

import base64
import json
import zlib
from typing import Any

import base45  # type: ignore[import-untyped]
import cbor2
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


def card_keys_from_bundle(bundle_text: str) -> dict[bytes, bytes]:
    """kid (first 8 bytes of the key id) -> raw public key, for the bundle's card keys.

    (A real checkpoint would also check each certificate's root signature; the acuerdo
    verifier does. This one checks the card signature only.)
    """
    bundle = json.loads(bundle_text)
    keys = {}
    for cert in bundle["certificates"]:
        if cert["purpose"] == "cards":
            raw = base64.urlsafe_b64decode(
                cert["public_key"] + "=" * (-len(cert["public_key"]) % 4)
            )
            keys[bytes.fromhex(cert["key_id"])[:8]] = raw
    return keys


def verify(code: str, keys: dict[bytes, bytes]) -> dict[int, Any]:
    """The claims of a card whose COSE_Sign1 signature holds under one of keys; else raise."""
    if not code.startswith("SOFA1:"):
        raise ValueError("not a status card")
    message = cbor2.loads(zlib.decompress(base45.b45decode(code[6:])))
    if not isinstance(message, cbor2.CBORTag) or message.tag != 18:
        raise ValueError("not a COSE_Sign1")
    protected, _unprotected, payload, signature = message.value
    header = cbor2.loads(protected)
    if header[1] != -8:
        raise ValueError("not EdDSA")
    to_be_signed = cbor2.dumps(["Signature1", protected, b"", payload])
    try:
        Ed25519PublicKey.from_public_bytes(keys[header[4]]).verify(signature, to_be_signed)
    except (InvalidSignature, KeyError) as exc:
        raise ValueError("signature does not hold") from exc
    claims: dict[int, Any] = dict(cbor2.loads(payload))
    return claims

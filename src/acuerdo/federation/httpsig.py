"""HTTP message signatures (RFC 9421) with Ed25519, and content digests (RFC 9530).

Node-to-node requests carry one signature, labelled `acuerdo`, over the method, the full
target URI (its query carries the cursor), the Date header, the Content-Digest of the body
and the adopted agreement's hash, with `created`, `keyid`, `alg` and a `nonce` as signature
parameters. A verifier accepts a signature only from a key it knows, within a short window
around its own clock, and only once per nonce (the nonce cache outlives the window, so a
replay is refused whether it comes early or late).

Written against the RFC's text; tests/federation/test_httpsig.py checks it against the
RFC's own Ed25519 example (B.2.6) and the digest example of RFC 9530.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.utils import formatdate
from urllib.parse import urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from acuerdo.ledger.signing import Signer

LABEL = "acuerdo"
AGREEMENT_HEADER = "acuerdo-agreement"
COVERED = ("@method", "@target-uri", "date", "content-digest", AGREEMENT_HEADER)
_TOKEN = re.compile(r'^\(([^)]*)\)((?:;[a-z0-9*_.-]+=(?:"[^"\\]*"|-?[0-9]+))*)\Z')
_PARAM = re.compile(r';([a-z0-9*_.-]+)=("[^"\\]*"|-?[0-9]+)')
_NONCE = re.compile(r"[A-Za-z0-9_-]{16,64}")


class SignatureRefused(Exception):
    """A request signature that is refused; `code` is stable (audited and answered)."""

    def __init__(self, code: str, message: str, status: int = 401) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


def content_digest(body: bytes) -> str:
    """RFC 9530 Content-Digest with SHA-256, as a structured-field dictionary member."""
    return "sha-256=:" + base64.b64encode(hashlib.sha256(body).digest()).decode("ascii") + ":"


def component_value(name: str, method: str, url: str, headers: Mapping[str, str]) -> str:
    """The value of one covered component (RFC 9421 §2.1 fields, §2.2 derived components)."""
    parts = urlsplit(url)
    if name == "@method":
        return method.upper()
    if name == "@target-uri":
        return url
    if name == "@authority":
        return parts.netloc.lower()
    if name == "@scheme":
        return parts.scheme.lower()
    if name == "@path":
        return parts.path or "/"
    if name == "@query":
        return "?" + parts.query
    if name.startswith("@"):
        raise SignatureRefused("component", f"derived component {name} is not supported")
    lowered = {k.lower(): v for k, v in headers.items()}
    if name not in lowered:
        raise SignatureRefused("component", f"covered header {name!r} is missing")
    return lowered[name].strip()


def signature_params(components: tuple[str, ...], params: Mapping[str, str | int]) -> str:
    """The @signature-params value: the inner list of components and its parameters."""
    inner = " ".join(f'"{c}"' for c in components)
    out = f"({inner})"
    for key, value in params.items():
        out += f";{key}={value}" if isinstance(value, int) else f';{key}="{value}"'
    return out


def signature_base(
    components: tuple[str, ...],
    params_value: str,
    method: str,
    url: str,
    headers: Mapping[str, str],
) -> bytes:
    """The signature base (RFC 9421 §2.5): one line per component, then @signature-params."""
    lines = [f'"{c}": {component_value(c, method, url, headers)}' for c in components]
    lines.append(f'"@signature-params": {params_value}')
    return "\n".join(lines).encode("utf-8")


def sign_request(
    method: str,
    url: str,
    body: bytes,
    signer: Signer,
    agreement_hash: str,
    *,
    now: float | None = None,
    nonce: str | None = None,
) -> dict[str, str]:
    """The headers that sign one request (Date, Content-Digest, agreement, signature)."""
    moment = time.time() if now is None else now
    headers = {
        "Date": formatdate(moment, usegmt=True),
        "Content-Digest": content_digest(body),
        "Acuerdo-Agreement": agreement_hash,
    }
    params: dict[str, str | int] = {
        "created": int(moment),
        "keyid": signer.key_id,
        "alg": "ed25519",
        "nonce": nonce or secrets.token_urlsafe(24),
    }
    value = signature_params(COVERED, params)
    base = signature_base(COVERED, value, method, url, headers)
    signature = base64.b64encode(signer.sign(base)).decode("ascii")
    headers["Signature-Input"] = f"{LABEL}={value}"
    headers["Signature"] = f"{LABEL}=:{signature}:"
    return headers


@dataclass(frozen=True)
class SignedBy:
    """Who signed an accepted request, and its nonce."""

    key_id: str
    nonce: str
    created: int


class NonceCache:
    """Nonces seen within the window (and a margin), so each signature is accepted once."""

    def __init__(self, keep_seconds: float, max_size: int = 100_000) -> None:
        self._keep = keep_seconds
        self._max = max_size
        self._seen: OrderedDict[str, float] = OrderedDict()

    def use(self, nonce: str, now: float) -> bool:
        """Record a nonce; False when it was already used (a replay)."""
        while self._seen and next(iter(self._seen.values())) < now:
            self._seen.popitem(last=False)
        if nonce in self._seen:
            return False
        if len(self._seen) >= self._max:
            self._seen.popitem(last=False)
        self._seen[nonce] = now + self._keep
        return True


def _parse_input(header: str) -> tuple[tuple[str, ...], dict[str, str | int], str]:
    label, sep, value = header.partition("=")
    if not sep or label.strip() != LABEL:
        raise SignatureRefused("format", f"Signature-Input must hold one signature {LABEL!r}")
    value = value.strip()
    m = _TOKEN.match(value)
    if m is None:
        raise SignatureRefused("format", "Signature-Input is not an inner list with parameters")
    components = tuple(c.strip('"') for c in m.group(1).split())
    params: dict[str, str | int] = {}
    for key, raw in _PARAM.findall(m.group(2)):
        params[key] = raw.strip('"') if raw.startswith('"') else int(raw)
    return components, params, value


def _parse_signature(header: str) -> bytes:
    label, sep, value = header.partition("=")
    value = value.strip()
    if not sep or label.strip() != LABEL or not (value.startswith(":") and value.endswith(":")):
        raise SignatureRefused("format", f"Signature must hold one byte sequence {LABEL!r}")
    try:
        return base64.b64decode(value[1:-1], validate=True)
    except ValueError:
        raise SignatureRefused("format", "Signature is not base64") from None


def verify_request(
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes,
    key_for: Callable[[str], bytes | None],
    nonces: NonceCache,
    *,
    window: float,
    now: float | None = None,
) -> SignedBy:
    """Check a request's signature; return who signed it or raise SignatureRefused."""
    lowered = {k.lower(): v for k, v in headers.items()}
    if "signature-input" not in lowered or "signature" not in lowered:
        raise SignatureRefused("unsigned", "node-to-node requests must carry an RFC 9421 signature")
    components, params, value = _parse_input(lowered["signature-input"])
    missing = set(COVERED) - set(components)
    if missing:
        raise SignatureRefused("coverage", f"the signature must cover {sorted(missing)}")
    key_id, nonce, created = params.get("keyid"), params.get("nonce"), params.get("created")
    if not isinstance(key_id, str) or not isinstance(nonce, str) or not isinstance(created, int):
        raise SignatureRefused("format", "the signature needs keyid, nonce and created")
    if params.get("alg", "ed25519") != "ed25519" or not _NONCE.fullmatch(nonce):
        raise SignatureRefused("format", "alg must be ed25519 and the nonce 16-64 url-safe chars")
    if lowered.get("content-digest") != content_digest(body):
        raise SignatureRefused("digest", "Content-Digest does not match the body")
    public_key = key_for(key_id)
    if public_key is None:
        raise SignatureRefused("unknown-key", f"key {key_id} is not a partner node's key")
    base = signature_base(components, value, method, url, headers)
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(
            _parse_signature(lowered["signature"]), base
        )
    except (InvalidSignature, ValueError):
        raise SignatureRefused(
            "bad-signature", f"the signature by key {key_id} does not verify"
        ) from None
    moment = time.time() if now is None else now
    if abs(moment - created) > window:
        raise SignatureRefused("stale", f"the signature was made {int(moment - created)} s ago")
    if not nonces.use(nonce, moment):
        raise SignatureRefused("replay", "this signature's nonce was already used")
    return SignedBy(key_id, nonce, created)

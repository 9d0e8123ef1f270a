"""Reading a pulled page's records and checking their signatures, a page at a time.

Per record the puller reads the envelope (who signed, with which key, over which hash),
checks the owner, and re-runs `prepare` on the body; per page it checks the Ed25519
signatures in one batch in a worker thread. PyNaCl (libsodium) releases the GIL while it
verifies, so the signatures are checked on the other core while this thread prepares the
records; cryptography's Ed25519 holds the GIL, which is why this module does not use it.
Each key a page names is resolved against the partner's certificates once per page, not
once per record (the certificate's root signature is a signature check of its own).
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from nacl.bindings import crypto_sign_open
from nacl.exceptions import BadSignatureError

from acuerdo.federation.verify import Raw
from acuerdo.ledger.canonical import CanonicalError, parse_canonical
from acuerdo.ledger.keys import KeyPurpose, TrustStore, UntrustedKey
from acuerdo.ledger.record import Draft, RecordError, prepare
from acuerdo.ledger.signing import (
    RECORD_SIGNATURE_PREFIX,
    Envelope,
    SignatureError,
    b64url_decode,
)
from acuerdo.ledger.writes import Signed

if TYPE_CHECKING:
    from acuerdo.node import Node

# Below this many signatures a thread's hand-over costs more than it saves.
THREAD_FROM = 32
YIELD_EVERY = 100
_HEX64 = re.compile(r"[0-9a-f]{64}")


class Rejected(Exception):
    """An entry that is not authentic; the message is its quarantine reason."""


@dataclass(frozen=True)
class Claim:
    """One signature to check: the envelope it covers, under the key the envelope names."""

    envelope: bytes
    signature: bytes
    public_key: bytes


def signatures_hold(claims: list[Claim]) -> list[bool]:
    """Whether each signature is the Ed25519 signature of its record-signature message."""
    out = []
    for c in claims:
        if len(c.signature) != 64 or len(c.public_key) != 32:
            out.append(False)
            continue
        try:
            crypto_sign_open(c.signature + RECORD_SIGNATURE_PREFIX + c.envelope, c.public_key)
        except (BadSignatureError, ValueError):
            out.append(False)
        else:
            out.append(True)
    return out


async def check_signatures(claims: list[Claim]) -> list[bool]:
    """`signatures_hold`, in a worker thread when the page is large enough to gain."""
    if len(claims) < THREAD_FROM:
        return signatures_hold(claims)
    return await asyncio.to_thread(signatures_hold, claims)


class PageKeys:
    """The partner's record keys as one page needs them, each resolved once."""

    def __init__(self, trust: TrustStore, partner: str) -> None:
        self.trust = trust
        self.partner = partner
        self.at = datetime.now(UTC)
        self._keys: dict[str, bytes | str] = {}

    def key(self, key_id: str) -> bytes:
        found = self._keys.get(key_id)
        if found is None:
            try:
                found = self.trust.working_key(self.partner, key_id, KeyPurpose.RECORDS, self.at)
            except UntrustedKey as exc:
                found = str(exc)
            self._keys[key_id] = found
        if isinstance(found, str):
            raise Rejected(f"signature: {found}")
        return found


class Envelopes:
    """Reads a page's envelopes: the first of each signing key strictly (`from_bytes`), the
    rest by recognising that first one's bytes around the record hash.

    An envelope equal to a strictly read one but for its 64 lowercase hex digits of record
    hash is canonical too (hex needs no escaping), so it needs no second JSON parse: this is
    the reading side of `sign_many`.
    """

    def __init__(self) -> None:
        self._known: list[tuple[bytes, bytes, Envelope]] = []

    def read(self, data: bytes) -> Envelope:
        for head, tail, template in self._known:
            if (
                len(data) == len(head) + 64 + len(tail)
                and data.startswith(head)
                and data.endswith(tail)
            ):
                digits = data[len(head) : len(head) + 64].decode("ascii", "replace")
                if _HEX64.fullmatch(digits):
                    return _with_hash(template, digits)
        envelope = Envelope.from_bytes(data)
        marker = b'"sha":"' + envelope.record_hash.encode("ascii") + b'"'
        head, found, tail = data.partition(marker)
        if found and len(self._known) < 8:
            self._known.append((head + b'"sha":"', b'"' + tail, envelope))
        return envelope


def _with_hash(template: Envelope, digits: str) -> Envelope:
    """A strictly read envelope with another record hash (checked by the caller), built
    without `dataclasses.replace`, which would check every field again at 10x the cost."""
    clone: Envelope = object.__new__(Envelope)
    clone.__dict__.update(template.__dict__)
    object.__setattr__(clone, "record_hash", digits)
    return clone


def read_envelope(
    e: dict[str, Any], partner: str, raw: Raw, envelopes: Envelopes
) -> tuple[bytes, bytes, Envelope, str]:
    """The entry's envelope and signature bytes, its envelope read, and its text's SHA-256."""
    try:
        envelope, signature, record_hash = raw[e["oseq"]]
    except KeyError:
        try:
            envelope, signature = b64url_decode(e["envelope"]), b64url_decode(e["signature"])
            record_hash = hashlib.sha256(str(e["body"]).encode("utf-8")).hexdigest()
        except (KeyError, TypeError, ValueError) as exc:
            raise Rejected(f"malformed: {exc}") from None
    try:
        origin = envelopes.read(envelope)
    except SignatureError as exc:
        raise Rejected(f"signature: {exc}") from None
    if origin.origin != partner:
        raise Rejected(f"wrong party: signed by {origin.origin}'s node, pulled from {partner}")
    return envelope, signature, origin, record_hash


Applied = dict[tuple[object, ...], tuple[str, ...]]


def _signed(
    node: Node, partner: str, applied: Applied, e: dict[str, Any], envelope: bytes, sig: bytes
) -> Signed:
    """The version a record entry holds (`read_draft`), with the markings this node applies."""
    draft = read_draft(node.party_identities, partner, e)
    return with_markings(node, partner, applied, draft, envelope, sig)


def with_markings(
    node: Node, partner: str, applied: Applied, draft: Draft, envelope: bytes, sig: bytes
) -> Signed:
    """A pulled draft as a version to apply; the default marking follows from type, kind and
    markings, so it is decided once per page for each."""
    facts = (draft.object_type, draft.kind, draft.markings)
    marks = applied.get(facts)
    if marks is None:
        marks = applied[facts] = node.applied_markings(draft)
    return Signed(draft, envelope, sig, partner, None, marks)


def read_draft(party_identities: frozenset[str], partner: str, e: dict[str, Any]) -> Draft:
    """The record an entry holds, checked as a local write's object is (`prepare`).

    Its text must be canonical: then the bytes the chain (and signature) authenticated are
    the ones stored and hashed, and nothing is read into the value that they do not say.
    """
    try:
        text = str(e["body"])
        body = text.encode("utf-8")
        obj = parse_canonical(text)
    except CanonicalError:
        raise Rejected("malformed: the record bytes are not in canonical form") from None
    except (KeyError, ValueError) as exc:
        raise Rejected(f"malformed: {exc}") from None
    try:
        draft = prepare(
            obj, writer_party=partner, party_identities=party_identities, canonical=body
        )
    except RecordError as exc:
        raise Rejected(f"malformed: {exc}") from None
    if draft.owner not in (partner, ""):
        raise Rejected(f"wrong party: owned by {draft.owner}, pulled from {partner}")
    return draft


def claim_of(
    agreement: str, actual: str, envelope: bytes, sig: bytes, o: Envelope, k: PageKeys
) -> Claim:
    """What must be checked of one record's signature; Rejected for what already fails.

    `actual` is the SHA-256 of the record's text (computed once, by the chain check)."""
    key = k.key(o.key_id)
    if o.agreement_hash != agreement:
        raise Rejected(
            f"signature: signed under agreement {o.agreement_hash}, expected {agreement}"
        )
    if actual != o.record_hash:
        raise Rejected(
            f"signature: record hash {actual} does not match signed hash {o.record_hash}"
        )
    return Claim(envelope, sig, key)


async def read_records(
    node: Node,
    partner: str,
    entries: list[dict[str, Any]],
    trust: TrustStore | None,
    raw: Raw | None = None,
) -> list[Signed | Rejected]:
    """Each record entry, in order, as a version to apply or the reason it is not authentic.

    With `trust` None (verification off) the chain alone authenticates the records. `raw`
    holds what the chain check already decoded and hashed of each entry, by sequence.
    """
    raw = raw or {}
    agreement = node.agreement.hash
    envelopes = Envelopes()
    keys = PageKeys(trust, partner) if trust is not None else None
    read: list[tuple[bytes, bytes, Envelope] | Rejected] = []
    claims: list[Claim] = []
    claimed: list[int] = []
    for i, e in enumerate(entries):
        try:
            envelope, sig, origin, record_hash = read_envelope(e, partner, raw, envelopes)
            if keys is not None:
                claims.append(claim_of(agreement, record_hash, envelope, sig, origin, keys))
                claimed.append(i)
            read.append((envelope, sig, origin))
        except Rejected as exc:
            read.append(exc)
    checking = asyncio.ensure_future(check_signatures(claims))
    out: list[Signed | Rejected] = []
    applied: Applied = {}
    try:
        for i, (e, r) in enumerate(zip(entries, read, strict=True)):
            if i and not i % YIELD_EVERY:
                # A page read ahead shares the event loop with the writer applying the one
                # before: let it go on between slices, so its database thread is kept busy.
                await asyncio.sleep(0)
            try:
                out.append(
                    r if isinstance(r, Rejected) else _signed(node, partner, applied, e, *r[:2])
                )
            except Rejected as exc:
                out.append(exc)
    finally:
        held = await checking
    for i, ok in zip(claimed, held, strict=True):
        if not ok and not isinstance(out[i], Rejected):
            key_id = read[i][2].key_id  # type: ignore[index]
            out[i] = Rejected(f"signature: bad signature by key {key_id}")
    return out

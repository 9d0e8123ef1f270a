"""A record version as the ledger sees it: checked, canonical, keyed, ready to sign.

Turning an incoming object into a `Draft` is the one place where the data model's rules of
identity live: who owns the id, what its version key is, what it refers to and how it is
marked. Every channel that takes objects in goes through `prepare`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from acuerdo.ledger import stix, types, typeschemas
from acuerdo.ledger.canonical import canonicalize, sha256_hex
from acuerdo.ledger.frozen import quick_init
from acuerdo.markings import MarkingError, parse_marking_definition
from acuerdo.release import RecordKind


class RecordError(ValueError):
    """The object cannot be a record version; the message says which rule it breaks."""


@quick_init
@dataclass(frozen=True)
class Draft:
    """A checked record version before signing."""

    obj: Mapping[str, Any]
    object_type: str
    object_id: str
    owner: str  # "" for objects owned by no one (SCOs, marking and extension definitions)
    holder: str
    version_key: str
    kind: RecordKind
    body: bytes  # RFC 8785 canonical bytes
    sha256: str
    markings: frozenset[str]
    refs: frozenset[str]
    revoked: bool


def version_key(obj: Mapping[str, Any], body: bytes) -> str:
    """`modified`, else `created`, else the SHA-256 of the canonical bytes.

    Timestamps become microsecond instants, so `.1Z` and `.100Z` give the same key. Keys sort
    so that the greatest is the current version whatever order versions arrived in.
    """
    for prop in ("modified", "created"):
        if prop in obj:
            return "t:" + stix.format_instant(stix.parse_timestamp(obj[prop], prop))
    return "h:" + sha256_hex(body)


def prepare(
    obj: Any,
    *,
    writer_party: str,
    party_identities: frozenset[str] = frozenset(),
    canonical: bytes | None = None,
) -> Draft:
    """Check an object against STIX's common rules and its type's schema; key it.

    `writer_party` is the party whose node takes the object in: the owner of a new owned
    object and the holder of an unowned one. Ownership against earlier versions is checked
    by the writer, which sees the ledger. `canonical` is the object's canonical bytes when
    the caller already holds them checked (a pulled record's text, `parse_canonical`), so
    they are not written again.
    """
    if not isinstance(obj, Mapping):
        raise RecordError("a record must be a JSON object")
    try:
        otype, oid = stix.check_id(obj)
        if not types.is_known_type(otype):
            raise RecordError(
                f"unknown record type {otype!r}: not a STIX 2.1 type nor an acuerdo record type"
            )
        if otype != "marking-definition" and obj.get("spec_version") != "2.1":
            raise RecordError("spec_version must be '2.1'")
        if len(oid) > stix.MAX_ID_LENGTH:
            raise RecordError(f"id is longer than {stix.MAX_ID_LENGTH} characters")
        referred = stix.check_common(obj)
        if otype == "marking-definition":
            try:
                parse_marking_definition(obj)
            except MarkingError as exc:
                raise RecordError(f"{oid}: {exc}") from None
        created = modified = None
        if "created" in obj:
            created = stix.parse_timestamp(obj["created"], "created")
        if "modified" in obj:
            modified = stix.parse_timestamp(obj["modified"], "modified")
        if created and modified and modified < created:
            raise RecordError("modified must not be earlier than created")
        if otype in types.BY_NAME:
            errors = typeschemas.schema_errors(obj)
            if errors:
                raise RecordError(f"{otype} fails its schema: " + "; ".join(errors[:10]))
        markings = stix.marking_refs(obj)
        revoked = obj.get("revoked", False)
        if not isinstance(revoked, bool):
            raise RecordError("revoked must be true or false")
    except stix.StixError as exc:
        raise RecordError(str(exc)) from None
    try:
        if canonical is not None:
            body = canonical
        else:
            body = canonicalize(obj if type(obj) is dict else dict(obj))
    except ValueError as exc:
        raise RecordError(f"cannot canonicalise: {exc}") from None
    owner = "" if otype in types.UNOWNED_TYPES else writer_party
    refs = referred - {oid}
    return Draft(
        obj=obj,
        object_type=otype,
        object_id=oid,
        owner=owner,
        holder=writer_party,
        version_key=version_key(obj, body),
        kind=types.kind_of(otype, oid, party_identities),
        body=body,
        sha256=sha256_hex(body),
        markings=markings,
        refs=refs,
        revoked=revoked,
    )

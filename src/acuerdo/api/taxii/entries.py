"""A version as TAXII serves it: its stored bytes, date added and manifest record (spec 5.3)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from acuerdo.api.taxii.collections import CollectionView
from acuerdo.api.taxii.filters import Filters
from acuerdo.ledger.reader import StoredVersion

STIX_MEDIA = "application/stix+json;version=2.1"


@dataclass(frozen=True, slots=True)
class Entry:
    """One version in a collection. `seq` orders pages and never leaves the node."""

    seq: int
    object_id: str
    object_type: str
    version_key: str
    body: bytes  # RFC 8785 canonical bytes, served as stored
    date_added: str  # when this node appended the version
    origin: str
    applied_markings: tuple[str, ...]
    revoked: bool
    owner: str  # "" for objects owned by no one (cyber observables)

    @classmethod
    def of(cls, v: StoredVersion) -> Entry:
        return cls(
            v.seq, v.object_id, v.object_type, v.version_key, v.body, v.received_at,
            v.origin, v.applied_markings, v.revoked, v.owner,
        )  # fmt: skip

    @property
    def version(self) -> str:
        """`modified`, else `created`; objects with neither are versioned by date added."""
        return self.version_key[2:] if self.version_key.startswith("t:") else self.date_added

    def manifest(self) -> dict[str, Any]:
        return {
            "id": self.object_id,
            "date_added": self.date_added,
            "version": self.version,
            "media_type": STIX_MEDIA,
        }

    def spec_version(self) -> str:
        """STIX 2.1 objects say so; only a TLP 1.0 marking definition may omit it (2.0).

        Read from the canonical bytes without parsing: no STIX 2.1 property nests a
        `spec_version` member, so the one occurrence is the object's own.
        """
        return "2.1" if b'"spec_version":"2.1"' in self.body else "2.0"

    def marking_ids(self) -> set[str]:
        parsed = json.loads(self.body)
        found = set(parsed.get("object_marking_refs", ()))
        granular = parsed.get("granular_markings", ())
        found.update(g["marking_ref"] for g in granular if "marking_ref" in g)
        found.update(self.applied_markings)
        return found


def in_view(e: Entry, view: CollectionView) -> bool:
    """Does the collection show this version (type, origin, marking)?"""
    if view.types and e.object_type not in view.types:
        return False
    if view.origins and e.origin not in view.origins:
        return False
    return not view.markings or not view.markings.isdisjoint(e.marking_ids())


def passes(e: Entry, f: Filters, bounds: tuple[str, str] | None) -> bool:
    """The request's filters; `bounds` are the first and last version keys the user sees."""
    if f.added_after is not None and e.date_added <= f.added_after:
        return False
    if f.ids and e.object_id not in f.ids:
        return False
    if f.types and e.object_type not in f.types:
        return False
    if f.spec_versions != {"2.0", "2.1"} and e.spec_version() not in f.spec_versions:
        return False
    if f.all_versions:
        return True
    if e.version_key in f.versions:
        return True
    if bounds is None:
        return False
    first, last = bounds
    return ("first" in f.versions and e.version_key == first) or (
        "last" in f.versions and e.version_key == last
    )

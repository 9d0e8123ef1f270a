"""TAXII 2.1 URL parameters: added_after, limit, next and the match[] filters (spec 3.4, 3.5).

Each endpoint admits its own subset; a parameter it does not admit, a malformed value or an
empty list is a 400 naming the parameter, never silently ignored (a client that filters on a
misspelt field would otherwise receive everything).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Final

from starlette.datastructures import QueryParams

from acuerdo.api.taxii.media import TaxiiError
from acuerdo.ledger.stix import ID_RE, TYPE_RE, StixError, format_instant, parse_timestamp

OBJECTS: Final = frozenset(
    {"added_after", "limit", "next", "match[id]", "match[type]", "match[version]",
     "match[spec_version]"}
)  # fmt: skip
OBJECT: Final = frozenset({"added_after", "limit", "next", "match[version]", "match[spec_version]"})
VERSIONS: Final = frozenset({"added_after", "limit", "next", "match[spec_version]"})
DELETE: Final = frozenset({"match[version]", "match[spec_version]"})
MAX_LIST = 100  # values in one match[] filter
SPEC_VERSIONS: Final = frozenset({"2.0", "2.1"})


@dataclass(frozen=True)
class Filters:
    """The parsed parameters of one request; `versions` holds first/last/all/version keys."""

    added_after: str | None = None  # as stored ("...%fZ"): compared as text
    ids: frozenset[str] = frozenset()
    types: frozenset[str] = frozenset()
    versions: frozenset[str] = frozenset({"last"})
    spec_versions: frozenset[str] = frozenset({"2.1"})
    limit: int = 100
    next: str | None = None

    @property
    def last_only(self) -> bool:
        return self.versions == {"last"}

    @property
    def all_versions(self) -> bool:
        return "all" in self.versions

    def fingerprint(self) -> str:
        """What a `next` cursor is bound to: the same filters, or the cursor is refused."""
        text = "|".join(
            [
                self.added_after or "",
                ",".join(sorted(self.ids)),
                ",".join(sorted(self.types)),
                ",".join(sorted(self.versions)),
                ",".join(sorted(self.spec_versions)),
            ]
        )
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def _values(params: QueryParams, name: str) -> list[str]:
    raw = params.getlist(name)
    if len(raw) > 1:
        raise TaxiiError(400, f"{name} is given {len(raw)} times; give it once, comma-separated")
    values = [v.strip() for v in raw[0].split(",")]
    if not all(values):
        raise TaxiiError(400, f"{name} has an empty value")
    if len(values) > MAX_LIST:
        raise TaxiiError(400, f"{name} lists more than {MAX_LIST} values")
    return values


def _timestamp(value: str, name: str) -> str:
    try:
        return format_instant(parse_timestamp(value, name))
    except StixError as exc:
        raise TaxiiError(400, f"{name}: {exc}") from None


def _version(value: str) -> str:
    if value in ("first", "last", "all"):
        return value
    return "t:" + _timestamp(value, "match[version]")


def _limit(params: QueryParams, default: int, largest: int) -> int:
    raw = _values(params, "limit")[0]
    if not raw.isdigit() or int(raw) < 1:
        raise TaxiiError(400, f"limit must be a positive integer, not {raw[:20]!r}")
    return min(int(raw), largest)


def parse_filters(
    params: QueryParams, allowed: frozenset[str], *, default_limit: int, largest_limit: int
) -> Filters:
    """Parse and check the parameters an endpoint admits."""
    unknown = sorted(set(params.keys()) - allowed)
    if unknown:
        raise TaxiiError(
            400, f"unsupported parameter {unknown[0]!r} here; this endpoint takes "
            f"{', '.join(sorted(allowed)) or 'no parameters'}",
        )  # fmt: skip
    f: dict[str, object] = {"limit": default_limit}
    if "added_after" in params:
        f["added_after"] = _timestamp(_values(params, "added_after")[0], "added_after")
    if "limit" in params:
        f["limit"] = _limit(params, default_limit, largest_limit)
    if "next" in params:
        f["next"] = _values(params, "next")[0]
    if "match[id]" in params:
        ids = _values(params, "match[id]")
        bad = [i for i in ids if not ID_RE.match(i)]
        if bad:
            raise TaxiiError(400, f"match[id]: {bad[0][:80]!r} is not a STIX id '<type>--<uuid>'")
        f["ids"] = frozenset(ids)
    if "match[type]" in params:
        types = _values(params, "match[type]")
        bad = [t for t in types if not TYPE_RE.match(t)]
        if bad:
            raise TaxiiError(400, f"match[type]: {bad[0][:80]!r} is not a STIX type name")
        f["types"] = frozenset(types)
    if "match[version]" in params:
        f["versions"] = frozenset(_version(v) for v in _values(params, "match[version]"))
    if "match[spec_version]" in params:
        specs = _values(params, "match[spec_version]")
        bad = [s for s in specs if s not in SPEC_VERSIONS]
        if bad:
            raise TaxiiError(400, f"match[spec_version]: {bad[0][:20]!r} is not 2.0 or 2.1")
        f["spec_versions"] = frozenset(specs)
    return Filters(**f)  # type: ignore[arg-type]

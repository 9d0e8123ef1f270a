"""What STIX 2.1 says about every object, whatever its type: ids, timestamps, references.

Checked here so that every channel that takes objects in (API, CLI, TAXII, federation)
refuses the same malformed input with the same message.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

SDO_TYPES = frozenset(
    {
        "attack-pattern", "campaign", "course-of-action", "grouping", "identity", "incident",
        "indicator", "infrastructure", "intrusion-set", "location", "malware",
        "malware-analysis", "note", "observed-data", "opinion", "report", "threat-actor",
        "tool", "vulnerability",
    }
)  # fmt: skip
SRO_TYPES = frozenset({"relationship", "sighting"})
SCO_TYPES = frozenset(
    {
        "artifact", "autonomous-system", "directory", "domain-name", "email-addr",
        "email-message", "file", "ipv4-addr", "ipv6-addr", "mac-addr", "mutex",
        "network-traffic", "process", "software", "url", "user-account",
        "windows-registry-key", "x509-certificate",
    }
)  # fmt: skip
META_TYPES = frozenset({"marking-definition", "extension-definition", "language-content"})

# `\Z`, not `$`: `$` also matches before a final newline, so "indicator\n" was a type.
TYPE_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,248}[a-z0-9]\Z")
# The type part is matched lazily: a greedy one ran over the whole uuid (whose digits and
# hyphens it also matches) and backed off again. One split only can match, as the uuid has
# a fixed length before the end, so the ids matched and their types are the same.
ID_RE = re.compile(
    r"^(?P<type>[a-z0-9][a-z0-9-]+?[a-z0-9])--"
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\Z"
)
_UUID_TAIL_RE = re.compile(r"--[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_TYPE_PART_RE = re.compile(r"[a-z0-9][a-z0-9-]+[a-z0-9]")


def id_type(value: str) -> str | None:
    """The type of a '<type>--<uuid>' id, or None when the text is not one.

    What `ID_RE` matches. The uuid has a fixed length, so the type is whatever precedes its last 38
    characters: two anchored matches instead of the lazy type's trial of every split (~2 us
    an id, and the ledger checks every id it takes in and every reference in it).
    """
    cut = len(value) - 38
    if cut < 3 or _UUID_TAIL_RE.fullmatch(value, cut) is None:
        return None
    otype = value[:cut]
    return otype if _TYPE_PART_RE.fullmatch(otype) is not None else None


TIMESTAMP_RE = re.compile(
    r"^(?P<y>[0-9]{4})-(?P<mo>[0-9]{2})-(?P<d>[0-9]{2})"
    r"T(?P<h>[0-9]{2}):(?P<mi>[0-9]{2}):(?P<s>[0-9]{2})(?:\.(?P<frac>[0-9]+))?Z$"
)


class StixError(ValueError):
    """An object breaks a STIX 2.1 rule; the message names the property and the rule."""


def parse_timestamp(value: object, prop: str) -> datetime:
    """Parse a STIX timestamp ('Z', any sub-second digits) into an aware UTC instant.

    Precision beyond the microsecond is dropped: the design compares versions as instants at
    microsecond precision, so `.1Z` and `.100Z` are the same version.
    """
    if type(value) is str:
        try:
            return _instant(value)
        except ValueError:
            pass  # worded below, with the property's name
    if not isinstance(value, str):
        raise StixError(f"{prop} must be a timestamp string like 2026-01-31T12:00:00Z")
    if TIMESTAMP_RE.match(value) is None:
        raise StixError(f"{prop} {value!r} is not a STIX timestamp (YYYY-MM-DDTHH:MM:SS[.s]Z)")
    raise StixError(f"{prop} {value!r} is not a valid date and time")


@lru_cache(maxsize=4096)
def _instant(value: str) -> datetime:
    """A valid timestamp's instant (ValueError otherwise), remembered: a batch's versions
    share a few timestamps (an import stamps all of its versions alike), each read up to
    three times (created, modified, the version key)."""
    if TIMESTAMP_RE.match(value) is None:
        raise ValueError(value)
    # The form is STIX's (checked above); the C parser then checks ranges (month 13,
    # 30 February) and keeps the first six fraction digits, at a sixth of the cost of
    # building the instant from the groups (a feed's distinct timestamps miss the cache).
    return datetime.fromisoformat(value)


@lru_cache(maxsize=4096)
def format_instant(instant: datetime) -> str:
    """The one textual form of an instant used in version keys: microseconds, 'Z'
    (remembered, as `_instant` is: a batch's versions share a few instants)."""
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def now_timestamp() -> str:
    """Now, as a STIX timestamp with millisecond precision."""
    now = datetime.now(UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


def check_id(obj: Mapping[str, Any]) -> tuple[str, str]:
    """Return (type, id) after checking that the id is '<type>--<uuid>' of the object's type."""
    otype = obj.get("type")
    if not isinstance(otype, str) or not TYPE_RE.match(otype):
        raise StixError("type must be a lowercase STIX type name (a-z, 0-9, '-'), 3-250 chars")
    oid = obj.get("id")
    if not isinstance(oid, str):
        raise StixError("id is required and must be a string '<type>--<uuid>'")
    id_of = id_type(oid)
    if id_of is None:
        raise StixError(f"id {oid!r} is not '<type>--<lowercase uuid>'")
    if id_of != otype:
        raise StixError(f"id {oid!r} does not match type {otype!r}")
    return otype, oid


def iter_refs(value: Any, key: str = "") -> Iterator[str]:
    """Every object id the object refers to (*_ref, *_refs at any depth), markings excluded.

    Marking references are the release gate's business; extension-definition keys inside
    `extensions` are declarations, not references to content.
    """
    if isinstance(value, Mapping):
        for k, v in value.items():
            if k in ("object_marking_refs", "marking_ref", "extensions", "granular_markings"):
                continue
            yield from iter_refs(v, k)
    elif isinstance(value, list):
        if key.endswith("_refs"):
            for item in value:
                if isinstance(item, str):
                    yield item
        else:
            for item in value:
                yield from iter_refs(item, "")
    elif isinstance(value, str) and key.endswith("_ref"):
        yield value


def marking_refs(obj: Mapping[str, Any]) -> frozenset[str]:
    """Object-level and granular marking ids: the most restrictive of all of them wins."""
    found: set[str] = set()
    oml = obj.get("object_marking_refs", [])
    if not isinstance(oml, list) or not all(isinstance(x, str) for x in oml):
        raise StixError("object_marking_refs must be a list of marking-definition ids")
    found.update(oml)
    granular = obj.get("granular_markings", [])
    if not isinstance(granular, list):
        raise StixError("granular_markings must be a list")
    for i, gm in enumerate(granular):
        if not isinstance(gm, Mapping):
            raise StixError(f"granular_markings[{i}] must be an object")
        ref = gm.get("marking_ref")
        if ref is None:
            continue  # a language marking, not a data marking
        if not isinstance(ref, str):
            raise StixError(f"granular_markings[{i}].marking_ref must be a string")
        found.add(ref)
    for ref in found:
        if not ref.startswith("marking-definition--"):
            raise StixError(f"marking reference {ref!r} is not a marking-definition id")
    return frozenset(found)


MAX_ID_LENGTH = 300


_REF_SKIP = frozenset({"extensions", "granular_markings", "object_marking_refs"})
_CONTAINERS = (Mapping, list)


def _path(parts: tuple[str | int, ...]) -> str:
    """'a.b[2].c_ref', the way error messages name a property."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out = f"{out}.{part}" if out else part
    return out


def _check_ref(value: object, where: tuple[str | int, ...]) -> str:
    if not isinstance(value, str) or len(value) > MAX_ID_LENGTH or id_type(value) is None:
        raise StixError(f"{_path(where)} must be a STIX id '<type>--<uuid>'")
    return value


def _refs_in(value: Any, where: tuple[str | int, ...], found: set[str]) -> None:
    """Check that every *_ref holds one id and every *_refs a list of ids, at any depth, and
    gather them (a `marking_ref` is checked, not gathered: markings are the gate's business).

    One walk does both, touching only containers: it runs on every incoming record.
    """
    if isinstance(value, Mapping):
        for k, v in value.items():
            if k in _REF_SKIP:
                continue
            if k.endswith("_ref"):
                ref = _check_ref(v, (*where, k))
                if k != "marking_ref":
                    found.add(ref)
            elif k.endswith("_refs"):
                if not isinstance(v, list):
                    raise StixError(f"{_path((*where, k))} must be a list of STIX ids")
                for i, item in enumerate(v):
                    found.add(_check_ref(item, (*where, k, i)))
            elif isinstance(v, _CONTAINERS):
                _refs_in(v, (*where, k), found)
    else:
        for i, item in enumerate(value):
            if isinstance(item, _CONTAINERS):
                _refs_in(item, (*where, i), found)


_REF_SUFFIXES = ("_ref", "_refs")
_LEAVES = frozenset({str, int, float, bool, type(None)})


def _is_id(value: object) -> bool:
    return type(value) is str and len(value) <= MAX_ID_LENGTH and id_type(value) is not None


def _refs_plain(value: Any, found: set[str]) -> bool:
    """`_refs_in`'s walk over plain dicts and lists, without building paths: False at the
    first doubt (a bad reference, another kind of container), for `_refs_in` to decide and
    word. Nearly every record is plain and valid; exact type tests keep this walk cheap."""
    children: list[Any]
    if type(value) is list:
        children = value
    elif type(value) is dict:
        children = []
        for k, v in value.items():
            if k in _REF_SKIP:
                continue
            if not k.endswith(_REF_SUFFIXES):
                children.append(v)
            elif k[-1] == "f":
                if not _is_id(v):
                    return False
                if k != "marking_ref":
                    found.add(v)
            elif type(v) is list and all(map(_is_id, v)):
                found.update(v)
            else:
                return False
    else:
        return False
    for child in children:
        kind = type(child)
        if kind is dict or kind is list:
            if not _refs_plain(child, found):
                return False
        elif kind not in _LEAVES and isinstance(child, _CONTAINERS):
            return False
    return True


def check_common(obj: Mapping[str, Any]) -> frozenset[str]:
    """STIX 2.1 common properties (section 3.2) of any type, standard or acuerdo's own.

    The JSON Schemas of acuerdo's types say the same; standard types have no schema here, so
    this is what stops a wrongly typed property from being signed into the ledger. Returns
    the ids the object refers to (what `iter_refs` yields), found by the same walk.
    """
    otype = obj.get("type")
    if otype in SDO_TYPES or otype in SRO_TYPES:
        for prop in ("created", "modified"):
            if prop not in obj:
                raise StixError(f"{prop} is required on a {otype}")
    if "labels" in obj and not (
        isinstance(obj["labels"], list) and all(isinstance(x, str) for x in obj["labels"])
    ):
        raise StixError("labels must be a list of strings")
    if "confidence" in obj:
        c = obj["confidence"]
        if (
            isinstance(c, bool)
            or not isinstance(c, int | float)
            or not 0 <= c <= 100
            or c != int(c)
        ):
            raise StixError("confidence must be an integer from 0 to 100")
    if "lang" in obj and not isinstance(obj["lang"], str):
        raise StixError("lang must be a language code string")
    if "extensions" in obj and not isinstance(obj["extensions"], Mapping):
        raise StixError("extensions must be an object keyed by extension id")
    refs = obj.get("external_references")
    if refs is not None:
        if not isinstance(refs, list):
            raise StixError("external_references must be a list of objects")
        for i, ref in enumerate(refs):
            if not isinstance(ref, Mapping) or not isinstance(ref.get("source_name"), str):
                raise StixError(f"external_references[{i}] needs a source_name string")
    found: set[str] = set()
    if not _refs_plain(obj, found):
        found = set()
        _refs_in(obj, (), found)  # raises, naming the property
    return frozenset(found)

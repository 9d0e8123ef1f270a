"""The observable values an intelligence object carries, as correlation keys.

A key is `kind:canonical value`, made by the rules of `identifiers`: `ip:198.51.100.7`,
`domain:xn--bcher-kva.example`, `phone:+595981123456`, `aircraft:ZP-BAB`, `imo:IMO9074729`,
`plate:ABCD123`, `hash:SHA-256:<hex>`, `name:clan rotela`... Observables (SCOs) give their
own values; an indicator gives the values its pattern compares for equality; threat actors,
intrusion sets and identities give their folded names and aliases. Objects that refer to an
observable carry its keys too (see `correlation`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from acuerdo.domains.intel import identifiers as ids
from acuerdo.domains.intel.patterns import PatternError, parse_pattern

MAX_KEY = 400
Normalizer = Callable[[str], "str | None"]


def _hash_key(algo: str, digest: str) -> str | None:
    algo = algo.upper().replace("_", "-")
    return f"{algo}:{digest.lower()}" if digest else None


def _mac(value: str) -> str | None:
    compact = value.lower().replace("-", ":").replace(".", "")
    return compact or None


# (object type, property) -> (kind, normaliser): the values that identify a thing.
VALUE_PROPERTIES: Mapping[tuple[str, str], tuple[str, Normalizer]] = {
    ("ipv4-addr", "value"): ("ip", ids.normalize_ip),
    ("ipv6-addr", "value"): ("ip", ids.normalize_ip),
    ("domain-name", "value"): ("domain", ids.normalize_domain),
    ("url", "value"): ("url", ids.normalize_url),
    ("email-addr", "value"): ("email", ids.normalize_email),
    ("mac-addr", "value"): ("mac", _mac),
    ("acuerdo-phone-number", "value"): ("phone", ids.normalize_phone),
    ("acuerdo-aircraft", "registration"): ("aircraft", ids.normalize_aircraft),
    ("acuerdo-aircraft", "icao24"): ("icao24", str.lower),
    ("acuerdo-vessel", "imo"): ("imo", ids.normalize_imo),
    ("acuerdo-vessel", "mmsi"): ("mmsi", ids.normalize_mmsi),
    ("acuerdo-vehicle", "plate"): ("plate", ids.normalize_plate),
}
HASHED_TYPES = frozenset({"file", "artifact", "x509-certificate"})
NAMED_TYPES = frozenset({"threat-actor", "intrusion-set", "identity"})


def _key(kind: str, value: str) -> str:
    """`kind:value`; a value too long for the index is replaced by its SHA-256."""
    key = f"{kind}:{value}"
    if len(key) <= MAX_KEY:
        return key
    return f"{kind}#sha256:{hashlib.sha256(value.encode('utf-8')).hexdigest()}"


def _value_key(otype: str, prop: str, value: Any) -> str | None:
    rule = VALUE_PROPERTIES.get((otype, prop))
    if rule is None or not isinstance(value, str):
        return None
    kind, normalize = rule
    canonical = normalize(value)
    return None if canonical is None else _key(kind, canonical)


def _pattern_keys(pattern: str) -> Iterator[str]:
    """Values an indicator's pattern compares for equality (or membership), not negated."""
    try:
        parsed = parse_pattern(pattern)
    except PatternError:
        return
    for c in parsed.comparisons:
        if c.negated or c.operator not in ("=", "==", "IN"):
            continue
        values = c.value if c.operator == "IN" else (c.value,)
        for value in values:
            if not isinstance(value, str):
                continue
            if len(c.path) == 2 and c.path[0] == "hashes" and c.object_type in HASHED_TYPES:
                found = _hash_key(str(c.path[1]), value)
                if found is not None:
                    yield _key("hash", found)
            elif len(c.path) == 1:
                key = _value_key(c.object_type, str(c.path[0]), value)
                if key is not None:
                    yield key


def _plate_key(obj: Mapping[str, Any]) -> str | None:
    plate, country = obj.get("plate"), obj.get("country")
    if not isinstance(plate, str):
        return None
    canonical = ids.normalize_plate(plate, country if isinstance(country, str) else None)
    return None if canonical is None else _key("plate", canonical)


def observable_keys(obj: Mapping[str, Any]) -> frozenset[str]:
    """Every correlation key of one object's own content."""
    otype = str(obj.get("type"))
    keys: set[str] = set()
    if otype == "indicator" and obj.get("pattern_type") == "stix":
        pattern = obj.get("pattern")
        if isinstance(pattern, str):
            keys.update(_pattern_keys(pattern))
    elif otype in NAMED_TYPES:
        names = [obj.get("name"), *(obj.get("aliases") or [])]
        for name in names:
            folded = ids.fold_name(name) if isinstance(name, str) else None
            if folded:
                keys.add(_key("name", folded))
    elif otype == "acuerdo-vehicle":
        found = _plate_key(obj)
        if found is not None:
            keys.add(found)
    else:
        for prop in ("value", "registration", "icao24", "imo", "mmsi"):
            key = _value_key(otype, prop, obj.get(prop))
            if key is not None:
                keys.add(key)
        if otype == "autonomous-system" and type(obj.get("number")) is int:
            keys.add(f"asn:{obj['number']}")
    hashes = obj.get("hashes") if otype in HASHED_TYPES else None
    if isinstance(hashes, Mapping):
        for algo, digest in hashes.items():
            if isinstance(digest, str) and (found := _hash_key(str(algo), digest)):
                keys.add(_key("hash", found))
    return frozenset(keys)


def split_key(key: str) -> tuple[str, str]:
    """(kind, value) of a key, for display."""
    kind, sep, value = key.partition(":")
    if not sep:
        kind, _, digest = key.partition("#")
        return kind, f"({digest})"
    return kind, value

"""The property checkers STIX 2.1 objects are built from: small closures, made once.

A checker takes a property's value and returns None when it is valid, or a message. A
message that starts with a sub-path (`[2].source_name: ...` or `.kill_chain_name: ...`)
points inside the value; `validate` joins it to the property name. Checkers are plain
functions chosen per property from a table, so validating an object is one dictionary
lookup and one call per property: no model classes, no exceptions on the valid path.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache
from typing import Any

from acuerdo.ledger.stix import ID_RE, TIMESTAMP_RE, StixError, parse_timestamp

Checker = Callable[[Any], "str | None"]

MAX_INT = 2**53 - 1  # STIX integers; the canonical form rejects larger ones anyway
_DICT_KEY = re.compile(r"^[a-zA-Z0-9_-]{1,250}\Z")
_HEX = re.compile(r"^(?:[0-9a-fA-F]{2})*\Z")
_HASH_FORMATS = {
    "MD5": re.compile(r"^[a-fA-F0-9]{32}\Z"),
    "SHA-1": re.compile(r"^[a-fA-F0-9]{40}\Z"),
    "SHA-256": re.compile(r"^[a-fA-F0-9]{64}\Z"),
    "SHA-512": re.compile(r"^[a-fA-F0-9]{128}\Z"),
    "SHA3-256": re.compile(r"^[a-fA-F0-9]{64}\Z"),
    "SHA3-512": re.compile(r"^[a-fA-F0-9]{128}\Z"),
    "SSDEEP": re.compile(r"^[a-zA-Z0-9/+:.]{1,128}\Z"),
    "TLSH": re.compile(r"^(?:T1)?[a-fA-F0-9]{70}\Z"),
}


def nest(prefix: str, message: str) -> str:
    """Prefix a checker's message with where inside the value it points."""
    if message[:1] in ("[", "."):
        return prefix + message
    return f"{prefix}: {message}"


def string(value: Any) -> str | None:
    if isinstance(value, str):
        return None
    return "must be a string"


def nonempty_string(value: Any) -> str | None:
    if isinstance(value, str) and value:
        return None
    return "must be a non-empty string"


def boolean(value: Any) -> str | None:
    if value is True or value is False:
        return None
    return "must be true or false"


def integer(low: int = -MAX_INT, high: int = MAX_INT) -> Checker:
    def check(value: Any) -> str | None:
        # JSON has one number type: 85.0 is the integer 85 (and canonicalises to 85).
        if type(value) is not int and not (type(value) is float and value.is_integer()):
            return "must be an integer"
        if not low <= value <= high:
            return f"must be an integer from {low} to {high}"
        return None

    return check


def number(low: float, high: float) -> Checker:
    def check(value: Any) -> str | None:
        if type(value) not in (int, float):
            return "must be a number"
        if not low <= value <= high:
            return f"must be a number from {low:g} to {high:g}"
        return None

    return check


@lru_cache(maxsize=8192)
def _timestamp(value: str) -> str | None:
    """Cached: a feed repeats its timestamps (created, modified, valid_from...) a lot."""
    if not TIMESTAMP_RE.match(value):
        return "must be a STIX timestamp like 2026-01-31T12:00:00.000Z"
    try:
        parse_timestamp(value, "")
    except StixError:
        return f"{value!r} is not a valid date and time"
    return None


def clear_cache() -> None:
    """Forget checked timestamps and ids (benchmarks measure checking, not the cache)."""
    _timestamp.cache_clear()
    _id_type.cache_clear()


def timestamp(value: Any) -> str | None:
    if isinstance(value, str) and len(value) < 40:
        return _timestamp(value)
    return "must be a STIX timestamp like 2026-01-31T12:00:00.000Z"


def string_list(value: Any) -> str | None:
    if not isinstance(value, list) or not value:
        return "must be a non-empty list of strings"
    for i, item in enumerate(value):
        if not isinstance(item, str):
            return f"[{i}]: must be a string"
    return None


def one_of(*allowed: str) -> Checker:
    """A closed vocabulary (an enumeration): nothing else is STIX."""
    values = frozenset(allowed)
    shown = ", ".join(sorted(values))

    def check(value: Any) -> str | None:
        if isinstance(value, str) and value in values:
            return None
        return f"{value!r:.60} is not one of: {shown}"

    return check


@lru_cache(maxsize=4096)
def _id_type(value: str) -> str | None:
    """The type of a STIX id, None when it is not one. Cached: the marking and identity
    references of a feed's objects are the same few ids, over and over."""
    m = ID_RE.match(value)
    return None if m is None else m.group("type")


def ref(*types: str) -> Checker:
    """An identifier of one of `types` (any type when none is given)."""
    allowed = frozenset(types)
    shown = " or ".join(sorted(allowed))

    def check(value: Any) -> str | None:
        if not isinstance(value, str) or len(value) > 300:
            return "must be a STIX id '<type>--<uuid>'"
        found = _id_type(value)
        if found is None:
            return f"{value!r:.80} is not a STIX id '<type>--<lowercase uuid>'"
        if allowed and found not in allowed:
            return f"must refer to a {shown}, not a {found}"
        return None

    return check


def ref_list(*types: str, empty: bool = False) -> Checker:
    one = ref(*types)

    def check(value: Any) -> str | None:
        if not isinstance(value, list) or (not value and not empty):
            return "must be a non-empty list of STIX ids"
        for i, item in enumerate(value):
            err = one(item)
            if err is not None:
                return f"[{i}]: {err}"
        return None

    return check


def list_of(item_check: Checker) -> Checker:
    def check(value: Any) -> str | None:
        if not isinstance(value, list) or not value:
            return "must be a non-empty list"
        for i, item in enumerate(value):
            err = item_check(item)
            if err is not None:
                return nest(f"[{i}]", err)
        return None

    return check


def dictionary(value: Any) -> str | None:
    """A STIX dictionary: keys of ASCII letters, digits, '_' and '-', at most 250 long."""
    if not isinstance(value, Mapping) or not value:
        return "must be a non-empty dictionary"
    for key in value:
        if not _DICT_KEY.match(key):
            return f"key {key!r:.60} is not 1-250 of a-z, A-Z, 0-9, '_', '-'"
    return None


def hashes(value: Any) -> str | None:
    """Hashes: algorithm -> digest, the algorithms STIX names checked for their format."""
    err = dictionary(value)
    if err is not None:
        return err
    for algo, digest in value.items():
        if not isinstance(digest, str):
            return f".{algo}: must be a string"
        fmt = _HASH_FORMATS.get(algo)
        if fmt is not None and not fmt.match(digest):
            return f".{algo}: {digest!r:.80} is not a {algo} digest"
    return None


def hex_string(value: Any) -> str | None:
    if isinstance(value, str) and _HEX.match(value):
        return None
    return "must be a hex string (pairs of 0-9, a-f)"


def binary(value: Any) -> str | None:
    if not isinstance(value, str):
        return "must be a base64 string"
    try:
        base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return "is not valid base64"
    return None


def fields(
    props: Mapping[str, Checker], required: Iterable[str] = (), *, open_: bool = False
) -> Checker:
    """A nested object with its own properties (a kill chain phase, a MIME part, ...)."""
    need = tuple(required)

    def check(value: Any) -> str | None:
        if not isinstance(value, Mapping):
            return "must be an object"
        for name in need:
            if name not in value:
                return f".{name}: is required"
        for name, item in value.items():
            chk = props.get(name)
            if chk is None:
                if open_:
                    continue
                return f".{name}: is not a property here"
            err = chk(item)
            if err is not None:
                return nest(f".{name}", err)
        return None

    return check


KILL_CHAIN_PHASES = list_of(
    fields({"kill_chain_name": nonempty_string, "phase_name": nonempty_string},
           ("kill_chain_name", "phase_name"))
)  # fmt: skip

EXTERNAL_REFERENCES = list_of(
    fields(
        {
            "source_name": nonempty_string,
            "description": string,
            "url": string,
            "hashes": hashes,
            "external_id": string,
        },
        ("source_name",),
    )
)

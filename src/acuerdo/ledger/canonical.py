"""Canonical JSON bytes (RFC 8785, JCS) and the strict parser for incoming records.

Every record version is stored, hashed and signed as its canonical bytes, so two nodes must
produce the very same bytes for the same value on any machine. RFC 8785 fixes the form:
no whitespace, object keys sorted by UTF-16 code units, strings escaped minimally, numbers
written as ECMAScript's ``Number.prototype.toString`` writes them.

One documented extension: RFC 8785 treats every number as an IEEE double, which would
silently corrupt integers beyond 2^53 that real STIX cyber-observable fields carry. We write
a Python ``int`` as its exact decimal digits. This equals RFC 8785 wherever RFC 8785 is
defined (|n| <= 2^53) and keeps larger integers intact. A ``float`` always follows
ECMAScript, even when integral: ``1.0`` is ``1`` and ``1e300`` is ``1e+300``.

Speed matters (every write and every received record goes through here), so the common
case is handed to the C JSON encoder: without floats and without object keys outside the
Basic Multilingual Plane, ``json.dumps(sort_keys=True, ensure_ascii=False, compact)`` is
already JCS. One cheap walk decides; anything else goes to the full serialiser below.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from json.encoder import c_make_encoder  # type: ignore[attr-defined]
from json.encoder import encode_basestring as _quote  # C escaper json.dumps itself uses
from typing import Any, TypeAlias

JSONValue: TypeAlias = "bool | int | float | str | list[JSONValue] | dict[str, JSONValue] | None"
#: What canonicalize accepts: JSONValue, read covariantly so that list[dict[str, str]] and
#: tuples pass too (at run time only dict, list and tuple containers are accepted).
JSONInput: TypeAlias = (
    "bool | int | float | str | Sequence[JSONInput] | Mapping[str, JSONInput] | None"
)

#: Deepest nesting canonicalize accepts; deeper values (or cycles) are refused, not recursed.
MAX_CANONICAL_DEPTH = 256

# A character outside the BMP is two UTF-16 code units (a surrogate pair), so its order
# against U+E000..U+FFFF differs between code points and code units.
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
_SURROGATE = re.compile("[\ud800-\udfff]")
# An escape in the JSON text that may decode to a surrogate (\uD800 to \uDFFF); a false
# alarm (an escaped backslash before "ud800") only costs the slow walk.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89abcdefABCDEF]")


class CanonicalError(ValueError):
    """A value or input text that has no canonical form (or is not acceptable JSON)."""


def sha256_hex(data: bytes) -> str:
    """Hex SHA-256, the hash used for record versions, agreements and envelopes."""
    return hashlib.sha256(data).hexdigest()


def canonicalize(value: JSONInput) -> bytes:
    """Return the RFC 8785 canonical UTF-8 bytes of ``value`` (exact big integers).

    Raises CanonicalError for NaN/Infinity, lone surrogates, non-string keys, unsupported
    types and nesting deeper than MAX_CANONICAL_DEPTH.
    """
    try:
        if _ENCODE is not None and _plain(value, 0):
            text = "".join(_ENCODE(value, 0))
            # A key outside the BMP shows in the text as itself (ensure_ascii=False): a text
            # without any such character needs no walk over the keys.
            if text.isascii() or not _ASTRAL.search(text) or not _has_astral_key(value):
                return text.encode("utf-8")
        parts: list[str] = []
        _write(value, parts, 0)
        return "".join(parts).encode("utf-8")
    except UnicodeEncodeError as exc:
        raise CanonicalError("string contains a lone surrogate (not valid Unicode)") from exc
    except ValueError as exc:  # int too long for str(), out-of-range float
        if isinstance(exc, CanonicalError):
            raise
        raise CanonicalError(str(exc)) from exc


def _unsupported(item: object) -> object:
    raise CanonicalError(f"unsupported type {type(item).__name__} in JSON value")


# The C encoder json.dumps uses, built once: keys sorted, no whitespace, strings escaped as
# JCS escapes them, no circular-reference markers (`_plain` bounds the depth instead).
_ENCODE: Callable[[object, int], Sequence[str]] | None = (
    None
    if c_make_encoder is None
    else c_make_encoder(None, _unsupported, _quote, None, ":", ",", True, False, False)
)


def _plain(value: object, depth: int) -> bool:
    """Validate types and depth; say whether the C encoder's output is already JCS.

    It is unless a float occurs (ECMAScript number form) or an object key lies outside the
    Basic Multilingual Plane (UTF-16 order), which the caller checks on the output. Exact
    type tests first: this walk runs on every record and most leaves are strings.
    """
    kind = type(value)
    if kind is not dict and kind is not list and kind is not tuple:
        if isinstance(value, dict | list | tuple):
            kind = dict if isinstance(value, dict) else list
        elif isinstance(value, float):
            return False
        elif value is None or isinstance(value, str | int):
            return True
        else:
            _unsupported(value)
    if depth >= MAX_CANONICAL_DEPTH:
        raise CanonicalError(f"nesting deeper than {MAX_CANONICAL_DEPTH}")
    children: Iterable[object] = value  # type: ignore[assignment]
    if kind is dict:
        for key in children:
            if type(key) is not str and not isinstance(key, str):
                raise CanonicalError(f"object key {key!r} is not a string")
        children = value.values()  # type: ignore[attr-defined]
    for child in children:
        leaf = type(child)
        if leaf is str or leaf is int or leaf is bool or child is None:
            continue
        if not _plain(child, depth + 1):
            return False
    return True


class _NotPlain(Exception):
    """A float or a constant in the text: the C encoder's form of it may not be JCS."""


def _not_plain(_: str) -> object:
    raise _NotPlain


_PLAIN_DECODER = json.JSONDecoder(parse_float=_not_plain, parse_constant=_not_plain)


def parse_canonical(text: str) -> JSONValue:
    """The value of a JSON text that must already be its own canonical form.

    Raises CanonicalError when it is not (or holds what has no canonical form), ValueError
    when it is not JSON. The check is writing the value again as `canonicalize` would; in
    the common case (no float, nothing outside the BMP, shallow) that form is the C
    encoder's, compared directly without `canonicalize`'s walk: a pulled record's text is
    checked this way, once per record.
    """
    try:
        value = _PLAIN_DECODER.decode(text)
        plain = _ENCODE is not None and text.count("{") + text.count("[") < MAX_CANONICAL_DEPTH
    except _NotPlain:
        value, plain = json.loads(text), False
    except RecursionError:
        raise CanonicalError(f"nesting deeper than {MAX_CANONICAL_DEPTH}") from None
    if not text.isascii():
        if _SURROGATE.search(text):
            raise CanonicalError("string contains a lone surrogate (not valid Unicode)")
        plain = plain and not _ASTRAL.search(text)
    if plain and _ENCODE is not None:
        again = "".join(_ENCODE(value, 0))
    else:
        again = canonicalize(value).decode("utf-8")
    if again != text:
        raise CanonicalError("the text is not the canonical form of its value")
    return value  # type: ignore[no-any-return]


def _has_astral_key(value: object) -> bool:
    """Does any object key hold a character outside the BMP (sorted differently in UTF-16)?"""
    if isinstance(value, dict):
        return any(_ASTRAL.search(key) or _has_astral_key(child) for key, child in value.items())
    if isinstance(value, list | tuple):
        return any(_has_astral_key(child) for child in value)
    return False


def _utf16_key(key: str) -> bytes:
    """Sort key for object members: big-endian UTF-16 bytes order as code units do."""
    return key.encode("utf-16-be")


def _write(value: object, out: list[str], depth: int) -> None:
    """Full RFC 8785 serialiser (used when the fast path cannot be trusted)."""
    if depth > MAX_CANONICAL_DEPTH:
        raise CanonicalError(f"nesting deeper than {MAX_CANONICAL_DEPTH}")
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, str):
        out.append(_quote(value))
    elif isinstance(value, int):
        out.append(int.__repr__(value))
    elif isinstance(value, float):
        out.append(format_number(value))
    elif isinstance(value, list | tuple):
        out.append("[")
        for index, child in enumerate(value):
            if index:
                out.append(",")
            _write(child, out, depth + 1)
        out.append("]")
    elif isinstance(value, dict):
        _write_object(value, out, depth)
    else:
        raise CanonicalError(f"unsupported type {type(value).__name__} in JSON value")


def _write_object(value: dict[object, object], out: list[str], depth: int) -> None:
    for key in value:
        if not isinstance(key, str):
            raise CanonicalError(f"object key {key!r} is not a string")
    keys: list[str] = sorted(value, key=_utf16_key)  # type: ignore[arg-type]
    out.append("{")
    for index, key in enumerate(keys):
        if index:
            out.append(",")
        out.append(_quote(key))
        out.append(":")
        _write(value[key], out, depth + 1)
    out.append("}")


def format_number(number: float) -> str:
    """Write a finite double as ECMAScript ``Number.prototype.toString`` does.

    Python's ``repr`` already yields the shortest digits that round-trip (closest to the
    value on ties), which is the digit string ECMAScript requires; only the layout differs.
    """
    if not math.isfinite(number):
        raise CanonicalError(f"{number!r} has no JSON form (NaN and Infinity are refused)")
    if number == 0:
        return "0"  # also -0.0
    if number < 0:
        return "-" + format_number(-number)
    mantissa, _, exponent = float.__repr__(number).partition("e")
    whole, _, fraction = mantissa.partition(".")
    digits = whole + fraction
    # value = 0.<digits> * 10**point
    point = len(whole) + (int(exponent) if exponent else 0)
    stripped = digits.lstrip("0")
    point -= len(digits) - len(stripped)
    digits = stripped.rstrip("0")
    count = len(digits)
    if count <= point <= 21:
        return digits + "0" * (point - count)
    if 0 < point <= 21:
        return digits[:point] + "." + digits[point:]
    if -6 < point <= 0:
        return "0." + "0" * -point + digits
    power = point - 1
    sign = "+" if power >= 0 else "-"
    head = digits[0] + ("." + digits[1:] if count > 1 else "")
    return f"{head}e{sign}{abs(power)}"


class _DuplicateKeys(dict[str, object]):
    """An object whose text repeated a key; parse_json reports it with its path."""

    duplicate: str = ""


# json.loads builds exactly these container types (_DuplicateKeys for a repeated key).
_PARSED_CONTAINERS = frozenset({dict, list, _DuplicateKeys})


def _object_hook(pairs: list[tuple[str, object]]) -> dict[str, object]:
    result = dict(pairs)
    if len(result) == len(pairs):
        return result
    seen: set[str] = set()
    marked = _DuplicateKeys(result)
    for key, _ in pairs:
        if key in seen:
            marked.duplicate = key
            break
        seen.add(key)
    return marked


def _refuse_constant(name: str) -> object:
    raise CanonicalError(f"{name} is not allowed in JSON input")


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise CanonicalError(f"number {text} is out of the range of a double")
    return number


def parse_json(data: bytes | str, *, max_depth: int = 64) -> JSONValue:
    """Parse an input record strictly: the bytes must mean exactly one JSON value.

    Refuses non-UTF-8 bytes, a byte-order mark, duplicate object keys, lone surrogates,
    NaN/Infinity (and numbers that overflow a double), and nesting deeper than max_depth,
    each with a message that names where (a JSONPath such as ``$.objects[0]``).
    """
    if isinstance(data, bytes | bytearray):
        try:
            text = bytes(data).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise CanonicalError(
                f"input is not valid UTF-8 (byte {exc.start}: {exc.reason})"
            ) from exc
    else:
        text = data
    if text.startswith("\ufeff"):
        raise CanonicalError("input starts with a byte-order mark; send plain UTF-8")
    try:
        value = json.loads(
            text,
            object_pairs_hook=_object_hook,
            parse_constant=_refuse_constant,
            parse_float=_finite_float,
        )
    except json.JSONDecodeError as exc:
        raise CanonicalError(
            f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from exc
    except RecursionError as exc:
        raise CanonicalError(f"nesting deeper than {max_depth}") from exc
    except CanonicalError:
        raise
    except ValueError as exc:  # e.g. an integer with more digits than int() allows
        raise CanonicalError(f"invalid JSON: {exc}") from exc
    if _may_break_rules(text, value, max_depth):
        _check_parsed(value, max_depth)
    return value  # type: ignore[no-any-return]


def _may_break_rules(text: str, value: object, max_depth: int) -> bool:
    """False when the parsed text surely has no duplicate key, lone surrogate or nesting
    beyond max_depth: a walk of containers only, with no paths, for the valid input every
    write receives. True sends it to `_check_parsed`, which finds and names the problem."""
    if _SURROGATE_ESCAPE.search(text) or max_depth < 1:
        return True
    if not text.isascii() and _SURROGATE.search(text):  # ASCII text holds no surrogate
        return True
    level: list[Any] = [value] if type(value) in _PARSED_CONTAINERS else []
    depth = 0
    while level:
        below: list[Any] = []
        for item in level:
            kind = type(item)
            if kind is _DuplicateKeys:
                return True
            children = item.values() if kind is dict else item
            below += [c for c in children if type(c) in _PARSED_CONTAINERS]
        if below and depth + 1 >= max_depth:
            return True
        level, depth = below, depth + 1
    return False


def _path_text(path: tuple[str | int, ...]) -> str:
    parts = ["$"]
    for segment in path:
        if isinstance(segment, int):
            parts.append(f"[{segment}]")
        elif segment.isidentifier():
            parts.append(f".{segment}")
        else:
            parts.append(f"[{json.dumps(segment)}]")
    return "".join(parts)


def _check_parsed(value: object, max_depth: int) -> None:
    """Walk the parsed value once: depth, duplicate keys and lone surrogates, with paths."""
    stack: list[tuple[object, tuple[str | int, ...]]] = [(value, ())]
    while stack:
        item, path = stack.pop()
        if isinstance(item, dict | list) and len(path) >= max_depth:
            raise CanonicalError(f"nesting deeper than {max_depth} at {_path_text(path)}")
        if isinstance(item, _DuplicateKeys):
            raise CanonicalError(
                f"duplicate key {json.dumps(item.duplicate)} in object at {_path_text(path)}"
            )
        if isinstance(item, dict):
            for key, child in item.items():
                if _SURROGATE.search(key):
                    raise CanonicalError(
                        f"object key at {_path_text(path)} contains a lone surrogate"
                    )
                stack.append((child, (*path, key)))
        elif isinstance(item, list):
            stack.extend((child, (*path, index)) for index, child in enumerate(item))
        elif isinstance(item, str) and _SURROGATE.search(item):
            raise CanonicalError(f"string at {_path_text(path)} contains a lone surrogate")

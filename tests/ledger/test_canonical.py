"""Canonical form: agrees with the reference rfc8785 package, and survives the known traps."""

from __future__ import annotations

import json
import math
from enum import IntEnum, StrEnum
from pathlib import Path
from typing import Any

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from acuerdo.ledger.canonical import (
    MAX_CANONICAL_DEPTH,
    CanonicalError,
    JSONValue,
    canonicalize,
    format_number,
    parse_canonical,
    parse_json,
    sha256_hex,
)

VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "canonical.json"
SAFE = 2**53 - 1

# Text without lone surrogates (they are not Unicode and both sides refuse them).
texts = st.text(st.characters(exclude_categories=["Cs"]), max_size=12)
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-SAFE, max_value=SAFE)
    | st.floats(allow_nan=False, allow_infinity=False)
    | texts
)
values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=5) | st.dictionaries(texts, children, max_size=5),
    max_leaves=30,
)


@settings(deadline=None, max_examples=300)
@given(values)
def test_agrees_with_rfc8785_reference(value: Any) -> None:
    assert canonicalize(value) == rfc8785.dumps(value)


@settings(deadline=None, max_examples=300)
@given(st.floats(allow_nan=False, allow_infinity=False))
def test_numbers_agree_with_reference_and_round_trip(number: float) -> None:
    text = format_number(number)
    assert text.encode() == rfc8785.dumps(number)
    assert float(text) == number


@settings(deadline=None, max_examples=200)
@given(values)
def test_parse_of_canonical_bytes_is_a_fixed_point(value: Any) -> None:
    once = canonicalize(value)
    assert canonicalize(parse_json(once)) == once


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1.0, b"1"),
        (-0.0, b"0"),
        (1e21, b"1e+21"),
        (1e20, b"100000000000000000000"),
        (1e-7, b"1e-7"),
        (1e-6, b"0.000001"),
        (1e300, b"1e+300"),
        (5e-324, b"5e-324"),
        (-1.5e-7, b"-1.5e-7"),
        (123.456, b"123.456"),
        (2**53 + 1, b"9007199254740993"),  # exact: our documented extension
        (-(2**64), b"-18446744073709551616"),
        ({"b": [1.0, 2.5], "a": None}, b'{"a":null,"b":[1,2.5]}'),
        ("\u2028\u2029", '"\u2028\u2029"'.encode()),
        ("\x00\x08\t\n\x0c\r\x1f\x7f", b'"\\u0000\\b\\t\\n\\f\\r\\u001f\x7f"'),
        ('"\\/', b'"\\"\\\\/"'),
        (True, b"true"),
    ],
)
def test_traps(value: JSONValue, expected: bytes) -> None:
    assert canonicalize(value) == expected


def test_keys_sort_by_utf16_code_units_not_code_points() -> None:
    # U+FB33 is one code unit 0xFB33; U+1F600 is 0xD83D 0xDE00, which sorts first.
    value: JSONValue = {"\ufb33": 1, "\U0001f600": 2, "a": 3, "\u00e9": 4}
    expected = '{"a":3,"\u00e9":4,"\U0001f600":2,"\ufb33":1}'.encode()
    assert canonicalize(value) == expected
    # Same trap without floats (the fast path must notice the key, not only floats).
    assert canonicalize({"x": value}) == b'{"x":' + expected + b"}"


@pytest.mark.parametrize(
    "value",
    [math.nan, math.inf, -math.inf, [1, {"a": math.nan}]],
)
def test_non_finite_numbers_refused(value: JSONValue) -> None:
    with pytest.raises(CanonicalError):
        canonicalize(value)


@pytest.mark.parametrize(
    "value",
    [{1: "a"}, {"a": b"bytes"}, {"a": {1.5}}, "\ud800", {"\udc00": 1}, [1.5, "\ud800"]],
)
def test_values_without_canonical_form_refused(value: Any) -> None:
    with pytest.raises(CanonicalError):
        canonicalize(value)


def test_cycles_and_excessive_depth_refused() -> None:
    loop: list[Any] = []
    loop.append(loop)
    with pytest.raises(CanonicalError, match="nesting deeper"):
        canonicalize(loop)
    deep: Any = 1
    for _ in range(MAX_CANONICAL_DEPTH + 1):
        deep = [deep]
    with pytest.raises(CanonicalError, match="nesting deeper"):
        canonicalize(deep)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '{"objects":[{"id":"a","id":"b"}]}',
            'duplicate key "id" in object at $.objects[0]',
        ),
        ('{"a":{"x-y":{"k":1,"k":2}}}', 'duplicate key "k" in object at $.a["x-y"]'),
        ('{"s":"\\ud800"}', "string at $.s contains a lone surrogate"),
        ('{"\\udfff":1}', "object key at $ contains a lone surrogate"),
        ("[NaN]", "NaN is not allowed"),
        ("[-Infinity]", "-Infinity is not allowed"),
        ("[1e400]", "out of the range of a double"),
        ("\ufeff{}", "byte-order mark"),
        ("{", "invalid JSON at line 1 column 2"),
        ("[1] [2]", "invalid JSON at line 1 column 5: Extra data"),
    ],
)
def test_parse_refusals_name_the_place(text: str, message: str) -> None:
    with pytest.raises(CanonicalError) as caught:
        parse_json(text)
    assert message in str(caught.value)


def test_parse_refuses_non_utf8_and_deep_input() -> None:
    with pytest.raises(CanonicalError, match="not valid UTF-8"):
        parse_json(b'{"a":"\xff"}')
    with pytest.raises(CanonicalError, match="nesting deeper than 3"):
        parse_json("[[[[1]]]]", max_depth=3)
    assert parse_json("[[[1]]]", max_depth=3) == [[[1]]]
    with pytest.raises(CanonicalError, match="nesting deeper"):
        parse_json("[" * 100_000 + "]" * 100_000)


def test_parse_keeps_big_integers_exact() -> None:
    text = b'{"size":123456789012345678901234567890,"f":1.0,"n":-0}'
    value = parse_json(text)
    assert value == {"size": 123456789012345678901234567890, "f": 1.0, "n": 0}
    assert canonicalize(value) == b'{"f":1,"n":0,"size":123456789012345678901234567890}'


def test_sha256_hex() -> None:
    assert sha256_hex(b"") == ("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")


def test_published_vectors() -> None:
    cases = json.loads(VECTORS.read_text(encoding="utf-8"))["cases"]
    assert len(cases) >= 20
    for case in cases:
        expected = case.get("canonical")
        if expected is None:
            with pytest.raises(CanonicalError):
                canonicalize(parse_json(case["input"]))
        else:
            assert canonicalize(parse_json(case["input"])).decode() == expected, case["name"]


def test_subclasses_and_tuples_serialise_as_their_json_values() -> None:
    class Colour(StrEnum):
        RED = "red"

    class Level(IntEnum):
        HIGH = 3

    value: Any = {"c": Colour.RED, "l": Level.HIGH, "t": (1, "\U0001f600"), "b": True}
    assert canonicalize(value) == '{"b":true,"c":"red","l":3,"t":[1,"\U0001f600"]}'.encode()
    assert canonicalize({**value, "f": 0.5}) == canonicalize(
        {"b": True, "c": "red", "f": 0.5, "l": 3, "t": [1, "\U0001f600"]}
    )


_KEYS = st.sampled_from(["a", "b", "id", "\ud800", "x"])
_STRINGS = st.text(st.characters(min_codepoint=0xD7FE, max_codepoint=0xE001), max_size=3) | st.text(
    max_size=3
)
# Objects as lists of pairs, so that a key may repeat.
_TREES = st.recursive(
    st.none() | st.integers(-5, 5) | _STRINGS,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.lists(st.tuples(_KEYS, inner), max_size=3).map(lambda pairs: ("obj", pairs))
    ),
    max_leaves=12,
)


def _render(tree: Any, ascii_only: bool) -> str:
    if isinstance(tree, tuple):
        return (
            "{"
            + ",".join(f"{_render(k, ascii_only)}:{_render(v, ascii_only)}" for k, v in tree[1])
            + "}"
        )
    if isinstance(tree, list):
        return "[" + ",".join(_render(v, ascii_only) for v in tree) + "]"
    return json.dumps(tree, ensure_ascii=ascii_only)


def _refused_by_the_rules(tree: Any, depth: int, max_depth: int) -> bool:
    """The reference: a repeated key, a lone surrogate, or a container too deep."""
    if isinstance(tree, tuple | list) and depth >= max_depth:
        return True
    if isinstance(tree, tuple):
        keys = [k for k, _ in tree[1]]
        return len(set(keys)) < len(keys) or any(
            _refused_by_the_rules(k, depth + 1, max_depth)
            or _refused_by_the_rules(v, depth + 1, max_depth)
            for k, v in tree[1]
        )
    if isinstance(tree, list):
        return any(_refused_by_the_rules(v, depth + 1, max_depth) for v in tree)
    return isinstance(tree, str) and any(0xD800 <= ord(c) <= 0xDFFF for c in tree)


@settings(deadline=None, max_examples=300)
@given(_TREES, st.booleans(), st.integers(1, 4))
def test_parse_refuses_exactly_what_the_rules_refuse(
    tree: Any, ascii_only: bool, depth: int
) -> None:
    """Valid input takes a quick path; whatever it takes, the verdict is the rules'."""
    text = _render(tree, ascii_only)
    if not ascii_only:
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            text = _render(tree, True)  # a raw surrogate cannot be sent as UTF-8 bytes
    # json.dumps escapes a pair of surrogates as two escapes, which JSON decodes as one
    # character: the reference sees the decoded strings.
    decoded = _decoded(tree)
    refused = _refused_by_the_rules(decoded, 0, depth)
    if refused:
        with pytest.raises(CanonicalError):
            parse_json(text.encode("utf-8"), max_depth=depth)
    else:
        parse_json(text.encode("utf-8"), max_depth=depth)


def _decoded(tree: Any) -> Any:
    if isinstance(tree, tuple):
        return ("obj", [(_decoded(k), _decoded(v)) for k, v in tree[1]])
    if isinstance(tree, list):
        return [_decoded(v) for v in tree]
    if isinstance(tree, str):
        return json.loads(json.dumps(tree))
    return tree


def _reference_parse_canonical(text: str) -> object:
    """What parse_canonical must do: parse, then require the text to be canonicalize's."""
    value = json.loads(text)
    if canonicalize(value) != text.encode("utf-8"):
        raise CanonicalError("not canonical")
    return value


# Texts near canonical: canonical texts of values, and a few edits of them.
_ASTRAL_TEXTS = st.text(st.sampled_from('a\u00e9\ue000\uffff\U0001f600"\\\n'), max_size=4)
_NEAR = st.recursive(
    scalars | _ASTRAL_TEXTS,
    lambda c: st.lists(c, max_size=4) | st.dictionaries(texts | _ASTRAL_TEXTS, c, max_size=4),
    max_leaves=20,
)


@settings(deadline=None, max_examples=400)
@given(_NEAR, st.sampled_from(["", " ", "dup", "1.0", "swap", "ws"]))
def test_parse_canonical_accepts_exactly_canonical_text(value: Any, edit: str) -> None:
    text = canonicalize(value).decode("utf-8")
    if edit == " ":
        text = " " + text
    elif edit == "dup" and text.startswith("{") and text != "{}":
        text = '{"a":1,' + text[1:] if not text.startswith('{"a"') else text
    elif edit == "1.0":
        text = text.replace("0", "0.0", 1).replace("1", "1.0", 1)
    elif edit == "swap" and isinstance(value, dict) and len(value) > 1:
        text = json.dumps(
            dict(reversed(list(value.items()))), separators=(",", ":"), ensure_ascii=False
        )
    elif edit == "ws":
        text = text.replace(",", ", ", 1)
    assert _outcome(parse_canonical, text) == _outcome(_reference_parse_canonical, text), text


def _outcome(parse: Any, text: str) -> tuple[str, object]:
    try:
        return ("value", parse(text))
    except ValueError:
        return ("refused", None)


def test_parse_canonical_refusals() -> None:
    assert parse_canonical('{"a":[1,"b"],"b":null}') == {"a": [1, "b"], "b": None}
    for text in (
        '{"b":1,"a":2}',
        '{"a":1.0}',
        '{"a":1,"a":1}',
        '{"a": 1}',
        '"\\ud800"',
        "NaN",
        "[" * 300 + "]" * 300,
        '{"\\u00e9":1}',
    ):
        with pytest.raises(CanonicalError):
            parse_canonical(text)
    with pytest.raises(ValueError, match="Expecting"):
        parse_canonical('{"a":')

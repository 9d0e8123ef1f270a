"""Our pattern parser accepts and refuses exactly what stix2-patterns (the OASIS one) does.

The corpus covers every operator, observation operator, qualifier, literal kind and object
path form of STIX 2.1 part 9, valid and broken. The reference is only used here, never at
run time.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stix2patterns.validator import validate as reference_validate

from acuerdo.domains.intel.patterns import STAR, PatternError, _Parser, _simple, parse_pattern

SHA256 = "aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f"
VALID = [
    "[ipv4-addr:value = '198.51.100.1/32']",
    "[ipv4-addr:value == '198.51.100.1']",
    "[domain-name:value != 'example.com']",
    "[domain-name:value <> 'example.com']",
    "[file:size > 1024]", "[file:size >= +0]", "[file:size < -1]", "[file:size <= 1.5]",
    "[file:size > .5]", "[file:size > -0.25]", "[a:b = -0]",
    f"[file:hashes.'SHA-256' = '{SHA256}']",
    f"[file:hashes.sha256 = '{SHA256}']",
    "[file:hashes.'MD5' = 'd41d8cd98f00b204e9800998ecf8427e']",
    "[file:hashes.'x-custom' = 'anything']",
    "[file:name LIKE 'invoice%.pdf']", "[file:name NOT LIKE '%.exe']",
    "[url:value MATCHES '^https?://[a-z]+\\\\.py/']",
    "[network-traffic:dst_ref.value ISSUBSET '10.0.0.0/8']",
    "[network-traffic:dst_ref.value ISSUPERSET '10.1.0.0/16']",
    "[network-traffic:dst_port IN (80, 443, 8080)]", "[a:b IN ()]",
    "[a:b IN ('x', 1, 2.5, true, h'00', b'AAAA', t'2026-01-01T00:00:00Z')]",
    "[a:b NOT IN ('x')]", "[a:b = true]", "[a:b = false]",
    "[a:b = h'00ff10']", "[a:b = h'']", "[a:b = b'AAA=']", "[a:b = b'AA==']",
    "[a:b = t'2026-03-12T10:00:00Z']", "[a:b = t'2026-03-12T10:00:60.123456Z']",
    "[EXISTS windows-registry-key:values]",
    "[file:extensions.'windows-pebinary-ext'.sections[*].entropy > 7.0]",
    "[email-message:to_refs[0].value = 'a@example.com']",
    "[email-message:body_multipart[*].body_raw_ref.name LIKE '%.exe']",
    "[x-custom-type:'quoted-first' = 1]", "[a_b:c_d = 1]",
    "[a:b = 'it\\'s']", "[a:b = 'back\\\\slash']", "[a:b = 'ñandú']",
    "[a:b = 1 AND c:d = 2]", "[a:b = 1 OR c:d = 2 AND e:f = 3]",
    "[(a:b = 1 OR c:d = 2) AND e:f = 3]", "[((a:b = 1))]",
    "[a:b = 1] AND [c:d = 2]", "[a:b = 1] OR [c:d = 2]", "[a:b = 1] FOLLOWEDBY [c:d = 2]",
    "([a:b = 1] AND [c:d = 2]) FOLLOWEDBY [e:f = 3]", "(([a:b = 1]))",
    "[a:b = 1] WITHIN 300 SECONDS", "[a:b = 1] WITHIN 1.5 SECONDS",
    "[a:b = 1] WITHIN +5 SECONDS", "[a:b = 1] REPEATS 5 TIMES", "[a:b = 1] REPEATS 0 TIMES",
    "[a:b = 1] START t'2026-01-01T00:00:00Z' STOP t'2026-02-01T00:00:00.5Z'",
    "[a:b = 1] REPEATS 2 TIMES WITHIN 10 SECONDS",
    "[a:b = 1] WITHIN 10 SECONDS START t'2026-01-01T00:00:00Z' STOP t'2026-01-02T00:00:00Z'",
    "([a:b = 1] WITHIN 1 SECONDS) WITHIN 2 SECONDS",
    "([a:b = 1] OR [c:d = 2]) REPEATS 3 TIMES WITHIN 60 SECONDS",
    "  [a:b = 1]  ", "\t([a:b = 1])", "[a:b = 1] /* comment */ AND [c:d = 2]",
    "[a:b = 1] // trailing comment", "[ a : b . c [ 0 ] = 1 ]",
    "[acuerdo-aircraft:registration = 'ZP-BAB']",
    "[acuerdo-phone-number:value = '+595981123456'] AND [acuerdo-vessel:imo = 'IMO9074729']",
]  # fmt: skip
INVALID = [
    "", "a:b = 1", "ipv4-addr:value = '1.2.3.4'", "[a:b = 1", "a:b = 1]", "[a:b = 1]]",
    "[[a:b = 1]]", "[]", "()", "[a:b]", "[a:b =]", "[a:b = ]", "[:b = 1]", "[a: = 1]",
    "[a:b = 1] AND", "[a:b = 1] FOLLOWEDBY", "AND [a:b = 1]", "[a:b = 1] and [c:d = 2]",
    "[a:b = 1] AND OR [c:d = 2]", "[a:b = 1 AND]", "[a:b = 1 c:d = 2]",
    "[a:b == = 1]", "[a:b != ]", "[a:b ! = 1]", "[a:b !1]", "[a:b < true]",
    "[a:b LIKE 1]", "[a:b MATCHES true]", "[a:b ISSUBSET h'00']", "[a:b IN 1]",
    "[a:b IN (1,)]", "[a:b IN (,1)]", "[a:b IN (1 2)]", "[a:b NOT NOT = 1]", "[NOT a:b = 1]",
    "[EXISTS]", "[EXISTS a]", "[a:b = 012]", "[a:b = 1.]", "[a:b = 1e5]", "[a:b = --1]",
    "[a:b = 'unterminated]", "[a:b = 'bad \\n escape']", "[a:b = \"double\"]",
    "[a:b = h'0']", "[a:b = h'zz']", "[a:b = b'']", "[a:b = b'A']", "[a:b = b'AAAAA']",
    "[a:b = t'2026-13-01T00:00:00Z']", "[a:b = t'2026-01-32T00:00:00Z']",
    "[a:b = t'2026-01-01T24:00:00Z']", "[a:b = t'2026-01-01T00:00:00']",
    "[a:b = t'2026-01-01 00:00:00Z']", "[a:b.c-d = 1]", "[a-b:c-d = 1]", "[a:b.5 = 1]",
    "[a:b[] = 1]", "[a:b[x] = 1]", "[a:b[1.5] = 1]", "[a:b.'c = 1]",
    "[AND:b = 1]", "[a:AND = 1]", "[true:b = 1]", "[a:é = 1]", "[a:b = 1] WITHIN SECONDS",
    "[a:b = 1] WITHIN 5", "[a:b = 1] WITHIN -5 SECONDS", "[a:b = 1] WITHIN 5 SECOND",
    "[a:b = 1] REPEATS TIMES", "[a:b = 1] REPEATS 1.5 TIMES", "[a:b = 1] REPEATS -1 TIMES",
    "[a:b = 1] START t'2026-01-01T00:00:00Z'", "[a:b = 1] START '2026' STOP '2027'",
    "[a:b = 1] WITHIN 1 SECONDS WITHIN 2 SECONDS", "[a:b = 1] REPEATS 2 TIMES REPEATS 3 TIMES",
    "[a:b = 1] START t'2026-01-01T00:00:00Z' STOP t'2026-01-02T00:00:00Z' "
    "START t'2026-01-01T00:00:00Z' STOP t'2026-01-02T00:00:00Z'",
    "WITHIN 5 SECONDS [a:b = 1]", "[a:b = 1] @", "[a:b = 1] # x", "/* c */ [a:b = 1]",
    "// c\n[a:b = 1]", "[a:b = 1] /* unterminated", "[file:hashes.MD5 = 'abc']",
    "[file:hashes.'SHA-256' = 'zz']", "[file:hashes.sha1 = 5]", "[a:b = 1] (c:d = 2)",
    "[a:b = 1] [c:d = 2]", "([a:b = 1]", "[a:b = 1])", "[(a:b = 1]", "[a:b = 1)]",
]  # fmt: skip


def _ours(pattern: str) -> bool:
    try:
        parse_pattern(pattern)
    except PatternError:
        return False
    return True


def _reference(pattern: str) -> bool:
    try:
        return bool(reference_validate(pattern, stix_version="2.1"))
    except Exception:  # the reference raises on a few malformed inputs: a refusal
        return False


@pytest.mark.parametrize("pattern", VALID)
def test_valid_patterns_agree(pattern: str) -> None:
    assert _reference(pattern), "corpus error: the reference refuses it"
    assert _ours(pattern)


@pytest.mark.parametrize("pattern", INVALID)
def test_invalid_patterns_agree(pattern: str) -> None:
    assert not _reference(pattern), "corpus error: the reference accepts it"
    assert not _ours(pattern)


def test_errors_say_where_and_what() -> None:
    with pytest.raises(PatternError) as caught:
        parse_pattern("[file:size > 10] AND [file:name = ]")
    assert caught.value.position == 34
    assert str(caught.value) == "at character 35: expected a literal value, found ']'"
    with pytest.raises(PatternError) as caught:
        parse_pattern("[a:b = 1] WITHIN 1 SECONDS WITHIN 2 SECONDS")
    assert "WITHIN qualifier is repeated" in str(caught.value) and caught.value.position == 27


def test_comparisons_are_extracted_decoded() -> None:
    p = parse_pattern(
        "[file:hashes.'x-h' = 'ab\\'c' AND file:x[*].y[2] IN (1, h'ff')] "
        "FOLLOWEDBY [EXISTS a:b] REPEATS 2 TIMES"
    )
    assert p.observations == 2 and p.qualifiers == ("REPEATS 2 TIMES",)
    first, second, third = p.comparisons
    assert (first.object_type, first.path, first.operator, first.value) == (
        "file",
        ("hashes", "x-h"),
        "=",
        "ab'c",
    )
    assert second.path == ("x", STAR, "y", 2) and second.value == (1, b"\xff")
    assert third.operator == "EXISTS"


# Random token soups: both parsers must agree on each, valid or not.
_PIECES = [
    "[", "]", "(", ")", "a:b", "ipv4-addr:value", "file:hashes.MD5", "x.y", "[0]", "[*]",
    " = ", " != ", " < ", " LIKE ", " IN ", " NOT ", " AND ", " OR ", " FOLLOWEDBY ",
    " EXISTS ", "'s'", "1", "-2", "1.5", "true", "h'0a'", "b'AAAA'",
    "t'2026-01-01T00:00:00Z'", " WITHIN 5 SECONDS", " REPEATS 2 TIMES", ",", "'",
]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), min_size=1, max_size=12))
def test_random_token_sequences_agree(pieces: list[str]) -> None:
    pattern = "".join(pieces)
    assert _ours(pattern) == _reference(pattern), pattern


# The fast path for one-comparison patterns must give what the full parser gives.
_WS = st.sampled_from(["", " ", "\t", "\n", "\x0b", "\u2000"])
_SHAPE = st.tuples(
    _WS, st.sampled_from(["a", "ipv4-addr", "AND", "true", "x-", "_a", "IN", "1a", "a.b"]),
    _WS, st.sampled_from(["value", "AND", "true", "NOT", "c-d", "_x", "hashes", "'q'"]),
    _WS, st.sampled_from(["=", "==", "!=", "<>", "<"]),
    _WS, st.sampled_from(["'x'", "'it\\'s'", "'a\\\\b'", "'a\\nb'", "''", "'open", "'é'", "1"]),
    _WS,
)  # fmt: skip


def _full(text: str) -> object:
    try:
        return _Parser(text).pattern()
    except PatternError:
        return None


@settings(max_examples=400, deadline=None)
@given(_SHAPE)
def test_the_one_comparison_fast_path_agrees_with_the_full_parser(parts: tuple[str, ...]) -> None:
    s0, otype, s1, prop, s2, op, s3, value, s4 = parts
    text = f"{s0}[{s1}{otype}:{prop}{s2}{op}{s3}{value}{s4}]"
    fast = _simple(text)
    if fast is not None:
        assert fast == _full(text), text
    assert _ours(text) == _reference(text), text

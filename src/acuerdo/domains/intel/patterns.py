"""The STIX 2.1 patterning language (STIX 2.1 part 9): a parser of our own, with positions.

The reference implementation (stix2-patterns) is an ANTLR grammar; this is a hand-written
lexer and recursive-descent parser for the same language, about twenty times faster, and it
says where a pattern goes wrong ("at character 17: expected an operator, found 'AN'").
tests/intel/test_patterns.py checks that both accept and refuse the same corpus.

Lexing follows ANTLR's rules: the longest token wins, and on a tie the earlier rule (a
keyword before an identifier). One compiled regular expression does it, its alternatives
ordered so that the first match is the longest. Beyond the grammar, two checks the
reference makes: a qualifier type is not repeated on one observation expression, and a
compared hash of a known algorithm has that algorithm's form.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, NamedTuple

_WS = "[ \t\r\n\x0b\x0c\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+"
_B64 = "[A-Za-z0-9+/]"
_TOKEN = re.compile(
    "|".join(
        (
            f"(?P<WS>{_WS})",
            r"(?P<COMMENT>/\*.*?\*/|//[^\r\n]*)",
            r"(?P<TIMESTAMP>t'[0-9]{4}-(?:0[1-9]|1[012])-(?:0[1-9]|[12][0-9]|3[01])"
            r"T(?:[01][0-9]|2[0-3]):[0-5][0-9]:(?:[0-5][0-9]|60)(?:\.[0-9]+)?Z')",
            r"(?P<HEX>h'(?:[0-9A-Fa-f]{2})*')",
            f"(?P<BINARY>b'(?:{_B64}{{4}})*(?:{_B64}{{4}}|{_B64}{{3}}=|{_B64}{{2}}==)')",
            r"(?P<STRING>'[^'\\]*(?:\\['\\][^'\\]*)*')",
            r"(?P<FLOAT>[+-]?[0-9]*\.[0-9]+)",
            r"(?P<INT>[+-]?(?:0|[1-9][0-9]*))",
            r"(?P<WORD>[a-zA-Z_][a-zA-Z0-9_-]*)",
            r"(?P<OP>==|=|!=|<>|<=|>=|<|>)",
            r"(?P<PUNCT>[:.,()\[\]'+\-^/*])",
            r"(?P<INVALID>.)",
        )
    ),
    re.DOTALL,
)
KEYWORDS = frozenset(
    {
        "AND", "OR", "NOT", "FOLLOWEDBY", "LIKE", "MATCHES", "ISSUPERSET", "ISSUBSET", "EXISTS",
        "LAST", "IN", "START", "STOP", "SECONDS", "WITHIN", "REPEATS", "TIMES",
    }
)  # fmt: skip
_ORDERABLE = frozenset({"INT", "FLOAT", "STRING", "BINARY", "HEX", "TIMESTAMP"})
_PRIMITIVE = _ORDERABLE | {"BOOL"}
_STRING_OPS = frozenset({"LIKE", "MATCHES", "ISSUBSET", "ISSUPERSET"})
_EQUALITY = frozenset({"=", "==", "!=", "<>"})
_ORDER = frozenset({"<", "<=", ">", ">="})
STAR = "*"

# stix2-patterns' check of hash values named in object paths (key: name upper-cased,
# hyphens dropped). MD6 is as lenient as the reference: any value starting with 32 hex digits.
_HASHES = {
    "MD5": r"[a-fA-F0-9]{32}", "MD6": r"[a-fA-F0-9]{32}.*", "RIPEMD160": r"[a-fA-F0-9]{40}",
    "SHA1": r"[a-fA-F0-9]{40}", "SHA224": r"[a-fA-F0-9]{56}", "SHA256": r"[a-fA-F0-9]{64}",
    "SHA384": r"[a-fA-F0-9]{96}", "SHA512": r"[a-fA-F0-9]{128}",
    "SHA3224": r"[a-fA-F0-9]{56}", "SHA3256": r"[a-fA-F0-9]{64}",
    "SHA3384": r"[a-fA-F0-9]{96}", "SHA3512": r"[a-fA-F0-9]{128}",
    "SSDEEP": r"[a-zA-Z0-9/+:.]{1,128}", "WHIRLPOOL": r"[a-fA-F0-9]{128}",
}  # fmt: skip
_HASH_FORMS = {k: re.compile(v, re.DOTALL) for k, v in _HASHES.items()}


class PatternError(ValueError):
    """A pattern that is not STIX 2.1 patterning; `position` is the 0-based character."""

    def __init__(self, message: str, position: int) -> None:
        super().__init__(f"at character {position + 1}: {message}")
        self.position = position


# Named tuples, not frozen dataclasses: as immutable (parsed patterns are cached and shared),
# and built in a third of the time, which counts for an indicator whose pattern is new.
class Comparison(NamedTuple):
    """One comparison: `object_type:path op value` (value as written, decoded)."""

    object_type: str
    path: tuple[str | int, ...]  # property names, list indexes, or STAR
    operator: str  # "=", "!=", "<", "IN", "LIKE", "EXISTS", ...
    negated: bool
    value: Any  # str, int, float, bool, bytes (hex/binary), a timestamp str, or a tuple


class Pattern(NamedTuple):
    """What a parsed pattern holds: its comparisons, in order, and how many observations."""

    comparisons: tuple[Comparison, ...]
    observations: int
    qualifiers: tuple[str, ...]


def _tokens(text: str) -> tuple[list[str], list[str], list[int]]:
    kinds: list[str] = []
    values: list[str] = []
    starts: list[int] = []
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup
        assert kind is not None
        if kind == "WS" or kind == "COMMENT":
            continue
        value = m.group()
        if kind == "WORD":
            if "-" in value:
                kind = "IDENT_H"
            elif value in KEYWORDS:
                kind = value
            elif value == "true" or value == "false":
                kind = "BOOL"
            else:
                kind = "IDENT"
        elif kind == "OP" or kind == "PUNCT":
            kind = value
        kinds.append(kind)
        values.append(value)
        starts.append(m.start())
    kinds.append("EOF")
    values.append("")
    starts.append(len(text))
    return kinds, values, starts


def _unescape(body: str) -> str:
    """A string literal's text between its quotes, its two escapes undone."""
    if "\\" not in body:
        return body
    return body.replace("\\'", "'").replace("\\\\", "\\")


def _unquote(token: str) -> str:
    return _unescape(token[1:-1])


def _literal(kind: str, token: str) -> Any:
    if kind == "STRING":
        return _unquote(token)
    if kind == "INT":
        return int(token)
    if kind == "FLOAT":
        return float(token)
    if kind == "BOOL":
        return token == "true"  # noqa: S105 (a literal, not a secret)
    if kind == "HEX":
        return bytes.fromhex(token[2:-1])
    if kind == "TIMESTAMP":
        return token[2:-1]
    import base64

    return base64.b64decode(token[2:-1])


class _Parser:
    """Recursive descent over the token list; each method mirrors one grammar rule."""

    def __init__(self, text: str) -> None:
        self.kinds, self.values, self.starts = _tokens(text)
        self.i = 0
        self.comparisons: list[Comparison] = []
        self.qualifiers: list[str] = []
        self.observations = 0

    def fail(self, expected: str) -> PatternError:
        kind, value = self.kinds[self.i], self.values[self.i]
        found = "the end of the pattern" if kind == "EOF" else repr(value)
        return PatternError(f"expected {expected}, found {found}", self.starts[self.i])

    def take(self, kind: str, expected: str) -> str:
        if self.kinds[self.i] != kind:
            raise self.fail(expected)
        self.i += 1
        return self.values[self.i - 1]

    def pattern(self) -> Pattern:
        self.observations_expr()
        if self.kinds[self.i] != "EOF":
            raise self.fail("AND, OR, FOLLOWEDBY, a qualifier or the end")
        return Pattern(tuple(self.comparisons), self.observations, tuple(self.qualifiers))

    def observations_expr(self) -> None:
        self.observation_or()
        while self.kinds[self.i] == "FOLLOWEDBY":
            self.i += 1
            self.observation_or()

    def observation_or(self) -> None:
        self.observation_and()
        while self.kinds[self.i] == "OR":
            self.i += 1
            self.observation_and()

    def observation_and(self) -> None:
        self.observation()
        while self.kinds[self.i] == "AND":
            self.i += 1
            self.observation()

    def observation(self) -> None:
        kind = self.kinds[self.i]
        if kind == "[":
            self.i += 1
            self.observations += 1
            self.comparison_or()
            self.take("]", "']' closing the observation expression")
            self.qualifiers_of(simple=True)
        elif kind == "(":
            self.i += 1
            self.observations_expr()
            self.take(")", "')'")
            self.qualifiers_of(simple=False)
        else:
            raise self.fail("'[' or '(' starting an observation expression")

    def qualifiers_of(self, *, simple: bool) -> None:
        seen: set[str] = set()
        while self.kinds[self.i] in ("START", "WITHIN", "REPEATS"):
            kind, at = self.kinds[self.i], self.starts[self.i]
            if simple and kind in seen:
                raise PatternError(f"the {kind} qualifier is repeated", at)
            seen.add(kind)
            self.i += 1
            if kind == "START":
                start = self.take("TIMESTAMP", "a timestamp literal t'...'")
                self.take("STOP", "STOP")
                stop = self.take("TIMESTAMP", "a timestamp literal t'...'")
                self.qualifiers.append(f"START {start} STOP {stop}")
            elif kind == "WITHIN":
                if self.kinds[self.i] not in ("INT", "FLOAT") or self.values[self.i][0] == "-":
                    raise self.fail("a positive number of seconds")
                amount = self.values[self.i]
                self.i += 1
                self.take("SECONDS", "SECONDS")
                self.qualifiers.append(f"WITHIN {amount} SECONDS")
            else:
                count = self.take("INT", "a positive integer")
                if count[0] == "-":
                    self.i -= 1
                    raise self.fail("a positive integer")
                self.take("TIMES", "TIMES")
                self.qualifiers.append(f"REPEATS {count} TIMES")

    def comparison_or(self) -> None:
        self.comparison_and()
        while self.kinds[self.i] == "OR":
            self.i += 1
            self.comparison_and()

    def comparison_and(self) -> None:
        self.prop_test()
        while self.kinds[self.i] == "AND":
            self.i += 1
            self.prop_test()

    def prop_test(self) -> None:
        kind = self.kinds[self.i]
        if kind == "(":
            self.i += 1
            self.comparison_or()
            self.take(")", "')'")
            return
        if kind == "EXISTS":
            self.i += 1
            otype, path = self.object_path()
            self.comparisons.append(Comparison(otype, path, "EXISTS", False, None))
            return
        otype, path = self.object_path()
        negated = self.kinds[self.i] == "NOT"
        if negated:
            self.i += 1
        op = self.kinds[self.i]
        self.i += 1
        if op in _EQUALITY or op in _ORDER:
            allowed = _PRIMITIVE if op in _EQUALITY else _ORDERABLE
            value = self.literal(allowed, "a literal value")
        elif op == "IN":
            value = self.set_literal()
        elif op in _STRING_OPS:
            value = self.literal(frozenset({"STRING"}), "a string literal '...'")
        else:
            self.i -= 1
            raise self.fail("a comparison operator")
        self.comparisons.append(Comparison(otype, path, op, negated, value))
        self.check_hash(path)

    def literal(self, allowed: frozenset[str], expected: str) -> Any:
        kind = self.kinds[self.i]
        if kind not in allowed:
            raise self.fail(expected)
        self.i += 1
        return _literal(kind, self.values[self.i - 1])

    def set_literal(self) -> tuple[Any, ...]:
        self.take("(", "'(' opening a set")
        items: list[Any] = []
        if self.kinds[self.i] == ")":
            self.i += 1
            return ()
        items.append(self.literal(_PRIMITIVE, "a literal value"))
        while self.kinds[self.i] == ",":
            self.i += 1
            items.append(self.literal(_PRIMITIVE, "a literal value"))
        self.take(")", "',' or ')' closing the set")
        return tuple(items)

    def object_path(self) -> tuple[str, tuple[str | int, ...]]:
        if self.kinds[self.i] not in ("IDENT", "IDENT_H"):
            raise self.fail("an object type such as ipv4-addr")
        otype = self.values[self.i]
        self.i += 1
        self.take(":", "':' after the object type")
        kind = self.kinds[self.i]
        if kind not in ("IDENT", "STRING"):
            raise self.fail("a property name")
        path: list[str | int] = [self.prop_name()]
        while True:
            kind = self.kinds[self.i]
            if kind == ".":
                self.i += 1
                if self.kinds[self.i] not in ("IDENT", "STRING"):
                    raise self.fail("a property name (quote names with '-')")
                path.append(self.prop_name())
            elif kind == "[":
                self.i += 1
                path.append(self.list_index())
                self.take("]", "']' closing the list index")
            else:
                return otype, tuple(path)

    def prop_name(self) -> str:
        kind, value = self.kinds[self.i], self.values[self.i]
        self.i += 1
        return _unquote(value) if kind == "STRING" else value

    def list_index(self) -> str | int:
        kind, value = self.kinds[self.i], self.values[self.i]
        if kind == "*":
            self.i += 1
            return STAR
        if kind == "INT":
            if value[0] == "-":
                raise PatternError("a list index must not be negative", self.starts[self.i])
            self.i += 1
            return int(value)
        raise self.fail("a list index (a number or *)")

    def check_hash(self, path: tuple[str | int, ...]) -> None:
        """The reference's hash check: a known algorithm's digest must have its form."""
        last = path[-1]
        if "hashes" not in path or not isinstance(last, str) or last == STAR:
            return
        form = _HASH_FORMS.get(last.upper().replace("-", "").replace("'", ""))
        if form is None:
            return
        token, at = self.values[self.i - 1], self.starts[self.i - 1]
        if self.comparisons[-1].operator == "IN":
            return  # the reference checks the set's text as one value; we check nothing
        if not form.fullmatch(token.replace("'", "")):
            raise PatternError(f"{token[:80]} is not a valid {last} hash", at)


def parse_pattern(text: str) -> Pattern:
    """Parse a STIX 2.1 pattern; raise PatternError saying what is wrong and where.

    Results are cached (a parsed pattern is immutable): ingest parses an indicator's pattern
    to validate it and again, in the same transaction, to index its observables.
    """
    if not isinstance(text, str):
        raise PatternError("a pattern must be a string", 0)
    return _parse(text)


# The shape of most indicators' patterns: one comparison of one property with a string,
# `[type:property = 'value']`. Matched whole by one expression and built directly; anything
# else (and anything this might misread: keywords, other whitespace, comments) goes to the
# full parser. tests/intel/test_intel_patterns.py checks both give the same result.
_SPACE = "[ \t\r\n]*"
_SIMPLE = re.compile(
    f"{_SPACE}\\[{_SPACE}([a-zA-Z_][a-zA-Z0-9_-]*){_SPACE}:{_SPACE}([a-zA-Z_][a-zA-Z0-9_]*)"
    f"{_SPACE}(==|=|!=){_SPACE}'([^'\\\\]*(?:\\\\['\\\\][^'\\\\]*)*)'{_SPACE}\\]{_SPACE}"
)
_RESERVED = KEYWORDS | {"true", "false"}


def _simple(text: str) -> Pattern | None:
    m = _SIMPLE.fullmatch(text)
    if m is None:
        return None
    otype, prop, op, value = m.groups()
    if otype in _RESERVED or prop in _RESERVED:
        return None
    return Pattern((Comparison(otype, (prop,), op, False, _unescape(value)),), 1, ())


@lru_cache(maxsize=4096)
def _parse(text: str) -> Pattern:
    simple = _simple(text)
    if simple is not None:
        return simple
    if len(text) > 100_000:
        raise PatternError("the pattern is longer than 100,000 characters", 100_000)
    at = 0
    while at < len(text) and (text[at] == "(" or text[at].isspace()):
        at += 1
    if not text.startswith("[", at):
        raise PatternError("a pattern starts with '[' (after any '('): brackets are missing", at)
    return _Parser(text).pattern()


def clear_cache() -> None:
    """Forget parsed patterns (benchmarks measure parsing, not the cache)."""
    _parse.cache_clear()


def validate_pattern(text: str) -> list[str]:
    """The problems of a pattern as messages (empty when it is valid)."""
    try:
        parse_pattern(text)
    except PatternError as exc:
        return [str(exc)]
    return []

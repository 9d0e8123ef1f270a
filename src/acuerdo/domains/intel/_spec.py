"""What a type's spec is: required properties, a checker per property, cross-property rules."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from acuerdo.domains.intel._checks import (
    EXTERNAL_REFERENCES,
    Checker,
    boolean,
    dictionary,
    integer,
    one_of,
    ref,
    ref_list,
    string,
    string_list,
    timestamp,
)

# A rule reads the whole object and returns (property, message) pairs.
Rule = Callable[[Mapping[str, Any]], list[tuple[str, str]]]


@dataclass(frozen=True)
class TypeSpec:
    """Everything the validator knows about one STIX type."""

    required: frozenset[str]
    props: Mapping[str, Checker]
    rules: tuple[Rule, ...] = ()
    extensions: Mapping[str, Checker] = field(default_factory=dict)


def _granular_markings(value: Any) -> str | None:
    if not isinstance(value, list) or not value:
        return "must be a non-empty list"
    marking = ref("marking-definition")
    for i, gm in enumerate(value):
        if not isinstance(gm, Mapping):
            return f"[{i}]: must be an object"
        has_ref, has_lang = "marking_ref" in gm, "lang" in gm
        if has_ref == has_lang:
            return f"[{i}]: needs exactly one of marking_ref and lang"
        if has_ref and (err := marking(gm["marking_ref"])) is not None:
            return f"[{i}].marking_ref: {err}"
        if has_lang and not isinstance(gm["lang"], str):
            return f"[{i}].lang: must be a string"
        if (err := string_list(gm.get("selectors"))) is not None:
            return f"[{i}].selectors: {err}"
        for key in gm:
            if key not in ("marking_ref", "lang", "selectors"):
                return f"[{i}].{key}: is not a property of a granular marking"
    return None


def _extensions(value: Any) -> str | None:
    if not isinstance(value, Mapping) or not value:
        return "must be a non-empty object keyed by extension"
    return dictionary(value)


def _spec_version(value: Any) -> str | None:
    return None if value == "2.1" else "must be '2.1'"


def _type(value: Any) -> str | None:
    return None if isinstance(value, str) else "must be a string"


def _id(value: Any) -> str | None:
    return None  # checked first, with the type, by validate


_confidence = integer(0, 100)

# STIX 2.1 section 3.2: common properties of SDOs and SROs.
SDO_COMMON: Mapping[str, Checker] = {
    "type": _type,
    "spec_version": _spec_version,
    "id": _id,
    "created_by_ref": ref("identity"),
    "created": timestamp,
    "modified": timestamp,
    "revoked": boolean,
    "labels": string_list,
    "confidence": _confidence,
    "lang": string,
    "external_references": EXTERNAL_REFERENCES,
    "object_marking_refs": ref_list("marking-definition"),
    "granular_markings": _granular_markings,
    "extensions": _extensions,
}
SDO_REQUIRED = frozenset({"type", "spec_version", "id", "created", "modified"})

# STIX 2.1 section 6.1: common properties of SCOs.
SCO_COMMON: Mapping[str, Checker] = {
    "type": _type,
    "spec_version": _spec_version,
    "id": _id,
    "object_marking_refs": ref_list("marking-definition"),
    "granular_markings": _granular_markings,
    "defanged": boolean,
    "extensions": _extensions,
}
SCO_REQUIRED = frozenset({"type", "id"})


def sdo(required: set[str], props: Mapping[str, Checker], *rules: Rule) -> TypeSpec:
    """A domain or relationship object: the common properties plus its own."""
    return TypeSpec(SDO_REQUIRED | required, {**SDO_COMMON, **props}, rules)


def sco(
    required: set[str],
    props: Mapping[str, Checker],
    *rules: Rule,
    extensions: Mapping[str, Checker] | None = None,
) -> TypeSpec:
    """A cyber observable: the SCO common properties plus its own."""
    return TypeSpec(SCO_REQUIRED | required, {**SCO_COMMON, **props}, rules, extensions or {})


def not_before(early: str, late: str) -> Rule:
    """`late` must not be earlier than `early` (both timestamps, when both are there)."""

    def rule(obj: Mapping[str, Any]) -> list[tuple[str, str]]:
        a, b = obj.get(early), obj.get(late)
        if _both_valid(a, b) and _instant(str(b)) < _instant(str(a)):
            return [(late, f"must not be earlier than {early}")]
        return []

    return rule


def later_than(early: str, late: str) -> Rule:
    """`late` must be strictly later than `early` (STIX says so for valid_until, stop_time)."""

    def rule(obj: Mapping[str, Any]) -> list[tuple[str, str]]:
        a, b = obj.get(early), obj.get(late)
        if _both_valid(a, b) and _instant(str(b)) <= _instant(str(a)):
            return [(late, f"must be later than {early}")]
        return []

    return rule


def at_least_one(*props: str) -> Rule:
    def rule(obj: Mapping[str, Any]) -> list[tuple[str, str]]:
        if any(p in obj for p in props):
            return []
        return [(props[0], f"at least one of {', '.join(props)} is required")]

    return rule


def not_both(a: str, b: str) -> Rule:
    def rule(obj: Mapping[str, Any]) -> list[tuple[str, str]]:
        return [(b, f"must not be present together with {a}")] if a in obj and b in obj else []

    return rule


def requires(prop: str, *needed: str) -> Rule:
    def rule(obj: Mapping[str, Any]) -> list[tuple[str, str]]:
        if prop in obj and not all(n in obj for n in needed):
            return [(prop, f"needs {' and '.join(needed)} too")]
        return []

    return rule


def _both_valid(a: Any, b: Any) -> bool:
    return (
        isinstance(a, str) and isinstance(b, str) and timestamp(a) is None and timestamp(b) is None
    )


def _instant(value: str) -> str:
    """A sortable form of a valid timestamp: fraction padded to microseconds."""
    head, _, frac = value[:-1].partition(".")
    return head + "." + frac.ljust(6, "0")[:6]


OPEN_VOCAB = string  # open vocabularies: any string (the suggested values are advice)
OPEN_VOCAB_LIST = string_list
OPINION = one_of("strongly-disagree", "disagree", "neutral", "agree", "strongly-agree")

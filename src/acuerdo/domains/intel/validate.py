"""The STIX 2.1 validator: every problem of an object, each naming the object and property.

Designed for ingest at thousands of objects a second: a type's spec is a table of checker
functions built once at import, and validating an object is one pass over its properties
(one dict lookup and one call each), then the type's few cross-property rules. Nothing is
parsed into model instances and the valid path raises nothing. An indicator's STIX pattern
is parsed by `acuerdo.domains.intel.patterns`, and its errors give the character position.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from acuerdo.domains.intel._acuerdo import (
    ACUERDO_SCO_SPECS,
    DECLARATIONS,
    EVALUATION,
    SCO_EXTENSION_IDS,
)
from acuerdo.domains.intel._sco import SCO_SPECS
from acuerdo.domains.intel._sdo import SDO_SPECS
from acuerdo.domains.intel._spec import TypeSpec
from acuerdo.domains.intel.patterns import PatternError, parse_pattern
from acuerdo.ledger.stix import ID_RE
from acuerdo.ledger.types import EVALUATION_EXTENSION_ID

SPECS: Mapping[str, TypeSpec] = {**SDO_SPECS, **SCO_SPECS, **ACUERDO_SCO_SPECS}
INTEL_TYPES = frozenset(SPECS)
# `\Z`, not `$` (which also matches before a final newline), as in `ledger.stix`.
_CUSTOM = re.compile(r"^x_[a-z0-9_]{1,248}\Z")
_EXTENSION_ID = re.compile(
    r"^extension-definition--[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\Z"
)
_EXTENSION_TYPES = frozenset(
    {"new-sdo", "new-sco", "new-sro", "property-extension", "toplevel-property-extension"}
)


@dataclass(frozen=True, slots=True)
class Problem:
    """One way an object breaks STIX 2.1: which object, which property (a path), and why."""

    object_id: str
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.path}: " if self.path else ""
        return f"{self.object_id}: {where}{self.message}"


class InvalidStix(ValueError):
    """An object that is not valid STIX 2.1; `problems` lists every reason."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(map(str, problems[:10])))
        self.problems = problems


def _a(otype: str) -> str:
    return ("an " if otype[0] in "aeiou" else "a ") + otype


def _problem(oid: str, prop: str, message: str) -> Problem:
    """Split a checker message that points inside the value into path and reason."""
    if message[:1] in ("[", "."):
        sub, _, reason = message.partition(": ")
        return Problem(oid, prop + sub, reason)
    return Problem(oid, prop, message)


def validate_object(obj: Any) -> list[Problem]:
    """Every problem of one STIX 2.1 SDO, SRO or SCO (acuerdo's observables included).

    Empty when the object is valid. Types this validator does not cover (marking and
    extension definitions, acuerdo's agreement records) get a problem saying so: they are
    checked by `acuerdo.ledger.record.prepare` and the JSON Schemas instead.
    """
    if not isinstance(obj, Mapping):
        return [Problem("(object)", "", "must be a JSON object")]
    oid = obj.get("id")
    name = oid if isinstance(oid, str) and len(oid) <= 300 else "(object without a valid id)"
    otype = obj.get("type")
    spec = SPECS.get(otype) if isinstance(otype, str) else None
    if spec is None or not isinstance(otype, str):
        return [Problem(name, "type", f"{otype!r:.60} is not a STIX 2.1 SDO, SRO or SCO type")]
    problems: list[Problem] = []
    m = ID_RE.match(oid) if isinstance(oid, str) else None
    if m is None:
        problems.append(Problem(name, "id", "must be '<type>--<lowercase uuid>'"))
    elif m.group("type") != otype:
        problems.append(Problem(name, "id", f"does not match type {otype!r}"))
    if not spec.required <= obj.keys():
        for prop in sorted(spec.required - obj.keys()):
            problems.append(Problem(name, prop, f"is required on {_a(otype)}"))
    props = spec.props
    toplevel = False
    for key, value in obj.items():
        check = props.get(key)
        if check is None:
            if _CUSTOM.match(key):
                continue
            problems.append(Problem(name, key, f"is not a property of {_a(otype)}"))
            continue
        message = check(value)
        if message is not None:
            problems.append(_problem(name, key, message))
        elif key == "extensions":
            toplevel = _check_extensions(name, otype, spec, value, problems)
    if toplevel:
        problems = [p for p in problems if not p.message.startswith("is not a property of")]
    for rule in spec.rules:
        for prop, message in rule(obj):
            problems.append(Problem(name, prop, message))
    if otype == "indicator" and isinstance(obj.get("pattern"), str):
        _check_pattern(name, obj, problems)
    return problems


def check_object(obj: Any) -> None:
    """Raise InvalidStix listing every problem of an object that is not valid STIX 2.1."""
    problems = validate_object(obj)
    if problems:
        raise InvalidStix(problems)


def _check_extensions(
    name: str, otype: str, spec: TypeSpec, exts: Mapping[str, Any], problems: list[Problem]
) -> bool:
    """Check each extension; True when one adds top-level properties of its own."""
    toplevel = False
    declared = SCO_EXTENSION_IDS.get(otype)
    if declared is not None and declared not in exts:
        problems.append(
            Problem(name, "extensions", f"must declare {declared} with extension_type new-sco")
        )
    for key, value in exts.items():
        where = f"extensions.{key}"
        check = spec.extensions.get(key) or DECLARATIONS.get(key)
        if key == EVALUATION_EXTENSION_ID:
            check = EVALUATION
        if check is not None:
            if key in DECLARATIONS and key != declared:
                problems.append(Problem(name, where, f"declares another type than {otype}"))
            elif (message := check(value)) is not None:
                problems.append(_problem(name, where, message))
            continue
        if not _EXTENSION_ID.match(key):
            problems.append(
                Problem(name, where, f"is neither a predefined {otype} extension nor an id")
            )
        elif not isinstance(value, Mapping):
            problems.append(Problem(name, where, "must be an object"))
        else:
            kind = value.get("extension_type")
            if kind is not None and kind not in _EXTENSION_TYPES:
                problems.append(
                    Problem(
                        name, where + ".extension_type", f"{kind!r:.40} is not an extension type"
                    )
                )
            toplevel = toplevel or kind == "toplevel-property-extension"
    return toplevel


def _check_pattern(name: str, obj: Mapping[str, Any], problems: list[Problem]) -> None:
    """A STIX-language pattern must parse; other languages are taken as they are."""
    if obj.get("pattern_type") != "stix":
        return
    try:
        parse_pattern(obj["pattern"])
    except PatternError as exc:
        problems.append(Problem(name, "pattern", str(exc)))

"""JSON Schemas of acuerdo's record types: loaded once, checked on every write.

Kept apart from the catalogue of types (types.py) because checking is the hot path of every
write and import, with two validators whose roles must stay clear: jsonschema-rs says
"valid" fast; the reference validator decides and words every refusal. The reference
validator's package is imported on first use: importing jsonschema builds an IRI grammar
(rfc3987-syntax, ~1.8 s of CPU) that a process whose records are all valid, such as the
sheet reader's child, never needs.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

import jsonschema_rs

from acuerdo.ledger.types import BY_NAME, RecordType

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator
    from referencing import Registry


def _load(name: str) -> dict[str, Any]:
    text = resources.files("acuerdo.ledger").joinpath("schemas", name).read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


@cache
def schema(object_type: str) -> dict[str, Any]:
    """The JSON Schema of an acuerdo record type, as shipped (loaded once; do not change it)."""
    return _load(BY_NAME[object_type].schema_file)


@cache
def _registry() -> Registry[Any]:
    from referencing import Registry, Resource

    common = _load("common.json")
    registry: Registry[Any] = Registry().with_resource(
        common["$id"], Resource.from_contents(common)
    )
    return registry


@cache
def validator(object_type: str) -> Draft202012Validator:
    """The compiled JSON Schema validator of an acuerdo record type (compiled once)."""
    from jsonschema import Draft202012Validator

    return Draft202012Validator(schema(object_type), registry=_registry())


@cache
def fast_validator(object_type: str) -> jsonschema_rs.Validator:
    """The same schema compiled by jsonschema-rs: ~50x faster, used to say "valid" only.

    Formats are annotations here as in the reference validator (no format assertion).
    """
    common = _load("common.json")
    registry = jsonschema_rs.Registry([(common["$id"], common)])
    return jsonschema_rs.Draft202012Validator(
        schema(object_type), registry=registry, validate_formats=False
    )


def fast_valid(object_type: str, obj: Mapping[str, Any]) -> bool:
    try:
        return bool(fast_validator(object_type).is_valid(obj))
    except Exception:  # a schema or value it cannot take: the reference validator decides
        return False


def schema_errors(obj: Mapping[str, Any]) -> list[str]:
    """Messages for every way an acuerdo record breaks its JSON Schema (empty when valid).

    The compiled Rust validator answers first; only an object it finds invalid goes to the
    reference validator, whose verdict and wording decide (the two may differ on corner
    cases of regular expressions, so "invalid" is never taken from the fast one alone).
    """
    rtype = BY_NAME[str(obj["type"])]
    if fast_valid(rtype.name, obj):
        return _extension_errors(obj, rtype)
    errors = sorted(validator(rtype.name).iter_errors(obj), key=lambda e: list(e.absolute_path))
    messages = []
    for err in errors:
        where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in err.absolute_path)
        messages.append(f"${where}: {err.message}")
    return messages + _extension_errors(obj, rtype)


def _extension_errors(obj: Mapping[str, Any], rtype: RecordType) -> list[str]:
    messages = []
    ext = obj.get("extensions")
    if isinstance(ext, Mapping):
        decl = ext.get(rtype.extension_id)
        if not (isinstance(decl, Mapping) and decl.get("extension_type") == rtype.extension_type):
            messages.append(
                f"$.extensions: must declare {rtype.extension_id} with extension_type "
                f"{rtype.extension_type}"
            )
    return messages

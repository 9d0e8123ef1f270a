"""STIX validation and pattern parsing: objects/s of ours beside stix2, stix2-validator, pydantic.

    .venv/bin/python bench/stix.py              # full run (a few minutes: the peers are slow)
    .venv/bin/python bench/stix.py --quick      # smaller corpus, fewer repetitions

One corpus of standard STIX 2.1 objects (indicators with STIX patterns, reports, sightings,
relationships, threat actors, observed data, observables...) is validated by:

- ours: `acuerdo.domains.intel.validate.validate_object` (every rule, patterns parsed);
- stix2: `stix2.parse(obj)` (the OASIS Python library; builds objects, checks properties);
- stix2-validator: `validate_instance(obj)` (the OASIS validator, JSON Schemas and rules);
- pydantic: a typed pydantic model of an indicator, `model_validate`, on the indicators
  only: the class of speed the issue names (about 220,000 objects/s), not a STIX check.

Patterns: `parse_pattern` against `stix2patterns.validator.validate` on the same patterns.
Everything in this one process, on one core; the machine is shared, so figures are noisy:
compare the ratios, printed last.
"""

from __future__ import annotations

import argparse
import platform
import time
import uuid
from collections.abc import Callable
from typing import Any

import stix2
from pydantic import BaseModel, ConfigDict, Field
from stix2patterns.validator import validate as reference_pattern
from stix2validator import ValidationOptions, validate_instance

from acuerdo.domains.intel._checks import clear_cache as clear_timestamps
from acuerdo.domains.intel.patterns import clear_cache as clear_patterns
from acuerdo.domains.intel.patterns import parse_pattern
from acuerdo.domains.intel.validate import validate_object

STAMP = "2026-03-12T10:00:00.000Z"
LATER = "2026-03-13T10:00:00.000Z"
GREEN = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
PATTERNS = (
    "[ipv4-addr:value = '198.51.{a}.{b}']",
    "[domain-name:value = 'pista{a}.example.com.py'] OR [url:value = 'https://x{b}.example/']",
    "[file:hashes.'SHA-256' = '{h}'] AND [file:size > {a}]",
    "[network-traffic:dst_port IN (80, 443, {a}) AND network-traffic:src_ref.value "
    "ISSUBSET '10.{a}.0.0/16'] WITHIN 600 SECONDS",
    "[email-addr:value LIKE '%@dominio{a}.com.py'] FOLLOWEDBY "
    "[email-message:subject MATCHES '^envío {b}'] REPEATS 2 TIMES",
)


def _id(otype: str) -> str:
    return f"{otype}--{uuid.uuid4()}"


def _stamp(i: int) -> str:
    """Timestamps vary between groups, so the validator's timestamp cache flatters nothing."""
    return f"2026-{1 + i % 12:02d}-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:00.{i % 1000:03d}Z"


def _sdo(otype: str, i: int, **props: Any) -> dict[str, Any]:
    base = {"type": otype, "spec_version": "2.1", "id": _id(otype), "created": _stamp(i),
            "modified": _stamp(i), "object_marking_refs": [GREEN]}  # fmt: skip
    return base | props


def _pattern(i: int) -> str:
    h = uuid.UUID(int=i).hex * 2
    return PATTERNS[i % len(PATTERNS)].format(a=i % 250, b=i // 250 % 250, h=h)


def corpus(size: int) -> list[dict[str, Any]]:
    """A mix like a trafficking feed: half indicators, then reports, sightings, observables."""
    out: list[dict[str, Any]] = []
    i = 0
    while len(out) < size:
        actor = _sdo("threat-actor", i, name=f"Clan {i}", threat_actor_types=["crime-syndicate"],
                     aliases=[f"C{i}"], first_seen=STAMP)  # fmt: skip
        ip = {"type": "ipv4-addr", "spec_version": "2.1", "id": _id("ipv4-addr"),
              "value": f"198.51.{i % 250}.{i // 250 % 250}"}  # fmt: skip
        observed = _sdo("observed-data", i, first_observed=STAMP, last_observed=LATER,
                        number_observed=1, object_refs=[ip["id"]])  # fmt: skip
        for k in range(5):
            out.append(_sdo("indicator", i, name=f"Ruta {i}-{k}", pattern=_pattern(i * 5 + k),
                            pattern_type="stix", valid_from=STAMP,
                            indicator_types=["malicious-activity"]))  # fmt: skip
        out += [
            actor, ip, observed,
            _sdo("report", i, name=f"Informe {i}", published=STAMP, report_types=["threat-actor"],
                 object_refs=[actor["id"], observed["id"]]),
            _sdo("relationship", i, relationship_type="uses", source_ref=actor["id"],
                 target_ref=_id("infrastructure")),
            _sdo("sighting", i, sighting_of_ref=out[-5]["id"], count=2,
                 observed_data_refs=[observed["id"]]),
            _sdo("location", i, name="Pedro Juan Caballero", country="PY", latitude=-22.55,
                 longitude=-55.73),
        ]  # fmt: skip
        i += 1
    return out[:size]


class Indicator(BaseModel):
    """A typed model of an indicator's properties, for the pydantic figure only."""

    model_config = ConfigDict(extra="forbid")
    type: str
    spec_version: str
    id: str = Field(pattern=r"^indicator--[0-9a-f-]{36}$")
    created: str
    modified: str
    name: str | None = None
    pattern: str
    pattern_type: str
    valid_from: str
    indicator_types: list[str] | None = None
    object_marking_refs: list[str] | None = None


def rate(fn: Callable[[Any], Any], items: list[Any], seconds: float) -> float:
    """Items per second of `fn`, repeated over `items` for at least `seconds`.

    Our caches (parsed patterns, checked timestamps) are cleared before each pass: a pass
    over distinct objects measures checking, not remembering.
    """
    done, start = 0, time.perf_counter()
    while True:
        clear_patterns()
        clear_timestamps()
        for item in items:
            fn(item)
        done += len(items)
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return done / elapsed


def _stix2(obj: dict[str, Any]) -> None:
    stix2.parse(obj, allow_custom=False)


OPTIONS = ValidationOptions(version="2.1")


def _oasis(obj: dict[str, Any]) -> None:
    validate_instance(obj, OPTIONS)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller corpus, shorter runs")
    args = parser.parse_args()
    size, seconds, slow = (1200, 1.0, 120) if args.quick else (6000, 5.0, 600)
    objs = corpus(size)
    assert all(validate_object(o) == [] for o in objs), "the corpus must be valid"
    indicators = [o for o in objs if o["type"] == "indicator"]
    patterns = [o["pattern"] for o in indicators]
    print(f"python {platform.python_version()}, {size} objects ({len(indicators)} indicators)")

    ours = rate(validate_object, objs, seconds)
    ours_ind = rate(validate_object, indicators, seconds)
    model = rate(Indicator.model_validate, indicators, seconds)
    lib = rate(_stix2, objs[:slow], seconds)
    oasis = rate(_oasis, objs[:slow], seconds)
    our_pat = rate(parse_pattern, patterns, seconds)
    ref_pat = rate(reference_pattern, patterns[: slow // 2], seconds)

    rows = [
        ("ours: validate_object, all objects", ours),
        ("ours: validate_object, indicators (pattern parsed)", ours_ind),
        ("pydantic typed model, indicators (no STIX rules)", model),
        ("stix2.parse, all objects", lib),
        ("stix2-validator validate_instance, all objects", oasis),
        ("ours: parse_pattern", our_pat),
        ("stix2-patterns validate", ref_pat),
    ]
    for label, value in rows:
        print(f"{label:55s} {value:>12,.0f} /s")
    print(f"ratio ours / stix2 library      {ours / lib:8.1f} x")
    print(f"ratio ours / stix2-validator    {ours / oasis:8.1f} x")
    print(f"ratio ours / pydantic model     {ours_ind / model:8.2f} x (indicators)")
    print(f"ratio patterns ours / reference {our_pat / ref_pat:8.1f} x")


if __name__ == "__main__":
    main()

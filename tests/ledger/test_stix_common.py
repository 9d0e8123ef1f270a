"""STIX common rules: references gathered and refused alike whatever shape the object has,
timestamps read the same however often they are read."""

from __future__ import annotations

from collections import OrderedDict
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

import pytest

from acuerdo.ledger.stix import StixError, check_common, iter_refs, parse_timestamp

A = "identity--11111111-1111-4111-8111-111111111111"
B = "indicator--22222222-2222-4222-8222-222222222222"
C = "report--33333333-3333-4333-8333-333333333333"
M = "marking-definition--44444444-4444-4444-8444-444444444444"


def _nested() -> dict[str, Any]:
    return {
        "type": "x-test",
        "id": C,
        "created_by_ref": A,
        "object_refs": [B, A],
        "object_marking_refs": [M],
        "granular_markings": [{"marking_ref": M, "selectors": ["name"]}],
        "extensions": {"x_ref": "not checked: a declaration, not a reference"},
        "sections": [{"notes": [{"about_ref": B, "weight": 1.5, "ok": True, "n": None}]}],
    }


def test_refs_are_those_iter_refs_yields_for_every_mapping_kind() -> None:
    obj = _nested()
    expected = frozenset(iter_refs(obj))
    assert expected == {A, B}
    assert check_common(obj) == expected
    assert check_common(MappingProxyType(obj)) == expected
    assert check_common(OrderedDict(obj)) == expected
    inner = OrderedDict(about_ref=C)  # a mapping of another kind, deep inside
    assert check_common(dict(obj, sections=[{"notes": [inner]}])) == {A, B, C}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"created_by_ref": "identity--nope"}, "created_by_ref must be a STIX id"),
        ({"object_refs": B}, "object_refs must be a list of STIX ids"),
        ({"object_refs": [B, 7]}, r"object_refs\[1\] must be a STIX id"),
        ({"sections": [{"notes": [{"about_ref": "x"}]}]}, r"sections\[0\]\.notes\[0\]\.about_ref"),
        ({"sections": [OrderedDict(about_ref=None)]}, r"sections\[0\]\.about_ref must be"),
        ({"granular_markings": [{"marking_ref": "tlp"}]}, None),  # the gate's, checked apart
    ],
)
def test_a_bad_reference_is_refused_naming_where_it_is(
    change: dict[str, Any], message: str | None
) -> None:
    obj = _nested() | change
    if message is None:
        check_common(obj)
        return
    with pytest.raises(StixError, match=message):
        check_common(obj)


def test_a_marking_ref_is_checked_but_not_gathered() -> None:
    obj = {"type": "x-test", "id": C, "parts": [{"marking_ref": M}]}
    assert check_common(obj) == frozenset()
    with pytest.raises(StixError, match=r"parts\[0\]\.marking_ref"):
        check_common({"type": "x-test", "id": C, "parts": [{"marking_ref": "nope"}]})


def test_timestamps_read_alike_and_errors_name_the_property_every_time() -> None:
    assert parse_timestamp("2026-01-31T12:00:00.1Z", "modified") == parse_timestamp(
        "2026-01-31T12:00:00.100Z", "created"
    )
    assert parse_timestamp("2026-01-31T12:00:00Z", "created") == datetime(
        2026, 1, 31, 12, tzinfo=UTC
    )
    for _ in range(2):  # a refusal is never remembered as an instant
        with pytest.raises(StixError, match="modified '2026-02-30T00:00:00Z' is not a valid"):
            parse_timestamp("2026-02-30T00:00:00Z", "modified")
        with pytest.raises(StixError, match="created '2026-01-31' is not a STIX timestamp"):
            parse_timestamp("2026-01-31", "created")
        with pytest.raises(StixError, match="created must be a timestamp string"):
            parse_timestamp(1700000000, "created")

"""The fast schema check never lets through what the reference JSON Schema validator refuses.

Imports validate every record with jsonschema-rs first and fall back to the reference
validator (jsonschema) for anything it finds invalid. The fast check may only ever add
speed: on every generated object both give the same verdict, and messages are the
reference's own.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from acuerdo.ledger import types, typeschemas

PERSON = "acuerdo-covered-person"
EXTENSIONS = {types.BY_NAME[PERSON].extension_id: {"extension_type": "new-sdo"}}
TEXT = st.one_of(
    st.text(max_size=70),
    st.sampled_from(["member-of-force", "USA", "PRY", "bad cat", "x\n", "", "A" * 201]),
)
VALUES = st.one_of(st.none(), st.booleans(), st.integers(), TEXT, st.lists(TEXT, max_size=2))


def _person(**over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "type": PERSON,
        "spec_version": "2.1",
        "id": "acuerdo-covered-person--6f0d8f53-2f0c-5c1e-9d55-3a4f3c0e6b21",
        "created": "2026-07-01T12:00:00.000Z",
        "modified": "2026-07-01T12:00:00.000Z",
        "extensions": EXTENSIONS,
        "party": "USA",
        "category": "member-of-force",
        "service_or_employer": "U.S. Army South",
        "personal_data_ref": "acuerdo-personal-data--6f0d8f53-2f0c-5c1e-9d55-3a4f3c0e6b22",
    }
    return {**base, **over}


def _reference_valid(obj: dict[str, Any]) -> bool:
    validator: Draft202012Validator = typeschemas.validator(PERSON)
    return not list(validator.iter_errors(obj))


@settings(max_examples=200, deadline=None)
@given(
    field=st.sampled_from(
        ["party", "category", "service_or_employer", "rank_or_grade", "arms_authorised", "zz"]
    ),
    value=VALUES,
)
def test_fast_and_reference_verdicts_agree(field: str, value: Any) -> None:
    obj = _person(**{field: value})
    assert (typeschemas.schema_errors(obj) == []) == _reference_valid(obj)
    if typeschemas.fast_valid(PERSON, obj):
        assert _reference_valid(obj)


def test_refusal_messages_are_the_reference_ones() -> None:
    errors = typeschemas.schema_errors(_person(category="Bad Category"))
    assert errors == ["$.category: 'Bad Category' does not match '^[a-z0-9][a-z0-9-]{0,63}$'"]
    assert typeschemas.schema_errors(_person()) == []
    assert typeschemas.schema_errors(_person(extensions={})) == [
        f"$.extensions: must declare {types.BY_NAME[PERSON].extension_id} "
        "with extension_type new-sdo"
    ]

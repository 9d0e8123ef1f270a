"""STIX ids, timestamps as instants, version keys: the fast paths give the reference's answers.

The references are the forms the ledger used before its fast paths: a greedy id expression,
an instant built from the timestamp's parts by hand and formatted with strftime. Version
keys are compared between nodes, so they must not change by one character.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from acuerdo.ledger.record import prepare, version_key
from acuerdo.ledger.stix import (
    ID_RE,
    TYPE_RE,
    StixError,
    format_instant,
    id_type,
    parse_timestamp,
)

GREEDY_ID = re.compile(
    r"^(?P<type>[a-z0-9][a-z0-9-]+[a-z0-9])--"
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\Z"
)
FORM = re.compile(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?Z$")


def reference_instant(text: str) -> datetime | None:
    m = FORM.match(text)
    if m is None:
        return None
    y, mo, d, h, mi, s, frac = m.groups()
    try:
        micro = int((frac or "").ljust(6, "0")[:6])
        return datetime(int(y), int(mo), int(d), int(h), int(mi), int(s), micro, tzinfo=UTC)
    except ValueError:
        return None


digits = st.integers(min_value=0, max_value=99)
timestamps = st.builds(
    lambda y, mo, d, h, mi, s, frac: (
        f"{y:04d}-{mo:02d}-{d:02d}T{h:02d}:{mi:02d}:{s:02d}" + (f".{frac}" if frac else "") + "Z"
    ),
    st.integers(min_value=0, max_value=9999),
    st.integers(min_value=0, max_value=13),
    st.integers(min_value=0, max_value=32),
    st.integers(min_value=0, max_value=25),
    digits,
    st.integers(min_value=0, max_value=61),
    st.text(alphabet="0123456789", max_size=12),
)


@given(timestamps)
def test_parse_timestamp_agrees_with_the_parts(text: str) -> None:
    expected = reference_instant(text)
    if expected is None:
        with pytest.raises(StixError, match="is not a valid date and time"):
            parse_timestamp(text, "modified")
    else:
        parsed = parse_timestamp(text, "modified")
        assert parsed == expected
        assert parsed.tzinfo is UTC


@pytest.mark.parametrize(
    "text",
    ["2026-07-01T12:00:00", "2026-07-01T12:00:00+00:00", "2026-07-01 12:00:00Z",
     "2026-07-01T12:00:00.Z", "26-07-01T12:00:00Z", "2026-07-01T12:00Z", "+2026-07-01T12:00:00Z"],
)  # fmt: skip
def test_other_forms_are_not_stix_timestamps(text: str) -> None:
    with pytest.raises(StixError, match="is not a STIX timestamp"):
        parse_timestamp(text, "created")


@given(
    st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)),
    st.sampled_from([UTC, timezone(timedelta(hours=-3)), timezone(timedelta(hours=5, minutes=30))]),
)
def test_format_instant_writes_what_strftime_writes(naive: datetime, zone: timezone) -> None:
    instant = naive.replace(tzinfo=zone)
    assert format_instant(instant) == instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@given(
    st.one_of(st.none(), st.sampled_from(["2026-07-01T12:00:00Z", "2026-07-01T12:00:00.1Z"])),
    st.one_of(st.none(), st.sampled_from(["2026-07-01T12:00:00.100Z", "2027-01-01T00:00:00Z"])),
)
def test_prepare_keys_a_version_as_version_key_does(
    created: str | None, modified: str | None
) -> None:
    obj: dict[str, object] = {
        "type": "ipv4-addr", "spec_version": "2.1",
        "id": "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd", "value": "198.51.100.7",
    }  # fmt: skip
    if created:
        obj["created"] = created
    if modified:
        obj["modified"] = modified
    draft = prepare(obj, writer_party="USA")
    assert draft.version_key == version_key(obj, draft.body)


uuids = st.uuids().map(str)
id_texts = st.one_of(
    st.builds(lambda t, u: f"{t}--{u}", st.text(alphabet="ab0-", min_size=1, max_size=12), uuids),
    st.builds(
        lambda t, u, tail: f"{t}--{u}{tail}",
        st.sampled_from(["indicator", "x-a--b", "a-", "-a", "ab"]),
        uuids,
        st.sampled_from(["", "\n", "-", "0", "--"]),
    ),
    st.text(alphabet="abf09-\n", max_size=60),
)


@given(id_texts)
def test_id_expression_matches_what_the_greedy_one_matched(text: str) -> None:
    ours, reference = ID_RE.match(text), GREEDY_ID.match(text)
    assert (ours is None) == (reference is None)
    if ours is not None and reference is not None:
        assert ours.group("type") == reference.group("type")


@given(id_texts)
def test_id_type_is_the_id_expression_over_the_whole_text(text: str) -> None:
    """`id_type` (the ledger's check) agrees with `ID_RE` (the API's): the same ids and
    types."""
    found = ID_RE.match(text)
    assert id_type(text) == (None if found is None else found.group("type"))


def test_a_trailing_newline_makes_no_type_and_no_id() -> None:
    """`$` would match before a final newline: every id and type check refuses one."""
    oid = f"indicator--{uuid.uuid4()}"
    assert ID_RE.match(oid) is not None and TYPE_RE.match("indicator") is not None
    assert ID_RE.match(oid + "\n") is None and id_type(oid + "\n") is None
    assert TYPE_RE.match("indicator\n") is None

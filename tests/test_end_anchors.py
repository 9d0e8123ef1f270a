"""A value followed by a newline is not the value: every check by pattern refuses it.

Python's `$` also matches just before a final newline, so `re.match(r"^[a-z]+$", "abc\\n")`
succeeds; the checks below end their patterns with `\\Z` instead. Each case takes a value
that passes and the same value with a newline after it, through the public check.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from acuerdo.agreement.fieldtypes import HandlingCode, IsoDate, RecordType, Slug, Timestamp
from acuerdo.domains.intel.identifiers import normalize_mmsi, normalize_plate
from acuerdo.domains.intel.validate import validate_object
from acuerdo.users import UserError, add_user
from conftest import make_node

STAMP = "2026-01-01T00:00:00.000Z"


@pytest.mark.parametrize(
    ("field", "good"),
    [
        (Slug, "usa-pry-2025"),
        (IsoDate, "2026-01-01"),
        (Timestamp, "2026-01-01T00:00:00Z"),
        (HandlingCode, "NOFORN"),
        (RecordType, "acuerdo-movement"),
    ],
)
def test_agreement_fields(field: Any, good: str) -> None:
    adapter: TypeAdapter[str] = TypeAdapter(field)
    assert adapter.validate_python(good) == good
    with pytest.raises(ValidationError):
        adapter.validate_python(good + "\n")


def _file(hashes: dict[str, str]) -> dict[str, object]:
    return {
        "type": "file",
        "spec_version": "2.1",
        "id": f"file--{uuid.uuid4()}",
        "name": "manifest.pdf",
        "hashes": hashes,
    }


def _mac(value: str) -> dict[str, object]:
    return {
        "type": "mac-addr",
        "spec_version": "2.1",
        "id": f"mac-addr--{uuid.uuid4()}",
        "value": value,
    }


@pytest.mark.parametrize(
    ("make", "good"),
    [
        (lambda v: _file({"SHA-256": v}), "ab" * 32),
        (lambda v: _file({"MD5": v}), "cd" * 16),
        (lambda v: _file({"x_hash": "ab", v: "ab"}), "x_hash_2"),  # a dictionary key
        (_mac, "00:1a:2b:3c:4d:5e"),
    ],
)
def test_intel_properties(make: Callable[[str], dict[str, object]], good: str) -> None:
    assert validate_object(make(good)) == []
    assert validate_object(make(good + "\n")) != []


def test_intel_identifiers() -> None:
    # An MMSI drops spaces only; plates and aircraft marks drop surrounding blanks on purpose.
    assert normalize_mmsi("775 123 456") == "775123456"
    assert normalize_mmsi("775123456\n") is None
    assert normalize_plate(" ABCD123\n", "PY") == normalize_plate("ABCD123", "PY") == "ABCD123"


@pytest.mark.asyncio
async def test_user_names(tmp_path: Path) -> None:
    node = await make_node(tmp_path, None)
    try:
        engine = node.engines.writer
        agency = node.agreement.party(node.party).agencies[0].id
        with pytest.raises(UserError, match="user name must be"):
            await add_user(engine, party="USA", name="registrar\n", agency=agency,
                           roles=["registrar"], password=None)  # fmt: skip
        user = await add_user(engine, party="USA", name="registrar", agency=agency,
                              roles=["registrar"], password=None)  # fmt: skip
        assert user.name == "registrar"
    finally:
        await node.close()

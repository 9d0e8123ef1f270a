"""Constrained scalar types of the agreement file, each with a message that says what is expected.

Pydantic's own pattern errors quote a regular expression; a Joint Committee clerk fixing a
file needs "expected an ISO date such as 2025-12-15" instead.
"""

from __future__ import annotations

import base64
import binascii
import re
from datetime import date, datetime
from functools import cache
from importlib import resources
from typing import Annotated, Literal

from pydantic import AfterValidator

from acuerdo.agreement.facts import PARTY_REFS
from acuerdo.agreement.yamlnodes import read_yaml

_SLUG = re.compile(r"^[a-z0-9]+(?:[-.][a-z0-9]+)*\Z")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}\Z")
_TIMESTAMP = re.compile(
    r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?(?:Z|[+-]\d{2}:\d{2})\Z"
)
_B64URL = re.compile(r"^[A-Za-z0-9_-]+\Z")
_HANDLING = re.compile(r"^[A-Z0-9][A-Z0-9-]*\Z")
_RECORD_TYPE = re.compile(r"^(?:[a-z][a-z0-9-]*|\*[a-z][a-z0-9-]*\*)\Z")

#: Roles acuerdo grants within an agency.
Role = Literal["admin", "registrar", "approver", "analyst", "verifier", "viewer"]
Tlp = Literal["clear", "green", "amber", "amber+strict", "red"]
Channel = Literal["api", "taxii", "stream", "federation", "export"]
Unit = Literal["calendar-days", "business-days", "hours", "minutes", "percent", "count"]
TIME_UNITS = frozenset({"calendar-days", "business-days", "hours", "minutes"})


@cache
def iso_country_codes() -> frozenset[str]:
    """The ISO 3166-1 alpha-3 codes, read once from the data file shipped with the package."""
    text = (resources.files("acuerdo.agreement") / "profiles" / "_iso3166-alpha3.yaml").read_text(
        encoding="utf-8"
    )
    data = read_yaml(text).data
    if not isinstance(data, dict) or not isinstance(data.get("codes"), dict):
        raise RuntimeError("the shipped ISO 3166 table is damaged")
    return frozenset(data["codes"])


def _non_empty(value: str) -> str:
    if not value.strip():
        raise ValueError("expected a non-empty text")
    return value


def _slug(value: str) -> str:
    if not _SLUG.match(value):
        raise ValueError("expected an identifier of lower-case letters, digits, '-' and '.'")
    return value


def _country(value: str) -> str:
    if value not in iso_country_codes():
        raise ValueError(
            f"expected an ISO 3166-1 alpha-3 country code (such as BRA), not {value!r}"
        )
    return value


def _party_ref(value: str) -> str:
    if value in PARTY_REFS:
        return value
    try:
        return _country(value)
    except ValueError:
        raise ValueError(
            f"expected $host, $sending or a party's ISO 3166-1 alpha-3 code, not {value!r}"
        ) from None


def _iso_date(value: str) -> str:
    try:
        if not _DATE.match(value):
            raise ValueError
        date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"expected an ISO date such as 2025-12-15, not {value!r}") from None
    return value


def _timestamp(value: str) -> str:
    try:
        if not _TIMESTAMP.match(value):
            raise ValueError
        datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(
            f"expected an RFC 3339 timestamp such as 2026-01-01T00:00:00Z, not {value!r}"
        ) from None
    return value


def _ed25519_key(value: str) -> str:
    try:
        if not _B64URL.match(value):
            raise ValueError
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (ValueError, binascii.Error):
        raise ValueError("expected base64url without padding") from None
    if len(raw) != 32:
        raise ValueError(f"expected a 32-byte Ed25519 public key, got {len(raw)} bytes")
    return value


def _handling_code(value: str) -> str:
    if not _HANDLING.match(value):
        raise ValueError("expected an upper-case handling code such as H2")
    return value


def _record_type(value: str) -> str:
    if not _RECORD_TYPE.match(value):
        raise ValueError("expected a record type name or a class such as *intel*")
    return value


Text = Annotated[str, AfterValidator(_non_empty)]
Slug = Annotated[str, AfterValidator(_slug)]
CountryCode = Annotated[str, AfterValidator(_country)]
PartyRef = Annotated[str, AfterValidator(_party_ref)]
IsoDate = Annotated[str, AfterValidator(_iso_date)]
Timestamp = Annotated[str, AfterValidator(_timestamp)]
Ed25519Key = Annotated[str, AfterValidator(_ed25519_key)]
HandlingCode = Annotated[str, AfterValidator(_handling_code)]
RecordType = Annotated[str, AfterValidator(_record_type)]

"""acuerdo's own observables and its evaluation extension, as the validator checks them.

STIX has no object for an aircraft, a ship, a vehicle or a phone number, which is what
trafficking intelligence is about. Each is a new SCO type declared by an extension
definition that acuerdo ships (ids fixed once, never changed); the JSON Schemas in
ledger/schemas/ say the same for other tools.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from acuerdo.domains.intel import identifiers as ids
from acuerdo.domains.intel._checks import Checker, fields, nonempty_string, one_of, string
from acuerdo.domains.intel._spec import TypeSpec, at_least_one, sco
from acuerdo.ledger.types import RECORD_TYPES

SCO_EXTENSION_IDS: Mapping[str, str] = {
    t.name: t.extension_id for t in RECORD_TYPES if t.extension_type == "new-sco"
}
_COUNTRY = re.compile(r"^[A-Z]{2}\Z")
_ICAO24 = re.compile(r"^[0-9a-f]{6}\Z")


def _normalised(normalize: Callable[[str], str | None], what: str) -> Checker:
    def check(value: Any) -> str | None:
        if not isinstance(value, str):
            return "must be a string"
        if normalize(value) is None:
            return f"{value!r:.60} is not {what}"
        return None

    return check


def _country(value: Any) -> str | None:
    if isinstance(value, str) and _COUNTRY.match(value):
        return None
    return "must be an ISO 3166-1 alpha-2 country code like PY"


def _icao24(value: Any) -> str | None:
    if isinstance(value, str) and _ICAO24.match(value):
        return None
    return "must be a 24-bit ICAO aircraft address as 6 lower-case hex digits"


def _phone(value: Any) -> str | None:
    if not isinstance(value, str) or not value.startswith("+"):
        return "must be a phone number in E.164 form, like +595981123456"
    if ids.normalize_phone(value) != value:
        return f"{value!r:.40} is not a possible number in E.164 form (+, digits only)"
    return None


_DECLARATION = fields({"extension_type": one_of("new-sco")}, ("extension_type",))


ACUERDO_SCO_SPECS: dict[str, TypeSpec] = {
    "acuerdo-aircraft": sco(
        {"registration", "extensions"},
        {
            "registration": _normalised(ids.normalize_aircraft, "an aircraft registration mark"),
            "icao24": _icao24,
            "aircraft_type": string,
            "serial_number": string,
            "country": _country,
        },
    ),
    "acuerdo-vessel": sco(
        {"extensions"},
        {
            "imo": _normalised(ids.normalize_imo, "an IMO number with a valid check digit"),
            "mmsi": _normalised(ids.normalize_mmsi, "a nine-digit MMSI"),
            "name": nonempty_string,
            "call_sign": string,
            "flag": _country,
        },
        at_least_one("imo", "mmsi", "name"),
    ),
    "acuerdo-vehicle": sco(
        {"plate", "extensions"},
        {
            "plate": _normalised(ids.normalize_plate, "a vehicle plate (5-8 letters and digits)"),
            "country": _country,
            "make": string,
            "model": string,
            "colour": string,
            "vin": string,
        },
    ),
    "acuerdo-phone-number": sco({"value", "extensions"}, {"value": _phone, "carrier": string}),
}
DECLARATIONS: Mapping[str, Checker] = {
    ext_id: _DECLARATION for ext_id in SCO_EXTENSION_IDS.values()
}

# Admiralty (NATO AJP-2.1) grading: how reliable the source, how credible the information.
EVALUATION = fields(
    {
        "extension_type": one_of("property-extension"),
        "source_reliability": one_of("A", "B", "C", "D", "E", "F"),
        "information_credibility": one_of("1", "2", "3", "4", "5", "6"),
    },
    ("extension_type", "source_reliability", "information_credibility"),
)

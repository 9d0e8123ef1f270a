"""STIX 2.1 domain and relationship objects (sections 4 and 5), property by property."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from acuerdo.domains.intel._checks import (
    KILL_CHAIN_PHASES,
    boolean,
    dictionary,
    integer,
    nonempty_string,
    number,
    ref,
    ref_list,
    string,
    string_list,
    timestamp,
)
from acuerdo.domains.intel._sco import ACUERDO_SCO_TYPES
from acuerdo.domains.intel._spec import (
    OPEN_VOCAB,
    OPEN_VOCAB_LIST,
    OPINION,
    TypeSpec,
    at_least_one,
    later_than,
    not_before,
    not_both,
    sdo,
)
from acuerdo.ledger.stix import SCO_TYPES, SDO_TYPES

_NAME = {"name": nonempty_string, "description": string}
_SEEN = {"first_seen": timestamp, "last_seen": timestamp}
_seen_order = not_before("first_seen", "last_seen")
_COUNT = integer(0, 999_999_999)


def _location_rules(obj: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Section 4.11: a region, a country, or a latitude and longitude; precision needs both."""
    out: list[tuple[str, str]] = []
    has_lat, has_long = "latitude" in obj, "longitude" in obj
    if has_lat != has_long:
        out.append(("latitude" if has_lat else "longitude", "latitude and longitude go together"))
    if "precision" in obj and not (has_lat and has_long):
        out.append(("precision", "needs latitude and longitude"))
    if not ("region" in obj or "country" in obj or (has_lat and has_long)):
        out.append(("region", "one of region, country, or latitude and longitude is required"))
    return out


def _malware_name(obj: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Section 4.12: a malware family must have a name."""
    if obj.get("is_family") is True and "name" not in obj:
        return [("name", "is required when is_family is true")]
    return []


def _relationship_type(value: Any) -> str | None:
    if isinstance(value, str) and value and all(c.isalnum() or c == "-" for c in value):
        return None if value == value.lower() else "must be lower case"
    return "must be a relationship type of a-z, 0-9 and '-'"


_CAN_RELATE = tuple(SDO_TYPES | SCO_TYPES | ACUERDO_SCO_TYPES)
_SIGHTABLE = tuple(SDO_TYPES)

SDO_SPECS: dict[str, TypeSpec] = {
    "attack-pattern": sdo(
        {"name"}, {**_NAME, "aliases": string_list, "kill_chain_phases": KILL_CHAIN_PHASES}
    ),
    "campaign": sdo(
        {"name"},
        {**_NAME, "aliases": string_list, **_SEEN, "objective": string},
        _seen_order,
    ),
    "course-of-action": sdo({"name"}, {**_NAME, "action": dictionary}),
    "grouping": sdo(
        {"context", "object_refs"},
        {
            "name": nonempty_string,
            "description": string,
            "context": OPEN_VOCAB,
            "object_refs": ref_list(),
        },
    ),
    "identity": sdo(
        {"name"},
        {
            **_NAME,
            "roles": string_list,
            "identity_class": OPEN_VOCAB,
            "sectors": OPEN_VOCAB_LIST,
            "contact_information": string,
        },
    ),
    "incident": sdo({"name"}, {**_NAME, "kill_chain_phases": KILL_CHAIN_PHASES}),
    "indicator": sdo(
        {"pattern", "pattern_type", "valid_from"},
        {
            "name": nonempty_string,
            "description": string,
            "indicator_types": OPEN_VOCAB_LIST,
            "pattern": nonempty_string,
            "pattern_type": OPEN_VOCAB,
            "pattern_version": string,
            "valid_from": timestamp,
            "valid_until": timestamp,
            "kill_chain_phases": KILL_CHAIN_PHASES,
        },
        later_than("valid_from", "valid_until"),
    ),
    "infrastructure": sdo(
        {"name"},
        {
            **_NAME,
            "infrastructure_types": OPEN_VOCAB_LIST,
            "aliases": string_list,
            "kill_chain_phases": KILL_CHAIN_PHASES,
            **_SEEN,
        },
        _seen_order,
    ),
    "intrusion-set": sdo(
        {"name"},
        {
            **_NAME,
            "aliases": string_list,
            **_SEEN,
            "goals": string_list,
            "resource_level": OPEN_VOCAB,
            "primary_motivation": OPEN_VOCAB,
            "secondary_motivations": OPEN_VOCAB_LIST,
        },
        _seen_order,
    ),
    "location": sdo(
        set(),
        {
            "name": nonempty_string,
            "description": string,
            "latitude": number(-90.0, 90.0),
            "longitude": number(-180.0, 180.0),
            "precision": number(0.0, 1e12),
            "region": OPEN_VOCAB,
            "country": nonempty_string,
            "administrative_area": string,
            "city": string,
            "street_address": string,
            "postal_code": string,
        },
        _location_rules,
    ),
    "malware": sdo(
        {"is_family"},
        {
            **_NAME,
            "malware_types": OPEN_VOCAB_LIST,
            "is_family": boolean,
            "aliases": string_list,
            "kill_chain_phases": KILL_CHAIN_PHASES,
            **_SEEN,
            "operating_system_refs": ref_list("software"),
            "architecture_execution_envs": OPEN_VOCAB_LIST,
            "implementation_languages": OPEN_VOCAB_LIST,
            "capabilities": OPEN_VOCAB_LIST,
            "sample_refs": ref_list("file", "artifact"),
        },
        _seen_order,
        _malware_name,
    ),
    "malware-analysis": sdo(
        {"product"},
        {
            "product": nonempty_string,
            "version": string,
            "host_vm_ref": ref("software"),
            "operating_system_ref": ref("software"),
            "installed_software_refs": ref_list("software"),
            "configuration_version": string,
            "modules": string_list,
            "analysis_engine_version": string,
            "analysis_definition_version": string,
            "submitted": timestamp,
            "analysis_started": timestamp,
            "analysis_ended": timestamp,
            "result_name": string,
            "result": OPEN_VOCAB,
            "analysis_sco_refs": ref_list(*SCO_TYPES, *ACUERDO_SCO_TYPES),
            "sample_ref": ref("file", "artifact", "network-traffic"),
        },
        at_least_one("result", "analysis_sco_refs"),
        not_before("analysis_started", "analysis_ended"),
    ),
    "note": sdo(
        {"content", "object_refs"},
        {
            "abstract": string,
            "content": nonempty_string,
            "authors": string_list,
            "object_refs": ref_list(),
        },
    ),
    "observed-data": sdo(
        {"first_observed", "last_observed", "number_observed"},
        {
            "first_observed": timestamp,
            "last_observed": timestamp,
            "number_observed": integer(1, 999_999_999),
            "objects": dictionary,
            "object_refs": ref_list(),
        },
        not_before("first_observed", "last_observed"),
        at_least_one("object_refs", "objects"),
        not_both("object_refs", "objects"),
    ),
    "opinion": sdo(
        {"opinion", "object_refs"},
        {
            "explanation": string,
            "authors": string_list,
            "opinion": OPINION,
            "object_refs": ref_list(),
        },
    ),
    "report": sdo(
        {"name", "published", "object_refs"},
        {
            **_NAME,
            "report_types": OPEN_VOCAB_LIST,
            "published": timestamp,
            "object_refs": ref_list(),
        },
    ),
    "threat-actor": sdo(
        {"name"},
        {
            **_NAME,
            "threat_actor_types": OPEN_VOCAB_LIST,
            "aliases": string_list,
            **_SEEN,
            "roles": OPEN_VOCAB_LIST,
            "goals": string_list,
            "sophistication": OPEN_VOCAB,
            "resource_level": OPEN_VOCAB,
            "primary_motivation": OPEN_VOCAB,
            "secondary_motivations": OPEN_VOCAB_LIST,
            "personal_motivations": OPEN_VOCAB_LIST,
        },
        _seen_order,
    ),
    "tool": sdo(
        {"name"},
        {
            **_NAME,
            "tool_types": OPEN_VOCAB_LIST,
            "aliases": string_list,
            "kill_chain_phases": KILL_CHAIN_PHASES,
            "tool_version": string,
        },
    ),
    "vulnerability": sdo({"name"}, dict(_NAME)),
    "relationship": sdo(
        {"relationship_type", "source_ref", "target_ref"},
        {
            "relationship_type": _relationship_type,
            "description": string,
            "source_ref": ref(*_CAN_RELATE),
            "target_ref": ref(*_CAN_RELATE),
            "start_time": timestamp,
            "stop_time": timestamp,
        },
        later_than("start_time", "stop_time"),
    ),
    "sighting": sdo(
        {"sighting_of_ref"},
        {
            "description": string,
            **_SEEN,
            "count": _COUNT,
            "sighting_of_ref": ref(*_SIGHTABLE),
            "observed_data_refs": ref_list("observed-data"),
            "where_sighted_refs": ref_list("identity", "location"),
            "summary": boolean,
        },
        _seen_order,
    ),
}

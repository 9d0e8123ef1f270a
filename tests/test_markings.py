"""Markings: the pinned TLP ids, acuerdo's deterministic markings, and strict parsing."""

from __future__ import annotations

import copy
import json
import uuid
from typing import Any

import pytest
import rfc8785

from acuerdo.markings import (
    HANDLING_EXTENSION_ID,
    MARKING_ID_NAMESPACE,
    RECIPIENTS_EXTENSION_ID,
    REL_TO_EXTENSION_ID,
    TLP,
    TLP1_MARKING_IDS,
    TLP2_EXTENSION_ID,
    TLP2_MARKING_IDS,
    Marking,
    MarkingCatalog,
    MarkingError,
    MarkingKind,
    check_party,
    check_user,
    check_username,
    handling_marking_definition,
    marking_definition,
    parse_marking_definition,
    recipients_marking_definition,
    rel_to_marking_definition,
    standard_marking_definitions,
    tlp1_marking_definition,
    tlp2_marking_definition,
)

# The five objects as published in oasis-open/cti-stix-common-objects (tlp-2.0 examples and
# objects/marking-definition/), copied as text so that a drift in the code cannot hide.
OASIS_TLP2 = """
[
 {"type": "marking-definition", "spec_version": "2.1",
  "id": "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
  "created": "2022-10-01T00:00:00.000Z", "name": "TLP:CLEAR",
  "extensions": {"extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d":
   {"extension_type": "property-extension", "tlp_2_0": "clear"}}},
 {"type": "marking-definition", "spec_version": "2.1",
  "id": "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
  "created": "2022-10-01T00:00:00.000Z", "name": "TLP:GREEN",
  "extensions": {"extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d":
   {"extension_type": "property-extension", "tlp_2_0": "green"}}},
 {"type": "marking-definition", "spec_version": "2.1",
  "id": "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
  "created": "2022-10-01T00:00:00.000Z", "name": "TLP:AMBER",
  "extensions": {"extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d":
   {"extension_type": "property-extension", "tlp_2_0": "amber"}}},
 {"type": "marking-definition", "spec_version": "2.1",
  "id": "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
  "created": "2022-10-01T00:00:00.000Z", "name": "TLP:AMBER+STRICT",
  "extensions": {"extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d":
   {"extension_type": "property-extension", "tlp_2_0": "amber+strict"}}},
 {"type": "marking-definition", "spec_version": "2.1",
  "id": "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
  "created": "2022-10-01T00:00:00.000Z", "name": "TLP:RED",
  "extensions": {"extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d":
   {"extension_type": "property-extension", "tlp_2_0": "red"}}}
]
"""

# STIX 2.1 (OASIS Standard incorporating errata 01), section 7.2.1.4, the four fixed objects.
STIX21_TLP1 = {
    "white": "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9",
    "green": "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da",
    "amber": "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82",
    "red": "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed",
}


def test_tlp_order_is_most_restrictive_last() -> None:
    assert TLP.CLEAR < TLP.GREEN < TLP.AMBER < TLP.AMBER_STRICT < TLP.RED
    assert max(TLP.GREEN, TLP.RED, TLP.AMBER) is TLP.RED
    assert TLP.AMBER_STRICT.label == "TLP:AMBER+STRICT"
    assert TLP.AMBER_STRICT.stix_value == "amber+strict"


def test_tlp2_extension_id_is_the_published_one() -> None:
    assert TLP2_EXTENSION_ID == "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"


def test_tlp2_objects_are_exactly_the_oasis_objects() -> None:
    published = json.loads(OASIS_TLP2)
    assert [tlp2_marking_definition(level) for level in TLP] == published
    assert [TLP2_MARKING_IDS[level] for level in TLP] == [o["id"] for o in published]


def test_tlp1_objects_are_exactly_the_stix21_objects() -> None:
    assert dict(TLP1_MARKING_IDS) == STIX21_TLP1
    for color, marking_id in STIX21_TLP1.items():
        assert tlp1_marking_definition(color) == {
            "type": "marking-definition",
            "spec_version": "2.1",
            "id": marking_id,
            "created": "2017-01-20T00:00:00.000Z",
            "definition_type": "tlp",
            "name": f"TLP:{color.upper()}",
            "definition": {"tlp": color},
        }


@pytest.mark.parametrize(
    ("color", "level"),
    [("white", TLP.CLEAR), ("green", TLP.GREEN), ("amber", TLP.AMBER), ("red", TLP.RED)],
)
def test_tlp1_ids_map_to_tlp2_levels(color: str, level: TLP) -> None:
    catalog = MarkingCatalog.standard()
    assert catalog.get(STIX21_TLP1[color]) == Marking.of_tlp(level)
    assert parse_marking_definition(tlp1_marking_definition(color)) == Marking.of_tlp(level)


def test_standard_catalog_knows_nine_ids_and_serves_them() -> None:
    catalog = MarkingCatalog.standard()
    served = standard_marking_definitions()
    assert len(catalog) == 9
    assert {o["id"] for o in served} == set(catalog)
    for obj in served:
        assert catalog.get(obj["id"]) == parse_marking_definition(obj)


def test_acuerdo_extension_ids_are_fixed_uuid4() -> None:
    ids = [REL_TO_EXTENSION_ID, HANDLING_EXTENSION_ID, RECIPIENTS_EXTENSION_ID]
    assert ids == [
        "extension-definition--f643e07e-c44b-480a-8f32-ff8cd463ebd1",
        "extension-definition--2a06de62-043c-4794-bd8e-5faf627ea433",
        "extension-definition--3d18c482-4ce1-4618-8e8e-8e55eae42dea",
    ]
    assert all(uuid.UUID(i.split("--")[1]).version == 4 for i in ids)
    assert uuid.UUID("db5006bd-71bb-4fd9-9a8e-e42e08a8f643") == MARKING_ID_NAMESPACE


def test_acuerdo_marking_ids_are_pinned() -> None:
    """Every node must compute the very same ids, release after release."""
    assert rel_to_marking_definition(["USA", "PRY"])["id"] == (
        "marking-definition--696cef55-2969-5802-bac0-718a15034e14"
    )
    assert handling_marking_definition("H2")["id"] == (
        "marking-definition--6def36d5-70bc-583e-8bde-40f06f5a7dc0"
    )
    assert recipients_marking_definition(["PRY:alice"])["id"] == (
        "marking-definition--3829ccbc-6249-5f85-a303-53b701ae5903"
    )


def test_acuerdo_marking_id_is_uuid5_of_rfc8785_extensions() -> None:
    obj = rel_to_marking_definition(["USA", "PRY"])
    expected = uuid.uuid5(MARKING_ID_NAMESPACE, rfc8785.dumps(obj["extensions"]).decode())
    assert obj["id"] == f"marking-definition--{expected}"
    assert obj["extensions"][REL_TO_EXTENSION_ID]["rel_to"] == ["PRY", "USA"]


def test_same_marking_same_object_whatever_the_input_order() -> None:
    a = recipients_marking_definition(["USA:bob", "PRY:alice"])
    b = recipients_marking_definition(["PRY:alice", "USA:bob"])
    assert rfc8785.dumps(a) == rfc8785.dumps(b)
    assert rel_to_marking_definition(["PRY"])["id"] != rel_to_marking_definition(["USA"])["id"]


def test_recipient_marking_name_discloses_no_user() -> None:
    obj = recipients_marking_definition(["PRY:alice", "USA:bob"])
    assert "alice" not in obj["name"]
    assert "bob" not in obj["name"]


@pytest.mark.parametrize(
    ("obj", "marking"),
    [
        (rel_to_marking_definition(["PRY", "USA"]), Marking.rel_to({"PRY", "USA"})),
        (handling_marking_definition("H2"), Marking.handling("H2")),
        (recipients_marking_definition(["PRY:alice"]), Marking.recipients({"PRY:alice"})),
    ],
)
def test_acuerdo_markings_round_trip(obj: dict[str, Any], marking: Marking) -> None:
    assert parse_marking_definition(obj) == marking
    assert marking_definition(marking) == obj


def _broken(obj: dict[str, Any], path: list[str], value: Any) -> dict[str, Any]:
    broken = copy.deepcopy(obj)
    target = broken
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return broken


REL = rel_to_marking_definition(["PRY", "USA"])
RED2 = tlp2_marking_definition(TLP.RED)
RED1 = tlp1_marking_definition("red")
EXT = ["extensions", REL_TO_EXTENSION_ID]


@pytest.mark.parametrize(
    ("obj", "says"),
    [
        ({"type": "indicator"}, "not a marking-definition"),
        (_broken(REL, ["id"], "marking-definition--nope"), "not a marking-definition id"),
        (_broken(REL, ["spec_version"], "2.0"), "spec_version"),
        (_broken(REL, [*EXT, "rel_to"], ["PRY", "usa"]), "malformed rel_to"),
        (_broken(REL, [*EXT, "rel_to"], []), "malformed rel_to"),
        (_broken(REL, [*EXT, "rel_to"], ["PRY", "PRY"]), "malformed rel_to"),
        (_broken(REL, [*EXT, "rel_to"], ["PRY"]), "does not match its content"),
        (_broken(REL, [*EXT, "extra"], 1), "must hold extension_type and rel_to"),
        (_broken(REL, [*EXT, "extension_type"], "new-sdo"), "not a property-extension"),
        (_broken(REL, ["extensions", "extension-definition--x"], {}), "exactly one"),
        (_broken(RED2, ["id"], TLP2_MARKING_IDS[TLP.GREEN]), "published as"),
        (_broken(RED2, ["name"], "TLP:GREEN"), "published as"),
        (_broken(RED2, ["extensions", TLP2_EXTENSION_ID, "tlp_2_0"], "purple"), "tlp_2_0"),
        (_broken(RED1, ["id"], STIX21_TLP1["white"]), "fixed id"),
        (_broken(RED1, ["definition"], {"tlp": "purple"}), "white|green|amber|red"),
        (_broken(RED1, ["definition_type"], "statement"), "definition_type"),
        (
            {
                "type": "marking-definition",
                "spec_version": "2.1",
                "id": "marking-definition--3cd55916-d34b-4747-a8e0-dedec14b711b",
                "created": "2020-12-22T00:00:00.000Z",
                "extensions": {
                    "extension-definition--762e2e97-ee51-43e5-a9ea-165fbb862c4a": {
                        "extension_type": "property-extension"
                    }
                },
            },
            "not understood",
        ),
        (
            _broken(
                recipients_marking_definition(["PRY:alice"]),
                ["extensions", RECIPIENTS_EXTENSION_ID, "recipients"],
                ["alice"],
            ),
            "malformed recipients",
        ),
    ],
)
def test_malformed_definitions_are_refused_precisely(obj: dict[str, Any], says: str) -> None:
    with pytest.raises(MarkingError, match=says):
        parse_marking_definition(obj)


def test_catalog_with_definitions_adds_ledger_markings() -> None:
    hand = handling_marking_definition("H2")
    catalog = MarkingCatalog.with_definitions([REL, hand, RED2])
    assert catalog.get(REL["id"]) == Marking.rel_to({"PRY", "USA"})
    assert catalog.get(hand["id"]) == Marking.handling("H2")
    assert len(catalog) == 11
    assert REL["id"] not in MarkingCatalog.standard()


def test_catalog_refuses_a_bad_definition() -> None:
    with pytest.raises(MarkingError, match="does not match"):
        MarkingCatalog.with_definitions([_broken(REL, [*EXT, "rel_to"], ["PRY"])])


def test_marking_values_are_exclusive_and_validated() -> None:
    with pytest.raises(ValueError, match="exactly its own"):
        Marking(MarkingKind.REL_TO)
    with pytest.raises(ValueError, match="exactly its own"):
        Marking(MarkingKind.TLP, tlp=TLP.RED, code="H2")
    with pytest.raises(ValueError, match="handling code"):
        Marking.handling("h2")
    assert Marking("tlp", tlp=4).tlp is TLP.RED  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", ["PRY\n", "pry", "PR", "PRYX", "", 3, "P:Y"])
def test_party_codes_are_strict(bad: object) -> None:
    with pytest.raises(ValueError, match="party code"):
        check_party(bad)


@pytest.mark.parametrize(
    "bad", ["Alice", "alice\n", "-alice", "a|b", "a:b", "a" * 65, "", "al ice", "ali\u00e7e"]
)
def test_usernames_are_strict(bad: str) -> None:
    with pytest.raises(ValueError, match="username"):
        check_username(bad)


def test_user_ids() -> None:
    assert check_user("PRY:alice.b-2_x") == ("PRY", "alice.b-2_x")
    for bad in ["alice", "PRY:", "PRY:alice:x", ":alice"]:
        with pytest.raises(ValueError, match=r"PARTY:username|username|party"):
            check_user(bad)

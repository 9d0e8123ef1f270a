"""What a node serves is valid STIX 2.1 by the OASIS validator, acuerdo's own types included."""

from __future__ import annotations

import json
import uuid

from stix2validator import ValidationOptions, validate_instance

from acuerdo.ledger.types import BY_NAME
from conftest import NodeHarness

OPTIONS = ValidationOptions(version="2.1")
STAMP = "2026-07-01T12:00:00.000Z"


def _errors(obj: dict[str, object]) -> list[str]:
    return [str(e) for e in validate_instance(obj, OPTIONS).errors]


async def test_served_records_and_reference_objects_validate(harness: NodeHarness) -> None:
    h = harness
    uid = uuid.uuid4()
    movement = {
        "type": "acuerdo-movement",
        "spec_version": "2.1",
        "id": f"acuerdo-movement--{uid}",
        "created": STAMP,
        "modified": STAMP,
        "extensions": {BY_NAME["acuerdo-movement"].extension_id: {"extension_type": "new-sdo"}},
        "direction": "arrival",
        "person_ref": f"acuerdo-covered-person--{uid}",
        "order_ref": f"acuerdo-movement-order--{uid}",
        "port": {"name": "Aeropuerto Internacional Silvio Pettirossi", "kind": "airport"},
        "time": STAMP,
    }
    indicator = {
        "type": "indicator",
        "spec_version": "2.1",
        "id": f"indicator--{uid}",
        "created": STAMP,
        "modified": STAMP,
        "name": "Airstrip used for cocaine flights",
        "pattern": "[ipv4-addr:value = '203.0.113.9']",
        "pattern_type": "stix",
        "valid_from": STAMP,
    }
    assert (
        await h.client.post("/api/v1/records", json=movement, headers=h.auth("registrar"))
    ).status_code == 201
    assert (
        await h.client.post("/api/v1/records", json=indicator, headers=h.auth("analyst"))
    ).status_code == 201
    for oid in (movement["id"], indicator["id"]):
        served = json.loads(
            (await h.client.get(f"/api/v1/records/{oid}", headers=h.auth("admin"))).content
        )
        assert _errors(served) == [], oid
    page = await h.client.get(
        "/api/v1/records",
        params={"type": ["marking-definition", "extension-definition", "identity"], "limit": "100"},
        headers=h.auth("viewer"),
    )
    items = page.json()["items"]
    assert {i["record"]["type"] for i in items} == {
        "marking-definition",
        "extension-definition",
        "identity",
    }
    for item in items:
        assert _errors(item["record"]) == [], item["record"]["id"]

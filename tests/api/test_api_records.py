"""Records through the API: stored and served as canonical bytes, signed, owned, versioned."""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from typing import Any

import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from conftest import NodeHarness

RECORD_PREFIX = b"acuerdo/record-signature/v1\x00"


def b64d(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def indicator(**extra: Any) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "type": "indicator",
        "spec_version": "2.1",
        "id": f"indicator--{uuid.uuid4()}",
        "created": "2026-07-01T12:00:00.000Z",
        "modified": "2026-07-01T12:00:00.000Z",
        "name": "Cocaine shipment route via Chaco airstrip",
        "pattern": "[ipv4-addr:value = '198.51.100.7']",
        "pattern_type": "stix",
        "valid_from": "2026-07-01T12:00:00Z",
        "confidence": 1.0,
    }
    obj.update(extra)
    return obj


async def test_written_record_is_served_as_canonical_bytes_and_verifies(
    harness: NodeHarness,
) -> None:
    h = harness
    obj = indicator()
    r = await h.client.post("/api/v1/records", json=obj, headers=h.auth("analyst"))
    assert r.status_code == 201, r.text
    got = await h.client.get(f"/api/v1/records/{obj['id']}", headers=h.auth("analyst"))
    assert got.status_code == 200
    # Independent check: canonical bytes by rfc8785 (1.0 canonicalises to 1), signature by
    # `cryptography` with the records key certified in /api/v1/keys.
    assert got.content == rfc8785.dumps(obj)
    envelope = b64d(got.headers["X-Acuerdo-Envelope"])
    signature = b64d(got.headers["X-Acuerdo-Signature"])
    keys = (await h.client.get("/api/v1/keys", headers=h.auth("viewer"))).json()
    env = json.loads(envelope)
    assert hashlib.sha256(got.content).hexdigest() in env.values()
    cert = next(c for c in keys["certificates"] if c["purpose"] == "records")
    public = Ed25519PublicKey.from_public_bytes(b64d(cert["public_key"]))
    public.verify(signature, RECORD_PREFIX + envelope)
    tampered = got.content.replace(b"Chaco", b"Chacx")
    tampered_env = envelope.replace(
        hashlib.sha256(got.content).hexdigest().encode(),
        hashlib.sha256(tampered).hexdigest().encode(),
    )
    try:
        public.verify(signature, RECORD_PREFIX + tampered_env)
    except InvalidSignature:
        pass
    else:
        raise AssertionError("a tampered record verified")


async def test_point_one_and_point_one_hundred_are_one_version(harness: NodeHarness) -> None:
    h = harness
    obj = indicator(modified="2026-07-01T12:00:00.1Z")
    first = await h.client.post("/api/v1/records", json=obj, headers=h.auth("analyst"))
    assert first.status_code == 201
    same = dict(obj, modified="2026-07-01T12:00:00.100Z")
    again = await h.client.post("/api/v1/records", json=same, headers=h.auth("analyst"))
    # Same instant, different bytes: a conflict, refused, never taken for a repeat.
    assert again.status_code == 409, again.text
    repeat = await h.client.post("/api/v1/records", json=obj, headers=h.auth("analyst"))
    assert repeat.status_code == 201 and repeat.json()["written"][0]["duplicate"] is True
    versions = await h.client.get(
        f"/api/v1/records/{obj['id']}/versions", headers=h.auth("analyst")
    )
    assert len(versions.json()["versions"]) == 1


async def test_new_version_becomes_current_whatever_the_arrival_order(harness: NodeHarness) -> None:
    h = harness
    v2 = indicator(modified="2026-07-02T00:00:00Z", name="second")
    v1 = dict(v2, modified="2026-07-01T12:00:00Z", name="first")
    for obj in (v2, v1):
        r = await h.client.post("/api/v1/records", json=obj, headers=h.auth("analyst"))
        assert r.status_code == 201, r.text
    got = await h.client.get(f"/api/v1/records/{v2['id']}", headers=h.auth("analyst"))
    assert json.loads(got.content)["name"] == "second"
    listed = await h.client.get("/api/v1/records?type=indicator", headers=h.auth("analyst"))
    names = [i["record"]["name"] for i in listed.json()["items"]]
    assert names == ["second"]
    every = await h.client.get(
        "/api/v1/records?type=indicator&all_versions=true", headers=h.auth("analyst")
    )
    assert sorted(i["record"]["name"] for i in every.json()["items"]) == ["first", "second"]


async def test_cursor_pagination_walks_every_record_once(harness: NodeHarness) -> None:
    h = harness
    ids = set()
    bundle = {"type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": []}
    for _ in range(7):
        obj = indicator()
        ids.add(obj["id"])
        bundle["objects"].append(obj)  # type: ignore[attr-defined]
    assert (
        await h.client.post("/api/v1/records", json=bundle, headers=h.auth("analyst"))
    ).status_code == 201
    seen: list[str] = []
    cursor = None
    while True:
        params = {"type": "indicator", "limit": "3"} | ({"cursor": cursor} if cursor else {})
        page = (
            await h.client.get("/api/v1/records", params=params, headers=h.auth("analyst"))
        ).json()
        seen += [i["record"]["id"] for i in page["items"]]
        cursor = page["next"]
        if cursor is None:
            break
        assert not cursor.isdigit()  # opaque, never a raw ledger position
    assert sorted(seen) == sorted(ids)
    bad = await h.client.get("/api/v1/records", params={"cursor": "abc"}, headers=h.auth("analyst"))
    assert bad.status_code == 400 and bad.headers["content-type"] == "application/problem+json"

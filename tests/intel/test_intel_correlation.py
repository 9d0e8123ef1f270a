"""Correlation across parties: the same aircraft in our sighting and in the partner's report.

Runs on SQLite and PostgreSQL with two real nodes: the partner's records are signed by the
partner node's key and appended as federation would. Values are matched after their real
normalisation (`zp bab` is `ZP-BAB`), whichever record arrives first.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from intel_corpus import GREEN, STAMP, new_id, sco, sdo

from acuerdo.ledger.keys import KeyPurpose
from acuerdo.ledger.record import prepare
from acuerdo.ledger.signing import sign_record
from acuerdo.ledger.writes import Signed
from acuerdo.node import Node
from conftest import NodeHarness, make_node


@pytest.fixture
async def partner(tmp_path: Path, database_url: str | None) -> Any:
    node = await make_node(tmp_path / "pry", None, party="PRY")
    try:
        yield node
    finally:
        await node.close()


async def take_in(node: Node, partner: Node, objs: list[dict[str, Any]]) -> None:
    """Append records written and signed by the partner's node, as federation would."""
    signed = []
    for obj in objs:
        draft = prepare(obj, writer_party=partner.party, party_identities=node.party_identities)
        env, sig = sign_record(
            draft.body,
            agreement_hash=partner.agreement.hash,
            origin=partner.party,
            signer=partner.keys.signer(KeyPurpose.RECORDS),
        )
        signed.append(Signed(draft, env, sig, partner.party, None, ()))
    await node.writer.append(signed, actor="ingest")


async def correlations(h: NodeHarness, object_id: str, user: str = "analyst") -> Any:
    r = await h.client.get(f"/api/v1/intel/objects/{object_id}/correlations", headers=h.auth(user))
    assert r.status_code == 200, r.text
    return r.json()


def marked(obj: dict[str, Any]) -> dict[str, Any]:
    obj["object_marking_refs"] = [GREEN]
    return obj


async def test_our_sighting_matches_the_partners_report(
    harness: NodeHarness, partner: Node
) -> None:
    h = harness
    ours = marked(sco("acuerdo-aircraft", registration="zp bab"))
    observed = sdo("observed-data", first_observed=STAMP, last_observed=STAMP,
                   number_observed=1, object_refs=[ours["id"]])  # fmt: skip
    sighting = sdo("sighting", sighting_of_ref=new_id("indicator"),
                   observed_data_refs=[observed["id"]])  # fmt: skip
    bundle = {"type": "bundle", "id": new_id("bundle"), "objects": [ours, observed, sighting]}
    r = await h.client.post("/api/v1/records", json=bundle, headers=h.auth("analyst"))
    assert r.status_code == 201, r.text

    theirs = marked(sco("acuerdo-aircraft", registration="ZP-BAB"))
    report = sdo("report", name="Informe SENAD", published="2026-03-12T00:00:00Z",
                 object_refs=[theirs["id"]])  # fmt: skip
    await take_in(h.node, partner, [theirs, report])

    view = await correlations(h, sighting["id"])
    assert view["party"] == h.node.party
    (aircraft,) = [c for c in view["correlations"] if c["kind"] == "aircraft"]
    assert aircraft["value"] == "ZP-BAB" and not aircraft["over_correlated"]
    by_id = {m["id"]: m for m in aircraft["matches"]}
    assert by_id[report["id"]]["party"] == partner.party
    assert by_id[report["id"]]["cross_party"] is True
    assert by_id[report["id"]]["when"] == "2026-03-12T00:00:00Z"
    assert by_id[observed["id"]]["cross_party"] is False
    assert aircraft["count"] == len(aircraft["matches"]) == 4  # 2 aircraft, observed, report


async def test_a_referent_arriving_later_still_correlates(
    harness: NodeHarness, partner: Node
) -> None:
    h = harness
    phone = marked(sco("acuerdo-phone-number", value="+595981000111"))
    note = sdo("note", content="Llamó dos veces", object_refs=[phone["id"]])
    r = await h.client.post("/api/v1/records", json=note, headers=h.auth("analyst"))
    assert r.status_code == 201, r.text  # refers to a phone number not held yet
    assert (await correlations(h, note["id"]))["correlations"] == []
    indicator = sdo("indicator", pattern="[acuerdo-phone-number:value = '+595981000111']",
                    pattern_type="stix", valid_from=STAMP)  # fmt: skip
    await take_in(h.node, partner, [indicator])
    r = await h.client.post("/api/v1/records", json=phone, headers=h.auth("analyst"))
    assert r.status_code == 201, r.text
    view = await correlations(h, note["id"])
    (found,) = view["correlations"]
    assert (found["kind"], found["value"]) == ("phone", "+595981000111")
    assert {m["id"] for m in found["matches"]} == {phone["id"], indicator["id"]}


async def test_over_correlated_values_are_flagged_not_listed(harness: NodeHarness) -> None:
    h = harness
    h.node.settings = h.node.settings.model_copy(update={"correlation_limit": 2})
    actors = [sdo("threat-actor", name=f"Clan {n}", aliases=["El Patrón"]) for n in range(3)]
    r = await h.client.post(
        "/api/v1/records",
        json={"type": "bundle", "id": new_id("bundle"), "objects": actors},
        headers=h.auth("analyst"),
    )
    assert r.status_code == 201, r.text
    first = await correlations(h, actors[0]["id"])
    alias = next(c for c in first["correlations"] if c["value"] == "el patron")
    assert alias["matches"] and alias["count"] == 2 and not alias["over_correlated"]
    more = sdo("threat-actor", name="Clan 9", aliases=["EL PATRÓN"])
    await h.client.post("/api/v1/records", json=more, headers=h.auth("analyst"))
    alias = next(c for c in (await correlations(h, actors[0]["id"]))["correlations"]
                 if c["value"] == "el patron")  # fmt: skip
    assert alias["over_correlated"] and alias["matches"] == [] and alias["count"] == 3


async def test_bad_requests(harness: NodeHarness) -> None:
    h = harness
    url = "/api/v1/intel/objects/{}/correlations"
    r = await h.client.get(url.format("not-an-id"), headers=h.auth("viewer"))
    assert r.status_code == 422 and "not a STIX id" in r.json()["detail"]
    r = await h.client.get(url.format(new_id("indicator")), headers=h.auth("viewer"))
    assert r.status_code == 404
    r = await h.client.get(url.format(new_id("indicator")))
    assert r.status_code == 401

"""Intelligence as ledger records: validated on every write, signed by the ingesting party.

Each write goes through the node (the API here), on SQLite and PostgreSQL: a bad object is
refused with its id, property and (for patterns) character, and writes nothing; intelligence
from a third party keeps its created_by_ref and is owned by the party whose node took it in;
unmarked intelligence gets the agreement's default, or is refused when the agreement says so.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from intel_corpus import GREEN, STAMP, everything, new_id, sco, sdo
from intel_support import problem, row_counts
from sqlalchemy import select

from acuerdo.agreement import load_profile
from acuerdo.ledger.record import RecordError
from acuerdo.ledger.tables import ledger
from acuerdo.markings import TLP, TLP2_MARKING_IDS
from acuerdo.node import Node
from conftest import NodeHarness, make_node


async def _post(h: NodeHarness, obj: dict[str, Any], user: str = "analyst") -> Any:
    return await h.client.post("/api/v1/records", json=obj, headers=h.auth(user))


async def _row(node: Node, object_id: str) -> Any:
    async with node.engines.reader.connect() as conn:
        q = select(ledger.c.owner, ledger.c.holder, ledger.c.applied_markings, ledger.c.body)
        return (await conn.execute(q.where(ledger.c.object_id == object_id))).one()


async def test_every_type_is_taken_in_as_a_signed_record(harness: NodeHarness) -> None:
    h = harness
    bundle = {"type": "bundle", "id": new_id("bundle"), "objects": everything()}
    r = await h.client.post("/api/v1/records", json=bundle, headers=h.auth("analyst"))
    assert r.status_code == 201, r.text
    assert len(r.json()["written"]) == len(bundle["objects"])
    aircraft = next(o for o in bundle["objects"] if o["type"] == "acuerdo-aircraft")
    owner, holder, _, _ = await _row(h.node, aircraft["id"])
    assert (owner, holder) == ("", h.node.party)  # observables are owned by no one


async def test_a_bad_pattern_is_refused_with_its_position_and_writes_nothing(
    harness: NodeHarness,
) -> None:
    h = harness
    before = await row_counts(h.node)
    obj = sdo("indicator", pattern="[ipv4-addr:value = '1.2.3.4'] AN [x:y = 1]",
              pattern_type="stix", valid_from=STAMP)  # fmt: skip
    r = await _post(h, obj)
    problem(r, 422, obj["id"], "pattern", "at character 31", "'AN'")
    assert await row_counts(h.node) == before


async def test_a_bundle_with_one_bad_object_writes_none_of_it(harness: NodeHarness) -> None:
    h = harness
    before = await row_counts(h.node)
    good = sco("ipv4-addr", value="198.51.100.9")
    bad = sdo("opinion", opinion="perhaps", object_refs=[good["id"]])
    bundle = {"type": "bundle", "id": new_id("bundle"), "objects": [good, bad]}
    r = await h.client.post("/api/v1/records", json=bundle, headers=h.auth("analyst"))
    problem(r, 422, bad["id"], "opinion: 'perhaps' is not one of")
    assert await row_counts(h.node) == before


async def test_third_party_intelligence_keeps_its_creator_and_is_ours(
    harness: NodeHarness,
) -> None:
    h = harness
    source = new_id("identity")  # a feed's identity, not one of the parties
    report = sdo("report", name="Feed report", published=STAMP, object_refs=[new_id("url")],
                 created_by_ref=source)  # fmt: skip
    r = await _post(h, report)
    assert r.status_code == 201, r.text
    owner, holder, _, body = await _row(h.node, report["id"])
    assert (owner, holder) == (h.node.party, h.node.party)
    assert json.loads(body)["created_by_ref"] == source


async def test_unmarked_intelligence_gets_the_agreement_default(harness: NodeHarness) -> None:
    h = harness
    obj = sco("acuerdo-phone-number", value="+595981765432")
    r = await _post(h, obj)
    assert r.status_code == 201, r.text
    _, _, applied, body = await _row(h.node, obj["id"])
    assert json.loads(applied) == [TLP2_MARKING_IDS[TLP.AMBER]]
    assert "object_marking_refs" not in json.loads(body)  # beside the object, not inside


def _refusing_agreement(tmp_path: Path) -> Path:
    """The shipped agreement, changed to refuse unmarked intelligence."""
    profile = load_profile("usa-pry-2025")
    assert profile.source_path is not None
    data = yaml.safe_load(Path(profile.source_path).read_text("utf-8"))
    data["sharing"]["unmarked_intel"]["action"] = "refuse"
    path = tmp_path / "refusing.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    return path


async def test_an_agreement_may_refuse_unmarked_intelligence(tmp_path: Path) -> None:
    path = _refusing_agreement(tmp_path)
    node = await make_node(tmp_path / "node", None, agreement=str(path))
    try:
        unmarked = sdo("threat-actor", name="Clan X")
        del unmarked["object_marking_refs"]
        with pytest.raises(RecordError) as caught:
            await node.write([unmarked], user=None)
        assert unmarked["id"] in str(caught.value) and "no TLP marking" in str(caught.value)
        assert "refuses unmarked intelligence" in str(caught.value)
        marked = sdo("threat-actor", name="Clan X", object_marking_refs=[GREEN])
        assert (await node.write([marked], user=None))[0].object_id == marked["id"]
    finally:
        await node.close()

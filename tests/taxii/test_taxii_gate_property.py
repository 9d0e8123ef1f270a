"""Property: through TAXII pages and the live stream, each user receives exactly what an
independent model of the release gate (tests/release_model.py, which imports nothing from
acuerdo) says they may: random intelligence, markings (TLP, named recipients), authors and
relationships between earlier objects, for every user of the node.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from taxii_support import add_users, database, indicator, open_node, sdo

import release_model as model
from acuerdo.api.app import create_app
from acuerdo.markings import TLP, TLP2_MARKING_IDS, recipients_marking_definition
from acuerdo.node import Node
from acuerdo.users import User, get_user
from conftest import BACKENDS

pytestmark = pytest.mark.asyncio(loop_scope="module")

READERS = {"ana": {"analyst"}, "ben": {"analyst"}, "vic": {"viewer"}, "root": {"admin"}}
AUTHORS = ("ana", "ben", "root")
LEVELS = [TLP2_MARKING_IDS[t] for t in (TLP.CLEAR, TLP.GREEN, TLP.AMBER, TLP.AMBER_STRICT, TLP.RED)]
NAMED = [frozenset(c) for n in (1, 2) for c in itertools.combinations(sorted(READERS), n)]
POLICY = model.ModelPolicy(
    parties=frozenset({"USA", "PRY"}), rel_to_by_type={}, intel_rel_to=frozenset(),
    personal_roles=frozenset(), handling={},
)  # fmt: skip
INTEL = "/taxii2/intel/collections/{}/objects/"


class World:
    """One node for the module; each example adds its own objects to it."""

    def __init__(self, node: Node, client: httpx.AsyncClient, tokens: dict[str, str]) -> None:
        self.node, self.client, self.tokens = node, client, tokens
        self.meanings: dict[str, model.ModelMarking] = {}
        self.named_ids: dict[frozenset[str], str] = {}
        self.users: dict[str, User] = {}

    def auth(self, user: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[user]}"}


@pytest_asyncio.fixture(scope="module", loop_scope="module", params=BACKENDS)
async def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[World]:
    home: Path = tmp_path_factory.mktemp("gate") / "usa"
    async with database(request.param) as url:
        node = await open_node(home, url)
        try:
            tokens = await add_users(node)
            app = create_app(node.settings, node=node)
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://usa.test") as c:
                w = World(node, c, tokens)
                for names in NAMED:
                    definition = recipients_marking_definition([f"USA:{n}" for n in names])
                    await node.write([definition], user=None)
                    w.named_ids[names] = str(definition["id"])
                    w.meanings[str(definition["id"])] = model.ModelMarking(
                        "recipients", frozenset(f"USA:{n}" for n in names)
                    )
                for name in READERS:
                    user = await get_user(node.engines.reader, name)
                    assert user is not None
                    w.users[name] = user
                r = await c.get("/taxii2/intel/collections/", headers=w.auth("ana"))
                coll = next(x for x in r.json()["collections"] if x["alias"] == "intelligence")
                w.collection = coll["id"]  # type: ignore[attr-defined]
                yield w
        finally:
            await node.close()


spec = st.tuples(
    st.sampled_from(AUTHORS),
    st.sampled_from(LEVELS),
    st.sampled_from([None, *NAMED]),
    st.booleans(),
    st.integers(0, 1000),
)


async def write_example(
    w: World, specs: list[Any]
) -> dict[str, tuple[model.ModelRecord, list[str]]]:
    """Write each object as its author; return the model's record and refs of each."""
    written: dict[str, tuple[model.ModelRecord, list[str]]] = {}
    order: list[str] = []
    for n, (author, level, named, relate, pick) in enumerate(specs):
        markings = [level] + ([w.named_ids[named]] if named else [])
        if relate and order:
            refs = [order[pick % len(order)], order[(pick // 7) % len(order)]]
            obj = sdo("relationship", relationship_type="related-to", source_ref=refs[0],
                      target_ref=refs[1], object_marking_refs=markings)  # fmt: skip
        else:
            refs = []
            obj = indicator(n, object_marking_refs=markings)
            order.append(obj["id"])  # relationships join indicators only
        await w.node.write([obj], user=w.users[author])
        record = model.ModelRecord(
            obj["type"], "intel", "USA", f"USA:{author}", frozenset(markings)
        )
        written[obj["id"]] = (record, sorted(set(refs)))
    return written


def expected(
    written: dict[str, tuple[model.ModelRecord, list[str]]], user: str, channel: str
) -> set[str]:
    who = model.ModelRecipient("USA", user, frozenset(READERS[user]))
    out = set()
    for oid, (record, refs) in written.items():
        ref_records = [written[r][0] for r in refs]
        if model.verdict(record, ref_records, w_meanings(), POLICY, who, channel) == "released":
            out.add(oid)
    return out


_MEANINGS: dict[str, model.ModelMarking] = {}


def w_meanings() -> dict[str, model.ModelMarking]:
    return _MEANINGS


async def taxii_ids(w: World, user: str) -> list[str]:
    ids: list[str] = []
    params = {"limit": "3", "match[type]": "indicator,relationship"}
    while True:
        url = INTEL.format(w.collection)  # type: ignore[attr-defined]
        r = await w.client.get(url, params=params, headers=w.auth(user))
        assert r.status_code == 200, r.text
        page = r.json()
        ids += [o["id"] for o in page.get("objects", [])]
        if not page["more"]:
            return ids
        params["next"] = page["next"]


async def stream_ids(w: World, user: str) -> set[str]:
    r = await w.client.get(
        "/api/v1/stream", params={"replay": "true", "follow": "false"}, headers=w.auth(user)
    )
    return {json.loads(x[6:])["id"] for x in r.text.splitlines() if x.startswith("data: ")}


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(specs=st.lists(spec, min_size=1, max_size=7))
async def test_taxii_and_stream_release_exactly_what_the_model_allows(
    world: World, specs: list[Any]
) -> None:
    _MEANINGS.update(world.meanings)
    written = await write_example(world, specs)
    for user in sorted(READERS):
        served = await taxii_ids(world, user)
        assert len(served) == len(set(served)), user
        mine = set(served) & written.keys()
        assert mine == expected(written, user, "taxii"), user
        streamed = await stream_ids(world, user) & written.keys()
        assert streamed == expected(written, user, "stream"), user

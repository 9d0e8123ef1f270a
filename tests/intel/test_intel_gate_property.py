"""Property: a user never receives, counts or correlates an object the gate withholds.

Each example takes in random intelligence that shares one observable (a phone number an
indicator's pattern compares): some written by this node's users, some by the partner's node,
with random TLP levels (or none: our node applies the agreement's default; the partner's
records are taken in as signed, so an unmarked one is withheld), REL TO, named TLP:RED
recipients, handling codes and unknown markings. Then, for each user and each object, the
correlation view must be exactly what tests/release_model.py (which imports nothing from
acuerdo) says the user may see: absent when the object is withheld, and otherwise listing,
counting and flagging as over-correlated only the other objects the user may see.
"""

from __future__ import annotations

import asyncio
import itertools
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import release_model as model
from acuerdo.domains.intel.correlation import correlations_of
from acuerdo.ledger.keys import KeyPurpose
from acuerdo.ledger.record import RecordError, prepare
from acuerdo.ledger.signing import sign_record
from acuerdo.ledger.writes import Signed
from acuerdo.markings import (
    handling_marking_definition,
    recipients_marking_definition,
    rel_to_marking_definition,
)
from acuerdo.node import Node
from acuerdo.users import User, add_user
from conftest import make_node

PROFILE = Path(__file__).parents[2] / "src/acuerdo/agreement/profiles/usa-pry-2025.yaml"
LEVEL_IDS = {level: mid for mid, level in list(model.MODEL_TLP_IDS.items())[:5]}
STAMP = "2026-03-12T10:00:00.000Z"
LIMIT = 3
USERS = {"analyst": "analyst", "viewer": "viewer", "oficial": "analyst"}
REL_TO = (frozenset({"USA"}), frozenset({"PRY"}), frozenset({"USA", "PRY"}))
NAMED = (frozenset({"USA:analyst"}), frozenset({"USA:viewer"}), frozenset({"PRY:oficial"}))
CODES = ("H1", "H2", "H3")
counter = itertools.count()


def model_policy() -> tuple[model.ModelPolicy, str]:
    """The agreement's sharing rules read straight from the profile (no acuerdo import)."""
    data = yaml.safe_load(PROFILE.read_text("utf-8"))
    roles = {f"${p['role']}": p["code"] for p in data["parties"]}
    sharing = data["sharing"]
    unmarked = sharing["unmarked_intel"]
    policy = model.ModelPolicy(
        parties=frozenset(p["code"] for p in data["parties"]),
        rel_to_by_type={},
        intel_rel_to=frozenset(roles.get(r, r) for r in unmarked["releasable_to"]),
        personal_roles=frozenset(sharing["personal_data_roles"]),
        handling={h["code"]: frozenset(h["channels"]) for h in sharing["handling_codes"]},
    )
    names = {"clear": 0, "green": 1, "amber": 2, "amber+strict": 3, "red": 4}
    return policy, LEVEL_IDS[names[unmarked["tlp"]]]


@dataclass(frozen=True)
class Spec:
    partner: bool  # written by the partner's node (else by a user of ours)
    author: str  # our user who writes it
    tlp: int | None
    rel_to: int | None
    named: int | None
    code: int | None
    unknown: bool


specs = st.builds(
    Spec,
    partner=st.booleans(),
    author=st.sampled_from(["analyst", "viewer"]),
    tlp=st.none() | st.integers(0, 4),
    rel_to=st.none() | st.integers(0, 2),
    named=st.none() | st.integers(0, 2),
    code=st.none() | st.integers(0, 2),
    unknown=st.booleans(),
)


@dataclass
class World:
    loop: asyncio.AbstractEventLoop
    usa: Node
    pry: Node
    users: dict[str, User]
    marking_ids: dict[tuple[str, int], str]
    meanings: dict[str, model.ModelMarking]


def _markings(spec: Spec, w: World) -> list[str]:
    ids = [] if spec.tlp is None else [LEVEL_IDS[spec.tlp]]
    for kind, index in (("rel_to", spec.rel_to), ("named", spec.named), ("code", spec.code)):
        if index is not None:
            ids.append(w.marking_ids[(kind, index)])
    if spec.unknown:
        ids.append(f"marking-definition--{uuid.uuid4()}")
    return ids


async def take_in(w: World, obj: dict[str, Any]) -> None:
    draft = prepare(obj, writer_party=w.pry.party, party_identities=w.usa.party_identities)
    env, sig = sign_record(draft.body, agreement_hash=w.pry.agreement.hash, origin=w.pry.party,
                           signer=w.pry.keys.signer(KeyPurpose.RECORDS))  # fmt: skip
    await w.usa.writer.append([Signed(draft, env, sig, w.pry.party, None, ())], actor="ingest")


async def run_example(w: World, items: list[Spec]) -> None:
    policy, default = model_policy()
    phone = f"+5959810{next(counter):05d}"
    stored: dict[str, model.ModelRecord] = {}
    for spec in items:
        markings = _markings(spec, w)
        obj = {"type": "indicator", "spec_version": "2.1", "id": f"indicator--{uuid.uuid4()}",
               "created": STAMP, "modified": STAMP, "pattern_type": "stix", "valid_from": STAMP,
               "pattern": f"[acuerdo-phone-number:value = '{phone}']"}  # fmt: skip
        if markings:
            obj["object_marking_refs"] = markings
        applied = set(markings)
        if not spec.partner and not any(m in model.MODEL_TLP_IDS for m in markings):
            applied.add(default)  # our node applies the agreement's default beside it
        holder = "PRY" if spec.partner else "USA"
        author = None if spec.partner else f"USA:{spec.author}"
        record = model.ModelRecord("indicator", "intel", holder, author, frozenset(applied))
        if spec.partner:
            await take_in(w, obj)
        else:
            try:
                await w.usa.write([obj], user=w.users[spec.author])
            except RecordError:  # refused: the model must agree it has no audience for them
                who = model.ModelRecipient("USA", spec.author, frozenset({spec.author}))
                seen = model.verdict(record, [], w.meanings, policy, who, "api")
                assert seen != "released", (spec, seen)
                continue
        stored[obj["id"]] = record
    for name, user in w.users.items():
        who = model.ModelRecipient(user.party, user.name, frozenset(user.roles))
        visible = {
            oid for oid, r in stored.items()
            if model.verdict(r, [], w.meanings, policy, who, "api") == "released"
        }  # fmt: skip
        for oid in stored:
            view = await correlations_of(w.usa, user.recipient, oid)
            if oid not in visible:
                assert view is None, (name, oid)
                continue
            assert view is not None, (name, oid)
            others = visible - {oid}
            (found,) = view.correlations
            assert (found.kind, found.value) == ("phone", phone)
            assert found.over_correlated is (len(others) > LIMIT), name
            assert found.count == min(len(others), LIMIT + 1), name
            if not found.over_correlated:
                assert {m.object_id for m in found.matches} == others, name


async def _world(tmp_path: Path, database_url: str | None, loop: Any) -> World:
    usa = await make_node(tmp_path / "usa", database_url)
    usa.settings = usa.settings.model_copy(update={"correlation_limit": LIMIT})
    pry = await make_node(tmp_path / "pry", None, party="PRY")
    users: dict[str, User] = {}
    for name, role in USERS.items():
        node = pry if name == "oficial" else usa
        party = node.agreement.party(node.party)
        assert party is not None
        agency = party.agencies[0].id
        users[name] = await add_user(
            usa.engines.writer, party=node.party, name=name, agency=agency, roles=[role],
            password=None,
        )  # fmt: skip
    defs: dict[tuple[str, int], dict[str, Any]] = {}
    meanings: dict[str, model.ModelMarking] = {}
    for i, parties in enumerate(REL_TO):
        defs[("rel_to", i)] = rel_to_marking_definition(parties)
        meanings[defs[("rel_to", i)]["id"]] = model.ModelMarking("rel_to", parties)
    for i, named in enumerate(NAMED):
        defs[("named", i)] = recipients_marking_definition(named)
        meanings[defs[("named", i)]["id"]] = model.ModelMarking("recipients", named)
    for i, code in enumerate(CODES):
        defs[("code", i)] = handling_marking_definition(code)
        meanings[defs[("code", i)]["id"]] = model.ModelMarking("handling", frozenset({code}))
    await usa.write(list(defs.values()), user=None)
    ids = {k: str(v["id"]) for k, v in defs.items()}
    return World(loop, usa, pry, users, ids, meanings)


def test_correlations_show_only_what_the_gate_releases(
    tmp_path: Path, database_url: str | None
) -> None:
    loop = asyncio.new_event_loop()
    w = loop.run_until_complete(_world(tmp_path, database_url, loop))
    try:

        @settings(max_examples=20, deadline=None, database=None,
                  suppress_health_check=[HealthCheck.too_slow])  # fmt: skip
        @given(items=st.lists(specs, min_size=1, max_size=7))
        def check(items: list[Spec]) -> None:
            loop.run_until_complete(run_example(w, items))

        check()
    finally:
        loop.run_until_complete(w.usa.close())
        loop.run_until_complete(w.pry.close())
        loop.close()

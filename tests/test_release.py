"""The release gate: one test per rule, then a property test against tests/release_model.py."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

import release_model as model
from acuerdo.markings import (
    TLP,
    TLP1_MARKING_IDS,
    TLP2_MARKING_IDS,
    Marking,
    MarkingCatalog,
    handling_marking_definition,
    marking_definition,
    recipients_marking_definition,
    rel_to_marking_definition,
)
from acuerdo.release import (
    ALL_CHANNELS,
    ROLES,
    Audience,
    Channel,
    Decision,
    Recipient,
    RecordFacts,
    RecordKind,
    Refusal,
    SharingPolicy,
    audience_of,
    decide,
    recipient_tokens,
)

GREEN, AMBER, RED = (TLP2_MARKING_IDS[t] for t in (TLP.GREEN, TLP.AMBER, TLP.RED))
REL_PRY_USA = rel_to_marking_definition(["PRY", "USA"])
REL_USA = rel_to_marking_definition(["USA"])
REL_CHL = rel_to_marking_definition(["CHL"])
H_API = handling_marking_definition("H2")
H_STREAM = handling_marking_definition("H3")
H_UNDEFINED = handling_marking_definition("H9")
TO_ANA_BEN = recipients_marking_definition(["PRY:ana", "USA:ben"])
TO_CHL = recipients_marking_definition(["CHL:cy"])
UNKNOWN = "marking-definition--00000000-0000-4000-8000-000000000000"

CATALOG = MarkingCatalog.with_definitions(
    [REL_PRY_USA, REL_USA, REL_CHL, H_API, H_STREAM, H_UNDEFINED, TO_ANA_BEN, TO_CHL]
)
POLICY = SharingPolicy(
    parties=("PRY", "USA"),
    type_defaults={"acuerdo-covered-person": (TLP.AMBER, frozenset({"PRY", "USA"}))},
    intel_default=(TLP.GREEN, frozenset({"PRY", "USA"})),
    personal_data_roles=frozenset({"registrar", "verifier"}),
    handling_codes={
        "H2": frozenset({Channel.API, Channel.EXPORT}),
        "H3": frozenset({Channel.API, Channel.STREAM, Channel.FEDERATION}),
    },
)
ANA = Recipient.user("PRY", "ana", {"analyst"})
BEN = Recipient.user("USA", "ben", {"viewer"})
DOT = Recipient.user("USA", "dot", {"registrar"})
USA_NODE = Recipient.node("USA")


def facts(kind: RecordKind, *ids: str, holder: str = "PRY", **kw: Any) -> RecordFacts:
    types = {
        RecordKind.INTEL: "indicator",
        RecordKind.AGREEMENT: "acuerdo-covered-person",
        RecordKind.PERSONAL: "acuerdo-personal-data",
        RecordKind.REFERENCE: "marking-definition",
    }
    return RecordFacts(
        kw.pop("type", types[kind]), kind, holder, kw.pop("author", None), frozenset(ids), **kw
    )


def ok(f: RecordFacts, who: Recipient, channel: Channel = Channel.API, **kw: Any) -> Decision:
    return decide(f, who, channel, CATALOG, POLICY, **kw)


def audience(f: RecordFacts) -> Audience:
    result = audience_of(f, CATALOG, POLICY)
    assert isinstance(result, Audience), result
    return result


def refusal(f: RecordFacts) -> Refusal:
    result = audience_of(f, CATALOG, POLICY)
    assert isinstance(result, Refusal), result
    return result


def test_a_reference_objects_go_to_everyone_whatever_their_markings() -> None:
    for ids in [(), (UNKNOWN,), (RED,)]:
        a = audience(facts(RecordKind.REFERENCE, *ids))
        assert a == Audience(frozenset({"PRY", "USA"}), None, None, ALL_CHANNELS)
        assert ok(facts(RecordKind.REFERENCE), USA_NODE, Channel.FEDERATION).allowed


@pytest.mark.parametrize(
    ("marking_id", "problem"),
    [
        (UNKNOWN, "not a marking definition the gate knows"),
        (REL_CHL["id"], "party outside the agreement"),
        (H_UNDEFINED["id"], "handling code the agreement does not define"),
        (TO_CHL["id"], "recipient of a party outside the agreement"),
    ],
)
def test_b_wrongly_marked_names_the_marking(marking_id: str, problem: str) -> None:
    r = refusal(facts(RecordKind.INTEL, GREEN, marking_id, record_id="indicator--1"))
    assert r.rule == "wrongly-marked"
    assert marking_id in r.reason
    assert problem in r.reason
    assert "indicator--1" in r.reason
    assert ok(facts(RecordKind.INTEL, GREEN, marking_id), ANA).rule == "wrongly-marked"


def test_c_no_tlp_no_release_even_with_rel_to() -> None:
    for ids in [(), (REL_PRY_USA["id"],), (H_API["id"], TO_ANA_BEN["id"])]:
        assert refusal(facts(RecordKind.INTEL, *ids)).rule == "unmarked"
    assert ok(facts(RecordKind.AGREEMENT), ANA).rule == "unmarked"


def test_d_most_restrictive_tlp_wins() -> None:
    a = audience(facts(RecordKind.INTEL, GREEN, AMBER, RED, author="PRY:ana"))
    assert a.users == frozenset({"PRY:ana"})
    assert audience(facts(RecordKind.INTEL, GREEN, AMBER)).reason.startswith("TLP:AMBER")


def test_d_granular_markings_count_like_object_markings() -> None:
    """A record GREEN overall with one RED granular marking is released as RED."""
    obj: dict[str, Any] = {
        "object_marking_refs": [GREEN],
        "granular_markings": [{"marking_ref": RED, "selectors": ["description"]}],
    }
    ids = [*obj["object_marking_refs"], *(g["marking_ref"] for g in obj["granular_markings"])]
    f = facts(RecordKind.INTEL, *ids, author="PRY:ana")
    assert not ok(f, Recipient.user("PRY", "eve", {"analyst"})).allowed
    assert ok(f, ANA).allowed


@pytest.mark.parametrize(
    ("color", "label"),
    [("white", "TLP:CLEAR"), ("green", "TLP:GREEN"), ("amber", "TLP:AMBER"), ("red", "TLP:RED")],
)
def test_d_tlp1_ids_read_as_tlp2_levels(color: str, label: str) -> None:
    a = audience(facts(RecordKind.INTEL, TLP1_MARKING_IDS[color], author="PRY:ana"))
    assert a.reason.startswith(label)
    assert (a.users is not None) == (color == "red")


def test_d_releasability_rel_to_default_holder() -> None:
    several = facts(RecordKind.INTEL, GREEN, REL_PRY_USA["id"], REL_USA["id"], holder="PRY")
    assert audience(several).parties == {"USA", "PRY"}  # USA by REL TO, PRY as holder
    only_usa = facts(RecordKind.INTEL, GREEN, REL_USA["id"], holder="USA")
    assert audience(only_usa).parties == {"USA"}
    assert not ok(only_usa, ANA).allowed
    assert audience(facts(RecordKind.INTEL, GREEN)).parties == {"PRY", "USA"}  # intel default
    assert audience(facts(RecordKind.AGREEMENT, GREEN)).parties == {"PRY", "USA"}  # type default
    other_type = facts(RecordKind.AGREEMENT, GREEN, type="acuerdo-movement-order")
    assert audience(other_type).parties == {"PRY"}  # no default: holder only


def test_e_red_goes_to_named_users_and_author_only() -> None:
    f = facts(RecordKind.INTEL, RED, TO_ANA_BEN["id"], author="PRY:zoe")
    a = audience(f)
    assert a.users == frozenset({"PRY:ana", "USA:ben", "PRY:zoe"})
    assert ok(f, ANA).allowed
    assert ok(f, BEN).allowed
    assert ok(f, Recipient.user("PRY", "zoe", set())).allowed
    assert ok(f, Recipient.user("USA", "eve", set(ROLES))).rule == "not-releasable"


def test_e_red_named_users_outside_releasability_are_dropped() -> None:
    f = facts(RecordKind.INTEL, RED, TO_ANA_BEN["id"], REL_PRY_USA["id"], REL_USA["id"])
    assert audience(f).users == frozenset({"PRY:ana", "USA:ben"})  # PRY is the holder: ana stays
    g = facts(RecordKind.INTEL, RED, TO_ANA_BEN["id"], REL_USA["id"], holder="USA")
    assert audience(g).users == frozenset({"USA:ben"})
    assert not ok(g, ANA).allowed


def test_e_red_never_reaches_a_node_nor_federation() -> None:
    f = facts(RecordKind.INTEL, RED, TO_ANA_BEN["id"])
    assert ok(f, USA_NODE, Channel.FEDERATION).rule == "not-releasable"
    assert ok(f, USA_NODE, Channel.API).rule == "not-releasable"
    assert Channel.FEDERATION not in audience(f).channels
    assert ok(f, BEN, Channel.FEDERATION).rule == "channel"
    assert not any(t.startswith(("node:", "party:")) for t in audience(f).tokens())


def test_e_red_with_nobody_named_is_refused_without_naming_anyone() -> None:
    assert refusal(facts(RecordKind.INTEL, RED)).rule == "tlp-red-unnamed"
    f = facts(RecordKind.INTEL, RED, REL_USA["id"], holder="USA", author="PRY:zoe")
    r = refusal(f)
    assert r.rule == "tlp-red-unnamed"
    assert "zoe" not in r.reason
    assert "PRY" not in r.reason


def test_f_personal_data_only_to_roles_that_need_it() -> None:
    f = facts(RecordKind.PERSONAL, AMBER, REL_PRY_USA["id"])
    assert ok(f, DOT).allowed
    assert ok(f, BEN).rule == "not-releasable"
    assert ok(f, USA_NODE, Channel.FEDERATION).allowed  # the partner node applies roles itself
    assert audience(f).tokens() == {
        "node:PRY",
        "node:USA",
        "role:PRY:registrar",
        "role:PRY:verifier",
        "role:USA:registrar",
        "role:USA:verifier",
    }


def test_f_personal_and_red_needs_name_and_role() -> None:
    f = facts(RecordKind.PERSONAL, RED, recipients_id := TO_ANA_BEN["id"])
    assert recipients_id in f.marking_ids
    assert not ok(f, ANA).allowed  # named, but an analyst
    assert ok(f, Recipient.user("PRY", "ana", {"verifier"})).allowed
    assert "user:PRY:ana|role:verifier" in audience(f).tokens()


def test_g_agreement_and_personal_records_never_on_taxii() -> None:
    for kind in (RecordKind.AGREEMENT, RecordKind.PERSONAL):
        f = facts(kind, GREEN, REL_PRY_USA["id"])
        assert ok(f, DOT, Channel.TAXII).rule == "channel"
        assert ok(f, DOT, Channel.API).allowed
        assert Channel.TAXII not in audience(f).channels
    assert ok(facts(RecordKind.INTEL, GREEN), ANA, Channel.TAXII).allowed


def test_g_handling_codes_restrict_channels() -> None:
    one = facts(RecordKind.INTEL, GREEN, H_API["id"])
    assert audience(one).channels == {Channel.API, Channel.EXPORT}
    assert ok(one, ANA, Channel.STREAM).rule == "channel"
    both = facts(RecordKind.INTEL, GREEN, H_API["id"], H_STREAM["id"])
    assert audience(both).channels == {Channel.API}


def test_references_released_only_when_everything_referred_to_is() -> None:
    f = facts(RecordKind.INTEL, GREEN)
    source = audience(facts(RecordKind.INTEL, GREEN, REL_USA["id"], holder="USA"))
    assert ok(f, ANA).allowed
    assert ok(f, ANA, ref_audiences=[source]).rule == "not-releasable"
    assert ok(f, BEN, ref_audiences=[source]).allowed
    assert ok(f, BEN, ref_audiences=[Audience.nobody("unmarked source")]).rule == "not-releasable"


def test_token_scheme() -> None:
    assert recipient_tokens(USA_NODE) == {"node:USA"}
    assert recipient_tokens(Recipient.user("PRY", "ana", {"analyst"})) == {
        "party:PRY",
        "user:PRY:ana",
        "role:PRY:analyst",
        "user:PRY:ana|role:analyst",
    }
    wide = Audience(frozenset({"PRY"}), None, None, ALL_CHANNELS)
    assert wide.tokens() == {"party:PRY", "node:PRY"}
    named = Audience(frozenset({"PRY"}), None, frozenset({"PRY:ana", "USA:ben"}), ALL_CHANNELS)
    assert named.tokens() == {"user:PRY:ana"}  # ben's party is not in the audience


@pytest.mark.parametrize(
    "make",
    [
        lambda: Recipient.user("PRY", "ana", {"root"}),
        lambda: Recipient.user("PRY", "ana|role:admin", set()),
        lambda: Recipient.user("pry", "ana", set()),
        lambda: Recipient("PRY", None, frozenset({"admin"})),
        lambda: Audience(frozenset({"PRY"}), frozenset({"god"}), None, ALL_CHANNELS),
        lambda: Audience(frozenset({"PRY"}), None, frozenset({"PRY:Ana"}), ALL_CHANNELS),
        lambda: RecordFacts("indicator", RecordKind.INTEL, "PRY", "ana", frozenset()),
        lambda: RecordFacts("Indicator", RecordKind.INTEL, "PRY", None, frozenset()),
        lambda: RecordFacts("indicator", RecordKind.INTEL, "PRY", None, frozenset({"x"})),
        lambda: SharingPolicy(parties=("PRY", "PRY")),
        lambda: SharingPolicy(parties=("PRY",), intel_default=(TLP.RED, frozenset({"USA"}))),
        lambda: SharingPolicy(parties=("PRY",), personal_data_roles=frozenset({"doctor"})),
    ],
)
def test_unsafe_values_are_refused(make: Any) -> None:
    with pytest.raises(ValueError, match=r"\w"):
        make()


def test_audience_json_round_trip() -> None:
    a = audience(facts(RecordKind.PERSONAL, RED, TO_ANA_BEN["id"]))
    assert Audience.from_json(a.to_json()) == a
    assert "ana" not in a.reason
    assert "ben" not in a.reason


# ---------------------------------------------------------------- property tests

GOOD = ["PRY", "USA", "BRA"]  # policies always hold PRY and USA, sometimes BRA
FOREIGN = "CHL"  # never a party to a generated policy
NAMES = ["ana", "ben.x", "cy-3", "dee_4"]
USERS = [f"{p}:{n}" for p in GOOD for n in NAMES[:2]] + ["PRY:cy-3", "USA:dee_4"]
TYPES = ["indicator", "acuerdo-covered-person", "acuerdo-personal-data", "identity"]
UNKNOWNS = [f"marking-definition--{i}0000000-0000-4000-8000-000000000000" for i in range(2)]
subsets = st.frozensets


def mostly(common: st.SearchStrategy[Any], rare: st.SearchStrategy[Any]) -> Any:
    """`common` about seven times in eight: faults must be drawn, but not drown the rest."""
    return st.sampled_from([False] * 7 + [True]).flatmap(lambda r: rare if r else common)


# Hypothesis favours the first element of a choice: put the interesting ones first.
KINDS = [RecordKind.AGREEMENT, RecordKind.INTEL, RecordKind.PERSONAL]
CHANNELS = [Channel.FEDERATION, Channel.TAXII, Channel.EXPORT, Channel.STREAM, Channel.API]


@st.composite
def policies(draw: st.DrawFn) -> tuple[SharingPolicy, model.ModelPolicy]:
    parties = frozenset({"PRY", "USA"} | draw(subsets(st.just("BRA"))))
    party_sets = subsets(st.sampled_from(sorted(parties)))
    by_type = draw(st.dictionaries(st.sampled_from(TYPES), party_sets, max_size=2))
    intel = draw(party_sets)
    roles = draw(subsets(st.sampled_from(sorted(ROLES))))
    channel_sets = mostly(
        subsets(st.sampled_from(list(Channel)), min_size=2), subsets(st.just(Channel.API))
    )
    codes = {"H1": draw(channel_sets), "H2": draw(channel_sets)}
    policy = SharingPolicy(
        parties=tuple(sorted(parties)),
        type_defaults={t: (TLP.AMBER, p) for t, p in by_type.items()},
        intel_default=(TLP.GREEN, intel),
        personal_data_roles=roles,
        handling_codes=codes,
    )
    chans = {c: frozenset(str(x) for x in v) for c, v in codes.items()}
    return policy, model.ModelPolicy(parties, by_type, intel, roles, chans)


def _materialise(marking: str | tuple[str, frozenset[str]], meanings: dict[str, Any]) -> str:
    """The id of a drawn marking, recording its meaning for the model and the catalog."""
    if isinstance(marking, str):
        return marking
    kind, values = marking
    value = {"rel_to": Marking.rel_to, "recipients": Marking.recipients}.get(kind)
    made = value(values) if value else Marking.handling(next(iter(values)))
    obj = marking_definition(made)
    meanings[obj["id"]] = (obj, model.ModelMarking(kind, values))
    return str(obj["id"])


def _marking_lists(parties: frozenset[str]) -> st.SearchStrategy[list[Any]]:
    """TLP, REL TO, handling and recipients markings, and now and then a wrong one."""
    rel_to = subsets(st.sampled_from(sorted(parties)), min_size=1).map(lambda p: ("rel_to", p))
    handling = st.sampled_from(["H1", "H2"]).map(lambda c: ("handling", frozenset({c})))
    named = [u for u in USERS if u.split(":")[0] in parties]
    recipients = subsets(st.sampled_from(named), min_size=1, max_size=3)
    outsider = subsets(st.sampled_from([*GOOD, FOREIGN]), min_size=1)
    faults = st.one_of(
        st.sampled_from(UNKNOWNS),
        outsider.map(lambda p: ("rel_to", p | {FOREIGN})),
        st.just(("handling", frozenset({"H3"}))),
        st.just(("recipients", frozenset({f"{FOREIGN}:ana"}))),
    )
    return st.tuples(
        mostly(
            st.lists(st.sampled_from(sorted(model.MODEL_TLP_IDS)), min_size=1, max_size=3),
            st.just([]),
        ),
        st.lists(rel_to, max_size=2),
        st.lists(handling, max_size=2),
        st.lists(recipients.map(lambda u: ("recipients", u)), max_size=1),
        mostly(st.just([]), st.lists(faults, min_size=1, max_size=1)),
    ).map(lambda parts: [m for part in parts for m in part])


@st.composite
def records(
    draw: st.DrawFn, meanings: dict[str, Any], parties: frozenset[str]
) -> tuple[RecordFacts, model.ModelRecord]:
    kind = draw(mostly(st.sampled_from(KINDS), st.just(RecordKind.REFERENCE)))
    rtype, holder = draw(st.sampled_from(TYPES)), draw(st.sampled_from(sorted(parties)))
    author = draw(st.none() | st.sampled_from(USERS))
    ids = frozenset(_materialise(m, meanings) for m in draw(_marking_lists(parties)))
    return (
        RecordFacts(rtype, kind, holder, author, ids),
        model.ModelRecord(rtype, str(kind), holder, author, ids),
    )


def _user(who: tuple[str, str], roles: frozenset[str]) -> tuple[Recipient, Any]:
    return Recipient.user(who[0], who[1], roles), model.ModelRecipient(who[0], who[1], roles)


users = st.builds(
    _user,
    mostly(  # often someone the markings may name, sometimes anyone at all
        st.sampled_from([(u.split(":")[0], u.split(":")[1]) for u in USERS]),
        st.tuples(st.sampled_from([*GOOD, FOREIGN]), st.sampled_from(NAMES)),
    ),
    subsets(st.sampled_from(sorted(ROLES))),
)
nodes = st.sampled_from([*GOOD, FOREIGN]).map(
    lambda p: (Recipient.node(p), model.ModelRecipient(p, None))
)
recipients = st.one_of(users, users, nodes)


@settings(deadline=None, max_examples=500)
@given(data=st.data())
def test_decide_agrees_with_the_reference_model(data: st.DataObject) -> None:
    policy, mpolicy = data.draw(policies())
    meanings: dict[str, Any] = {}
    record, mrecord = data.draw(records(meanings, mpolicy.parties))
    refs = data.draw(mostly(st.just([]), st.lists(records(meanings, mpolicy.parties), max_size=2)))
    who, mwho = data.draw(recipients)
    channel = data.draw(st.sampled_from(CHANNELS))
    catalog = MarkingCatalog.with_definitions(obj for obj, _ in meanings.values())
    meaning = {mid: m for mid, (_, m) in meanings.items()}

    ref_audiences = []
    for ref, _ in refs:
        result = audience_of(ref, catalog, policy)
        ref_audiences.append(result if isinstance(result, Audience) else Audience.nobody("refused"))
    got = decide(record, who, channel, catalog, policy, ref_audiences=ref_audiences)
    want = model.verdict(mrecord, [m for _, m in refs], meaning, mpolicy, mwho, str(channel))
    event(f"{want} {record.kind} {channel}")
    assert (got.rule, got.allowed) == (want, want == "released"), got.reason
    assert not any(f":{n}" in got.reason or f" {n}" in got.reason for n in NAMES)


audiences = st.builds(
    Audience,
    parties=subsets(st.sampled_from([*GOOD, FOREIGN])),
    roles=st.none() | subsets(st.sampled_from(sorted(ROLES))),
    users=st.none() | subsets(st.sampled_from([*USERS, f"{FOREIGN}:ana"])),
    channels=subsets(st.sampled_from(list(Channel))),
)


@settings(deadline=None, max_examples=500)
@given(a=audiences, recipient=recipients)
def test_tokens_meet_exactly_when_the_audience_admits(
    a: Audience, recipient: tuple[Recipient, model.ModelRecipient]
) -> None:
    who, mwho = recipient
    meets = not a.tokens().isdisjoint(recipient_tokens(who))
    assert meets == model.audience_admits(a.parties, a.roles, a.users, mwho) == a.admits(who)


@settings(deadline=None, max_examples=500)
@given(a=audiences, b=audiences, recipient=recipients)
def test_intersection_never_widens(
    a: Audience, b: Audience, recipient: tuple[Recipient, model.ModelRecipient]
) -> None:
    who, _ = recipient
    both = a.intersect(b)
    assert both.channels <= a.channels & b.channels
    if both.admits(who):
        assert a.admits(who)
        assert b.admits(who)
    if a.roles == b.roles or a.roles is None or b.roles is None:  # always so under one policy
        assert both.admits(who) == (a.admits(who) and b.admits(who))

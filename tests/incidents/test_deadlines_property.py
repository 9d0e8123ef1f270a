"""Deadlines move as the facts move: random sequences of records against a reference model.

Each example is a case under korea-style.yaml built from random steps (certificates for and
against official duty, challenges, waiver requests by either State, extensions, grants,
refusals, notices), some by the wrong State, at random gaps; the obligations acuerdo
computes at a random instant must be exactly the model's (deadline_model.py, which imports
nothing of acuerdo).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import case_records as cr
from deadline_model import Event, H, S, expected
from hypothesis import given, settings
from hypothesis import strategies as st

from acuerdo.agreement import load_agreement
from acuerdo.domains.incidents import decide_case
from acuerdo.domains.incidents.jurisdiction import PersonFacts

KOREA = load_agreement(Path(__file__).with_name("korea-style.yaml"))
CODE = {S: "USA", H: "DEU"}
BOTH = {
    "host": True,
    "sending": True,
    "inter_se": False,
    "against_sending_state_property_or_security": False,
}

STEP = st.tuples(
    st.sampled_from(["certificate", "challenge", "notice", "request", "decision"]),
    st.sampled_from([S, H]),
    st.sampled_from(["on", "off", "exercise", "decline", "granted", "refused", "extended"]),
    st.integers(min_value=0, max_value=5),  # which earlier record it answers
    st.integers(min_value=1, max_value=24 * 12),  # hours since the previous record
)


def _build(steps: list[tuple[str, str, str, int, int]]) -> tuple[list[Event], list[object], dict]:
    person = cr.new_id("acuerdo-covered-person")
    clock = cr.T0
    inc = cr.incident([cr.suspect(person, **BOTH)], clock)
    events = [Event(inc["id"], "incident", H, clock)]
    records = []
    objs: dict[str, dict] = {inc["id"]: inc}
    for kind, owner, value, pick, gap in steps:
        clock += timedelta(hours=gap)
        certs = [e for e in events if e.kind == "certificate"]
        requests = [e for e in events if e.kind == "request"]
        if kind == "certificate":
            value = "on" if value in ("on", "exercise", "granted") else "off"
            obj = cr.certificate(inc, person, value == "on", clock)
            answers = ""
        elif kind == "challenge" and certs:
            target = certs[pick % len(certs)]
            obj, answers = cr.challenge(objs[target.id], clock), target.id
        elif kind == "notice":
            value = "decline" if value in ("decline", "off", "refused") else "exercise"
            obj, answers = cr.notice(inc, person, value, clock), ""
        elif kind == "request":
            obj, answers = cr.waiver_request(inc, person, CODE[H if owner == S else S], clock), ""
        elif kind == "decision" and requests:
            target = requests[pick % len(requests)]
            value = value if value in ("granted", "refused", "extended") else "extended"
            obj, answers = cr.waiver_decision(inc, objs[target.id], value, clock), target.id
        else:
            continue
        objs[obj["id"]] = obj
        events.append(Event(obj["id"], kind, owner, clock, value, answers))
        records.append(cr.as_case(obj, CODE[owner]))
    return events, records, {"incident": inc, "person": person}


@settings(deadline=None, max_examples=150)
@given(st.lists(STEP, max_size=12), st.integers(min_value=0, max_value=24 * 80))
def test_obligations_match_the_reference_model(steps: list, probe: int) -> None:
    events, records, case = _build(steps)
    now = cr.T0 + timedelta(hours=probe)
    persons = {case["person"]: PersonFacts("USA", "member-of-force")}
    decided = decide_case(KOREA, cr.as_case(case["incident"], "DEU"), records, persons, now)
    party = {v: k for k, v in CODE.items()}
    got = {
        (o.timer.act, party[o.party], o.starts.id, o.due, o.status(now), o.late)
        for o in decided.obligations
    }
    assert got == expected(events, now)


@settings(deadline=None, max_examples=60)
@given(st.lists(STEP, min_size=1, max_size=10))
def test_a_new_record_never_moves_an_unrelated_deadline_earlier(steps: list) -> None:
    """Adding a record only closes, opens or extends obligations: no due date of an
    obligation that still exists moves earlier (the extension only ever adds time)."""
    _, records, case = _build(steps)
    persons = {case["person"]: PersonFacts("USA", "member-of-force")}
    incident = cr.as_case(case["incident"], "DEU")
    now = cr.T0 + timedelta(days=90)
    before = decide_case(KOREA, incident, records[:-1], persons, now)
    after = decide_case(KOREA, incident, records, persons, now)
    due_before = {(o.timer.act, o.party, o.starts.id): o.due for o in before.obligations}
    for o in after.obligations:
        key = (o.timer.act, o.party, o.starts.id)
        if key in due_before:
            assert o.due >= due_before[key]

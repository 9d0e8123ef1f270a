"""NATO SOFA Arts. VII and VIII, case by case: who tries the accused, who holds them, what
each State must do and by when, and who pays.

Each case states the facts as the Article does and expects the outcome and the paragraphs
cited. The pair is the profile's example: the United States sending, Germany receiving.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import case_records as cr
import pytest
from scene import Scene, cited, obligation

from acuerdo.agreement import Agreement, load_profile
from acuerdo.domains.incidents import decide_claim

SENDING, HOST = "USA", "DEU"


@pytest.fixture(scope="module")
def nato() -> Agreement:
    return load_profile("nato-sofa-1951")


@dataclass(frozen=True)
class Row:
    """Facts -> (jurisdiction, primary right, exercising, rule, articles cited)."""

    name: str
    facts: Callable[[Scene], None]
    kind: str
    primary: str | None
    exercising: str | None
    articles: frozenset[str]
    category: str = "member-of-force"


def _off_duty(s: Scene) -> None:
    s.report(
        host=True, sending=True, inter_se=False, against_sending_state_property_or_security=False
    )
    s.certify(False)


def _on_duty(s: Scene) -> None:
    s.report(
        host=True, sending=True, inter_se=False, against_sending_state_property_or_security=False
    )
    s.certify(True)


def _waiver(
    asked_by: str, to: str, answer: str, base: Callable[[Scene], None]
) -> Callable[[Scene], None]:
    def facts(s: Scene) -> None:
        base(s)
        request = s.ask_waiver(asked_by, to)
        s.decide_waiver(request, answer, to)

    return facts


def _declined(s: Scene) -> None:
    _on_duty(s)
    s.notice("decline", SENDING)


ROWS = [
    # Art. VII.2(b): punishable by the law of the receiving State only.
    Row(
        "host-law-only, member of the force",
        lambda s: s.report(host=True, sending=False),
        "exclusive",
        HOST,
        HOST,
        frozenset({"VII 2(b)"}),
    ),
    Row(
        "host-law-only, civilian component",
        lambda s: s.report(host=True, sending=False),
        "exclusive",
        HOST,
        HOST,
        frozenset({"VII 2(b)"}),
        "civilian-component",
    ),
    Row(
        "host-law-only, dependent",
        lambda s: s.report(host=True, sending=False),
        "exclusive",
        HOST,
        HOST,
        frozenset({"VII 2(b)"}),
        "dependent",
    ),
    # Art. VII.2(a): punishable by the law of the sending State only.
    Row(
        "sending-law-only, member of the force",
        lambda s: s.report(host=False, sending=True),
        "exclusive",
        SENDING,
        SENDING,
        frozenset({"VII 2(a)"}),
    ),
    Row(
        "sending-law-only, civilian component",
        lambda s: s.report(host=False, sending=True),
        "exclusive",
        SENDING,
        SENDING,
        frozenset({"VII 2(a)"}),
        "civilian-component",
    ),
    # Art. VII.3(a)(ii): both laws, act in official duty: the sending State's primary right.
    Row(
        "both laws, official duty certified",
        _on_duty,
        "concurrent",
        SENDING,
        SENDING,
        frozenset({"VII 3(a)(ii)"}),
    ),
    Row(
        "both laws, official duty as reported, no certificate yet",
        lambda s: s.report(
            host=True,
            sending=True,
            inter_se=False,
            official_duty=True,
            against_sending_state_property_or_security=False,
        ),
        "concurrent",
        SENDING,
        SENDING,
        frozenset({"VII 3(a)(ii)"}),
    ),
    Row(
        "both laws, official duty certified, civilian component",
        _on_duty,
        "concurrent",
        SENDING,
        SENDING,
        frozenset({"VII 3(a)(ii)"}),
        "civilian-component",
    ),
    # Art. VII.3(b): both laws, not on duty: the receiving State's primary right.
    Row(
        "both laws, certified off duty",
        _off_duty,
        "concurrent",
        HOST,
        HOST,
        frozenset({"VII 3(b)"}),
    ),
    Row(
        "both laws, on duty, but the accused is a dependent",
        _on_duty,
        "concurrent",
        HOST,
        HOST,
        frozenset({"VII 3(b)"}),
        "dependent",
    ),
    # Art. VII.3(a)(i): inter se, and offences against the sending State itself.
    Row(
        "both laws, inter se",
        lambda s: s.report(
            host=True, sending=True, against_sending_state_property_or_security=False, inter_se=True
        ),
        "concurrent",
        SENDING,
        SENDING,
        frozenset({"VII 3(a)(i)"}),
    ),
    Row(
        "both laws, against the sending State's property",
        lambda s: s.report(
            host=True, sending=True, against_sending_state_property_or_security=True
        ),
        "concurrent",
        SENDING,
        SENDING,
        frozenset({"VII 3(a)(i)"}),
    ),
    Row(
        "both laws, inter se by a dependent (not within 3(a)(i))",
        lambda s: s.report(
            host=True, sending=True, against_sending_state_property_or_security=False, inter_se=True
        ),
        "concurrent",
        HOST,
        HOST,
        frozenset({"VII 3(b)"}),
        "dependent",
    ),
    # Official duty unknown: no guess, the answer names the fact it needs.
    Row(
        "both laws, official duty not yet known",
        lambda s: s.report(
            host=True,
            sending=True,
            inter_se=False,
            against_sending_state_property_or_security=False,
        ),
        "undetermined",
        None,
        None,
        frozenset({"VII 3(a)(ii)"}),
    ),
    # Art. VII.3(c): waivers and declining the primary right.
    Row(
        "off duty; the sending State asks, the receiving State grants",
        _waiver(SENDING, HOST, "granted", _off_duty),
        "concurrent",
        HOST,
        SENDING,
        frozenset({"VII 3(b)", "VII 3(c)"}),
    ),
    Row(
        "off duty; the sending State asks, the receiving State refuses",
        _waiver(SENDING, HOST, "refused", _off_duty),
        "concurrent",
        HOST,
        HOST,
        frozenset({"VII 3(b)", "VII 3(c)"}),
    ),
    Row(
        "on duty; the receiving State asks, the sending State grants",
        _waiver(HOST, SENDING, "granted", _on_duty),
        "concurrent",
        SENDING,
        HOST,
        frozenset({"VII 3(a)(ii)", "VII 3(c)"}),
    ),
    Row(
        "on duty; the receiving State asks, the sending State refuses",
        _waiver(HOST, SENDING, "refused", _on_duty),
        "concurrent",
        SENDING,
        SENDING,
        frozenset({"VII 3(a)(ii)", "VII 3(c)"}),
    ),
    Row(
        "on duty; the sending State declines its primary right",
        _declined,
        "concurrent",
        SENDING,
        HOST,
        frozenset({"VII 3(a)(ii)", "VII 3(c)"}),
    ),
    Row(
        "off duty; an extension alone decides nothing",
        _waiver(SENDING, HOST, "extended", _off_duty),
        "concurrent",
        HOST,
        HOST,
        frozenset({"VII 3(b)"}),
    ),
]


@pytest.mark.parametrize("row", ROWS, ids=[r.name for r in ROWS])
def test_article_vii_jurisdiction(nato: Agreement, row: Row) -> None:
    s = Scene(nato, SENDING, HOST, category=row.category)
    row.facts(s)
    d = s.accused()
    assert (d.kind, d.primary, d.exercising) == (row.kind, row.primary, row.exercising)
    assert row.articles <= cited(d.reasons), cited(d.reasons)
    decided = s.decide().to_json(nato)
    assert decided["agreement"]["hash"] == nato.hash
    facts = {f["id"] for f in decided["facts"]}  # type: ignore[index, union-attr]
    assert s.incident is not None and s.incident["id"] in facts
    assert facts <= {r.id for r in s.records} | {s.incident["id"]}
    deciding = [r.id for r in s.records if r.type != "acuerdo-waiver-request"]
    if row.exercising != row.primary:  # the act that moved the exercise is named
        assert deciding[-1] in facts


# --- Art. VII.5(c): custody --------------------------------------------------------------


def test_custody_stays_with_the_sending_state_until_the_receiving_state_charges(
    nato: Agreement,
) -> None:
    s = Scene(nato, SENDING, HOST)
    _off_duty(s)
    before = s.accused()
    assert (before.should_hold, before.custody_rule and before.custody_rule.id) == (
        SENDING,
        "receiving-state-before-charges",
    )
    assert "VII 5(c)" in cited(before.reasons)
    s.proceed("charged", HOST)
    after = s.accused()
    assert after.charged and after.should_hold == HOST
    assert (
        after.custody_rule is not None and after.custody_rule.id == "receiving-state-after-charges"
    )


def test_custody_in_exclusive_receiving_state_jurisdiction_follows_the_same_rule(
    nato: Agreement,
) -> None:
    s = Scene(nato, SENDING, HOST)
    s.report(host=True, sending=False)
    assert s.accused().should_hold == SENDING


def test_custody_with_the_sending_state_when_it_exercises_jurisdiction(nato: Agreement) -> None:
    s = Scene(nato, SENDING, HOST)
    _on_duty(s)
    d = s.accused()
    assert d.should_hold == SENDING and "VII 5(a)" in cited(d.reasons)


def test_custody_held_by_the_receiving_state_before_charges_is_flagged(nato: Agreement) -> None:
    s = Scene(nato, SENDING, HOST)
    _off_duty(s)
    s.hold(HOST)
    custody = s.decide().to_json(nato)["accused"][0]["custody"]  # type: ignore[index]
    assert custody == {
        "rule": "receiving-state-before-charges",
        "should_hold": SENDING,
        "held_by": HOST,
        "differs": True,
    }


def test_a_waiver_granted_to_the_sending_state_moves_custody_to_it(nato: Agreement) -> None:
    s = Scene(nato, SENDING, HOST)
    _waiver(SENDING, HOST, "granted", _off_duty)(s)
    d = s.accused()
    assert d.exercising == SENDING and d.should_hold == SENDING


# --- facts that change the decision ----------------------------------------------------------


def test_the_duty_certificate_turns_an_undetermined_case_into_the_sending_states(
    nato: Agreement,
) -> None:
    s = Scene(nato, SENDING, HOST)
    s.report(
        host=True, sending=True, inter_se=False, against_sending_state_property_or_security=False
    )
    assert s.accused().kind == "undetermined"
    assert s.accused().missing == ["official_duty"]
    cert = s.certify(True)
    d = s.accused()
    assert (d.kind, d.primary) == ("concurrent", SENDING)
    assert d.certificate is not None and d.certificate.id == cert["id"]


def test_a_certificate_from_the_receiving_state_is_not_the_sending_states(nato: Agreement) -> None:
    s = Scene(nato, SENDING, HOST)
    s.report(
        host=True, sending=True, inter_se=False, against_sending_state_property_or_security=False
    )
    s.certify(True, by=HOST)
    assert s.accused().kind == "undetermined"


def test_a_described_non_covered_suspect_is_outside_the_agreement(nato: Agreement) -> None:
    s = Scene(nato, SENDING, HOST)
    s.report(host=True, sending=False)
    s.incident["persons"].append(cr.suspect(None, host=True, sending=False))  # type: ignore[index]
    others = s.decide().to_json(nato)["others"]
    assert len(others) == 1 and others[0]["reason"]["citation"]["article"] == "I"  # type: ignore[index]


def test_an_accused_whose_record_is_not_here_is_undetermined(nato: Agreement) -> None:
    s = Scene(nato, SENDING, HOST, known=False)
    s.report(host=True, sending=False)
    d = s.accused()
    assert d.kind == "undetermined" and cited(d.reasons) == {"I 1"}


# --- timers: what each State must do next, and by when -------------------------------------


def _utc(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(tzinfo=UTC)


def test_the_sending_state_certifies_within_ten_days_of_the_report(nato: Agreement) -> None:
    s = Scene(nato, SENDING, HOST)
    s.report(
        host=True, sending=True, inter_se=False, against_sending_state_property_or_security=False
    )
    o = obligation(s.decide(), "duty-certificate")
    # Reported Monday 2 March 09:00 UTC; ten calendar days counted from 3 March: due by the
    # end of 12 March.
    assert (o.party, o.due, o.status(s.clock)) == (SENDING, _utc("2026-03-13"), "open")
    assert o.status(_utc("2026-03-13")) == "overdue"
    s.certify(True, days=12)
    done = obligation(s.decide(), "duty-certificate")
    assert done.status(s.clock) == "done" and done.late


def test_the_state_with_the_primary_right_gives_notice_from_the_certificates_receipt(
    nato: Agreement,
) -> None:
    s = Scene(nato, SENDING, HOST)
    _on_duty(s)  # certificate received 3 March 09:00
    o = obligation(s.decide(), "jurisdiction-notice")
    assert (o.party, o.due) == (SENDING, _utc("2026-03-14"))
    assert o.starts.type == "acuerdo-duty-certificate"
    assert f"{o.timer.basis.article} {o.timer.basis.paragraph}" == "VII 3(c)"
    s.notice("exercise", SENDING)
    assert obligation(s.decide(), "jurisdiction-notice").status(s.clock) == "done"


def test_a_waiver_request_is_answered_within_twenty_one_days(nato: Agreement) -> None:
    s = Scene(nato, SENDING, HOST)
    _off_duty(s)
    request = s.ask_waiver(SENDING, HOST)  # 4 March 09:00
    o = obligation(s.decide(), "waiver-decision")
    assert (o.party, o.due) == (HOST, _utc("2026-03-26"))
    assert o.status(_utc("2026-03-27")) == "overdue"
    s.decide_waiver(request, "refused", HOST)
    assert obligation(s.decide(), "waiver-decision").status(s.clock) == "done"


def test_exclusive_jurisdiction_sets_no_concurrent_timers(nato: Agreement) -> None:
    s = Scene(nato, SENDING, HOST)
    s.report(host=True, sending=False)
    assert s.decide().obligations == []


def test_a_final_outcome_closes_the_case_and_its_open_obligations(nato: Agreement) -> None:
    s = Scene(nato, SENDING, HOST)
    _off_duty(s)
    assert s.decide().open_obligations()
    s.proceed("convicted", HOST, days=30)
    decided = s.decide(s.clock + timedelta(days=60))
    assert decided.closed and decided.open_obligations() == []


def test_an_outcome_by_a_state_not_exercising_jurisdiction_is_not_the_outcome(
    nato: Agreement,
) -> None:
    s = Scene(nato, SENDING, HOST)
    _off_duty(s)
    s.proceed("dismissed", SENDING)
    assert not s.decide().closed


# --- Art. VIII: claims --------------------------------------------------------------------


@dataclass(frozen=True)
class ClaimRow:
    name: str
    facts: dict[str, object]
    outcome: str
    paragraph: str
    parts: dict[str, str] | None = None


CLAIM_ROWS = [
    ClaimRow(
        "armed-services property, official duty",
        {
            "claimant_kind": "government",
            "damage_kind": "armed-services-property",
            "official_duty": True,
        },
        "waived",
        "1",
    ),
    ClaimRow(
        "other government property, official duty",
        {"claimant_kind": "government", "damage_kind": "other-property", "official_duty": True},
        "arbitration",
        "2",
    ),
    ClaimRow(
        "injury to a member in official duty",
        {"claimant_kind": "government", "damage_kind": "injury", "official_duty": True},
        "waived",
        "4",
    ),
    ClaimRow(
        "death of a member in official duty",
        {"claimant_kind": "government", "damage_kind": "death", "official_duty": True},
        "waived",
        "4",
    ),
    ClaimRow(
        "third party, official duty, sending State alone responsible",
        {"official_duty": True, "responsible": [SENDING]},
        "shared",
        "5(e)(i)",
        {SENDING: "7500.00", HOST: "2500.00"},
    ),
    ClaimRow(
        "third party, official duty, both States responsible",
        {"official_duty": True, "responsible": [SENDING, HOST]},
        "shared",
        "5(e)(ii)",
        {SENDING: "5000.00", HOST: "5000.00"},
    ),
    ClaimRow("third party, outside official duty", {"official_duty": False}, "ex-gratia", "6"),
    ClaimRow(
        "third party, official duty, responsibility not yet known",
        {"official_duty": True},
        "undetermined",
        "5(e)(i)",
    ),
]


@pytest.mark.parametrize("row", CLAIM_ROWS, ids=[r.name for r in CLAIM_ROWS])
def test_article_viii_claims(nato: Agreement, row: ClaimRow) -> None:
    decided = decide_claim(nato, cr.as_case(cr.claim(**row.facts), HOST))
    assert decided["outcome"] == row.outcome
    citations = [r["citation"] for r in decided["reasons"]]  # type: ignore[union-attr]
    assert [(c["article"], c["paragraph"]) for c in citations] == [("VIII", row.paragraph)]  # type: ignore[index]
    assert decided.get("parts") == row.parts
    assert decided["agreement"] == {"id": nato.id, "version": nato.version, "hash": nato.hash}


def test_shared_costs_add_up_to_the_claim_to_the_cent(nato: Agreement) -> None:
    facts = {"official_duty": True, "responsible": [SENDING], "amount": "100.01", "currency": "USD"}
    parts = decide_claim(nato, cr.as_case(cr.claim(**facts), HOST))["parts"]
    assert parts == {SENDING: "75.01", HOST: "25.00"}

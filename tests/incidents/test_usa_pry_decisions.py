"""usa-pry-2025 Arts. 1, 3 and 11 (as reported), case by case.

Art. 3: Paraguay authorises the United States to exercise criminal jurisdiction over U.S.
personnel: whatever law the act breaks, on duty or not, the United States exercises it;
persons Art. 1 gives no status (contractor employees, dependents) are outside it. Art. 11:
claims between the governments for official-duty damage are waived; third-party claims go
to the United States' own process. The wording of Arts. 3 and 11 is not public, and every
citation says so.
"""

from __future__ import annotations

from datetime import UTC, datetime

import case_records as cr
import pytest
from scene import Scene, cited, obligation

from acuerdo.agreement import Agreement, load_profile
from acuerdo.domains.incidents import decide_claim

SENDING, HOST = "USA", "PRY"


@pytest.fixture(scope="module")
def pry() -> Agreement:
    return load_profile("usa-pry-2025")


@pytest.mark.parametrize(
    ("category", "host", "sending", "duty"),
    [
        ("member-of-force", True, False, None),
        ("member-of-force", True, True, False),
        ("member-of-force", True, True, True),
        ("member-of-force", False, True, None),
        ("civilian-employee", True, False, None),
        ("civilian-employee", True, True, True),
    ],
)
def test_article_3_the_united_states_exercises_jurisdiction_over_its_personnel(
    pry: Agreement, category: str, host: bool, sending: bool, duty: bool | None
) -> None:
    s = Scene(pry, SENDING, HOST, category=category)
    flags = {} if duty is None else {"official_duty": duty}
    s.report(host=host, sending=sending, **flags)
    d = s.accused()
    assert (d.kind, d.primary, d.exercising) == ("sending-state-exercises", SENDING, SENDING)
    assert cited(d.reasons) == {"3"}
    assert all(not r.citation.public for r in d.reasons)  # Art. 3's wording is not public


@pytest.mark.parametrize("category", ["contractor-employee", "dependent"])
def test_article_1_gives_contractor_employees_and_dependents_no_status(
    pry: Agreement, category: str
) -> None:
    s = Scene(pry, SENDING, HOST, category=category)
    s.report(host=True, sending=False)
    d = s.accused()
    assert (d.kind, d.exercising) == ("not-covered", None)
    assert cited(d.reasons) == {"1"}
    assert s.decide().obligations == []


def test_the_united_states_notifies_within_ten_paraguayan_business_days(pry: Agreement) -> None:
    s = Scene(pry, SENDING, HOST, clock=datetime(2026, 4, 1, 12, tzinfo=UTC))
    s.report(host=True, sending=False)
    o = obligation(s.decide(), "jurisdiction-notice")
    # Received Wednesday 1 April 09:00 in Asuncion. Holy Thursday and Good Friday (2 and 3
    # April) and the weekend do not count: the tenth business day is Friday 17 April, so
    # the notice is due by its end, midnight in Asuncion (UTC-3).
    assert (o.party, o.due) == (SENDING, datetime(2026, 4, 18, 3, tzinfo=UTC))
    assert o.status(datetime(2026, 4, 18, 2, 59, tzinfo=UTC)) == "open"
    assert o.status(datetime(2026, 4, 18, 3, tzinfo=UTC)) == "overdue"
    s.notice("exercise", SENDING, days=3)
    assert obligation(s.decide(), "jurisdiction-notice").status(s.clock) == "done"


def test_no_waiver_is_reported_so_a_request_changes_nothing(pry: Agreement) -> None:
    s = Scene(pry, SENDING, HOST)
    s.report(host=True, sending=True)
    request = s.ask_waiver(HOST, SENDING)
    s.decide_waiver(request, "granted", SENDING)
    d = s.accused()
    assert d.exercising == SENDING
    assert [o.timer.act for o in s.decide().obligations] == ["jurisdiction-notice"]


def test_no_custody_rule_is_public(pry: Agreement) -> None:
    s = Scene(pry, SENDING, HOST)
    s.report(host=True, sending=False)
    d = s.accused()
    assert d.should_hold is None and d.custody_rule is None


@pytest.mark.parametrize(
    ("facts", "outcome"),
    [
        ({"claimant_kind": "government", "official_duty": True}, "waived"),
        ({"claimant_kind": "government", "official_duty": True, "damage_kind": "death"}, "waived"),
        ({"claimant_kind": "third-party", "official_duty": True}, "sending-state-process"),
        ({"claimant_kind": "third-party", "official_duty": False}, "sending-state-process"),
        ({"claimant_kind": "government", "official_duty": False}, "no-rule"),
    ],
)
def test_article_11_claims(pry: Agreement, facts: dict[str, object], outcome: str) -> None:
    decided = decide_claim(pry, cr.as_case(cr.claim(currency="PYG", **facts), HOST))
    assert decided["outcome"] == outcome
    citations = [r["citation"] for r in decided["reasons"]]  # type: ignore[union-attr]
    assert [(c["article"], c["public"]) for c in citations] == [("11", False)]  # type: ignore[index]
    assert "parts" not in decided

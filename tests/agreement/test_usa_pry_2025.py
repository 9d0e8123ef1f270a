"""The US-Paraguay agreement of 15 December 2025, article by article, as reported."""

from __future__ import annotations

import json

import pytest

from acuerdo.agreement import (
    ActivityQuestion,
    Agreement,
    ClaimQuestion,
    CoverageQuestion,
    Decision,
    EntryQuestion,
    JurisdictionQuestion,
)


def cites(decision: Decision, article: str) -> bool:
    return any(r.citation.article == article for r in decision.reasons)


# Art. 1: U.S. personnel are members of the U.S. armed forces and Department of War civilian
# employees; U.S. contractors are non-Paraguayan firms and their non-Paraguayan employees.


def test_art_1_and_2_a_member_of_the_us_armed_forces_is_covered_with_a_and_t_status(
    usa_pry: Agreement,
) -> None:
    decision = usa_pry.evaluate(
        CoverageQuestion(category="member-of-force", armed_forces_of="USA", nationalities=["USA"])
    )
    assert decision.outcome == "covered"
    assert decision.details["status"] == "administrative-and-technical-staff"
    assert cites(decision, "1") and cites(decision, "2")
    assert decision.agreement_hash == usa_pry.hash


def test_art_1_a_member_of_another_states_forces_is_not_us_personnel(usa_pry: Agreement) -> None:
    decision = usa_pry.evaluate(CoverageQuestion(category="member-of-force", armed_forces_of="BRA"))
    assert decision.outcome == "not-covered"
    assert any("armed forces of the United States" in r.text for r in decision.reasons)


def test_art_1_a_department_of_war_civilian_employee_is_covered(usa_pry: Agreement) -> None:
    decision = usa_pry.evaluate(
        CoverageQuestion(category="civilian-employee", employed_by_armed_service=True)
    )
    assert decision.outcome == "covered"


def test_art_1_a_contractor_employee_who_is_a_paraguayan_national_is_not_covered(
    usa_pry: Agreement,
) -> None:
    decision = usa_pry.evaluate(
        CoverageQuestion(
            category="contractor-employee", nationalities=["PRY"], employer_nationality="USA"
        )
    )
    assert decision.outcome == "not-covered"
    assert decision.details["meets_definition"] is False
    refusal = next(r for r in decision.reasons if "Paraguayan nationals" in r.text)
    assert refusal.citation.article == "1" and refusal.citation.public


def test_art_1_even_a_non_paraguayan_contractor_employee_has_no_status_of_their_own(
    usa_pry: Agreement,
) -> None:
    decision = usa_pry.evaluate(
        CoverageQuestion(
            category="contractor-employee", nationalities=["USA"], employer_nationality="USA"
        )
    )
    assert decision.outcome == "not-covered"
    assert decision.details["meets_definition"] is True
    assert any("no status of their own" in r.text for r in decision.reasons)


def test_art_1_dependents_are_not_named(usa_pry: Agreement) -> None:
    decision = usa_pry.evaluate(CoverageQuestion(category="dependent", dependent_of_member=True))
    assert decision.outcome == "not-covered"
    assert cites(decision, "1")


def test_a_category_the_agreement_does_not_name_is_not_covered_and_says_why(
    usa_pry: Agreement,
) -> None:
    decision = usa_pry.evaluate(CoverageQuestion(category="diplomatic-courier"))
    assert decision.outcome == "not-covered"
    assert decision.details["named_by_agreement"] is False
    (reason,) = decision.reasons
    assert "does not name the category 'diplomatic-courier'" in reason.text
    assert reason.citation.article == "1"


def test_art_1_an_unknown_fact_is_not_guessed(usa_pry: Agreement) -> None:
    decision = usa_pry.evaluate(CoverageQuestion(category="member-of-force"))
    assert decision.outcome == "undetermined"
    assert decision.details["missing_facts"] == ["armed_forces_of"]


# Art. 2: entry and exit with U.S. identification and movement or travel orders.


def test_art_2_us_personnel_enter_with_identification_and_orders(usa_pry: Agreement) -> None:
    documents = ["sending-state-identification", "movement-order"]
    decision = usa_pry.evaluate(EntryQuestion(category="civilian-employee", documents=documents))
    assert decision.outcome == "documents-complete"
    assert decision.details["exempt_from"] == ["passport", "visa"]
    assert cites(decision, "2")


def test_art_2_without_orders_entry_documents_are_missing(usa_pry: Agreement) -> None:
    decision = usa_pry.evaluate(
        EntryQuestion(category="member-of-force", documents=["sending-state-identification"])
    )
    assert decision.outcome == "documents-missing"
    assert decision.details["missing"] == ["movement-order"]


def test_art_2_contractors_get_no_entry_facilitation(usa_pry: Agreement) -> None:
    decision = usa_pry.evaluate(EntryQuestion(category="contractor-employee", documents=[]))
    assert decision.outcome == "not-covered"


# Art. 3: Paraguay authorises the United States to exercise criminal jurisdiction.


def test_art_3_the_united_states_exercises_criminal_jurisdiction(usa_pry: Agreement) -> None:
    decision = usa_pry.evaluate(
        JurisdictionQuestion(category="member-of-force", offence_against_host_law=True)
    )
    assert decision.outcome == "sending-state-exercises"
    assert decision.details["primary"] == "USA"
    (reason,) = decision.reasons
    assert reason.citation.article == "3" and reason.citation.public is False


def test_art_3_does_not_reach_persons_the_agreement_does_not_cover(usa_pry: Agreement) -> None:
    decision = usa_pry.evaluate(JurisdictionQuestion(category="contractor-employee"))
    assert decision.outcome == "not-covered"


# Art. 11: official-duty claims between the governments are waived; third-party claims go
# through the United States' own process. Wording not public.


@pytest.mark.parametrize("damage", ["death", "injury", "armed-services-property"])
def test_art_11_claims_between_governments_for_official_duty_are_waived(
    usa_pry: Agreement, damage: str
) -> None:
    decision = usa_pry.evaluate(
        ClaimQuestion(claimant_kind="government", damage_kind=damage, official_duty=True)
    )
    assert decision.outcome == "waived"
    assert decision.reasons[0].citation.article == "11"
    assert decision.reasons[0].citation.public is False


def test_art_11_third_party_claims_go_to_the_us_claims_process(usa_pry: Agreement) -> None:
    decision = usa_pry.evaluate(ClaimQuestion(claimant_kind="third-party", official_duty=True))
    assert decision.outcome == "sending-state-process"
    assert "Foreign Claims Act" in str(decision.details["note"])


# Activities named in Art. 1 need Paraguay's prior approval; notice is a Joint Committee value.


@pytest.mark.parametrize(
    "activity",
    [
        "bilateral-training",
        "multinational-training",
        "humanitarian-assistance",
        "disaster-response",
        "shared-security",
        "ship-visit",
        "other-mutually-agreed",
    ],
)
def test_every_activity_needs_host_approval_with_provisional_notice(
    usa_pry: Agreement, activity: str
) -> None:
    decision = usa_pry.evaluate(ActivityQuestion(activity_type=activity))
    assert decision.outcome == "approval-required"
    notice = decision.details["notice"]
    assert isinstance(notice, dict) and notice["provisional"] is True
    assert notice["source"] == {
        "kind": "joint-committee-decision",
        "reference": "pending",
        "public": False,
    }


def test_disaster_response_has_an_emergency_path_with_shorter_notice(usa_pry: Agreement) -> None:
    decision = usa_pry.evaluate(ActivityQuestion(activity_type="disaster-response", emergency=True))
    notice = decision.details["notice"]
    assert decision.details["emergency"] is True
    assert isinstance(notice, dict) and (notice["value"], notice["unit"]) == (12, "hours")


def test_training_has_no_emergency_path(usa_pry: Agreement) -> None:
    decision = usa_pry.evaluate(
        ActivityQuestion(activity_type="bilateral-training", emergency=True)
    )
    assert decision.details["emergency"] is False
    assert any("No emergency path" in r.text for r in decision.reasons)


def test_an_activity_type_the_agreement_does_not_provide_for(usa_pry: Agreement) -> None:
    decision = usa_pry.evaluate(ActivityQuestion(activity_type="permanent-basing"))
    assert decision.outcome == "not-provided-for"
    assert decision.reasons[0].citation.article == "1"


def test_decisions_are_json(usa_pry: Agreement) -> None:
    decision = usa_pry.evaluate(
        CoverageQuestion(category="contractor-employee", nationalities=["PRY"])
    )
    data = decision.model_dump(mode="json")
    assert json.loads(json.dumps(data)) == data
    assert Decision.model_validate(data) == decision

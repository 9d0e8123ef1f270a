"""The NATO SOFA (1951), Arts. I, III, VII and VIII, for the example pair USA -> DEU."""

from __future__ import annotations

import pytest

from acuerdo.agreement import (
    Agreement,
    ClaimQuestion,
    CoverageQuestion,
    Decision,
    EntryQuestion,
    JurisdictionQuestion,
)


def citation(decision: Decision) -> tuple[str, str | None]:
    reason = decision.reasons[0]
    return reason.citation.article, reason.citation.paragraph


# Art. I.1(b): a civilian component is civilians accompanying a force, employed by its armed
# service, not stateless, not nationals of a non-NATO State, nor nationals of, nor ordinarily
# resident in, the receiving State.


def civilian(**facts: object) -> CoverageQuestion:
    base: dict[str, object] = {
        "category": "civilian-component",
        "employed_by_armed_service": True,
        "accompanies_force": True,
        "stateless": False,
        "nationalities": ["USA"],
        "ordinarily_resident_in": "USA",
    }
    base.update(facts)
    return CoverageQuestion.model_validate(base)


def test_art_i_1_b_a_us_civilian_employee_accompanying_the_force_is_covered(
    nato: Agreement,
) -> None:
    assert nato.evaluate(civilian()).outcome == "covered"


def test_art_i_1_b_a_national_of_the_receiving_state_is_not_in_the_civilian_component(
    nato: Agreement,
) -> None:
    decision = nato.evaluate(civilian(nationalities=["USA", "DEU"]))
    assert decision.outcome == "not-covered"
    refusal = next(r for r in decision.reasons if "Nationals of the State in which" in r.text)
    assert (refusal.citation.article, refusal.citation.paragraph) == ("I", "1(b)")


def test_art_i_1_b_ordinary_residents_of_the_receiving_state_are_excluded(nato: Agreement) -> None:
    assert nato.evaluate(civilian(ordinarily_resident_in="DEU")).outcome == "not-covered"


def test_art_i_1_b_nationals_of_a_non_nato_state_are_excluded(nato: Agreement) -> None:
    decision = nato.evaluate(civilian(nationalities=["USA", "BRA"]))
    assert decision.outcome == "not-covered"
    assert any("not party to the North Atlantic Treaty" in r.text for r in decision.reasons)


def test_art_i_1_b_stateless_persons_are_excluded(nato: Agreement) -> None:
    assert nato.evaluate(civilian(stateless=True, nationalities=[])).outcome == "not-covered"


def test_art_i_1_c_a_dependent_is_covered(nato: Agreement) -> None:
    decision = nato.evaluate(CoverageQuestion(category="dependent", dependent_of_member=True))
    assert decision.outcome == "covered"


# Art. III: members of a force enter with an identity card and a movement order, exempt from
# passport and visa; civilian components and dependents are described in their passports.


def test_art_iii_members_of_a_force_need_id_card_and_movement_order(nato: Agreement) -> None:
    documents = ["personal-identity-card", "movement-order"]
    decision = nato.evaluate(EntryQuestion(category="member-of-force", documents=documents))
    assert decision.outcome == "documents-complete"
    exempt = decision.details["exempt_from"]
    assert isinstance(exempt, list) and "passport" in exempt
    assert citation(decision) == ("III", "1-2")


def test_art_iii_3_a_civilian_component_needs_a_passport(nato: Agreement) -> None:
    decision = nato.evaluate(
        EntryQuestion(category="civilian-component", documents=["movement-order"])
    )
    assert decision.outcome == "documents-missing"
    assert decision.details["missing"] == ["passport"]


# Art. VII: criminal jurisdiction.


def offence(**facts: bool) -> JurisdictionQuestion:
    base = {
        "offence_against_sending_law": True,
        "offence_against_host_law": True,
        "official_duty": False,
        "inter_se": False,
        "against_sending_state_property_or_security": False,
    }
    base.update(facts)
    return JurisdictionQuestion(category="member-of-force", **base)


def test_art_vii_2_a_only_the_sending_states_law_is_broken_exclusive_sending(
    nato: Agreement,
) -> None:
    decision = nato.evaluate(offence(offence_against_host_law=False))
    assert (decision.outcome, decision.details["primary"]) == ("exclusive", "USA")
    assert citation(decision) == ("VII", "2(a)")


def test_art_vii_2_b_only_the_receiving_states_law_is_broken_exclusive_host(
    nato: Agreement,
) -> None:
    decision = nato.evaluate(offence(offence_against_sending_law=False))
    assert (decision.outcome, decision.details["primary"]) == ("exclusive", "DEU")
    assert citation(decision) == ("VII", "2(b)")


def test_art_vii_3_a_ii_official_duty_concurrent_primary_sending(nato: Agreement) -> None:
    decision = nato.evaluate(offence(official_duty=True))
    assert (decision.outcome, decision.details["primary"]) == ("concurrent", "USA")
    assert citation(decision) == ("VII", "3(a)(ii)")


def test_art_vii_3_a_i_inter_se_concurrent_primary_sending(nato: Agreement) -> None:
    decision = nato.evaluate(offence(inter_se=True))
    assert (decision.outcome, decision.details["primary"]) == ("concurrent", "USA")
    assert citation(decision) == ("VII", "3(a)(i)")


def test_art_vii_3_b_any_other_offence_concurrent_primary_host(nato: Agreement) -> None:
    decision = nato.evaluate(offence())
    assert (decision.outcome, decision.details["primary"]) == ("concurrent", "DEU")
    assert citation(decision) == ("VII", "3(b)")


def test_art_vii_3_a_the_sending_states_primary_right_is_not_over_dependents(
    nato: Agreement,
) -> None:
    question = offence(official_duty=True).model_copy(update={"category": "dependent"})
    decision = nato.evaluate(question)
    assert (decision.outcome, decision.details["primary"]) == ("concurrent", "DEU")


def test_art_vii_3_c_waiver_and_notification_periods_are_provisional(nato: Agreement) -> None:
    periods = nato.evaluate(offence()).details["periods"]
    assert isinstance(periods, list) and len(periods) == 2
    for period in periods:
        assert isinstance(period, dict)
        assert period["provisional"] is True
        assert period["source"] == {
            "kind": "implementing-arrangement",
            "reference": "pending",
            "public": False,
        }


def test_art_vii_a_fact_needed_by_an_earlier_rule_is_asked_for(nato: Agreement) -> None:
    decision = nato.evaluate(
        JurisdictionQuestion(
            category="member-of-force",
            offence_against_sending_law=True,
            offence_against_host_law=True,
            official_duty=True,
        )
    )
    assert decision.outcome == "undetermined"
    assert decision.details["missing_facts"] == ["against_sending_state_property_or_security"]


def test_art_vii_no_offence_no_rule(nato: Agreement) -> None:
    decision = nato.evaluate(
        offence(offence_against_sending_law=False, offence_against_host_law=False)
    )
    assert decision.outcome == "no-rule"
    assert decision.reasons[0].citation.article == "VII"


# Art. VIII: claims.


def test_art_viii_5_e_i_third_party_claim_sending_state_alone_responsible_75_25(
    nato: Agreement,
) -> None:
    decision = nato.evaluate(
        ClaimQuestion(claimant_kind="third-party", official_duty=True, responsible=["USA"])
    )
    assert decision.outcome == "shared"
    assert decision.details["shares"] == {"USA": 75, "DEU": 25}
    assert citation(decision) == ("VIII", "5(e)(i)")


def test_art_viii_5_e_ii_more_than_one_state_responsible_50_50(nato: Agreement) -> None:
    decision = nato.evaluate(
        ClaimQuestion(claimant_kind="third-party", official_duty=True, responsible=["DEU", "USA"])
    )
    assert decision.details["shares"] == {"USA": 50, "DEU": 50}
    assert citation(decision) == ("VIII", "5(e)(ii)")


@pytest.mark.parametrize(
    ("damage", "paragraph"),
    [("armed-services-property", "1"), ("death", "4"), ("injury", "4")],
)
def test_art_viii_1_and_4_inter_government_claims_are_waived(
    nato: Agreement, damage: str, paragraph: str
) -> None:
    decision = nato.evaluate(
        ClaimQuestion(claimant_kind="government", damage_kind=damage, official_duty=True)
    )
    assert decision.outcome == "waived"
    assert citation(decision) == ("VIII", paragraph)


def test_art_viii_2_other_government_property_goes_to_arbitration(nato: Agreement) -> None:
    decision = nato.evaluate(
        ClaimQuestion(claimant_kind="government", damage_kind="other-property", official_duty=True)
    )
    assert decision.outcome == "arbitration"


def test_art_viii_6_acts_outside_duty_ex_gratia(nato: Agreement) -> None:
    decision = nato.evaluate(ClaimQuestion(claimant_kind="third-party", official_duty=False))
    assert decision.outcome == "ex-gratia"
    assert citation(decision) == ("VIII", "6")

"""The engine: its public face, its fact vocabulary, and how it treats unknown facts."""

from __future__ import annotations

import typing

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

import acuerdo.agreement
from acuerdo.agreement import (
    Agreement,
    ClaimQuestion,
    CoverageQuestion,
    Decision,
    JurisdictionQuestion,
    load_text,
)
from acuerdo.agreement.facts import (
    CLAIM_FACTS,
    CLAIMANT_KINDS,
    COVERAGE_FACTS,
    DAMAGE_KINDS,
    JURISDICTION_FACTS,
    ClaimantKind,
    DamageKind,
)


def test_exported_names_are_the_ones_meant() -> None:
    assert set(acuerdo.agreement.__all__) == {
        "ActivityQuestion",
        "Agreement",
        "AgreementError",
        "AgreementProblem",
        "Citation",
        "ClaimQuestion",
        "CoverageQuestion",
        "Decision",
        "EntryQuestion",
        "JurisdictionQuestion",
        "Question",
        "Reason",
        "agreement_hash",
        "list_profiles",
        "load_agreement",
        "load_profile",
        "load_text",
        "summary",
    }
    for name in acuerdo.agreement.__all__:
        assert getattr(acuerdo.agreement, name) is not None


def test_fact_vocabulary_matches_the_question_models() -> None:
    assert set(CoverageQuestion(category="x").facts()) == set(COVERAGE_FACTS)
    assert set(JurisdictionQuestion(category="x").facts()) == set(JURISDICTION_FACTS)
    assert set(ClaimQuestion().facts()) == set(CLAIM_FACTS)
    assert typing.get_args(ClaimantKind) == CLAIMANT_KINDS
    assert typing.get_args(DamageKind) == DAMAGE_KINDS


def test_questions_refuse_unknown_facts_and_non_iso_codes() -> None:
    with pytest.raises(ValidationError):
        CoverageQuestion.model_validate({"category": "x", "nationality": ["USA"]})
    with pytest.raises(ValidationError):
        CoverageQuestion(category="x", nationalities=["US"])


def all_cited_articles_are_declared(agreement: Agreement, decision: Decision) -> bool:
    declared = {a.id for a in agreement.model.articles}
    return bool(decision.reasons) and all(r.citation.article in declared for r in decision.reasons)


flags = st.none() | st.booleans()


@settings(deadline=None, max_examples=150)
@given(
    category=st.sampled_from(["member-of-force", "civilian-component", "dependent", "spy"]),
    sending=flags,
    host=flags,
    duty=flags,
    inter_se=flags,
    against=flags,
    fill=st.booleans(),
)
def test_a_decided_jurisdiction_never_changes_when_unknown_facts_become_known(
    nato: Agreement,
    category: str,
    sending: bool | None,
    host: bool | None,
    duty: bool | None,
    inter_se: bool | None,
    against: bool | None,
    fill: bool,
) -> None:
    """Unknown facts are never guessed: filling them in cannot overturn a decided answer."""
    facts = {
        "offence_against_sending_law": sending,
        "offence_against_host_law": host,
        "official_duty": duty,
        "inter_se": inter_se,
        "against_sending_state_property_or_security": against,
    }
    partial = nato.evaluate(JurisdictionQuestion(category=category, **facts))
    assert all_cited_articles_are_declared(nato, partial)
    filled = {k: (fill if v is None else v) for k, v in facts.items()}
    complete = nato.evaluate(JurisdictionQuestion(category=category, **filled))
    assert complete.outcome != "undetermined"
    if partial.outcome != "undetermined":
        assert (partial.outcome, partial.details) == (complete.outcome, complete.details)


@settings(deadline=None, max_examples=150)
@given(
    claimant=st.none() | st.sampled_from(CLAIMANT_KINDS),
    damage=st.none() | st.sampled_from(DAMAGE_KINDS),
    duty=flags,
    responsible=st.none() | st.sampled_from([["USA"], ["DEU"], ["USA", "DEU"], []]),
)
def test_every_claim_answer_cites_a_declared_article(
    nato: Agreement,
    usa_pry: Agreement,
    claimant: ClaimantKind | None,
    damage: DamageKind | None,
    duty: bool | None,
    responsible: list[str] | None,
) -> None:
    question = ClaimQuestion(
        claimant_kind=claimant, damage_kind=damage, official_duty=duty, responsible=responsible
    )
    for agreement in (nato, usa_pry):
        decision = agreement.evaluate(question)
        assert all_cited_articles_are_declared(agreement, decision)
        assert decision.agreement_hash == agreement.hash


def two_sending_states(minimal_text: str) -> Agreement:
    extra = (
        "  - code: AUS\n    role: sending\n    name: Second Sending State\n    agencies:\n"
        "      - id: defence\n        name: Defence\n        purpose: registers personnel\n"
    )
    return load_text(minimal_text.replace("coverage:\n", extra + "coverage:\n", 1))


def test_with_several_sending_states_the_question_names_one(minimal_text: str) -> None:
    agreement = two_sending_states(minimal_text)
    unnamed = agreement.evaluate(JurisdictionQuestion(category="member"))
    assert unnamed.outcome == "undetermined"
    assert unnamed.details["missing_facts"] == ["sending_party"]
    named = agreement.evaluate(JurisdictionQuestion(category="member", sending_party="AUS"))
    assert (named.outcome, named.details["primary"]) == ("sending-state-exercises", "AUS")
    with pytest.raises(ValueError, match="not a sending party"):
        agreement.evaluate(JurisdictionQuestion(category="member", sending_party="FJI"))


def test_host_reference_resolves_to_the_host_of_this_file(minimal_text: str) -> None:
    agreement = load_text(minimal_text)
    decision = agreement.evaluate(CoverageQuestion(category="member", nationalities=["FJI"]))
    assert decision.outcome == "not-covered"
    assert any("Nationals of the host" in r.text for r in decision.reasons)

"""Criminal jurisdiction and claims: first-match rules from the agreement file.

Both sections are ordered rule lists; the first rule whose ``when`` holds decides. Where a
rule needs a fact the question leaves out, the answer is ``undetermined`` with the facts
needed, because skipping that rule would be a guess that it does not apply.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import JsonValue

from acuerdo.agreement.conditions import Match, first_match
from acuerdo.agreement.facts import CLAIM_FACTS, JURISDICTION_FACTS, SENDING_REF, Fact
from acuerdo.agreement.questions import ClaimQuestion, Decision, JurisdictionQuestion, Reason
from acuerdo.agreement.reasons import (
    covered_category,
    describe_when,
    parameter_details,
    sending_code,
)
from acuerdo.agreement.schema import Basis, ClaimRule, JurisdictionRule

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from acuerdo.agreement.agreement import Agreement

_KIND_WORDS = {
    "exclusive": "exclusive jurisdiction",
    "concurrent": "concurrent jurisdiction, primary right",
    "sending-state-exercises": "criminal jurisdiction exercised",
}


def _resolver(agreement: Agreement, sending: str | None) -> Callable[[str], list[str]]:
    def resolve(ref: str) -> list[str]:
        return agreement.resolve_parties(ref, sending)

    return resolve


def _unmatched(
    agreement: Agreement,
    match: Match[JurisdictionRule] | Match[ClaimRule],
    table: Mapping[str, Fact],
    section_basis: Basis,
) -> tuple[str, list[Reason], dict[str, JsonValue]]:
    """Outcome, reasons and details when no rule decided: undetermined or no rule."""
    blocked = match.blocked_by
    if blocked is not None:
        needs = "; ".join(f"{name} ({table[name].meaning})" for name in match.missing)
        text = f"Rule {blocked.id} may apply and needs: {needs}"
        details: dict[str, JsonValue] = {"rule": blocked.id, "missing_facts": list(match.missing)}
        return "undetermined", [agreement.reason(text, blocked.basis)], details
    text = "No rule of the agreement applies to these facts"
    return "no-rule", [agreement.reason(text, section_basis)], {}


def evaluate_jurisdiction(agreement: Agreement, question: JurisdictionQuestion) -> Decision:
    """Who has criminal jurisdiction (and the primary right) over this offence?"""
    category = covered_category(agreement, question, question.category)
    if isinstance(category, Decision):
        return category
    section = agreement.model.jurisdiction
    sending = sending_code(agreement, question)
    match = first_match(section.rules, question.facts(), _resolver(agreement, sending))
    rule = match.rule
    if rule is None:
        outcome, reasons, details = _unmatched(agreement, match, JURISDICTION_FACTS, section.basis)
        return agreement.decision(question, outcome, reasons, details)
    primary_ref = rule.result.primary
    if primary_ref == SENDING_REF and sending is None:
        text = "Several states send forces: name the accused's sending state (sending_party)"
        details = {"rule": rule.id, "missing_facts": ["sending_party"]}
        return agreement.decision(
            question, "undetermined", [agreement.reason(text, rule.basis)], details
        )
    primary = agreement.party(agreement.resolve_parties(primary_ref, sending)[0])
    when = describe_when(rule.when, JURISDICTION_FACTS, _resolver(agreement, sending))
    words = _KIND_WORDS[rule.result.kind]
    reasons = [agreement.reason(f"{when}: {words} by {primary.name}", rule.basis)]
    periods: list[JsonValue] = []
    for period in section.periods:
        parameter = agreement.parameter(period.parameter)
        periods.append({"id": period.id, "name": period.name, **parameter_details(parameter)})
    details = {"rule": rule.id, "kind": rule.result.kind, "primary": primary.code}
    details["periods"] = periods
    return agreement.decision(question, rule.result.kind, reasons, details)


def evaluate_claim(agreement: Agreement, question: ClaimQuestion) -> Decision:
    """How is this claim settled, and how is its cost shared?"""
    section = agreement.model.claims
    sending = sending_code(agreement, question)
    resolve = _resolver(agreement, sending)
    match = first_match(section.rules, question.facts(), resolve)
    rule = match.rule
    if rule is None:
        outcome, reasons, unmatched = _unmatched(agreement, match, CLAIM_FACTS, section.basis)
        return agreement.decision(question, outcome, reasons, unmatched)
    result = rule.result
    text = f"{describe_when(rule.when, CLAIM_FACTS, resolve)}: {result.outcome}"
    if result.note:
        text += f" ({result.note})"
    details: dict[str, JsonValue] = {"rule": rule.id}
    if result.shares:
        shares: dict[str, JsonValue] = {}
        for ref, share in result.shares.items():
            codes = resolve(ref)
            if len(codes) != 1:
                text = "Several states send forces: name the sending state (sending_party)"
                details["missing_facts"] = ["sending_party"]
                reason = agreement.reason(text, rule.basis)
                return agreement.decision(question, "undetermined", [reason], details)
            shares[codes[0]] = share
        details["shares"] = shares
        text += ": " + ", ".join(f"{code} {share}%" for code, share in shares.items())
    if result.note:
        details["note"] = result.note
    return agreement.decision(
        question, result.outcome, [agreement.reason(text, rule.basis)], details
    )

"""Answer questions from an agreement file's rules, every step citing its article.

The engine is generic: it reads categories, conditions and first-match rules from the
file and knows no agreement, party or article by name. Three promises hold for every
answer: a refusal says why and on which article; a category the file does not name is
answered "not covered" because the agreement does not name it (never silently accepted);
and a missing fact makes the answer "undetermined" with the facts it needs, never a guess.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import JsonValue

from acuerdo.agreement.conditions import condition_holds
from acuerdo.agreement.facts import COVERAGE_FACTS
from acuerdo.agreement.liability import evaluate_claim, evaluate_jurisdiction
from acuerdo.agreement.questions import (
    ActivityQuestion,
    ClaimQuestion,
    CoverageQuestion,
    Decision,
    EntryQuestion,
    JurisdictionQuestion,
    Question,
)
from acuerdo.agreement.reasons import (
    covered_category,
    parameter_details,
    parameter_words,
    resolved_words,
    unknown_category,
)
from acuerdo.agreement.schema import Condition

if TYPE_CHECKING:
    from acuerdo.agreement.agreement import Agreement

_TEST_WORDS = {
    "is_true": "is true",
    "is_false": "is false",
    "in": "is among",
    "not_in": "is none of",
    "equals": "is exactly",
}


def evaluate(agreement: Agreement, question: Question) -> Decision:
    """Dispatch ``question`` to the evaluator of its kind."""
    if isinstance(question, CoverageQuestion):
        return evaluate_coverage(agreement, question)
    if isinstance(question, JurisdictionQuestion):
        return evaluate_jurisdiction(agreement, question)
    if isinstance(question, ClaimQuestion):
        return evaluate_claim(agreement, question)
    if isinstance(question, ActivityQuestion):
        return evaluate_activity(agreement, question)
    return evaluate_entry(agreement, question)


def _condition_words(condition: Condition, agreement: Agreement) -> str:
    fact = COVERAGE_FACTS[condition.fact]
    values = condition.value or []
    words = f" {resolved_words(values, agreement.resolve_parties)}" if values else ""
    return f"{fact.meaning} {_TEST_WORDS[condition.test]}{words}"


def evaluate_coverage(agreement: Agreement, question: CoverageQuestion) -> Decision:
    """Is the person covered? Every condition of their category is tested, failures cited."""
    category = agreement.category(question.category)
    if category is None:
        return unknown_category(agreement, question, question.category)
    resolve = agreement.resolve_parties
    facts = question.facts()
    failed: list[Condition] = []
    missing: list[Condition] = []
    met: list[Condition] = []
    for condition in category.conditions:
        holds = condition_holds(condition, facts.get(condition.fact), resolve)
        (missing if holds is None else met if holds else failed).append(condition)
    status = category.coverage
    reasons = [agreement.reason(f"{category.name}: a category the agreement names", category.basis)]
    details: dict[str, JsonValue] = {
        "category": category.id,
        "meets_definition": None if missing and not failed else not failed,
        "covered": False,
    }
    if failed:
        reasons += [agreement.reason(c.refusal, c.basis) for c in failed]
    if not status.covered:
        reasons.append(agreement.reason(status.reason, status.basis))
        return agreement.decision(question, "not-covered", reasons, details)
    if failed:
        return agreement.decision(question, "not-covered", reasons, details)
    if missing:
        details["missing_facts"] = [c.fact for c in missing]
        reasons += [
            agreement.reason(
                f"Unknown, needed to decide: {_condition_words(c, agreement)}", c.basis
            )
            for c in missing
        ]
        return agreement.decision(question, "undetermined", reasons, details)
    reasons += [agreement.reason(f"Met: {_condition_words(c, agreement)}", c.basis) for c in met]
    reasons.append(agreement.reason(f"Status: {status.status}. {status.reason}", status.basis))
    details.update(covered=True, status=status.status)
    return agreement.decision(question, "covered", reasons, details)


def evaluate_activity(agreement: Agreement, question: ActivityQuestion) -> Decision:
    """Does an activity of this type need host approval, and with how much notice?"""
    activities = agreement.model.activities
    kind = next((t for t in activities.types if t.id == question.activity_type), None)
    if kind is None:
        known = ", ".join(t.id for t in activities.types) or "none"
        text = (
            f"The agreement provides for no activity type {question.activity_type!r}; "
            f"the types it provides for are: {known}"
        )
        details: dict[str, JsonValue] = {"activity_type": question.activity_type}
        return agreement.decision(
            question, "not-provided-for", [agreement.reason(text, activities.basis)], details
        )
    notice = agreement.parameter(kind.notice)
    approval = "needs host approval" if kind.host_approval else "needs notification only"
    reasons = [agreement.reason(f"{kind.name}: {approval}", kind.basis)]
    details = {
        "activity_type": kind.id,
        "host_approval": kind.host_approval,
        "emergency_path": kind.emergency_path,
        "emergency": False,
        "notice": parameter_details(notice),
    }
    if question.emergency and kind.emergency_notice is not None:
        notice = agreement.parameter(kind.emergency_notice)
        details.update(emergency=True, notice=parameter_details(notice))
        reasons.append(agreement.reason("Emergency path: shortened notice applies", kind.basis))
    elif question.emergency:
        text = "No emergency path for this activity type: the ordinary notice applies"
        reasons.append(agreement.reason(text, kind.basis))
    reasons.append(agreement.reason(f"Notice: {parameter_words(notice)}", kind.basis))
    outcome = "approval-required" if kind.host_approval else "notification-required"
    return agreement.decision(question, outcome, reasons, details)


def evaluate_entry(agreement: Agreement, question: EntryQuestion) -> Decision:
    """Are the documents presented enough to enter under the agreement?"""
    category = covered_category(agreement, question, question.category)
    if isinstance(category, Decision):
        return category
    entry = agreement.model.entry
    rule = next((r for r in entry.rules if category.id in r.categories), None)
    if rule is None:
        text = f"The agreement sets no entry documents for {category.name}"
        return agreement.decision(
            question,
            "not-provided-for",
            [agreement.reason(text, entry.basis)],
            {"category": category.id},
        )
    required = [d.id for d in rule.documents]
    missing = [d for d in rule.documents if d.id not in question.documents]
    names = "; ".join(d.name for d in rule.documents)
    reasons = [agreement.reason(f"{category.name} enter with: {names}", rule.basis)]
    if rule.exempt_from:
        text = f"Exempt from: {', '.join(rule.exempt_from)}"
        reasons.append(agreement.reason(text, rule.basis))
    if missing:
        text = f"Missing: {'; '.join(d.name for d in missing)}"
        reasons.append(agreement.reason(text, rule.basis))
    details: dict[str, JsonValue] = {
        "category": category.id,
        "rule": rule.id,
        "required": list(required),
        "missing": [d.id for d in missing],
        "exempt_from": list(rule.exempt_from),
    }
    outcome = "documents-missing" if missing else "documents-complete"
    return agreement.decision(question, outcome, reasons, details)

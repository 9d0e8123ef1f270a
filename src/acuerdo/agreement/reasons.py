"""Shared pieces of decisions: unknown categories, parameters in words, rule descriptions."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from pydantic import JsonValue

from acuerdo.agreement.facts import SENDING_REF, Fact
from acuerdo.agreement.questions import ClaimQuestion, Decision, JurisdictionQuestion, Question
from acuerdo.agreement.schema import Category, Parameter, WhenValue

if TYPE_CHECKING:
    from acuerdo.agreement.agreement import Agreement


def describe_when(
    when: Mapping[str, WhenValue], table: Mapping[str, Fact], resolve: Callable[[str], list[str]]
) -> str:
    """A ``when`` map in words, for reasons (names rules' values, never a person's)."""
    if not when:
        return "in every case"
    parts = []
    for name, value in when.items():
        meaning = table[name].meaning if name in table else name
        if isinstance(value, bool):
            parts.append(meaning if value else f"not: {meaning}")
        else:
            parts.append(f"{meaning}: {resolved_words(value, resolve)}")
    return "; ".join(parts)


def resolved_words(value: str | list[str], resolve: Callable[[str], list[str]]) -> str:
    """Values as written in a rule, with ``$host``/``$sending`` replaced by party codes."""
    items = value if isinstance(value, list) else [value]
    return ", ".join(code for item in items for code in resolve(item))


def parameter_details(parameter: Parameter) -> dict[str, JsonValue]:
    """A parameter as decision details: value, unit, whether provisional, and its source."""
    return {
        "parameter": parameter.id,
        "value": parameter.value,
        "unit": parameter.unit,
        "provisional": parameter.provisional,
        "source": parameter.source.model_dump(mode="json", exclude_none=True),
    }


def parameter_words(parameter: Parameter) -> str:
    value = f"{parameter.value:g} {parameter.unit}"
    source = f"{parameter.source.kind} {parameter.source.reference}"
    return f"{value} ({'provisional; ' if parameter.provisional else ''}source: {source})"


def unknown_category(agreement: Agreement, question: Question, name: str) -> Decision:
    """A category the file does not name is not covered, and the answer says so."""
    known = ", ".join(c.id for c in agreement.model.coverage.categories)
    text = (
        f"The agreement does not name the category {name!r}; the categories it names are: {known}"
    )
    reason = agreement.reason(text, agreement.model.coverage.basis)
    details: dict[str, JsonValue] = {"category": name, "named_by_agreement": False}
    return agreement.decision(question, "not-covered", [reason], details)


def category_not_covered(agreement: Agreement, question: Question, category: Category) -> Decision:
    """A named category that the agreement gives no status: the reason and its article."""
    reasons = [
        agreement.reason(f"{category.name}: {category.coverage.reason}", category.coverage.basis)
    ]
    details: dict[str, JsonValue] = {"category": category.id, "covered": False}
    return agreement.decision(question, "not-covered", reasons, details)


def covered_category(agreement: Agreement, question: Question, name: str) -> Category | Decision:
    """The category ``name`` if it has status under the agreement, else the refusal to give."""
    category = agreement.category(name)
    if category is None:
        return unknown_category(agreement, question, name)
    if not category.coverage.covered:
        return category_not_covered(agreement, question, category)
    return category


def sending_code(
    agreement: Agreement, question: JurisdictionQuestion | ClaimQuestion
) -> str | None:
    """The sending party a question is about: named, or the only one; None if ambiguous."""
    if question.sending_party is not None:
        if question.sending_party not in {p.code for p in agreement.sending_parties}:
            raise ValueError(f"{question.sending_party!r} is not a sending party of {agreement.id}")
        return question.sending_party
    sending = agreement.resolve_parties(SENDING_REF)
    return sending[0] if len(sending) == 1 else None

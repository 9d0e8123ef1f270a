"""Coverage of a covered person under the adopted agreement, decided on every write.

The facts come from two places. What the sending state *declares* by putting a person in a
category (that a member of the force serves in its armed forces, that a civilian employee
is employed by its armed services and accompanies the force) is taken from the declaration
itself: the writer of the record is the party whose force it is. What is true of the
*person* (nationalities) comes from the linked personal-data record, and is unknown until
that record is on this node. Facts the records do not carry (an employer's nationality, a
country of ordinary residence) stay unknown, and a rule that needs them answers
"undetermined" rather than guessing.

Policy (docs/personnel.md): a category the agreement does not name is refused before
signing; a named category whose decision is "not covered" or "undetermined" is stored and
flagged so, never silently accepted as covered. Reasons are the agreement's own texts with
their articles: they name rules, never personal data.
"""

from __future__ import annotations

import json
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from acuerdo.agreement import Agreement
from acuerdo.agreement.questions import CoverageQuestion, Decision, EntryQuestion
from acuerdo.ledger.record import Draft, RecordError

if TYPE_CHECKING:
    from acuerdo.node import Node

PERSON = "acuerdo-covered-person"
PERSONAL = "acuerdo-personal-data"
# The entry document a movement order satisfies (its id in every shipped entry rule).
ORDER_DOCUMENT = "movement-order"


@dataclass(frozen=True)
class CoverageDecision:
    """What the projection keeps of a coverage decision: no personal data, only rules."""

    outcome: str
    covered: bool
    status: str | None
    reasons: list[dict[str, str | None]]
    agreement_hash: str
    # The reasons as stored, written once: the projector keeps one decision per distinct
    # set of facts, and an import's thousands of persons share a few of them.
    _reasons_json: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        text = json.dumps(self.reasons, separators=(",", ":"), ensure_ascii=False)
        object.__setattr__(self, "_reasons_json", text)

    def reasons_json(self) -> str:
        return self._reasons_json


def person_facts(person: Mapping[str, Any], personal: Mapping[str, Any] | None) -> CoverageQuestion:
    """The coverage question a person record (and its personal data, when here) puts."""
    party = str(person["party"])
    nationalities = None
    if personal is not None and isinstance(personal.get("nationalities"), list):
        nationalities = [str(n) for n in personal["nationalities"]]
    return CoverageQuestion(
        category=str(person["category"]),
        nationalities=nationalities,
        stateless=None if nationalities is None else not nationalities,
        # Declared by the sending state through the category it files the person under.
        armed_forces_of=party,
        employed_by_armed_service=True,
        accompanies_force=True,
        dependent_of_member=True,
    )


def facts_key(person: Mapping[str, Any], personal: Mapping[str, Any] | None) -> Hashable:
    """Everything `person_facts` reads, as a hashable key: equal keys, equal decisions."""
    nationalities = personal.get("nationalities") if personal is not None else None
    listed = tuple(str(n) for n in nationalities) if isinstance(nationalities, list) else None
    return (str(person["party"]), str(person["category"]), listed)


def summarise(decision: Decision) -> CoverageDecision:
    """Outcome, status and cited reasons of an agreement decision, as stored."""
    status = decision.details.get("status")
    return CoverageDecision(
        outcome=decision.outcome,
        covered=decision.outcome == "covered",
        status=status if isinstance(status, str) else None,
        reasons=[
            {
                "text": r.text,
                "article": r.citation.article,
                "paragraph": r.citation.paragraph,
            }
            for r in decision.reasons
        ],
        agreement_hash=decision.agreement_hash,
    )


def decide(
    agreement: Agreement, person: Mapping[str, Any], personal: Mapping[str, Any] | None
) -> CoverageDecision:
    """The agreement's decision on a person, from its record and its personal data."""
    return summarise(agreement.evaluate(person_facts(person, personal)))


def entry_decision(
    agreement: Agreement, category: str, *, has_national_id: bool, has_valid_order: bool
) -> Decision:
    """Do the person's papers let them enter? A national ID stands for the identification
    documents of the entry rule, valid orders for the movement order."""
    documents: list[str] = []
    if has_valid_order:
        documents.append(ORDER_DOCUMENT)
    if has_national_id:
        for rule in agreement.model.entry.rules:
            if category in rule.categories:
                documents.extend(d.id for d in rule.documents if d.id != ORDER_DOCUMENT)
    return agreement.evaluate(EntryQuestion(category=category, documents=sorted(set(documents))))


async def check_covered_person(node: Node, draft: Draft, job: Sequence[Draft]) -> None:
    """Refuse a person filed under a category the agreement does not name (before signing)."""
    del job
    if draft.revoked:
        return
    category = str(draft.obj.get("category", ""))
    if node.agreement.category(category) is None:
        decision = node.agreement.evaluate(CoverageQuestion(category=category))
        reason = decision.reasons[0]
        where = reason.citation.article
        raise RecordError(f"{draft.object_id}: refused under Art. {where}: {reason.text}")

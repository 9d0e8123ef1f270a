"""The decision on a case: jurisdiction per accused, custody, and every obligation's due date.

Computed from the records a reader may see and the adopted agreement, at an instant
(``now``), and never stored: what is overdue depends on the instant, and a decision built
from records a reader may not see would reveal them. The answer names every version it
rests on, so a new record (a certificate, a waiver granted) visibly changes the facts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import JsonValue

from acuerdo.agreement import Agreement
from acuerdo.domains.incidents.jurisdiction import AccusedDecision, PersonFacts, decide_accused
from acuerdo.domains.incidents.records import RECEIPT_NOTE, CaseRecord
from acuerdo.domains.incidents.timers import Obligation, obligations
from acuerdo.ledger import stix


@dataclass
class CaseDecision:
    """Everything decided about one incident at one instant."""

    incident: CaseRecord
    accused: list[AccusedDecision]
    others: list[dict[str, JsonValue]]
    obligations: list[Obligation]
    now: datetime

    @property
    def closed(self) -> bool:
        if self.incident.body.get("status") == "closed":
            return True
        return bool(self.accused) and all(d.closed for d in self.accused)

    def open_obligations(self) -> list[Obligation]:
        return [o for o in self.obligations if o.status(self.now) in ("open", "overdue")]

    def facts(self) -> list[CaseRecord]:
        seen: dict[str, CaseRecord] = {self.incident.id: self.incident}
        found: list[CaseRecord | None] = [f for d in self.accused for f in d.facts]
        for o in self.obligations:
            found += [o.starts, o.done_by, o.extended_by]
        for record in found:
            if record is not None:
                seen.setdefault(record.id, record)
        return list(seen.values())

    def to_json(self, agreement: Agreement) -> dict[str, JsonValue]:
        return {
            "incident": self.incident.id,
            "summary": str(self.incident.body.get("summary", "")),
            "occurred_at": str(self.incident.body.get("occurred_at", "")),
            "reported_by": self.incident.owner,
            "status": "closed" if self.closed else "open",
            "at": stix.format_instant(self.now),
            "agreement": {"id": agreement.id, "version": agreement.version, "hash": agreement.hash},
            "accused": [_accused_json(d) for d in self.accused],
            "others": list(self.others),
            "obligations": [o.to_json(agreement, self.now) for o in self.obligations],
            "facts": [f.fact() for f in self.facts()],
            "counted_from": RECEIPT_NOTE,
        }


def _accused_json(d: AccusedDecision) -> dict[str, JsonValue]:
    rule = d.rule.details.get("rule") if d.rule is not None else None
    return {
        "person": d.person,
        "party": d.party,
        "category": d.category,
        "jurisdiction": d.kind,
        "rule": rule,
        "primary": d.primary,
        "exercising": d.exercising,
        "missing_facts": list(d.missing),
        "official_duty_certificate": None if d.certificate is None else d.certificate.fact(),
        "charged": d.charged,
        "closed": d.closed,
        "custody": {
            "rule": None if d.custody_rule is None else d.custody_rule.id,
            "should_hold": d.should_hold,
            "held_by": d.held_by,
            "differs": d.held_by is not None
            and d.should_hold is not None
            and d.held_by != d.should_hold,
        },
        "reasons": [r.model_dump(mode="json") for r in d.reasons],
    }


def _others(agreement: Agreement, entries: list[Mapping[str, Any]]) -> list[dict[str, JsonValue]]:
    """Persons the report only describes: the agreement does not govern their case."""
    basis = agreement.model.coverage.basis
    text = "Not a covered person: the agreement does not govern jurisdiction over this person"
    reason = agreement.reason(text, basis).model_dump(mode="json")
    return [
        {"description": str(e["description"]), "role": str(e["role"]), "reason": reason}
        for e in entries
        if "person_ref" not in e and e.get("role") == "suspect"
    ]


def decide_case(
    agreement: Agreement,
    incident: CaseRecord,
    records: list[CaseRecord],
    persons: Mapping[str, PersonFacts],
    now: datetime,
) -> CaseDecision:
    """Decide an incident from its answering records and what is known of the accused."""
    entries = [e for e in incident.body.get("persons", []) if isinstance(e, Mapping)]
    live = [r for r in records if not r.revoked]
    accused = [
        decide_accused(agreement, str(e["person_ref"]), e, persons.get(e["person_ref"]), live)
        for e in entries
        if "person_ref" in e and e.get("role") == "suspect"
    ]
    owed: list[Obligation] = []
    for d in accused:
        owed += obligations(agreement, incident, d, live)
    return CaseDecision(incident, accused, _others(agreement, entries), owed, now)

"""Who tries an accused: the agreement's rule, then what the records change.

The rule comes from the agreement engine (``JurisdictionQuestion``) on the facts of the
incident, with official duty taken from the sending state's certificate when one is here
(else from the report, else unknown). Then the case's own records act on it, each step a
cited reason: the State with the primary right declining it, or granting a waiver, hands
the exercise of jurisdiction to the other State; charges and final outcomes, and the
custody rule for where the accused should be held.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from acuerdo.agreement import Agreement, Decision, JurisdictionQuestion, Reason
from acuerdo.agreement.schema import Basis, CustodyRule
from acuerdo.domains.incidents.records import (
    CASE_OUTCOME,
    CUSTODY,
    DUTY_CERTIFICATE,
    FINAL_STAGES,
    JURISDICTION_NOTICE,
    WAIVER_DECISION,
    WAIVER_REQUEST,
    CaseRecord,
    latest,
)

_FLAGS = (
    "offence_against_sending_law",
    "offence_against_host_law",
    "inter_se",
    "against_sending_state_property_or_security",
)


@dataclass(frozen=True)
class PersonFacts:
    """What this node knows of an accused covered person: its party and category."""

    party: str
    category: str


@dataclass
class AccusedDecision:
    """Jurisdiction, its exercise, and custody for one accused, with reasons and facts."""

    person: str
    party: str | None
    category: str | None
    rule: Decision | None
    primary: str | None = None
    exercising: str | None = None
    certificate: CaseRecord | None = None
    charged: bool = False
    closed: bool = False
    custody_rule: CustodyRule | None = None
    should_hold: str | None = None
    held_by: str | None = None
    reasons: list[Reason] = field(default_factory=list)
    facts: list[CaseRecord] = field(default_factory=list)

    @property
    def kind(self) -> str:
        return self.rule.outcome if self.rule is not None else "undetermined"

    @property
    def missing(self) -> list[str]:
        if self.rule is None:
            return ["accused"]
        value = self.rule.details.get("missing_facts")
        return [str(v) for v in value] if isinstance(value, list) else []


def _mine(records: list[CaseRecord], person: str, rtype: str) -> list[CaseRecord]:
    return [r for r in records if r.type == rtype and r.person == person]


def _section_basis(agreement: Agreement, which: str) -> Basis:
    section = agreement.model.incidents
    chosen = getattr(section, which) if section is not None else None
    return chosen if chosen is not None else agreement.model.jurisdiction.basis


def other_party(agreement: Agreement, party: str, sending: str) -> str:
    """The other State of a case: the host for the sending State, and the reverse."""
    host = agreement.host_party.code
    return sending if party == host else host


def _question(entry: Mapping[str, Any], person: PersonFacts, duty: bool | None) -> Any:
    flags = {name: entry.get(name) for name in _FLAGS}
    return JurisdictionQuestion(
        category=person.category, sending_party=person.party, official_duty=duty, **flags
    )


def _certificate(
    agreement: Agreement, d: AccusedDecision, entry: Mapping[str, Any], records: list[CaseRecord]
) -> bool | None:
    own = [c for c in _mine(records, d.person, DUTY_CERTIFICATE) if c.owner == d.party]
    cert = latest(own)
    reported = entry.get("official_duty")
    if cert is None:
        return reported if isinstance(reported, bool) else None
    d.certificate = cert
    d.facts.append(cert)
    duty = bool(cert.body["official_duty"])
    words = "was" if duty else "was not"
    text = f"{d.party} certifies that the act {words} done in official duty ({cert.id})"
    d.reasons.append(agreement.reason(text, _section_basis(agreement, "duty_certificate")))
    return duty


def _exercise(agreement: Agreement, d: AccusedDecision, records: list[CaseRecord]) -> None:
    """Declines and waivers move the exercise of a concurrent jurisdiction to the other State."""
    if d.primary is None or d.party is None:
        return
    d.exercising = d.primary
    if d.kind != "concurrent":
        return
    other = other_party(agreement, d.primary, d.party)
    basis = _section_basis(agreement, "waiver")
    notices = [n for n in _mine(records, d.person, JURISDICTION_NOTICE) if n.owner == d.primary]
    notice = latest(notices)
    if notice is not None and notice.body["decision"] == "decline":
        d.facts.append(notice)
        d.exercising = other
        text = f"{d.primary} declines its primary right ({notice.id}): {other} may exercise"
        d.reasons.append(agreement.reason(text, basis))
        return
    requests = {r.id: r for r in _mine(records, d.person, WAIVER_REQUEST) if r.owner == other}
    answers = [
        w
        for w in records
        if w.type == WAIVER_DECISION and w.owner == d.primary and w.answers_id in requests
    ]
    final = latest([w for w in answers if w.body["decision"] != "extended"])
    if final is None:
        return
    d.facts += [requests[str(final.answers_id)], final]
    if final.body["decision"] == "granted":
        d.exercising = other
        text = f"{d.primary} grants the waiver {other} requested ({final.id}): {other} exercises"
    else:
        text = f"{d.primary} refuses the waiver {other} requested ({final.id}); it keeps the right"
    d.reasons.append(agreement.reason(text, basis))


def _proceedings(d: AccusedDecision, records: list[CaseRecord]) -> None:
    outcomes = [o for o in _mine(records, d.person, CASE_OUTCOME) if o.owner == d.exercising]
    d.facts += outcomes
    d.charged = any(o.body["stage"] == "charged" for o in outcomes)
    d.closed = any(o.body["stage"] in FINAL_STAGES for o in outcomes)


def _custody(agreement: Agreement, d: AccusedDecision, records: list[CaseRecord]) -> None:
    section = agreement.model.incidents
    held = latest(_mine(records, d.person, CUSTODY))
    if held is not None:
        d.facts.append(held)
        d.held_by = str(held.body["held_by"]) if held.body["status"] == "in-custody" else None
    if section is None or d.exercising is None:
        return
    for rule in section.custody:
        exercising = agreement.resolve_parties(rule.exercising, d.party) if rule.exercising else []
        if rule.exercising is not None and d.exercising not in exercising:
            continue
        if rule.charged is not None and rule.charged != d.charged:
            continue
        d.custody_rule = rule
        d.should_hold = agreement.resolve_parties(rule.custody, d.party)[0]
        stage = "after charges" if d.charged else "before charges"
        text = f"{d.exercising} exercises jurisdiction, {stage}: custody with {d.should_hold}"
        d.reasons.append(agreement.reason(text, rule.basis))
        return


def decide_accused(
    agreement: Agreement,
    person: str,
    entry: Mapping[str, Any],
    facts: PersonFacts | None,
    records: list[CaseRecord],
) -> AccusedDecision:
    """The decision for one accused covered person named by the incident."""
    if facts is None:
        d = AccusedDecision(person, None, None, None)
        text = f"The covered-person record {person} is not on this node: jurisdiction undetermined"
        d.reasons.append(agreement.reason(text, agreement.model.coverage.basis))
        return d
    d = AccusedDecision(person, facts.party, facts.category, None)
    duty = _certificate(agreement, d, entry, records)
    d.rule = agreement.evaluate(_question(entry, facts, duty))
    d.reasons = list(d.rule.reasons) + d.reasons
    primary = d.rule.details.get("primary")
    if isinstance(primary, str):
        d.primary = primary
        _exercise(agreement, d, records)
        _proceedings(d, records)
        _custody(agreement, d, records)
    return d

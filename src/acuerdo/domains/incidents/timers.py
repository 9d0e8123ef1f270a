"""What each party must (or may) do next in a case, and by when.

The agreement file lists timers (``incidents.timers``): an act, a period parameter, whether
missing it is a breach (``duty``) or closes a right (``window``), and the jurisdiction kinds
it applies to. What starts and ends each act is fixed here, once, for every agreement:

* ``duty-certificate``: the accused's sending State, from the incident's receipt, until its
  certificate for that accused;
* ``duty-certificate-challenge``: the other State, from the certificate's receipt, until a
  consultation answering that certificate (topic ``duty-certificate-challenge``);
* ``jurisdiction-notice``: the State with the primary right, from the receipt of the last
  fact the rule rests on (the incident, or the certificate), until its notice (or its grant
  of a waiver);
* ``waiver-request``: the other State, from the same start, until its request;
* ``waiver-decision``: the State with the primary right, from each request's receipt, until
  it grants or refuses; one ``extended`` answer adds the timer's extension period once.

Periods are counted by ``Agreement.period`` (calendar or business days, holidays from the
file). An obligation of a case that has ended (a final outcome) is no longer open.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import JsonValue

from acuerdo.agreement import Agreement
from acuerdo.agreement.reasons import parameter_details
from acuerdo.agreement.schema import IncidentTimer
from acuerdo.domains.incidents.jurisdiction import AccusedDecision, other_party
from acuerdo.domains.incidents.records import (
    CONSULTATION,
    JURISDICTION_NOTICE,
    WAIVER_DECISION,
    WAIVER_REQUEST,
    CaseRecord,
    latest,
)
from acuerdo.ledger import stix

CHALLENGE_TOPIC = "duty-certificate-challenge"
_TICK = timedelta(microseconds=1)


@dataclass(frozen=True)
class Obligation:
    """One act a party must or may do, from which record's receipt, due when."""

    timer: IncidentTimer
    party: str
    person: str | None
    starts: CaseRecord
    due: datetime
    done_by: CaseRecord | None = None
    extended_by: CaseRecord | None = None

    @property
    def extended(self) -> bool:
        return self.extended_by is not None

    def status(self, now: datetime) -> str:
        """done / open / overdue (a duty past due) / lapsed (a window past its end)."""
        if self.done_by is not None:
            return "done"
        if now < self.due:
            return "open"
        return "overdue" if self.timer.nature == "duty" else "lapsed"

    @property
    def late(self) -> bool:
        """Done, but recorded after its due instant."""
        return self.done_by is not None and self.done_by.received_at >= self.due

    def to_json(self, agreement: Agreement, now: datetime) -> dict[str, JsonValue]:
        reason = agreement.reason(f"{self.party}: {self.timer.name}", self.timer.basis)
        return {
            "timer": self.timer.id,
            "act": self.timer.act,
            "name": self.timer.name,
            "nature": self.timer.nature,
            "party": self.party,
            "person": self.person,
            "starts_from": self.starts.fact(),
            "due": stix.format_instant(self.due),
            "status": self.status(now),
            "late": self.late,
            "extended": self.extended,
            "done_by": None if self.done_by is None else self.done_by.fact(),
            "period": parameter_details(agreement.parameter(self.timer.parameter)),
            "reason": reason.model_dump(mode="json"),
        }

    def to_json_row(self, case: Any) -> dict[str, JsonValue]:
        """A deadline-list row: the obligation, its case and its status at the case's instant."""
        return {
            "incident": case.incident.id,
            "timer": self.timer.id,
            "act": self.timer.act,
            "name": self.timer.name,
            "nature": self.timer.nature,
            "party": self.party,
            "person": self.person,
            "due": stix.format_instant(self.due),
            "status": self.status(case.now),
            "late": self.late,
            "extended": self.extended,
            "article": self.timer.basis.article,
            "paragraph": self.timer.basis.paragraph,
        }


def _obligation(
    agreement: Agreement,
    timer: IncidentTimer,
    party: str,
    person: str | None,
    starts: CaseRecord,
    done_by: CaseRecord | None,
) -> Obligation:
    due = agreement.period(timer.parameter).due(starts.received_at)
    return Obligation(timer, party, person, starts, due, done_by)


def _by(records: list[CaseRecord], rtype: str, owner: str, person: str) -> list[CaseRecord]:
    return [r for r in records if r.type == rtype and r.owner == owner and r.person == person]


def _rule_start(incident: CaseRecord, d: AccusedDecision) -> CaseRecord:
    """The last fact the jurisdiction rule rests on: the incident or the certificate."""
    if d.certificate is not None and d.certificate.received_at > incident.received_at:
        return d.certificate
    return incident


def _waiver_decisions(
    agreement: Agreement,
    timer: IncidentTimer,
    d: AccusedDecision,
    requester: str,
    records: list[CaseRecord],
) -> list[Obligation]:
    assert d.primary is not None
    found = []
    for request in _by(records, WAIVER_REQUEST, requester, d.person):
        answers = [
            w
            for w in records
            if w.type == WAIVER_DECISION and w.owner == d.primary and w.answers_id == request.id
        ]
        final = latest([w for w in answers if w.body["decision"] != "extended"])
        o = _obligation(agreement, timer, d.primary, d.person, request, final)
        extension = latest([w for w in answers if w.body["decision"] == "extended"])
        if timer.extension and extension is not None:
            extra = agreement.period(timer.extension).due(o.due - _TICK)
            o = Obligation(timer, d.primary, d.person, request, extra, final, extension)
        found.append(o)
    return found


def _for_timer(
    agreement: Agreement,
    timer: IncidentTimer,
    incident: CaseRecord,
    d: AccusedDecision,
    records: list[CaseRecord],
) -> list[Obligation]:
    if d.party is None:
        return []
    applies = d.kind in timer.applies_to
    if timer.act == "duty-certificate":
        if applies or "official_duty" in d.missing:
            return [_obligation(agreement, timer, d.party, d.person, incident, d.certificate)]
        return []
    if timer.act == "duty-certificate-challenge":
        cert = d.certificate
        if cert is None:
            return []
        challenges = [
            c
            for c in records
            if c.type == CONSULTATION
            and c.answers_id == cert.id
            and c.body.get("topic") == CHALLENGE_TOPIC
        ]
        party = other_party(agreement, cert.owner, d.party)
        return [_obligation(agreement, timer, party, d.person, cert, latest(challenges))]
    if not applies or d.primary is None:
        return []
    other = other_party(agreement, d.primary, d.party)
    start = _rule_start(incident, d)
    if timer.act == "jurisdiction-notice":
        done = latest(_by(records, JURISDICTION_NOTICE, d.primary, d.person))
        if done is None and d.exercising != d.primary:
            done = latest([f for f in d.facts if f.type == WAIVER_DECISION])
        return [_obligation(agreement, timer, d.primary, d.person, start, done)]
    if timer.act == "waiver-request":
        done = latest(_by(records, WAIVER_REQUEST, other, d.person))
        return [_obligation(agreement, timer, other, d.person, start, done)]
    return _waiver_decisions(agreement, timer, d, other, records)


def obligations(
    agreement: Agreement, incident: CaseRecord, d: AccusedDecision, records: list[CaseRecord]
) -> list[Obligation]:
    """Every timer's obligations for one accused, done or not; none still open once closed."""
    section = agreement.model.incidents
    if section is None:
        return []
    found: list[Obligation] = []
    for timer in section.timers:
        found += _for_timer(agreement, timer, incident, d, records)
    if d.closed:
        found = [o for o in found if o.done_by is not None]
    return found

"""A case on paper: records with owners and receipt times, decided by the pure functions.

The decision-table tests use it to read like the articles: "the receiving State reports an
offence against its law only; the sending State certifies official duty; ...". No node is
involved: the same functions a node runs on read are called on these records.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import case_records as cr

from acuerdo.agreement import Agreement
from acuerdo.domains.incidents import decide_case
from acuerdo.domains.incidents.decision import CaseDecision
from acuerdo.domains.incidents.jurisdiction import AccusedDecision, PersonFacts
from acuerdo.domains.incidents.records import CaseRecord


@dataclass
class Scene:
    """One incident about one accused, and the records answering it, in receipt order."""

    agreement: Agreement
    sending: str
    host: str
    category: str = "member-of-force"
    clock: datetime = cr.T0
    person: str = field(default_factory=lambda: cr.new_id("acuerdo-covered-person"))
    incident: dict[str, Any] | None = None
    reporter: str = ""
    records: list[CaseRecord] = field(default_factory=list)
    known: bool = True

    def later(self, days: float = 1) -> datetime:
        self.clock += timedelta(days=days)
        return self.clock

    def report(self, by: str | None = None, **flags: Any) -> dict[str, Any]:
        """An incident naming the accused with ``flags`` (host=..., sending=..., ...)."""
        host, sending = flags.pop("host"), flags.pop("sending")
        entry = cr.suspect(self.person, host=host, sending=sending, **flags)
        self.incident = cr.incident([entry], self.clock)
        self.reporter = by or self.host
        return self.incident

    def add(self, obj: Mapping[str, Any], by: str) -> dict[str, Any]:
        self.records.append(cr.as_case(obj, by))
        return dict(obj)

    def certify(self, duty: bool, by: str | None = None, days: float = 1) -> dict[str, Any]:
        assert self.incident is not None
        return self.add(
            cr.certificate(self.incident, self.person, duty, self.later(days)), by or self.sending
        )

    def notice(self, decision: str, by: str, days: float = 1) -> dict[str, Any]:
        assert self.incident is not None
        return self.add(cr.notice(self.incident, self.person, decision, self.later(days)), by)

    def ask_waiver(self, by: str, to: str, days: float = 1) -> dict[str, Any]:
        assert self.incident is not None
        return self.add(cr.waiver_request(self.incident, self.person, to, self.later(days)), by)

    def decide_waiver(
        self, request: Mapping[str, Any], decision: str, by: str, days: float = 1
    ) -> dict[str, Any]:
        assert self.incident is not None
        return self.add(cr.waiver_decision(self.incident, request, decision, self.later(days)), by)

    def hold(self, by: str, days: float = 1) -> dict[str, Any]:
        assert self.incident is not None
        return self.add(cr.custody(self.incident, self.person, by, self.later(days)), by)

    def proceed(self, stage: str, by: str, days: float = 1) -> dict[str, Any]:
        assert self.incident is not None
        return self.add(cr.outcome(self.incident, self.person, stage, self.later(days)), by)

    def challenge(self, cert: Mapping[str, Any], by: str, days: float = 1) -> dict[str, Any]:
        return self.add(cr.challenge(cert, self.later(days)), by)

    def decide(self, now: datetime | None = None) -> CaseDecision:
        assert self.incident is not None
        persons = {self.person: PersonFacts(self.sending, self.category)} if self.known else {}
        incident = cr.as_case(self.incident, self.reporter)
        return decide_case(self.agreement, incident, self.records, persons, now or self.clock)

    def accused(self, now: datetime | None = None) -> AccusedDecision:
        return self.decide(now).accused[0]


def cited(reasons: list[Any]) -> set[str]:
    """Articles (with paragraph) a list of reasons cites, as 'VII 3(c)'."""
    out = set()
    for r in reasons:
        c = r.citation
        out.add(f"{c.article} {c.paragraph}" if c.paragraph else c.article)
    return out


def obligation(decided: CaseDecision, act: str) -> Any:
    found = [o for o in decided.obligations if o.timer.act == act]
    assert len(found) == 1, [o.timer.act for o in decided.obligations]
    return found[0]

"""A reference model of a case's deadlines under korea-style.yaml, written from the file's
words and docs/incidents.md, importing nothing of acuerdo.

One accused member of the force; an offence against both States' laws, not inter se nor
against the sending State; official duty unknown until certified. Periods are calendar
days in UTC (the file declares no calendar): "within n days" of a receipt on day D ends at
midnight after day D + n.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

S, H = "S", "H"  # the sending and the receiving State
DAYS = {
    "duty-certificate": 10,
    "duty-certificate-challenge": 10,
    "jurisdiction-notice": 10,
    "waiver-request": 21,
    "waiver-decision": 28,
}
EXTENSION = 14
WINDOWS = {"duty-certificate-challenge", "waiver-request"}


@dataclass(frozen=True)
class Event:
    """A record: what, by whom, when received, and what it answers or says."""

    id: str
    kind: str  # incident, certificate, challenge, notice, request, decision
    owner: str
    at: datetime
    value: str = ""  # on/off, exercise/decline, granted/refused/extended
    answers: str = ""  # the certificate or request id it answers


def due(start: datetime, days: int) -> datetime:
    return datetime.combine(start.date() + timedelta(days=days + 1), time(0), start.tzinfo)


def _last(events: list[Event]) -> Event | None:
    return events[-1] if events else None


def _status(kind: str, due_at: datetime, done: Event | None, now: datetime) -> str:
    if done is not None:
        return "done"
    if now < due_at:
        return "open"
    return "lapsed" if kind in WINDOWS else "overdue"


def expected(events: list[Event], now: datetime) -> set[tuple[str, str, str, datetime, str, bool]]:
    """(act, party, starting record, due, status, done late) of every obligation."""
    incident = events[0]
    found = set()

    def add(act: str, party: str, start: Event, due_at: datetime, done: Event | None) -> None:
        late = done is not None and done.at >= due_at
        found.add((act, party, start.id, due_at, _status(act, due_at, done, now), late))

    certs = [e for e in events if e.kind == "certificate" and e.owner == S]
    cert = _last(certs)
    add("duty-certificate", S, incident, due(incident.at, DAYS["duty-certificate"]), cert)
    if cert is None:
        return found
    primary = S if cert.value == "on" else H
    other = H if primary == S else S
    challenge = _last([e for e in events if e.kind == "challenge" and e.answers == cert.id])
    add("duty-certificate-challenge", H, cert, due(cert.at, 10), challenge)
    requests = [e for e in events if e.kind == "request" and e.owner == other]
    finals = []
    for request in requests:
        answers = [
            e
            for e in events
            if e.kind == "decision" and e.owner == primary and e.answers == request.id
        ]
        final = _last([e for e in answers if e.value != "extended"])
        due_at = due(request.at, DAYS["waiver-decision"])
        if any(e.value == "extended" for e in answers):
            due_at += timedelta(days=EXTENSION)
        add("waiver-decision", primary, request, due_at, final)
        if final is not None:
            finals.append(final)
    notice = _last([e for e in events if e.kind == "notice" and e.owner == primary])
    granted = _last(sorted(finals, key=lambda e: e.at))
    done_notice = notice
    if notice is None and granted is not None and granted.value == "granted":
        done_notice = granted
    add(
        "jurisdiction-notice", primary, cert, due(cert.at, DAYS["jurisdiction-notice"]), done_notice
    )
    add("waiver-request", other, cert, due(cert.at, DAYS["waiver-request"]), _last(requests))
    return found

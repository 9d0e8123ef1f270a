"""Presence: stays in the country derived from movements and the host's confirmations.

Presence is never edited. Each person's stays are recomputed from the current versions of
every movement (the sending state's notification) and confirmation (the host's own record)
that names the person, so the same set of records gives the same stays whatever order they
arrived in: the two nodes' records interleave differently on each side.

The rule, in one place (tests/presence_model.py restates it independently):

1. Events are sorted by (instant, arrival before departure, record id); revoked ones drop out.
2. Consecutive events of the same direction within the match window of the first one are
   one crossing: a notified movement and the host's confirmation of it, or a host-only
   record and a notification that came late. The window is the agreement's parameter
   `movement-match-window` (hours; MATCH_WINDOW when a file declares none).
3. A crossing is *notified* when any of its events is a movement or a confirmation naming a
   movement; an arrival crossing that is not is a *host-only arrival*.
4. An arrival opens a stay; a departure closes the open stay. An arrival while a stay is open
   (re-entry with no departure between) keeps the stay open and flags it *departure never
   recorded*. A departure with no open stay changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from acuerdo.agreement import Agreement

MATCH_WINDOW = timedelta(hours=24)
MATCH_WINDOW_PARAMETER = "movement-match-window"
_RANK = {"arrival": 0, "departure": 1}


@dataclass(frozen=True)
class Event:
    """One movement or confirmation, as presence needs it (its current version)."""

    event_id: str
    notified: bool
    direction: str
    at: str  # fixed-width UTC instant, "YYYY-MM-DDTHH:MM:SS.ffffffZ"
    port: str
    order_ref: str | None = None


@dataclass
class Stay:
    """An interval in the country; departed_at None while the person is still there."""

    arrived_at: str
    port: str
    order_ref: str | None
    host_only: bool
    departed_at: str | None = None
    departure_unrecorded: bool = False


@dataclass
class _Crossing:
    direction: str
    first: datetime
    at: str
    events: list[Event] = field(default_factory=list)

    @property
    def notified(self) -> bool:
        return any(e.notified for e in self.events)

    def lead(self) -> Event:
        """Where and on which order: from a notified event when there is one."""
        return next((e for e in self.events if e.notified), self.events[0])


def instant(at: str) -> datetime:
    return datetime.strptime(at, "%Y-%m-%dT%H:%M:%S.%fZ")


def match_window(agreement: Agreement) -> timedelta:
    """The agreement's window for matching records of one crossing (rule 2)."""
    try:
        parameter = agreement.parameter(MATCH_WINDOW_PARAMETER)
    except KeyError:
        return MATCH_WINDOW
    minutes = {"hours": 60, "minutes": 1, "calendar-days": 1440}.get(parameter.unit)
    if minutes is None:
        raise ValueError(f"{MATCH_WINDOW_PARAMETER} must be in hours, minutes or calendar-days")
    return timedelta(minutes=float(parameter.value) * minutes)


def crossings(events: Iterable[Event], window: timedelta = MATCH_WINDOW) -> list[_Crossing]:
    """Events grouped into border crossings (rules 1 and 2)."""
    out: list[_Crossing] = []
    for e in sorted(events, key=lambda e: (e.at, _RANK[e.direction], e.event_id)):
        t = instant(e.at)
        last = out[-1] if out else None
        if last is not None and last.direction == e.direction and t - last.first <= window:
            last.events.append(e)
            continue
        out.append(_Crossing(e.direction, t, e.at, [e]))
    return out


def derive_stays(events: Iterable[Event], window: timedelta = MATCH_WINDOW) -> list[Stay]:
    """A person's stays from all their current, unrevoked events (rules 3 and 4)."""
    stays: list[Stay] = []
    open_stay: Stay | None = None
    for c in crossings(events, window):
        if c.direction == "arrival":
            if open_stay is not None:
                open_stay.departure_unrecorded = True
                continue
            lead = c.lead()
            open_stay = Stay(c.at, lead.port, lead.order_ref, host_only=not c.notified)
            stays.append(open_stay)
        elif open_stay is not None:
            open_stay.departed_at = c.at
            open_stay = None
    return stays


def present_at(stays: Sequence[Stay], at: str) -> Stay | None:
    """The stay that holds at an instant, if any."""
    for s in stays:
        if s.arrived_at <= at and (s.departed_at is None or s.departed_at > at):
            return s
    return None

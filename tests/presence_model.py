"""Reference model of presence, written from the rules in docs/personnel.md alone.

It must not import acuerdo: it is the independent statement the projection is checked
against. Input: record versions as plain dicts (movements and host confirmations, any
version, any order). Output: each person's stays.

Rules restated: the current version of a record is the one with the greatest `modified`;
revoked current versions count for nothing. Sort a person's events by time (arrival before
departure at the same instant, then id). An event joins the previous crossing when it has
the same direction and is within 24 hours of that crossing's first event; otherwise it
starts a new crossing. A crossing is notified when it holds a movement or a confirmation
naming a movement. Walking the crossings: an arrival with nobody inside opens a stay
(host-only when not notified); an arrival with a stay open marks that stay "departure never
recorded"; a departure closes the open stay, and with none open it is ignored.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

WINDOW = timedelta(hours=24)


@dataclass(frozen=True)
class ModelStay:
    arrived_at: datetime
    departed_at: datetime | None
    host_only: bool
    departure_unrecorded: bool


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def current_versions(versions: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    newest: dict[str, Mapping[str, Any]] = {}
    for v in versions:
        held = newest.get(v["id"])
        if held is None or _when(v["modified"]) > _when(held["modified"]):
            newest[v["id"]] = v
    return [v for v in newest.values() if not v.get("revoked", False)]


def stays_of(person: str, versions: Iterable[Mapping[str, Any]]) -> list[ModelStay]:
    events = [v for v in current_versions(versions) if v["person_ref"] == person]
    events.sort(key=lambda v: (_when(v["time"]), v["direction"] != "arrival", v["id"]))
    # crossings: [direction, first time, notified]
    crossings: list[list[Any]] = []
    for v in events:
        t = _when(v["time"])
        notified = v["type"] == "acuerdo-movement" or "movement" in v
        if crossings and crossings[-1][0] == v["direction"] and t - crossings[-1][1] <= WINDOW:
            crossings[-1][2] = crossings[-1][2] or notified
        else:
            crossings.append([v["direction"], t, notified])
    result: list[ModelStay] = []
    inside: dict[str, Any] | None = None
    for direction, t, notified in crossings:
        if direction == "arrival":
            if inside is None:
                inside = {"arrived": t, "host_only": not notified, "unrecorded": False}
            else:
                inside["unrecorded"] = True
        elif inside is not None:
            result.append(
                ModelStay(inside["arrived"], t, inside["host_only"], inside["unrecorded"])
            )
            inside = None
    if inside is not None:
        result.append(ModelStay(inside["arrived"], None, inside["host_only"], inside["unrecorded"]))
    return result


def present_at(stays: Iterable[ModelStay], t: datetime) -> bool:
    return any(s.arrived_at <= t and (s.departed_at is None or s.departed_at > t) for s in stays)

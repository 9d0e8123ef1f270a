"""Authorisation instruments: does an activity stay within what the host authorised?

An instrument (a congressional resolution, a decree) authorises one party's forces for a
period, within a personnel ceiling, optionally only in some regions, for some activity types,
and with or without arms. An activity is within an instrument when its dates (host local
dates) lie in the instrument's period, its regions and type are among those authorised, and
its arms are authorised. The ceiling holds at every moment: the activities under one
instrument that overlap in time together stay within it.

An activity that no instrument covers, or that breaks the one that covers its dates, is
flagged with the instruments involved. Checks run only for a party the host has recorded at
least one instrument for (otherwise every activity would be flagged); an activity approved
on the emergency path is not flagged, since the emergency decision authorises it until it
is regularised.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Instrument:
    instrument_id: str
    party: str
    reference: str
    valid_from: str  # host local dates
    valid_until: str
    ceiling: int
    regions: frozenset[str] | None
    arms_authorised: bool
    activity_types: frozenset[str] | None

    @classmethod
    def of_row(cls, r: Any) -> Instrument:
        """From a row of the authorisations projection."""
        return cls(
            str(r.authorisation_id),
            str(r.party),
            str(r.reference),
            str(r.valid_from),
            str(r.valid_until),
            int(r.ceiling),
            None if r.regions is None else frozenset(json.loads(r.regions)),
            bool(r.arms_authorised),
            None if r.activity_types is None else frozenset(json.loads(r.activity_types)),
        )


@dataclass(frozen=True)
class Planned:
    """An activity as the instrument check sees it (dates are host local dates)."""

    activity_id: str
    party: str
    activity_type: str
    first_day: str
    last_day: str
    start_at: str
    end_at: str
    headcount: int
    regions: frozenset[str]
    arms: bool


@dataclass(frozen=True)
class Breach:
    """An activity beyond an instrument, with every record involved."""

    kind: str  # no-instrument / region / activity-type / arms / ceiling
    activity_id: str
    instruments: tuple[str, ...]
    detail: str
    others: tuple[str, ...] = ()


def covering(activity: Planned, instruments: Sequence[Instrument]) -> list[Instrument]:
    """Instruments for the activity's party whose period contains the activity's dates."""
    return [
        i
        for i in instruments
        if i.party == activity.party
        and i.valid_from <= activity.first_day
        and activity.last_day <= i.valid_until
    ]


def _terms(activity: Planned, instrument: Instrument) -> list[Breach]:
    out: list[Breach] = []
    ref = (instrument.instrument_id,)
    if instrument.regions is not None and not activity.regions <= instrument.regions:
        outside = ", ".join(sorted(activity.regions - instrument.regions))
        out.append(Breach("region", activity.activity_id, ref, f"{outside} not authorised"))
    types = instrument.activity_types
    if types is not None and activity.activity_type not in types:
        detail = f"{activity.activity_type} not authorised by {instrument.reference}"
        out.append(Breach("activity-type", activity.activity_id, ref, detail))
    if activity.arms and not instrument.arms_authorised:
        detail = f"arms carried; {instrument.reference} authorises none"
        out.append(Breach("arms", activity.activity_id, ref, detail))
    return out


def _ceiling(planned: Sequence[Planned], instrument: Instrument) -> list[Breach]:
    """Activities present while the total under the instrument passes its ceiling.

    One sweep over starts and ends (an end before a start at the same instant): every
    moment the running total is over the ceiling, the activities then under way are named.
    """
    events = sorted(
        [(a.start_at, 1, a.activity_id) for a in planned]
        + [(a.end_at, 0, a.activity_id) for a in planned]
    )
    by_id = {a.activity_id: a for a in planned}
    active: set[str] = set()
    total = 0
    peak: dict[str, int] = {}
    peers: dict[str, set[str]] = {}
    for _, starts, activity_id in events:
        if starts:
            active.add(activity_id)
            total += by_id[activity_id].headcount
        else:
            active.discard(activity_id)
            total -= by_id[activity_id].headcount
        if total > instrument.ceiling:
            for member in active:
                peak[member] = max(peak.get(member, 0), total)
                peers.setdefault(member, set()).update(active - {member})
    ref = (instrument.instrument_id,)
    return [
        Breach(
            "ceiling",
            activity_id,
            ref,
            f"{peak[activity_id]} personnel at once against the ceiling of "
            f"{instrument.ceiling} set by {instrument.reference}",
            tuple(sorted(peers[activity_id])),
        )
        for activity_id in sorted(peak)
    ]


def breaches(planned: Sequence[Planned], instruments: Sequence[Instrument]) -> list[Breach]:
    """Every way the planned activities go beyond the host's instruments."""
    parties = {i.party for i in instruments}
    out: list[Breach] = []
    under: dict[str, list[Planned]] = {}
    for a in planned:
        if a.party not in parties:
            continue
        found = covering(a, instruments)
        if not found:
            detail = f"no instrument authorises {a.party} forces from {a.first_day} to {a.last_day}"
            out.append(Breach("no-instrument", a.activity_id, (), detail))
            continue
        # The most permissive instrument in force: the one with fewest breaches, then largest.
        best = min(found, key=lambda i: (len(_terms(a, i)), -i.ceiling, i.instrument_id))
        out.extend(_terms(a, best))
        under.setdefault(best.instrument_id, []).append(a)
    by_id = {i.instrument_id: i for i in instruments}
    for instrument_id, group in sorted(under.items()):
        out.extend(_ceiling(group, by_id[instrument_id]))
    return out

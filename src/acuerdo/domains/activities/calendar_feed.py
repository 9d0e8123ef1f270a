"""Activities as an iCalendar feed (RFC 5545) and as GeoJSON (RFC 7946).

One VEVENT per activity: its UID is the activity id, so a calendar program updates the
event when the activity is amended; STATUS follows the state (CONFIRMED once authorised,
TENTATIVE while awaiting a decision, CANCELLED when cancelled or refused). Places give the
LOCATION and the first place's GEO. Times are UTC; calendar programs show them locally.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from icalendar import Calendar, Event

from acuerdo.domains.activities.gating import parse_instant

STATUS = {
    "approved": "CONFIRMED",
    "approved-with-conditions": "CONFIRMED",
    "under-way": "CONFIRMED",
    "completed": "CONFIRMED",
    "cancelled": "CANCELLED",
    "refused": "CANCELLED",
}


def _event(summary: Mapping[str, Any], body: Mapping[str, Any], stamp: datetime) -> Event:
    ev = Event()
    ev.add("uid", f"{summary['id']}@acuerdo")
    ev.add("summary", str(summary["title"]))
    ev.add("dtstart", parse_instant(summary["start"]))
    ev.add("dtend", parse_instant(summary["end"]))
    ev.add("dtstamp", stamp)
    ev.add("last-modified", parse_instant(summary["version"]))
    ev.add("status", STATUS.get(summary["state"], "TENTATIVE"))
    ev.add("categories", [summary["activity_type"]])
    places = body.get("places", [])
    if places:
        ev.add("location", "; ".join(f"{p['name']} ({p['region']})" for p in places))
        ev.add("geo", (float(places[0]["latitude"]), float(places[0]["longitude"])))
    lines = [
        f"State: {summary['state']}",
        f"Type: {summary['activity_type']}",
        f"Proposed by: {summary['proposer']}",
        f"Personnel: {summary['personnel_count']}",
        f"Purpose: {body.get('purpose', '')}",
    ]
    if summary["flags"]:
        lines.append(f"Flags: {', '.join(summary['flags'])}")
    ev.add("description", "\n".join(lines))
    return ev


def ics(
    summaries: Sequence[Mapping[str, Any]],
    bodies: Mapping[str, Mapping[str, Any]],
    *,
    name: str,
    stamp: datetime,
) -> bytes:
    """The feed as iCalendar bytes."""
    cal = Calendar()
    cal.add("prodid", "-//acuerdo//activities//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    for s in summaries:
        cal.add_component(_event(s, bodies.get(str(s["id"]), {}), stamp))
    return bytes(cal.to_ical())


def geojson(
    summaries: Sequence[Mapping[str, Any]], bodies: Mapping[str, Mapping[str, Any]]
) -> dict[str, Any]:
    """A FeatureCollection: one Point per place of each activity, [longitude, latitude]."""
    features = []
    for s in summaries:
        for index, place in enumerate(bodies.get(str(s["id"]), {}).get("places", [])):
            features.append(
                {
                    "type": "Feature",
                    "id": f"{s['id']}#{index}",
                    "geometry": {
                        "type": "Point",
                        "coordinates": [place["longitude"], place["latitude"]],
                    },
                    "properties": {
                        "activity": s["id"],
                        "title": s["title"],
                        "activity_type": s["activity_type"],
                        "state": s["state"],
                        "place": place["name"],
                        "region": place["region"],
                        "start": s["start"],
                        "end": s["end"],
                    },
                }
            )
    return {"type": "FeatureCollection", "features": features}


def parse_bodies(rows: Sequence[tuple[str, bytes]]) -> dict[str, dict[str, Any]]:
    return {oid: json.loads(body) for oid, body in rows}

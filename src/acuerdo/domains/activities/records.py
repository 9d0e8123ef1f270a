"""The activity record types and what the rest of the domain reads from their bodies.

Bodies are validated against their JSON Schemas before anything here sees them, so these
functions read fields without re-checking shapes; they turn timestamps into the fixed-width
UTC instants the projections compare as strings.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from acuerdo.ledger import stix

ACTIVITY = "acuerdo-activity"
DECISION = "acuerdo-activity-decision"
REPORT = "acuerdo-after-action-report"
AUTHORISATION = "acuerdo-authorisation"
TYPES = frozenset({ACTIVITY, DECISION, REPORT, AUTHORISATION})

# Lifecycle a proposer sets on a version; the rest of the state comes from other records.
DRAFT, PROPOSED, CANCELLED = "draft", "proposed", "cancelled"
# Decision outcomes and paths.
APPROVED = "approved"
APPROVED_WITH_CONDITIONS = "approved-with-conditions"
INFORMATION_REQUESTED = "information-requested"
REFUSED = "refused"
OUTCOMES = (APPROVED, APPROVED_WITH_CONDITIONS, INFORMATION_REQUESTED, REFUSED)
REGULAR, EMERGENCY = "regular", "emergency"


def instant(value: Any, name: str = "time") -> str:
    """A STIX timestamp as the fixed-width UTC instant projections store and compare."""
    return stix.format_instant(stix.parse_timestamp(value, name))


def version_instant(version_key: str) -> str:
    """The instant of a timestamp version key ("t:..."); activity versions always have one."""
    return version_key[2:]


@dataclass(frozen=True)
class VersionRef:
    """The exact version a decision or report names: (id, modified, sha256)."""

    object_id: str
    modified: str  # fixed-width instant
    sha256: str

    @classmethod
    def of(cls, ref: Mapping[str, Any]) -> VersionRef:
        return cls(str(ref["id"]), instant(ref["modified"], "modified"), str(ref["sha256"]))

    def to_json(self) -> dict[str, str]:
        return {"id": self.object_id, "modified": self.modified, "sha256": self.sha256}


def regions_of(activity: Mapping[str, Any]) -> list[str]:
    """The region codes an activity's places lie in, each once, in order of first mention."""
    seen: dict[str, None] = {}
    for place in activity.get("places", []):
        seen.setdefault(str(place["region"]), None)
    return list(seen)


def personnel_of(activity: Mapping[str, Any]) -> dict[str, str | None]:
    """Person id -> the movement order named for them (None when none is named)."""
    out: dict[str, str | None] = {}
    for a in activity.get("personnel", []):
        out[str(a["person_ref"])] = a.get("order_ref")
    return out


def headcount(activity: Mapping[str, Any]) -> int:
    """Personnel of the sending party: the declared count, never fewer than those named."""
    return max(int(activity.get("personnel_count", 0)), len(activity.get("personnel", [])))


def carries_arms(activity: Mapping[str, Any]) -> bool:
    return bool(activity.get("arms"))

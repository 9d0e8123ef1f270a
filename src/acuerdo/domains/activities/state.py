"""An activity's state, derived from its records and nothing else.

Stored state (kept by the projector, the same whatever order records arrive in):

* a revoked or ``cancelled`` current version: **cancelled**;
* a ``draft`` current version: **draft**;
* an after-action report by the proposer: **completed**;
* otherwise the decisions that name the *current* version (id and hash): the latest regular
  decision by the competent agency decides (approved, approved with conditions, information
  requested, refused); without one, the latest emergency decision by the designated
  authority; without either, **proposed**. Decisions on earlier versions decide nothing
  about this one. "Latest" is the decision's ``modified`` instant, ties broken by id, so
  every node picks the same one.

**Under way** depends on the clock as well: an authorised activity whose start has come is
under way until its report closes it (`state_at`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from acuerdo.domains.activities.records import (
    APPROVED,
    APPROVED_WITH_CONDITIONS,
    CANCELLED,
    DRAFT,
    EMERGENCY,
    REGULAR,
)

PROPOSED = "proposed"
COMPLETED = "completed"
UNDER_WAY = "under-way"
STATES = (
    "draft",
    "proposed",
    "information-requested",
    "approved",
    "approved-with-conditions",
    "refused",
    "under-way",
    "completed",
    "cancelled",
)
AUTHORISING = frozenset({APPROVED, APPROVED_WITH_CONDITIONS})


@dataclass(frozen=True)
class ActivityFacts:
    """What state derivation needs of an activity's current version."""

    sha256: str
    lifecycle: str
    revoked: bool
    needs_approval: bool


@dataclass(frozen=True)
class DecisionFacts:
    """A decision as state derivation sees it; `valid` is False for one the agreement does
    not let count (wrong party, wrong agency, an emergency path the activity cannot take)."""

    decision_id: str
    activity_sha256: str
    outcome: str
    path: str
    decided_at: str
    valid: bool = True
    revoked: bool = False


@dataclass(frozen=True)
class Derived:
    state: str
    decision: DecisionFacts | None
    emergency_decision: DecisionFacts | None
    regularised: bool


def _latest(decisions: Iterable[DecisionFacts]) -> DecisionFacts | None:
    return max(decisions, key=lambda d: (d.decided_at, d.decision_id), default=None)


def derive(activity: ActivityFacts, decisions: Iterable[DecisionFacts], reported: bool) -> Derived:
    """The stored state of an activity from its current version, decisions and reports."""
    if activity.revoked or activity.lifecycle == CANCELLED:
        return Derived(CANCELLED, None, None, False)
    if activity.lifecycle == DRAFT:
        return Derived(DRAFT, None, None, False)
    on_current = [
        d for d in decisions if d.valid and not d.revoked and d.activity_sha256 == activity.sha256
    ]
    regular = _latest(d for d in on_current if d.path == REGULAR)
    urgent = _latest(d for d in on_current if d.path == EMERGENCY)
    emergency_approval = urgent if urgent is not None and urgent.outcome in AUTHORISING else None
    regularised = (
        emergency_approval is not None and regular is not None and regular.outcome in AUTHORISING
    )
    chosen = regular or urgent
    if reported:
        return Derived(COMPLETED, chosen, emergency_approval, regularised)
    state = PROPOSED if chosen is None else chosen.outcome
    return Derived(state, chosen, emergency_approval, regularised)


def authorised(state: str, needs_approval: bool) -> bool:
    """May the activity take place: approved, or proposed where only notice is needed."""
    return state in AUTHORISING or (state == PROPOSED and not needs_approval)


def state_at(stored: str, needs_approval: bool, start: str, now: str) -> str:
    """The state at instant `now`: an authorised activity whose start has come is under way."""
    if authorised(stored, needs_approval) and start <= now:
        return UNDER_WAY
    return stored

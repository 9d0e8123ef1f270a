"""State derivation as a table: each row is the current version, the decisions on record and
whether a report closed the activity, and the state the issue's rules give."""

from __future__ import annotations

import pytest

from acuerdo.domains.activities.state import ActivityFacts, DecisionFacts, derive, state_at

V1, V2 = "a" * 64, "b" * 64


def d(
    outcome: str, sha: str = V2, at: str = "2026-07-02", path: str = "regular", **kw: bool
) -> DecisionFacts:
    return DecisionFacts(f"decision--{outcome}-{at}-{path}", sha, outcome, path, at, **kw)


CASES = [
    # (lifecycle, revoked, decisions, reported, expected)
    ("proposed", False, [], False, "proposed"),
    ("draft", False, [d("approved")], False, "draft"),
    ("cancelled", False, [d("approved")], False, "cancelled"),
    ("proposed", True, [d("approved")], False, "cancelled"),
    ("proposed", False, [d("approved")], False, "approved"),
    ("proposed", False, [d("approved-with-conditions")], False, "approved-with-conditions"),
    ("proposed", False, [d("information-requested")], False, "information-requested"),
    ("proposed", False, [d("refused")], False, "refused"),
    # A decision on version 1 decides nothing about version 2.
    ("proposed", False, [d("approved", sha=V1)], False, "proposed"),
    ("proposed", False, [d("approved", sha=V1), d("refused", at="2026-07-01")], False, "refused"),
    # The latest decision on the current version counts.
    (
        "proposed",
        False,
        [d("information-requested"), d("approved", at="2026-07-03")],
        False,
        "approved",
    ),
    ("proposed", False, [d("approved", at="2026-07-03"), d("refused")], False, "approved"),
    # Emergency decisions count until the competent agency decides; its decision prevails.
    ("proposed", False, [d("approved", path="emergency")], False, "approved"),
    (
        "proposed",
        False,
        [d("approved", path="emergency"), d("refused", at="2026-07-01")],
        False,
        "refused",
    ),
    # Decisions the agreement does not let count, or revoked ones, count for nothing.
    ("proposed", False, [d("approved", valid=False)], False, "proposed"),
    ("proposed", False, [d("approved", revoked=True)], False, "proposed"),
    # A report closes the activity.
    ("proposed", False, [d("approved")], True, "completed"),
    ("cancelled", False, [d("approved")], True, "cancelled"),
]


@pytest.mark.parametrize(("lifecycle", "revoked", "decisions", "reported", "expected"), CASES)
def test_state_table(
    lifecycle: str, revoked: bool, decisions: list[DecisionFacts], reported: bool, expected: str
) -> None:
    facts = ActivityFacts(V2, lifecycle, revoked, needs_approval=True)
    assert derive(facts, decisions, reported).state == expected


def test_regularised_once_the_competent_agency_approves_an_emergency_approval() -> None:
    facts = ActivityFacts(V2, "proposed", False, needs_approval=True)
    urgent = d("approved", path="emergency", at="2026-07-01T02")
    assert derive(facts, [urgent], False).regularised is False
    later = derive(facts, [urgent, d("approved", at="2026-07-03")], False)
    assert later.regularised is True and later.emergency_decision == urgent


@pytest.mark.parametrize(
    ("stored", "needs", "now", "expected"),
    [
        ("approved", True, "2026-09-02", "under-way"),
        ("approved", True, "2026-08-31", "approved"),
        ("proposed", True, "2026-09-02", "proposed"),  # not authorised: flagged, not under way
        ("proposed", False, "2026-09-02", "under-way"),  # notice only: no decision needed
        ("completed", True, "2026-09-02", "completed"),
    ],
)
def test_under_way_depends_on_the_clock(stored: str, needs: bool, now: str, expected: str) -> None:
    assert state_at(stored, needs, "2026-09-01", now) == expected

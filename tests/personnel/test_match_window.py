"""The window that makes a notification and the host's record one crossing is agreement data.

Both shipped profiles declare `movement-match-window` (24 hours, provisional, with its
source); a file that sets another value changes how presence pairs records, with no code
change.
"""

from __future__ import annotations

from importlib import resources

import pytest

from acuerdo.agreement import list_profiles, load_profile
from acuerdo.agreement.loader import load_text
from acuerdo.domains.personnel.presence import (
    MATCH_WINDOW_PARAMETER,
    Event,
    derive_stays,
    match_window,
)

NOTIFIED = Event("acuerdo-movement--1", True, "arrival", "2026-07-01T10:00:00.000000Z", "port")
HOST_LATER = Event("acuerdo-movement--2", False, "arrival", "2026-07-01T15:00:00.000000Z", "port")


@pytest.mark.parametrize("name", list_profiles())
def test_shipped_profiles_declare_the_window_provisionally(name: str) -> None:
    agreement = load_profile(name)
    parameter = agreement.parameter(MATCH_WINDOW_PARAMETER)
    assert (parameter.value, parameter.unit, parameter.provisional) == (24, "hours", True)
    assert parameter.source.kind in ("implementing-arrangement", "joint-committee-decision")
    assert parameter.source.reference == "pending"
    assert match_window(agreement).total_seconds() == 24 * 3600


def test_a_shorter_window_splits_what_the_default_joins() -> None:
    (joined,) = derive_stays([NOTIFIED, HOST_LATER], match_window(load_profile("usa-pry-2025")))
    assert not joined.departure_unrecorded and not joined.host_only
    name = "usa-pry-2025"
    text = (resources.files("acuerdo.agreement") / "profiles" / f"{name}.yaml").read_text("utf-8")
    start = text.index(f"id: {MATCH_WINDOW_PARAMETER}")
    shorter = text[:start] + text[start:].replace("value: 24", "value: 2", 1)
    window = match_window(load_text(shorter))
    assert window.total_seconds() == 2 * 3600
    (split,) = derive_stays([NOTIFIED, HOST_LATER], window)
    assert split.departure_unrecorded  # a second arrival while the first stay is open

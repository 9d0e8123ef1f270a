"""Step status against a reference model that imports nothing from acuerdo: for any plan,
any prefix of steps reached (on any days) and any day of asking, each step's state, delay
and days in stage are what the model says."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from acuerdo.domains.equipment.transfers import STAGES, stage_statuses

START = date(2026, 1, 1)


def model(planned: list[date], actual: list[date], today: date) -> list[dict[str, Any]]:
    """What the Joint Committee expects, step by step."""
    out = []
    for i, plan in enumerate(planned):
        done = actual[i] if i < len(actual) else None
        under_way = done is None and i == len(actual)
        before = actual[i - 1] if 0 < i <= len(actual) else None
        if done is not None:
            state = "done" if done <= plan else "done-late"
            delay: int | None = (done - plan).days
        else:
            state = "late" if today > plan else ("open" if under_way else "planned")
            delay = (today - plan).days if today > plan else None
        end = done or (today if under_way else None)
        days = (end - before).days if end is not None and before is not None else None
        out.append({"state": state, "delay": delay, "days": days})
    return out


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[list[date], list[date], date]:
    n = draw(st.integers(1, len(STAGES)))
    gaps = draw(st.lists(st.integers(0, 60), min_size=n, max_size=n))
    planned = [START + timedelta(days=sum(gaps[: i + 1])) for i in range(n)]
    reached = draw(st.integers(0, n))
    steps = draw(st.lists(st.integers(0, 90), min_size=reached, max_size=reached))
    actual = [START + timedelta(days=sum(steps[: i + 1])) for i in range(reached)]
    today = START + timedelta(days=draw(st.integers(0, 800)))
    return planned, actual, today


@settings(deadline=None, max_examples=300)
@given(scenarios())
def test_step_status_matches_the_model(case: tuple[list[date], list[date], date]) -> None:
    planned, actual, today = case
    programme = {
        "milestones": [
            {"stage": s, "owner": {"party": "XXX", "agency": "a"}, "planned": p.isoformat()}
            for s, p in zip(STAGES, planned, strict=False)
        ]
    }
    reached = dict(zip(STAGES, actual, strict=False))
    got = stage_statuses(programme, reached, today)
    assert [{"state": s.state, "delay": s.delay_days, "days": s.days_in_stage} for s in got] == (
        model(planned, actual, today)
    )

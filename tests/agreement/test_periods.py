"""Periods counted as the agreement says: calendar days, business days, hours; in local time.

The counting rule (docs/agreement-file.md, "Periods"): the day of the starting event is not
counted, the n-th counted day is the last day of a deadline and the first day a notice
allows. Business days skip the calendar's weekend and the holidays the file holds.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from acuerdo.agreement import Agreement, load_text
from acuerdo.agreement.periods import WorkingCalendar, period_of
from acuerdo.agreement.schema import Calendar, Parameter

ASUNCION = ZoneInfo("America/Asuncion")


def _calendar(holidays: list[str]) -> Calendar:
    return Calendar.model_validate(
        {
            "id": "host",
            "name": "Host calendar",
            "timezone": "America/Asuncion",
            "holidays": [{"date": d, "name": "holiday"} for d in holidays],
            "source": {"kind": "joint-committee-decision", "reference": "test", "public": False},
        }
    )


def _parameter(value: float, unit: str, calendar: str | None = None) -> Parameter:
    return Parameter.model_validate(
        {
            "id": "p",
            "name": "a period",
            "value": value,
            "unit": unit,
            "calendar": calendar,
            "source": {"kind": "joint-committee-decision", "reference": "test", "public": False},
        }
    )


def _local(y: int, m: int, d: int, hh: int = 10) -> datetime:
    return datetime(y, m, d, hh, tzinfo=ASUNCION)


def test_asuncion_is_utc_minus_three_all_year() -> None:
    # Paraguay abolished daylight saving in October 2024: July and January alike are UTC-3.
    for month in (1, 7, 10):
        assert datetime(2026, month, 15, tzinfo=ASUNCION).utcoffset() == timedelta(hours=-3)


def test_calendar_days_skip_the_day_of_receipt() -> None:
    period = period_of(_parameter(30, "calendar-days", "host"), [_calendar([])])
    received = _local(2026, 1, 1)
    assert period.last_day(received) == date(2026, 1, 31)
    # Due by the end of the 30th day, local time, which is 03:00 UTC the next day.
    assert period.due(received) == datetime(2026, 2, 1, 3, tzinfo=UTC)
    assert period.earliest(received) == datetime(2026, 1, 31, 3, tzinfo=UTC)


def test_a_late_evening_receipt_counts_from_the_local_day() -> None:
    period = period_of(_parameter(1, "calendar-days", "host"), [_calendar([])])
    # 23:30 in Asunción on 1 March is 02:30 UTC on 2 March: the local day is what counts.
    received = datetime(2026, 3, 2, 2, 30, tzinfo=UTC)
    assert period.last_day(received) == date(2026, 3, 2)


def test_business_days_skip_weekends_and_the_files_holidays() -> None:
    # Thursday 14 and Friday 15 May 2026 are Paraguay's independence holidays.
    with_holidays = period_of(
        _parameter(2, "business-days", "host"), [_calendar(["2026-05-14", "2026-05-15"])]
    )
    without = period_of(_parameter(2, "business-days", "host"), [_calendar([])])
    received = _local(2026, 5, 13)  # a Wednesday
    assert without.last_day(received) == date(2026, 5, 15)
    assert with_holidays.last_day(received) == date(2026, 5, 19)


def test_a_receipt_on_a_holiday_counts_from_the_next_business_day() -> None:
    period = period_of(_parameter(1, "business-days", "host"), [_calendar(["2026-12-25"])])
    assert period.last_day(_local(2026, 12, 25)) == date(2026, 12, 28)


def test_hours_are_exact_durations() -> None:
    period = period_of(_parameter(12, "hours"), [])
    received = datetime(2026, 2, 1, 22, 15, tzinfo=UTC)
    assert period.due(received) == datetime(2026, 2, 2, 10, 15, tzinfo=UTC)
    assert period.earliest(received) == period.due(received)


def test_without_a_calendar_days_count_in_utc() -> None:
    period = period_of(_parameter(1, "calendar-days"), [_calendar([]), _calendar([])])
    assert period.calendar.id is None
    assert period.last_day(datetime(2026, 3, 2, 2, 30, tzinfo=UTC)) == date(2026, 3, 3)


def test_naive_instants_and_non_time_parameters_are_refused() -> None:
    period = period_of(_parameter(1, "calendar-days", "host"), [_calendar([])])
    with pytest.raises(ValueError, match="timezone-aware"):
        period.due(datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="not time"):
        period_of(_parameter(75, "percent"), [])


def test_the_shipped_profiles_calendar_moves_a_business_day_deadline(usa_pry: Agreement) -> None:
    text = usa_pry.source_path.read_text(encoding="utf-8") if usa_pry.source_path else ""
    assert "py-public-holidays" in text
    text = text.replace(
        "  - id: movement-notification\n    name: Due notification of aircraft, vessel and vehicle"
        " movements\n    value: 48\n    unit: hours",
        "  - id: movement-notification\n    name: Due notification of aircraft, vessel and vehicle"
        " movements\n    value: 1\n    unit: business-days\n    calendar: py-public-holidays",
    )
    adopted = load_text(text, "adopted.yaml")
    period = adopted.period("movement-notification")
    # Good Friday 3 April 2026 is in the file's calendar; Thursday 2 April is too.
    assert period.last_day(_local(2026, 4, 1)) == date(2026, 4, 6)


@settings(deadline=None, max_examples=60)
@given(
    start=st.dates(min_value=date(2026, 1, 1), max_value=date(2027, 6, 30)),
    count=st.integers(min_value=0, max_value=40),
    holidays=st.sets(
        st.dates(min_value=date(2026, 1, 1), max_value=date(2027, 12, 31)), max_size=30
    ),
)
def test_business_day_count_matches_a_day_by_day_walk(
    start: date, count: int, holidays: set[date]
) -> None:
    calendar = WorkingCalendar(None, ASUNCION, frozenset({6, 7}), frozenset(holidays))
    end = calendar.nth_day(start, count, business=True)
    walked = [
        start + timedelta(days=i)
        for i in range(1, (end - start).days + 1)
        if (start + timedelta(days=i)).isoweekday() < 6
        and start + timedelta(days=i) not in holidays
    ]
    assert len(walked) == count
    assert count == 0 or end == walked[-1]

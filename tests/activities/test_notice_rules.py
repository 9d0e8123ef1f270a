"""Notice comes from the agreement: the same activity is late under one parameter value and on
time under another, and a holiday moves a business-day deadline."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

from acuerdo.agreement import Agreement, load_profile, load_text
from acuerdo.domains.activities.notice import assess_notice

RECEIPT = datetime(2026, 8, 3, 14, 0, tzinfo=UTC)  # a Monday, 11:00 in Asunción
START = datetime(2026, 8, 20, 12, 0, tzinfo=UTC)


def variant(value: str, unit: str = "calendar-days", drop_holiday: str | None = None) -> Agreement:
    """The shipped agreement with bilateral-training notice set to `value` `unit`."""
    base = load_profile("usa-pry-2025")
    assert base.source_path is not None
    text = base.source_path.read_text("utf-8")
    block = re.compile(
        r"(- id: notice-bilateral-training\n(?:    .*\n)*?    value: )\d+(\n    unit: )\S+"
    )
    extra = "\n    calendar: py-public-holidays" if unit == "business-days" else ""
    text, n = block.subn(rf"\g<1>{value}\g<2>{unit}{extra}", text)
    assert n == 1
    if drop_holiday is not None:
        text, n = re.subn(rf"  - date: '{drop_holiday}'\n    name: .*\n", "", text)
        assert n == 1
    return load_text(text, "variant")


def assess(agreement: Agreement, receipt: datetime = RECEIPT, start: datetime = START) -> bool:
    found = assess_notice(
        agreement, type_id="bilateral-training", emergency=False, receipt=receipt, start=start,
        host_recorded=True,
    )  # fmt: skip
    assert found is not None
    return found.late


def test_the_same_activity_is_late_under_one_value_and_on_time_under_another() -> None:
    assert assess(variant("30")) is True  # 17 days' notice, 30 needed
    assert assess(variant("10")) is False
    found = assess_notice(
        variant("17"), type_id="bilateral-training", emergency=False, receipt=RECEIPT,
        start=START, host_recorded=True,
    )  # fmt: skip
    assert found is not None and found.late is False
    assert found.earliest_start == datetime(2026, 8, 20, 3, 0, tzinfo=UTC)  # 00:00 Asunción


def test_a_holiday_moves_a_business_day_deadline() -> None:
    with_holidays = variant("5", "business-days")
    calendar = with_holidays.model.calendars[0]
    weekday_holidays = [
        date.fromisoformat(h.date) for h in calendar.holidays
        if date.fromisoformat(h.date).isoweekday() <= 5 and h.date >= "2026-09-01"
    ]  # fmt: skip
    holiday = weekday_holidays[0]
    receipt = datetime.combine(holiday - timedelta(days=1), datetime.min.time(), UTC)
    receipt += timedelta(hours=15)  # mid-day in Asunción, the day before the holiday
    without = variant("5", "business-days", drop_holiday=holiday.isoformat())
    p_with = with_holidays.period("notice-bilateral-training").earliest(receipt)
    p_without = without.period("notice-bilateral-training").earliest(receipt)
    assert p_with > p_without  # the holiday is not a business day: one more day to wait
    start = p_without + timedelta(hours=12)
    assert assess(without, receipt, start) is False
    assert assess(with_holidays, receipt, start) is True


def test_an_urgent_request_uses_the_emergency_notice() -> None:
    agreement = load_profile("usa-pry-2025")
    receipt = datetime(2026, 10, 5, 9, 0, tzinfo=UTC)
    for hours, late in ((13, False), (11, True)):  # 12 hours' emergency notice
        found = assess_notice(
            agreement, type_id="disaster-response", emergency=True, receipt=receipt,
            start=receipt + timedelta(hours=hours), host_recorded=True,
        )  # fmt: skip
        assert found is not None
        assert found.parameter == "notice-disaster-response-emergency" and found.late is late

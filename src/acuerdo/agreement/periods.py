"""Periods the agreement sets (notice, waiver windows, due notification), counted as it says.

Every deadline in acuerdo comes from an agreement parameter with a unit: minutes, hours,
calendar days or business days. Day counts are the ones people dispute, so the rule is fixed
here once and documented in docs/agreement-file.md:

* the day of the starting event (a receipt, an incident) is not counted; counting starts the
  next day in the calendar's time zone;
* a business day is a day that is neither a weekend day of the calendar nor one of its
  holidays (held as data in the agreement file, fixed when the calendar is adopted);
* the *n*-th counted day is the last day of a deadline ("within n days": due by the end of
  it) and the earliest day of a notice ("n days' notice": the activity may start on it).

Hours and minutes are exact durations from the starting instant. A parameter that names no
calendar counts in the agreement's only calendar when it declares exactly one, else in UTC.
All instants in and out are timezone-aware and returned in UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from acuerdo.agreement.schema import Calendar, Parameter

_UTC_CALENDAR_ZONE = ZoneInfo("UTC")


@dataclass(frozen=True, slots=True)
class WorkingCalendar:
    """A calendar ready for counting: its zone, weekend days and holiday set."""

    id: str | None
    zone: ZoneInfo
    weekend: frozenset[int]
    holidays: frozenset[date]

    @classmethod
    def of(cls, calendar: Calendar | None) -> WorkingCalendar:
        if calendar is None:
            return cls(None, _UTC_CALENDAR_ZONE, frozenset({6, 7}), frozenset())
        return cls(
            calendar.id,
            ZoneInfo(calendar.timezone),
            frozenset(calendar.weekend),
            frozenset(date.fromisoformat(str(h.date)) for h in calendar.holidays),
        )

    def is_business_day(self, day: date) -> bool:
        return day.isoweekday() not in self.weekend and day not in self.holidays

    def nth_day(self, start: date, count: int, *, business: bool) -> date:
        """The ``count``-th counted day after ``start`` (``start`` itself is not counted)."""
        if count < 0:
            raise ValueError("a period cannot count a negative number of days")
        if not business:
            return start + timedelta(days=count)
        day, counted = start, 0
        # Bounded: a calendar where no day is a business day would loop forever.
        for _ in range(count * 7 + 366 * 2):
            if counted == count:
                return day
            day += timedelta(days=1)
            if self.is_business_day(day):
                counted += 1
        if counted == count:
            return day
        raise ValueError(f"calendar {self.id!r} has too few business days to count {count}")

    def local_date(self, instant: datetime) -> date:
        return _aware(instant).astimezone(self.zone).date()

    def start_of(self, day: date) -> datetime:
        return datetime.combine(day, time(0), self.zone).astimezone(UTC)


@dataclass(frozen=True, slots=True)
class Period:
    """A parameter read as a period: how much, in which unit, counted in which calendar."""

    parameter: Parameter
    calendar: WorkingCalendar

    @property
    def is_days(self) -> bool:
        return self.parameter.unit in ("calendar-days", "business-days")

    def _count(self) -> int:
        value = self.parameter.value
        if self.is_days and int(value) != value:
            raise ValueError(f"parameter {self.parameter.id!r} counts a fraction of a day")
        return int(value)

    def _exact(self) -> timedelta:
        unit, value = self.parameter.unit, float(self.parameter.value)
        if unit == "hours":
            return timedelta(hours=value)
        if unit == "minutes":
            return timedelta(minutes=value)
        raise ValueError(f"parameter {self.parameter.id!r} is in {unit}, not a period of time")

    def last_day(self, start: datetime) -> date:
        """The last counted day of the period starting at ``start``, in the calendar's zone."""
        business = self.parameter.unit == "business-days"
        return self.calendar.nth_day(
            self.calendar.local_date(start), self._count(), business=business
        )

    def due(self, start: datetime) -> datetime:
        """The instant from which an obligation started at ``start`` is overdue."""
        if not self.is_days:
            return _aware(start).astimezone(UTC) + self._exact()
        return self.calendar.start_of(self.last_day(start) + timedelta(days=1))

    def earliest(self, receipt: datetime) -> datetime:
        """The first instant at which something needing this much notice may begin."""
        if not self.is_days:
            return _aware(receipt).astimezone(UTC) + self._exact()
        return self.calendar.start_of(self.last_day(receipt))


def _aware(instant: datetime) -> datetime:
    if instant.tzinfo is None:
        raise ValueError("periods are counted from timezone-aware instants only")
    return instant


def period_of(parameter: Parameter, calendars: list[Calendar]) -> Period:
    """``parameter`` as a ``Period``, in the calendar it names (or the sole one, or UTC)."""
    if parameter.unit not in ("calendar-days", "business-days", "hours", "minutes"):
        raise ValueError(f"parameter {parameter.id!r} is in {parameter.unit}, not time")
    by_id = {c.id: c for c in calendars}
    if parameter.calendar is not None:
        chosen: Calendar | None = by_id[parameter.calendar]
    elif len(calendars) == 1:
        chosen = calendars[0]
    else:
        chosen = None
    return Period(parameter, WorkingCalendar.of(chosen))

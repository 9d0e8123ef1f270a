"""The instant a decision is taken at: now, or one a caller names (a date means its end)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from acuerdo.ledger import stix


def instant(at: str | None) -> datetime:
    """``at`` as an aware UTC instant: a STIX timestamp, a date (its last instant), or now.

    ValueError says what was expected.
    """
    if at is None:
        return datetime.now(UTC)
    try:
        if len(at) == 10:
            day = date.fromisoformat(at)
            start = datetime(day.year, day.month, day.day, tzinfo=UTC)
            return start + timedelta(days=1, microseconds=-1)
        return stix.parse_timestamp(at, "at")
    except (ValueError, stix.StixError):
        raise ValueError(
            f"at: expected a date (2026-03-02) or a timestamp (2026-03-02T09:00:00Z), not {at!r}"
        ) from None

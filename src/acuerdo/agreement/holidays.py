"""Generate a holiday calendar for an agreement file from the maintained `holidays` library.

The library is consulted once, when a calendar is adopted; the file then holds the dates.
Business-day deadlines therefore depend only on the adopted agreement (and its hash), never
on which version of the library a node happens to run.
"""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml


def calendar_yaml(
    country: str, years: tuple[int, ...], calendar_id: str, zone: str, subdivision: str | None
) -> str:
    """The calendar as a YAML list item for the agreement file's ``calendars``."""
    from importlib.metadata import version

    import holidays

    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {zone!r}") from None
    try:
        table = holidays.country_holidays(country, subdiv=subdivision, years=sorted(set(years)))
    except NotImplementedError:
        raise ValueError(f"the holidays library knows no country {country!r}") from None
    days: list[tuple[date, str]] = sorted(table.items())
    entry = {
        "id": calendar_id,
        "name": f"Public holidays ({country}{'-' + subdivision if subdivision else ''}), "
        f"{min(years)}-{max(years)}",
        "timezone": zone,
        "weekend": [6, 7],
        "holidays": [{"date": d.isoformat(), "name": name} for d, name in days],
        "source": {
            "kind": "implementing-arrangement",
            "reference": f"holidays library {version('holidays')}, country {country}",
            "public": True,
            "note": "Generated at adoption; confirm against the host's official decree.",
        },
    }
    return yaml.safe_dump([entry], allow_unicode=True, sort_keys=False)

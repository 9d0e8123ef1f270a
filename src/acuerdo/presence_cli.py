"""`acuerdo presence`: who is in the country, as a table, or presence per day as bars.

It acts as a named user of this node, so it shows exactly what that user may see through
the release gate: names only when the gate gives the user the personal data (each read
audited), pseudonyms otherwise.
"""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from acuerdo.domains.personnel import queries
from acuerdo.node import Node, NodeError
from acuerdo.settings import Settings
from acuerdo.users import get_user

BAR_WIDTH = 40


def bars(days: list[tuple[date, int]], width: int = BAR_WIDTH) -> list[str]:
    """One line per day: the date, a bar scaled to the busiest day, and the count."""
    top = max((n for _, n in days), default=0)
    lines = []
    for d, n in days:
        length = 0 if top == 0 else round(n * width / top)
        lines.append(f"{d.isoformat()} {'█' * length}{' ' * (width - length)} {n}")
    return lines


async def _run(
    home: Path | None,
    user_name: str,
    at: date | None,
    view: str,
    timeline_days: int | None,
    console: Console,
) -> None:
    settings = Settings(home=home) if home is not None else Settings()
    node = await Node.open(settings)
    try:
        user = await get_user(node.engines.reader, user_name)
        if user is None:
            raise click.ClickException(f"no user {user_name!r} on this node")
        if timeline_days is not None:
            end = at or date.today()
            start = end - timedelta(days=timeline_days - 1)
            for line in bars(await queries.timeline(node, user, start, end)):
                console.print(line, highlight=False)
            return
        instant = queries.day_instant(at, end=True) if at else None
        page = await queries.presence(node, user, at=instant, view=view, limit=1000)
        table = Table(title=f"{view} at {page.at[:16]}Z ({len(page.rows)} shown)")
        for col in ("person", "name", "category", "coverage", "arrived", "port", "until", "flags"):
            table.add_column(col)
        for r in page.rows:
            flags = [k for k in ("overstay", "host_only", "departure_unrecorded") if r[k]]
            table.add_row(
                r["person"].split("--")[1][:8],
                r["name"],
                r["category"],
                r["coverage"],
                (r["arrived_at"] or "")[:16],
                r["port"] or "",
                r["valid_until"] or "",
                ", ".join(flags),
            )
        console.print(table)
        if page.next_after:
            console.print("(more: use the API's presence route with after=... to page on)")
    finally:
        await node.close()


@click.command("presence")
@click.option("--user", "user_name", required=True, help="act as this user of the node")
@click.option(
    "--at",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="the day to look at (end of day, UTC); default now",
)
@click.option("--view", type=click.Choice(queries.VIEWS), default="present")
@click.option(
    "--timeline",
    "timeline_days",
    type=click.IntRange(1, 367),
    default=None,
    help="instead of the table: persons present per day over this many days",
)
@click.pass_context
def presence(
    ctx: click.Context, user_name: str, at: datetime | None, view: str, timeline_days: int | None
) -> None:
    """Who is in the country (a table), or how many were, day by day (--timeline N)."""
    home = ctx.obj.get("home") if ctx.obj else None
    day = at.date() if at is not None else None
    try:
        asyncio.run(_run(home, user_name, day, view, timeline_days, Console()))
    except NodeError as exc:
        raise click.ClickException(str(exc)) from None

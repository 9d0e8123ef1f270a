"""`acuerdo activity`: propose from a YAML file, decide, list (a table, or a month calendar).

Each command acts as a named user of this node, so it goes through the same checks as the
API (competent agency, exact version, release gate) and shows exactly what that user may
see. Refusals exit with code 1 and say why; nothing is written then.
"""

from __future__ import annotations

import asyncio
import calendar
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TypeVar

import click
import yaml
from rich.console import Console
from rich.table import Table

from acuerdo.domains.activities import service, views
from acuerdo.ledger.record import RecordError
from acuerdo.ledger.writes import WriteRefused
from acuerdo.node import Node, NodeError
from acuerdo.settings import Settings
from acuerdo.users import User, get_user

T = TypeVar("T")
DECISIONS = {
    "approve": "approved",
    "approve_with_conditions": "approved-with-conditions",
    "request_info": "information-requested",
    "refuse": "refused",
}


def _settings(ctx: click.Context) -> Settings:
    home = ctx.obj.get("home") if ctx.obj else None
    return Settings(home=home) if home is not None else Settings()


async def _as_user(settings: Settings, name: str, work: Callable[[Node, User], Awaitable[T]]) -> T:
    node = await Node.open(settings)
    try:
        user = await get_user(node.engines.reader, name)
        if user is None:
            raise click.ClickException(f"no user {name!r} on this node")
        return await work(node, user)
    finally:
        await node.close()


def _run(ctx: click.Context, name: str, work: Callable[[Node, User], Awaitable[T]]) -> T:
    try:
        return asyncio.run(_as_user(_settings(ctx), name, work))
    except (NodeError, RecordError, service.NotFound) as exc:
        raise click.ClickException(str(exc)) from None
    except WriteRefused as exc:
        raise click.ClickException(f"refused ({exc.rule}): {exc.message}") from None


@click.group("activity")
def activity() -> None:
    """Activities: propose, decide, list."""


@activity.command("propose")
@click.argument("file", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option("--user", "user_name", required=True, help="Acting user (a registrar).")
@click.pass_context
def propose(ctx: click.Context, file: Path, user_name: str) -> None:
    """Propose the activity described in FILE (YAML: the fields of an acuerdo-activity)."""
    try:
        fields = yaml.safe_load(file.read_text("utf-8"))
    except yaml.YAMLError as exc:
        raise click.ClickException(f"{file}: not valid YAML: {exc}") from None
    if not isinstance(fields, dict):
        raise click.ClickException(f"{file}: expected a mapping of activity fields")
    fields = _json_ready(fields)
    written = _run(ctx, user_name, lambda node, user: service.propose(node, user, fields))
    click.echo(f"{written.object_id} version {written.version} sha256 {written.sha256}")


def _json_ready(value: Any) -> Any:
    """YAML reads bare dates and times as objects; records carry them as text."""
    if isinstance(value, dict):
        return {str(k): _json_ready(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_ready(v) for v in value]
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, date):
        return value.isoformat()
    return value


@activity.command("decide")
@click.argument("activity_id")
@click.option("--approve", is_flag=True, help="Approve the current version.")
@click.option("--approve-with-conditions", metavar="TEXT", help="Approve on these conditions.")
@click.option("--request-info", metavar="TEXT", help="Ask the proposer for this information.")
@click.option("--refuse", metavar="TEXT", help="Refuse, saying why.")
@click.option("--reason", required=True, help="The reason recorded with the decision.")
@click.option("--emergency", is_flag=True, help="Decide on the emergency path (urgent request).")
@click.option("--user", "user_name", required=True, help="Acting user (an approver).")
@click.pass_context
def decide(
    ctx: click.Context,
    activity_id: str,
    approve: bool,
    approve_with_conditions: str | None,
    request_info: str | None,
    refuse: str | None,
    reason: str,
    emergency: bool,
    user_name: str,
) -> None:
    """Decide the current version of ACTIVITY_ID (exactly one of the decision options)."""
    choice: dict[str, Any] = {
        "approve": approve,
        "approve_with_conditions": approve_with_conditions,
        "request_info": request_info,
        "refuse": refuse,
    }
    chosen = [k for k, v in choice.items() if v]
    if len(chosen) != 1:
        raise click.UsageError(
            "give exactly one of --approve, --approve-with-conditions, --request-info, --refuse"
        )
    outcome, text = DECISIONS[chosen[0]], choice[chosen[0]]
    detail = None if text is True else str(text)
    full_reason = reason if detail is None or outcome != "refused" else f"{detail}. {reason}"
    if outcome == "information-requested" and detail:
        full_reason = f"{reason}. Information requested: {detail}"

    async def work(node: Node, user: User) -> service.Written:
        return await service.decide(
            node,
            user,
            activity_id,
            outcome=outcome,
            reason=full_reason,
            conditions=detail if outcome == "approved-with-conditions" else None,
            emergency=emergency,
        )

    written = _run(ctx, user_name, work)
    click.echo(f"{outcome}: {written.object_id} on {activity_id}")


@activity.command("list")
@click.option("--user", "user_name", required=True, help="Acting user.")
@click.option("--state", default=None, help="Only activities in this state.")
@click.option("--calendar", "month", default=None, metavar="YYYY-MM", help="A month picture.")
@click.pass_context
def list_cmd(ctx: click.Context, user_name: str, state: str | None, month: str | None) -> None:
    """Activities the user may see: a table, or with --calendar a month picture."""
    filters = views.Filters(state=state)

    async def work(node: Node, user: User) -> list[dict[str, Any]]:
        now = datetime.now(UTC)
        items, _ = await views.list_activities(node, user, now=now, filters=filters, limit=1000)
        return items

    items = _run(ctx, user_name, work)
    console = Console()
    if month:
        for line in month_picture(items, month):
            console.print(line, highlight=False)
        return
    table = Table(title=f"activities ({len(items)})")
    for col in ("activity", "type", "title", "from", "to", "state", "flags"):
        table.add_column(col)
    for i in items:
        table.add_row(
            i["id"].split("--")[1][:8],
            i["activity_type"],
            i["title"],
            i["first_day"],
            i["last_day"],
            i["state"],
            ", ".join(i["flags"]),
        )
    console.print(table)


def month_picture(items: list[dict[str, Any]], month: str) -> list[str]:
    """A month as a grid: each day shows how many activities run that day (host dates)."""
    try:
        year, mon = (int(x) for x in month.split("-"))
        first = date(year, mon, 1)
    except ValueError:
        raise click.BadParameter(f"{month!r}: expected YYYY-MM", param_hint="--calendar") from None
    del first
    lines = [f"{calendar.month_name[mon]} {year}", "  Mo  Tu  We  Th  Fr  Sa  Su"]
    for week in calendar.Calendar().monthdatescalendar(year, mon):
        cells = []
        for day in week:
            text = day.isoformat()
            n = sum(1 for i in items if i["first_day"] <= text <= i["last_day"])
            if day.month != mon:
                cells.append("   .")
            else:
                cells.append(f"{day.day:>2}{'·' if n == 0 else min(n, 9):>2}")
        lines.append("".join(cells))
    lines.append("(day, then how many activities run that day)")
    return lines

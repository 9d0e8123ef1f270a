"""`acuerdo incident report|explain` and `acuerdo deadlines`: cases from the command line.

Each command acts as a named user of the node, so it shows exactly what the release gate
gives that user, and writes with that user's roles. Exit codes follow docs/cli.md: 1 when a
record is refused (the reason, with its article, on standard error).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.table import Table

from acuerdo.api.routes.records import WRITERS
from acuerdo.domains.incidents import board
from acuerdo.domains.incidents.instants import instant
from acuerdo.domains.incidents.report import LANGUAGES, render
from acuerdo.ledger.record import RecordError
from acuerdo.ledger.writes import WriteRefused
from acuerdo.node import Node, NodeError
from acuerdo.settings import Settings
from acuerdo.users import User, get_user

T = TypeVar("T")


def _home(ctx: click.Context) -> Path | None:
    home = ctx.obj.get("home") if ctx.obj else None
    return home if isinstance(home, Path) or home is None else Path(home)


def _as_user(ctx: click.Context, user_name: str, work: Callable[[Node, User], Awaitable[T]]) -> T:
    """Open the node, find the user, run ``work``, close; refusals become exit code 1."""

    async def run() -> T:
        home = _home(ctx)
        node = await Node.open(Settings(home=home) if home is not None else Settings())
        try:
            user = await get_user(node.engines.reader, user_name)
            if user is None:
                raise click.ClickException(f"no user {user_name!r} on this node")
            return await work(node, user)
        finally:
            await node.close()

    try:
        return asyncio.run(run())
    except (NodeError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None


@click.group("incident")
def incident() -> None:
    """Report incidents and the records answering them; explain the agreement's decision."""


def _objects(path: Path) -> list[dict[str, Any]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise click.ClickException(f"{path}: not a readable JSON file ({exc})") from None
    if isinstance(data, dict) and data.get("type") == "bundle":
        data = data.get("objects")
    objs = data if isinstance(data, list) else [data]
    if not objs or not all(isinstance(o, dict) for o in objs):
        raise click.ClickException(f"{path}: expected a STIX object, a list or a bundle")
    return objs


@incident.command("report")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option("--user", "user_name", required=True, help="write as this user of the node")
@click.pass_context
def report(ctx: click.Context, file: Path, user_name: str) -> None:
    """Write the records in FILE (an incident, answers, claims: JSON object or bundle)."""
    objs = _objects(file)

    async def work(node: Node, user: User) -> list[str]:
        try:
            drafts = [node.prepare(o) for o in objs]
            for d in drafts:
                if not user.has_any(WRITERS[d.kind]):
                    roles = ", ".join(WRITERS[d.kind])
                    raise click.ClickException(f"writing {d.object_type} needs one of: {roles}")
            appended = await node.write(objs, user=user, prepared=drafts)
        except (RecordError, WriteRefused) as exc:
            raise click.ClickException(str(exc)) from None
        return [a.object_id for a in appended]

    for object_id in _as_user(ctx, user_name, work):
        click.echo(f"written {object_id}")


def _print_reasons(console: Console, reasons: list[Any], indent: str = "  ") -> None:
    for r in reasons:
        cite = r["citation"]
        where = f"Art. {cite['article']}" + (f" {cite['paragraph']}" if cite["paragraph"] else "")
        public = "" if cite["public"] else " (wording not public)"
        console.print(f"{indent}- {r['text']} [{where}{public}]", markup=False, highlight=False)


def _print_case(console: Console, d: dict[str, Any]) -> None:
    console.print(
        f"incident {d['incident']} ({d['status']}), reported by {d['reported_by']}", markup=False
    )
    agreement = d["agreement"]
    console.print(
        f"agreement {agreement['id']} sha256:{agreement['hash']}, at {d['at']}", markup=False
    )
    for a in d["accused"]:
        console.print(
            f"accused {a['person']} ({a['party']}, {a['category']}): {a['jurisdiction']}"
            f", primary {a['primary'] or '-'}, exercising {a['exercising'] or '-'}",
            markup=False,
            highlight=False,
        )
        _print_reasons(console, a["reasons"])
    for other in d["others"]:
        console.print(f"{other['role']}: {other['description']}", markup=False, highlight=False)
        _print_reasons(console, [other["reason"]])
    for o in d["obligations"]:
        console.print(
            f"obligation {o['party']}: {o['name']} due {o['due']} [{o['status']}]",
            markup=False,
            highlight=False,
        )
        _print_reasons(console, [o["reason"]])
    console.print("rests on:", markup=False)
    for f in d["facts"]:
        console.print(
            f"  {f['id']} {f['modified']} sha256:{f['sha256'][:16]}", markup=False, highlight=False
        )
    console.print(d["counted_from"], markup=False, highlight=False)


@incident.command("explain")
@click.argument("object_id")
@click.option("--user", "user_name", required=True, help="act as this user of the node")
@click.option("--at", default=None, help="date or timestamp to decide at (default now)")
@click.pass_context
def explain(ctx: click.Context, object_id: str, user_name: str, at: str | None) -> None:
    """Print the agreement's decision on an incident or a claim, and its reasons."""
    now = _parse(at) if at is not None else instant(None)

    async def work(node: Node, user: User) -> dict[str, Any] | None:
        if object_id.startswith("acuerdo-claim--"):
            return await board.claim(node, user, object_id)
        decided = await board.case(node, user, object_id, now)
        return None if decided is None else decided.to_json(node.agreement)

    found = _as_user(ctx, user_name, work)
    if found is None:
        raise click.ClickException(f"no incident or claim {object_id} here")
    console = Console(soft_wrap=True)
    if "claim" in found:
        console.print(f"claim {found['claim']}: {found['outcome']}", markup=False, highlight=False)
        parts = found.get("parts") or ""
        console.print(f"{found['amount']} {found['currency']} {parts}", markup=False)
        _print_reasons(console, list(found["reasons"]))
        return
    _print_case(console, found)


def _parse(at: str) -> Any:
    try:
        return instant(at)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--at") from None


@click.command("deadlines")
@click.option("--user", "user_name", required=True, help="act as this user of the node")
@click.option("--at", default=None, help="date or timestamp to evaluate at (default now)")
@click.option(
    "--pdf",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="also write the Joint Committee report as a PDF here",
)
@click.option("--lang", type=click.Choice(LANGUAGES), default="es", help="language of the PDF")
@click.pass_context
def deadlines(
    ctx: click.Context, user_name: str, at: str | None, pdf: Path | None, lang: str
) -> None:
    """Every open obligation of every case, earliest due first; overdue ones flagged."""
    now = _parse(at) if at is not None else instant(None)

    async def work(node: Node, user: User) -> tuple[list[Any], bytes | None]:
        rows = board.deadline_rows(await board.cases(node, user, now))
        report_bytes = None
        if pdf is not None:
            view = await board.joint_committee(node, user, now)
            report_bytes = render(view, lang)
        return rows, report_bytes

    rows, report_bytes = _as_user(ctx, user_name, work)
    table = Table(title=f"open obligations at {board.format_at(now)[:16]}Z ({len(rows)})")
    for col in ("due", "party", "act", "person", "incident", "article", "status"):
        table.add_column(col)
    for r in rows:
        where = f"{r['article']} {r['paragraph'] or ''}".strip()
        status = "[bold red]OVERDUE[/]" if r["status"] == "overdue" else str(r["status"])
        person = str(r["person"] or "").split("--")[-1][:8]
        incident_id = str(r["incident"]).split("--")[1][:8]
        table.add_row(
            str(r["due"])[:16], str(r["party"]), str(r["act"]), person, incident_id, where, status
        )
    Console().print(table)
    if pdf is not None and report_bytes is not None:
        pdf.write_bytes(report_bytes)
        click.echo(f"report written to {pdf}")

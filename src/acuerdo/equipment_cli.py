"""`acuerdo customs ...` and `acuerdo transfer ...`: declarations and transfer programmes.

The commands open the node in --home and act as the named user (a user of this node), so
the same checks and release gate apply as through the API. Exit codes follow the CLI
contract (docs/cli.md): 0 on success, 1 when input is invalid or the node refuses (the
reason on standard error, nothing written).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from acuerdo.personnel_cli import _acting, _settings

if TYPE_CHECKING:
    from acuerdo.node import Node
    from acuerdo.users import User

T = TypeVar("T")
USER = click.option("--user", "user_name", required=True, help="User of this node to act as.")
TODAY = click.option(
    "--today", type=click.DateTime(["%Y-%m-%d"]), default=None, help="Report as of DAY."
)


def _act(ctx: click.Context, user_name: str, work: Callable[[Node, User], Awaitable[T]]) -> T:
    """Run `work` as the user on the node of --home; refusals exit 1 with their reason."""
    from acuerdo.domains.equipment.common import EquipmentRefused

    async def run() -> T:
        async with _acting(_settings(ctx), user_name) as (node, user):
            return await work(node, user)

    try:
        return asyncio.run(run())
    except EquipmentRefused as exc:
        raise click.ClickException(str(exc)) from None


def _day(value: datetime | None) -> date:
    return value.date() if value is not None else datetime.now(UTC).date()


def _read_file(file: Path) -> dict[str, Any]:
    """A declaration or programme from YAML or JSON (JSON is YAML, but errors read better)."""
    import yaml

    text = file.read_text("utf-8")
    try:
        data = json.loads(text) if file.suffix == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise click.ClickException(
            f"{file}: not valid {file.suffix[1:] or 'YAML'}: {exc}"
        ) from None
    if not isinstance(data, dict):
        raise click.ClickException(f"{file}: expected a mapping of fields")
    return data


def _table(title: str, columns: list[str], rows: list[list[str]]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title)
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*row)
    Console().print(table)


@click.group()
def customs() -> None:
    """Customs declarations under the duty exemption: file, decide, print, account."""


@customs.command("declare")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@USER
@click.pass_context
def declare_cmd(ctx: click.Context, file: Path, user_name: str) -> None:
    """File the declaration in FILE (YAML or JSON); the node assigns its number."""
    from acuerdo.domains.equipment import customs as domain

    content = _read_file(file)
    party: list[str] = []

    async def work(node: Node, user: User) -> tuple[dict[str, Any], Any]:
        party.append(node.party)
        return await domain.declare(node, user, content)

    obj, appended = _act(ctx, user_name, work)
    number = domain.certificate_number(party[0], int(obj["serial"]))
    click.echo(f"declaration {number} filed: {obj['id']} (sha256 {appended.sha256})")


@customs.command("list")
@USER
@click.pass_context
def list_cmd(ctx: click.Context, user_name: str) -> None:
    """Declarations the user may see, with the customs status of each current version."""
    from acuerdo.domains.equipment.accounting import declarations

    rows = _act(ctx, user_name, declarations)
    _table(
        "Customs declarations",
        ["number", "direction", "regime", "port", "items", "value", "status", "id"],
        [
            [r["number"], r["direction"], r["regime"], r["port"], str(r["items"]),
             ", ".join(f"{v:,.2f} {k}" for k, v in r["value"].items()), r["status"], r["id"]]
            for r in rows
        ],
    )  # fmt: skip


@customs.command("decide")
@click.argument("declaration_id")
@USER
@click.option("--clear", "outcome", flag_value="cleared", help="Clear the declaration.")
@click.option("--hold", "outcome", flag_value="held", help="Hold it (needs --reason).")
@click.option("--reason", default=None, help="Why (required to hold).")
@click.pass_context
def decide_cmd(
    ctx: click.Context, declaration_id: str, user_name: str, outcome: str | None, reason: str | None
) -> None:
    """Host customs clears or holds the current version of DECLARATION_ID."""
    from acuerdo.domains.equipment import customs as domain

    if outcome is None:
        raise click.UsageError("say --clear or --hold")
    obj, _ = _act(ctx, user_name, lambda n, u: domain.decide(n, u, declaration_id, outcome, reason))
    ref = obj["declaration"]
    click.echo(f"{outcome}: {ref['id']} version {ref['modified']} ({obj['id']})")


@customs.command("certificate")
@click.argument("declaration_id")
@USER
@click.option("--lang", type=click.Choice(["es", "en"]), default="es", show_default=True)
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), required=True)
@click.pass_context
def certificate_cmd(
    ctx: click.Context, declaration_id: str, user_name: str, lang: str, out: Path
) -> None:
    """Write the declaration's certificate (PDF) in Spanish or English."""
    from acuerdo.domains.equipment.accounting import declaration
    from acuerdo.domains.equipment.certificate import render_certificate
    from acuerdo.domains.equipment.common import DECLARATION, DUTY_FREE, provision, visible_one

    async def work(node: Node, user: User) -> tuple[bytes, str]:
        seen = await visible_one(node, user, declaration_id, DECLARATION)
        found, decision = await declaration(node, user, seen)
        pdf = render_certificate(
            node, seen, found["number"], provision(node, DUTY_FREE), decision, lang
        )
        return pdf, str(found["number"])

    pdf, number = _act(ctx, user_name, work)
    out.write_bytes(pdf)
    click.echo(f"certificate {number} ({lang}) written to {out}")


@customs.command("outstanding")
@USER
@TODAY
@click.pass_context
def outstanding_cmd(ctx: click.Context, user_name: str, today: datetime | None) -> None:
    """Temporarily imported items not yet re-exported, with their due date."""
    from acuerdo.domains.equipment.accounting import outstanding

    day = _day(today)
    rows = _act(ctx, user_name, lambda n, u: outstanding(n, u, day))
    _table(
        f"Temporary imports not re-exported, as of {day}",
        ["declaration", "line", "description", "outstanding", "serial numbers", "due", "overdue"],
        [
            [r.number, str(r.line), r.description, f"{r.outstanding:g} of {r.imported:g}",
             ", ".join(r.serial_numbers), r.re_export_by, "OVERDUE" if r.overdue else ""]
            for r in rows
        ],
    )  # fmt: skip


@click.group()
def transfer() -> None:
    """Equipment transfer programmes: milestones, delays, the pipeline picture."""


@transfer.command("create")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@USER
@click.pass_context
def create_cmd(ctx: click.Context, file: Path, user_name: str) -> None:
    """Write the transfer programme in FILE (YAML or JSON)."""
    from acuerdo.domains.equipment import transfers

    content = _read_file(file)
    obj, appended = _act(ctx, user_name, lambda n, u: transfers.create(n, u, content))
    click.echo(f"programme {obj['id']} written (sha256 {appended.sha256})")


@transfer.command("report")
@click.argument("programme_id")
@USER
@click.option("--stage", required=True, help="The step reached (e.g. shipment).")
@click.option("--reached", required=True, help="The day it was reached, YYYY-MM-DD.")
@click.option("--remarks", default=None)
@click.pass_context
def report_cmd(
    ctx: click.Context,
    programme_id: str,
    user_name: str,
    stage: str,
    reached: str,
    remarks: str | None,
) -> None:
    """The owner of a step reports the day it was reached."""
    from acuerdo.domains.equipment import transfers

    obj, _ = _act(
        ctx,
        user_name,
        lambda n, u: transfers.report(n, u, programme_id, stage, reached, remarks),
    )
    click.echo(f"{stage} reached {reached}: {obj['id']}")


@transfer.command("status")
@click.argument("programme_id", required=False)
@USER
@TODAY
@click.option(
    "--out-dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("."),
    show_default=True,
    help="Where the Gantt pictures (SVG and PNG) are written.",
)
@click.pass_context
def status_cmd(
    ctx: click.Context,
    programme_id: str | None,
    user_name: str,
    today: datetime | None,
    out_dir: Path,
) -> None:
    """Each programme's steps (planned, actual, delay, days in stage) and its Gantt picture."""
    from acuerdo.domains.equipment import gantt, transfers

    day = _day(today)

    async def work(node: Node, user: User) -> list[transfers.ProgrammeStatus]:
        if programme_id is not None:
            return [await transfers.programme(node, user, programme_id, day)]
        return await transfers.programmes(node, user, day)

    found = _act(ctx, user_name, work)
    out_dir.mkdir(parents=True, exist_ok=True)
    for status in found:
        numbers = transfers.summary(status.steps)
        _table(
            f"{status.programme.body['title']} ({status.programme.id}): "
            f"{numbers['days_behind']} days behind plan, as of {day}",
            ["stage", "owner", "planned", "actual", "delay (days)", "days in stage", "state"],
            [
                [s.stage, f"{s.owner_party} {s.owner_agency}", s.planned.isoformat(),
                 s.actual.isoformat() if s.actual else "", _num(s.delay_days),
                 _num(s.days_in_stage), s.state.upper() if s.state == "late" else s.state]
                for s in status.steps
            ],
        )  # fmt: skip
        chart = gantt.layout(status, day)
        stem = out_dir / f"transfer-{status.programme.id.split('--')[1][:8]}-gantt"
        stem.with_suffix(".svg").write_text(gantt.to_svg(chart), "utf-8")
        stem.with_suffix(".png").write_bytes(gantt.to_png(chart))
        click.echo(f"gantt: {stem.with_suffix('.svg')} {stem.with_suffix('.png')}")
    if not found:
        click.echo("no transfer programmes")


def _num(value: int | None) -> str:
    return "" if value is None else str(value)


@click.command("programme")
@click.argument("year", type=click.IntRange(2000, 2100))
@USER
@click.option(
    "--out",
    type=click.Path(path_type=Path, dir_okay=False),
    required=True,
    help="File to write: .csv or .pdf.",
)
@click.option("--lang", type=click.Choice(["es", "en"]), default="es", show_default=True)
@click.pass_context
def programme_cmd(ctx: click.Context, year: int, user_name: str, out: Path, lang: str) -> None:
    """The annual programme of activities of YEAR, as CSV or as the PDF tabled in congress."""
    from acuerdo.domains.equipment import programme as annual

    if out.suffix not in (".csv", ".pdf"):
        raise click.ClickException(f"{out}: write a .csv or a .pdf")

    async def work(node: Node, user: User) -> bytes:
        rows = await annual.annual_programme(node, user, year)
        if out.suffix == ".csv":
            return annual.to_csv(rows)
        return annual.to_pdf(node, rows, year, lang)

    out.write_bytes(_act(ctx, user_name, work))
    click.echo(f"programme {year} written to {out}")

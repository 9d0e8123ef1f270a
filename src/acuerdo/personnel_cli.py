"""`acuerdo person import|export`: spreadsheets of covered personnel, on this node.

The commands open the node in --home and act as the named user (a user of this node), so
the same release gate and write checks apply as through the API. Exit codes follow the CLI
contract (docs/cli.md): 0 on success, 1 when the file has errors or the node refuses.
Heavy modules are imported inside the commands, so `acuerdo --help` stays fast.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING

import click

from acuerdo.settings import Settings

if TYPE_CHECKING:
    from rich.progress import Progress

    from acuerdo.domains.personnel.importing import ImportReport
    from acuerdo.domains.personnel.spreadsheet import ColumnMapping, SheetFormat
    from acuerdo.node import Node
    from acuerdo.users import User


def _settings(ctx: click.Context) -> Settings:
    root = ctx.find_root().obj or {}
    home = root.get("home")
    return Settings(home=home) if home is not None else Settings()


@asynccontextmanager
async def _acting(settings: Settings, user_name: str) -> AsyncIterator[tuple[Node, User]]:
    """The node of --home, opened, and the user to act as; closed on the way out."""
    from acuerdo.ledger.record import RecordError
    from acuerdo.ledger.writes import WriteRefused
    from acuerdo.node import Node, NodeError
    from acuerdo.users import get_user

    try:
        node = await Node.open(settings)
    except NodeError as exc:
        raise click.ClickException(str(exc)) from None
    try:
        user = await get_user(node.engines.reader, user_name)
        if user is None:
            raise click.ClickException(f"no user {user_name!r} on this node")
        yield node, user
    except RecordError as exc:
        raise click.ClickException(str(exc)) from None
    except WriteRefused as exc:
        raise click.ClickException(exc.message) from None
    finally:
        await node.close()


def _reporter(bar: Progress | None) -> Callable[[str, int, int], None]:
    """A progress callback drawing one rich task per phase (check, write)."""
    tasks: dict[str, int] = {}

    def progress(phase: str, done: int, total: int) -> None:
        if bar is None:
            return
        from rich.progress import TaskID

        if phase not in tasks:
            label = "checking rows" if phase == "check" else "writing rows"
            tasks[phase] = bar.add_task(label, total=total or None)
        bar.update(TaskID(tasks[phase]), completed=done, total=total or None)

    return progress


async def _import(
    settings: Settings,
    file: Path,
    user_name: str,
    columns: ColumnMapping,
    sheet_format: SheetFormat,
    valid_rows_only: bool,
    quiet: bool,
) -> ImportReport:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from acuerdo.domains.personnel.importing import import_sheet
    from acuerdo.domains.personnel.spreadsheet import SheetError

    async with _acting(settings, user_name) as (node, user):
        columns_shown = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
        bar = Progress(*columns_shown, TimeElapsedColumn(), console=Console(stderr=True))
        try:
            with bar if not quiet else nullcontext():
                return await import_sheet(
                    node, user, file, sheet_format, columns, valid_rows_only=valid_rows_only,
                    progress=_reporter(None if quiet else bar),
                )  # fmt: skip
        except SheetError as exc:
            raise click.ClickException(str(exc)) from None


@click.group()
def person() -> None:
    """Covered personnel: import and export spreadsheets."""


@person.command("import")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option("--user", "user_name", required=True, help="User of this node to act as.")
@click.option(
    "--mapping",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    default=None,
    help="YAML column mapping for a layout other than the template.",
)
@click.option("--valid-rows-only", is_flag=True, help="Import the valid rows even if others fail.")
@click.option(
    "--format", "fmt", type=click.Choice(["csv", "xlsx"]), default=None, help="Default: by suffix."
)
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.pass_context
def import_cmd(
    ctx: click.Context,
    file: Path,
    user_name: str,
    mapping: Path | None,
    valid_rows_only: bool,
    fmt: str | None,
    quiet: bool,
) -> None:
    """Import covered persons (and their orders) from FILE (CSV or XLSX)."""
    from acuerdo.domains.personnel.spreadsheet import (
        DEFAULT_MAPPING,
        SheetError,
        format_of,
        load_mapping,
    )

    try:
        sheet_format = format_of(file, fmt)
        columns = load_mapping(mapping) if mapping else DEFAULT_MAPPING
    except SheetError as exc:
        raise click.ClickException(str(exc)) from None
    report = asyncio.run(
        _import(_settings(ctx), file, user_name, columns, sheet_format, valid_rows_only, quiet)
    )
    for err in report.errors:
        click.echo(str(err), err=True)
    if report.refused:
        click.echo(
            f"{len(report.errors)} error(s) in {report.rows - report.valid_rows} of "
            f"{report.rows} rows: nothing written (fix them, or use --valid-rows-only)",
            err=True,
        )
        ctx.exit(1)
    click.echo(
        f"{report.rows} rows: {report.written_rows} written, {report.unchanged_rows} unchanged, "
        f"{report.rows - report.valid_rows} with errors; orders: {report.written_orders} "
        f"written, {report.unchanged_orders} unchanged; {report.versions} record versions"
    )


async def _export(
    settings: Settings, user_name: str, sheet_format: SheetFormat
) -> tuple[bytes, int]:
    from acuerdo.domains.personnel.exporting import export_persons

    async with _acting(settings, user_name) as (node, user):
        return await export_persons(node, user, sheet_format)


@person.command("export")
@click.option("--user", "user_name", required=True, help="User of this node to act as.")
@click.option(
    "--out",
    type=click.Path(path_type=Path, dir_okay=False),
    required=True,
    help="File to write: .csv or .xlsx.",
)
@click.pass_context
def export_cmd(ctx: click.Context, user_name: str, out: Path) -> None:
    """Write the covered persons the user may see to a CSV or XLSX file."""
    from acuerdo.domains.personnel.spreadsheet import SheetError, format_of

    try:
        sheet_format = format_of(out)
    except SheetError as exc:
        raise click.ClickException(str(exc)) from None
    data, count = asyncio.run(_export(_settings(ctx), user_name, sheet_format))
    out.write_bytes(data)
    click.echo(f"{count} persons written to {out}")

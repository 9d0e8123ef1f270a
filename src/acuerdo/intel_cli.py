"""`acuerdo intel import|correlations`: bulk STIX import and the correlation view, on this node.

The commands open the node in --home and act as the named user, so the same checks and the
same release gate apply as through the API. Exit codes follow docs/cli.md: 0 on success, 1
when the file is refused, some objects were invalid, or the record is not there for the
user. Heavy modules are imported inside the commands, so `acuerdo --help` stays fast.
"""

from __future__ import annotations

import asyncio
import json
from contextlib import nullcontext
from pathlib import Path
from typing import IO, TYPE_CHECKING

import click

from acuerdo.personnel_cli import _acting, _settings

if TYPE_CHECKING:
    from acuerdo.domains.intel.correlation import CorrelationView
    from acuerdo.domains.intel.importing import ImportReport
    from acuerdo.settings import Settings

WRITER_ROLES = ("analyst", "admin")


@click.group()
def intel() -> None:
    """Intelligence: bulk STIX import and correlations."""


async def _import(
    settings: Settings, file: Path, user_name: str, errors_out: IO[str] | None, quiet: bool
) -> ImportReport:
    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeElapsedColumn

    from acuerdo.domains.intel.importing import BundleError, import_bundle

    async with _acting(settings, user_name) as (node, user):
        if not user.has_any(WRITER_ROLES):
            raise click.ClickException(f"importing intelligence needs one of {WRITER_ROLES}")
        bar = Progress(
            TextColumn("{task.description}"), BarColumn(), DownloadColumn(),
            TextColumn("{task.fields[summary]}"), TimeElapsedColumn(),
            console=Console(stderr=True),
        )  # fmt: skip
        task = bar.add_task("importing", total=None, summary="")

        def progress(done: int, total: int, report: ImportReport) -> None:
            summary = f"{report.written} written, {report.invalid} invalid"
            bar.update(task, completed=done, total=total, summary=summary)

        try:
            with bar if not quiet else nullcontext():
                return await import_bundle(
                    node, user, file, errors_out=errors_out, progress=None if quiet else progress
                )
        except BundleError as exc:
            raise click.ClickException(str(exc)) from None


@intel.command("import")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option("--user", "user_name", required=True, help="User of this node to act as.")
@click.option(
    "--errors",
    "errors_file",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Write every per-object error here as JSON lines (the summary shows the first 20).",
)
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.pass_context
def import_cmd(
    ctx: click.Context, file: Path, user_name: str, errors_file: Path | None, quiet: bool
) -> None:
    """Import the STIX 2.1 bundle FILE, of any size, read as a stream.

    Valid objects are stored (signed by this node, owned by its party); invalid ones are
    listed with their position, id and reasons, and the exit code is then 1.
    """
    with errors_file.open("w", encoding="utf-8") if errors_file else nullcontext() as out:
        report = asyncio.run(_import(_settings(ctx), file, user_name, out, quiet))
    for err in report.errors[:20]:
        click.echo(str(err), err=True)
    if report.invalid > 20:
        click.echo(f"... and {report.invalid - 20} more", err=True)
    click.echo(
        f"{report.read} objects: {report.written} written, {report.unchanged} unchanged, "
        f"{report.invalid} invalid"
    )
    if report.invalid:
        ctx.exit(1)


async def _correlations(settings: Settings, user_name: str, object_id: str) -> CorrelationView:
    from acuerdo.domains.intel.correlation import correlations_of

    async with _acting(settings, user_name) as (node, user):
        view = await correlations_of(node, user.recipient, object_id)
    if view is None:
        raise click.ClickException(f"no record {object_id} here")
    return view


@intel.command("correlations")
@click.argument("object_id")
@click.option("--user", "user_name", required=True, help="User of this node to act as.")
@click.option("--json", "as_json", is_flag=True, help="Print the API's JSON answer.")
@click.pass_context
def correlations_cmd(ctx: click.Context, object_id: str, user_name: str, as_json: bool) -> None:
    """Show the records of either party that share an observable with OBJECT_ID."""
    from rich.console import Console
    from rich.table import Table

    from acuerdo.domains.intel.correlation import view_json
    from acuerdo.ledger.stix import ID_RE

    if len(object_id) > 300 or not ID_RE.match(object_id):
        raise click.ClickException(f"{object_id[:80]!r} is not a STIX id '<type>--<uuid>'")
    view = asyncio.run(_correlations(_settings(ctx), user_name, object_id))
    if as_json:
        click.echo(json.dumps(view_json(view), ensure_ascii=False, indent=2))
        return
    table = Table(title=f"{view.object_type} {view.object_id} ({view.party})")
    for column in ("observable", "seen in", "record", "party", "label", "when"):
        table.add_column(column)
    for c in view.correlations:
        shown = f"{c.kind} {c.value}"
        if c.over_correlated:
            table.add_row(shown, f"> {c.count - 1} (over-correlated)", "", "", "", "")
            continue
        if not c.matches:
            table.add_row(shown, "0", "", "", "", "")
        for m in c.matches:
            party = m.party + (" (other party)" if m.cross_party else "")
            table.add_row(shown, str(c.count), m.object_id, party, m.label or "", m.when or "")
    Console().print(table)

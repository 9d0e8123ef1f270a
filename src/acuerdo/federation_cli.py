"""`acuerdo partner ...` and `acuerdo federation ...`: configure partners, watch and repair
the exchange with them."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

from acuerdo.settings import Settings

if TYPE_CHECKING:
    from acuerdo.node import Node

T = TypeVar("T")


def _settings(ctx: click.Context) -> Settings:
    home = ctx.obj.get("home") if ctx.obj else None
    return Settings(home=home) if home is not None else Settings()


def _run_with_node(ctx: click.Context, action: Callable[[Node], Awaitable[T]]) -> T:
    """Open the node, run one action on it, close it; a node that does not open is refused."""
    from acuerdo.node import Node, NodeError

    async def go() -> T:
        try:
            node = await Node.open(_settings(ctx))
        except NodeError as exc:
            raise click.ClickException(str(exc)) from None
        try:
            return await action(node)
        finally:
            await node.close()

    return asyncio.run(go())


@click.group()
def partner() -> None:
    """Partner nodes this node exchanges records with."""


@partner.command("add")
@click.argument("party")
@click.option("--url", required=True, help="Base URL of the partner node (https in production).")
@click.option(
    "--public-key", "public_key", required=True, help="As `acuerdo key show` prints it there."
)
@click.pass_context
def partner_add(ctx: click.Context, party: str, url: str, public_key: str) -> None:
    """Add (or replace) a partner node, checked against the adopted agreement."""
    from acuerdo.federation.partners import PartnerError, add_partner

    async def action(node: Node) -> Any:
        return await add_partner(node, party, url, public_key)

    try:
        added = _run_with_node(ctx, action)
    except PartnerError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"partner {added.party} at {added.url}, key {added.key_id}")


@partner.command("list")
@click.pass_context
def partner_list(ctx: click.Context) -> None:
    """List the configured partner nodes."""
    from acuerdo.federation.partners import list_partners

    async def action(node: Node) -> Any:
        return await list_partners(node.engines.reader)

    for p in _run_with_node(ctx, action):
        click.echo(f"{p.party}  {p.url}  key {p.key_id}  added {p.added_at}")


@click.group()
def federation() -> None:
    """The exchange of records with partner nodes."""


@federation.command("status")
@click.pass_context
def federation_status(ctx: click.Context) -> None:
    """Per partner: last contact, cursor, entries and seconds behind, quarantine, divergence."""
    from acuerdo.federation.status import federation_status as status_of

    for s in _run_with_node(ctx, status_of):
        click.echo(
            f"{s.party}: last contact {s.last_contact or 'never'}; cursor {s.cursor}; "
            f"{s.behind} entries behind ({s.seconds_behind:.0f} s); "
            f"{s.quarantined} quarantined; {s.flagged} flagged; "
            f"{'DIVERGED: ' + s.diverged if s.diverged else 'in step'}"
            + (f"; last error: {s.last_error}" if s.last_error else "")
            + f"; audit head last witnessed {s.last_witnessed or 'never'}"
            + (f"; AUDIT HISTORY: {s.history}" if s.history else "")
        )


@federation.command("quarantine")
@click.option("--partner", "party", default=None, help="Only entries pulled from this party.")
@click.pass_context
def federation_quarantine(ctx: click.Context, party: str | None) -> None:
    """Entries refused on arrival, with their reason (kept, never applied, never dropped)."""
    from acuerdo.federation.status import quarantined

    async def action(node: Node) -> Any:
        return await quarantined(node, party)

    for q in _run_with_node(ctx, action):
        click.echo(f"#{q.id} {q.received_at} {q.source}: {q.reason}")


@federation.command("backfill")
@click.argument("party")
@click.pass_context
def federation_backfill(ctx: click.Context, party: str) -> None:
    """Re-evaluate this node's records for PARTY and queue what is now releasable."""
    from acuerdo.federation.backfill import backfill

    async def action(node: Node) -> Any:
        return await backfill(node, party)

    try:
        added, withdrawn = _run_with_node(ctx, action)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{party}: {added} record(s) queued, {withdrawn} withdrawn")


@federation.command("resume")
@click.argument("party")
@click.pass_context
def federation_resume(ctx: click.Context, party: str) -> None:
    """Resume pulling from PARTY after divergence was reported and dealt with."""
    from acuerdo.federation.status import resume

    async def action(node: Node) -> Any:
        return await resume(node, party)

    if not _run_with_node(ctx, action):
        click.echo(f"{party} had not diverged", err=True)
        sys.exit(1)
    click.echo(f"pulling from {party} resumes from its stored cursor")


@federation.command("witness")
@click.argument("party")
@click.pass_context
def federation_witness(ctx: click.Context, party: str) -> None:
    """Ask PARTY to prove its audit chain extends every head of it witnessed here (exit 1: not)."""
    import httpx

    from acuerdo.federation.partners import list_partners
    from acuerdo.federation.puller import PartnerRefused, Puller
    from acuerdo.federation.witness import Verdict, WitnessRefused, witness

    async def action(node: Node) -> Verdict:
        partners = {p.party: p for p in await list_partners(node.engines.reader)}
        if party not in partners:
            raise click.ClickException(f"{party} is not a partner of this node")
        puller = Puller(node, partners[party])
        try:
            return await witness(node, party, partners[party].public_key, puller.request)
        except (PartnerRefused, WitnessRefused) as exc:
            return Verdict(False, 0, f"{party} cannot prove its audit history: {exc}")
        except (httpx.HTTPError, OSError) as exc:
            raise click.ClickException(f"{party} did not answer: {exc}") from None
        finally:
            await puller.close()

    verdict = _run_with_node(ctx, action)
    click.echo(verdict.message)
    if not verdict.consistent:
        sys.exit(1)

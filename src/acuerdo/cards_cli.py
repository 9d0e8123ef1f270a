"""`acuerdo card issue|revoke|verify|revocations|trust-bundle`: status cards from the shell.

`issue` and `revoke` act on the node in --home as the named user, through the same release
gate and write checks as the API. `verify` is what a checkpoint runs: with --trust it needs
no node at all (no network, no database), only the trust bundle and, if given, a signed
revocation list; without --trust it uses the bundle of the node in --home. Exit codes follow
the CLI contract: 0 valid or done, 1 invalid card or refused, 2 usage.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from acuerdo.settings import Settings

if TYPE_CHECKING:
    from acuerdo.domains.credentials.checkpoint import CheckpointBundle
    from acuerdo.domains.credentials.issue import IssuedCard
    from acuerdo.domains.credentials.trust import TrustBundle
    from acuerdo.node import Node
    from acuerdo.users import User

IMAGE_SUFFIXES = (".png", ".svg", ".pdf")


def _settings(ctx: click.Context) -> Settings:
    home = (ctx.find_root().obj or {}).get("home")
    return Settings(home=home) if home is not None else Settings()


@asynccontextmanager
async def _node(settings: Settings) -> AsyncIterator[Node]:
    from acuerdo.node import Node, NodeError

    try:
        node = await Node.open(settings)
    except NodeError as exc:
        raise click.ClickException(str(exc)) from None
    try:
        yield node
    finally:
        await node.close()


async def _user(node: Node, name: str) -> User:
    from acuerdo.users import get_user

    user = await get_user(node.engines.reader, name)
    if user is None:
        raise click.ClickException(f"no user {name!r} on this node")
    return user


@click.group()
def card() -> None:
    """Status cards: issue, revoke, verify offline, and the files checkpoints carry."""


def _write_card(node: Node, issued: IssuedCard, out: Path) -> None:
    from acuerdo.domains.credentials import render
    from acuerdo.domains.credentials.trust import bundle_for
    from acuerdo.domains.credentials.verify import CardVerifier

    if out.suffix == ".png":
        out.write_bytes(render.png(issued.code))
    elif out.suffix == ".svg":
        out.write_bytes(render.svg(issued.code))
    else:
        category, status = CardVerifier(bundle_for(node)).names(issued.claims)
        title = node.agreement.model.agreement.title
        out.write_bytes(
            render.pdf(
                issued.claims, issued.code, agreement_title=title, category=category, status=status
            )
        )


@card.command("issue")
@click.argument("person_id")
@click.option("--user", "user_name", required=True, help="User of this node to act as.")
@click.option(
    "--out",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Write the card as FILE.png, FILE.svg or FILE.pdf.",
)
@click.pass_context
def card_issue(ctx: click.Context, person_id: str, user_name: str, out: Path | None) -> None:
    """Issue a card for a covered person with orders in force; print its code."""
    from acuerdo.domains.credentials.issue import CardRefused, issue_card
    from acuerdo.ledger.record import RecordError
    from acuerdo.ledger.writes import WriteRefused

    if out is not None and out.suffix not in IMAGE_SUFFIXES:
        raise click.UsageError(f"--out must end in one of {', '.join(IMAGE_SUFFIXES)}")

    async def run() -> None:
        async with _node(_settings(ctx)) as node:
            user = await _user(node, user_name)
            try:
                issued = await issue_card(node, user, person_id)
            except (CardRefused, RecordError, WriteRefused) as exc:
                raise click.ClickException(str(exc)) from None
            if out is not None:
                await asyncio.to_thread(_write_card, node, issued, out)
            click.echo(f"card {issued.claims.card_id_hex} (record {issued.record_id})")
            click.echo(f"valid until {issued.claims.valid_until_time:%Y-%m-%d %H:%M}Z")
            click.echo(issued.code)

    asyncio.run(run())


@card.command("revoke")
@click.argument("card_record_id")
@click.option("--user", "user_name", required=True, help="User of this node to act as.")
@click.option("--reason", required=True, help="Why (kept in the card record, not on lists).")
@click.pass_context
def card_revoke(ctx: click.Context, card_record_id: str, user_name: str, reason: str) -> None:
    """Revoke a card; the next revocation list names its card id."""
    from acuerdo.domains.credentials.issue import CardRefused, revoke_card
    from acuerdo.ledger.record import RecordError
    from acuerdo.ledger.writes import WriteRefused

    async def run() -> None:
        async with _node(_settings(ctx)) as node:
            user = await _user(node, user_name)
            try:
                card_id = await revoke_card(node, user, card_record_id, reason)
            except (CardRefused, RecordError, WriteRefused) as exc:
                raise click.ClickException(str(exc)) from None
            click.echo(f"card {card_id} revoked")

    asyncio.run(run())


def _bundle(ctx: click.Context, trust: Path | None) -> TrustBundle:
    from acuerdo.domains.credentials.trust import TrustBundle, bundle_for

    if trust is not None:
        try:
            return TrustBundle.load(trust)
        except (OSError, ValueError) as exc:
            raise click.ClickException(f"{trust}: {exc}") from None

    async def from_node() -> TrustBundle:
        async with _node(_settings(ctx)) as node:
            return bundle_for(node)

    return asyncio.run(from_node())


def _checkpoint(bundle_file: Path, roots: tuple[str, ...], now: datetime) -> CheckpointBundle:
    """Open a signed checkpoint bundle against the roots given; ClickException says why not."""
    from acuerdo.domains.credentials.checkpoint import (
        CheckpointBundleError,
        open_checkpoint_bundle,
    )
    from acuerdo.ledger.signing import b64url_decode

    if not roots:
        raise click.ClickException(
            "--bundle needs the root public key(s) to trust: --root KEY (as the agreement "
            "pins it, or as the issuing state handed it over)"
        )
    try:
        trusted = [b64url_decode(r) for r in roots]
    except ValueError as exc:
        raise click.ClickException(f"--root: not a base64url key: {exc}") from None
    try:
        return open_checkpoint_bundle(bundle_file.read_bytes(), trusted, at=now)
    except (OSError, CheckpointBundleError) as exc:
        raise click.ClickException(f"{bundle_file}: {exc}") from None


@card.command("verify")
@click.argument("code_or_image")
@click.option(
    "--bundle",
    "bundle_file",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    default=None,
    help="A signed checkpoint bundle (from `card checkpoint-bundle`): keys and revocations.",
)
@click.option(
    "--root",
    "roots",
    multiple=True,
    help="A party root public key (base64url) to trust the --bundle by; repeatable.",
)
@click.option(
    "--revocations",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    default=None,
    help="A signed revocation list (from `card revocations`).",
)
@click.option(
    "--trust",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    default=None,
    help="A trust bundle (from `card trust-bundle`); else the node's.",
)
@click.pass_context
def card_verify(
    ctx: click.Context,
    code_or_image: str,
    bundle_file: Path | None,
    roots: tuple[str, ...],
    revocations: Path | None,
    trust: Path | None,
) -> None:
    """Verify a card code, or an image file of its QR code, offline."""
    from acuerdo.domains.credentials.revocation import RevocationListError, verify_revocation_list
    from acuerdo.domains.credentials.verify import CardVerifier, read_code_from_image

    now = datetime.now(UTC)
    revoked = None
    if bundle_file is not None:
        if trust is not None or revocations is not None:
            raise click.UsageError("--bundle carries the keys and the list: leave out the others")
        opened = _checkpoint(bundle_file, roots, now)
        bundle, revoked = opened.trust, opened.revocations
    else:
        bundle = _bundle(ctx, trust)
    if revocations is not None:
        try:
            revoked = verify_revocation_list(revocations.read_bytes(), bundle, at=now)
        except RevocationListError as exc:
            raise click.ClickException(f"{revocations}: {exc}") from None
    code = code_or_image
    if Path(code_or_image).is_file():
        try:
            code = read_code_from_image(Path(code_or_image))
        except (OSError, ValueError) as exc:
            raise click.ClickException(str(exc)) from None
    answer = CardVerifier(bundle, revoked).verify(code, now=now)
    for line in answer.lines():
        click.echo(line)
    if not answer.valid:
        raise SystemExit(1)


@card.command("checkpoint-bundle")
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), required=True)
@click.pass_context
def card_checkpoint_bundle(ctx: click.Context, out: Path) -> None:
    """Write a signed checkpoint bundle: agreement hash, card keys, current revocation list."""
    from acuerdo.domains.credentials.checkpoint import signed_checkpoint_bundle
    from acuerdo.domains.credentials.revocation import revoked_card_ids
    from acuerdo.domains.credentials.trust import bundle_for
    from acuerdo.ledger.signing import b64url

    async def run() -> tuple[bytes, int, str]:
        now = datetime.now(UTC)
        async with _node(_settings(ctx)) as node:
            signed = await signed_checkpoint_bundle(node, now=now)
            count = len(await revoked_card_ids(node, now=now))
            return signed, count, b64url(bundle_for(node).roots[node.party])

    signed, count, root = asyncio.run(run())
    out.write_bytes(signed)
    click.echo(f"{out}: signed checkpoint bundle, {count} card(s) revoked or withdrawn")
    click.echo(f"verify with: acuerdo card verify CODE --bundle {out.name} --root {root}")


@card.command("revocations")
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), required=True)
@click.pass_context
def card_revocations(ctx: click.Context, out: Path) -> None:
    """Write this node's signed revocation list (COSE) for checkpoints."""
    from acuerdo.domains.credentials.revocation import revoked_card_ids, signed_revocation_list

    async def run() -> tuple[bytes, int]:
        now = datetime.now(UTC)
        async with _node(_settings(ctx)) as node:
            signed = await signed_revocation_list(node, now=now)
            return signed, len(await revoked_card_ids(node, now=now))

    signed, count = asyncio.run(run())
    out.write_bytes(signed)
    click.echo(f"{out}: {count} card(s) revoked or withdrawn (their orders or coverage changed)")


@card.command("trust-bundle")
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), required=True)
@click.pass_context
def card_trust_bundle(ctx: click.Context, out: Path) -> None:
    """Write the trust bundle checkpoints verify this party's cards with."""
    from acuerdo.domains.credentials.trust import bundle_for

    async def run() -> TrustBundle:
        async with _node(_settings(ctx)) as node:
            return bundle_for(node)

    bundle = asyncio.run(run())
    out.write_text(bundle.dumps(), encoding="utf-8")
    parties = ", ".join(sorted(bundle.roots))
    click.echo(f"{out}: {len(bundle.certificates)} card key(s) of {parties}")

"""The `acuerdo` command: scripts and operators drive nodes with it.

Contract (kept stable, documented in docs/cli.md): `--home DIR` comes before the command;
exit code 0 on success, 1 when an operation is refused or input is invalid (reason on
standard error), 2 on usage errors. Secrets (passwords) are read from standard input when it
is not a terminal, never from arguments.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

import click

from acuerdo import __version__
from acuerdo.settings import Settings

T = TypeVar("T")


def _run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


def _settings(ctx: click.Context, **overrides: Any) -> Settings:
    home = ctx.obj.get("home") if ctx.obj else None
    values: dict[str, Any] = {k: v for k, v in overrides.items() if v is not None}
    if home is not None:
        values["home"] = home
    return Settings(**values)


_PEM = click.Path(path_type=Path, dir_okay=False, exists=True)


def _refuse(message: str) -> click.ClickException:
    return click.ClickException(message)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--home",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Directory of the node (default: $ACUERDO_HOME, else a per-user data directory).",
)
@click.version_option(__version__, prog_name="acuerdo")
@click.pass_context
def main(ctx: click.Context, home: Path | None) -> None:
    """acuerdo: a status-of-forces agreement run as software, one node per party."""
    ctx.ensure_object(dict)
    ctx.obj["home"] = home


@main.command()
@click.option("--party", required=True, help="ISO 3166 alpha-3 code of this node's party.")
@click.option(
    "--agreement",
    "agreement_ref",
    required=True,
    help="Shipped profile name (see `acuerdo agreement list`) or path of an agreement file.",
)
@click.option("--database-url", default=None, help="Database URL (default: SQLite in the home).")
@click.pass_context
def init(ctx: click.Context, party: str, agreement_ref: str, database_url: str | None) -> None:
    """Create a node: keys, adopted agreement, secret and database."""
    from acuerdo.agreement import AgreementError
    from acuerdo.node import NodeError, init_node

    settings = _settings(ctx)
    try:
        config = _run(
            init_node(settings, party=party, agreement=agreement_ref, database_url=database_url)
        )
    except (NodeError, AgreementError, KeyError, ValueError) as exc:
        raise _refuse(str(exc)) from None
    click.echo(f"node of {config.party} created in {settings.home}")
    click.echo(f"agreement hash {config.agreement_hash}")
    click.echo("keep the root key offline: acuerdo key export-root DEST --remove")


@main.group()
def user() -> None:
    """Manage users of this node."""


def _read_password(prompt: str) -> str:
    if sys.stdin.isatty():
        return str(click.prompt(prompt, hide_input=True, confirmation_prompt=True))
    line = sys.stdin.readline()
    return line.rstrip("\r\n")


@user.command("add")
@click.argument("name")
@click.option(
    "--role",
    "roles",
    multiple=True,
    required=True,
    type=click.Choice(["admin", "registrar", "approver", "analyst", "verifier", "viewer"]),
    help="Role within the agency (repeatable).",
)
@click.option(
    "--agency", default=None, help="Agency of the user (default: the party's first agency)."
)
@click.pass_context
def user_add(ctx: click.Context, name: str, roles: tuple[str, ...], agency: str | None) -> None:
    """Add a user; the password is read from standard input when it is not a terminal."""
    from acuerdo.operations import add_user_cmd

    password = _read_password("password")
    try:
        created = _run(add_user_cmd(_settings(ctx), name, list(roles), agency, password))
    except ValueError as exc:
        raise _refuse(str(exc)) from None
    click.echo(f"user {created.principal} ({created.agency}: {', '.join(sorted(created.roles))})")


@main.group()
def token() -> None:
    """Manage API tokens."""


@token.command("create")
@click.argument("name")
@click.option("--label", default="cli", help="What the token is for.")
@click.pass_context
def token_create(ctx: click.Context, name: str, label: str) -> None:
    """Create an API token for a user and print it alone on standard output."""
    from acuerdo.operations import create_token_cmd

    try:
        value = _run(create_token_cmd(_settings(ctx), name, label))
    except ValueError as exc:
        raise _refuse(str(exc)) from None
    click.echo(value)


@main.command()
@click.option("--host", default=None, help="Address to bind (default 127.0.0.1).")
@click.option("--port", default=None, type=int, help="Port to bind (default 8400).")
@click.option("--tls-cert", type=_PEM, default=None, help="PEM certificate: serve HTTPS.")
@click.option("--tls-key", type=_PEM, default=None, help="PEM key of --tls-cert.")
@click.option("--tls-ca", type=_PEM, default=None, help="PEM CAs trusted for TLS peers.")
@click.pass_context
def serve(
    ctx: click.Context,
    host: str | None,
    port: int | None,
    tls_cert: Path | None,
    tls_key: Path | None,
    tls_ca: Path | None,
) -> None:
    """Serve this node's API (checks keys and agreement before binding a port).

    With --tls-cert and --tls-key the node serves HTTPS itself (else put a TLS proxy in
    front); --tls-ca names whom it trusts: partners' servers and client certificates.
    """
    from acuerdo.operations import serve_node

    tls = {"tls_cert_file": tls_cert, "tls_key_file": tls_key, "tls_ca_file": tls_ca}
    try:
        serve_node(_settings(ctx, host=host, port=port, **tls))
    except ValueError as exc:
        raise _refuse(str(exc)) from None


@main.group()
def agreement() -> None:
    """Agreement files: check one, list the shipped profiles."""


@agreement.command("check")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
def agreement_check(file: Path) -> None:
    """Validate an agreement file and print a summary with its hash."""
    from acuerdo.agreement import AgreementError, load_agreement, summary

    try:
        loaded = load_agreement(file)
    except AgreementError as exc:
        click.echo(str(exc), err=True)
        sys.exit(1)
    click.echo(summary(loaded))


@agreement.command("calendar")
@click.option("--country", required=True, help="ISO 3166 alpha-2 code the holiday library knows.")
@click.option("--year", "years", type=int, multiple=True, required=True, help="Repeatable.")
@click.option("--id", "calendar_id", required=True, help="The calendar's id in the file.")
@click.option("--timezone", "zone", required=True, help="IANA zone the days are counted in.")
@click.option("--subdivision", default=None, help="Region, for countries with local holidays.")
def agreement_calendar(
    country: str, years: tuple[int, ...], calendar_id: str, zone: str, subdivision: str | None
) -> None:
    """Print a holiday calendar as agreement-file YAML, to adopt into the `calendars` list.

    Holidays come from the maintained `holidays` library at adoption time and are then held
    as data: a deadline must not move because a library was upgraded.
    """
    from acuerdo.agreement.holidays import calendar_yaml

    try:
        click.echo(calendar_yaml(country, years, calendar_id, zone, subdivision), nl=False)
    except ValueError as exc:
        raise _refuse(str(exc)) from None


@agreement.command("list")
def agreement_list() -> None:
    """List the shipped agreement profiles."""
    from acuerdo.agreement import list_profiles, load_profile

    for name in list_profiles():
        click.echo(f"{name}  {load_profile(name).hash}")


@main.group()
def audit() -> None:
    """The audit chain."""


@audit.command("verify")
@click.pass_context
def audit_verify(ctx: click.Context) -> None:
    """Check the audit chain; name the first broken entry."""
    from acuerdo.operations import verify_audit

    try:
        report = _run(verify_audit(_settings(ctx)))
    except ValueError as exc:
        raise _refuse(str(exc)) from None
    if not report.ok:
        click.echo(
            f"audit chain broken at entry {report.broken_seq}: {report.reason} "
            f"({report.entries} entries before it verify)",
            err=True,
        )
        sys.exit(1)
    click.echo(f"audit chain intact: {report.entries} entries, head {report.head}")


@main.group()
def key() -> None:
    """Node keys."""


@key.command("export-root")
@click.argument("dest", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--remove", is_flag=True, help="Delete the node's copy once exported.")
@click.pass_context
def key_export_root(ctx: click.Context, dest: Path, remove: bool) -> None:
    """Write the party root key to DEST for offline keeping."""
    from acuerdo.ledger.keydir import KeyFileError, export_root
    from acuerdo.node import KEYS_DIR

    try:
        export_root(_settings(ctx).home / KEYS_DIR, dest, remove=remove)
    except (KeyFileError, OSError) as exc:
        raise _refuse(str(exc)) from None
    click.echo(f"root key written to {dest}" + (" and removed from the node" if remove else ""))


@key.command("rotate")
@click.argument("purpose", type=click.Choice(["records", "requests", "cards"]))
@click.option(
    "--root-key",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="The party root key file, when it is kept offline (default: the node's copy).",
)
@click.pass_context
def key_rotate(ctx: click.Context, purpose: str, root_key: Path | None) -> None:
    """Make a new working key for PURPOSE, certified by the root; the old one stays verifiable."""
    from datetime import UTC, datetime

    from acuerdo.ledger.keydir import ROOT_KEY_FILE, KeyFileError, rotate
    from acuerdo.ledger.keys import KeyPurpose
    from acuerdo.ledger.signing import FileSigner
    from acuerdo.node import KEYS_DIR

    keys_dir = _settings(ctx).home / KEYS_DIR
    path = root_key or keys_dir / ROOT_KEY_FILE
    try:
        root = FileSigner.from_pem(path.read_bytes())
        cert = rotate(keys_dir, KeyPurpose(purpose), root, datetime.now(UTC))
    except (KeyFileError, OSError, ValueError) as exc:
        raise _refuse(f"cannot rotate the {purpose} key: {exc}") from None
    click.echo(f"new {purpose} key {cert.key_id}, valid {cert.not_before} to {cert.not_after}")


@key.command("show")
@click.pass_context
def key_show(ctx: click.Context) -> None:
    """Print this node's public key for node-to-node requests (what partners enter)."""
    from acuerdo.ledger.keydir import KeyFileError, load_node_keys
    from acuerdo.ledger.keys import KeyPurpose
    from acuerdo.ledger.signing import b64url
    from acuerdo.node import KEYS_DIR

    try:
        keys = load_node_keys(_settings(ctx).home / KEYS_DIR)
    except KeyFileError as exc:
        raise _refuse(str(exc)) from None
    click.echo(b64url(keys.signer(KeyPurpose.REQUESTS).public_key))


@main.command("get")
@click.argument("path")
@click.option(
    "--token",
    "token_value",
    envvar="ACUERDO_TOKEN",
    required=True,
    help="API token of the user to act as (or $ACUERDO_TOKEN).",
)
@click.pass_context
def get(ctx: click.Context, path: str, token_value: str) -> None:
    """Send one GET request to this node in-process and print the answer (a smoke test)."""
    from acuerdo.operations import get_in_process

    try:
        status, body = _run(get_in_process(_settings(ctx), path, token_value))
    except ValueError as exc:
        raise _refuse(str(exc)) from None
    click.echo(body.decode("utf-8", "replace"))
    if status >= 400:
        sys.exit(1)


@main.command()
@click.option(
    "--port", default=8400, type=int, help="Port of the first demo node (the next ones follow)."
)
@click.option("--fresh", is_flag=True, help="Start from an empty demo home.")
@click.pass_context
def demo(ctx: click.Context, port: int, fresh: bool) -> None:
    """Start two federated demo nodes with demo users (published passwords: never real data)."""
    from acuerdo.demo import run_demo

    run_demo(ctx.obj.get("home"), port=port, fresh=fresh)


@main.command("settings")
def settings_cmd() -> None:
    """List every setting with its environment variable and default."""
    from acuerdo.settings import documented_settings

    for env, default, description in documented_settings():
        click.echo(f"{env} (default {default})\n    {description}")


from acuerdo.personnel_cli import person  # noqa: E402 (registered after the core commands)

main.add_command(person)

from acuerdo.cards_cli import card  # noqa: E402 (registered after the core commands)

main.add_command(card)

from acuerdo.presence_cli import presence  # noqa: E402 (registered after the core commands)

main.add_command(presence)

from acuerdo.intel_cli import intel  # noqa: E402 (registered after the core commands)

main.add_command(intel)

from acuerdo.activities_cli import activity  # noqa: E402 (registered after the core commands)

main.add_command(activity)

from acuerdo.incidents_cli import deadlines, incident  # noqa: E402 (after the core commands)

main.add_command(incident)
main.add_command(deadlines)
from acuerdo.equipment_cli import (  # noqa: E402 (registered after the core commands)
    customs,
    programme_cmd,
    transfer,
)

main.add_command(customs)
main.add_command(programme_cmd)
main.add_command(transfer)

from acuerdo.federation_cli import federation, partner  # noqa: E402 (registered after the core)

main.add_command(partner)
main.add_command(federation)

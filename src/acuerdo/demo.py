"""`acuerdo demo`: a node with demo users, ready to explore. Demo mode only: the passwords
below are published, so a demo node must never hold real data."""

from __future__ import annotations

import asyncio
import shutil
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import platformdirs
import yaml

from acuerdo.settings import Settings

DEMO_PASSWORD_SUFFIX = "-demo-password"  # noqa: S105 (published demo logins)


@dataclass(frozen=True)
class Scenario:
    """A demo scenario, read from scenarios/demo.yaml (data, not code)."""

    party: str
    agreement: str
    users: tuple[tuple[str, tuple[str, ...]], ...]


def load_scenario() -> Scenario:
    text = resources.files("acuerdo").joinpath("scenarios", "demo.yaml").read_text("utf-8")
    data = yaml.safe_load(text)
    users = tuple((str(u["name"]), tuple(str(r) for r in u["roles"])) for u in data["users"])
    return Scenario(str(data["party"]), str(data["agreement"]), users)


async def create_demo_node(settings: Settings) -> None:
    """Create the demo node and its users."""
    from acuerdo.node import init_node
    from acuerdo.operations import add_user_cmd

    scenario = load_scenario()
    await init_node(settings, party=scenario.party, agreement=scenario.agreement)
    for name, roles in scenario.users:
        await add_user_cmd(settings, name, list(roles), None, name + DEMO_PASSWORD_SUFFIX)


def prepare_demo(home: Path, *, fresh: bool) -> Settings:
    """Create (or reuse) the demo node and its users."""
    from acuerdo.node import CONFIG_FILE

    settings = Settings(home=home, demo=True)
    if fresh and home.exists():
        shutil.rmtree(home)
    if not (home / CONFIG_FILE).exists():
        asyncio.run(create_demo_node(settings))
    return settings


def run_demo(home: Path | None, *, port: int, fresh: bool) -> None:
    """Prepare the demo node, print how to log in, and serve it."""
    from acuerdo.operations import serve_node

    home = home or Path(platformdirs.user_data_dir("acuerdo-demo", appauthor=False))
    settings = prepare_demo(home, fresh=fresh)
    settings = settings.model_copy(update={"port": port})
    scenario = load_scenario()
    print(f"acuerdo demo node of {scenario.party} ({scenario.agreement}) in {home}")
    print(f"  API:      http://127.0.0.1:{port}/docs   (OpenAPI at /openapi.json)")
    print("  log in with HTTP Basic, demo mode only:")
    for name, roles in scenario.users:
        print(f"    {name:10} password {name + DEMO_PASSWORD_SUFFIX:28} roles {', '.join(roles)}")
    print(
        f"  try:      curl -u registrar:registrar{DEMO_PASSWORD_SUFFIX} http://127.0.0.1:{port}/api/v1/agreement"
    )
    serve_node(settings)

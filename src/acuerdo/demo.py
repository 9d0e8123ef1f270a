"""`acuerdo demo`: a node with demo users, ready to explore. Demo mode only: the passwords
below are published, so a demo node must never hold real data."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import platformdirs

from acuerdo.settings import Settings

# (name, roles, agency index): published demo logins, created only in demo mode.
DEMO_USERS = (
    ("admin", ("admin",), 0),
    ("registrar", ("registrar",), 0),
    ("analyst", ("analyst",), 0),
    ("viewer", ("viewer",), 0),
)
DEMO_PASSWORD_SUFFIX = "-demo-password"  # noqa: S105 (published demo logins)
DEMO_SCENARIO = {"party": "USA", "agreement": "usa-pry-2025"}


async def create_demo_node(settings: Settings) -> None:
    """Create the demo node and its users."""
    from acuerdo.node import init_node
    from acuerdo.operations import add_user_cmd

    await init_node(settings, party=DEMO_SCENARIO["party"], agreement=DEMO_SCENARIO["agreement"])
    for name, roles, _ in DEMO_USERS:
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
    print(f"acuerdo demo node of {DEMO_SCENARIO['party']} ({DEMO_SCENARIO['agreement']}) in {home}")
    print(f"  API:      http://127.0.0.1:{port}/docs   (OpenAPI at /openapi.json)")
    print("  log in with HTTP Basic, demo mode only:")
    for name, roles, _ in DEMO_USERS:
        print(f"    {name:10} password {name + DEMO_PASSWORD_SUFFIX:28} roles {', '.join(roles)}")
    print(
        f"  try:      curl -u registrar:registrar{DEMO_PASSWORD_SUFFIX} http://127.0.0.1:{port}/api/v1/agreement"
    )
    serve_node(settings)

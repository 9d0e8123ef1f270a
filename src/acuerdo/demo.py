"""`acuerdo demo`: two federated nodes on loopback with demo users and seeded records.

Demo mode only: the passwords below are published, so a demo node must never hold real data.
Which parties, which agreement, which users and which records: scenarios/demo.yaml (data,
not code). Each node runs as its own `acuerdo serve` process with its own SQLite database and
keys; Ctrl-C reaches both (same process group) and the command waits for both to stop.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import platformdirs
import yaml

from acuerdo.settings import Settings

DEMO_PASSWORD_SUFFIX = "-demo-password"  # noqa: S105 (published demo logins)


@dataclass(frozen=True)
class DemoNode:
    party: str
    port_offset: int
    seed: tuple[dict[str, Any], ...]


@dataclass(frozen=True)
class Scenario:
    """A demo scenario, read from scenarios/demo.yaml (data, not code)."""

    agreement: str
    nodes: tuple[DemoNode, ...]
    users: tuple[tuple[str, tuple[str, ...]], ...]


def load_scenario() -> Scenario:
    text = resources.files("acuerdo").joinpath("scenarios", "demo.yaml").read_text("utf-8")
    data = yaml.safe_load(text)
    users = tuple((str(u["name"]), tuple(str(r) for r in u["roles"])) for u in data["users"])
    seeds = {str(s["party"]): tuple(s["objects"]) for s in data.get("seed", [])}
    nodes = tuple(
        DemoNode(str(n["party"]), int(n["port_offset"]), seeds.get(str(n["party"]), ()))
        for n in data["nodes"]
    )
    return Scenario(str(data["agreement"]), nodes, users)


async def create_demo_node(settings: Settings, scenario: Scenario, node: DemoNode) -> None:
    """Create one demo node with its users."""
    from acuerdo.node import init_node
    from acuerdo.operations import add_user_cmd

    await init_node(settings, party=node.party, agreement=scenario.agreement)
    for name, roles in scenario.users:
        await add_user_cmd(settings, name, list(roles), None, name + DEMO_PASSWORD_SUFFIX)


async def federate_and_seed(homes: dict[str, Path], ports: dict[str, int], s: Scenario) -> None:
    """Make every demo node a partner of every other, then write each node's seed records."""
    from acuerdo.federation.partners import add_partner, requests_public_key
    from acuerdo.node import Node

    opened = {p: await Node.open(Settings(home=h, demo=True)) for p, h in homes.items()}
    try:
        for party, node in opened.items():
            for other, peer in opened.items():
                if other != party:
                    url = f"http://127.0.0.1:{ports[other]}"
                    await add_partner(node, other, url, requests_public_key(peer))
        for demo_node in s.nodes:
            if demo_node.seed:
                await opened[demo_node.party].write(list(demo_node.seed), user=None)
    finally:
        for node in opened.values():
            await node.close()


def prepare_demo(root: Path, port: int, *, fresh: bool) -> tuple[dict[str, Path], dict[str, int]]:
    """Create (or reuse) the demo nodes under root, federated and seeded."""
    from acuerdo.node import CONFIG_FILE

    scenario = load_scenario()
    if fresh and root.exists():
        shutil.rmtree(root)
    homes = {n.party: root / n.party.lower() for n in scenario.nodes}
    ports = {n.party: port + n.port_offset for n in scenario.nodes}
    created = False
    for n in scenario.nodes:
        if not (homes[n.party] / CONFIG_FILE).exists():
            settings = Settings(home=homes[n.party], demo=True)
            asyncio.run(create_demo_node(settings, scenario, n))
            created = True
    if created:
        asyncio.run(federate_and_seed(homes, ports, scenario))
    return homes, ports


def run_demo(home: Path | None, *, port: int, fresh: bool) -> None:
    """Prepare the demo nodes, print how to log in, serve them until Ctrl-C."""
    root = home or Path(platformdirs.user_data_dir("acuerdo-demo", appauthor=False))
    homes, ports = prepare_demo(root, port, fresh=fresh)
    scenario = load_scenario()
    print(f"acuerdo demo: {len(homes)} federated nodes ({scenario.agreement}) in {root}")
    for party, p in ports.items():
        print(f"  {party}: http://127.0.0.1:{p}/docs   (OpenAPI at /openapi.json)")
    print("  log in on either node with HTTP Basic, demo mode only:")
    for name, roles in scenario.users:
        print(f"    {name:10} password {name + DEMO_PASSWORD_SUFFIX:28} roles {', '.join(roles)}")
    first = next(iter(ports.values()))
    print(
        f"  try:      curl -u viewer:viewer{DEMO_PASSWORD_SUFFIX} "
        f"http://127.0.0.1:{first}/api/v1/records"
    )
    print("  Ctrl-C stops both nodes.")
    env = {**os.environ, "ACUERDO_DEMO": "true"}
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "acuerdo",
                "--home",
                str(homes[party]),
                "serve",
                "--port",
                str(p),
            ],
            env=env,
        )
        for party, p in ports.items()
    ]
    try:
        for proc in procs:
            proc.wait()
    except KeyboardInterrupt:  # the children got the same SIGINT and are stopping
        for proc in procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.terminate()
                proc.wait()

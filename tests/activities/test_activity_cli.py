"""`acuerdo activity propose|decide|list` against two real nodes: a proposal from YAML, the
host's decision, refusals with exit code 1 and nothing written, a table and a month."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from activity_records import Side, deliver, pair_of_nodes
from click.testing import CliRunner, Result

from acuerdo.cli import main as cli_main

pytestmark = pytest.mark.asyncio(loop_scope="module")

YAML = """\
activity_type: bilateral-training
title: Ejercicio combinado de ingenieros
purpose: Train host engineers in water-well drilling
start: 2026-09-01T12:00:00Z
end: 2026-09-20T12:00:00Z
places:
  - {name: Mariscal Estigarribia, region: PY-19, latitude: -22.03, longitude: -60.61}
personnel_count: 40
arms: [{description: M4 carbine, quantity: 10}]
"""


@pytest_asyncio.fixture(scope="module", loop_scope="module", params=["sqlite", "postgres"])
async def pair(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[tuple[Side, Side]]:
    async with pair_of_nodes(str(request.param), tmp_path_factory.mktemp("pair")) as both:
        yield both


async def cli(side: Side, *args: str) -> Result:
    argv = ["--home", str(side.node.settings.home), "activity", *args]
    return await asyncio.to_thread(CliRunner().invoke, cli_main, argv, env={"COLUMNS": "200"})


async def test_propose_decide_and_list(pair: tuple[Side, Side], tmp_path: Path) -> None:
    usa, pry = pair
    file = tmp_path / "exercise.yaml"
    file.write_text(YAML, "utf-8")
    proposed = await cli(usa, "propose", str(file), "--user", "planner")
    assert proposed.exit_code == 0, proposed.output
    aid = proposed.stdout.split()[0]
    assert aid.startswith("acuerdo-activity--")
    await deliver(usa.node, pry.node)
    wrong = await cli(pry, "decide", aid, "--approve", "--refuse", "no", "--reason", "x",
                      "--user", "decider")  # fmt: skip
    assert wrong.exit_code == 2 and "exactly one" in wrong.output
    refused = await cli(pry, "decide", aid, "--approve", "--reason", "Art. 1", "--user", "viewer")
    assert refused.exit_code == 1 and "approver role" in refused.output
    asked = await cli(pry, "decide", aid, "--request-info", "The list of arms by serial number",
                      "--reason", "Art. 2: arms under orders", "--user", "decider")  # fmt: skip
    assert asked.exit_code == 0, asked.output
    assert asked.stdout.startswith("information-requested: acuerdo-activity-decision--")
    table = await cli(pry, "list", "--user", "viewer")
    assert table.exit_code == 0, table.output
    assert aid.split("--")[1][:8] in table.stdout and "information-requ" in table.stdout
    month = await cli(usa, "list", "--user", "viewer", "--calendar", "2026-09")
    assert month.exit_code == 0, month.output
    lines = month.stdout.splitlines()
    assert lines[0] == "September 2026"
    assert " 1 1" in month.stdout and "30 ·" in month.stdout  # runs on the 1st, not the 30th
    bad = tmp_path / "bad.yaml"
    bad.write_text("activity_type: permanent-basing\n", "utf-8")
    out = await cli(usa, "propose", str(bad), "--user", "planner")
    assert out.exit_code == 1 and "fails its schema" in out.output

"""`acuerdo customs ...` and `acuerdo transfer ...` on two real nodes (SQLite, run once):
declare from YAML, decide on the host, print the certificate, account for re-exports,
report milestones and draw the pipeline; a bad file exits 1 and writes nothing."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import yaml
from click.testing import CliRunner
from equipment_support import HOST_USERS, deliver, ledger_size, radar_import
from test_transfers import radars

from acuerdo.cli import main as cli_main
from acuerdo.node import Node
from acuerdo.users import add_user
from conftest import make_node


def run(home: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli_main, ["--home", str(home), *args], env={"COLUMNS": "250"})
    return result.exit_code, result.output


async def cli(home: Path, *args: str) -> tuple[int, str]:
    return await asyncio.to_thread(run, home, *args)


async def users(node: Node, names: dict[str, tuple[str, list[str]]]) -> None:
    for name, (agency, roles) in names.items():
        await add_user(
            node.engines.writer,
            party=node.party,
            name=name,
            agency=agency,
            roles=roles,
            password=None,
        )


async def test_customs_and_transfer_commands(tmp_path: Path) -> None:
    usa = await make_node(tmp_path / "usa", None)
    pry = await make_node(tmp_path / "pry", None, party="PRY")
    await users(usa, {"clerk": ("odc", ["registrar"]), "reader": ("odc", ["viewer"])})
    await users(pry, HOST_USERS)
    homes = usa.settings.home, pry.settings.home
    try:
        await usa.close()  # the CLI opens the sending node itself; deliveries reopen it
        declaration = tmp_path / "radars.yaml"
        declaration.write_text(yaml.safe_dump(radar_import()), "utf-8")
        code, out = await cli(homes[0], "customs", "declare", str(declaration), "--user", "clerk")
        assert code == 0, out
        assert "declaration USA-CD-000001 filed" in out
        decl_id = out.split("filed: ")[1].split(" ")[0]
        bad = tmp_path / "bad.json"
        bad.write_text(json.dumps(radar_import(items=[{"line": 1, "colour": "red"}])), "utf-8")
        code, out = await cli(homes[0], "customs", "declare", str(bad), "--user", "clerk")
        assert code == 1 and "'colour' was unexpected" in out, out
        code, out = await cli(homes[0], "customs", "declare", str(declaration), "--user", "reader")
        assert code == 1 and "needs one of the roles registrar, admin" in out, out

        usa = await Node.open(usa.settings)
        await deliver(usa, pry, [decl_id])
        await usa.close()
        code, out = await cli(
            homes[1], "customs", "decide", decl_id, "--user", "foreign", "--clear"
        )
        assert code == 1 and "in agency 'mre'" in out, out
        code, out = await cli(
            homes[1], "customs", "decide", decl_id, "--user", "customs", "--clear"
        )
        assert code == 0 and out.startswith("cleared: " + decl_id), out
        code, out = await cli(homes[1], "customs", "list", "--user", "customs")
        assert code == 0 and "USA-CD-000001" in out and "cleared" in out, out
        pdf = tmp_path / "cert.pdf"
        code, out = await cli(
            homes[1],
            "customs",
            "certificate",
            decl_id,
            "--user",
            "customs",
            "--lang",
            "en",
            "--out",
            str(pdf),
        )
        assert code == 0 and pdf.read_bytes().startswith(b"%PDF"), out
        code, out = await cli(
            homes[0], "customs", "outstanding", "--user", "reader", "--today", "2030-01-01"
        )
        assert code == 0 and "TPS-0003" in out and "OVERDUE" in out, out

        programme = tmp_path / "programme.yaml"
        programme.write_text(yaml.safe_dump(radars()), "utf-8")
        code, out = await cli(homes[0], "transfer", "create", str(programme), "--user", "clerk")
        assert code == 0, out
        pid = out.split()[1]
        code, out = await cli(
            homes[0],
            "transfer",
            "report",
            pid,
            "--user",
            "clerk",
            "--stage",
            "agreement",
            "--reached",
            "2026-02-10",
        )
        assert code == 0, out
        usa = await Node.open(usa.settings)
        before = await ledger_size(usa)
        await usa.close()
        code, out = await cli(
            homes[0],
            "transfer",
            "report",
            pid,
            "--user",
            "clerk",
            "--stage",
            "request",
            "--reached",
            "2026-01-10",
        )
        assert code == 1 and "only its owner reports it" in out, out
        pictures = tmp_path / "pictures"
        code, out = await cli(
            homes[0],
            "transfer",
            "status",
            "--user",
            "reader",
            "--today",
            "2026-02-20",
            "--out-dir",
            str(pictures),
        )
        assert code == 0, out
        assert "Three air-surveillance radars" in out and "done-late" in out and "LATE" in out
        svg = pictures / f"transfer-{pid.split('--')[1][:8]}-gantt.svg"
        assert f"gantt: {svg}" in out and svg.exists() and svg.with_suffix(".png").exists()
        usa = await Node.open(usa.settings)
        assert await ledger_size(usa) == before
    finally:
        await usa.close()
        await pry.close()

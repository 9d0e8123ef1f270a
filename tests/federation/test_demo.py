"""`acuerdo demo` prepares two federated nodes from scenarios/demo.yaml, seeded with records."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import select

from acuerdo.demo import load_scenario, prepare_demo
from acuerdo.federation.partners import list_partners
from acuerdo.ledger.tables import ledger
from acuerdo.node import Node
from acuerdo.settings import Settings


def test_demo_prepares_federated_seeded_nodes(tmp_path: Path) -> None:
    scenario = load_scenario()
    homes, ports = prepare_demo(tmp_path / "demo", 8500, fresh=True)
    assert set(homes) == {n.party for n in scenario.nodes} and len(homes) == 2
    assert sorted(ports.values()) == [8500, 8501]

    async def check(party: str) -> tuple[list[str], set[str]]:
        node = await Node.open(Settings(home=homes[party]))
        try:
            partners = [p.party for p in await list_partners(node.engines.reader)]
            async with node.engines.reader.connect() as conn:
                ids = set((await conn.execute(select(ledger.c.object_id))).scalars())
            return partners, ids
        finally:
            await node.close()

    for demo_node in scenario.nodes:
        partners, ids = asyncio.run(check(demo_node.party))
        assert partners == [p for p in homes if p != demo_node.party]
        assert {str(o["id"]) for o in demo_node.seed} <= ids
    again = prepare_demo(tmp_path / "demo", 8500, fresh=False)  # reused, not re-created
    assert again == (homes, ports)

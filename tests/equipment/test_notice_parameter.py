""" "Due notification" comes from the agreement: the same movement, notified five hours ahead,
is late under the shipped 48-hour parameter and on time under a revised file that asks for
four hours (a Joint Committee decision, adopted as a new file with a new hash)."""

from __future__ import annotations

from pathlib import Path

from test_craft_and_frequencies import MOVES, flight

from acuerdo.agreement import load_profile
from conftest import NodeHarness, make_node

OLD = (
    "  - id: movement-notification\n"
    "    name: Due notification of aircraft, vessel and vehicle movements\n"
    "    value: 48\n"
)


def revised_file(source: str, tmp_path: Path) -> Path:
    """The shipped file with the notice set to 4 hours (a new file, a new hash)."""
    text = Path(source).read_text("utf-8")
    assert OLD in text
    revised = tmp_path / "revised.yaml"
    revised.write_text(text.replace(OLD, OLD.replace("value: 48", "value: 4")), "utf-8")
    return revised


async def test_the_same_notification_is_late_or_not_by_the_parameter(
    harness: NodeHarness, tmp_path: Path
) -> None:
    from acuerdo.domains.equipment.craft import movements, notify
    from acuerdo.users import add_user

    shipped = load_profile(harness.node.agreement.id)
    assert shipped.source_path is not None
    revised = revised_file(shipped.source_path, tmp_path)
    other = await make_node(tmp_path / "revised-node", None, agreement=str(revised))
    try:
        assert other.agreement.hash != harness.node.agreement.hash
        body = flight(5)
        r = await harness.client.post(MOVES, json=body, headers=harness.auth("registrar"))
        assert r.status_code == 201, r.text
        clerk = await add_user(
            other.engines.writer, party=other.party, name="clerk", agency="odc",
            roles=["registrar"], password=None,
        )  # fmt: skip
        await notify(other, clerk, body)
        late = (await movements(harness.node, harness.users["registrar"]))["items"]
        timely = await movements(other, clerk)
        assert [m["late"] for m in late] == [True]
        assert [m["late"] for m in timely["items"]] == [False]
        assert (timely["notice"]["hours"], late[0]["required_hours"]) == (4, 48)
    finally:
        await other.close()

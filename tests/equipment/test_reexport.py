"""Re-export accounting: nothing imported temporarily stays unaccounted.

Three radars (serial-numbered) and ten spares come in temporarily. Part goes back out; a line
is accounted for only when cleared re-exports return its whole quantity, and the report
lists what remains with its due date, overdue once the date has passed. Returning more than
came in, or serial numbers that never came in, is refused and writes nothing.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from equipment_support import (
    Host,
    deliver,
    host,
    ledger_size,
    post,
    problem,
    radar_import,
    re_export,
)

from conftest import NodeHarness

__all__ = ["host"]

DECLARE = "/api/v1/customs/declarations"
REPORT = "/api/v1/customs/temporary-imports"


async def file(h: NodeHarness, body: dict[str, Any]) -> dict[str, Any]:
    r = await post(h, DECLARE, "registrar", body)
    assert r.status_code == 201, r.text
    return dict(r.json())


async def clear(h: NodeHarness, host: Host, declaration_id: str) -> None:
    """Deliver to the host, clear there, deliver the decision back."""
    await deliver(h.node, host.node, [declaration_id])
    url = f"{DECLARE}/{declaration_id}/decision"
    r = await post(host, url, "customs", {"outcome": "cleared"})
    assert r.status_code == 201, r.text
    await deliver(host.node, h.node, [r.json()["id"]])


async def report(h: NodeHarness, today: str) -> list[dict[str, Any]]:
    r = await h.client.get(REPORT, params={"today": today}, headers=h.auth("viewer"))
    assert r.status_code == 200, r.text
    return list(r.json()["items"])


def lines(rows: list[dict[str, Any]]) -> dict[int, tuple[float, float, list[str]]]:
    return {
        r["line"]: (r["outstanding"], r["re_export_declared"], r["serial_numbers"]) for r in rows
    }


async def test_reexport_accounting(harness: NodeHarness, host: Host) -> None:
    h = harness
    imported = await file(h, radar_import())
    iid = imported["id"]
    await clear(h, host, iid)
    got = await h.client.get(f"{DECLARE}/{iid}", headers=h.auth("viewer"))
    due = got.json()["re_export_by"]
    assert due == (date.fromisoformat(imported["modified"][:10]) + timedelta(days=365)).isoformat()
    everything = {1: (3.0, 0.0, ["TPS-0001", "TPS-0002", "TPS-0003"]), 2: (10.0, 0.0, [])}
    assert lines(await report(h, "2026-01-01")) == everything
    # Two radars and all spares go back out: declared, not yet cleared, so still here.
    back = await file(h, re_export(iid, [(1, 2, ["TPS-0001", "TPS-0002"]), (2, 10, [])]))
    rows = await report(h, "2026-01-01")
    assert lines(rows) == {
        1: (3.0, 2.0, ["TPS-0001", "TPS-0002", "TPS-0003"]),
        2: (10.0, 10.0, []),
    }
    await clear(h, host, back["id"])
    rows = await report(h, "2026-01-01")
    assert lines(rows) == {1: (1.0, 0.0, ["TPS-0003"])}
    assert rows[0]["re_export_by"] == due and rows[0]["overdue"] is False
    late = (date.fromisoformat(due) + timedelta(days=1)).isoformat()
    assert [r["overdue"] for r in await report(h, late)] == [True]
    # Refused, nothing written: more than remains, a serial never imported, one gone already.
    before = await ledger_size(h.node)
    cases = [
        (re_export(iid, [(1, 2, [])]), "re-exports 2 but only 1 of line 1 remain"),
        (re_export(iid, [(1, 1, ["TPS-9999"])]), "TPS-9999 were not imported on that line"),
        (re_export(iid, [(1, 1, ["TPS-0001"])]), "TPS-0001 were re-exported already"),
        (re_export(iid, [(3, 1, [])]), "has no line 3"),
        (re_export(back["id"], [(1, 1, [])]), "is no temporary import held here"),
    ]
    for body, message in cases:
        problem(await post(h, DECLARE, "registrar", body), 422, message)
    assert await ledger_size(h.node) == before
    # The last radar goes back: nothing outstanding.
    last = await file(h, re_export(iid, [(1, 1, ["TPS-0003"])]))
    await clear(h, host, last["id"])
    assert await report(h, late) == []


async def test_a_held_reexport_does_not_account_for_anything(
    harness: NodeHarness, host: Host
) -> None:
    h = harness
    imported = await file(h, radar_import())
    back = await file(h, re_export(imported["id"], [(2, 4, [])]))
    await deliver(h.node, host.node, [imported["id"], back["id"]])
    url = f"{DECLARE}/{back['id']}/decision"
    r = await post(host, url, "customs", {"outcome": "held", "reason": "documents missing"})
    assert r.status_code == 201, r.text
    # On the host's node too, the report shows the spares as still here.
    r = await host.client.get(REPORT, params={"today": "2026-01-01"}, headers=host.auth("customs"))
    assert lines(r.json()["items"])[2] == (10.0, 4.0, [])

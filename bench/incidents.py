"""Incident decisions computed on read: what the Joint Committee view and one case cost.

    .venv/bin/python bench/incidents.py            # 400 cases
    .venv/bin/python bench/incidents.py --quick    # 100 cases

A real node (nato-sofa-1951, SQLite, temporary home) holds N cases, each a covered person
with its personal data, an incident naming them and the sending State's duty certificate,
all written through `Node.write` (so every write check runs). Then, for an
admin user, through the release gate: the whole Joint Committee view (every case decided,
deadlines, late items, claims, consultations, disputes, pending activities), and one case
decided alone (median of 50). Decisions are not stored (docs/incidents.md): these figures
are the price of computing them on read.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from acuerdo.domains.incidents import board
from acuerdo.ledger.canonical import canonicalize, sha256_hex
from acuerdo.ledger.types import BY_NAME
from acuerdo.node import Node, init_node
from acuerdo.settings import Settings
from acuerdo.users import add_user

STAMP = "2026-03-02T09:00:00.000Z"


def _record(otype: str, **props: Any) -> dict[str, Any]:
    ext = {BY_NAME[otype].extension_id: {"extension_type": "new-sdo"}}
    base = {"type": otype, "spec_version": "2.1", "id": f"{otype}--{uuid.uuid4()}"}
    return base | {"created": STAMP, "modified": STAMP, "extensions": ext} | props


def _ref(obj: dict[str, Any]) -> dict[str, str]:
    return {"id": obj["id"], "modified": obj["modified"], "sha256": sha256_hex(canonicalize(obj))}


def _case(party: str) -> list[dict[str, Any]]:
    personal = _record(
        "acuerdo-personal-data",
        salt=uuid.uuid4().hex,
        given_names="Ana",
        family_names="Ruiz",
        date_of_birth="1990-05-17",
        nationalities=[party],
    )
    person = _record(
        "acuerdo-covered-person",
        party=party,
        category="member-of-force",
        service_or_employer="Army",
        personal_data_ref=personal["id"],
    )
    entry = {
        "person_ref": person["id"],
        "role": "suspect",
        "offence_against_host_law": True,
        "offence_against_sending_law": True,
        "inter_se": False,
        "against_sending_state_property_or_security": False,
    }
    incident = _record(
        "acuerdo-incident",
        occurred_at=STAMP,
        place={"name": "Town centre"},
        summary="A collision after an exercise",
        persons=[entry],
    )
    answer = {"incident_ref": incident["id"], "answers": _ref(incident), "person_ref": person["id"]}
    cert = _record("acuerdo-duty-certificate", official_duty=True, issued_by="SJA", **answer)
    return [personal, person, incident, cert]


async def run(cases: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(home=Path(tmp) / "usa")
        await init_node(settings, party="USA", agreement="nato-sofa-1951")
        node = await Node.open(settings)
        try:
            admin = await add_user(
                node.engines.writer,
                party="USA",
                name="registrar",
                agency="force-hq",
                roles=["registrar"],
                password=None,
            )
            started = time.perf_counter()
            ids = []
            for _ in range(cases):
                objs = _case("USA")
                await node.write(objs, user=admin)
                ids.append(objs[2]["id"])
            wrote = time.perf_counter() - started
            print(
                f"cases: {cases}, written with their checks in {wrote:.2f} s "
                f"({wrote / cases * 1000:.1f} ms a case of 4 records)"
            )
            now = datetime(2026, 3, 20, tzinfo=UTC)
            timings = []
            for _ in range(3):
                t = time.perf_counter()
                view = await board.joint_committee(node, admin, now)
                timings.append(time.perf_counter() - t)
            assert len(view["incidents"]) == cases  # type: ignore[arg-type]
            best = min(timings)
            print(
                f"joint-committee view: {best * 1000:.0f} ms for {cases} cases "
                f"({best / cases * 1000:.2f} ms a case; best of 3)"
            )
            single = []
            for incident_id in ids[:50]:
                t = time.perf_counter()
                await board.case(node, admin, incident_id, now)
                single.append(time.perf_counter() - t)
            print(
                f"one case decided: median {statistics.median(single) * 1000:.2f} ms "
                f"(p95 {sorted(single)[int(len(single) * 0.95) - 1] * 1000:.2f} ms)"
            )
        finally:
            await node.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--cases", type=int, default=None)
    args = parser.parse_args()
    cases = args.cases or (100 if args.quick else 400)
    print(f"python {sys.version.split()[0]}; SQLite; nato-sofa-1951")
    asyncio.run(run(cases))


if __name__ == "__main__":
    main()

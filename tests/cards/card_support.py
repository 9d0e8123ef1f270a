"""Builders for status-card tests: a covered person with personal data and orders in force.

Records are plain dicts as a client would send them, written through the node as a registrar.
Dates are relative to today, because the node's card key is certified from its creation.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from acuerdo.cli import main
from acuerdo.ledger.types import BY_NAME
from acuerdo.node import Node
from acuerdo.users import User

WORST_GIVEN = "María de los Ángeles Concepción Guadalupe"
WORST_FAMILY = "Fernández de Córdoba Martínez-Villaseñor"


def stamp() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def record(otype: str, **props: Any) -> dict[str, Any]:
    now = stamp()
    return {
        "type": otype,
        "spec_version": "2.1",
        "id": f"{otype}--{uuid.uuid4()}",
        "created": now,
        "modified": now,
        "extensions": {BY_NAME[otype].extension_id: {"extension_type": "new-sdo"}},
        **props,
    }


def covered_records(
    node: Node,
    *,
    category: str = "member-of-force",
    nationalities: tuple[str, ...] = ("USA",),
    national_id: str | None = "1234567890",
    order_days: tuple[int, int] | None = (-10, 30),
    given: str = "José María Ignacio",
    family: str = "Benítez Ortiz",
) -> dict[str, dict[str, Any]]:
    """Personal data, a person and (unless None) an order from/until today+days, by role."""
    personal = record(
        "acuerdo-personal-data",
        salt=uuid.uuid4().hex,
        given_names=given,
        family_names=family,
        date_of_birth="1990-05-17",
        nationalities=list(nationalities),
    )
    if national_id is not None:
        personal["national_id"] = {"kind": "DoD ID", "number": national_id}
    person = record(
        "acuerdo-covered-person",
        party=node.party,
        category=category,
        service_or_employer="U.S. Army South",
        personal_data_ref=personal["id"],
    )
    out = {"personal": personal, "person": person}
    if order_days is not None:
        today = date.today()
        out["order"] = record(
            "acuerdo-movement-order",
            order_number=f"ORD-{uuid.uuid4().hex[:6]}",
            issuing_authority="U.S. Southern Command",
            kind="individual",
            person_refs=[person["id"]],
            purpose="Bilateral training exercise",
            valid_from=(today + timedelta(days=order_days[0])).isoformat(),
            valid_until=(today + timedelta(days=order_days[1])).isoformat(),
        )
    return out


async def covered_person(node: Node, user: User, **kwargs: Any) -> str:
    """Write `covered_records` (same keywords); the person's id."""
    records = covered_records(node, **kwargs)
    await node.write(list(records.values()), user=user)
    return str(records["person"]["id"])


def card_cli(home: Path, *args: str) -> Result:
    """`acuerdo --home HOME card ARGS...` in process."""
    return CliRunner().invoke(main, ["--home", str(home), "card", *args])

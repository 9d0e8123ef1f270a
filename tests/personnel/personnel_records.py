"""Builders of personnel records for tests, and a way to take in the host's records.

Records are plain dicts, as a client would send them. The host's confirmations are signed by
a real host node's key and appended on the sending state's node, as federation would.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from acuerdo.ledger.keys import KeyPurpose
from acuerdo.ledger.record import prepare
from acuerdo.ledger.signing import sign_record
from acuerdo.ledger.types import BY_NAME
from acuerdo.ledger.writes import Signed
from acuerdo.markings import TLP, TLP2_MARKING_IDS
from acuerdo.node import Node

STAMP = "2026-07-01T12:00:00.000Z"
AIRPORT = {"name": "Aeropuerto Internacional Silvio Pettirossi", "code": "ASU", "kind": "airport"}
BRIDGE = {"name": "Puente de la Amistad", "kind": "land-crossing"}
GREEN = TLP2_MARKING_IDS[TLP.GREEN]


def new_id(otype: str) -> str:
    return f"{otype}--{uuid.uuid4()}"


def record(otype: str, props: Mapping[str, Any], **extra: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"type": otype, "spec_version": "2.1", "id": new_id(otype)}
    base |= {"created": STAMP, "modified": STAMP}
    base["extensions"] = {BY_NAME[otype].extension_id: {"extension_type": "new-sdo"}}
    return base | dict(props) | extra


def personal_data(
    nationalities: Sequence[str] = ("USA",), *, national_id: bool = True, **extra: Any
) -> dict[str, Any]:
    props: dict[str, Any] = {
        "salt": uuid.uuid4().hex,
        "given_names": "José María Ignacio",
        "family_names": "Benítez Ortiz",
        "date_of_birth": "1990-05-17",
        "nationalities": list(nationalities),
    }
    if national_id:
        props["national_id"] = {"kind": "DoD ID", "number": "1234567890"}
    return record("acuerdo-personal-data", props, **extra)


def person(
    pdata: Mapping[str, Any], category: str = "member-of-force", *, party: str = "USA", **extra: Any
) -> dict[str, Any]:
    props = {
        "party": party,
        "category": category,
        "service_or_employer": "U.S. Army South",
        "personal_data_ref": pdata["id"],
    }
    return record("acuerdo-covered-person", props, **extra)


def order(
    persons: Sequence[str],
    valid_from: str = "2026-07-01",
    valid_until: str = "2026-09-30",
    **extra: Any,
) -> dict[str, Any]:
    props = {
        "order_number": f"ORD-{uuid.uuid4().hex[:6]}",
        "issuing_authority": "U.S. Southern Command",
        "kind": "collective" if len(persons) > 1 else "individual",
        "person_refs": list(persons),
        "purpose": "Bilateral training exercise",
        "valid_from": valid_from,
        "valid_until": valid_until,
        "ports_of_entry": [AIRPORT],
    }
    return record("acuerdo-movement-order", props, **extra)


def movement(
    person_id: str,
    order_id: str,
    direction: str,
    time: str,
    port: Mapping[str, Any] = AIRPORT,
    **extra: Any,
) -> dict[str, Any]:
    props = {
        "direction": direction,
        "person_ref": person_id,
        "order_ref": order_id,
        "port": dict(port),
        "time": time,
    }
    return record("acuerdo-movement", props, **extra)


def version_ref(obj: Mapping[str, Any], sha256: str) -> dict[str, str]:
    return {"id": obj["id"], "modified": obj["modified"], "sha256": sha256}


def confirmation(
    person_id: str,
    direction: str,
    time: str,
    confirms: Mapping[str, str] | None = None,
    port: Mapping[str, Any] = AIRPORT,
    **extra: Any,
) -> dict[str, Any]:
    props: dict[str, Any] = {
        "direction": direction,
        "person_ref": person_id,
        "port": dict(port),
        "time": time,
        "object_marking_refs": [GREEN],
    }
    if confirms is not None:
        props["movement"] = dict(confirms)
    return record("acuerdo-movement-confirmation", props, **extra)


async def take_in(node: Node, host: Node, objs: Sequence[Mapping[str, Any]]) -> None:
    """Append records written and signed by another party's node, as federation would."""
    signed = []
    for obj in objs:
        draft = prepare(obj, writer_party=host.party, party_identities=node.party_identities)
        env, sig = sign_record(
            draft.body,
            agreement_hash=host.agreement.hash,
            origin=host.party,
            signer=host.keys.signer(KeyPurpose.RECORDS),
        )
        signed.append(Signed(draft, env, sig, host.party, None, ()))
    await node.writer.append(signed, actor="ingest")

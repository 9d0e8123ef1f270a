"""The records a spreadsheet row becomes, with deterministic ids, and the versions to write.

Ids are deterministic, so importing the same file again finds the same objects: a row whose
content equals the current version is left alone, and a changed row becomes a new version
of the same object (its personal data keeps the salt of the current version, so the salt is
random per person but stable across imports). The natural key of a row is its national ID
(kind and number), keyed with the node secret before it becomes an id: ids travel to the
partner, and a plain hash of a DoD ID could be confirmed by guessing (DESIGN.md, pseudonyms
are keyed hashes).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import select

from acuerdo.domains.personnel.importing_rows import RowPlan
from acuerdo.ledger import stix
from acuerdo.ledger.access import CHANNEL_BITS
from acuerdo.ledger.tables import grants, ledger
from acuerdo.ledger.types import BY_NAME
from acuerdo.node import Node
from acuerdo.release import Channel, recipient_tokens
from acuerdo.users import User

PERSON = "acuerdo-covered-person"
PERSONAL = "acuerdo-personal-data"
ORDER = "acuerdo-movement-order"
# uuid5 namespace of imported records (fixed: the same key gives the same id on every run).
NAMESPACE = uuid.UUID("6f0d8f53-2f0c-5c1e-9d55-3a4f3c0e6b21")
_NAMESPACE_BYTES = NAMESPACE.bytes
# What a new version may change without the row having changed.
VOLATILE = frozenset({"created", "modified", "salt"})


@lru_cache(maxsize=4)
def _keyed(secret: bytes) -> hmac.HMAC:
    """HMAC-SHA256 keyed with a node's secret, its key already mixed in: a copy of it hashes
    a message for less than `hmac.digest` costs from the key each time (1.8 against 2.9 us
    here, twice a row, in the thread that bounds an import's reading)."""
    return hmac.new(secret, digestmod="sha256")


def natural_id(node: Node, object_type: str, *key: str) -> str:
    """A deterministic id: uuid5 over the party and a natural key keyed with the node secret.

    The uuid5 is computed here rather than with `uuid.uuid5` (the same bytes, the same
    text; a test compares them): building UUID objects cost ~25 us an id, a tenth of a
    100,000-row import's budget per row.
    """
    keyed = _keyed(node.secret).copy()
    keyed.update("\x00".join((node.party, object_type, *key)).encode())
    mac = keyed.digest()
    name = f"{node.party}:{mac.hex()}".encode()
    raw = bytearray(hashlib.sha1(_NAMESPACE_BYTES + name, usedforsecurity=False).digest()[:16])
    raw[6] = (raw[6] & 0x0F) | 0x50  # version 5
    raw[8] = (raw[8] & 0x3F) | 0x80  # RFC 4122 variant
    h = raw.hex()
    return f"{object_type}--{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


@lru_cache(maxsize=8)
def _stamp(instant: datetime) -> str:
    """A STIX timestamp in milliseconds (an import stamps every new version alike)."""
    return f"{instant:%Y-%m-%dT%H:%M:%S}.{instant.microsecond // 1000:03d}Z"


def _declared(object_type: str) -> dict[str, Any]:
    return {BY_NAME[object_type].extension_id: {"extension_type": "new-sdo"}}


async def current_versions(node: Node, user: User, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The current version (among those the importing user may see) of each id held.

    The same grants the release gate wrote decide what counts: a version withheld from the
    user is as absent to the import as to any read, so its outcome tells nothing of it.
    """
    tokens = sorted(recipient_tokens(user.recipient))
    found: dict[str, tuple[str, dict[str, Any]]] = {}
    for start in range(0, len(ids), 500):
        chunk = list(ids[start : start + 500])
        granted = (
            select(grants.c.seq)
            .where(
                grants.c.seq == ledger.c.seq,
                grants.c.token.in_(tokens),
                grants.c.channels.op("&")(CHANNEL_BITS[Channel.API]) != 0,
            )
            .exists()
        )
        q = select(ledger.c.object_id, ledger.c.version_key, ledger.c.body, ledger.c.revoked)
        q = q.where(ledger.c.object_id.in_(chunk), granted)
        async with node.engines.reader.connect() as conn:
            for oid, key, body, revoked in await conn.execute(q):
                if oid not in found or found[oid][0] < key:
                    obj = json.loads(body)
                    if revoked:
                        obj["revoked"] = True
                    found[oid] = (key, obj)
    return {oid: obj for oid, (_, obj) in found.items()}


def _content(obj: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in obj.items() if k not in VOLATILE}


def versioned(
    new: dict[str, Any], current: Mapping[str, Any] | None, now: datetime
) -> dict[str, Any] | None:
    """The version to write for `new`, or None when the current version already says it.

    A new object gets `now` as created and modified; a change keeps `created` and takes a
    `modified` later than the current one's. Personal data keeps the current salt.
    """
    if current is not None and "salt" in current:
        new["salt"] = current["salt"]
    if current is not None and not current.get("revoked") and _content(new) == _content(current):
        return None
    stamp = now
    if current is not None:
        last = stix.parse_timestamp(current["modified"], "modified")
        stamp = max(now, last + timedelta(milliseconds=1))
        new["created"] = current["created"]
    else:
        new["created"] = _stamp(stamp)
    new["modified"] = _stamp(stamp)
    return new


def salts(count: int) -> list[str]:
    """`count` fresh personal-data salts of 16 random bytes (hex), as `secrets.token_hex`
    makes them but from one read of the system's generator: a read per row cost ~4 us, 0.4 s
    of a 100,000-row import, in the process that checks the rows."""
    pool = secrets.token_bytes(16 * count).hex()
    return [pool[i : i + 32] for i in range(0, 32 * count, 32)]


def row_objects(node: Node, plan: RowPlan, salt: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The personal-data and covered-person objects of a row (without timestamps); `salt`
    is a fresh one from `salts`."""
    pid = natural_id(node, PERSONAL, plan.id_kind, plan.id_number)
    personal = {
        "type": PERSONAL,
        "spec_version": "2.1",
        "id": pid,
        "extensions": _declared(PERSONAL),
        "salt": salt,
        **plan.personal,
    }
    person = {
        "type": PERSON,
        "spec_version": "2.1",
        "id": natural_id(node, PERSON, plan.id_kind, plan.id_number),
        "extensions": _declared(PERSON),
        "party": node.party,
        **plan.person,
        "personal_data_ref": pid,
    }
    return personal, person


def order_object(
    node: Node, number: str, order: Mapping[str, Any], persons: list[str]
) -> dict[str, Any]:
    """A movement order naming every imported person that carries its number."""
    return {
        "type": ORDER,
        "spec_version": "2.1",
        "id": natural_id(node, ORDER, number),
        "extensions": _declared(ORDER),
        "order_number": number,
        "kind": "individual" if len(persons) == 1 else "collective",
        "person_refs": sorted(persons),
        **order,
    }


async def to_write(
    node: Node, user: User, objs: list[dict[str, Any]], now: datetime
) -> list[dict[str, Any]]:
    """The objects that differ from their current versions, stamped as new versions."""
    currents = await current_versions(node, user, [o["id"] for o in objs])
    changed = [versioned(o, currents.get(o["id"]), now) for o in objs]
    return [o for o in changed if o is not None]

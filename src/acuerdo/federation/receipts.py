"""Receipts: the receiving node's signed answer to each notification version it applies.

Which types are notifications is declared on the record type (`notification=True` in
acuerdo.ledger.types), so a new notification type joins by declaration. The receipt names
the exact version received (id, modified, SHA-256) and when; it is this node's own record,
signed with its records key and written in the same transaction as the version it answers,
and it federates back like any other record: the sender sees what was received, and what
was not.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from acuerdo.ledger import stix
from acuerdo.ledger.keys import KeyPurpose
from acuerdo.ledger.signing import sign_many
from acuerdo.ledger.types import BY_NAME, NOTIFICATION_TYPES
from acuerdo.ledger.writer import utc_now
from acuerdo.ledger.writes import Signed
from acuerdo.release import Refusal

if TYPE_CHECKING:
    from acuerdo.node import Node

RECEIPT = "acuerdo-receipt"
# Receipt ids are derived from the version they answer: one receipt per version, per node.
RECEIPT_NAMESPACE = uuid.UUID("0b0e4a5c-5d7e-4f44-9d0a-7c2d6f1f3a11")


def receipt_for(signed: Signed, receiver: str, at: str) -> dict[str, Any]:
    """The receipt object answering one received version."""
    d = signed.draft
    stamp = stix.format_instant(stix.parse_timestamp(at, "received_at"))
    modified = d.obj.get("modified") or d.obj.get("created")
    name = f"{receiver}|{d.object_id}|{d.version_key}|{d.sha256}"
    return {
        "type": RECEIPT,
        "spec_version": "2.1",
        "id": f"{RECEIPT}--{uuid.uuid5(RECEIPT_NAMESPACE, name)}",
        "created": stamp,
        "modified": stamp,
        "extensions": {BY_NAME[RECEIPT].extension_id: {"extension_type": "new-sdo"}},
        "received": {"id": d.object_id, "modified": modified, "sha256": d.sha256},
        "received_type": d.object_type,
        "received_at": stamp,
    }


async def receipts_for(node: Node, applied: Sequence[Signed]) -> list[Signed]:
    """Signed receipts for the notification versions among `applied` (none for others)."""
    wanted = [s for s in applied if s.draft.object_type in NOTIFICATION_TYPES]
    if not wanted:
        return []
    now = utc_now()
    versions = []
    for s in wanted:
        draft = node.prepare(receipt_for(s, node.party, now))
        applied_markings = node.applied_markings(draft)
        if isinstance(node.audience(draft, applied_markings, None), Refusal):
            continue
        versions.append((draft, applied_markings))
    signatures = await asyncio.to_thread(
        sign_many,
        [d.body for d, _ in versions],
        agreement_hash=node.agreement.hash,
        origin=node.party,
        signer=node.keys.signer(KeyPurpose.RECORDS),
    )
    return [
        Signed(d, env, sig, node.party, None, applied_markings)
        for (d, applied_markings), (env, sig) in zip(versions, signatures, strict=True)
    ]

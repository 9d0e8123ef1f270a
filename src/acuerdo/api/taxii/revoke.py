"""TAXII DELETE as the design defines deletion: the owner's node writes a revoked version.

STIX revocation (spec 3.6 of STIX 2.1) is a new version with `revoked: true` and a later
`modified`; it is signed, gated and replicated like any version, and nothing is removed.
"""

from __future__ import annotations

import json
from datetime import timedelta

from acuerdo.api.taxii.entries import Entry
from acuerdo.api.taxii.ingest import WRITERS
from acuerdo.api.taxii.media import TaxiiError
from acuerdo.ledger.record import RecordError
from acuerdo.ledger.stix import format_instant, now_timestamp, parse_timestamp
from acuerdo.ledger.writes import WriteRefused
from acuerdo.node import Node
from acuerdo.release import RecordKind
from acuerdo.users import User


def _later(previous: str) -> str:
    """Now, or one millisecond after `previous` when the clock has not passed it."""
    now = now_timestamp()
    before = parse_timestamp(previous, "modified")
    if parse_timestamp(now, "modified") > before:
        return now
    return format_instant(before + timedelta(milliseconds=1))


async def revoke(node: Node, user: User, current: Entry) -> None:
    """Write the revoked version of `current` (nothing when it is revoked already)."""
    if current.revoked:
        return
    if not current.owner:
        raise TaxiiError(
            422, f"{current.object_id} is a cyber observable: owned by no one, it cannot "
            "be revoked", code="not-revocable",
        )  # fmt: skip
    if current.owner != node.party:
        raise TaxiiError(
            403, f"{current.object_id} belongs to another party; only that party's node "
            "may revoke it", code="not-owner",
        )  # fmt: skip
    allowed = WRITERS[RecordKind.INTEL]
    if not user.has_any(allowed):
        raise TaxiiError(403, f"revoking needs one of the roles {', '.join(allowed)}")
    obj = json.loads(current.body)
    if "modified" not in obj:
        raise TaxiiError(422, f"{current.object_id} has no modified: it cannot be versioned")
    obj["modified"] = _later(obj["modified"])
    obj["revoked"] = True
    try:
        await node.write([obj], user=user)
    except RecordError as exc:
        raise TaxiiError(422, str(exc)) from None
    except WriteRefused as exc:
        raise TaxiiError(exc.status, exc.message, code=exc.rule) from None

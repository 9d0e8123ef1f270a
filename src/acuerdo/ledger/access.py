"""How release decisions are stored: audiences as JSON, channels as bits, grant rows as tokens.

The release gate (acuerdo.release) decides who may receive a version; this module turns that
decision into rows of the `grants` table at write time, so that reading is an index range
scan over a recipient's few tokens instead of a filter over every record.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any

from acuerdo.markings import MarkingCatalog, parse_marking_definition
from acuerdo.release import (
    Audience,
    Channel,
    Recipient,
    RecordFacts,
    Refusal,
    SharingPolicy,
    audience_of,
    recipient_tokens,
)

CHANNEL_BITS: dict[Channel, int] = {c: 1 << i for i, c in enumerate(Channel)}


def channel_mask(channels: Iterable[Channel]) -> int:
    """Bit set of channels, as stored in `grants.channels`."""
    mask = 0
    for c in channels:
        mask |= CHANNEL_BITS[c]
    return mask


def audience_to_json(aud: Audience | None) -> str | None:
    """Stable JSON of an audience (None: the version is released to no one)."""
    if aud is None:
        return None
    return json.dumps(
        {
            "parties": sorted(aud.parties),
            "roles": None if aud.roles is None else sorted(aud.roles),
            "users": None if aud.users is None else sorted(aud.users),
            "channels": sorted(c.value for c in aud.channels),
            "reason": aud.reason,
        },
        sort_keys=True,
        separators=(",", ":"),
    )


def audience_from_json(text: str | None) -> Audience | None:
    """Inverse of `audience_to_json`."""
    if text is None:
        return None
    data = json.loads(text)
    return Audience(
        parties=frozenset(data["parties"]),
        roles=None if data["roles"] is None else frozenset(data["roles"]),
        users=None if data["users"] is None else frozenset(data["users"]),
        channels=frozenset(Channel(c) for c in data["channels"]),
        reason=data.get("reason", ""),
    )


def grant_rows(
    aud: Audience | None, *, seq: int, object_type: str, current: bool
) -> list[dict[str, object]]:
    """The `grants` rows that release one version to its audience (none when refused)."""
    if aud is None or not aud.channels:
        return []
    mask = channel_mask(aud.channels)
    return [
        {"token": t, "seq": seq, "object_type": object_type, "channels": mask, "current": current}
        for t in sorted(aud.tokens())
    ]


def extend_catalog(
    catalog: MarkingCatalog, definitions: Iterable[Mapping[str, Any]]
) -> MarkingCatalog:
    """The catalog plus marking definitions newly written to the ledger."""
    known = dict(catalog.markings)
    for obj in definitions:
        known.setdefault(str(obj["id"]), parse_marking_definition(obj))
    return MarkingCatalog(MappingProxyType(known))


def admits_node(aud: Audience, party: str) -> bool:
    """May this version go to the partner node of `party` (federation)?"""
    if Channel.FEDERATION not in aud.channels:
        return False
    return not aud.tokens().isdisjoint(recipient_tokens(Recipient.node(party)))


def audience_with_refs(
    facts: RecordFacts,
    ref_audiences: Iterable[Audience | None],
    catalog: MarkingCatalog,
    policy: SharingPolicy,
) -> Audience | None:
    """The gate's audience of a version, narrowed by everything it refers to.

    None means released to no one: refused by the gate, or referring to an object this node
    holds that is itself released to no one.
    """
    aud = audience_of(facts, catalog, policy)
    if isinstance(aud, Refusal):
        return None
    for ref_aud in ref_audiences:
        if ref_aud is None:
            return None
        aud = aud.intersect(ref_aud)
    return aud

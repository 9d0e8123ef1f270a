"""Correlation: the records of both parties that carry the same observable.

Kept incrementally: `CorrelationProjector` runs in the writer's transaction and writes one
`intel_observables` row per (key, version). A version carries its own keys and those of the
observables (and observed-data) it refers to, whichever arrives first: when an observable
arrives after a record that refers to it, the record's stored versions get its keys then.

Read through the release gate: `correlations` starts from the version of the object the
reader may see (404 otherwise) and counts, per key, only other objects whose version
current for the reader is granted to them. So counts and the over-correlation flag are the
reader's own: a withheld record is neither listed, nor counted, nor does it tip a value into
"over-correlated". A value seen in more than `limit` visible records is marked
over-correlated and its records are not listed (as MISP does), which bounds every answer.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from acuerdo.domains.intel.observables import observable_keys, split_key
from acuerdo.domains.intel.tables import intel_observables
from acuerdo.ledger.access import CHANNEL_BITS
from acuerdo.ledger.reader import RecordReader, StoredVersion
from acuerdo.ledger.rowio import insert_rows
from acuerdo.ledger.stix import SCO_TYPES, iter_refs
from acuerdo.ledger.tables import grants, ledger, refs
from acuerdo.ledger.types import UNOWNED_TYPES
from acuerdo.ledger.writes import Projected
from acuerdo.release import Channel, Recipient, RecordKind, recipient_tokens

if TYPE_CHECKING:
    from acuerdo.node import Node

OBSERVED = "observed-data"
CARRIERS = (UNOWNED_TYPES - {"marking-definition", "extension-definition"}) | {OBSERVED}
_CHUNK = 500
_COLUMNS = ("key", "seq")
_ON_CONFLICT = " ON CONFLICT DO NOTHING"


def _type_of(object_id: str) -> str:
    return object_id.partition("--")[0]


def _chunks(items: Sequence[str]) -> Iterable[Sequence[str]]:
    for i in range(0, len(items), _CHUNK):
        yield items[i : i + _CHUNK]


async def _stored_keys(conn: AsyncConnection, object_ids: set[str]) -> dict[str, set[str]]:
    """Keys already indexed for these objects (any version): their versions by the ledger's
    identity index, then each version's keys by seq."""
    found: dict[str, set[str]] = defaultdict(set)
    for chunk in _chunks(sorted(object_ids)):
        q = (
            select(ledger.c.object_id, intel_observables.c.key)
            .join(intel_observables, intel_observables.c.seq == ledger.c.seq)
            .where(ledger.c.object_id.in_(chunk))
        )
        for oid, key in await conn.execute(q):
            found[oid].add(key)
    return found


async def _insert(conn: AsyncConnection, rows: set[tuple[str, int]]) -> None:
    # Driver-level executemany of tuples: Core would build a dict per row.
    await insert_rows(conn, intel_observables.name, _COLUMNS, sorted(rows), _ON_CONFLICT)


def _tier(v: Projected) -> int:
    """Observables first, then observed-data, then the rest: each may inherit the previous."""
    t = v.draft.object_type
    return 0 if t in CARRIERS and t != OBSERVED else 1 if t == OBSERVED else 2


class CorrelationProjector:
    """Indexes the observable keys of every intelligence version, in the write transaction."""

    async def project(
        self, conn: AsyncConnection, dialect: str, versions: Sequence[Projected]
    ) -> None:
        del dialect
        intel = sorted(
            (v for v in versions if v.draft.kind is RecordKind.INTEL and not v.draft.revoked),
            key=_tier,
        )
        if not intel:
            return
        referred = {r for v in intel for r in v.draft.refs if _type_of(r) in CARRIERS}
        known = await _stored_keys(conn, referred) if referred else defaultdict(set)
        fresh: dict[str, set[str]] = defaultdict(set)
        rows: set[tuple[str, int]] = set()
        for v in intel:
            d = v.draft
            keys = set(observable_keys(d.obj))
            if d.object_type not in SCO_TYPES:
                for r in d.refs:
                    if r in known or r in fresh:
                        keys |= known.get(r, set()) | fresh.get(r, set())
            rows.update((k, v.seq) for k in keys)
            if d.object_type in CARRIERS and keys:
                fresh[d.object_id] |= keys
        await _insert(conn, rows)
        await _backfill(conn, fresh, {v.seq for v in versions}, depth=2)


async def _backfill(
    conn: AsyncConnection, carriers: Mapping[str, set[str]], skip: set[int], depth: int
) -> None:
    """Give stored versions that refer to these carriers the carriers' keys."""
    if not carriers or depth == 0:
        return
    referrers: set[str] = set()
    for chunk in _chunks(sorted(carriers)):
        q = select(refs.c.src_id).where(refs.c.dst_id.in_(chunk))
        referrers.update((await conn.execute(q)).scalars())
    if not referrers:
        return
    rows: set[tuple[str, int]] = set()
    onward: dict[str, set[str]] = defaultdict(set)
    cols = (ledger.c.seq, ledger.c.object_id, ledger.c.object_type, ledger.c.body)
    for chunk in _chunks(sorted(referrers)):
        q = select(*cols).where(
            ledger.c.object_id.in_(chunk),
            ledger.c.kind == RecordKind.INTEL.value,
            ledger.c.revoked.is_(False),
        )
        for seq, oid, otype, body in await conn.execute(q):
            if seq in skip or otype in SCO_TYPES:
                continue
            for ref in set(iter_refs(json.loads(body))) & carriers.keys():
                rows.update((k, seq) for k in carriers[ref])
                if otype == OBSERVED:
                    onward[oid] |= carriers[ref]
    await _insert(conn, rows)
    await _backfill(conn, onward, skip, depth - 1)


# --- reading, through the gate ------------------------------------------------------------


@dataclass(frozen=True)
class Match:
    """Another record the reader may see that carries the same observable."""

    object_id: str
    object_type: str
    party: str
    label: str | None
    when: str | None
    cross_party: bool


@dataclass(frozen=True)
class Correlation:
    """One observable of the object: how many other visible records carry it, and which."""

    kind: str
    value: str
    count: int  # other visible records, counted up to limit + 1
    over_correlated: bool
    matches: tuple[Match, ...]


@dataclass(frozen=True)
class CorrelationView:
    object_id: str
    object_type: str
    party: str
    correlations: tuple[Correlation, ...]


def _party(v: StoredVersion) -> str:
    return v.owner or v.origin  # an observable's party is the one whose node signed it


def _summary(v: StoredVersion) -> tuple[str | None, str | None]:
    obj: dict[str, Any] = json.loads(v.body)
    label = next(
        (obj[p] for p in ("name", "value", "registration", "plate", "imo") if p in obj), None
    )
    when = next((obj[p] for p in ("published", "first_seen", "created") if p in obj), None)
    return (str(label) if label is not None else None), (str(when) if when else None)


async def correlations(
    reader: RecordReader,
    conn: AsyncConnection,
    recipient: Recipient,
    object_id: str,
    *,
    limit: int,
    channel: Channel = Channel.API,
) -> CorrelationView | None:
    """The correlations of an object as `recipient` may see them; None if they may not."""
    own = await reader.get(recipient, channel, object_id)
    if own is None:
        return None
    keys = (
        await conn.execute(
            select(intel_observables.c.key).where(intel_observables.c.seq == own.seq)
        )
    ).scalars()
    tokens = sorted(recipient_tokens(recipient))
    found: list[Correlation] = []
    for key in sorted(set(keys)):
        visible = select(grants.c.seq).where(
            grants.c.seq == intel_observables.c.seq,
            grants.c.token.in_(tokens),
            grants.c.channels.op("&")(CHANNEL_BITS[channel]) != 0,
            grants.c.current.is_(True),
        )
        q = (
            select(ledger.c.object_id)
            .join(intel_observables, intel_observables.c.seq == ledger.c.seq)
            .where(
                intel_observables.c.key == key,
                ledger.c.object_id != object_id,
                visible.exists(),
            )
            .distinct()
            .limit(limit + 1)
        )
        others = sorted((await conn.execute(q)).scalars())
        kind, value = split_key(key)
        over = len(others) > limit
        matches = () if over else await _matches(reader, recipient, channel, own, others)
        found.append(Correlation(kind, value, len(others), over, matches))
    return CorrelationView(object_id, own.object_type, _party(own), tuple(found))


async def _matches(
    reader: RecordReader,
    recipient: Recipient,
    channel: Channel,
    own: StoredVersion,
    others: Sequence[str],
) -> tuple[Match, ...]:
    out: list[Match] = []
    for oid in others:
        v = await reader.get(recipient, channel, oid)
        if v is None:  # pragma: no cover - granted a moment ago, in the same snapshot class
            continue
        label, when = _summary(v)
        party = _party(v)
        out.append(Match(oid, v.object_type, party, label, when, party != _party(own)))
    return tuple(out)


async def correlations_of(
    node: Node, recipient: Recipient, object_id: str
) -> CorrelationView | None:
    """`correlations` on a node's read connection, bounded by its correlation_limit."""
    async with node.engines.reader.connect() as conn:
        return await correlations(
            node.reader, conn, recipient, object_id, limit=node.settings.correlation_limit
        )


def view_json(view: CorrelationView) -> dict[str, Any]:
    """The JSON answer of the API and `acuerdo intel correlations --json`."""
    return {
        "id": view.object_id,
        "type": view.object_type,
        "party": view.party,
        "correlations": [
            {
                "kind": c.kind,
                "value": c.value,
                "count": c.count,
                "over_correlated": c.over_correlated,
                "matches": [
                    {
                        "id": m.object_id,
                        "type": m.object_type,
                        "party": m.party,
                        "label": m.label,
                        "when": m.when,
                        "cross_party": m.cross_party,
                    }
                    for m in c.matches
                ],
            }
            for c in view.correlations
        ],
    }

"""Reading a case's records: through the release gate for a reader, or whole for a check.

A reader's decision is computed only from what the gate gives that reader (a withheld
certificate is as absent as one never written, so the decision cannot reveal it). A write
check sees every record on the node, since it guards this node's own consistency and
answers nobody with record content. Records answering an incident are found by the
``refs`` index (``incident_ref``, ``subject_ref`` are references), then read one by one.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import select

from acuerdo.domains.incidents.jurisdiction import PersonFacts
from acuerdo.domains.incidents.records import (
    DUTY_CERTIFICATE,
    INCIDENT,
    PERSON,
    CaseRecord,
)
from acuerdo.ledger import stix
from acuerdo.ledger.tables import ledger, objects, refs
from acuerdo.node import Node
from acuerdo.release import Channel
from acuerdo.users import User


@dataclass(frozen=True)
class Version:
    body: bytes
    owner: str
    sha256: str
    version_key: str
    received_at: str


class Source(Protocol):
    """Where a case's records come from."""

    async def versions(self, object_id: str) -> list[Version]: ...

    async def of_type(self, object_type: str) -> list[str]: ...

    node: Node


async def referrers(node: Node, object_ids: Iterable[str]) -> list[str]:
    """Ids of objects whose versions refer to any of ``object_ids`` (an index read)."""
    ids = sorted(set(object_ids))
    if not ids:
        return []
    q = select(refs.c.src_id).where(refs.c.dst_id.in_(ids)).distinct()
    async with node.engines.reader.connect() as conn:
        return sorted(str(x) for x in (await conn.execute(q)).scalars())


class GatedSource:
    """Only what the release gate gives one user on the API channel."""

    def __init__(self, node: Node, user: User, channel: Channel = Channel.API) -> None:
        self.node = node
        self.user = user
        self.channel = channel

    async def versions(self, object_id: str) -> list[Version]:
        found = await self.node.reader.versions(self.user.recipient, self.channel, object_id)
        return [Version(v.body, v.owner, v.sha256, v.version_key, v.received_at) for v in found]

    async def of_type(self, object_type: str) -> list[str]:
        ids: list[str] = []
        cursor: str | None = None
        while True:
            page = await self.node.reader.page(
                self.user.recipient, self.channel, cursor=cursor, limit=500, types=[object_type]
            )
            ids += [v.object_id for v in page.items]
            if page.next_cursor is None:
                return sorted(set(ids))
            cursor = page.next_cursor


class LedgerSource:
    """Every version on the node (for write checks, which answer nobody with content)."""

    def __init__(self, node: Node) -> None:
        self.node = node

    async def versions(self, object_id: str) -> list[Version]:
        cols = (ledger.c.body, ledger.c.owner, ledger.c.sha256, ledger.c.version_key)
        q = select(*cols, ledger.c.received_at).where(ledger.c.object_id == object_id)
        async with self.node.engines.reader.connect() as conn:
            rows = (await conn.execute(q.order_by(ledger.c.version_key))).all()
        return [Version(bytes(r[0]), r[1], r[2], r[3], r[4]) for r in rows]

    async def of_type(self, object_type: str) -> list[str]:
        q = select(objects.c.object_id).where(objects.c.object_type == object_type)
        async with self.node.engines.reader.connect() as conn:
            return sorted(str(x) for x in (await conn.execute(q)).scalars())


def _instant(text: str) -> datetime:
    return stix.parse_timestamp(text, "received_at")


async def current(source: Source, object_id: str) -> CaseRecord | None:
    """The newest version a source gives, received when its first version was recorded."""
    found = await source.versions(object_id)
    if not found:
        return None
    newest = max(found, key=lambda v: v.version_key)
    first = min(_instant(v.received_at) for v in found)
    body: dict[str, Any] = json.loads(newest.body)
    if "type" not in body:
        return None  # an erased stub
    return CaseRecord.of(body, newest.owner, newest.sha256, first)


async def person_facts(source: Source, ids: Iterable[str]) -> dict[str, PersonFacts]:
    """Party and category of each covered person the source gives."""
    found: dict[str, PersonFacts] = {}
    for pid in sorted(set(ids)):
        rec = await current(source, pid)
        if rec is not None and rec.type == PERSON and not rec.revoked:
            found[pid] = PersonFacts(str(rec.body["party"]), str(rec.body["category"]))
    return found


@dataclass
class LoadedCase:
    incident: CaseRecord
    records: list[CaseRecord]
    persons: dict[str, PersonFacts]


async def load_case(source: Source, incident_id: str) -> LoadedCase | None:
    """An incident, the records answering it (and challenges of its certificates), persons."""
    incident = await current(source, incident_id)
    if incident is None or incident.type != INCIDENT:
        return None
    records = await _records(source, await referrers(source.node, [incident_id]))
    certificates = [r.id for r in records if r.type == DUTY_CERTIFICATE]
    known = {r.id for r in records}
    more = [i for i in await referrers(source.node, certificates) if i not in known]
    records += await _records(source, more)
    entries = incident.body.get("persons", [])
    ids = [str(e["person_ref"]) for e in entries if isinstance(e, dict) and "person_ref" in e]
    return LoadedCase(incident, records, await person_facts(source, ids))


async def _records(source: Source, ids: Iterable[str]) -> list[CaseRecord]:
    found = []
    for object_id in ids:
        rec = await current(source, object_id)
        if rec is not None and rec.type != INCIDENT:
            found.append(rec)
    return found

"""Status resources (spec 4.3): each POST's per-object outcome, persisted across restarts.

A POST answered pending is recorded before anything is processed: its envelope (the bytes
received) is kept in the row with how many objects have been processed, and each batch's
outcomes are added as the batch completes. A node that stops halfway resumes every
unfinished status when it starts again; objects already written are found again as the
same version (a duplicate, not a second write). A POST answered once processed has given
no status id out before it completes, so its status is written once, complete: there is
nothing a restart would have to resume.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from json.encoder import encode_basestring_ascii as _quote  # json.dumps' own C escaper
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from acuerdo.api.taxii.ingest import Outcome
from acuerdo.ledger.canonical import parse_json
from acuerdo.ledger.tables import taxii_status

PENDING, COMPLETE = "pending", "complete"


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass
class StatusRecord:
    """One status resource as stored."""

    id: str
    requester: str
    api_root: str
    collection_id: str
    request_timestamp: str
    status: str
    total_count: int
    successes: list[dict[str, str]]
    failures: list[dict[str, str]]
    processed: int
    objects: list[Any]  # the envelope's objects, [] once complete
    # Each outcome's JSON, kept as it is added so that a batch's update of a large POST
    # serialises its own outcomes, not every earlier one again.
    done_json: list[str] = field(default_factory=list, repr=False)

    def resource(self) -> dict[str, Any]:
        """The status resource of spec 4.3.1."""
        pendings = [_pending(o, i) for i, o in enumerate(self.objects) if i >= self.processed]
        return {
            "id": self.id,
            "status": self.status,
            "request_timestamp": self.request_timestamp,
            "total_count": self.total_count,
            "success_count": len(self.successes),
            "successes": self.successes,
            "failure_count": len(self.failures),
            "failures": self.failures,
            "pending_count": self.total_count - len(self.successes) - len(self.failures),
            "pendings": pendings,
        }


def _outcome_json(o: Outcome) -> str:
    """`[ok, id, version, message]` as JSON, written directly: json.dumps per outcome cost
    more than the rest of noting it."""
    ok = "true" if o.ok else "false"
    return f"[{ok},{_quote(o.id)},{_quote(o.version)},{_quote(o.message)}]"


def _pending(obj: Any, index: int) -> dict[str, str]:
    oid = obj.get("id") if isinstance(obj, dict) else None
    version = obj.get("modified", obj.get("created", "")) if isinstance(obj, dict) else ""
    return {
        "id": oid if isinstance(oid, str) else f"objects[{index}]",
        "version": version if isinstance(version, str) else "",
    }


class StatusStore:
    """The taxii_status table, written on the node's writer engine."""

    def __init__(self, writer: AsyncEngine, reader: AsyncEngine) -> None:
        self._writer = writer
        self._reader = reader

    @staticmethod
    def new(requester: str, api_root: str, collection_id: str, objects: list[Any]) -> StatusRecord:
        """A status resource in memory, pending, nothing processed."""
        return StatusRecord(
            str(uuid.uuid4()), requester, api_root, collection_id, _now(), PENDING,
            len(objects), [], [], 0, objects,
        )  # fmt: skip

    async def create(self, record: StatusRecord, envelope: bytes | None = None) -> None:
        """Store a pending status with its envelope (`envelope`: the bytes received, whose
        `objects` are the record's), so that a restart resumes it."""
        if envelope is None:
            envelope = json.dumps(record.objects, separators=(",", ":")).encode()
        await self._insert(record, envelope)

    async def store_complete(self, record: StatusRecord) -> None:
        """Store a status processed in full before its id was handed out: one write."""
        await self._insert(record, None)

    async def _insert(self, record: StatusRecord, envelope: bytes | None) -> None:
        row = {
            "id": record.id,
            "requester": record.requester,
            "api_root": record.api_root,
            "collection_id": record.collection_id,
            "request_timestamp": record.request_timestamp,
            "status": record.status,
            "total_count": record.total_count,
            "outcomes": self._outcomes(record),
            "envelope": envelope,
        }
        async with self._writer.begin() as conn:
            await conn.execute(taxii_status.insert(), row)

    @staticmethod
    def _outcomes(r: StatusRecord) -> str:
        return '{"outcomes":[' + ",".join(r.done_json) + '],"processed":' + str(r.processed) + "}"

    @staticmethod
    def note(record: StatusRecord, outcomes: list[Outcome], processed: int) -> None:
        """Add a batch's outcomes to the record in memory; it completes with the last object."""
        for o in outcomes:
            (record.successes if o.ok else record.failures).append(o.details())
            record.done_json.append(_outcome_json(o))
        record.processed = processed
        if processed >= record.total_count:
            record.status, record.objects = COMPLETE, []

    async def add(self, record: StatusRecord, outcomes: list[Outcome], processed: int) -> None:
        """Record a batch's outcomes of a stored status; it completes with the last object."""
        self.note(record, outcomes, processed)
        values: dict[str, Any] = {"outcomes": self._outcomes(record)}
        if record.status == COMPLETE:
            values.update(status=COMPLETE, envelope=None)
        async with self._writer.begin() as conn:
            await conn.execute(
                update(taxii_status).where(taxii_status.c.id == record.id).values(**values)
            )

    async def get(self, status_id: str) -> StatusRecord | None:
        async with self._reader.connect() as conn:
            row = (
                await conn.execute(select(taxii_status).where(taxii_status.c.id == status_id))
            ).first()
        return None if row is None else _record(row._mapping)

    async def unfinished(self) -> list[StatusRecord]:
        async with self._reader.connect() as conn:
            rows = await conn.execute(select(taxii_status).where(taxii_status.c.status == PENDING))
            return [_record(r._mapping) for r in rows]


def _envelope_objects(envelope: Any) -> list[Any]:
    """The objects of a stored envelope: the POST's body, or (rows of earlier versions) the
    list of its objects."""
    if envelope is None:
        return []
    data = parse_json(bytes(envelope))
    return list(data["objects"] if isinstance(data, dict) else data)  # type: ignore[arg-type]


def _record(row: Any) -> StatusRecord:
    outcomes = json.loads(row["outcomes"])
    successes: list[dict[str, str]] = outcomes.get("successes", [])
    failures: list[dict[str, str]] = outcomes.get("failures", [])
    done = [
        _outcome_json(Outcome(d["id"], d["version"], ok, d["message"]))
        for ok, group in ((True, successes), (False, failures))
        for d in group
    ]
    for ok, oid, version, message in outcomes.get("outcomes", []):
        (successes if ok else failures).append({"id": oid, "version": version, "message": message})
        done.append(_outcome_json(Outcome(oid, version, ok, message)))
    return StatusRecord(
        id=row["id"],
        requester=row["requester"],
        api_root=row["api_root"],
        collection_id=row["collection_id"],
        request_timestamp=row["request_timestamp"],
        status=row["status"],
        total_count=int(row["total_count"]),
        successes=successes,
        failures=failures,
        processed=int(outcomes["processed"]),
        objects=_envelope_objects(row["envelope"]),
        done_json=done,
    )

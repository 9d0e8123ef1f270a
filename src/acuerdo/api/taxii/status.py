"""Status resources (spec 4.3): each POST's per-object outcome, persisted across restarts.

A POST is recorded before anything is processed: its objects are kept in the row with how
many have been processed, and each batch's outcomes are added as the batch completes. A
node that stops halfway resumes every unfinished status when it starts again; objects
already written are found again as the same version (a duplicate, not a second write).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
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

    async def create(
        self, requester: str, api_root: str, collection_id: str, objects: list[Any]
    ) -> StatusRecord:
        record = StatusRecord(
            str(uuid.uuid4()), requester, api_root, collection_id, _now(), PENDING,
            len(objects), [], [], 0, objects,
        )  # fmt: skip
        row = {
            "id": record.id,
            "requester": requester,
            "api_root": api_root,
            "collection_id": collection_id,
            "request_timestamp": record.request_timestamp,
            "status": PENDING,
            "total_count": record.total_count,
            "outcomes": self._outcomes(record),
            "envelope": json.dumps(objects, separators=(",", ":")).encode(),
        }
        async with self._writer.begin() as conn:
            await conn.execute(taxii_status.insert(), row)
        return record

    @staticmethod
    def _outcomes(r: StatusRecord) -> str:
        data = {"successes": r.successes, "failures": r.failures, "processed": r.processed}
        return json.dumps(data, separators=(",", ":"))

    async def add(self, record: StatusRecord, outcomes: list[Outcome], processed: int) -> None:
        """Record a batch's outcomes; the status completes with the last object."""
        record.successes.extend(o.details() for o in outcomes if o.ok)
        record.failures.extend(o.details() for o in outcomes if not o.ok)
        record.processed = processed
        values: dict[str, Any] = {"outcomes": self._outcomes(record)}
        if processed >= record.total_count:
            record.status, record.objects = COMPLETE, []
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


def _record(row: Any) -> StatusRecord:
    outcomes = json.loads(row["outcomes"])
    envelope = row["envelope"]
    return StatusRecord(
        id=row["id"],
        requester=row["requester"],
        api_root=row["api_root"],
        collection_id=row["collection_id"],
        request_timestamp=row["request_timestamp"],
        status=row["status"],
        total_count=int(row["total_count"]),
        successes=outcomes["successes"],
        failures=outcomes["failures"],
        processed=int(outcomes["processed"]),
        objects=list(parse_json(bytes(envelope))) if envelope is not None else [],  # type: ignore[arg-type]
    )

"""Bulk import of STIX bundles of any size, read as a stream.

The bundle is never loaded whole: ijson (the yajl C backend) yields one object of
`objects` at a time, so memory holds one batch of objects, however large the file. Each
object is checked on its own (STIX rules, the agreement's rule on unmarked intelligence, the
release gate's audience); valid objects are written in batches, each batch one all-or-nothing
job of the node's writer, and invalid ones are reported with their position, id and reasons.
If a batch is refused as a whole (an id another party owns, say), its objects are written one
by one so that each refusal is reported against its own object.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import ijson

from acuerdo.domains.intel.checks import problems_text, unmarked_refusal
from acuerdo.domains.intel.validate import validate_object
from acuerdo.ledger.record import Draft, RecordError
from acuerdo.ledger.stix import META_TYPES
from acuerdo.ledger.types import BY_NAME
from acuerdo.ledger.writes import WriteRefused
from acuerdo.release import RecordKind, Refusal

if TYPE_CHECKING:
    from acuerdo.node import Node
    from acuerdo.users import User

Progress = Callable[[int, int, "ImportReport"], None]
KEPT_ERRORS = 1000  # errors kept in memory for the summary; all go to the errors file
BATCH_BYTES = 4 << 20  # a batch is flushed at this many canonical bytes, so large objects
# cost memory in proportion to the batch, never to the file


class BundleError(ValueError):
    """The file is not a STIX bundle (or not JSON); nothing was written."""


@dataclass(frozen=True)
class ObjectError:
    """Why the object at `index` (0-based, in `objects`) was not written."""

    index: int
    object_id: str
    reason: str

    def __str__(self) -> str:
        return f"objects[{self.index}] {self.object_id}: {self.reason}"


@dataclass
class ImportReport:
    read: int = 0
    written: int = 0
    unchanged: int = 0
    invalid: int = 0
    errors: list[ObjectError] = field(default_factory=list)


def _check_bundle(fh: IO[bytes]) -> None:
    """First pass, events only (nothing built): a top-level object of type bundle."""
    seen_type: object = None
    try:
        for prefix, event, value in ijson.parse(fh):
            if prefix == "" and event not in ("start_map", "map_key", "end_map"):
                raise BundleError("the file is not a STIX bundle (not a JSON object)")
            if prefix == "type" and event == "string":
                seen_type = value
    except ijson.JSONError as exc:
        raise BundleError(f"the file is not valid JSON: {exc}") from None
    if seen_type != "bundle":
        raise BundleError(f"the file is not a STIX bundle (its type is {seen_type!r})")
    fh.seek(0)


def _objects(fh: IO[bytes]) -> Iterator[Any]:
    try:
        yield from ijson.items(fh, "objects.item", use_float=True)
    except ijson.JSONError as exc:
        raise BundleError(f"the file is not valid JSON: {exc}") from None


def _object_id(obj: Any) -> str:
    oid = obj.get("id") if isinstance(obj, dict) else None
    return oid if isinstance(oid, str) and len(oid) <= 300 else "(no valid id)"


class _Importer:
    def __init__(self, node: Node, user: User, errors_out: IO[str] | None, batch: int) -> None:
        self.node, self.user, self.errors_out, self.size = node, user, errors_out, batch
        self.report = ImportReport()
        self.pending: list[tuple[int, Draft]] = []
        self.pending_bytes = 0

    def fail(self, index: int, object_id: str, reason: str) -> None:
        error = ObjectError(index, object_id, reason)
        self.report.invalid += 1
        if len(self.report.errors) < KEPT_ERRORS:
            self.report.errors.append(error)
        if self.errors_out is not None:
            line = {"index": index, "id": object_id, "reason": reason}
            self.errors_out.write(json.dumps(line, ensure_ascii=False) + "\n")

    def check(self, index: int, obj: Any) -> Draft | None:
        """The object as a draft ready to write, or None with its error recorded."""
        node = self.node
        otype = obj.get("type") if isinstance(obj, dict) else None
        if otype == "marking-definition" and _object_id(obj) in node.context.catalog:
            self.report.unchanged += 1  # TLP and other definitions every node holds
            return None
        record_type = BY_NAME.get(otype) if isinstance(otype, str) else None
        if record_type is not None and record_type.kind is not RecordKind.INTEL:
            self.fail(index, _object_id(obj), "an agreement record is never intelligence")
            return None
        problems = [] if otype in META_TYPES else validate_object(obj)
        if problems:
            reasons = [f"{p.path}: {p.message}" if p.path else p.message for p in problems]
            self.fail(index, _object_id(obj), problems_text(reasons))
            return None
        try:
            draft = node.prepare(obj)
        except RecordError as exc:
            self.fail(index, _object_id(obj), str(exc))
            return None
        if draft.kind is RecordKind.REFERENCE and not self.user.has_any(("admin",)):
            self.fail(index, draft.object_id, f"writing a {draft.object_type} needs role admin")
            return None
        refusal = unmarked_refusal(node, draft) or self._gate_refusal(draft)
        if refusal is not None:
            self.fail(index, draft.object_id, refusal.removeprefix(f"{draft.object_id}: "))
            return None
        return draft

    def _gate_refusal(self, draft: Draft) -> str | None:
        """What `Node.write` would refuse the object for: no audience, or not its author."""
        node = self.node
        decision = node.audience(draft, node.applied_markings(draft), self.user.principal)
        if isinstance(decision, Refusal):
            return decision.reason
        if not decision.admits(self.user.recipient):
            return "its markings would withhold it from its own author"
        return None

    async def add(self, index: int, draft: Draft) -> None:
        self.pending.append((index, draft))
        self.pending_bytes += len(draft.body)
        # A marking definition is written at once: later objects may be marked by it.
        full = len(self.pending) >= self.size or self.pending_bytes >= BATCH_BYTES
        if full or draft.object_type == "marking-definition":
            await self.flush()

    async def flush(self) -> None:
        batch, self.pending, self.pending_bytes = self.pending, [], 0
        if not batch:
            return
        try:
            await self._write([d for _, d in batch])
        except (RecordError, WriteRefused):
            for index, draft in batch:  # attribute the refusal to its object
                try:
                    await self._write([draft])
                except (RecordError, WriteRefused) as exc:
                    reason = exc.message if isinstance(exc, WriteRefused) else str(exc)
                    self.fail(index, draft.object_id, reason.removeprefix(f"{draft.object_id}: "))

    async def _write(self, drafts: list[Draft]) -> None:
        objs = [d.obj for d in drafts]
        appended = await self.node.write(objs, user=self.user, prepared=drafts)
        for a in appended:
            if a.duplicate:
                self.report.unchanged += 1
            else:
                self.report.written += 1


async def import_bundle(
    node: Node,
    user: User,
    path: Path,
    *,
    batch: int = 500,
    errors_out: IO[str] | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Import every valid object of the bundle at `path`; report the others.

    Raises BundleError, having written nothing, when the file is not a STIX bundle.
    """
    importer = _Importer(node, user, errors_out, batch)
    with path.open("rb") as fh:
        total = fh.seek(0, os.SEEK_END)
        fh.seek(0)
        _check_bundle(fh)
        for index, obj in enumerate(_objects(fh)):
            importer.report.read += 1
            draft = importer.check(index, obj)
            if draft is not None:
                await importer.add(index, draft)
            if progress is not None and index % 200 == 0:
                progress(fh.tell(), total, importer.report)
        await importer.flush()
        if progress is not None:
            progress(total, total, importer.report)
    return importer.report

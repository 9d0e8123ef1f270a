"""What the writer takes and gives back: signed versions, jobs, outcomes, refusals."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncConnection

from acuerdo.ledger.access import extend_catalog
from acuerdo.ledger.audit import AuditEntry
from acuerdo.ledger.frozen import quick_init
from acuerdo.ledger.record import Draft
from acuerdo.markings import MarkingCatalog
from acuerdo.release import Audience, SharingPolicy


class WriteRefused(Exception):
    """A version may not be written; nothing of its job was written."""

    def __init__(self, rule: str, message: str, status: int = 409) -> None:
        super().__init__(message)
        self.rule = rule
        self.message = message
        self.status = status


class PrecedingWriteFailed(Exception):
    """A job queued to follow another (`Job.after`) was not written: that one failed."""


@quick_init
@dataclass(frozen=True)
class Signed:
    """A checked, signed version with what the node records beside it."""

    draft: Draft
    envelope: bytes
    signature: bytes
    origin: str
    author: str | None
    applied_markings: tuple[str, ...] = ()


@quick_init
@dataclass(frozen=True)
class Appended:
    """Where a version sits in the ledger; `duplicate` when it was already there."""

    seq: int
    object_id: str
    version_key: str
    sha256: str
    duplicate: bool
    current: bool
    audience: Audience | None


@dataclass
class Job:
    """One caller's request: versions to append (all or nothing) and audit entries."""

    versions: Sequence[Signed] = ()
    entries: Sequence[AuditEntry] = ()
    actor: str = "system"
    conflict_to_quarantine: bool = False
    # Steps run in the job's transaction after its rows are written (federation stores its
    # cursor and quarantine with the versions it applies); skipped for a refused job.
    in_transaction: Sequence[Callable[[AsyncConnection], Awaitable[None]]] = ()
    future: asyncio.Future[list[Appended]] = field(default_factory=asyncio.Future)
    # A job queued before an earlier one is written, to be written only if that one is (a
    # puller queues its next page so); never in the same transaction as it.
    after: asyncio.Future[list[Appended]] | None = None


@dataclass
class WriteFacts:
    """What the writer knows of the transaction its projectors run in, set before they run.

    Both default to the cautious answer, so a projector that relies on them reads the
    database whenever the writer could not vouch for what it staged.
    """

    # Were grants recomputed after staging (an object others refer to changed)? Then a
    # version's grant rows may differ from the partners staged beside it.
    regranted: bool = True
    # May an object stored before this transaction refer to one it writes? (A referrer
    # staged in it was staged knowing the audiences of what it refers to; what it refers
    # to changed those only where grants were recomputed, `regranted`.)
    referenced: bool = True


@quick_init
@dataclass(frozen=True)
class Projected:
    """A version just appended, as domain projections see it inside the write transaction."""

    seq: int
    draft: Draft
    current: bool
    author: str | None
    envelope: bytes = b""
    signature: bytes = b""
    # Partner nodes the gate released the version to when it was staged (its grant rows,
    # unless `facts.regranted`).
    partners: tuple[str, ...] = ()
    facts: WriteFacts = field(default_factory=WriteFacts)
    # No version of the object was stored before this transaction: a projection holds no
    # row of it from an earlier one, and its newest version is among `versions`.
    new_object: bool = False


class Projector(Protocol):
    """A domain view kept in the same transaction as the append (presence, for example).

    It must give the same state whatever order versions arrive in: it sees every appended
    version, current or not, and decides from version keys, never from arrival order.
    """

    async def project(
        self, conn: AsyncConnection, dialect: str, versions: Sequence[Projected]
    ) -> None: ...


@dataclass
class WriterContext:
    """What the writer needs to know about its node to decide grants and outboxes."""

    party: str
    partners: tuple[str, ...]
    policy: SharingPolicy
    catalog: MarkingCatalog
    party_identities: frozenset[str] = frozenset()
    projectors: list[Projector] = field(default_factory=list)
    # Called after every commit (live streams and the federation feed wake on it).
    commit_listeners: list[Callable[[], None]] = field(default_factory=list)

    def after_commit(self, definitions: Sequence[dict[str, object]]) -> None:
        """Marking definitions committed in this transaction become known to the gate."""
        if definitions:
            self.catalog = extend_catalog(self.catalog, definitions)
        for listener in self.commit_listeners:
            listener()

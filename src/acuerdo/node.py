"""One party's node: its home directory, adopted agreement, keys, database and writer.

`init_node` creates a node (once); `Node.open` loads it, refusing to start with a missing or
readable key, an agreement that is not the adopted one, or a database it cannot reach.
Everything that reads or writes records goes through a `Node`: there is no other path to
the ledger that skips signing, the release gate or the audit chain.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import shutil
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import select

from acuerdo.agreement import Agreement, AgreementError, load_agreement, load_profile
from acuerdo.domains import install_domains
from acuerdo.domains.privacy import install_privacy
from acuerdo.ledger import keydir as node_keys
from acuerdo.ledger.audit import AuditEntry
from acuerdo.ledger.engine import Engines, create_engines
from acuerdo.ledger.keys import KeyPurpose
from acuerdo.ledger.reader import CursorCodec, RecordReader
from acuerdo.ledger.record import Draft, RecordError, prepare
from acuerdo.ledger.schema import upgrade
from acuerdo.ledger.sign_ahead import SignedAhead
from acuerdo.ledger.signer_process import SigningProcess
from acuerdo.ledger.signing import sign_hashes
from acuerdo.ledger.tables import ledger
from acuerdo.ledger.types import extension_definitions
from acuerdo.ledger.writer import LedgerWriter
from acuerdo.ledger.writes import Appended, Signed, WriterContext, WriteRefused
from acuerdo.markings import (
    TLP,
    TLP2_MARKING_IDS,
    MarkingCatalog,
    MarkingKind,
    standard_marking_definitions,
)
from acuerdo.policy import default_tlp, party_identity_id, sharing_policy
from acuerdo.release import (
    Audience,
    RecordFacts,
    RecordKind,
    Refusal,
    SharingPolicy,
    audience_of,
)
from acuerdo.settings import Settings
from acuerdo.users import BasicCache, User

Check = Callable[["Node", Draft, Sequence[Draft]], Awaitable[None]]
# A check that also needs who writes (None for the node itself): who may decide or amend.
AuthorCheck = Callable[["Node", Draft, Sequence[Draft], User | None], Awaitable[None]]
CONFIG_FILE = "node.json"
AGREEMENT_FILE = "agreement.yaml"
SECRET_FILE = "secret"  # noqa: S105 (a file name, not a secret)
KEYS_DIR = "keys"
SYSTEM = "system"
# Jobs of at most this many versions are signed on the event loop, jobs of at least
# SIGN_IN_PROCESS_MIN in the signing process, the others in a worker thread (Node._sign).
SIGN_IN_PLACE_MAX = 4
SIGN_IN_PROCESS_MIN = 64
# A large job's checks hand the event loop back this often (see `Node.prepare_all`).
PREPARE_YIELD_EVERY = 50


class NodeError(Exception):
    """The node cannot be created or started; the message says what to fix."""


@dataclass(frozen=True)
class NodeConfig:
    """What `acuerdo init` decided, kept in <home>/node.json."""

    party: str
    agreement_hash: str
    database_url: str | None
    created_at: str

    def to_json(self) -> str:
        return json.dumps(self.__dict__, indent=2, sort_keys=True) + "\n"


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def _resolve_agreement(name_or_path: str) -> tuple[Agreement, Path]:
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml") or path.exists():
        return load_agreement(path), path
    agreement = load_profile(name_or_path)
    if agreement.source_path is None:
        raise NodeError(f"profile {name_or_path!r} has no file to adopt")
    return agreement, Path(agreement.source_path)


async def init_node(
    settings: Settings, *, party: str, agreement: str, database_url: str | None = None
) -> NodeConfig:
    """Create a node in settings.home: keys, adopted agreement, secret, migrated database."""
    home = settings.home
    if (home / CONFIG_FILE).exists():
        raise NodeError(f"{home} already holds a node; choose another --home")
    adopted, source = _resolve_agreement(agreement)
    if adopted.party(party) is None:
        codes = ", ".join(p.code for p in adopted.model.parties)
        raise NodeError(f"party {party!r} is not a party to {adopted.model.agreement.id} ({codes})")
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    shutil.copyfile(source, home / AGREEMENT_FILE)
    now = datetime.now(UTC)
    node_keys.create_node_keys(home / KEYS_DIR, party, now=now)
    _write_private(home / SECRET_FILE, secrets.token_bytes(32))
    url = database_url or settings.database_url
    config = NodeConfig(party, adopted.hash, url, now.strftime("%Y-%m-%dT%H:%M:%SZ"))
    (home / CONFIG_FILE).write_text(config.to_json(), encoding="utf-8")
    node = await Node.open(settings)
    try:
        await node.bootstrap()
    finally:
        await node.close()
    return config


class Node:
    """A running node: use `await Node.open(settings)` and `await node.close()`."""

    def __init__(
        self,
        settings: Settings,
        config: NodeConfig,
        agreement: Agreement,
        keys: node_keys.NodeKeys,
        engines: Engines,
        secret: bytes,
        catalog: MarkingCatalog,
    ) -> None:
        self.settings = settings
        self.config = config
        self.party = config.party
        self.agreement = agreement
        self.keys = keys
        self.engines = engines
        self.secret = secret
        self.policy: SharingPolicy = sharing_policy(agreement)
        self.party_identities = frozenset(
            party_identity_id(p.code) for p in agreement.model.parties
        )
        partners = tuple(p.code for p in agreement.model.parties if p.code != config.party)
        self.context = WriterContext(
            config.party, partners, self.policy, catalog, self.party_identities
        )
        self.writer = LedgerWriter(
            engines,
            self.context,
            batch_max=settings.write_batch_max,
            sqlite_cache_mib=settings.sqlite_writer_cache_mib,
        )
        self.signing = SigningProcess(keys.signers[KeyPurpose.RECORDS])
        self.reader = RecordReader(engines.reader, CursorCodec(secret))
        self.basic_cache = BasicCache(secret, settings.basic_cache_seconds)
        # Domain rules run on every write of their record types, before signing; a check
        # refuses a version by raising RecordError (its message cites the rule).
        self.checks: dict[str, list[Check]] = {}
        self.author_checks: dict[str, list[AuthorCheck]] = {}
        # Checks that read nothing of the ledger (a puller may run them on a page before the
        # page queued ahead of it is written).
        self.ledger_free_checks: set[Check] = set()
        install_domains(self)
        install_privacy(self)
        from acuerdo.federation.service import install_federation

        self.federation = install_federation(self)

    @classmethod
    async def open(cls, settings: Settings) -> Node:
        """Load and check a node; raise NodeError with what to fix."""
        home = settings.home
        cfg_path = home / CONFIG_FILE
        if not cfg_path.exists():
            raise NodeError(
                f"no node in {home}: run `acuerdo --home {home} init --party ... --agreement ...`"
            )
        config = NodeConfig(**json.loads(cfg_path.read_text("utf-8")))
        try:
            agreement = load_agreement(home / AGREEMENT_FILE)
        except AgreementError as exc:
            raise NodeError(f"the adopted agreement no longer loads:\n{exc}") from None
        if agreement.hash != config.agreement_hash:
            raise NodeError(
                f"{home / AGREEMENT_FILE} has hash {agreement.hash[:16]}..., but this node adopted "
                f"{config.agreement_hash[:16]}...; restore the adopted agreement"
            )
        try:
            keys = node_keys.load_node_keys(home / KEYS_DIR)
        except node_keys.KeyFileError as exc:
            raise NodeError(str(exc)) from None
        secret_path = home / SECRET_FILE
        if not secret_path.exists() or secret_path.stat().st_mode & 0o077:
            raise NodeError(f"{secret_path} is missing or readable by others (chmod 600 it)")
        secret = secret_path.read_bytes()
        url = config.database_url or settings.resolved_database_url()
        engines = create_engines(url)
        await upgrade(engines.writer)
        catalog = await _load_catalog(engines)
        node = cls(settings, config, agreement, keys, engines, secret, catalog)
        await node.writer.start()
        return node

    async def close(self) -> None:
        await self.federation.stop()
        await self.writer.stop()
        await self.signing.close()
        await self.engines.dispose()

    async def bootstrap(self) -> None:
        """Write the reference objects every node holds: markings, extensions, own identity."""
        objs: list[Mapping[str, Any]] = [*standard_marking_definitions(), *extension_definitions()]
        party = self.agreement.party(self.party)
        assert party is not None
        stamp = self.config.created_at.replace("Z", ".000Z")
        objs.append(
            {
                "type": "identity",
                "spec_version": "2.1",
                "id": party_identity_id(self.party),
                "created": stamp,
                "modified": stamp,
                "name": party.name,
                "identity_class": "organization",
                "sectors": ["government-national"],
            }
        )
        await self.write(objs, user=None)

    def prepare(self, obj: Any) -> Draft:
        """Check one incoming object; RecordError says what is wrong."""
        return prepare(obj, writer_party=self.party, party_identities=self.party_identities)

    async def prepare_all(self, objs: Sequence[Any]) -> list[Draft]:
        """`prepare` each object, handing the event loop back every few dozen.

        A thousand records' checks are ~40 ms of CPU. Run in one go they hold the loop, and
        with it the single writer, whose next step (the answer of its database thread, a
        commit to acknowledge) waits behind them: on the batch bench the writer spent 45 µs
        a version waiting to read its own state. Yielding between checks lets it go on.
        """
        drafts: list[Draft] = []
        for i, obj in enumerate(objs, 1):
            drafts.append(self.prepare(obj))
            if i % PREPARE_YIELD_EVERY == 0:
                await asyncio.sleep(0)
        return drafts

    def applied_markings(self, draft: Draft) -> tuple[str, ...]:
        """The agreement's default TLP for a record that carries none, kept beside it."""
        catalog = self.context.catalog
        for mid in draft.markings:
            m = catalog.get(mid)
            if m is not None and m.kind is MarkingKind.TLP:
                return ()
        level = default_tlp(self.policy, draft.object_type, draft.kind)
        return () if level is None else (tlp_id(level),)

    def audience(
        self, draft: Draft, applied: tuple[str, ...], author: str | None
    ) -> Audience | Refusal:
        facts = RecordFacts(
            draft.object_type,
            draft.kind,
            draft.holder,
            author,
            draft.markings | frozenset(applied),
            draft.object_id,
        )
        return audience_of(facts, self.context.catalog, self.policy)

    async def write(
        self,
        objs: Sequence[Mapping[str, Any]],
        *,
        user: User | None,
        prepared: Sequence[Draft] | None = None,
        signed_ahead: SignedAhead | None = None,
    ) -> list[Appended]:
        """Check, mark, sign and append objects as one all-or-nothing job.

        A version the gate would release to no one (wrongly marked, or withheld even from its
        author) is refused before anything is written. `prepared` passes drafts a caller has
        already made with `prepare` from these objects, so they are not checked twice, and
        `signed_ahead` the signatures `sign_ahead` began for the first of them.
        """
        author = user.principal if user else None
        drafts = list(prepared) if prepared is not None else await self.prepare_all(objs)
        versions = self._gate_before_signing(drafts, user)
        for d in drafts:
            for check in self.checks.get(d.object_type, ()):
                await check(self, d, drafts)
            for author_check in self.author_checks.get(d.object_type, ()):
                await author_check(self, d, drafts, user)
        hashes = [d.sha256 for d, _ in versions]
        ahead = signed_ahead
        signatures = await (ahead.take(hashes, self._sign) if ahead else self._sign(hashes))
        signed = [
            Signed(d, env, sig, self.party, author, applied)
            for (d, applied), (env, sig) in zip(versions, signatures, strict=True)
        ]
        return await self.writer.append(signed, actor=author or SYSTEM)

    def _gate_before_signing(
        self, drafts: Sequence[Draft], user: User | None
    ) -> list[tuple[Draft, tuple[str, ...]]]:
        """Each draft with its applied markings, once the gate has an audience for it.

        The gate's answer depends on the record's facts, not on its id, so it is decided
        once per distinct (type, kind, holder, markings) in a job: a thousand indicators
        marked alike cost one decision. A refusal is raised at once, citing its record.
        """
        author = user.principal if user else None
        recipient = user.recipient if user is not None else None
        applied_for: dict[tuple[str, RecordKind, frozenset[str]], tuple[str, ...]] = {}
        admitted: set[tuple[object, ...]] = set()
        versions: list[tuple[Draft, tuple[str, ...]]] = []
        for d in drafts:
            marks = (d.object_type, d.kind, d.markings)
            applied = applied_for.get(marks)
            if applied is None:
                applied = applied_for[marks] = self.applied_markings(d)
            key = (*marks, d.holder, applied)
            if key not in admitted:
                decision = self.audience(d, applied, author)
                if isinstance(decision, Refusal):
                    raise RecordError(f"{d.object_id}: {decision.reason}")
                if recipient is not None and not decision.admits(recipient):
                    raise RecordError(
                        f"{d.object_id}: its markings would withhold it from its own author"
                    )
                admitted.add(key)
            versions.append((d, applied))
        return versions

    def sign_ahead(self, drafts: Sequence[Draft]) -> SignedAhead:
        """Begin signing drafts that a later `write` will hold first (`ledger.sign_ahead`)."""
        hashes = [d.sha256 for d in drafts]
        return SignedAhead(hashes, self._sign(hashes))

    async def _sign(self, hashes: list[str]) -> list[tuple[bytes, bytes]]:
        """Envelopes and signatures of records, given the SHA-256 of their canonical bytes.

        A job of a few records is signed in place: its signatures cost less than a hop to a
        worker and back, which a single API write would wait for. A large batch is signed in
        the signing process, where Ed25519 does not hold the event loop's GIL; the sizes
        between go to a worker thread.
        """
        signer = self.keys.signers[KeyPurpose.RECORDS]
        agreement, origin = self.agreement.hash, self.party
        if len(hashes) >= SIGN_IN_PROCESS_MIN:
            return await self.signing.sign_hashes(hashes, agreement_hash=agreement, origin=origin)
        sign = partial(sign_hashes, agreement_hash=agreement, origin=origin, signer=signer)
        if len(hashes) <= SIGN_IN_PLACE_MAX:
            return sign(hashes)
        return await asyncio.to_thread(sign, hashes)

    async def audit(self, entries: Sequence[AuditEntry]) -> None:
        """Append audit entries and wait for their commit."""
        await self.writer.audit(entries)


def tlp_id(level: TLP) -> str:
    """The TLP 2.0 marking-definition id of a level."""
    return TLP2_MARKING_IDS[level]


async def _load_catalog(engines: Engines) -> MarkingCatalog:
    """The gate's catalog: the pinned TLP ids plus every marking definition in the ledger."""
    async with engines.reader.connect() as conn:
        bodies = (
            await conn.execute(
                select(ledger.c.body).where(ledger.c.object_type == "marking-definition")
            )
        ).scalars()
        return MarkingCatalog.with_definitions(json.loads(b) for b in bodies)


__all__ = ["Node", "NodeConfig", "NodeError", "WriteRefused", "init_node"]

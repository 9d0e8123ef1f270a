"""Reading a large pulled page in a child process, so the event loop's thread stays free.

A catching-up puller reads page N+1 (JSON parse, signed head, hash chain, envelopes, the
records' canonical text and `prepare`, owner, Ed25519 signatures) while page N is written.
In the event loop's thread that reading is pure Python, and it holds the GIL: the writer's
SQLite thread, whose executemany needs the GIL back before every row, then advances about
a row per switch interval, and the two threads take turns on one core instead of sharing
two (bench/writer_gil.py, and bench/RESULTS.md's Federation section). Here the page's bytes,
as received and with the answer's signature already checked, go to `python -m
acuerdo.federation.reader_process`, which does the reading on the other core and hands
back each record's checked draft or the reason it is not authentic. The event loop then
only applies the markings this node adds and assesses the page against its ledger.

The child reads only what the parent hands it and decides nothing the in-process reading
would decide otherwise: it runs the same functions (`check_chain`, `read_draft`, the same
signature checks); tests/federation/test_reader_process.py holds the two to the same answers,
refusals and reasons included. It starts in the background on the first large page (pages
are read in process until it answers) and ends when its input closes (the puller closes,
or the parent dies). If it fails, the page is read in process and the next large page
starts a new child.

Frames both ways (acuerdo.childpipe): a 4-byte big-endian length, then a pickle. The parent
unpickles the child's answers with an unpickler that builds only the few classes an answer
holds, so even a child subverted by what it read could not make the parent run anything.
A draft travels as its plain fields (`pack`) and the parent parses the object again from
the canonical bytes (`unpack`): pickling the nested object cost 17-20 µs a record in the
child and 14-16 µs here, more than the reading it moved off the event loop saved.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import io
import json
import pickle
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import IO, Any

from acuerdo.childpipe import ChildPipe, ChildPipeError, read_frame, write_frame
from acuerdo.federation.authenticity import (
    Claim,
    Envelopes,
    PageKeys,
    Rejected,
    claim_of,
    read_draft,
    read_envelope,
    signatures_hold,
)
from acuerdo.federation.feed import head_signature_holds
from acuerdo.federation.outbox import WITHDRAWN
from acuerdo.federation.verify import check_chain
from acuerdo.ledger.keys import TrustStore
from acuerdo.ledger.record import Draft
from acuerdo.ledger.writer import GC_THRESHOLDS
from acuerdo.release import RecordKind

# A page read in the child: drafts and their envelope and signature bytes, or reasons.
Read = list[tuple[Draft, bytes, bytes] | Rejected]
# A draft as the child sends it: its fields but the object, which the parent parses again
# from the canonical bytes (json's C decoder costs less than unpickling the nested object
# would, and the parent's unpickler then builds no class of the ledger's).
Packed = tuple[str, str, str, str, str, str, bytes, str, tuple[str, ...], tuple[str, ...], bool]
Wire = list[tuple[Packed, bytes, bytes] | Rejected]  # `Read` as the child sends it


class ReaderProcessError(RuntimeError):
    """The reading process broke off or answered something unusable."""


class PageRefused(Exception):
    """The page as a whole cannot be used (its head); the message says why."""


@dataclass(frozen=True)
class Setup:
    """What the child needs to know of the two nodes, sent once."""

    partner: str  # the party pulled from
    party: str  # this node's party
    agreement: str  # the adopted agreement's hash
    party_identities: frozenset[str]
    partner_key: bytes  # the partner node's request key, which signs the heads


@dataclass(frozen=True)
class PageRead:
    """A page as the child read it; `tampered` and `records` hold entries only where refused."""

    head: dict[str, Any]
    entries: int
    through: tuple[int, str] | None
    broken: str | None
    tampered: list[tuple[dict[str, Any], str]]
    withdrawn: list[tuple[str, str]]
    records: list[dict[str, Any]]  # the entry where `read` refused it, else {}
    read: Read


def head_refusal(head: dict[str, Any], signature: str, setup: Setup) -> str | None:
    """Why a batch's head cannot be used, or None."""
    if not head_signature_holds(head, signature, setup.partner_key):
        return "the batch's head is not signed by the partner"
    if head.get("origin") != setup.partner or head.get("partner") != setup.party:
        return "the batch's head names other nodes"
    if head.get("agreement") != setup.agreement:
        return "the batch's head names another agreement"
    return None


def parse_feed(content: bytes) -> tuple[dict[str, Any], list[Any], str]:
    """A feed answer's head, entries and head signature; PageRefused if it is not one."""
    try:
        doc = json.loads(content)
        head, entries = doc.get("head") or {}, doc.get("entries") or []
        signature = str(doc.get("head_signature", ""))
    except (ValueError, AttributeError) as exc:
        raise PageRefused(f"the answer is not a feed batch: {exc}") from None
    if not isinstance(head, dict) or not isinstance(entries, list):
        raise PageRefused("the answer is not a feed batch: no head or no list of entries")
    return head, entries, signature


def read_page_bytes(
    content: bytes, cursor: tuple[int, str], setup: Setup, trust: TrustStore | None
) -> PageRead:
    """Read a feed answer's page as the puller does in process; PageRefused for its head."""
    head, entries, signature = parse_feed(content)
    refusal = head_refusal(head, signature, setup)
    if refusal is not None:
        raise PageRefused(refusal)
    checked = check_chain(entries, cursor, str(head.get("hash")))
    withdrawn, records = [], []
    for e in checked.good:
        if e.get("kind") == WITHDRAWN:
            withdrawn.append((str(e["id"]), str(e["version"])))
        else:
            records.append(e)
    keys = PageKeys(trust, setup.partner) if trust is not None else None
    read = read_entries(setup, records, keys, checked.raw)
    kept = [e if isinstance(r, Rejected) else {} for e, r in zip(records, read, strict=True)]
    return PageRead(
        head, len(entries), checked.through, checked.broken, checked.tampered, withdrawn, kept, read
    )


def pack(draft: Draft) -> Packed:
    """A draft's fields for the parent, without its object (see `Packed`)."""
    d = draft
    return (
        d.object_type, d.object_id, d.owner, d.holder, d.version_key, d.kind.value, d.body,
        d.sha256, tuple(d.markings), tuple(d.refs), d.revoked,
    )  # fmt: skip


def unpack(packed: Packed) -> Draft:
    """The draft `pack` sent: the object parsed again from its canonical bytes, which the
    child checked are the canonical form of that very object."""
    object_type, object_id, owner, holder, key, kind, body, sha256, marks, refs, revoked = packed
    return Draft(
        json.loads(body), object_type, object_id, owner, holder, key, RecordKind(kind), body,
        sha256, frozenset(marks), frozenset(refs), revoked,
    )  # fmt: skip


_checks: ThreadPoolExecutor | None = None


def _signature_checks() -> ThreadPoolExecutor:
    """The child's one thread for Ed25519 checks (PyNaCl releases the GIL), kept for its
    life so its CPU time shows among the process's threads."""
    global _checks
    if _checks is None:
        _checks = ThreadPoolExecutor(1, thread_name_prefix="signature-checks")
    return _checks


def read_entries(
    setup: Setup, entries: list[dict[str, Any]], keys: PageKeys | None, raw: dict[int, Any]
) -> Read:
    """`authenticity.read_records` without a node: the signatures are checked in a thread
    of this process while its main thread reads the records."""
    envelopes = Envelopes()
    heads: list[tuple[bytes, bytes] | Rejected] = []
    claims: list[Claim] = []
    claimed: list[int] = []
    for i, e in enumerate(entries):
        try:
            envelope, sig, origin, record_hash = read_envelope(e, setup.partner, raw, envelopes)
            if keys is not None:
                claims.append(claim_of(setup.agreement, record_hash, envelope, sig, origin, keys))
                claimed.append(i)
            heads.append((envelope, sig))
        except Rejected as exc:
            heads.append(exc)
    checking = _signature_checks().submit(signatures_hold, claims)
    out: Read = []
    for e, h in zip(entries, heads, strict=True):
        if isinstance(h, Rejected):
            out.append(h)
            continue
        try:
            out.append((read_draft(setup.party_identities, setup.partner, e), *h))
        except Rejected as exc:
            out.append(exc)
    held = checking.result()
    for i, ok in zip(claimed, held, strict=True):
        if not ok and not isinstance(out[i], Rejected):
            key_id = Envelopes().read(heads[i][0]).key_id  # type: ignore[index]
            out[i] = Rejected(f"signature: bad signature by key {key_id}")
    return out


def serve(src: IO[bytes], out: IO[bytes]) -> None:
    """The child's loop: the setup, then pages until its input closes."""
    first = read_frame(src)
    if first is None:
        return
    setup: Setup = pickle.loads(first)  # noqa: S301 (from the parent that started it)
    # A page makes tens of thousands of containers that live until it is answered: with the
    # collector's default threshold it would walk them dozens of times a page, in vain.
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
    while (request := read_frame(src)) is not None:
        message = pickle.loads(request)  # noqa: S301
        if message is None:  # the parent asks whether this process has started
            write_frame(out, READY)
            continue
        content, cursor, trust = message
        answer: tuple[str, Any]
        try:
            page = read_page_bytes(content, cursor, setup, trust)
            packed: Wire = [
                r if isinstance(r, Rejected) else (pack(r[0]), r[1], r[2]) for r in page.read
            ]
            answer = ("page", (replace(page, read=[]), packed))
        except PageRefused as exc:
            answer = ("refused", str(exc))
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            answer = ("refused", f"the answer is not a feed batch: {exc}")
        write_frame(out, pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL))


# What an answer may hold beside builtins: the classes the parent lets its unpickler build.
_ANSWER_CLASSES = {
    ("acuerdo.federation.reader_process", "PageRead"),
    ("acuerdo.federation.authenticity", "Rejected"),
    ("builtins", "frozenset"),
    ("builtins", "set"),
}


class _AnswerUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in _ANSWER_CLASSES:
            raise ReaderProcessError(f"the reading process answered a {module}.{name}")
        return super().find_class(module, name)


def decode_answer(data: bytes) -> PageRead:
    """The child's answer; PageRefused for a refused page, ReaderProcessError if unusable."""
    try:
        kind, value = _AnswerUnpickler(io.BytesIO(data)).load()
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError) as exc:
        raise ReaderProcessError(f"unreadable answer: {exc}") from None
    if kind == "refused" and isinstance(value, str):
        raise PageRefused(value)
    try:
        page, packed = value
        if kind != "page" or not isinstance(page, PageRead):
            raise TypeError("not a page")
        read: Read = [r if isinstance(r, Rejected) else (unpack(r[0]), r[1], r[2]) for r in packed]
    except (ValueError, TypeError, IndexError) as exc:
        raise ReaderProcessError(f"the reading process answered no usable page: {exc}") from None
    return replace(page, read=read)


# The child's answer to the parent's first question (is it up?).
READY = b"acuerdo-reader-ready"


class ReaderProcess:
    """One child process reading one partner's large pages; `close` ends it.

    `start` launches it in the background; until it has answered (`ready`) the puller reads
    pages itself: the child's start-up (~0.5 s of imports) would otherwise stall the stream
    on the first large page (at 1,000 records/s, p99 publish-to-visible went from ~120 to
    ~600 ms).
    """

    def __init__(self, setup: Setup) -> None:
        first = pickle.dumps(setup, protocol=pickle.HIGHEST_PROTOCOL)
        self._pipe = ChildPipe("acuerdo.federation.reader_process", first)
        self._starting: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start the child and ask it whether it is up, without waiting for the answer."""
        if self._starting is None:
            self._starting = asyncio.create_task(self._ask_ready())

    async def _ask_ready(self) -> None:
        answer = await asyncio.to_thread(self._pipe.round_trip, pickle.dumps(None))
        if answer != READY:
            raise ReaderProcessError("the reading process answered no greeting")

    @property
    def ready(self) -> bool:
        """Has the child started and answered?"""
        s = self._starting
        return s is not None and s.done() and not s.cancelled() and s.exception() is None

    @property
    def failed(self) -> bool:
        """Did the child fail to start?"""
        s = self._starting
        return s is not None and s.done() and (s.cancelled() or s.exception() is not None)

    async def read(
        self, content: bytes, cursor: tuple[int, str], trust: TrustStore | None
    ) -> PageRead:
        """The page read in the child (PageRefused for its head; ReaderProcessError, with
        the child ended, when the child failed: the caller reads the page itself)."""
        request = pickle.dumps((content, cursor, trust), protocol=pickle.HIGHEST_PROTOCOL)
        try:
            answer = await asyncio.to_thread(self._pipe.round_trip, request)
            return decode_answer(answer)
        except (OSError, ChildPipeError, ReaderProcessError) as exc:
            await self.close()
            raise ReaderProcessError(f"the reading process failed: {exc}") from None

    async def close(self) -> None:
        if self._starting is not None and not self._starting.done():
            self._starting.cancel()
            with contextlib.suppress(BaseException):
                await self._starting
        await asyncio.to_thread(self._pipe.end)


if __name__ == "__main__":
    # Through the module's own name, so what the child pickles names
    # acuerdo.federation.reader_process's classes, not __main__'s.
    from acuerdo.federation import reader_process

    reader_process.serve(sys.stdin.buffer, sys.stdout.buffer)

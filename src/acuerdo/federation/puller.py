"""The pulling half: one task per partner, resuming from the stored cursor.

Each round sends the cursor and the hash of the last applied entry, signed (RFC 9421). The
answer must be signed by the partner for this very request; its batch must end at a head the
partner signed, and chain back to the cursor. Then the batch is applied in one writer
transaction with the new cursor. A partner that does not answer is retried with exponential
backoff and full jitter; it never holds the writer, so local writes go on. Divergence stops
pulling from that partner until an operator runs `acuerdo federation resume`.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import random
import secrets
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import httpx
from sqlalchemy import text

from acuerdo.federation.apply import (
    CursorState,
    ReadPage,
    apply_plan,
    assess,
    load_cursor,
    read_page,
    record_status,
)
from acuerdo.federation.authenticity import Applied, Rejected, with_markings
from acuerdo.federation.feed import RESPONSE_HEADER, response_signature_holds
from acuerdo.federation.httpsig import sign_request
from acuerdo.federation.partners import Partner
from acuerdo.federation.prefetch import Cursor, Prefetch, forget
from acuerdo.federation.queued import QueuedPages
from acuerdo.federation.reader_process import (
    PageRead,
    PageRefused,
    ReaderProcess,
    ReaderProcessError,
    Setup,
    head_refusal,
    parse_feed,
)
from acuerdo.federation.tables import federation_partners
from acuerdo.federation.tls import client_context
from acuerdo.federation.verify import Checked, check_chain
from acuerdo.federation.witness import WitnessRefused, receive_head
from acuerdo.ledger.audit import AuditEntry
from acuerdo.ledger.keys import KeyCertificate, KeyPurpose, KeyRevocation, TrustStore
from acuerdo.ledger.signing import b64url_decode, key_id_for
from acuerdo.ledger.writer import utc_now
from acuerdo.ledger.writes import PrecedingWriteFailed, Signed

if TYPE_CHECKING:
    from acuerdo.node import Node

log = logging.getLogger("acuerdo.federation")


class PartnerRefused(Exception):
    """The partner's answer cannot be used; the message says why (kept as last error)."""


class Diverged(Exception):
    """The partner's outbox does not continue from what this node applied."""


def trust_from_bundle(node: Node, partner: Partner, bundle: dict[str, Any]) -> TrustStore:
    """The partner's working keys, checked against its root (and the agreement's pins)."""
    if bundle.get("party") != partner.party:
        raise PartnerRefused(f"the node at {partner.url} is {bundle.get('party')}'s")
    if bundle.get("agreement") != node.agreement.hash:
        raise PartnerRefused(
            f"{partner.party} runs agreement {str(bundle.get('agreement'))[:16]}..., this node "
            f"{node.agreement.hash[:16]}...: no records are exchanged while they differ"
        )
    try:
        root = b64url_decode(bundle["root_public_key"])
        certs = [KeyCertificate.from_json(c) for c in bundle["certificates"]]
        revs = [KeyRevocation.from_json(r) for r in bundle["revocations"]]
        trust = TrustStore({partner.party: root}, certs, revs)
    except (KeyError, TypeError, ValueError) as exc:
        raise PartnerRefused(f"{partner.party}'s key bundle is unusable: {exc}") from None
    pinned = node.agreement.party(partner.party).root_keys
    if pinned and bundle["root_public_key"] not in {k.public_key for k in pinned}:
        raise PartnerRefused(f"{partner.party}'s root key {key_id_for(root)} is not pinned")
    certified = any(c.key_id == partner.key_id and c.purpose == KeyPurpose.REQUESTS for c in certs)
    if not certified and key_id_for(root) != partner.key_id:
        raise PartnerRefused(f"{partner.party}'s root does not certify key {partner.key_id}")
    return trust


@dataclass(frozen=True)
class Pulled:
    """One page as pulled and read: its signed head, the chain's verdict, its records."""

    head: dict[str, Any]
    entries: int
    checked: Checked
    page: ReadPage


class Puller:
    """Pulls one partner's outbox for this node.

    When behind, the next page is requested, chain-checked and read (record form, owner,
    signatures) while the current one is assessed and written: what needs this node's
    ledger waits for the previous page's commit, what needs only the page does not.
    """

    def __init__(self, node: Node, partner: Partner) -> None:
        self.node = node
        self.partner = partner
        wait = node.settings.federation_wait_seconds
        self.client = httpx.AsyncClient(
            timeout=httpx.Timeout(10.0, read=wait + 15.0), verify=client_context(node.settings)
        )
        self.trust: TrustStore | None = None
        self.failures = 0
        self._witness_due = 0.0  # monotonic time of the next audit-head fetch
        # The next page, pulled and read while the current one is applied (when behind).
        self._ahead: tuple[CursorState, asyncio.Task[Pulled]] | None = None
        # Large pages are read in a child process, started on the first one.
        self._reader: ReaderProcess | None = None
        # The page after the one being read is requested as soon as that one arrives.
        self._prefetch = Prefetch(self._request_page)
        # Pages queued to the writer and not yet written, oldest first.
        self._queued = QueuedPages()

    @property
    def applied(self) -> int:
        """Versions applied from this partner by this puller."""
        return self._queued.applied

    async def close(self) -> None:
        self._drop_ahead()
        self._queued.forget()
        await self.client.aclose()
        if self._reader is not None:
            await self._reader.close()

    def _drop_ahead(self) -> None:
        """Forget a page fetched ahead (its cursor was not reached); its outcome is unused."""
        self._prefetch.drop()
        if self._ahead is not None:
            forget(self._ahead[1])
            self._ahead = None

    async def _request_page(self, cursor: Cursor) -> bytes:
        """One feed request: the page after `cursor`, waiting for entries when there are none."""
        after, last = cursor
        wait = self.node.settings.federation_wait_seconds
        params = {"after": after, "last": last, "wait": wait}
        return await self.request_bytes("/federation/v1/feed", params)

    async def _page(self, cursor: CursorState) -> Pulled:
        """The page after the cursor: the one pulled ahead for it, or a new one."""
        if self._ahead is not None:
            ahead, task = self._ahead
            if (ahead.oseq, ahead.entry_hash) == (cursor.oseq, cursor.entry_hash):
                self._ahead = None
                return await task
        self._drop_ahead()
        return await self._pull(cursor)

    async def _pull(self, cursor: CursorState) -> Pulled:
        """Request the page after the cursor, check its head and chain, read its records."""
        content = await self._prefetch.page((cursor.oseq, cursor.entry_hash))
        trust = self.trust if self.node.settings.federation_verify_records else None
        return await self._read(content, cursor, trust)

    async def _read(self, content: bytes, cursor: CursorState, trust: TrustStore | None) -> Pulled:
        """A feed answer's page, checked and read: a large one whose signatures are checked
        in the reading process (without those checks the child saves less than its
        answer's unpickling costs: bench/RESULTS.md, Federation)."""
        least = self.node.settings.federation_reader_min_bytes
        if trust is not None and least >= 0 and len(content) >= least:
            reader = await self._reading_process()
            if reader is not None:
                try:
                    return await self._pull_in_child(reader, content, cursor, trust)
                except ReaderProcessError:  # it failed (and ended): read here, start anew
                    self._reader = None
        try:
            head, entries, signature = parse_feed(content)
        except PageRefused as exc:
            raise PartnerRefused(str(exc)) from None
        self._check_head(head, signature)
        checked = check_chain(entries, (cursor.oseq, cursor.entry_hash), str(head.get("hash")))
        page = await read_page(self.node, self.partner.party, checked.good, trust, checked.raw)
        return Pulled(head, len(entries), checked, page)

    async def _reading_process(self) -> ReaderProcess | None:
        """The reading process once it has started; None until then (the page is read here
        meanwhile), and a process that failed to start is replaced on the next call."""
        if self._reader is not None and self._reader.failed:
            reader, self._reader = self._reader, None
            await reader.close()
        if self._reader is None:
            node, party = self.node, self.partner.party
            self._reader = ReaderProcess(
                Setup(party, node.party, node.agreement.hash, node.party_identities,
                      self.partner.public_key)
            )  # fmt: skip
            self._reader.start()
        return self._reader if self._reader.ready else None

    async def _pull_in_child(
        self, reader: ReaderProcess, content: bytes, cursor: CursorState, trust: TrustStore | None
    ) -> Pulled:
        """The page read by the reading process; only the markings this node applies by
        default are added here (they depend on this node's catalog)."""
        catalog = self.node.context.catalog
        try:
            got: PageRead = await reader.read(content, (cursor.oseq, cursor.entry_hash), trust)
        except PageRefused as exc:
            raise PartnerRefused(str(exc)) from None
        applied: Applied = {}
        party = self.partner.party
        read: list[Signed | Rejected] = [
            r if isinstance(r, Rejected) else with_markings(self.node, party, applied, *r)
            for r in got.read
        ]
        checked = Checked(tampered=got.tampered, broken=got.broken, through=got.through)
        page = ReadPage(got.withdrawn, got.records, read, catalog)
        return Pulled(got.head, got.entries, checked, page)

    def backoff(self) -> float:
        """Exponential backoff with full jitter, capped by the setting."""
        cap = self.node.settings.federation_backoff_max_seconds
        return random.uniform(0, min(cap, 0.25 * 2**self.failures))  # noqa: S311

    async def run(self) -> None:
        """Pull for ever; on PostgreSQL only while holding this partner's advisory lock, so
        several processes serving one node run one puller per partner between them."""
        if self.node.engines.dialect != "postgresql":
            await self._pull_forever()
            return
        key = int.from_bytes(hashlib.sha256(f"puller:{self.partner.party}".encode()).digest()[:7])
        async with self.node.engines.reader.connect() as conn:
            while not (
                await conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key})
            ).scalar():
                await conn.commit()
                await asyncio.sleep(self.node.settings.federation_backoff_max_seconds)
            await conn.commit()
            try:
                await self._pull_forever()
            finally:
                with contextlib.suppress(Exception):
                    await conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})

    async def _pull_forever(self) -> None:
        while True:
            try:
                last = self._queued.last
                # A page still being written: pull on from where it ends.
                queued_end = last.end if last is not None else None
                cursor = queued_end or await load_cursor(self.node, self.partner.party)
                if cursor.diverged:
                    await asyncio.sleep(self.node.settings.federation_backoff_max_seconds)
                    continue
                await self._round(cursor, pipelined=True)
                await self._witness_if_due()
                self.failures = 0
            except asyncio.CancelledError:
                self._drop_ahead()
                self._queued.forget()
                raise
            except PrecedingWriteFailed:
                # A page queued behind one whose bundle was refused and then applied one
                # version at a time: nothing of it was written; pull it again from the cursor.
                self._drop_ahead()
            except Diverged as exc:
                self._drop_ahead()
                await self._queued.settle_quietly()
                await self._diverged(str(exc))
            except (PartnerRefused, httpx.HTTPError, OSError) as exc:
                self._drop_ahead()
                await self._queued.settle_quietly()
                self.failures += 1
                reason = str(exc) or type(exc).__name__
                log.warning("pull from %s: %s", self.partner.party, reason)
                await record_status(self.node, self.partner.party, {"last_error": reason})
                await asyncio.sleep(self.backoff())

    async def _witness_if_due(self) -> None:
        """Every `federation_witness_seconds`, fetch and keep the partner's signed audit head.

        A failure is logged and tried again next period: it must not slow the record stream
        (a partner running an older version has no such route)."""
        if time.monotonic() < self._witness_due:
            return
        self._witness_due = time.monotonic() + self.node.settings.federation_witness_seconds
        try:
            await receive_head(self.node, self.partner.party, self.partner.public_key, self.request)
        except (PartnerRefused, Diverged, WitnessRefused, httpx.HTTPError, OSError) as exc:
            log.warning("audit head from %s: %s", self.partner.party, exc)

    async def _diverged(self, reason: str) -> None:
        party = self.partner.party
        cursor = await load_cursor(self.node, party)
        state = CursorState(cursor.oseq, cursor.entry_hash, reason)
        await self.node.audit([AuditEntry(f"node:{party}", "federation.divergence", party, {})])
        from acuerdo.federation.apply import Plan

        await apply_plan(self.node, party, Plan(), state, {"last_error": reason})

    async def request(self, path: str, params: dict[str, Any]) -> dict[str, Any]:
        """One signed GET to the partner, its answer parsed (`request_bytes`)."""
        document: dict[str, Any] = json.loads(await self.request_bytes(path, params))
        return document

    async def request_bytes(self, path: str, params: dict[str, Any]) -> bytes:
        """One signed GET to the partner; its answer must be signed for this request."""
        url = f"{self.partner.url}{path}" + (f"?{urlencode(params)}" if params else "")
        nonce = secrets.token_urlsafe(24)
        signer = self.node.keys.signer(KeyPurpose.REQUESTS)
        headers = sign_request("GET", url, b"", signer, self.node.agreement.hash, nonce=nonce)
        r = await self.client.get(url, headers=headers)
        if r.status_code != 200:
            try:
                problem = r.json()
            except ValueError:
                problem = {"detail": r.text[:200]}
            code = str(problem.get("type", "")).rsplit(":", 1)[-1]
            if code == "divergence":
                raise Diverged(str(problem.get("detail")))
            raise PartnerRefused(f"{r.status_code} {code}: {problem.get('detail')}")
        signature = r.headers.get(RESPONSE_HEADER, "")
        if not response_signature_holds(signature, nonce, r.content, self.partner.public_key):
            raise PartnerRefused("the answer is not signed by the partner for this request")
        return r.content

    async def hello(self) -> TrustStore:
        bundle = await self.request("/federation/v1/hello", {})
        trust = trust_from_bundle(self.node, self.partner, bundle)
        text = json.dumps(bundle, sort_keys=True)

        async def keep(conn: Any) -> None:
            p = federation_partners.c
            await conn.execute(
                federation_partners.update()
                .where(p.party == self.partner.party)
                .values(keys_bundle=text)
            )

        await self.node.writer.append([], actor=f"node:{self.partner.party}", in_transaction=[keep])
        return trust

    async def round(self, cursor: CursorState) -> int:
        """Pull and apply one batch; return how many entries it held."""
        return await self._round(cursor, pipelined=False)

    async def _round(self, cursor: CursorState, *, pipelined: bool) -> int:
        """Pull one batch and queue its transaction. `pipelined` (the puller's own loop)
        returns while a behind partner's page is still being written, once the page before
        it is: the writer then reads and stages this one while that one commits."""
        if self.trust is None:
            self.trust = await self.hello()
        pulled = await self._page(cursor)
        head, checked = pulled.head, pulled.checked
        behind = bool(
            checked.through and not checked.broken and checked.through[0] < int(head["outbox_oseq"])
        )
        if behind:
            # The next page travels and is read while this one is applied.
            assert checked.through is not None
            ahead = CursorState(*checked.through)
            self._ahead = (ahead, asyncio.create_task(self._pull(ahead)))
        if self._queued and not self._queued.may_assess_ahead(self.node, pulled.page):
            await self._queued.settle()
        plan = await assess(self.node, pulled.page)
        plan.quarantined.extend(checked.tampered)
        now = utc_now()
        status: dict[str, Any] = {"last_contact": now, "partner_head": int(head["outbox_oseq"])}
        if checked.broken:
            status["last_error"] = checked.broken
            plan.quarantined.append(({"after": cursor.oseq, "head": head}, checked.broken))
        else:
            status["last_error"] = None
        through = checked.through
        new = CursorState(*through) if through else None
        if (through[0] if through else cursor.oseq) >= int(head["outbox_oseq"]):
            status["caught_up_at"] = now
        self._queued.add(self.node, self.partner.party, plan, new, status)
        await self._queued.settle(keep=1 if pipelined and behind else 0)
        if checked.broken:
            raise PartnerRefused(checked.broken)
        return pulled.entries

    def _check_head(self, head: dict[str, Any], signature: str) -> None:
        node, party = self.node, self.partner.party
        setup = Setup(party, node.party, node.agreement.hash, frozenset(), self.partner.public_key)
        refusal = head_refusal(head, signature, setup)
        if refusal is not None:
            raise PartnerRefused(refusal)

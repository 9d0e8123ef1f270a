"""Federation as a node carries it: the outbox projector, the nonce cache, the wake-up of
waiting feeds, the partner lookup for signed requests, and the pullers.

`install_federation` is called when a node is opened; the pullers only run in a serving
process (`start_pullers`), so a CLI command never starts pulling.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING, Any

from acuerdo.federation.httpsig import NonceCache
from acuerdo.federation.outbox import OUTBOX_CHANNEL, OutboxProjector
from acuerdo.federation.partners import Partner, list_partners
from acuerdo.streams.signal import CommitSignal

if TYPE_CHECKING:
    from acuerdo.federation.puller import Puller
    from acuerdo.node import Node


class Federation:
    """One node's federation state."""

    def __init__(self, node: Node) -> None:
        self.node = node
        window = node.settings.federation_window_seconds
        self.nonces = NonceCache(keep_seconds=2 * window + 5)
        # Wakes waiting feeds after each commit; a feed notes the generation it read at, so
        # a commit landing between its read and its wait is never missed.
        self.wakeup = CommitSignal()
        # Set when the serving process is asked to stop: waiting feeds answer at once.
        self.closing = False
        self.pullers: dict[str, Puller] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._listener: Any = None  # the asyncpg connection LISTENing on PostgreSQL
        partners = [p.code for p in node.agreement.model.parties if p.code != node.party]
        node.context.projectors.append(OutboxProjector(node.party, partners))
        node.context.commit_listeners.append(self.wakeup.notify)

    async def partner_by_key(self, key_id: str) -> Partner | None:
        """The partner whose requests key has this id (None: not a partner's key)."""
        for partner in await list_partners(self.node.engines.reader):
            if partner.key_id == key_id:
                return partner
        return None

    async def start_pullers(self) -> None:
        """Start one puller per configured partner (a serving process calls this)."""
        from acuerdo.federation.puller import Puller

        for partner in await list_partners(self.node.engines.reader):
            if partner.party in self._tasks:
                continue
            puller = Puller(self.node, partner)
            self.pullers[partner.party] = puller
            self._tasks[partner.party] = asyncio.create_task(
                puller.run(), name=f"acuerdo-puller-{partner.party}"
            )

    async def start_listening(self) -> None:
        """On PostgreSQL, wake waiting feeds on commits by any process serving this node.

        The outbox projector sends NOTIFY in the transaction that adds outbox entries, so
        PostgreSQL delivers it at commit; a feed in another process wakes at once instead
        of at its next half-second check (which stays, should this connection drop).
        """
        if self.node.engines.dialect != "postgresql" or self._listener is not None:
            return
        import asyncpg  # type: ignore[import-untyped]

        url = self.node.engines.writer.url.set(drivername="postgresql")
        dsn = url.render_as_string(hide_password=False)
        self._listener = await asyncpg.connect(dsn)
        await self._listener.add_listener(OUTBOX_CHANNEL, lambda *_: self.wakeup.notify())

    async def stop(self) -> None:
        if self._listener is not None:
            with contextlib.suppress(Exception):
                await self._listener.close()
            self._listener = None
        for task in self._tasks.values():
            task.cancel()
        for task in self._tasks.values():
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for puller in self.pullers.values():
            await puller.close()
        self._tasks.clear()
        self.pullers.clear()


def install_federation(node: Node) -> Federation:
    """Wire federation into a node being opened."""
    from acuerdo.federation import tables  # noqa: F401 (registers the tables' metadata)

    return Federation(node)

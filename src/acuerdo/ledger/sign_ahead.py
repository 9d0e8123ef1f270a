"""Signatures begun before their write: a large job's versions signed while its caller works on.

A write signs its versions once its checks pass, and its transaction waits for them: ~0.8 s
for the 21,000 versions of an import's first job, with nothing else for the writer to do.
An importer knows those versions long before (it prepares them while the sheet is still
being read), so it starts their signatures then (`Node.sign_ahead`), in the signing process,
and hands them to `Node.write` with the job.

The write uses them only for versions whose hashes they were made for, in the same order,
at the front of the job (what comes after, such as an import's orders, is signed then), and
only after every check of the write has passed: a refused write drops them, and they never
leave the process. A mismatch costs nothing but the time: the job is signed afresh.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Sequence

Signatures = list[tuple[bytes, bytes]]  # (envelope, signature) per record hash


class SignedAhead:
    """Signatures of these record hashes, being made."""

    def __init__(self, hashes: Sequence[str], signing: Awaitable[Signatures]) -> None:
        self.hashes = list(hashes)
        self._task: asyncio.Future[Signatures] = asyncio.ensure_future(signing)
        self._task.add_done_callback(_retrieve)

    async def take(
        self, hashes: list[str], sign: Callable[[list[str]], Awaitable[Signatures]]
    ) -> Signatures:
        """Signatures of `hashes`: these for the front they were made for, `sign` for the rest
        (for all of them when the front differs)."""
        count = len(self.hashes)
        if hashes[:count] != self.hashes:
            self.drop()
            return await sign(hashes)
        front = await self._task
        return front + (await sign(hashes[count:]) if len(hashes) > count else [])

    def drop(self) -> None:
        """Not wanted after all (a refused import): stop waiting for them."""
        self._task.cancel()


def _retrieve(task: asyncio.Future[Signatures]) -> None:
    """Take a dropped signing's outcome, so that its failure is not reported as unhandled."""
    with contextlib.suppress(asyncio.CancelledError, Exception):
        task.result()

"""Copying SQLite's write-ahead log back into the database beside the writer, not inside it.

In WAL mode every commit appends the pages it changed to the log, and by default the commit
that takes the log past 1,000 pages also copies the whole log back into the database file
and syncs it (the automatic checkpoint). The ledger's keys are random (STIX ids carry UUIDv4),
so each version dirties a page in each of several indexes; once those indexes outgrow a
batch, a batch of 1,000 versions changes thousands of pages. Measured on the batch bench,
the writer's COMMIT grew from 26 to 68 µs a version between 12,000 and 130,000 versions,
nearly all of it kernel time, and about half of it the checkpoint.

So the ledger writer's own connection turns the automatic checkpoint off, and this
checkpointer does the copying on a thread and a connection of its own: nudged after each
commit (and once a second regardless, for the node's other writers), it runs a PASSIVE
checkpoint, which never blocks the writer or a reader. sqlite3 leaves the GIL while the
checkpoint runs, so its copying and syncing happen on the other core while the writer stages
the next batch; the commit itself only appends to the log.

A PASSIVE checkpoint stops at the oldest page a reader still needs, and the log starts
over from its beginning only when a writer begins a transaction and finds it fully copied.
The writer begins its next transaction as soon as it has committed when batches queue, so
it would always find the copy in progress and the log would only grow. So once the log
has passed `long_log_pages` (64 MiB), the writer waits, before its next transaction, for the
pass its last commit asked for (`caught_up`): once every 16 or so batches it loses the time
of one pass, and the log starts over. Should a slow reader keep the log from starting over
until it passes four times that, the checkpointer asks for a RESTART checkpoint, which holds
new writers back while it waits for the readers of old snapshots, at most a quarter of a
second before it lets the writer go on and tries again at the next nudge.

Durability is unchanged: each commit still syncs the log (`synchronous=FULL`), and a
checkpoint syncs the database before any of the log is reused.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from dataclasses import dataclass

log = logging.getLogger(__name__)

IDLE_SECONDS = 1.0
LONG_LOG_PAGES = 16_384  # 64 MiB of 4 KiB pages
RESTART_WAIT_MS = 250


@dataclass
class CheckpointStats:
    """What the checkpointer has done, for tests and the node's metrics."""

    runs: int = 0
    restarts: int = 0
    failures: int = 0
    last_log_pages: int = 0  # pages in the log at the last checkpoint
    last_copied: int = 0  # of which copied to the database by then


class WalCheckpointer:
    """A thread that keeps one SQLite database's write-ahead log copied back and short."""

    def __init__(
        self,
        path: str,
        *,
        idle_seconds: float = IDLE_SECONDS,
        long_log_pages: int = LONG_LOG_PAGES,
    ) -> None:
        self._path = path
        self._idle = idle_seconds
        self.long_log_pages = long_log_pages
        self._cond = threading.Condition()
        self._asked = 0  # nudges so far
        self._done = 0  # nudges that a finished pass has covered
        self._stopping = False
        self._thread: threading.Thread | None = None
        self.stats = CheckpointStats()

    def start(self) -> None:
        if self._thread is None:
            self._stopping = False
            self._thread = threading.Thread(
                target=self._run, name="acuerdo-wal-checkpointer", daemon=True
            )
            self._thread.start()

    def nudge(self) -> None:
        """A commit added pages to the log: copy them back soon. Safe from any thread."""
        with self._cond:
            self._asked += 1
            self._cond.notify_all()

    @property
    def log_is_long(self) -> bool:
        """Has the log grown past the point where the writer should let it start over?"""
        return self.stats.last_log_pages >= self.long_log_pages

    def caught_up(self, timeout: float) -> bool:
        """Block until a pass has run since the last nudge (False on timeout or stopped)."""
        thread = self._thread
        if thread is None or not thread.is_alive():
            return False
        with self._cond:
            return (
                self._cond.wait_for(
                    lambda: self._done >= self._asked or not thread.is_alive(), timeout
                )
                and self._done >= self._asked
            )

    def stop(self) -> None:
        """Copy what is left and stop the thread (blocking: call it off the event loop)."""
        thread = self._thread
        if thread is not None:
            with self._cond:
                self._stopping = True
                self._cond.notify_all()
            thread.join()
            self._thread = None

    def _run(self) -> None:
        db = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
        try:
            # The checkpoint syncs the database file before the log may be overwritten.
            db.execute("PRAGMA synchronous=FULL")
            # Only RESTART waits (PASSIVE never does), and it holds writers back meanwhile.
            db.execute(f"PRAGMA busy_timeout={RESTART_WAIT_MS}")
            while True:
                with self._cond:
                    self._cond.wait_for(
                        lambda: self._stopping or self._asked > self._done, self._idle
                    )
                    asked, stopping = self._asked, self._stopping
                self.checkpoint(db)
                with self._cond:
                    self._done = asked
                    self._cond.notify_all()
                if stopping:
                    return
        finally:
            db.close()

    def checkpoint(self, db: sqlite3.Connection) -> None:
        """One PASSIVE checkpoint (RESTART when a reader has kept the log from starting over)."""
        try:
            busy, pages, copied = _checkpoint(db, "PASSIVE")
            if pages >= 4 * self.long_log_pages:
                busy, pages, copied = _checkpoint(db, "RESTART")
                self.stats.restarts += 1
        except sqlite3.Error as exc:
            # A checkpoint that cannot run now (a locked or closing database) is retried at
            # the next nudge; the log only grows meanwhile, nothing is lost.
            self.stats.failures += 1
            log.warning("WAL checkpoint of %s failed: %s", self._path, exc)
            return
        self.stats.runs += 1
        self.stats.last_log_pages, self.stats.last_copied = pages, copied
        del busy  # a busy PASSIVE checkpoint is normal: it copied what it could


def _checkpoint(db: sqlite3.Connection, mode: str) -> tuple[int, int, int]:
    # fetchall, not fetchone: a statement left unfinished keeps a read lock on the log,
    # and a log someone still reads can never start over (it would only grow).
    ((busy, pages, copied),) = db.execute(f"PRAGMA wal_checkpoint({mode})").fetchall()
    return int(busy), int(pages), int(copied)

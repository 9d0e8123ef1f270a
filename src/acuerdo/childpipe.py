"""A helper child process fed through a pipe: the signer's and the page reader's.

Some work of the node is CPU-bound Python (or C that holds the GIL) and must not take the
event loop's thread: signing batches (acuerdo.ledger.signer_process), reading pulled pages
(acuerdo.federation.reader_process). Each runs in a child, `python -m MODULE`, which reads a
first frame (what it needs once), then one request frame after another, answering each.
It ends when its input closes: when the node closes, or when the parent dies.

Frames both ways: a 4-byte big-endian length, then that many bytes. The child is started on
the first request; one that died between requests is replaced. Requests run in a worker
thread, where the pipe's I/O releases the GIL while the child works.
"""

from __future__ import annotations

import contextlib
import struct
import subprocess
import sys
import threading
from typing import IO

_LENGTH = struct.Struct(">I")


class ChildPipeError(RuntimeError):
    """The child broke off (ended, or cut a frame short)."""


def write_frame(out: IO[bytes], data: bytes) -> None:
    out.write(_LENGTH.pack(len(data)) + data)
    out.flush()


def read_frame(src: IO[bytes]) -> bytes | None:
    """The next frame, or None when the input ended between frames."""
    head = src.read(_LENGTH.size)
    if len(head) < _LENGTH.size:
        return None
    (size,) = _LENGTH.unpack(head)
    data = src.read(size)
    if len(data) < size:
        raise ChildPipeError("the frame was cut short")
    return data


class ChildPipe:
    """One child running `python -m module`, given `first` when it starts."""

    def __init__(self, module: str, first: bytes) -> None:
        self.module = module
        self.first = first
        self.child: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()

    def round_trip(self, request: bytes) -> bytes:
        """Send one request and wait for its answer (call it from a worker thread)."""
        with self._lock:
            child = self.child
            if child is not None and child.poll() is not None:
                finish(child)  # it died between requests
                child = self.child = None
            if child is None:
                child = self.child = subprocess.Popen(
                    [sys.executable, "-m", self.module],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                )
                assert child.stdin is not None
                write_frame(child.stdin, self.first)
            assert child.stdin is not None
            assert child.stdout is not None
            write_frame(child.stdin, request)
            answer = read_frame(child.stdout)
            if answer is None:
                raise ChildPipeError(f"the {self.module} process ended")
            return answer

    def end(self) -> None:
        """End the child (it answers what it was given first); the next request starts one."""
        with self._lock:
            child, self.child = self.child, None
        if child is not None:
            finish(child)


def finish(child: subprocess.Popen[bytes]) -> None:
    """Close the child's input (its loop ends there), wait for it, close its pipes."""
    try:
        if child.stdin is not None:
            with contextlib.suppress(OSError):  # a dead child's pipe may be broken
                child.stdin.close()
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
    finally:
        if child.stdout is not None:
            child.stdout.close()

"""Signing batches in a child process, so that Ed25519 runs beside the event loop.

OpenSSL's Ed25519, through `cryptography`, holds the GIL while it signs (45-75 µs a record
here). A worker thread signing a batch of 1,000 therefore takes that time from the event
loop, which meanwhile checks, gates and stages the next batch. A child process signs on the
other core instead: `python -m acuerdo.ledger.signer_process`, fed through its standard
input the working key's PEM (a pipe between two processes of the same user, as private as
the key file) and then, per batch, the SHA-256 of each record, 64 bytes a record. It answers
envelopes and signatures, the very bytes `sign_hashes` makes in place.

The child starts on the first large batch, so a CLI command that writes a few records never
starts one; it ends when its input closes (the node closes, or the parent dies). If it
fails, the batch is signed in a thread and the next batch starts a new child.

Frames both ways (acuerdo.childpipe): a 4-byte big-endian length, then the bytes. A request is
`agreement_hash \\n origin \\n hash hash ...` (hex, no separators between hashes); an answer
is `+` then per record a 2-byte envelope length, the envelope and the 64-byte signature,
or `-` and an error message.
"""

from __future__ import annotations

import asyncio
import struct
import subprocess
import sys
from collections.abc import Sequence
from functools import partial
from typing import IO

from acuerdo.childpipe import ChildPipe, ChildPipeError, read_frame, write_frame
from acuerdo.ledger.signing import FileSigner, sign_hashes

_ENVELOPE_LENGTH = struct.Struct(">H")
SIGNATURE_BYTES = 64


class SignerProcessError(RuntimeError):
    """The signing process broke off or answered an error."""


def encode_request(hashes: Sequence[str], agreement_hash: str, origin: str) -> bytes:
    return f"{agreement_hash}\n{origin}\n".encode("ascii") + "".join(hashes).encode("ascii")


def decode_request(data: bytes) -> tuple[list[str], str, str]:
    agreement_hash, origin, joined = data.decode("ascii").split("\n", 2)
    if len(joined) % 64:
        raise ValueError("the record hashes are not 64 hex digits each")
    return (
        [joined[i : i + 64] for i in range(0, len(joined), 64)],
        agreement_hash,
        origin,
    )


def encode_answer(signed: Sequence[tuple[bytes, bytes]]) -> bytes:
    parts = [b"+"]
    for envelope, signature in signed:
        parts += (_ENVELOPE_LENGTH.pack(len(envelope)), envelope, signature)
    return b"".join(parts)


def decode_answer(data: bytes, count: int) -> list[tuple[bytes, bytes]]:
    if data[:1] != b"+":
        raise SignerProcessError(data[1:].decode("utf-8", "replace") or "no answer")
    out: list[tuple[bytes, bytes]] = []
    at = 1
    for _ in range(count):
        (size,) = _ENVELOPE_LENGTH.unpack_from(data, at)
        at += _ENVELOPE_LENGTH.size
        envelope = data[at : at + size]
        signature = data[at + size : at + size + SIGNATURE_BYTES]
        at += size + SIGNATURE_BYTES
        out.append((envelope, signature))
    if at != len(data) or len(out[-1][1]) != SIGNATURE_BYTES:
        raise SignerProcessError("the answer does not hold one signature per record")
    return out


def serve(src: IO[bytes], out: IO[bytes]) -> None:
    """The child's loop: a key, then requests until its input closes."""
    pem = read_frame(src)
    if pem is None:
        return
    signer = FileSigner.from_pem(pem)
    while (request := read_frame(src)) is not None:
        try:
            hashes, agreement_hash, origin = decode_request(request)
            signed = sign_hashes(
                hashes, agreement_hash=agreement_hash, origin=origin, signer=signer
            )
            answer = encode_answer(signed)
        except ValueError as exc:
            answer = b"-" + str(exc).encode("utf-8")
        write_frame(out, answer)


class SigningProcess:
    """One child process that signs with one working key; `close` ends it."""

    def __init__(self, signer: FileSigner) -> None:
        self._signer = signer
        self._pipe = ChildPipe("acuerdo.ledger.signer_process", signer.to_pem())

    @property
    def _child(self) -> subprocess.Popen[bytes] | None:
        return self._pipe.child

    async def sign_hashes(
        self, hashes: Sequence[str], *, agreement_hash: str, origin: str
    ) -> list[tuple[bytes, bytes]]:
        """Envelopes and signatures of these record hashes, made in the child."""
        request = encode_request(hashes, agreement_hash, origin)
        try:
            answer = await asyncio.to_thread(self._pipe.round_trip, request)
            return decode_answer(answer, len(hashes))
        except (OSError, ChildPipeError, SignerProcessError):
            await self.close()
            sign = partial(sign_hashes, agreement_hash=agreement_hash, origin=origin)
            return await asyncio.to_thread(sign, list(hashes), signer=self._signer)

    async def close(self) -> None:
        """End the child (it signs what it was given first); the next batch starts another."""
        await asyncio.to_thread(self._pipe.end)


if __name__ == "__main__":
    serve(sys.stdin.buffer, sys.stdout.buffer)

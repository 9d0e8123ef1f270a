"""The text a QR code holds: prefix, then Base45 of zlib-compressed COSE_Sign1 bytes.

Base45 (RFC 9285) uses only characters of the QR alphanumeric mode, so the code is stored
at 5.5 bits a character. The prefix names the format version, so a reader tells a card from
any other QR code at once and a later format can coexist.
"""

from __future__ import annotations

import zlib

import base45  # type: ignore[import-untyped]

PREFIX = "SOFA1:"
MAX_INFLATED = 4096  # a card is a few hundred bytes; refuse zip bombs


class CodecError(ValueError):
    """Text that is not a status card code, and why."""


def encode(message: bytes) -> str:
    encoded: bytes = base45.b45encode(zlib.compress(message, 9))
    return PREFIX + encoded.decode("ascii")


def decode(text: str) -> bytes:
    """The COSE bytes inside a card code (surrounding whitespace tolerated)."""
    text = text.strip()
    if not text.startswith(PREFIX):
        raise CodecError(f"not a status card: the code does not start with {PREFIX!r}")
    try:
        compressed: bytes = base45.b45decode(text[len(PREFIX) :])
    except ValueError as exc:
        raise CodecError(f"not Base45: {exc}") from None
    inflater = zlib.decompressobj()
    try:
        data = inflater.decompress(compressed, MAX_INFLATED)
    except zlib.error as exc:
        raise CodecError(f"not zlib data: {exc}") from None
    if inflater.unconsumed_tail or not inflater.eof:
        raise CodecError("compressed data is truncated or too large for a card")
    return data

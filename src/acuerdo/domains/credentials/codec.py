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
_ALPHABET = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
_VALUES = bytes(_ALPHABET.index(i) if i in _ALPHABET else 255 for i in range(256))


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
    compressed = b45decode(text[len(PREFIX) :])
    inflater = zlib.decompressobj()
    try:
        data = inflater.decompress(compressed, MAX_INFLATED)
    except zlib.error as exc:
        raise CodecError(f"not zlib data: {exc}") from None
    if inflater.unconsumed_tail or not inflater.eof:
        raise CodecError("compressed data is truncated or too large for a card")
    return data


def b45decode(text: str) -> bytes:
    """RFC 9285 Base45 decoding, strict, with no Python loop over the characters (a hot path).

    The text is mapped to digit values by one `bytes.translate`. Each triple (a, b, c) is
    the word a + 45b + 2025c; rather than computing words one by one, the a's, b's and c's
    are laid into 24-bit slots of three big integers (slice assignments), combined with two
    multiplications and two additions, and split back into slots: a slot never carries
    into the next (91,124 < 2^24), so a word above 65535 shows as a non-zero top byte.
    """
    try:
        values = text.encode("ascii").translate(_VALUES)
    except UnicodeEncodeError:
        raise CodecError("not Base45: a character outside its alphabet") from None
    if 255 in values:
        raise CodecError("not Base45: a character outside its alphabet")
    full, rest = divmod(len(values), 3)
    if rest == 1:
        raise CodecError("not Base45: its length leaves one character over")
    end = full * 3
    slots = bytearray(end)
    digits = []
    for position in range(3):
        slots[2::3] = values[position:end:3]
        digits.append(int.from_bytes(slots, "big"))
    words = (digits[0] + 45 * digits[1] + 2025 * digits[2]).to_bytes(end, "big")
    if words[0::3].count(0) != full:
        raise CodecError("not Base45: a triple above 65535")
    out = bytearray(2 * full)
    out[0::2] = words[1::3]
    out[1::2] = words[2::3]
    if rest == 2:
        last = values[-2] + values[-1] * 45
        if last > 0xFF:
            raise CodecError("not Base45: a final pair above 255")
        out.append(last)
    return bytes(out)

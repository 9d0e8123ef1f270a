"""Checking a pulled batch before anything of it is applied.

The signed head authenticates the last entry's hash; each entry's hash covers the previous
hash and the record's canonical bytes and signature. So an entry is authentic when it
recomputes, from an authentic previous hash, to an authentic hash: walking forward from the
cursor and backward from the head. A single entry between the two walks that does not
recompute sits at an authenticated place with altered content: it is quarantined and the
stream goes on. A longer break is a broken chain: what precedes it is applied, the rest is
refused until the partner serves it intact.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from acuerdo.federation.outbox import RECORD, WITHDRAWN, entry_hash, signature_digest
from acuerdo.ledger.signing import b64url_decode

# Per record entry, by sequence: its envelope and signature bytes and the SHA-256 of its
# text, as the chain check decoded and hashed them (so later checks need not again).
Raw = dict[int, tuple[bytes, bytes, str]]


@dataclass
class Checked:
    """The outcome of the chain check of one batch."""

    good: list[dict[str, Any]] = field(default_factory=list)  # authentic, in order
    tampered: list[tuple[dict[str, Any], str]] = field(default_factory=list)
    broken: str | None = None  # why the rest of the batch was refused
    through: tuple[int, str] | None = None  # the cursor after the accepted part
    raw: Raw = field(default_factory=dict)


def _recompute(entry: dict[str, Any], prev: str, raw: Raw) -> str | None:
    """The entry's hash from its content, or None when its fields are malformed."""
    try:
        kind, oseq = entry["kind"], int(entry["oseq"])
        if kind == RECORD:
            body = str(entry["body"]).encode("utf-8")
            envelope, signature = (
                b64url_decode(entry["envelope"]),
                b64url_decode(entry["signature"]),
            )
            sig = signature_digest(envelope, signature)
            record = hashlib.sha256(body).hexdigest()
            raw[oseq] = (envelope, signature, record)
        elif kind == WITHDRAWN:
            sig, record = "", str(entry["sha256"])
        else:
            return None
        return entry_hash(prev, oseq, kind, str(entry["id"]), str(entry["version"]), record, sig)
    except (KeyError, TypeError, ValueError):
        return None


def check_chain(entries: list[dict[str, Any]], cursor: tuple[int, str], head: str) -> Checked:
    """Split a batch into authentic entries, a tampered one, and a refused remainder."""
    out = Checked()
    n = len(entries)
    for i, e in enumerate(entries):
        if not isinstance(e, dict) or e.get("oseq") != cursor[0] + i + 1:
            out.broken = f"entry {cursor[0] + i + 1} is missing or out of sequence"
            n = i
            break
    stated = [str(e.get("hash", "")) for e in entries[:n]]
    prev = [cursor[1], *stated[:-1]]
    ok = [_recompute(entries[i], prev[i], out.raw) == stated[i] for i in range(n)]
    forward = next((i for i in range(n) if not ok[i]), n)
    backward = next((i for i in reversed(range(n)) if not ok[i]), -1)
    ends_at_head = n == 0 or stated[-1] == head
    if forward == n and ends_at_head:
        out.good = entries[:n]
    elif forward == backward and ends_at_head and out.broken is None:
        bad = entries[forward]
        out.good = entries[:forward] + entries[forward + 1 : n]
        out.tampered.append((bad, f"entry {bad['oseq']}: its content does not match its hash"))
        out.through = (cursor[0] + n, stated[-1])
        return out
    else:
        out.good = entries[:forward] if forward < n else []
        out.broken = out.broken or (
            f"broken hash chain at entry {cursor[0] + forward + 1}"
            if forward < n
            else "the batch does not end at the signed head"
        )
    if out.good:
        out.through = (int(out.good[-1]["oseq"]), str(out.good[-1]["hash"]))
    return out

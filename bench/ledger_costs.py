"""Per-record costs of canonicalisation and signing, against an independent peer.

The peer for canonical bytes is the `rfc8785` package (Trail of Bits); the peer for a
signature is the same envelope built with `rfc8785` and signed by `cryptography` directly,
which is what an independent verifier would write. Both sides run on the same records in the
same process, best of several rounds, so the ratio is fair whatever the machine.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import rfc8785

from acuerdo.ledger.canonical import canonicalize
from acuerdo.ledger.keys import KeyPurpose
from acuerdo.ledger.signing import RECORD_SIGNATURE_PREFIX, sign_many
from ledger_setup import ALICE, BenchNode, indicator

ROUNDS = 5


def best_us(fn: Callable[[], object], count: int, rounds: int = ROUNDS) -> float:
    """Best per-item time in µs of `fn`, which handles `count` items per call."""
    best = float("inf")
    for _ in range(rounds):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best / count * 1e6


@dataclass
class Cost:
    """One measured step: ours, the peer's (None when there is no peer), in µs per record."""

    step: str
    ours: float
    peer: float | None = None

    @property
    def ratio(self) -> float | None:
        return None if self.peer is None else self.peer / self.ours


def measure_costs(bench: BenchNode, count: int) -> list[Cost]:
    """Canonical bytes and signatures, plus the other per-version steps of Node.write."""
    objs = [indicator(n) for n in range(count)]
    for o in objs:  # the fast canonicaliser must agree with the peer, byte for byte
        if canonicalize(o) != rfc8785.dumps(o):
            raise AssertionError(f"canonical bytes differ from rfc8785 for {o['id']}")
    bodies = [canonicalize(o) for o in objs]
    node = bench.node
    signer = node.keys.signers[KeyPurpose.RECORDS]
    agreement = node.agreement.hash
    ed25519 = signer.sign  # a bare Ed25519 signature by `cryptography`, nothing else

    def peer_sign() -> None:
        for body in bodies:
            env = rfc8785.dumps(
                {
                    "v": 1,
                    "agr": agreement,
                    "org": node.party,
                    "kid": signer.key_id,
                    "sha": hashlib.sha256(body).hexdigest(),
                }
            )
            ed25519(RECORD_SIGNATURE_PREFIX + env)

    def ours_sign() -> None:
        sign_many(bodies, agreement_hash=agreement, origin=node.party, signer=signer)

    ours_env, _ = sign_many(bodies[:1], agreement_hash=agreement, origin=node.party, signer=signer)[
        0
    ]
    peer_env = rfc8785.dumps(
        {"v": 1, "agr": agreement, "org": node.party, "kid": signer.key_id,
         "sha": hashlib.sha256(bodies[0]).hexdigest()}
    )  # fmt: skip
    if ours_env != peer_env:
        raise AssertionError("signature envelope differs from the peer's")
    drafts = [node.prepare(o) for o in objs]
    author = bench.users[ALICE].principal
    return [
        Cost("canonical bytes", best_us(lambda: [canonicalize(o) for o in objs], count),
             best_us(lambda: [rfc8785.dumps(o) for o in objs], count)),
        Cost("signature (envelope + Ed25519)", best_us(ours_sign, count),
             best_us(peer_sign, count)),
        Cost("  of which Ed25519 alone",
             best_us(lambda: [ed25519(b) for b in bodies], count)),
        Cost("check + key a record (Node.prepare)",
             best_us(lambda: [node.prepare(o) for o in objs], count)),
        Cost("gate at write (Node.audience)", best_us(lambda: _gate(node, drafts, author), count)),
    ]  # fmt: skip


def _gate(node: Any, drafts: Sequence[Any], author: str) -> None:
    for d in drafts:
        node.audience(d, node.applied_markings(d), author)

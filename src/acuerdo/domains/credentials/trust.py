"""The trust bundle a checkpoint carries: whose card keys to trust, and what statuses mean.

A checkpoint has no network and no database, so everything it needs is in one JSON file:
the party root public keys (those the adopted agreement pins; shipped profiles pin none, so
then the issuing node's own root, which the host must obtain by a trusted channel), the
root-signed card-key certificates and root revocations, the adopted agreement's id and
hash, and the categories and statuses in file order (cards name them by position) with
what each status allows and its article. Certificates and revocations are checked against
the roots when the bundle is loaded; the texts are the agreement's, for display.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from acuerdo.agreement import Agreement
from acuerdo.domains.credentials.claims import agreement_categories, agreement_statuses
from acuerdo.domains.credentials.cose import kid_of
from acuerdo.ledger.keys import KeyCertificate, KeyPurpose, KeyRevocation, TrustStore
from acuerdo.ledger.signing import b64url, b64url_decode

if TYPE_CHECKING:
    from acuerdo.node import Node

FORMAT = "acuerdo-card-trust/1"


@dataclass(frozen=True)
class StatusText:
    """A status, what it allows as the agreement says it, and where."""

    id: str
    reason: str
    article: str
    title: str


@dataclass(frozen=True)
class TrustBundle:
    agreement_id: str
    agreement_hash: str
    roots: dict[str, bytes]
    certificates: tuple[KeyCertificate, ...]
    revocations: tuple[KeyRevocation, ...]
    statuses: tuple[StatusText, ...]
    categories: tuple[tuple[str, str], ...]  # (id, name) in file order

    def store(self) -> TrustStore:
        """A trust store of the roots; refuses a certificate no root signed."""
        return TrustStore(self.roots, self.certificates, self.revocations)

    def card_keys(self) -> dict[bytes, tuple[str, str]]:
        """COSE kid -> (party, key id) of every certified cards key; refuses kid clashes."""
        keys: dict[bytes, tuple[str, str]] = {}
        for cert in self.certificates:
            if cert.purpose != KeyPurpose.CARDS.value:
                continue
            kid = kid_of(cert.key_id)
            if keys.setdefault(kid, (cert.party, cert.key_id)) != (cert.party, cert.key_id):
                raise ValueError(f"two card keys share the kid {kid.hex()}")
        return keys

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "agreement": {"id": self.agreement_id, "hash": self.agreement_hash},
            "roots": {party: b64url(key) for party, key in sorted(self.roots.items())},
            "certificates": [c.to_json() for c in self.certificates],
            "revocations": [r.to_json() for r in self.revocations],
            "statuses": [s.__dict__ for s in self.statuses],
            "categories": [{"id": i, "name": n} for i, n in self.categories],
        }

    def dumps(self) -> str:
        return json.dumps(self.to_json(), indent=2, ensure_ascii=False) + "\n"

    @classmethod
    def from_json(cls, data: Any) -> TrustBundle:
        """Parse a bundle; ValueError says what is wrong with it."""
        try:
            if data["format"] != FORMAT:
                raise ValueError(f"format is {data['format']!r}, not {FORMAT!r}")
            bundle = cls(
                agreement_id=str(data["agreement"]["id"]),
                agreement_hash=str(data["agreement"]["hash"]),
                roots={str(p): b64url_decode(k) for p, k in data["roots"].items()},
                certificates=tuple(KeyCertificate.from_json(c) for c in data["certificates"]),
                revocations=tuple(KeyRevocation.from_json(r) for r in data["revocations"]),
                statuses=tuple(StatusText(**s) for s in data["statuses"]),
                categories=tuple((str(c["id"]), str(c["name"])) for c in data["categories"]),
            )
        except (KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"not a trust bundle: missing or wrong {exc}") from None
        bundle.store()  # every certificate and revocation must carry a root's signature
        bundle.card_keys()
        return bundle

    @classmethod
    def load(cls, path: Path) -> TrustBundle:
        return cls.from_json(json.loads(path.read_text("utf-8")))


def pinned_roots(agreement: Agreement) -> dict[str, bytes]:
    """Root keys the agreement pins, by party (the first listed of each party)."""
    roots: dict[str, bytes] = {}
    for party in agreement.model.parties:
        for key in party.root_keys:
            roots.setdefault(party.code, b64url_decode(key.public_key))
    return roots


def status_texts(agreement: Agreement) -> tuple[StatusText, ...]:
    """Each status of agreement_statuses, with the text and article of its first category."""
    texts: dict[str, StatusText] = {}
    for category in agreement.model.coverage.categories:
        coverage = category.coverage
        if coverage.status in agreement_statuses(agreement) and coverage.status not in texts:
            title = agreement.article(coverage.basis.article).title
            reason = " ".join(coverage.reason.split())
            texts[coverage.status] = StatusText(
                coverage.status, reason, coverage.basis.article, title
            )
    return tuple(texts[s] for s in agreement_statuses(agreement))


def bundle_for(node: Node) -> TrustBundle:
    """This node's bundle: pinned roots, else its own root; its card-key certificates."""
    roots = pinned_roots(node.agreement) or {node.party: node.keys.root_public_key}
    certificates = tuple(
        c for c in node.keys.published if c.purpose == KeyPurpose.CARDS.value and c.party in roots
    )
    revocations = tuple(r for r in node.keys.revocations if r.party in roots)
    names = {c.id: c.name for c in node.agreement.model.coverage.categories}
    return TrustBundle(
        node.agreement.id,
        node.agreement.hash,
        roots,
        certificates,
        revocations,
        status_texts(node.agreement),
        tuple((c, names[c]) for c in agreement_categories(node.agreement)),
    )

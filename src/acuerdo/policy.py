"""The agreement's sharing defaults, as the release gate reads them.

Kept apart from the gate so the gate stays a pure function of (record, recipient, channel,
markings, policy), and apart from the agreement loader so the file format can change without
touching the gate.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from acuerdo.agreement import Agreement
from acuerdo.ledger.types import RECORD_TYPES
from acuerdo.markings import TLP
from acuerdo.release import Channel, RecordKind, SharingPolicy

# Namespace of the deterministic ids acuerdo gives the parties' identity objects, so both
# nodes name a party with the same id without asking each other.
PARTY_NAMESPACE = uuid.UUID("db49c450-de9e-4572-b66e-db88faa8d9ce")

_TLP_NAMES = {
    "clear": TLP.CLEAR,
    "green": TLP.GREEN,
    "amber": TLP.AMBER,
    "amber+strict": TLP.AMBER_STRICT,
    "red": TLP.RED,
}


def party_identity_id(code: str) -> str:
    """The STIX identity id of a party: the same on every node."""
    return f"identity--{uuid.uuid5(PARTY_NAMESPACE, code)}"


def resolve_parties(agreement: Agreement, refs: Iterable[str]) -> frozenset[str]:
    """Party codes named by references such as `$host`, `$sending` or a code."""
    codes: set[str] = set()
    for ref in refs:
        text = str(ref)
        if text.startswith("$"):
            role = text[1:]
            codes.update(p.code for p in agreement.model.parties if p.role == role)
        else:
            codes.add(text)
    return frozenset(codes)


def _tlp(value: object) -> TLP:
    return _TLP_NAMES[str(getattr(value, "value", value)).lower()]


# Wildcards an agreement may use instead of naming each record type.
_WILDCARD_KINDS = {"*agreement*": RecordKind.AGREEMENT, "*personal-data*": RecordKind.PERSONAL}


def _type_defaults(agreement: Agreement) -> dict[str, tuple[TLP, frozenset[str]]]:
    """Per-type defaults; a wildcard covers every acuerdo type of its kind, a name wins."""
    out: dict[str, tuple[TLP, frozenset[str]]] = {}
    named: dict[str, tuple[TLP, frozenset[str]]] = {}
    for d in agreement.model.sharing.record_types:
        value = (_tlp(d.tlp), resolve_parties(agreement, d.releasable_to))
        kind = _WILDCARD_KINDS.get(str(d.type))
        if kind is None:
            named[str(d.type)] = value
            continue
        out.update({t.name: value for t in RECORD_TYPES if t.kind is kind})
    out.update(named)
    return out


def sharing_policy(agreement: Agreement) -> SharingPolicy:
    """Build the gate's policy from the agreement's `sharing` section."""
    sharing = agreement.model.sharing
    return SharingPolicy(
        parties=tuple(p.code for p in agreement.model.parties),
        type_defaults=_type_defaults(agreement),
        intel_default=(
            _tlp(sharing.unmarked_intel.tlp),
            resolve_parties(agreement, sharing.unmarked_intel.releasable_to),
        ),
        personal_data_roles=frozenset(str(r) for r in sharing.personal_data_roles),
        handling_codes={
            str(h.code): frozenset(Channel(str(getattr(c, "value", c))) for c in h.channels)
            for h in sharing.handling_codes
        },
    )


def default_tlp(policy: SharingPolicy, record_type: str, kind: RecordKind) -> TLP | None:
    """The TLP the agreement gives a record that carries none (None: no default)."""
    if record_type in policy.type_defaults:
        return policy.type_defaults[record_type][0]
    if kind is RecordKind.INTEL:
        return policy.intel_default[0]
    return None

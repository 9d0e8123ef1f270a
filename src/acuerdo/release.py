"""The one release check: who may receive a record version, on which channel.

DESIGN.md principle 4 ("Least disclosure, one gate") and the data-model rule "the release
gate decides on (record, recipient party, user and role, channel)". Every way out of a node
(API read, TAXII, live stream, federation, export) asks this module, and nothing else.

The gate is split in two halves so that a page of records is an indexed query, not a Python
filter: `audience_of` runs once when a version is written and its `Audience.tokens()` are
stored in an indexed table; `recipient_tokens` runs when someone reads, and a record is
visible exactly when the two token sets meet (the channel is stored beside the tokens).
`decide` is defined by those same two halves, so a single read and a page cannot disagree.

The code is pure: no database, no clock, no I/O. See docs/release-gate.md.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any, Final

from acuerdo.markings import (
    TLP,
    Marking,
    MarkingCatalog,
    MarkingKind,
    check_handling_code,
    check_marking_id,
    check_party,
    check_user,
    check_username,
)


class Channel(StrEnum):
    """The ways a record leaves a node."""

    API = "api"
    TAXII = "taxii"
    STREAM = "stream"
    FEDERATION = "federation"
    EXPORT = "export"


ALL_CHANNELS: Final = frozenset(Channel)


class RecordKind(StrEnum):
    """The family a record type belongs to, which fixes its release rules."""

    REFERENCE = "reference"  # marking and extension definitions, party identities
    INTEL = "intel"  # standard STIX intelligence
    AGREEMENT = "agreement"  # acuerdo's own record types
    PERSONAL = "personal"  # the personal-data record type


ROLES: Final = frozenset({"admin", "registrar", "approver", "analyst", "verifier", "viewer"})


def check_role(role: object) -> str:
    """Return a role from the fixed set or raise ValueError: roles go into tokens."""
    if not isinstance(role, str) or role not in ROLES:
        raise ValueError(f"role must be one of {sorted(ROLES)}, got {role!r:.40}")
    return role


def _check_type(record_type: object) -> str:
    """A STIX type name (a-z, 0-9, hyphen, 3 to 250 characters): it is cited in reasons."""
    ok = isinstance(record_type, str) and 3 <= len(record_type) <= 250
    if not ok or not set(str(record_type)) <= set("abcdefghijklmnopqrstuvwxyz0123456789-"):
        raise ValueError(f"not a STIX type name: {record_type!r:.60}")
    return str(record_type)


def _frozen_map(mapping: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(mapping))


@dataclass(frozen=True)
class SharingPolicy:
    """The agreement's sharing defaults, as the release gate needs them.

    `type_defaults` maps a record type to its default (TLP, REL TO parties); writers apply
    the TLP half as a marking, the gate uses the REL TO half when a record carries no REL TO.
    `intel_default` is the same for intelligence whose type has no entry.
    """

    parties: tuple[str, ...]
    type_defaults: Mapping[str, tuple[TLP, frozenset[str]]] = field(
        default_factory=dict, hash=False
    )
    intel_default: tuple[TLP, frozenset[str]] = (TLP.AMBER, frozenset())
    personal_data_roles: frozenset[str] = frozenset()
    handling_codes: Mapping[str, frozenset[Channel]] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        """Validate everything once, so the gate never meets a malformed policy."""
        parties = tuple(check_party(p) for p in self.parties)
        if not parties or len(set(parties)) != len(parties):
            raise ValueError("a policy names at least one party, each once")
        object.__setattr__(self, "parties", parties)
        defaults = {_check_type(t): self._default(d) for t, d in self.type_defaults.items()}
        object.__setattr__(self, "type_defaults", _frozen_map(defaults))
        object.__setattr__(self, "intel_default", self._default(self.intel_default))
        roles = frozenset(check_role(r) for r in self.personal_data_roles)
        object.__setattr__(self, "personal_data_roles", roles)
        codes = {
            check_handling_code(code): frozenset(Channel(c) for c in channels)
            for code, channels in self.handling_codes.items()
        }
        object.__setattr__(self, "handling_codes", _frozen_map(codes))

    def _default(self, default: tuple[TLP, frozenset[str]]) -> tuple[TLP, frozenset[str]]:
        level, rel_to = default
        parties = frozenset(check_party(p) for p in rel_to)
        if not parties <= set(self.parties):
            raise ValueError(f"default REL TO names a non-party: {sorted(parties)}")
        return TLP(level), parties

    def default_rel_to(self, record_type: str, kind: RecordKind) -> frozenset[str] | None:
        """The agreement's releasability for an unmarked-REL-TO record, or None if it has none."""
        if record_type in self.type_defaults:
            return self.type_defaults[record_type][1]
        if kind is RecordKind.INTEL:
            return self.intel_default[1]
        return None


@dataclass(frozen=True)
class RecordFacts:
    """What the gate reads of a record version; `marking_ids` holds every marking on it.

    That is object_marking_refs, every granular marking's marking_ref, and the markings the
    node applied beside the object on ingest. `record_id` is only cited in reasons.
    """

    type: str
    kind: RecordKind
    holder: str
    author: str | None
    marking_ids: frozenset[str]
    record_id: str | None = None

    def __post_init__(self) -> None:
        _check_type(self.type)
        object.__setattr__(self, "kind", RecordKind(self.kind))
        check_party(self.holder)
        if self.author is not None:
            check_user(self.author)
        object.__setattr__(self, "marking_ids", frozenset(self.marking_ids))
        for marking_id in self.marking_ids:
            check_marking_id(marking_id)
        rid = self.record_id
        if rid is not None and not (
            isinstance(rid, str) and rid.isascii() and rid.isprintable() and len(rid) < 300
        ):
            raise ValueError("record_id must be a printable ASCII STIX id")


@dataclass(frozen=True)
class Recipient:
    """Who receives: a user (party, username, roles) or, when username is None, a node."""

    party: str
    username: str | None = None
    roles: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        check_party(self.party)
        if self.username is not None:
            check_username(self.username)
        object.__setattr__(self, "roles", frozenset(check_role(r) for r in self.roles))
        if self.username is None and self.roles:
            raise ValueError("a node recipient has no roles")

    @classmethod
    def user(cls, party: str, username: str, roles: Iterable[str] = ()) -> Recipient:
        """A person signed in on some node, with the roles they hold."""
        return cls(party, username, frozenset(roles))

    @classmethod
    def node(cls, party: str) -> Recipient:
        """A partner node, receiving by federation."""
        return cls(party)

    @property
    def is_node(self) -> bool:
        return self.username is None


def recipient_tokens(recipient: Recipient) -> frozenset[str]:
    """The tokens a reader holds; a record is visible when they meet its Audience.tokens()."""
    party = recipient.party
    if recipient.username is None:
        return frozenset({f"node:{party}"})
    user = f"user:{party}:{recipient.username}"
    tokens = {f"party:{party}", user}
    for role in recipient.roles:
        tokens.add(f"role:{party}:{role}")
        tokens.add(f"{user}|role:{role}")
    return frozenset(tokens)


@dataclass(frozen=True)
class Audience:
    """Who may receive a record: every limit that is not None must be met, on a channel listed.

    `roles` None means any role, `users` None any user ("PARTY:username"). An audience with
    named users never reaches a node. `reason` is for audit and names no user.
    """

    parties: frozenset[str]
    roles: frozenset[str] | None
    users: frozenset[str] | None
    channels: frozenset[Channel]
    reason: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "parties", frozenset(check_party(p) for p in self.parties))
        if self.roles is not None:
            object.__setattr__(self, "roles", frozenset(check_role(r) for r in self.roles))
        if self.users is not None:
            for user in self.users:
                check_user(user)
            object.__setattr__(self, "users", frozenset(self.users))
        object.__setattr__(self, "channels", frozenset(Channel(c) for c in self.channels))

    @classmethod
    def nobody(cls, reason: str) -> Audience:
        """The empty audience: what a refused record contributes to what refers to it."""
        return cls(frozenset(), frozenset(), frozenset(), frozenset(), reason)

    def intersect(self, other: Audience) -> Audience:
        """Who may receive both; never wider than either (None is the neutral 'any')."""
        return Audience(
            parties=self.parties & other.parties,
            roles=_meet(self.roles, other.roles),
            users=_meet(self.users, other.users),
            channels=self.channels & other.channels,
            reason=f"{self.reason}; and {other.reason}",
        )

    def admits(self, recipient: Recipient) -> bool:
        """The plain predicate the tokens encode (channel aside)."""
        if recipient.party not in self.parties:
            return False
        if recipient.username is None:
            return self.users is None
        if self.roles is not None and self.roles.isdisjoint(recipient.roles):
            return False
        return self.users is None or f"{recipient.party}:{recipient.username}" in self.users

    def tokens(self) -> frozenset[str]:
        """The grant tokens stored for this audience; see recipient_tokens and the docs."""
        if self.users is not None:
            named = sorted(check_user(u) for u in self.users)
            users = [f"user:{p}:{n}" for p, n in named if p in self.parties]
            if self.roles is None:
                return frozenset(users)
            return frozenset(f"{u}|role:{r}" for u in users for r in self.roles)
        nodes = {f"node:{p}" for p in self.parties}
        if self.roles is None:
            return frozenset(nodes | {f"party:{p}" for p in self.parties})
        return frozenset(nodes | {f"role:{p}:{r}" for p in self.parties for r in self.roles})

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready form, lists sorted, for storing beside the version."""
        return {
            "parties": sorted(self.parties),
            "roles": None if self.roles is None else sorted(self.roles),
            "users": None if self.users is None else sorted(self.users),
            "channels": sorted(self.channels),
            "reason": self.reason,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Audience:
        """Read back `to_json`; every value is validated again."""
        roles, users = data["roles"], data["users"]
        return cls(
            parties=frozenset(data["parties"]),
            roles=None if roles is None else frozenset(roles),
            users=None if users is None else frozenset(users),
            channels=frozenset(Channel(c) for c in data["channels"]),
            reason=str(data.get("reason", "")),
        )


def _meet(a: frozenset[str] | None, b: frozenset[str] | None) -> frozenset[str] | None:
    """Intersection where None means 'no limit'."""
    if a is None:
        return b
    if b is None:
        return a
    return a & b


@dataclass(frozen=True)
class Refusal:
    """Why a record has no audience at all. `rule` is a stable code; `reason` cites record
    type and ids, never personal data."""

    rule: str
    reason: str


@dataclass(frozen=True)
class Decision:
    """The answer for one (record, recipient, channel)."""

    allowed: bool
    rule: str
    reason: str


def _cite(facts: RecordFacts) -> str:
    """How reasons name a record: its type and, when known, its id; never its content."""
    return f"{facts.type} record {facts.record_id}" if facts.record_id else f"{facts.type} record"


def _resolve(
    facts: RecordFacts, catalog: MarkingCatalog, policy: SharingPolicy
) -> list[Marking] | Refusal:
    """Rule b: every marking id known, and naming only what the agreement defines."""
    markings: list[Marking] = []
    parties = set(policy.parties)
    for marking_id in sorted(facts.marking_ids):
        marking = catalog.get(marking_id)
        if marking is None:
            problem = "is not a marking definition the gate knows"
        elif not marking.parties <= parties:
            problem = "makes the record releasable to a party outside the agreement"
        elif marking.code is not None and marking.code not in policy.handling_codes:
            problem = "names a handling code the agreement does not define"
        elif any(check_user(u)[0] not in parties for u in marking.users):
            problem = "names a recipient of a party outside the agreement"
        else:
            markings.append(marking)
            continue
        return Refusal(
            "wrongly-marked", f"wrongly-marked: {_cite(facts)}: marking {marking_id} {problem}"
        )
    return markings


def _releasability(
    facts: RecordFacts, markings: list[Marking], policy: SharingPolicy
) -> tuple[frozenset[str], str]:
    """Rule d: the REL TO markings together, else the agreement's default, else nobody."""
    rel_to_sets = [m.parties for m in markings if m.kind is MarkingKind.REL_TO]
    if rel_to_sets:
        return frozenset.intersection(*rel_to_sets), "marked REL TO"
    default = policy.default_rel_to(facts.type, facts.kind)
    if default is not None:
        return default, "agreement default REL TO"
    return frozenset(), "no REL TO: holder only"


def _channels(facts: RecordFacts, markings: list[Marking], policy: SharingPolicy) -> set[Channel]:
    """Rule g: agreement and personal records stay out of TAXII; handling codes narrow."""
    channels = set(ALL_CHANNELS)
    if facts.kind in (RecordKind.AGREEMENT, RecordKind.PERSONAL):
        channels.discard(Channel.TAXII)
    for code in sorted(m.code for m in markings if m.code is not None):
        channels &= policy.handling_codes[code]
    return channels


def audience_of(
    facts: RecordFacts, catalog: MarkingCatalog, policy: SharingPolicy
) -> Audience | Refusal:
    """Write-time half of the gate: rules a-g of docs/release-gate.md."""
    if facts.kind is RecordKind.REFERENCE:
        everyone = frozenset(policy.parties) | {facts.holder}
        return Audience(everyone, None, None, ALL_CHANNELS, "reference object: TLP:CLEAR by rule")
    markings = _resolve(facts, catalog, policy)
    if isinstance(markings, Refusal):
        return markings
    levels = [m.tlp for m in markings if m.tlp is not None]
    if not levels:
        return Refusal("unmarked", f"unmarked: {_cite(facts)} has no TLP marking: no release")
    level = max(levels)
    releasable, source = _releasability(facts, markings, policy)
    visible = releasable | {facts.holder}
    channels = _channels(facts, markings, policy)
    roles = policy.personal_data_roles if facts.kind is RecordKind.PERSONAL else None
    reason = f"{level.label}; {source}: {', '.join(sorted(visible))}"
    if level is not TLP.RED:
        return Audience(visible, roles, None, frozenset(channels), reason)
    named = {u for m in markings for u in m.users}
    if facts.author is not None:
        named.add(facts.author)
    users = frozenset(u for u in named if check_user(u)[0] in visible)
    if not users:
        return Refusal(
            "tlp-red-unnamed",
            f"tlp-red-unnamed: {_cite(facts)} is TLP:RED and names no recipient "
            "within its releasability; TLP:RED never goes to a whole party or node",
        )
    channels.discard(Channel.FEDERATION)
    reason += f"; {len(users)} named user(s) only"
    return Audience(visible, roles, users, frozenset(channels), reason)


def decide(
    facts: RecordFacts,
    recipient: Recipient,
    channel: Channel,
    catalog: MarkingCatalog,
    policy: SharingPolicy,
    *,
    ref_audiences: Sequence[Audience] = (),
) -> Decision:
    """May `recipient` receive this record on `channel`? Defined by the two token halves.

    `ref_audiences` are the audiences of the objects the record refers to (its
    created_by_ref included); a referenced object that was refused counts as
    Audience.nobody(), so the record is released only when everything it refers to is.
    """
    result = audience_of(facts, catalog, policy)
    if isinstance(result, Refusal):
        return Decision(False, result.rule, result.reason)
    audience = result
    for ref in ref_audiences:
        audience = audience.intersect(ref)
    refs = f" and the {len(ref_audiences)} object(s) it refers to" if ref_audiences else ""
    if audience.tokens().isdisjoint(recipient_tokens(recipient)):
        who = "node" if recipient.is_node else "user"
        return Decision(
            False,
            "not-releasable",
            f"not-releasable: {_cite(facts)}{refs} is not released to this {who} "
            f"of {recipient.party}",
        )
    if Channel(channel) not in audience.channels:
        return Decision(
            False, "channel", f"channel: {_cite(facts)}{refs} may not leave by {channel}"
        )
    return Decision(True, "released", f"released: {_cite(facts)}: {audience.reason}")

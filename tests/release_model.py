"""An independent reference model of the release gate, for the property test.

Written straight from rules a-g (docs/release-gate.md) as one plain predicate, "may
recipient X see record R on channel C", with no tokens, no Audience objects and no import
from acuerdo: if production and this model agree on thousands of random cases, the token
scheme and the audience algebra implement the rules rather than merely themselves.

Markings are given to the model by meaning (`ModelMarking`), not as STIX objects; the TLP ids
are its own copy of the published ones, so a wrong id in production shows up as a mismatch.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

# Levels as numbers: 0 clear, 1 green, 2 amber, 3 amber+strict, 4 red.
CLEAR, GREEN, AMBER, AMBER_STRICT, RED = range(5)

# Copied by hand from OASIS cti-stix-common-objects (TLP 2.0) and STIX 2.1 s. 7.2.1.4 (TLP 1.0).
MODEL_TLP_IDS: Mapping[str, int] = {
    "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487": CLEAR,
    "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb": GREEN,
    "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421": AMBER,
    "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003": AMBER_STRICT,
    "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1": RED,
    "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9": CLEAR,  # TLP:WHITE
    "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da": GREEN,
    "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82": AMBER,
    "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed": RED,
}

CHANNELS = ("api", "taxii", "stream", "federation", "export")


@dataclass(frozen=True)
class ModelMarking:
    """What an acuerdo marking means: kind is rel_to, handling or recipients."""

    kind: str
    values: frozenset[str]  # parties, {code}, or users "PARTY:name"


@dataclass(frozen=True)
class ModelPolicy:
    parties: frozenset[str]
    rel_to_by_type: Mapping[str, frozenset[str]]
    intel_rel_to: frozenset[str]
    personal_roles: frozenset[str]
    handling: Mapping[str, frozenset[str]]  # code -> channel names


@dataclass(frozen=True)
class ModelRecord:
    type: str
    kind: str  # reference | intel | agreement | personal
    holder: str
    author: str | None
    marking_ids: frozenset[str]


@dataclass(frozen=True)
class ModelRecipient:
    party: str
    name: str | None  # None: a node
    roles: frozenset[str] = field(default_factory=frozenset)


def _party(user: str) -> str:
    return user.split(":", 1)[0]


def refusal(record: ModelRecord, meanings: Mapping[str, ModelMarking], policy: ModelPolicy) -> str:
    """The rule that gives a record no audience at all, or "" when it has one."""
    if record.kind == "reference":
        return ""
    for mid in record.marking_ids:
        if mid in MODEL_TLP_IDS:
            continue
        meaning = meanings.get(mid)
        if meaning is None:
            return "wrongly-marked"
        if meaning.kind == "rel_to" and not meaning.values <= policy.parties:
            return "wrongly-marked"
        if meaning.kind == "handling" and not meaning.values <= set(policy.handling):
            return "wrongly-marked"
        if meaning.kind == "recipients" and any(
            _party(u) not in policy.parties for u in meaning.values
        ):
            return "wrongly-marked"
    if not any(mid in MODEL_TLP_IDS for mid in record.marking_ids):
        return "unmarked"
    if _level(record) == RED and not _red_users(record, meanings, policy):
        return "tlp-red-unnamed"
    return ""


def _level(record: ModelRecord) -> int:
    return max(MODEL_TLP_IDS[m] for m in record.marking_ids if m in MODEL_TLP_IDS)


def _of_kind(
    record: ModelRecord, meanings: Mapping[str, ModelMarking], kind: str
) -> list[frozenset[str]]:
    found = [meanings[m] for m in record.marking_ids if m in meanings]
    return [m.values for m in found if m.kind == kind]


def _visible_parties(
    record: ModelRecord, meanings: Mapping[str, ModelMarking], policy: ModelPolicy
) -> frozenset[str]:
    """Rule d: REL TO (all of them at once), else the agreement's default, else the holder."""
    marked = _of_kind(record, meanings, "rel_to")
    if marked:
        parties = set(policy.parties)
        for one in marked:
            parties &= one
    elif record.type in policy.rel_to_by_type:
        parties = set(policy.rel_to_by_type[record.type])
    elif record.kind == "intel":
        parties = set(policy.intel_rel_to)
    else:
        parties = set()
    return frozenset(parties | {record.holder})


def _red_users(
    record: ModelRecord, meanings: Mapping[str, ModelMarking], policy: ModelPolicy
) -> frozenset[str]:
    """Rule e: named recipients and the author, from the parties the record may reach."""
    named = {u for users in _of_kind(record, meanings, "recipients") for u in users}
    if record.author is not None:
        named.add(record.author)
    visible = _visible_parties(record, meanings, policy)
    return frozenset(u for u in named if _party(u) in visible)


def reaches(
    record: ModelRecord,
    meanings: Mapping[str, ModelMarking],
    policy: ModelPolicy,
    who: ModelRecipient,
) -> bool:
    """May this recipient have the record at all (channel aside)? Assumes no refusal."""
    if record.kind == "reference":
        return who.party in policy.parties or who.party == record.holder
    if who.party not in _visible_parties(record, meanings, policy):
        return False
    red = _level(record) == RED
    if who.name is None:
        return not red  # a node gets what its party may get, never TLP:RED
    if record.kind == "personal" and not (who.roles & policy.personal_roles):
        return False
    return not red or f"{who.party}:{who.name}" in _red_users(record, meanings, policy)


def channel_ok(
    record: ModelRecord, meanings: Mapping[str, ModelMarking], policy: ModelPolicy, channel: str
) -> bool:
    """Rule g (and e: TLP:RED never by federation)."""
    if record.kind == "reference":
        return True
    if channel == "taxii" and record.kind in ("agreement", "personal"):
        return False
    if channel == "federation" and _level(record) == RED:
        return False
    codes = {c for values in _of_kind(record, meanings, "handling") for c in values}
    return all(channel in policy.handling[c] for c in codes)


def verdict(
    record: ModelRecord,
    refs: Sequence[ModelRecord],
    meanings: Mapping[str, ModelMarking],
    policy: ModelPolicy,
    who: ModelRecipient,
    channel: str,
) -> str:
    """May `who` see `record`, and all it refers to, on `channel`? "released" if so, else the
    rule that withholds it."""
    own = refusal(record, meanings, policy)
    if own:
        return own
    everything = [record, *refs]
    if any(refusal(r, meanings, policy) for r in refs):
        return "not-releasable"
    if not all(reaches(r, meanings, policy, who) for r in everything):
        return "not-releasable"
    if not all(channel_ok(r, meanings, policy, channel) for r in everything):
        return "channel"
    return "released"


def audience_admits(
    parties: frozenset[str],
    roles: frozenset[str] | None,
    users: frozenset[str] | None,
    who: ModelRecipient,
) -> bool:
    """What an audience (parties; roles or any; users or any) means, for the token check."""
    if who.party not in parties:
        return False
    if who.name is None:
        return users is None
    role_ok = roles is None or bool(roles & who.roles)
    user_ok = users is None or f"{who.party}:{who.name}" in users
    return role_ok and user_ok

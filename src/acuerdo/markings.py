"""The markings the release gate reads, and nothing else.

A record is released only by what its markings say (DESIGN.md, principle 4: "No marking, no
release"). This module turns marking-definition objects into `Marking` values the gate can
reason about, and refuses every definition it cannot read precisely: a marking the gate
misunderstood would release a record wider than its author meant.

Three families are understood:

- TLP 2.0, as published by the OASIS CTI TC in cti-stix-common-objects
  (extension-definition-specifications/tlp-2.0/), and TLP 1.0 as fixed by STIX 2.1 section
  7.2.1.4 (WHITE is read as CLEAR). Their ids are pinned below, never computed.
- acuerdo's own kinds, each carried by a marking-definition with one acuerdo property
  extension: releasability ("REL TO"), handling code, and the named recipients of TLP:RED.
  Their ids are uuid5 of the content, so the same marking is the same object on every node.

Anything else (statement markings, IEP, PAP, ...) is unknown here, and an unknown marking
makes its record wrongly marked: the gate fails closed.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
from types import MappingProxyType
from typing import Any, Final


class MarkingError(ValueError):
    """A marking definition the gate cannot read; the message says precisely why."""


_PARTY = re.compile(r"[A-Z]{3}")
_USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
_HANDLING_CODE = re.compile(r"[A-Z][A-Z0-9-]{0,15}")
_MARKING_ID = re.compile(
    r"marking-definition--[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
)


def _matching(pattern: re.Pattern[str], value: object, message: str) -> str:
    """`value` if it is a string wholly matching `pattern`, else ValueError(message)."""
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise ValueError(message)
    return value


def check_party(code: object) -> str:
    """Return a party code (three capital letters) or raise ValueError: it goes into tokens."""
    return _matching(_PARTY, code, f"party code must be three capital letters, got {code!r:.20}")


def check_username(name: object) -> str:
    """Return a username or raise ValueError: it goes into tokens, so no separators in it.

    The message does not repeat the value: a username is personal data."""
    return _matching(_USERNAME, name, "username must match [a-z0-9][a-z0-9._-]{0,63}")


def check_user(user: object) -> tuple[str, str]:
    """Split a user id "PARTY:username" into its validated (party, username)."""
    party, sep, name = user.partition(":") if isinstance(user, str) else ("", "", "")
    if not sep:
        raise ValueError("user must be written PARTY:username")
    return check_party(party), check_username(name)


def check_handling_code(code: object) -> str:
    """Return a handling code (e.g. "H2") or raise ValueError."""
    message = f"handling code must match [A-Z][A-Z0-9-]{{0,15}}, got {code!r:.20}"
    return _matching(_HANDLING_CODE, code, message)


def check_marking_id(marking_id: object) -> str:
    """Return a marking-definition id (lower-case UUID form) or raise ValueError."""
    return _matching(_MARKING_ID, marking_id, f"not a marking-definition id: {marking_id!r:.80}")


class TLP(IntEnum):
    """TLP 2.0 levels, ordered so that the most restrictive of several is their max()."""

    CLEAR = 0
    GREEN = 1
    AMBER = 2
    AMBER_STRICT = 3
    RED = 4

    @property
    def stix_value(self) -> str:
        """The `tlp_2_0` value of the published definition, e.g. "amber+strict"."""
        return self.name.lower().replace("_", "+")

    @property
    def label(self) -> str:
        """The published `name`, e.g. "TLP:AMBER+STRICT"."""
        return "TLP:" + self.name.replace("_", "+")


# --- TLP 2.0: OASIS cti-stix-common-objects, extension-definition-specifications/tlp-2.0/ ---
TLP2_EXTENSION_ID: Final = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
TLP2_CREATED: Final = "2022-10-01T00:00:00.000Z"
TLP2_MARKING_IDS: Final[Mapping[TLP, str]] = MappingProxyType(
    {
        TLP.CLEAR: "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
        TLP.GREEN: "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
        TLP.AMBER: "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
        TLP.AMBER_STRICT: "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
        TLP.RED: "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
    }
)

# --- TLP 1.0: STIX 2.1 (OASIS Standard), section 7.2.1.4 "TLP Marking Object Type" ---
TLP1_CREATED: Final = "2017-01-20T00:00:00.000Z"
TLP1_MARKING_IDS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "white": "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9",
        "green": "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da",
        "amber": "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82",
        "red": "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed",
    }
)
TLP1_LEVELS: Final[Mapping[str, TLP]] = MappingProxyType(
    {"white": TLP.CLEAR, "green": TLP.GREEN, "amber": TLP.AMBER, "red": TLP.RED}
)

# --- acuerdo's own marking kinds (random UUIDv4s, fixed once; never change them) ---
REL_TO_EXTENSION_ID: Final = "extension-definition--f643e07e-c44b-480a-8f32-ff8cd463ebd1"
HANDLING_EXTENSION_ID: Final = "extension-definition--2a06de62-043c-4794-bd8e-5faf627ea433"
RECIPIENTS_EXTENSION_ID: Final = "extension-definition--3d18c482-4ce1-4618-8e8e-8e55eae42dea"
MARKING_ID_NAMESPACE: Final = uuid.UUID("db5006bd-71bb-4fd9-9a8e-e42e08a8f643")
ACUERDO_MARKING_CREATED: Final = "2026-01-01T00:00:00.000Z"


class MarkingKind(StrEnum):
    """What a marking restricts: the TLP level, the parties, the use, or the named users."""

    TLP = "tlp"
    REL_TO = "rel_to"
    HANDLING = "handling"
    RECIPIENTS = "recipients"


# The property each acuerdo extension carries, and the kind it yields.
_ACUERDO_EXTENSIONS: Final[Mapping[str, tuple[str, MarkingKind]]] = MappingProxyType(
    {
        REL_TO_EXTENSION_ID: ("rel_to", MarkingKind.REL_TO),
        HANDLING_EXTENSION_ID: ("handling_code", MarkingKind.HANDLING),
        RECIPIENTS_EXTENSION_ID: ("recipients", MarkingKind.RECIPIENTS),
    }
)


@dataclass(frozen=True)
class Marking:
    """What one marking definition means to the gate; only the field of its kind is set."""

    kind: MarkingKind
    tlp: TLP | None = None
    parties: frozenset[str] = frozenset()
    code: str | None = None
    users: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        """Refuse a value that says two things, or nothing: the gate would misread it."""
        object.__setattr__(self, "kind", MarkingKind(self.kind))
        if self.tlp is not None:
            object.__setattr__(self, "tlp", TLP(self.tlp))
        object.__setattr__(self, "parties", frozenset(self.parties))
        object.__setattr__(self, "users", frozenset(self.users))
        for party in self.parties:
            check_party(party)
        for user in self.users:
            check_user(user)
        if self.code is not None:
            check_handling_code(self.code)
        filled = {
            MarkingKind.TLP: self.tlp is not None,
            MarkingKind.REL_TO: bool(self.parties),
            MarkingKind.HANDLING: self.code is not None,
            MarkingKind.RECIPIENTS: bool(self.users),
        }
        if not filled[self.kind] or sum(filled.values()) != 1:
            raise ValueError(f"a {self.kind} marking sets exactly its own non-empty field")

    @classmethod
    def of_tlp(cls, level: TLP) -> Marking:
        """A TLP marking."""
        return cls(MarkingKind.TLP, tlp=TLP(level))

    @classmethod
    def rel_to(cls, parties: Iterable[str]) -> Marking:
        """A releasability marking: REL TO these parties."""
        return cls(MarkingKind.REL_TO, parties=frozenset(parties))

    @classmethod
    def handling(cls, code: str) -> Marking:
        """A handling-code marking."""
        return cls(MarkingKind.HANDLING, code=code)

    @classmethod
    def recipients(cls, users: Iterable[str]) -> Marking:
        """The named recipients of a TLP:RED record, as "PARTY:username"."""
        return cls(MarkingKind.RECIPIENTS, users=frozenset(users))


def tlp2_marking_definition(level: TLP) -> dict[str, Any]:
    """The published TLP 2.0 marking-definition object for a level (a fresh dict)."""
    return {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": TLP2_MARKING_IDS[level],
        "created": TLP2_CREATED,
        "name": level.label,
        "extensions": {
            TLP2_EXTENSION_ID: {"extension_type": "property-extension", "tlp_2_0": level.stix_value}
        },
    }


def tlp1_marking_definition(color: str) -> dict[str, Any]:
    """The STIX 2.1 TLP 1.0 marking-definition object for white/green/amber/red."""
    return {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": TLP1_MARKING_IDS[color],
        "created": TLP1_CREATED,
        "definition_type": "tlp",
        "name": "TLP:" + color.upper(),
        "definition": {"tlp": color},
    }


def standard_marking_definitions() -> list[dict[str, Any]]:
    """Every TLP 2.0 then TLP 1.0 definition, for a node to serve beside its records."""
    return [tlp2_marking_definition(level) for level in TLP] + [
        tlp1_marking_definition(color) for color in TLP1_MARKING_IDS
    ]


def _extension_value(marking: Marking) -> tuple[str, str, list[str] | str]:
    """(extension id, property, canonical value) of an acuerdo marking."""
    if marking.kind is MarkingKind.REL_TO:
        return REL_TO_EXTENSION_ID, "rel_to", sorted(marking.parties)
    if marking.kind is MarkingKind.HANDLING:
        return HANDLING_EXTENSION_ID, "handling_code", marking.code or ""
    if marking.kind is MarkingKind.RECIPIENTS:
        return RECIPIENTS_EXTENSION_ID, "recipients", sorted(marking.users)
    raise MarkingError("TLP markings are the published OASIS objects, not acuerdo's")


def _canonical(extensions: Mapping[str, Any]) -> str:
    """RFC 8785 form of an all-ASCII `extensions` member: sorted keys, no whitespace."""
    return json.dumps(extensions, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def _name(marking: Marking) -> str:
    """A human title; it names no user, so that listing markings discloses no one."""
    if marking.kind is MarkingKind.REL_TO:
        return "REL TO: " + ", ".join(sorted(marking.parties))
    if marking.kind is MarkingKind.HANDLING:
        return f"HANDLING: {marking.code}"
    return f"TLP:RED named recipients ({len(marking.users)})"


def marking_definition(marking: Marking) -> dict[str, Any]:
    """The marking-definition object for a marking, identical on every node.

    TLP levels give the published OASIS TLP 2.0 object. acuerdo kinds get id
    ``marking-definition--uuid5(MARKING_ID_NAMESPACE, canonical JSON of "extensions")``.
    """
    if marking.tlp is not None:
        return tlp2_marking_definition(marking.tlp)
    ext_id, prop, value = _extension_value(marking)
    extensions = {ext_id: {"extension_type": "property-extension", prop: value}}
    return {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": f"marking-definition--{uuid.uuid5(MARKING_ID_NAMESPACE, _canonical(extensions))}",
        "created": ACUERDO_MARKING_CREATED,
        "name": _name(marking),
        "extensions": extensions,
    }


def rel_to_marking_definition(parties: Iterable[str]) -> dict[str, Any]:
    """The "REL TO: <parties>" marking-definition object."""
    return marking_definition(Marking.rel_to(parties))


def handling_marking_definition(code: str) -> dict[str, Any]:
    """The handling-code marking-definition object."""
    return marking_definition(Marking.handling(code))


def recipients_marking_definition(users: Iterable[str]) -> dict[str, Any]:
    """The TLP:RED named-recipients marking-definition object ("PARTY:username" each)."""
    return marking_definition(Marking.recipients(users))


def _parse_tlp1(obj: Mapping[str, Any], marking_id: str) -> Marking:
    """A STIX 2.1 TLP 1.0 definition: only the four instances the standard fixes exist."""
    definition = obj.get("definition")
    if obj.get("definition_type") != "tlp" or not isinstance(definition, Mapping):
        raise MarkingError(
            f"{marking_id}: definition_type is not 'tlp' (statement and other "
            "marking types are not understood by the release gate)"
        )
    color = str(definition.get("tlp", ""))
    if set(definition) != {"tlp"} or color not in TLP1_LEVELS:
        raise MarkingError(
            f"{marking_id}: TLP 1.0 definition must be {{'tlp': white|green|amber|red}}"
        )
    if TLP1_MARKING_IDS[color] != marking_id:
        raise MarkingError(
            f"{marking_id}: TLP:{color.upper()} has the fixed id "
            f"{TLP1_MARKING_IDS[color]} (STIX 2.1 section 7.2.1.4)"
        )
    return Marking.of_tlp(TLP1_LEVELS[color])


def _parse_tlp2(obj: Mapping[str, Any], body: Mapping[str, Any], marking_id: str) -> Marking:
    """An OASIS TLP 2.0 definition: the id must be the published one for its level."""
    by_value = {level.stix_value: level for level in TLP}
    level = by_value.get(body.get("tlp_2_0", ""))
    if set(body) != {"extension_type", "tlp_2_0"} or level is None:
        raise MarkingError(
            f"{marking_id}: TLP 2.0 extension must hold extension_type and "
            "tlp_2_0 (clear|green|amber|amber+strict|red) only"
        )
    if TLP2_MARKING_IDS[level] != marking_id or obj.get("name") != level.label:
        raise MarkingError(
            f"{marking_id}: {level.label} is published as "
            f"{TLP2_MARKING_IDS[level]} named {level.label!r}"
        )
    return Marking.of_tlp(level)


def _parse_acuerdo(ext_id: str, body: Mapping[str, Any], marking_id: str) -> Marking:
    """One of acuerdo's kinds: well-formed values, and the id its content determines."""
    prop, kind = _ACUERDO_EXTENSIONS[ext_id]
    if set(body) != {"extension_type", prop}:
        raise MarkingError(f"{marking_id}: extension {ext_id} must hold extension_type and {prop}")
    value = body[prop]
    try:
        if kind is MarkingKind.HANDLING:
            marking = Marking.handling(value)
        else:
            if not isinstance(value, list) or not value or len(set(value)) != len(value):
                raise ValueError(f"{prop} must be a non-empty list without repeats")
            marking = (
                Marking.rel_to(value) if kind is MarkingKind.REL_TO else Marking.recipients(value)
            )
    except (ValueError, TypeError) as exc:
        raise MarkingError(f"{marking_id}: malformed {prop}: {exc}") from None
    expected = marking_definition(marking)["id"]
    if expected != marking_id:
        raise MarkingError(f"{marking_id}: id does not match its content (expected {expected})")
    return marking


def parse_marking_definition(obj: Mapping[str, Any]) -> Marking:
    """Read a marking-definition object, or raise MarkingError saying what is wrong with it."""
    if not isinstance(obj, Mapping) or obj.get("type") != "marking-definition":
        raise MarkingError("not a marking-definition object")
    try:
        marking_id = check_marking_id(obj.get("id"))
    except ValueError as exc:
        raise MarkingError(str(exc)) from None
    if obj.get("spec_version") != "2.1":
        raise MarkingError(f"{marking_id}: spec_version must be '2.1'")
    extensions = obj.get("extensions")
    if "definition_type" in obj or "definition" in obj:
        if extensions is not None:
            raise MarkingError(f"{marking_id}: both a definition and extensions")
        return _parse_tlp1(obj, marking_id)
    if not isinstance(extensions, Mapping) or len(extensions) != 1:
        raise MarkingError(f"{marking_id}: must carry exactly one marking extension")
    ((ext_id, body),) = extensions.items()
    if not isinstance(body, Mapping) or body.get("extension_type") != "property-extension":
        raise MarkingError(f"{marking_id}: extension {ext_id!r:.80} is not a property-extension")
    if ext_id == TLP2_EXTENSION_ID:
        return _parse_tlp2(obj, body, marking_id)
    if ext_id in _ACUERDO_EXTENSIONS:
        return _parse_acuerdo(ext_id, body, marking_id)
    raise MarkingError(
        f"{marking_id}: marking extension {ext_id!r:.80} is not understood by the release gate"
    )


def _standard_markings() -> dict[str, Marking]:
    """TLP 2.0 and TLP 1.0 ids, which need no object in the ledger to be understood."""
    known = {mid: Marking.of_tlp(level) for level, mid in TLP2_MARKING_IDS.items()}
    known.update({mid: Marking.of_tlp(TLP1_LEVELS[c]) for c, mid in TLP1_MARKING_IDS.items()})
    return known


@dataclass(frozen=True)
class MarkingCatalog:
    """Marking-definition id -> Marking: what the gate knows; every other id is unknown."""

    markings: Mapping[str, Marking] = field(
        default_factory=lambda: MappingProxyType(_standard_markings()), hash=False
    )

    @classmethod
    def standard(cls) -> MarkingCatalog:
        """Only the pinned TLP 2.0 and TLP 1.0 ids."""
        return cls()

    @classmethod
    def with_definitions(cls, definitions: Iterable[Mapping[str, Any]]) -> MarkingCatalog:
        """The standard ids plus these ledger definitions; MarkingError on the first bad one."""
        known = _standard_markings()
        for obj in definitions:
            marking = parse_marking_definition(obj)
            known.setdefault(obj["id"], marking)
        return cls(MappingProxyType(known))

    def get(self, marking_id: str) -> Marking | None:
        """The marking an id stands for, or None when the gate does not know it."""
        return self.markings.get(marking_id)

    def __contains__(self, marking_id: object) -> bool:
        return marking_id in self.markings

    def __iter__(self) -> Iterator[str]:
        return iter(self.markings)

    def __len__(self) -> int:
        return len(self.markings)

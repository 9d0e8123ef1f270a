"""The typed schema of an agreement file (format 1).

These models check shape and scalar types only; what needs the whole file (a cited article
exists, a parameter reference resolves, a fact's test fits its kind) is checked by
``checks.py`` so that every problem is reported at once, each with its own line. Every
model forbids unknown fields and is strict: a quoted ``"true"`` is not a boolean and an
unquoted ``1.0`` is not a version string.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from acuerdo.agreement.fieldtypes import (
    Channel,
    CountryCode,
    Ed25519Key,
    HandlingCode,
    IsoDate,
    PartyRef,
    RecordType,
    Role,
    Slug,
    Text,
    Timestamp,
    Tlp,
    Unit,
)

#: A non-negative finite number; YAML integers stay integers.
Number = Annotated[int, Field(ge=0)] | Annotated[float, Field(ge=0, allow_inf_nan=False)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


# --- citations and sources ---------------------------------------------------------------


class Basis(_Model):
    """The article a rule rests on, and whether that article's wording is public."""

    article: Text
    paragraph: Text | None = None
    public: bool
    note: Text | None = None


class Article(_Model):
    """An article (or clause) of the agreement that rules cite."""

    id: Text
    title: Text
    public: bool
    summary: Text
    source: Text | None = None


class ParameterSource(_Model):
    """Where a parameter's value comes from."""

    kind: Literal[
        "article", "implementing-arrangement", "diplomatic-note", "joint-committee-decision"
    ]
    reference: Text
    paragraph: Text | None = None
    public: bool
    note: Text | None = None


class Parameter(_Model):
    """A number a rule uses (a notice period, a share), with its unit and its source."""

    id: Slug
    name: Text
    value: Number
    unit: Unit
    provisional: bool = False
    calendar: Slug | None = None
    source: ParameterSource
    note: Text | None = None


class Holiday(_Model):
    date: IsoDate
    name: Text


class Calendar(_Model):
    """A holiday calendar that business-day periods count with, fixed when adopted."""

    id: Slug
    name: Text
    timezone: Text
    weekend: list[int] = Field(default_factory=lambda: [6, 7])
    holidays: list[Holiday] = Field(default_factory=list)
    source: ParameterSource


# --- identity and parties ----------------------------------------------------------------


class Signature(_Model):
    date: IsoDate
    place: Text


class InForce(_Model):
    status: Literal["signed", "ratified", "in-force", "terminated"]
    date: IsoDate | None = None
    note: Text | None = None


class TextSource(_Model):
    """Where the encoded wording comes from, and whether the file covers all of it."""

    kind: Literal["official-text", "public-reporting"]
    reference: Text
    complete: bool
    note: Text | None = None


class Identity(_Model):
    id: Slug
    title: Text
    version: Text
    signed: Signature
    in_force: InForce
    text: TextSource
    note: Text | None = None


class Agency(_Model):
    id: Slug
    name: Text
    purpose: Text


class RootKey(_Model):
    """A party's long-lived root public key; only keys it certifies are trusted."""

    key_id: Text
    purpose: Literal["root"]
    algorithm: Literal["Ed25519"] = "Ed25519"
    public_key: Ed25519Key
    not_before: Timestamp | IsoDate
    not_after: Timestamp | IsoDate


class Party(_Model):
    code: CountryCode
    role: Literal["sending", "host"]
    name: Text
    agencies: list[Agency] = Field(min_length=1)
    root_keys: list[RootKey] = Field(default_factory=list)


# --- who is covered, and how they enter ---------------------------------------------------


class Condition(_Model):
    """A test on one fact of a person; failing it refuses coverage with ``refusal``."""

    fact: Text
    test: Literal["is_true", "is_false", "in", "not_in", "equals"]
    value: list[str] | None = None
    basis: Basis
    refusal: Text


class CoverageStatus(_Model):
    covered: bool
    status: Text | None = None
    reason: Text
    basis: Basis


class Category(_Model):
    id: Slug
    name: Text
    basis: Basis
    conditions: list[Condition] = Field(default_factory=list)
    coverage: CoverageStatus


class Coverage(_Model):
    basis: Basis
    categories: list[Category] = Field(min_length=1)


class Document(_Model):
    id: Slug
    name: Text


class EntryRule(_Model):
    id: Slug
    categories: list[Slug] = Field(min_length=1)
    documents: list[Document] = Field(min_length=1)
    exempt_from: list[Slug] = Field(default_factory=list)
    basis: Basis


class Entry(_Model):
    basis: Basis
    rules: list[EntryRule] = Field(default_factory=list)


# --- activities and other provisions ------------------------------------------------------


class ActivityType(_Model):
    id: Slug
    name: Text
    host_approval: bool
    notice: Slug
    emergency_path: bool
    emergency_notice: Slug | None = None
    basis: Basis


class EmergencyPath(_Model):
    """Who decides an urgent request (disaster response, contingencies), and how fast.

    ``decision_within`` and ``regularise_within`` name time parameters: the first runs from
    the host's receipt of the urgent request, the second from the emergency decision, by
    when the ordinary competent agency confirms (regularises) what was authorised in haste.
    """

    authority: Slug
    decision_within: Slug
    regularise_within: Slug
    basis: Basis


class Region(_Model):
    """A first-level division of the host state (a department), with a reference point."""

    code: Text
    name: Text
    seat: Text
    latitude: Annotated[float, Field(ge=-90, le=90)]
    longitude: Annotated[float, Field(ge=-180, le=180)]


class Activities(_Model):
    basis: Basis
    types: list[ActivityType] = Field(default_factory=list)
    #: The host agency competent to decide proposals (None: any host approver).
    deciding_agency: Slug | None = None
    emergency: EmergencyPath | None = None
    regions: list[Region] = Field(default_factory=list)


class Provision(_Model):
    """A privilege or duty other parts of acuerdo look up (customs, movements, ...)."""

    id: Slug
    name: Text
    summary: Text
    applies_to: list[Slug] = Field(default_factory=list)
    notice: Slug | None = None
    #: The host agency that answers what the provision covers (customs clears declarations,
    #: the spectrum regulator assigns frequencies); None when no host answer is needed.
    deciding_agency: Slug | None = None
    #: A further period the provision sets (time allowed before temporarily imported
    #: goods are re-exported, say); a time parameter.
    period: Slug | None = None
    basis: Basis


# --- jurisdiction and claims --------------------------------------------------------------

WhenValue = bool | str | list[str]


class JurisdictionResult(_Model):
    kind: Literal["exclusive", "concurrent", "sending-state-exercises"]
    primary: PartyRef


class JurisdictionRule(_Model):
    id: Slug
    when: dict[str, WhenValue] = Field(default_factory=dict)
    result: JurisdictionResult
    basis: Basis


class Period(_Model):
    id: Slug
    name: Text
    parameter: Slug
    basis: Basis


class Jurisdiction(_Model):
    summary: Text
    basis: Basis
    rules: list[JurisdictionRule] = Field(min_length=1)
    periods: list[Period] = Field(default_factory=list)


class ClaimResult(_Model):
    outcome: Literal[
        "waived",
        "shared",
        "arbitration",
        "sending-state-process",
        "host-state-process",
        "ex-gratia",
    ]
    shares: dict[str, Number] | None = None
    note: Text | None = None


class ClaimRule(_Model):
    id: Slug
    when: dict[str, WhenValue] = Field(default_factory=dict)
    result: ClaimResult
    basis: Basis


class Claims(_Model):
    summary: Text
    basis: Basis
    rules: list[ClaimRule] = Field(min_length=1)


# --- incidents: timers, waivers, custody --------------------------------------------------

#: The acts an incident timer can require; what starts and ends each is fixed in
#: acuerdo.domains.incidents.timers and documented in docs/incidents.md.
IncidentAct = Literal[
    "duty-certificate",
    "duty-certificate-challenge",
    "jurisdiction-notice",
    "waiver-request",
    "waiver-decision",
]
JurisdictionKind = Literal["exclusive", "concurrent", "sending-state-exercises"]
_ALL_KINDS: tuple[JurisdictionKind, ...] = ("exclusive", "concurrent", "sending-state-exercises")


class IncidentTimer(_Model):
    """A period within which a party must (duty) or may (window) do an act in a case."""

    id: Slug
    act: IncidentAct
    name: Text
    nature: Literal["duty", "window"]
    parameter: Slug
    extension: Slug | None = None
    applies_to: list[JurisdictionKind] = Field(default_factory=lambda: list(_ALL_KINDS))
    basis: Basis


class CustodyRule(_Model):
    """Who keeps an accused in custody, by who exercises jurisdiction and whether charged."""

    id: Slug
    exercising: PartyRef | None = None
    charged: bool | None = None
    custody: PartyRef
    basis: Basis


class Incidents(_Model):
    """How cases after an incident run: waivers, duty certificates, timers, custody."""

    summary: Text
    basis: Basis
    waiver: Basis | None = None
    duty_certificate: Basis | None = None
    timers: list[IncidentTimer] = Field(default_factory=list)
    custody: list[CustodyRule] = Field(default_factory=list)


# --- sharing ------------------------------------------------------------------------------


class RecordTypeDefault(_Model):
    type: RecordType
    tlp: Tlp
    releasable_to: list[PartyRef] = Field(min_length=1)
    basis: Basis


class UnmarkedIntel(_Model):
    tlp: Tlp
    releasable_to: list[PartyRef] = Field(min_length=1)
    basis: Basis
    # "apply": intelligence without a TLP marking gets `tlp` beside it; "refuse": it is refused.
    action: Literal["apply", "refuse"] = "apply"


class HandlingCodeRule(_Model):
    code: HandlingCode
    meaning: Text
    channels: list[Channel] = Field(min_length=1)
    basis: Basis


class Sharing(_Model):
    basis: Basis
    record_types: list[RecordTypeDefault] = Field(min_length=1)
    unmarked_intel: UnmarkedIntel
    personal_data_roles: list[Role] = Field(min_length=1)
    handling_codes: list[HandlingCodeRule] = Field(default_factory=list)


# --- the file -----------------------------------------------------------------------------


class AgreementFile(_Model):
    """One agreement file, format 1."""

    format: Literal[1]
    agreement: Identity
    articles: list[Article] = Field(min_length=1)
    parties: list[Party] = Field(min_length=2)
    coverage: Coverage
    entry: Entry
    activities: Activities
    provisions: list[Provision] = Field(default_factory=list)
    jurisdiction: Jurisdiction
    claims: Claims
    sharing: Sharing
    parameters: list[Parameter] = Field(default_factory=list)
    calendars: list[Calendar] = Field(default_factory=list)
    incidents: Incidents | None = None

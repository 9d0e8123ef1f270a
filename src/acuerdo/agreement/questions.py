"""Questions put to an agreement, and the decisions that answer them.

Each question is a typed model of facts; a fact left out (``None``) is unknown, and a rule
that needs an unknown fact makes the answer ``undetermined`` (naming the facts it needs)
rather than guessing. A decision carries its reasons, each citing an article, and the hash
of the agreement it was taken under, so it can be checked later against the same file.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from acuerdo.agreement.facts import ClaimantKind, DamageKind
from acuerdo.agreement.fieldtypes import CountryCode

FactValue = bool | str | list[str]


class _Question(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CoverageQuestion(_Question):
    """Is this person covered by the agreement, and with what status?"""

    kind: Literal["coverage"] = "coverage"
    category: str
    nationalities: list[CountryCode] | None = None
    stateless: bool | None = None
    ordinarily_resident_in: CountryCode | None = None
    employer_nationality: CountryCode | None = None
    armed_forces_of: CountryCode | None = None
    employed_by_armed_service: bool | None = None
    accompanies_force: bool | None = None
    dependent_of_member: bool | None = None

    def facts(self) -> dict[str, FactValue | None]:
        """The facts conditions may test, by name (the category is not one of them)."""
        return self.model_dump(exclude={"kind", "category"})


class JurisdictionQuestion(_Question):
    """Who has (primary) criminal jurisdiction over this offence by a covered person?"""

    kind: Literal["jurisdiction"] = "jurisdiction"
    category: str = Field(description="the accused's covered-person category")
    sending_party: CountryCode | None = Field(
        default=None, description="the accused's sending state, where several send forces"
    )
    offence_against_sending_law: bool | None = None
    offence_against_host_law: bool | None = None
    official_duty: bool | None = None
    inter_se: bool | None = None
    against_sending_state_property_or_security: bool | None = None

    def facts(self) -> dict[str, FactValue | None]:
        """The facts jurisdiction rules may test, by name."""
        facts: dict[str, FactValue | None] = {"accused_category": self.category}
        facts.update(self.model_dump(exclude={"kind", "category", "sending_party"}))
        return facts


class ClaimQuestion(_Question):
    """How is this claim for damage settled, and who bears its cost?"""

    kind: Literal["claim"] = "claim"
    claimant_kind: ClaimantKind | None = None
    damage_kind: DamageKind | None = None
    official_duty: bool | None = None
    responsible: list[CountryCode] | None = Field(
        default=None, description="codes of the parties legally responsible for the damage"
    )
    sending_party: CountryCode | None = None

    def facts(self) -> dict[str, FactValue | None]:
        """The facts claims rules may test, by name."""
        return self.model_dump(exclude={"kind", "sending_party"})


class ActivityQuestion(_Question):
    """Does this kind of activity need host approval, and with how much notice?"""

    kind: Literal["activity"] = "activity"
    activity_type: str
    emergency: bool = False


class EntryQuestion(_Question):
    """Are these documents enough for a person of this category to enter?"""

    kind: Literal["entry"] = "entry"
    category: str
    documents: list[str] = Field(default_factory=list)


Question = (
    CoverageQuestion | JurisdictionQuestion | ClaimQuestion | ActivityQuestion | EntryQuestion
)


class Citation(BaseModel):
    """The article a reason rests on, as the agreement file declares it."""

    model_config = ConfigDict(frozen=True)

    article: str
    paragraph: str | None = None
    title: str
    public: bool
    source_note: str | None = None


class Reason(BaseModel):
    """One step of a decision, in words, with the article it rests on."""

    model_config = ConfigDict(frozen=True)

    text: str
    citation: Citation


class Decision(BaseModel):
    """The answer to a question, with reasons, under one identified agreement."""

    model_config = ConfigDict(frozen=True)

    question: Literal["coverage", "jurisdiction", "claim", "activity", "entry"]
    outcome: str
    details: dict[str, JsonValue] = Field(default_factory=dict)
    reasons: list[Reason]
    agreement_id: str
    agreement_version: str
    agreement_hash: str

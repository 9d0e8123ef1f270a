"""The fact vocabulary rules may test, shared by the schema checks and the questions.

An agreement file writes conditions and first-match rules over named facts; the engine
knows what each fact is (a flag, a country, a set of parties, a choice) but nothing of any
particular agreement. A new agreement that needs a new kind of fact extends this table,
its question model and the docs together (a test keeps the three in step).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final, Literal


class FactKind(StrEnum):
    """How a fact's value is written and which tests apply to it."""

    FLAG = "flag"  # true or false
    COUNTRY = "country"  # one ISO 3166 alpha-3 code
    COUNTRIES = "countries"  # a set of ISO 3166 alpha-3 codes
    PARTIES = "parties"  # a set of the agreement's parties
    CHOICE = "choice"  # one of a fixed list of words
    CATEGORY = "category"  # one of the agreement's covered-person categories


@dataclass(frozen=True)
class Fact:
    """One named fact: its kind, what it means, and the words a CHOICE fact allows."""

    name: str
    kind: FactKind
    meaning: str
    choices: tuple[str, ...] = ()


ClaimantKind = Literal["government", "third-party"]
DamageKind = Literal["death", "injury", "armed-services-property", "other-property"]

CLAIMANT_KINDS: Final = ("government", "third-party")
DAMAGE_KINDS: Final = ("death", "injury", "armed-services-property", "other-property")


def _table(*facts: Fact) -> dict[str, Fact]:
    return {fact.name: fact for fact in facts}


#: Facts a covered-person category's conditions may test (CoverageQuestion fields).
COVERAGE_FACTS: Final = _table(
    Fact("nationalities", FactKind.COUNTRIES, "every nationality the person holds"),
    Fact("stateless", FactKind.FLAG, "the person holds no nationality"),
    Fact("ordinarily_resident_in", FactKind.COUNTRY, "the country of ordinary residence"),
    Fact("employer_nationality", FactKind.COUNTRY, "where the person's employer is a national of"),
    Fact("armed_forces_of", FactKind.COUNTRY, "the state whose armed forces the person serves in"),
    Fact(
        "employed_by_armed_service",
        FactKind.FLAG,
        "a civilian employed by the sending state's armed services or defence department",
    ),
    Fact("accompanies_force", FactKind.FLAG, "the person accompanies the sending state's force"),
    Fact(
        "dependent_of_member",
        FactKind.FLAG,
        "spouse, or child depending for support, of a member of the force or civilian component",
    ),
)

#: Facts jurisdiction rules may test (JurisdictionQuestion fields; the category is the
#: accused's).
JURISDICTION_FACTS: Final = _table(
    Fact("accused_category", FactKind.CATEGORY, "the covered-person category of the accused"),
    Fact("offence_against_sending_law", FactKind.FLAG, "punishable by the sending state's law"),
    Fact("offence_against_host_law", FactKind.FLAG, "punishable by the host state's law"),
    Fact("official_duty", FactKind.FLAG, "arises out of an act or omission in official duty"),
    Fact(
        "inter_se",
        FactKind.FLAG,
        "solely against the person or property of another member of the same force, "
        "its civilian component or a dependent",
    ),
    Fact(
        "against_sending_state_property_or_security",
        FactKind.FLAG,
        "solely against the property or security of the sending state",
    ),
)

#: Facts claims rules may test (ClaimQuestion fields).
CLAIM_FACTS: Final = _table(
    Fact("claimant_kind", FactKind.CHOICE, "who claims", CLAIMANT_KINDS),
    Fact("damage_kind", FactKind.CHOICE, "what was suffered", DAMAGE_KINDS),
    Fact("official_duty", FactKind.FLAG, "the damage arose from an act in official duty"),
    Fact("responsible", FactKind.PARTIES, "the parties legally responsible for the damage"),
)

#: Tests a category condition may apply, by fact kind.
TESTS_BY_KIND: Final[dict[FactKind, tuple[str, ...]]] = {
    FactKind.FLAG: ("is_true", "is_false"),
    FactKind.COUNTRY: ("in", "not_in", "equals"),
    FactKind.COUNTRIES: ("in", "not_in", "equals"),
    FactKind.PARTIES: ("in", "not_in", "equals"),
    FactKind.CHOICE: ("in", "not_in", "equals"),
    FactKind.CATEGORY: ("in", "not_in", "equals"),
}

#: Party references a file may write wherever a party is meant.
HOST_REF: Final = "$host"
SENDING_REF: Final = "$sending"
PARTY_REFS: Final = (HOST_REF, SENDING_REF)

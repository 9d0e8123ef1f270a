"""acuerdo's own record types: STIX extension definitions, JSON Schemas, and record kinds.

Each agreement record type is a new STIX object type ("new-sdo") declared by an extension
definition that acuerdo ships. Its id is a constant: the same on every node and in every
release, so two nodes agree on what a type means. stix2-validator does not check such types,
so each carries a JSON Schema (schemas/<name>.json) that every write is validated against.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from acuerdo.ledger import stix
from acuerdo.markings import HANDLING_EXTENSION_ID, RECIPIENTS_EXTENSION_ID, REL_TO_EXTENSION_ID
from acuerdo.release import RecordKind

# Author of the shipped extension definitions: acuerdo itself, not either party.
ACUERDO_IDENTITY_ID = "identity--f95b8b81-549c-4440-ba7d-e237dfe17d04"
SHIPPED_AT = "2026-11-25T00:00:00.000Z"


@dataclass(frozen=True)
class RecordType:
    """One acuerdo record type: its STIX type name, extension definition id and schema."""

    name: str
    extension_id: str
    schema_file: str
    kind: RecordKind
    title: str
    extension_type: str = "new-sdo"  # "new-sco" for acuerdo's own cyber observables
    # A notification: the receiving node answers each version with a signed receipt, and
    # periods that run from notification run from that receipt (acuerdo.federation.receipts).
    notification: bool = False


RECORD_TYPES: tuple[RecordType, ...] = (
    RecordType(
        "acuerdo-covered-person",
        "extension-definition--515e4d9b-800f-407a-b854-9fa8045fd4eb",
        "covered-person.json",
        RecordKind.AGREEMENT,
        "Covered person",
    ),
    RecordType(
        "acuerdo-personal-data",
        "extension-definition--521cdca8-9c00-43ea-b371-ebc4ea0f0204",
        "personal-data.json",
        RecordKind.PERSONAL,
        "Personal data of a covered person",
    ),
    RecordType(
        "acuerdo-movement-order",
        "extension-definition--d6c7199e-df3d-4f36-a249-2184506ff962",
        "movement-order.json",
        RecordKind.AGREEMENT,
        "Movement order (individual or collective travel orders)",
    ),
    RecordType(
        "acuerdo-movement",
        "extension-definition--4b5e8b25-78bf-45d9-b355-7c16761aec63",
        "movement.json",
        RecordKind.AGREEMENT,
        "Arrival or departure notified by the sending state",
        notification=True,
    ),
    RecordType(
        "acuerdo-movement-confirmation",
        "extension-definition--9aa7ddbd-c7e3-4721-b867-14d0e819fd03",
        "movement-confirmation.json",
        RecordKind.AGREEMENT,
        "Host immigration's record of an arrival or departure",
    ),
    RecordType(
        "acuerdo-erasure",
        "extension-definition--d320d3be-ca65-4ce2-ae4d-dcfcb0573409",
        "erasure.json",
        RecordKind.AGREEMENT,
        "Erasure of a person's personal data on every node",
    ),
    RecordType(
        "acuerdo-status-card",
        "extension-definition--0e4acc31-6771-4a5b-bc57-e765017430e7",
        "status-card.json",
        RecordKind.AGREEMENT,
        "Status card issued for a covered person (revoked by a revoked version)",
    ),
    RecordType(
        "acuerdo-activity",
        "extension-definition--767bcef8-0dd6-4811-ace7-25bc8e364d57",
        "activity.json",
        RecordKind.AGREEMENT,
        "Activity proposed by one party for the host to decide",
        notification=True,
    ),
    RecordType(
        "acuerdo-activity-decision",
        "extension-definition--514b2ad0-fd44-4f5c-ab70-1edf438165a3",
        "activity-decision.json",
        RecordKind.AGREEMENT,
        "Host decision on one version of an activity",
    ),
    RecordType(
        "acuerdo-after-action-report",
        "extension-definition--d4ccf5c5-6f8a-412d-9dbc-3f89e58833d2",
        "after-action-report.json",
        RecordKind.AGREEMENT,
        "After-action report closing an activity",
    ),
    RecordType(
        "acuerdo-authorisation",
        "extension-definition--7c7be9f2-a898-4dbb-8887-4e340ef12a61",
        "authorisation.json",
        RecordKind.AGREEMENT,
        "Host instrument authorising foreign forces for a period",
    ),
    # Intelligence observables STIX lacks (see docs/intel.md); owned by no one, like SCOs.
    RecordType(
        "acuerdo-aircraft",
        "extension-definition--615e5997-1982-42b1-808a-6c933effe399",
        "aircraft.json",
        RecordKind.INTEL,
        "Aircraft by registration mark",
        "new-sco",
    ),
    RecordType(
        "acuerdo-vessel",
        "extension-definition--667e12a8-0e01-478c-93b4-a93d539518a2",
        "vessel.json",
        RecordKind.INTEL,
        "Vessel by IMO number, MMSI or name",
        "new-sco",
    ),
    RecordType(
        "acuerdo-vehicle",
        "extension-definition--96323615-31e4-4167-9eb1-8ef58d347ecc",
        "vehicle.json",
        RecordKind.INTEL,
        "Road vehicle by plate",
        "new-sco",
    ),
    RecordType(
        "acuerdo-phone-number",
        "extension-definition--1b07cc12-3064-446b-8362-32f8b1a8ecc2",
        "phone-number.json",
        RecordKind.INTEL,
        "Phone number in E.164 form",
        "new-sco",
    ),
    RecordType(
        "acuerdo-incident",
        "extension-definition--412669b4-526e-43d5-be70-52503e8e820e",
        "incident.json",
        RecordKind.AGREEMENT,
        "Incident reported by either party",
    ),
    RecordType(
        "acuerdo-duty-certificate",
        "extension-definition--63561a34-afec-4c69-8121-d2b680b4b619",
        "duty-certificate.json",
        RecordKind.AGREEMENT,
        "Official-duty certificate of the sending state",
    ),
    RecordType(
        "acuerdo-jurisdiction-notice",
        "extension-definition--3d66e007-16b2-422e-9f1c-4f44b0d895cc",
        "jurisdiction-notice.json",
        RecordKind.AGREEMENT,
        "Notice that a party exercises or declines jurisdiction",
    ),
    RecordType(
        "acuerdo-waiver-request",
        "extension-definition--545abc3d-1ff3-4950-9934-fa973f615489",
        "waiver-request.json",
        RecordKind.AGREEMENT,
        "Request to waive the primary right to exercise jurisdiction",
    ),
    RecordType(
        "acuerdo-waiver-decision",
        "extension-definition--0665c3b4-7ee7-4a05-b21d-693d4bd5b504",
        "waiver-decision.json",
        RecordKind.AGREEMENT,
        "Decision on a waiver request (granted, refused, extended)",
    ),
    RecordType(
        "acuerdo-custody",
        "extension-definition--428e8fe0-b7eb-47a6-9b84-68fbb897eafd",
        "custody.json",
        RecordKind.AGREEMENT,
        "Custody status of an accused, by the party holding them",
    ),
    RecordType(
        "acuerdo-trial-observer",
        "extension-definition--bbb2f239-c3c0-4cba-a08e-814779e26ed9",
        "trial-observer.json",
        RecordKind.AGREEMENT,
        "Observer a party sends to proceedings",
    ),
    RecordType(
        "acuerdo-case-outcome",
        "extension-definition--666606f2-2d5d-4896-b3a5-cf597832bdb0",
        "case-outcome.json",
        RecordKind.AGREEMENT,
        "Step or outcome of proceedings against an accused",
    ),
    RecordType(
        "acuerdo-claim",
        "extension-definition--9da95030-da96-4648-bdcc-c9bacde36038",
        "claim.json",
        RecordKind.AGREEMENT,
        "Claim for death, injury or damage",
    ),
    RecordType(
        "acuerdo-consultation",
        "extension-definition--eba9e3e3-ea6b-44df-9117-bf1fb90b4a60",
        "consultation.json",
        RecordKind.AGREEMENT,
        "Consultation between the parties",
    ),
    RecordType(
        "acuerdo-dispute",
        "extension-definition--763f83e3-8af2-40f1-8013-0c48669748df",
        "dispute.json",
        RecordKind.AGREEMENT,
        "Dispute between the parties for the Joint Committee",
    ),
    # Equipment and craft (domains/equipment)
    RecordType(
        "acuerdo-craft-movement",
        "extension-definition--3d72f553-0e37-4b74-a299-34b6ace87692",
        "craft-movement.json",
        RecordKind.AGREEMENT,
        "Aircraft, vessel or vehicle movement notified by the sending state",
        notification=True,
    ),
    RecordType(
        "acuerdo-craft-acknowledgement",
        "extension-definition--bc5b4d24-02c1-4897-99c7-854ba31da6d7",
        "craft-acknowledgement.json",
        RecordKind.AGREEMENT,
        "Host's acknowledgement of one version of a craft movement notification",
    ),
    RecordType(
        "acuerdo-customs-declaration",
        "extension-definition--5dacd176-2a79-45ef-a6bc-994e7c38bd2f",
        "customs-declaration.json",
        RecordKind.AGREEMENT,
        "Customs declaration of equipment imported or exported duty-free",
        notification=True,
    ),
    RecordType(
        "acuerdo-customs-decision",
        "extension-definition--3a5557e3-b833-4d2d-ac4e-22bfc4bc126f",
        "customs-decision.json",
        RecordKind.AGREEMENT,
        "Host customs' clearance or hold of one version of a declaration",
    ),
    RecordType(
        "acuerdo-frequency-request",
        "extension-definition--72ae003c-a818-4238-b1f2-b3670bba7759",
        "frequency-request.json",
        RecordKind.AGREEMENT,
        "Request to use radio frequencies (bands, power, places, dates)",
    ),
    RecordType(
        "acuerdo-frequency-assignment",
        "extension-definition--b2608be0-d464-4a7d-81e6-64a514130d2e",
        "frequency-assignment.json",
        RecordKind.AGREEMENT,
        "Host's assignment decision on one version of a frequency request",
    ),
    RecordType(
        "acuerdo-transfer-programme",
        "extension-definition--aa7da383-b25a-4109-acd3-7a415fc571fc",
        "transfer-programme.json",
        RecordKind.AGREEMENT,
        "Equipment transfer programme with planned milestones and owners",
    ),
    RecordType(
        "acuerdo-transfer-milestone",
        "extension-definition--440d2972-8403-458c-85f5-630a21f355a9",
        "transfer-milestone.json",
        RecordKind.AGREEMENT,
        "Date a step of a transfer programme was reached, by its owner",
    ),
    RecordType(
        "acuerdo-receipt",
        "extension-definition--00dc2e1c-6271-47e5-9310-d6c1478cd148",
        "receipt.json",
        RecordKind.AGREEMENT,
        "Receiving node's signed receipt of a notification version",
    ),
)
BY_NAME: Mapping[str, RecordType] = {t.name: t for t in RECORD_TYPES}

# Types the receiving node answers with a receipt: declared on the type, not listed here.
NOTIFICATION_TYPES = frozenset(t.name for t in RECORD_TYPES if t.notification)

# Personal data is marked apart: a record linking it is not withheld because of it.
PERSONAL_TYPES = frozenset(t.name for t in RECORD_TYPES if t.kind is RecordKind.PERSONAL)

# Types owned by no one: the same content is the same version on every node.
UNOWNED_TYPES = (
    stix.SCO_TYPES
    | {"marking-definition", "extension-definition"}
    | {t.name for t in RECORD_TYPES if t.extension_type == "new-sco"}
)
REFERENCE_TYPES = frozenset({"marking-definition", "extension-definition"})


def kind_of(object_type: str, object_id: str, party_identities: frozenset[str]) -> RecordKind:
    """Which family of record a type belongs to: decides channels and who may see it."""
    if object_type in BY_NAME:
        return BY_NAME[object_type].kind
    if object_type in REFERENCE_TYPES or object_id in party_identities:
        return RecordKind.REFERENCE
    return RecordKind.INTEL


_STIX_TYPES = stix.SDO_TYPES | stix.SRO_TYPES | stix.SCO_TYPES | stix.META_TYPES


def is_known_type(object_type: str) -> bool:
    """True for STIX 2.1 types and acuerdo's own; anything else is refused on write."""
    return object_type in BY_NAME or object_type in _STIX_TYPES


# The property extensions that carry acuerdo's own markings inside marking definitions.
MARKING_EXTENSIONS = (
    (REL_TO_EXTENSION_ID, "acuerdo-releasability", "REL TO: the parties a record may go to"),
    (HANDLING_EXTENSION_ID, "acuerdo-handling-code", "How a recipient may use a record"),
    (RECIPIENTS_EXTENSION_ID, "acuerdo-named-recipients", "Named users a TLP:RED record is for"),
)

# Admiralty grading (source reliability A-F, information credibility 1-6) of intelligence:
# the author's assessment, carried inside the object; it restricts no release.
EVALUATION_EXTENSION_ID = "extension-definition--84324383-f806-409e-a736-9026dc95a2b0"
PROPERTY_EXTENSIONS = (
    *MARKING_EXTENSIONS,
    (EVALUATION_EXTENSION_ID, "acuerdo-evaluation", "Admiralty source and information grading"),
)


def extension_definitions() -> list[dict[str, Any]]:
    """The STIX extension-definition objects acuerdo ships: record types and markings."""
    markings = [
        {
            "type": "extension-definition",
            "spec_version": "2.1",
            "id": ext_id,
            "created_by_ref": ACUERDO_IDENTITY_ID,
            "created": SHIPPED_AT,
            "modified": SHIPPED_AT,
            "name": name,
            "description": description,
            "schema": "docs/release-gate.md (shipped)",
            "version": "1.0.0",
            "extension_types": ["property-extension"],
        }
        for ext_id, name, description in PROPERTY_EXTENSIONS
    ]
    return markings + [
        {
            "type": "extension-definition",
            "spec_version": "2.1",
            "id": t.extension_id,
            "created_by_ref": ACUERDO_IDENTITY_ID,
            "created": SHIPPED_AT,
            "modified": SHIPPED_AT,
            "name": t.name,
            "description": t.title,
            "schema": f"JSON Schema acuerdo:{t.schema_file.removesuffix('.json')} (shipped)",
            "version": "1.0.0",
            "extension_types": [t.extension_type],
        }
        for t in RECORD_TYPES
    ]

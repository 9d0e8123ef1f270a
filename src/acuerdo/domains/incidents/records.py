"""The record types of a case and the one shape the decision code reads them in.

A case is an incident and every record that answers it (certificates, notices, waiver
requests and decisions, custody, observers, outcomes, challenges). The decision code reads
them as ``CaseRecord``: the body, who owns it, which version it is and when this node
recorded it. Periods count from that receipt time: until the nodes exchange signed receipts,
the time this node recorded a record stands in for the partner's receipt (docs/incidents.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from pydantic import JsonValue

from acuerdo.ledger import stix

INCIDENT: Final = "acuerdo-incident"
DUTY_CERTIFICATE: Final = "acuerdo-duty-certificate"
JURISDICTION_NOTICE: Final = "acuerdo-jurisdiction-notice"
WAIVER_REQUEST: Final = "acuerdo-waiver-request"
WAIVER_DECISION: Final = "acuerdo-waiver-decision"
CUSTODY: Final = "acuerdo-custody"
TRIAL_OBSERVER: Final = "acuerdo-trial-observer"
CASE_OUTCOME: Final = "acuerdo-case-outcome"
CLAIM: Final = "acuerdo-claim"
CONSULTATION: Final = "acuerdo-consultation"
DISPUTE: Final = "acuerdo-dispute"
PERSON: Final = "acuerdo-covered-person"

#: Records that answer an incident (each carries ``incident_ref`` and ``answers``).
ANSWER_TYPES: Final = frozenset(
    {
        DUTY_CERTIFICATE,
        JURISDICTION_NOTICE,
        WAIVER_REQUEST,
        WAIVER_DECISION,
        CUSTODY,
        TRIAL_OBSERVER,
        CASE_OUTCOME,
    }
)
CASE_TYPES: Final = ANSWER_TYPES | {INCIDENT}
ALL_TYPES: Final = CASE_TYPES | {CLAIM, CONSULTATION, DISPUTE}

#: Outcome stages that end proceedings against an accused.
FINAL_STAGES: Final = frozenset(
    {"acquitted", "convicted", "dismissed", "discontinued", "disciplinary-action"}
)

RECEIPT_NOTE: Final = (
    "Periods run from the time this node recorded each record; until the nodes exchange "
    "signed receipts, that time stands in for the partner's receipt."
)


@dataclass(frozen=True)
class CaseRecord:
    """One current record version as decisions read it."""

    type: str
    id: str
    owner: str
    modified: str
    sha256: str
    received_at: datetime  # when this node first recorded the object (any version)
    body: Mapping[str, Any]

    @classmethod
    def of(
        cls, body: Mapping[str, Any], owner: str, sha256: str, received_at: datetime
    ) -> CaseRecord:
        return cls(
            type=str(body["type"]),
            id=str(body["id"]),
            owner=owner,
            modified=str(body.get("modified", body.get("created", ""))),
            sha256=sha256,
            received_at=received_at,
            body=body,
        )

    @property
    def person(self) -> str | None:
        value = self.body.get("person_ref")
        return value if isinstance(value, str) else None

    @property
    def answers_id(self) -> str | None:
        answers = self.body.get("answers")
        return str(answers["id"]) if isinstance(answers, Mapping) else None

    @property
    def revoked(self) -> bool:
        return bool(self.body.get("revoked", False))

    def fact(self) -> dict[str, JsonValue]:
        """The version a decision rests on: id, type, owner, modified, hash, receipt."""
        return {
            "id": self.id,
            "type": self.type,
            "owner": self.owner,
            "modified": self.modified,
            "sha256": self.sha256,
            "received_at": stix.format_instant(self.received_at),
        }


def latest(records: list[CaseRecord]) -> CaseRecord | None:
    """The record last modified (ties: the greater id, so the answer never depends on order)."""
    return max(
        records, key=lambda r: (stix.parse_timestamp(r.modified, "modified"), r.id), default=None
    )

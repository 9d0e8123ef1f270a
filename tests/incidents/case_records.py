"""Builders of case records for tests: plain dicts, as a client would send them.

``CaseBook`` keeps a clock so that each record gets its own ``modified`` and receipt time,
and turns records into ``CaseRecord`` for the decision functions (the pure tests); the
integration tests post the same dicts to a node.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from acuerdo.domains.incidents.records import CaseRecord
from acuerdo.ledger.canonical import canonicalize, sha256_hex
from acuerdo.ledger.types import BY_NAME

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday


def stamp(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


def new_id(otype: str) -> str:
    return f"{otype}--{uuid.uuid4()}"


def record(otype: str, at: datetime = T0, **props: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"type": otype, "spec_version": "2.1", "id": new_id(otype)}
    base |= {"created": stamp(at), "modified": stamp(at)}
    base["extensions"] = {BY_NAME[otype].extension_id: {"extension_type": "new-sdo"}}
    return base | props


def sha(obj: Mapping[str, Any]) -> str:
    """The SHA-256 of the record's canonical bytes, as the ledger keeps it."""
    return sha256_hex(canonicalize(dict(obj)))


def version_ref(obj: Mapping[str, Any], sha256: str | None = None) -> dict[str, str]:
    return {"id": obj["id"], "modified": obj["modified"], "sha256": sha256 or sha(obj)}


def suspect(
    person_id: str | None = None, *, host: bool, sending: bool, **flags: Any
) -> dict[str, Any]:
    entry: dict[str, Any] = {"role": "suspect"}
    if person_id is None:
        entry["description"] = "A local resident, not a member of the force"
    else:
        entry["person_ref"] = person_id
    entry["offence_against_host_law"] = host
    entry["offence_against_sending_law"] = sending
    return entry | flags


def incident(persons: list[dict[str, Any]], at: datetime = T0, **extra: Any) -> dict[str, Any]:
    props = {
        "occurred_at": stamp(at - timedelta(hours=2)),
        "place": {"name": "Ramstein town centre"},
        "summary": "A traffic collision after an exercise; a pedestrian was injured.",
        "persons": persons,
        "offence_under_host_law": "Negligent bodily injury",
        "offence_under_sending_law": "Reckless driving",
        "damage": [{"kind": "injury", "description": "Broken leg"}],
    }
    return record("acuerdo-incident", at, **(props | extra))


def answer(
    otype: str,
    inc: Mapping[str, Any],
    at: datetime,
    answers: Mapping[str, Any] | None = None,
    sha256: str | None = None,
    **props: Any,
) -> dict[str, Any]:
    target = answers if answers is not None else inc
    return record(otype, at, incident_ref=inc["id"], answers=version_ref(target, sha256), **props)


def certificate(
    inc: Mapping[str, Any], person: str, duty: bool, at: datetime, **kw: Any
) -> dict[str, Any]:
    return answer(
        "acuerdo-duty-certificate",
        inc,
        at,
        person_ref=person,
        official_duty=duty,
        issued_by="Staff Judge Advocate",
        **kw,
    )


def notice(
    inc: Mapping[str, Any], person: str, decision: str, at: datetime, **kw: Any
) -> dict[str, Any]:
    return answer(
        "acuerdo-jurisdiction-notice", inc, at, person_ref=person, decision=decision, **kw
    )


def waiver_request(
    inc: Mapping[str, Any], person: str, to: str, at: datetime, **kw: Any
) -> dict[str, Any]:
    return answer(
        "acuerdo-waiver-request",
        inc,
        at,
        person_ref=person,
        addressed_to=to,
        grounds="Particular importance to the requesting State",
        **kw,
    )


def waiver_decision(
    inc: Mapping[str, Any], request: Mapping[str, Any], decision: str, at: datetime, **kw: Any
) -> dict[str, Any]:
    return answer("acuerdo-waiver-decision", inc, at, answers=request, decision=decision, **kw)


def custody(
    inc: Mapping[str, Any], person: str, held_by: str, at: datetime, **kw: Any
) -> dict[str, Any]:
    return answer(
        "acuerdo-custody", inc, at, person_ref=person, held_by=held_by, status="in-custody", **kw
    )


def outcome(
    inc: Mapping[str, Any], person: str, stage: str, at: datetime, **kw: Any
) -> dict[str, Any]:
    return answer("acuerdo-case-outcome", inc, at, person_ref=person, stage=stage, **kw)


def challenge(
    cert: Mapping[str, Any], at: datetime, sha256: str | None = None, **kw: Any
) -> dict[str, Any]:
    return record(
        "acuerdo-consultation",
        at,
        subject_ref=cert["id"],
        answers=version_ref(cert, sha256),
        topic="duty-certificate-challenge",
        summary="The act was off duty: the accused was driving home",
        status="open",
        **kw,
    )


def claim(at: datetime = T0, **props: Any) -> dict[str, Any]:
    base = {
        "claimant_kind": "third-party",
        "claimant": "A pedestrian injured in the collision",
        "damage_kind": "injury",
        "damage": "Broken leg; hospital costs",
        "amount": "10000.00",
        "currency": "EUR",
        "status": "filed",
    }
    return record("acuerdo-claim", at, **(base | props))


def person(party: str, category: str = "member-of-force", at: datetime = T0) -> dict[str, Any]:
    return record(
        "acuerdo-covered-person",
        at,
        party=party,
        category=category,
        service_or_employer="U.S. Army Europe",
        personal_data_ref=new_id("acuerdo-personal-data"),
    )


def as_case(obj: Mapping[str, Any], owner: str, received: datetime | None = None) -> CaseRecord:
    """A record as the decision code reads it, received when it was modified unless told."""
    at = received or datetime.fromisoformat(str(obj["modified"]).replace("Z", "+00:00"))
    return CaseRecord.of(obj, owner, sha(obj), at)

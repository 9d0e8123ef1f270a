"""Write checks of the case records: refused before signing, with the rule they break.

Each check reads the node's whole ledger (plus the other records of the same write job), so
a bundle may carry an incident and its certificate together. A refusal names the field and
the rule (with its article where the agreement sets it) and writes nothing; a revoked
version (a deletion) is never refused.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, NoReturn

from acuerdo.agreement.schema import Basis
from acuerdo.domains.incidents import records as rt
from acuerdo.domains.incidents.claims import currency_name
from acuerdo.domains.incidents.decision import CaseDecision, decide_case
from acuerdo.domains.incidents.jurisdiction import AccusedDecision, PersonFacts
from acuerdo.domains.incidents.loading import LedgerSource, current, load_case, person_facts
from acuerdo.domains.incidents.records import CaseRecord
from acuerdo.domains.incidents.timers import Obligation
from acuerdo.ledger.record import Draft, RecordError

if TYPE_CHECKING:
    from acuerdo.node import Node


def _refuse(
    draft: Draft, text: str, node: Node | None = None, basis: Basis | None = None
) -> NoReturn:
    where = ""
    if node is not None and basis is not None:
        cite = node.agreement.citation(basis)
        where = f" (Art. {cite.article}{' ' + cite.paragraph if cite.paragraph else ''})"
    raise RecordError(f"{draft.object_id}: {text}{where}")


def _as_record(node: Node, d: Draft, now: datetime) -> CaseRecord:
    return CaseRecord.of(d.obj, d.owner or node.party, d.sha256, now)


async def _find(node: Node, object_id: str, job: Sequence[Draft]) -> CaseRecord | None:
    now = datetime.now(UTC)
    for d in job:
        if d.object_id == object_id:
            return _as_record(node, d, now)
    return await current(LedgerSource(node), object_id)


async def check_incident(node: Node, draft: Draft, job: Sequence[Draft]) -> None:
    """Every covered person an incident names must be a covered-person record here."""
    entries = draft.obj.get("persons", [])
    for index, entry in enumerate(entries):
        ref = entry.get("person_ref") if isinstance(entry, Mapping) else None
        if ref is None:
            continue
        found = await _find(node, str(ref), job)
        if found is None or found.type != rt.PERSON or found.revoked:
            _refuse(draft, f"persons[{index}].person_ref {ref} names no covered person here")


async def _answered(node: Node, draft: Draft, job: Sequence[Draft]) -> CaseRecord:
    """The incident a record answers; its ``answers`` must name a version held here."""
    incident_id = str(draft.obj["incident_ref"])
    incident = await _find(node, incident_id, job)
    if incident is None or incident.type != rt.INCIDENT:
        _refuse(draft, f"incident_ref {incident_id} names no incident here")
    answers = draft.obj.get("answers")
    if isinstance(answers, Mapping):
        await _check_version(node, draft, answers, job)
    return incident


async def _check_version(
    node: Node, draft: Draft, answers: Mapping[str, Any], job: Sequence[Draft]
) -> CaseRecord:
    target = await _find(node, str(answers["id"]), job)
    versions = await LedgerSource(node).versions(str(answers["id"]))
    hashes = {v.sha256 for v in versions} | {d.sha256 for d in job}
    if target is None or answers["sha256"] not in hashes:
        _refuse(
            draft,
            f"answers names version {answers['sha256'][:12]}... of {answers['id']}, "
            "which is not here",
        )
    return target


async def _case(
    node: Node, incident: CaseRecord, draft: Draft, job: Sequence[Draft]
) -> CaseDecision:
    """The case as it stands before ``draft``: ledger records plus the job's others."""
    now = datetime.now(UTC)
    loaded = await load_case(LedgerSource(node), incident.id)
    records = [] if loaded is None else [r for r in loaded.records if r.id != draft.object_id]
    for d in job:
        if d is not draft and d.obj.get("incident_ref") == incident.id:
            records.append(_as_record(node, d, now))
    ids = [str(e["person_ref"]) for e in incident.body["persons"] if "person_ref" in e]
    persons = await person_facts(LedgerSource(node), ids)
    for d in job:  # persons written in the same job as the answer
        if d.object_type == rt.PERSON and d.object_id in ids and not d.revoked:
            persons[d.object_id] = PersonFacts(str(d.obj["party"]), str(d.obj["category"]))
    return decide_case(node.agreement, incident, records, persons, now)


def _accused(draft: Draft, case: CaseDecision) -> AccusedDecision:
    person = draft.obj.get("person_ref")
    for d in case.accused:
        if d.person == person:
            return d
    _refuse(draft, f"person_ref {person} is not named as a suspect by {case.incident.id}")


def _window_lapsed(
    case: CaseDecision, act: str, person: str, starts: str | None = None
) -> Obligation | None:
    for o in case.obligations:
        if o.timer.act == act and o.person == person and o.timer.nature == "window":
            if starts is not None and o.starts.id != starts:
                continue
            if o.status(case.now) == "lapsed":
                return o
    return None


async def check_answer(node: Node, draft: Draft, job: Sequence[Draft]) -> None:
    """A record answering an incident: the incident and version it names are here, and it is
    the act of the party whose act it is."""
    incident = await _answered(node, draft, job)
    if draft.object_type == rt.TRIAL_OBSERVER:
        return
    case = await _case(node, incident, draft, job)
    writer = draft.owner or node.party
    rules = _PARTY_RULES.get(draft.object_type)
    if draft.object_type == rt.WAIVER_DECISION:
        await _check_waiver_decision(node, draft, job, case, writer)
    elif rules is not None:
        d = _accused(draft, case)
        rules(node, draft, case, d, writer)


def _certificate_rule(
    node: Node, draft: Draft, case: CaseDecision, d: AccusedDecision, writer: str
) -> None:
    section = node.agreement.model.incidents
    basis = section.duty_certificate if section is not None else None
    if d.party != writer:
        _refuse(
            draft,
            f"a duty certificate is the act of the accused's sending State "
            f"{d.party}, not of {writer}",
            node,
            basis,
        )


def _notice_rule(
    node: Node, draft: Draft, case: CaseDecision, d: AccusedDecision, writer: str
) -> None:
    if writer not in (d.primary, d.exercising):
        _refuse(
            draft,
            f"a jurisdiction notice is the act of the State with the primary right "
            f"({d.primary}) or exercising it ({d.exercising}), not of {writer}",
            node,
            node.agreement.model.jurisdiction.basis,
        )


def _request_rule(
    node: Node, draft: Draft, case: CaseDecision, d: AccusedDecision, writer: str
) -> None:
    agreement = node.agreement
    section = agreement.model.incidents
    basis = agreement.model.jurisdiction.basis
    if section is None or section.waiver is None:
        _refuse(draft, "the agreement provides for no waiver of jurisdiction", node, basis)
    if d.kind != "concurrent" or d.primary is None:
        _refuse(draft, f"no waiver can be asked: jurisdiction is {d.kind}", node, section.waiver)
    if writer == d.primary:
        _refuse(
            draft,
            f"{writer} holds the primary right: it cannot ask itself to waive it",
            node,
            section.waiver,
        )
    if draft.obj["addressed_to"] != d.primary:
        _refuse(
            draft,
            f"addressed_to must be {d.primary}, the State with the primary right",
            node,
            section.waiver,
        )
    lapsed = _window_lapsed(case, "waiver-request", d.person)
    if lapsed is not None:
        _refuse(
            draft,
            f"the period to request a waiver ended at {lapsed.due:%Y-%m-%d %H:%M}Z",
            node,
            lapsed.timer.basis,
        )


def _custody_rule(
    node: Node, draft: Draft, case: CaseDecision, d: AccusedDecision, writer: str
) -> None:
    if draft.obj["held_by"] != writer:
        _refuse(
            draft,
            f"a custody status is written by the party holding the accused "
            f"({draft.obj['held_by']}), not by {writer}",
        )


def _outcome_rule(
    node: Node, draft: Draft, case: CaseDecision, d: AccusedDecision, writer: str
) -> None:
    if d.exercising != writer:
        who = d.exercising or "undetermined"
        _refuse(
            draft,
            f"an outcome of proceedings is written by the State exercising "
            f"jurisdiction ({who}), not by {writer}",
            node,
            node.agreement.model.jurisdiction.basis,
        )


_PARTY_RULES = {
    rt.DUTY_CERTIFICATE: _certificate_rule,
    rt.JURISDICTION_NOTICE: _notice_rule,
    rt.WAIVER_REQUEST: _request_rule,
    rt.CUSTODY: _custody_rule,
    rt.CASE_OUTCOME: _outcome_rule,
}


async def _check_waiver_decision(
    node: Node, draft: Draft, job: Sequence[Draft], case: CaseDecision, writer: str
) -> None:
    answers = draft.obj["answers"]
    request = await _find(node, str(answers["id"]), job)
    section = node.agreement.model.incidents
    basis = section.waiver if section is not None else None
    if request is None or request.type != rt.WAIVER_REQUEST:
        _refuse(draft, f"answers must name a waiver request, not {answers['id']}")
    addressee = str(request.body["addressed_to"])
    if writer != addressee:
        _refuse(
            draft,
            f"only {addressee}, to whom the request is addressed, decides on it; {writer} may not",
            node,
            basis,
        )
    if draft.obj["decision"] != "extended":
        return
    timers = [t for t in (section.timers if section else []) if t.act == "waiver-decision"]
    if not any(t.extension for t in timers):
        _refuse(draft, "the agreement provides no extension of the period to decide", node, basis)
    extended = [r for r in case.obligations if r.starts.id == request.id and r.extended]
    if extended:
        _refuse(
            draft, f"the period to decide on {request.id} was already extended once", node, basis
        )


async def check_claim(node: Node, draft: Draft, job: Sequence[Draft]) -> None:
    """A claim's currency is an ISO 4217 code, its parties are the agreement's, its incident
    is here."""
    code = str(draft.obj["currency"])
    if currency_name(code) is None:
        _refuse(draft, f"currency {code!r} is not an ISO 4217 currency code")
    parties = {p.code for p in node.agreement.model.parties}
    for index, party in enumerate(draft.obj.get("responsible", [])):
        if party not in parties:
            _refuse(draft, f"responsible[{index}] {party!r} is not a party to the agreement")
    if "incident_ref" in draft.obj:
        await _answered(node, draft, job)


async def check_consultation(node: Node, draft: Draft, job: Sequence[Draft]) -> None:
    """A consultation or dispute names records held here; a challenge of a duty certificate
    comes from the other State, within the agreement's window."""
    subject = draft.obj.get("subject_ref")
    answers = draft.obj.get("answers")
    target = await _find(node, str(subject), job) if subject else None
    if subject and target is None:
        _refuse(draft, f"subject_ref {subject} names no record here")
    if isinstance(answers, Mapping):
        if subject and answers["id"] != subject:
            _refuse(draft, "answers must name a version of subject_ref")
        target = await _check_version(node, draft, answers, job)
    if (
        draft.obj.get("topic") != "duty-certificate-challenge"
        or draft.object_type != rt.CONSULTATION
    ):
        return
    if target is None or target.type != rt.DUTY_CERTIFICATE:
        _refuse(draft, "a duty-certificate challenge names the certificate in subject_ref")
    writer = draft.owner or node.party
    if writer == target.owner:
        _refuse(draft, f"{writer} issued the certificate: only the other State challenges it")
    incident = await _find(node, str(target.body["incident_ref"]), job)
    if incident is None:
        return
    case = await _case(node, incident, draft, job)
    lapsed = _window_lapsed(case, "duty-certificate-challenge", str(target.person), target.id)
    if lapsed is not None:
        _refuse(
            draft,
            f"the period to challenge the certificate ended at {lapsed.due:%Y-%m-%d %H:%M}Z",
            node,
            lapsed.timer.basis,
        )


def install(node: Node) -> None:
    """Register the case checks on a node."""
    for rtype in rt.ANSWER_TYPES:
        node.checks.setdefault(rtype, []).append(_skip_revoked(check_answer))
    node.checks.setdefault(rt.INCIDENT, []).append(_skip_revoked(check_incident))
    node.checks.setdefault(rt.CLAIM, []).append(_skip_revoked(check_claim))
    for rtype in (rt.CONSULTATION, rt.DISPUTE):
        node.checks.setdefault(rtype, []).append(_skip_revoked(check_consultation))


def _skip_revoked(check: Any) -> Any:
    async def run(node: Node, draft: Draft, job: Sequence[Draft]) -> None:
        if not draft.revoked:
            await check(node, draft, job)

    run.__doc__ = check.__doc__
    return run

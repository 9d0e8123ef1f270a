"""A case over HTTP on a real node: decisions change as records arrive, refusals write
nothing, deadlines and the Joint Committee's view (JSON and PDF) follow the records."""

from __future__ import annotations

import io
from typing import Any

import case_records as cr
import pytest
from incident_nodes import Pair, pair_fixture, problem, row_counts  # noqa: F401 (fixture)
from pypdf import PdfReader

pytestmark = pytest.mark.asyncio(loop_scope="module")

SENDING, HOST = "USA", "DEU"
BOTH_LAWS = {"inter_se": False, "against_sending_state_property_or_security": False}


async def _reported(pair: Pair, **flags: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """A member of the force, and the host's report naming them as a suspect."""
    member = await pair.person()
    entry = cr.suspect(member["id"], **({"host": True, "sending": True} | BOTH_LAWS | flags))
    incident = cr.incident([entry])
    await pair.from_host(incident)
    return member, incident


async def _decision(pair: Pair, incident_id: str, **params: Any) -> dict[str, Any]:
    r = await pair.get(f"/api/v1/incidents/{incident_id}", **params)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def test_the_decision_follows_the_certificate_and_the_waiver(pair: Pair) -> None:
    member, incident = await _reported(pair)
    first = await _decision(pair, incident["id"])
    assert first["accused"][0]["jurisdiction"] == "undetermined"
    assert first["accused"][0]["missing_facts"] == ["official_duty"]
    assert [o["act"] for o in first["obligations"]] == ["duty-certificate"]
    assert first["agreement"]["hash"] == pair.h.node.agreement.hash

    cert = cr.certificate(incident, member["id"], False, cr.T0)
    r = await pair.post("registrar", cert)
    assert r.status_code == 201, r.text
    second = await _decision(pair, incident["id"])
    accused = second["accused"][0]
    assert (accused["jurisdiction"], accused["primary"], accused["rule"]) == (
        "concurrent",
        HOST,
        "any-other-offence",
    )
    assert accused["official_duty_certificate"]["sha256"] == r.json()["written"][0]["sha256"]
    assert cert["id"] in {f["id"] for f in second["facts"]}
    acts = {o["act"]: o for o in second["obligations"]}
    assert acts["duty-certificate"]["status"] == "done"
    assert acts["jurisdiction-notice"]["party"] == HOST

    request = cr.waiver_request(incident, member["id"], HOST, cr.T0)
    assert (await pair.post("registrar", request)).status_code == 201
    pending = {o["act"]: o for o in (await _decision(pair, incident["id"]))["obligations"]}
    assert (pending["waiver-decision"]["party"], pending["waiver-decision"]["status"]) == (
        HOST,
        "open",
    )
    granted = cr.waiver_decision(incident, request, "granted", cr.T0)
    await pair.from_host(granted)
    third = await _decision(pair, incident["id"])
    assert third["accused"][0]["exercising"] == SENDING
    assert third["accused"][0]["reasons"][-2]["citation"]["paragraph"] == "3(c)"
    assert granted["id"] in {f["id"] for f in third["facts"]}


async def test_deadlines_list_open_obligations_and_flag_overdue_ones(pair: Pair) -> None:
    _, incident = await _reported(pair)
    now = await pair.get("/api/v1/deadlines")
    mine = [i for i in now.json()["items"] if i["incident"] == incident["id"]]
    assert [(i["act"], i["party"], i["status"]) for i in mine] == [
        ("duty-certificate", SENDING, "open")
    ]
    later = await pair.get("/api/v1/deadlines", at="2099-01-01")
    late = [i for i in later.json()["items"] if i["incident"] == incident["id"]]
    assert [i["status"] for i in late] == ["overdue"]
    view = (await pair.get("/api/v1/joint-committee", at="2099-01-01")).json()
    assert incident["id"] in {row["incident"] for row in view["late"]}
    assert incident["id"] in {row["incident"] for row in view["incidents"]}
    assert view["pending_activities"]["available"] is True


async def test_claims_consultations_and_disputes_reach_the_joint_committee(pair: Pair) -> None:
    claim = cr.claim(official_duty=True, responsible=[SENDING], amount="12000.50")
    dispute = cr.record(
        "acuerdo-dispute",
        topic="federation-assessment",
        summary="The nodes read a movement differently",
        status="open",
    )
    assert (await pair.post("registrar", claim, dispute)).status_code == 201
    decided = (await pair.get(f"/api/v1/claims/{claim['id']}")).json()
    assert decided["outcome"] == "shared"
    assert decided["parts"] == {SENDING: "9000.38", HOST: "3000.12"}
    assert decided["reasons"][0]["citation"]["paragraph"] == "5(e)(i)"
    view = (await pair.get("/api/v1/joint-committee")).json()
    assert claim["id"] in {c["claim"] for c in view["claims"]}
    assert dispute["id"] in {d["id"] for d in view["disputes"]}
    for lang, words in (("es", "Reclamaciones abiertas"), ("en", "Open claims")):
        r = await pair.get("/api/v1/joint-committee/report", lang=lang)
        assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
        text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(r.content)).pages)
        assert words in text and "12000.50 EUR" in text
        assert pair.h.node.agreement.hash[:40] in text.replace("\n", "")


async def test_an_incident_naming_an_unknown_person_is_refused_and_nothing_written(
    pair: Pair,
) -> None:
    stranger = cr.new_id("acuerdo-covered-person")
    incident = cr.incident([cr.suspect(stranger, host=True, sending=False)])
    before = await row_counts(pair.h.node)
    r = await pair.post("registrar", incident)
    problem(r, 422, f"persons[0].person_ref {stranger} names no covered person here")
    assert await row_counts(pair.h.node) == before


async def test_a_waiver_decision_by_the_wrong_party_is_refused_and_nothing_written(
    pair: Pair,
) -> None:
    member, incident = await _reported(pair)
    cert = cr.certificate(incident, member["id"], False, cr.T0)
    request = cr.waiver_request(incident, member["id"], HOST, cr.T0)
    assert (await pair.post("registrar", cert, request)).status_code == 201
    decision = cr.waiver_decision(incident, request, "granted", cr.T0)
    before = await row_counts(pair.h.node)
    r = await pair.post("registrar", decision)
    problem(r, 422, "only DEU, to whom the request is addressed, decides on it", "(Art. VII 3(c))")
    assert await row_counts(pair.h.node) == before


async def test_a_claim_in_an_unknown_currency_is_refused_and_nothing_written(pair: Pair) -> None:
    before = await row_counts(pair.h.node)
    r = await pair.post("registrar", cr.claim(currency="XYZ"))
    problem(r, 422, "currency 'XYZ' is not an ISO 4217 currency code")
    assert await row_counts(pair.h.node) == before


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda inc, m: cr.certificate(inc, m, True, cr.T0, sha256="0" * 64), "which is not here"),
        (
            lambda inc, m: cr.waiver_request(inc, m, SENDING, cr.T0),
            "USA holds the primary right: it cannot ask itself to waive it",
        ),
        (
            lambda inc, m: cr.custody(inc, m, HOST, cr.T0),
            "a custody status is written by the party holding the accused (DEU), not by USA",
        ),
        (
            lambda inc, m: cr.outcome(inc, m, "dismissed", cr.T0),
            "an outcome of proceedings is written by the State exercising jurisdiction",
        ),
    ],
)
async def test_acts_that_are_not_the_writers_are_refused(
    pair: Pair, make: Any, message: str
) -> None:
    # Reported on duty (the sending State's primary right), except where the case needs the
    # receiving State to exercise jurisdiction.
    member, incident = await _reported(pair, official_duty="outcome" not in message)
    before = await row_counts(pair.h.node)
    r = await pair.post("registrar", make(incident, member["id"]))
    problem(r, 422, message)
    assert await row_counts(pair.h.node) == before


async def test_a_withheld_incident_answers_like_one_never_written(pair: Pair) -> None:
    _, incident = await _reported(pair)
    absent = cr.new_id("acuerdo-incident")
    for user in ("viewer", "admin"):
        got = await pair.get(f"/api/v1/incidents/{absent}", user)
        problem(got, 404, f"no incident {absent} here")
    assert (await pair.get(f"/api/v1/incidents/{incident['id']}")).status_code == 200


async def test_a_person_incident_and_certificate_may_arrive_in_one_bundle(pair: Pair) -> None:
    """The checks see the other records of the same write job."""
    pdata = cr.record(
        "acuerdo-personal-data",
        salt="2" * 32,
        given_names="Eva",
        family_names="Sosa",
        date_of_birth="1992-03-04",
        nationalities=["USA"],
    )
    member = cr.person("USA") | {"personal_data_ref": pdata["id"]}
    incident = cr.incident(
        [cr.suspect(member["id"], **({"host": True, "sending": True} | BOTH_LAWS))]
    )
    cert = cr.certificate(incident, member["id"], True, cr.T0)
    r = await pair.post("registrar", pdata, member, incident, cert)
    assert r.status_code == 201, r.text
    accused = (await _decision(pair, incident["id"]))["accused"][0]
    assert (accused["jurisdiction"], accused["primary"]) == ("concurrent", SENDING)

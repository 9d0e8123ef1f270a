"""A third agreement, only a YAML file in this folder (korea-style.yaml), changes decisions
with no change of code: a waiver is asked within 21 days and decided within 28, extendable
once by 14; the receiving State challenges a duty certificate within 10 days."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import case_records as cr
import pytest
import pytest_asyncio
from incident_nodes import Pair, open_pair, problem, row_counts
from scene import Scene, obligation

from acuerdo.agreement import Agreement, load_agreement, load_profile
from acuerdo.ledger.record import RecordError
from acuerdo.release import Channel

SENDING, HOST = "USA", "DEU"
KOREA = Path(__file__).with_name("korea-style.yaml")
BOTH = {
    "host": True,
    "sending": True,
    "inter_se": False,
    "against_sending_state_property_or_security": False,
}


@pytest.fixture(scope="module")
def korea() -> Agreement:
    return load_agreement(KOREA)


@pytest.fixture(scope="module")
def nato() -> Agreement:
    return load_profile("nato-sofa-1951")


def _utc(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(tzinfo=UTC)


def _off_duty_request(agreement: Agreement) -> tuple[Scene, dict[str, object]]:
    s = Scene(agreement, SENDING, HOST)
    s.report(**BOTH)
    s.certify(False)  # 3 March
    return s, s.ask_waiver(SENDING, HOST)  # 4 March


def test_the_waiver_decision_period_is_the_files(korea: Agreement, nato: Agreement) -> None:
    s, _ = _off_duty_request(nato)
    assert obligation(s.decide(), "waiver-decision").due == _utc("2026-03-26")  # 21 days
    k, _ = _off_duty_request(korea)
    assert obligation(k.decide(), "waiver-decision").due == _utc("2026-04-02")  # 28 days


def test_an_extension_adds_fourteen_days_once(korea: Agreement, nato: Agreement) -> None:
    k, request = _off_duty_request(korea)
    k.decide_waiver(request, "extended", HOST)
    o = obligation(k.decide(), "waiver-decision")
    assert (o.due, o.extended) == (_utc("2026-04-16"), True)
    assert o.extended_by is not None
    s, request = _off_duty_request(nato)
    s.decide_waiver(request, "extended", HOST)
    assert obligation(s.decide(), "waiver-decision").due == _utc("2026-03-26")


def test_the_waiver_request_window_runs_21_days_from_the_facts(
    korea: Agreement, nato: Agreement
) -> None:
    k = Scene(korea, SENDING, HOST)
    k.report(**BOTH)
    k.certify(False)  # received 3 March 09:00: the rule is decided from then
    o = obligation(k.decide(), "waiver-request")
    assert (o.party, o.due, o.timer.nature) == (SENDING, _utc("2026-03-25"), "window")
    assert o.status(_utc("2026-03-24")) == "open"
    assert o.status(_utc("2026-03-25")) == "lapsed"  # a right not used, not a breach
    s = Scene(nato, SENDING, HOST)
    s.report(**BOTH)
    s.certify(False)
    assert "waiver-request" not in {o.timer.act for o in s.decide().obligations}


def test_the_certificate_may_be_challenged_for_ten_days(korea: Agreement) -> None:
    k = Scene(korea, SENDING, HOST)
    k.report(**BOTH)
    cert = k.certify(True)  # 3 March
    o = obligation(k.decide(), "duty-certificate-challenge")
    assert (o.party, o.due) == (HOST, _utc("2026-03-14"))
    k.challenge(cert, HOST)
    done = obligation(k.decide(), "duty-certificate-challenge")
    assert done.status(k.clock) == "done"
    assert k.accused().primary == SENDING  # a challenge opens a consultation; the rule stands


# --- on a node that adopted the file ---------------------------------------------------------


def _closed_windows(text: str) -> str:
    """The file with both windows (waiver request, certificate challenge) already closed."""
    for pid, name, days in (
        ("duty-certificate-challenge", "Challenge of an official-duty certificate", 10),
        ("waiver-request-window", "Request for a waiver", 21),
    ):
        old = f"  - id: {pid}\n    name: {name}\n    value: {days}\n    unit: calendar-days"
        assert old in text
        text = text.replace(
            old, f"  - id: {pid}\n    name: {name}\n    value: 0\n    unit: minutes"
        )
    return text


@pytest_asyncio.fixture(scope="module", loop_scope="module", params=["sqlite", "postgres"])
async def korean(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Pair]:
    """A pair adopting a copy of the file whose two windows close at once."""
    home = tmp_path_factory.mktemp("korea")
    path = home / "korea-closed.yaml"
    path.write_text(_closed_windows(KOREA.read_text(encoding="utf-8")), encoding="utf-8")
    async for pair in open_pair(str(request.param), home, str(path)):
        yield pair


node_test = pytest.mark.asyncio(loop_scope="module")


async def _off_duty_case(pair: Pair) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    member = await pair.person()
    incident = cr.incident([cr.suspect(member["id"], **BOTH)])
    await pair.from_host(incident)
    cert = cr.certificate(incident, member["id"], False, cr.T0)
    r = await pair.post("registrar", cert)
    assert r.status_code == 201, r.text
    return member, incident, cert


@node_test
async def test_a_waiver_request_after_its_window_is_refused_citing_it(korean: Pair) -> None:
    member, incident, _ = await _off_duty_case(korean)
    before = await row_counts(korean.h.node)
    late = await korean.post("registrar", cr.waiver_request(incident, member["id"], HOST, cr.T0))
    problem(late, 422, "the period to request a waiver ended at", "(Art. VII 3(c))")
    assert await row_counts(korean.h.node) == before


@node_test
async def test_a_challenge_after_its_window_is_refused_on_the_hosts_node(korean: Pair) -> None:
    host = korean.host
    member = await korean.person()
    stored = await korean.h.node.reader.get(
        korean.h.users["admin"].recipient, Channel.API, member["id"]
    )
    assert stored is not None
    await korean.to_host(json.loads(stored.body))  # the host holds the sending State's person
    incident = cr.incident([cr.suspect(member["id"], **BOTH)])
    await host.write([incident], user=None)  # the host reports, on its own node
    await korean.from_host(incident)
    cert = cr.certificate(incident, member["id"], True, cr.T0)
    assert (await korean.post("registrar", cert)).status_code == 201
    await korean.to_host(cert)
    before = await row_counts(host)
    with pytest.raises(
        RecordError,
        match=r"period to challenge the certificate ended at .* \(Art\. VII 3\(a\)\(ii\)\)",
    ):
        await host.write([cr.challenge(cert, cr.T0)], user=None)
    assert await row_counts(host) == before
    with pytest.raises(RecordError, match="USA issued the certificate: only the other State"):
        await korean.h.node.write([cr.challenge(cert, cr.T0)], user=None)

"""Every channel that returns records has a withheld-record case: a registry that must be whole.

Each API route (method and path) of `create_app(...)` and each command of the `acuerdo` CLI is
either in RECORD_CHANNELS, naming the test in test_withheld.py that proves a withheld record
looks absent there (that test must declare it with `@covers`), or in NO_RECORDS with the reason
it returns none. A route or command added without being classified fails here, and so does an
entry left behind for one that was removed.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import click
import fastapi.routing
import test_withheld
from fastapi import FastAPI
from test_bad_input import indicator

from acuerdo.api.app import create_app
from acuerdo.api.taxii.collections import COLLECTION_NAMESPACE
from acuerdo.cli import main as cli_main
from acuerdo.settings import Settings
from conftest import NodeHarness

TAXII_COLLECTION = "/taxii2/intel/collections/{collection_id}"
TAXII_OBJECT = TAXII_COLLECTION + "/objects/{object_id}"
TAXII_INTELLIGENCE = str(uuid.uuid5(COLLECTION_NAMESPACE, "intelligence"))

RECORD_CHANNELS: dict[str, str] = {
    "GET /api/v1/records/{object_id}": "test_get_one_answers_withheld_like_absent",
    "GET /api/v1/records/{object_id}/versions": "test_versions_answer_withheld_like_absent",
    "GET /api/v1/records": "test_lists_leave_out_withheld_records",
    "acuerdo get": "test_cli_get_answers_withheld_like_absent",
    "GET /api/v1/persons/{object_id}": "test_presence_leaves_out_withheld_persons",
    "GET /api/v1/presence": "test_presence_leaves_out_withheld_persons",
    "GET /api/v1/presence/timeline": "test_presence_leaves_out_withheld_persons",
    "GET /api/v1/orders": "test_orders_and_movements_leave_out_withheld_records",
    "GET /api/v1/orders/{object_id}": "test_orders_and_movements_leave_out_withheld_records",
    "GET /api/v1/movements": "test_orders_and_movements_leave_out_withheld_records",
    "GET /api/v1/movements/{object_id}": "test_orders_and_movements_leave_out_withheld_records",
    "acuerdo presence": "test_presence_leaves_out_withheld_persons",
    "GET /api/v1/exports/persons": "test_person_export_leaves_out_withheld_records",
    "acuerdo person export": "test_person_export_leaves_out_withheld_records",
    "GET /api/v1/intel/objects/{object_id}/correlations": (
        "test_correlations_answer_withheld_like_absent"
    ),
    "acuerdo intel correlations": "test_correlations_answer_withheld_like_absent",
    "GET /api/v1/activities": "test_activities_leave_out_withheld_records",
    "GET /api/v1/activities/{object_id}": "test_activities_leave_out_withheld_records",
    "GET /api/v1/activities/conflicts": "test_activities_leave_out_withheld_records",
    "GET /api/v1/activities/places": "test_activities_leave_out_withheld_records",
    "GET /api/v1/activities/calendar.ics": "test_activities_leave_out_withheld_records",
    "acuerdo activity list": "test_activities_leave_out_withheld_records",
    "GET /api/v1/incidents": "test_cases_leave_out_withheld_records",
    "GET /api/v1/incidents/{object_id}": "test_cases_leave_out_withheld_records",
    "GET /api/v1/claims/{object_id}": "test_cases_leave_out_withheld_records",
    "GET /api/v1/deadlines": "test_cases_leave_out_withheld_records",
    "GET /api/v1/joint-committee": "test_cases_leave_out_withheld_records",
    "GET /api/v1/joint-committee/report": "test_cases_leave_out_withheld_records",
    "acuerdo incident explain": "test_cases_leave_out_withheld_records",
    "acuerdo deadlines": "test_cases_leave_out_withheld_records",
    f"GET {TAXII_COLLECTION}/objects/": "test_taxii_and_stream_leave_out_withheld_records",
    f"GET {TAXII_COLLECTION}/manifest/": "test_taxii_and_stream_leave_out_withheld_records",
    "GET /api/v1/stream": "test_taxii_and_stream_leave_out_withheld_records",
    f"GET {TAXII_OBJECT}/": "test_taxii_object_answers_withheld_like_absent",
    f"GET {TAXII_OBJECT}/versions/": "test_taxii_object_answers_withheld_like_absent",
    "GET /taxii2/intel/status/{status_id}/": "test_taxii_status_is_the_requesters_alone",
    "GET /api/v1/customs/declarations": "test_equipment_views_leave_out_withheld_records",
    "GET /api/v1/customs/declarations/{declaration_id}": (
        "test_equipment_views_leave_out_withheld_records"
    ),
    "GET /api/v1/customs/declarations/{declaration_id}/certificate": (
        "test_equipment_views_leave_out_withheld_records"
    ),
    "GET /api/v1/customs/temporary-imports": "test_equipment_views_leave_out_withheld_records",
    "GET /api/v1/craft-movements": "test_equipment_views_leave_out_withheld_records",
    "GET /api/v1/frequency-requests": "test_equipment_views_leave_out_withheld_records",
    "GET /api/v1/transfers": "test_equipment_views_leave_out_withheld_records",
    "GET /api/v1/transfers/{programme_id}": "test_equipment_views_leave_out_withheld_records",
    "GET /api/v1/transfers/{programme_id}/gantt.{fmt}": (
        "test_equipment_views_leave_out_withheld_records"
    ),
    "acuerdo customs list": "test_equipment_views_leave_out_withheld_records",
    "acuerdo customs certificate": "test_equipment_views_leave_out_withheld_records",
    "acuerdo customs outstanding": "test_equipment_views_leave_out_withheld_records",
    "acuerdo transfer status": "test_equipment_views_leave_out_withheld_records",
    "GET /api/v1/annual-programme/{year}.{fmt}": "test_equipment_views_leave_out_withheld_records",
    "acuerdo programme": "test_equipment_views_leave_out_withheld_records",
    "GET /federation/v1/feed": "test_federation_feed_leaves_out_withheld_records",
}

# Node-to-node routes: RFC 9421-signed by a partner node's key, never a user's credentials.
NODE_SIGNED = {
    "GET /federation/v1/hello",
    "GET /federation/v1/feed",
    "GET /federation/v1/audit-head",
    "GET /federation/v1/audit-proof",
}

NO_RECORDS: dict[str, str] = {
    "GET /taxii2/": "TAXII discovery: the server's title and its API root's URL",
    "GET /taxii2/intel/": "TAXII API root information: title, versions, size limit",
    "GET /taxii2/intel/collections/": "the collections the user may read or write, no object",
    f"GET {TAXII_COLLECTION}/": "one collection's description and the user's access to it",
    f"POST {TAXII_COLLECTION}/objects/": "a status resource: ids and versions of objects sent",
    f"DELETE {TAXII_OBJECT}/": "an empty 200; a withheld object answers 404 like an absent one",
    "GET /health": "liveness: a fixed {'status': 'ok'}",
    "GET /api/v1/agreement": "the adopted agreement file and its hash, not a ledger record",
    "GET /api/v1/keys": "this node's public keys and their root-signed certificates",
    "POST /api/v1/decide/{question}": "a decision from the agreement on the facts sent; no record",
    "POST /api/v1/records": "answers with ids, versions and hashes of the objects sent, only",
    "GET /openapi.json": "the API's description",
    "GET /docs": "the API's interactive documentation page",
    "acuerdo init": "creates a node; prints its party and agreement hash",
    "acuerdo user add": "adds a user; prints the user and roles",
    "acuerdo token create": "prints a new token",
    "acuerdo serve": "serves create_app's routes, each classified in this registry",
    "acuerdo demo": "serves create_app's routes for demo users, each classified here",
    "acuerdo agreement check": "validates an agreement file; prints its summary",
    "acuerdo agreement list": "the shipped agreement profiles and their hashes",
    "acuerdo agreement calendar": "a holiday calendar as YAML, from the holidays library",
    "acuerdo audit verify": "whether the audit chain holds, its length and head hash",
    "acuerdo key export-root": "writes the root key to a file",
    "acuerdo key rotate": "makes a new working key; prints its id and validity",
    "acuerdo settings": "the settings registry and its defaults",
    "POST /api/v1/imports/persons": "answers with counts and row errors (row, column), no record",
    "acuerdo person import": "prints counts and row errors (row, column), no record",
    "acuerdo intel import": "prints counts and per-object errors for the file's own objects",
    "POST /api/v1/cards": "a card code or image for a person the caller may see; card id only",
    "POST /api/v1/cards/{card_record_id}/revoke": "answers with the revoked card id only",
    "POST /api/v1/cards/verify": "the verdict on the code sent, and the claims it carries",
    "GET /api/v1/cards/trust-bundle": "public keys, certificates and the agreement's statuses",
    "GET /api/v1/cards/revocations": "a signed list of opaque revoked or withdrawn card ids",
    "acuerdo card issue": "prints a card code (or writes its image) for a person the user sees",
    "acuerdo card revoke": "prints the revoked card id",
    "acuerdo card verify": "the verdict on a card code or image, offline",
    "acuerdo card revocations": "writes the signed list of revoked card ids",
    "acuerdo card trust-bundle": "writes public keys, certificates and status texts",
    "acuerdo card checkpoint-bundle": "writes a signed file: keys, statuses, opaque card ids",
    "POST /api/v1/activities": "answers with the id, version and hash of the activity written",
    "POST /api/v1/activities/{object_id}/versions": "the id, version and hash of the amendment",
    "POST /api/v1/activities/{object_id}/decisions": "the id, version and hash of the decision",
    "POST /api/v1/activities/{object_id}/reports": "the id, version and hash of the report",
    "POST /api/v1/authorisations": "the id, version and hash of the instrument written",
    "POST /api/v1/calendar-tokens": "a new feed token, its id and the feed's path",
    "DELETE /api/v1/calendar-tokens/{token_id}": "no body (204) once the token is revoked",
    "acuerdo activity propose": "prints the id, version and hash of the activity written",
    "acuerdo activity decide": "prints the outcome and the id of the decision written",
    "acuerdo incident report": "writes the records of a file; prints their ids only",
    "POST /api/v1/customs/declarations": "answers with the new declaration's id, number, hash",
    "POST /api/v1/customs/declarations/{declaration_id}/decision": (
        "answers with the decision's id and outcome; absent and withheld alike are 404"
    ),
    "POST /api/v1/craft-movements": "answers with the notification's id and hash",
    "POST /api/v1/craft-movements/{movement_id}/acknowledgement": (
        "answers with the acknowledgement's id; absent and withheld alike are 404"
    ),
    "POST /api/v1/frequency-requests": "answers with the request's id and hash",
    "POST /api/v1/frequency-requests/{request_id}/assignment": (
        "answers with the assignment's id and outcome; absent and withheld alike are 404"
    ),
    "POST /api/v1/transfers": "answers with the programme's id and hash",
    "POST /api/v1/transfers/{programme_id}/milestones": (
        "answers with the report's id; absent and withheld alike are 404"
    ),
    "acuerdo customs declare": "prints the new declaration's number and id",
    "acuerdo customs decide": "prints the decision's id and the version it names",
    "acuerdo transfer create": "prints the new programme's id",
    "acuerdo transfer report": "prints the milestone report's id",
    "GET /federation/v1/hello": "to a partner node: party, agreement hash and public keys",
    "GET /api/v1/federation/status": "admins: per partner cursor, lag and counts, no record",
    "GET /metrics": "admins: the same federation figures as Prometheus metrics",
    "acuerdo key show": "prints this node's public key for node-to-node requests",
    "acuerdo partner add": "adds a partner node; prints its party, URL and key id",
    "acuerdo partner list": "the partner nodes: party, URL, key id",
    "acuerdo federation status": "per partner: contact, cursor, lag and counts, no record",
    "acuerdo federation quarantine": "refused entries: id, time, source and reason only",
    "acuerdo federation backfill": "counts of entries queued and withdrawn",
    "acuerdo federation resume": "whether pulling from a partner resumes",
    "GET /federation/v1/audit-head": "to a partner node: the signed audit-chain head hash only",
    "GET /federation/v1/audit-proof": "to a partner node: digests of audit entries, no content",
    "acuerdo federation witness": "whether a partner's audit history extends the heads held",
}

# Values for path parameters when a test has to call every route.
PATH_SAMPLES = {
    "collection_id": TAXII_INTELLIGENCE,
    "status_id": str(uuid.uuid4()),
    "object_id": f"indicator--{uuid.uuid4()}",
    "question": "coverage",
    "card_record_id": f"acuerdo-status-card--{uuid.uuid4()}",
    "token_id": "999999",
    "declaration_id": f"acuerdo-customs-declaration--{uuid.uuid4()}",
    "movement_id": f"acuerdo-craft-movement--{uuid.uuid4()}",
    "request_id": f"acuerdo-frequency-request--{uuid.uuid4()}",
    "programme_id": f"acuerdo-transfer-programme--{uuid.uuid4()}",
    "fmt": "svg",
    "year": "2026",
}


def api_routes(app: FastAPI) -> Iterator[tuple[str, str]]:
    """(method, path) of every route the app serves, included routers flattened.

    Routes that are not plain HTTP routes (mounts, websockets) come out with the method of
    their kind, so that they too must be classified.
    """
    iterate = getattr(fastapi.routing, "iter_route_contexts", None)
    routes = list(iterate(app.routes)) if iterate else list(app.routes)
    for route in routes:
        path = str(getattr(route, "path", "?"))
        methods = getattr(route, "methods", None)
        if not methods:
            yield type(getattr(route, "original_route", route)).__name__.upper(), path
            continue
        for method in sorted(methods):
            yield method, path


def route_keys(app: FastAPI) -> set[str]:
    return {f"{method} {path}" for method, path in api_routes(app)}


def concrete_path(path: str) -> str:
    """A route's path with sample values for its parameters."""

    def sample(m: re.Match[str]) -> str:
        name = m.group(1).split(":")[0]
        assert name in PATH_SAMPLES, f"add a sample value for path parameter {name!r}"
        return PATH_SAMPLES[name]

    return re.sub(r"\{([^}]+)\}", sample, path)


def cli_commands(group: click.Group, prefix: str = "acuerdo") -> Iterator[str]:
    """Every leaf command of the CLI, recursively, as it is typed ("acuerdo user add")."""
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            yield from cli_commands(command, f"{prefix} {name}")
        else:
            yield f"{prefix} {name}"


def test_every_route_and_command_is_classified(tmp_path: Path) -> None:
    app = create_app(Settings(home=tmp_path))  # builds routes only: no node is opened
    channels = route_keys(app) | set(cli_commands(cli_main))
    assert {"GET /api/v1/records", "acuerdo get", "acuerdo user add"} <= channels  # the control
    unclassified = channels - RECORD_CHANNELS.keys() - NO_RECORDS.keys()
    assert not unclassified, (
        f"classify {sorted(unclassified)}: add a withheld-record case to test_withheld.py and "
        "name it in RECORD_CHANNELS, or say in NO_RECORDS why it returns no records"
    )
    assert not RECORD_CHANNELS.keys() & NO_RECORDS.keys()
    stale = (RECORD_CHANNELS.keys() | NO_RECORDS.keys()) - channels
    assert not stale, f"the registry names routes or commands that no longer exist: {stale}"


def test_each_record_channel_has_its_withheld_case() -> None:
    for channel, test_name in RECORD_CHANNELS.items():
        test = getattr(test_withheld, test_name, None)
        assert callable(test), f"{channel}: test_withheld.py has no {test_name}"
        covered: frozenset[str] = getattr(test, "covers", frozenset())
        assert channel in covered, f"{test_name} does not declare @covers({channel!r})"
    tests = [getattr(test_withheld, n) for n in dir(test_withheld) if n.startswith("test_")]
    declared = {c for test in tests for c in getattr(test, "covers", ())}
    assert declared <= RECORD_CHANNELS.keys(), declared - RECORD_CHANNELS.keys()


async def test_routes_said_to_return_no_records_return_none(harness: NodeHarness) -> None:
    """Check the NO_RECORDS reasons where it can be checked: no record id in any GET answer."""
    h = harness
    obj = indicator(description="Seen at the airstrip of Capitán Bado (a text no agreement names)")
    r = await h.client.post("/api/v1/records", json=obj, headers=h.auth("analyst"))
    assert r.status_code == 201, r.text
    seen = await h.client.get(f"/api/v1/records/{obj['id']}", headers=h.auth("admin"))
    assert seen.status_code == 200  # the control: admin may see it
    for key in sorted(NO_RECORDS):
        method, _, path = key.partition(" ")
        if method not in ("GET", "HEAD") or not path.startswith("/") or key in NODE_SIGNED:
            continue
        answer = await h.client.request(method, concrete_path(path), headers=h.auth("admin"))
        assert answer.status_code == 200, (key, answer.text)
        assert obj["id"] not in answer.text and "Capitán Bado" not in answer.text, key

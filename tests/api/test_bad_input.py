"""Bad input is refused with a precise problem+json and changes nothing (DESIGN.md principle 5).

Each case sends one bad request and checks: the status, the RFC 9457 content type, that
`detail` names the problem, that no stack trace leaks, and that no table of the node gained
or lost a row (ledger, projections, grants, outboxes, audit, quarantine, users...).

Also home to what the other test files here share: a node built once per module and backend
(`open_harness`), and builders of valid records to break.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
import pytest_asyncio
from sqlalchemy import func, select

from acuerdo.api.app import create_app
from acuerdo.ledger.canonical import canonicalize
from acuerdo.ledger.keys import KeyPurpose
from acuerdo.ledger.record import RecordError
from acuerdo.ledger.signing import sign_record
from acuerdo.ledger.tables import metadata
from acuerdo.ledger.types import BY_NAME
from acuerdo.ledger.writes import Signed, WriteRefused
from acuerdo.markings import TLP, TLP2_MARKING_IDS
from acuerdo.node import Node
from acuerdo.users import User, add_user, create_token
from conftest import BACKENDS, PG_ADMIN_URL, USERS, NodeHarness, make_node

pytestmark = pytest.mark.asyncio(loop_scope="module")

STAMP = "2026-07-01T12:00:00.000Z"
PROBLEM = "application/problem+json"
CHALLENGE = ('Bearer realm="acuerdo"', 'Basic realm="acuerdo"')
LIMIT = 64 * 1024  # the harness's max_body_bytes

# --- shared: one node per module and backend -------------------------------------------------


@asynccontextmanager
async def _database(backend: str) -> AsyncIterator[str | None]:
    """None for SQLite (the node's own file); a PostgreSQL database made and dropped here."""
    if backend == "sqlite":
        yield None
        return
    name = f"acuerdo_t_{uuid.uuid4().hex[:12]}"
    dsn = PG_ADMIN_URL.replace("postgresql+asyncpg://", "postgresql://", 1)
    admin = await asyncpg.connect(dsn)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        yield f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}"
    finally:
        admin = await asyncpg.connect(dsn)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


@asynccontextmanager
async def open_harness(backend: str, home: Path) -> AsyncIterator[NodeHarness]:
    """conftest's `harness`, built once for a whole module (a node costs 1-2 s to make)."""
    async with _database(backend) as url:
        node = await make_node(home, url)
        party = node.agreement.party(node.party)
        assert party is not None
        tokens: dict[str, str] = {}
        users: dict[str, User] = {}
        for name, (roles, agency) in USERS.items():
            users[name] = await add_user(
                node.engines.writer, party=node.party, name=name,
                agency=agency or party.agencies[0].id, roles=roles, password=None,
            )  # fmt: skip
            tokens[name] = await create_token(node.engines.writer, name)
        transport = httpx.ASGITransport(app=create_app(node.settings, node=node))
        try:
            async with httpx.AsyncClient(transport=transport, base_url="http://usa.test") as c:
                yield NodeHarness(node, c, tokens, users)
        finally:
            await node.close()


def module_harness(name: str) -> Any:
    """A fixture `name`: one harness per backend shared by all tests of the module using it."""

    @pytest_asyncio.fixture(scope="module", loop_scope="module", params=BACKENDS, name=name)
    async def fixture(
        request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
    ) -> AsyncIterator[NodeHarness]:
        async with open_harness(str(request.param), tmp_path_factory.mktemp("usa")) as harness:
            yield harness

    return fixture


async def table_counts(node: Node) -> dict[str, int]:
    """Rows in every table of the node, read on a connection of its own."""
    async with node.engines.reader.connect() as conn:
        return {
            t.name: int((await conn.execute(select(func.count()).select_from(t))).scalar_one())
            for t in metadata.sorted_tables
        }


def assert_problem(r: httpx.Response, status: int, *fragments: str) -> dict[str, Any]:
    """A precise RFC 9457 answer: status, content type, and a `detail` naming the problem."""
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == PROBLEM
    assert "Traceback" not in r.text and 'File "' not in r.text
    body: dict[str, Any] = r.json()
    assert body["status"] == status and body["type"].startswith("urn:acuerdo:problem:")
    for fragment in fragments:
        assert fragment.lower() in body["detail"].lower(), (fragment, body["detail"])
    return body


# --- shared: valid records, to break ---------------------------------------------------------


def new_id(otype: str) -> str:
    return f"{otype}--{uuid.uuid4()}"


def sdo(otype: str, **props: Any) -> dict[str, Any]:
    """A STIX 2.1 object of a type, with a fresh id and fixed timestamps; props win."""
    base = {"type": otype, "spec_version": "2.1", "id": new_id(otype)}
    return base | {"created": STAMP, "modified": STAMP} | props


def indicator(**extra: Any) -> dict[str, Any]:
    what = {"name": "Airstrip used for cocaine flights near Filadelfia"}
    pattern = {"pattern": "[ipv4-addr:value = '203.0.113.9']", "pattern_type": "stix"}
    return sdo("indicator", **(what | pattern | {"valid_from": "2026-07-01T12:00:00Z"} | extra))


def _acuerdo(otype: str, props: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    declared = {BY_NAME[otype].extension_id: {"extension_type": "new-sdo"}}
    return sdo(otype, extensions=declared, **(props | extra))


def personal_data(**extra: Any) -> dict[str, Any]:
    names = {"given_names": "Ana María", "family_names": "Benítez Ortiz"}
    born = {"date_of_birth": "1990-05-17", "nationalities": ["USA"]}
    return _acuerdo("acuerdo-personal-data", {"salt": uuid.uuid4().hex, **names, **born}, extra)


def covered_person(**extra: Any) -> dict[str, Any]:
    props = {"party": "USA", "category": "member-of-force"}
    props |= {"service_or_employer": "U.S. Army South"}
    return _acuerdo(
        "acuerdo-covered-person",
        props | {"personal_data_ref": new_id("acuerdo-personal-data")},
        extra,
    )


async def ingest(node: Node, obj: Mapping[str, Any]) -> None:
    """Append below the API, as an ingest path would: signed, with no markings applied."""
    draft = node.prepare(obj)
    envelope, signature = sign_record(
        draft.body,
        agreement_hash=node.agreement.hash,
        origin=node.party,
        signer=node.keys.signer(KeyPurpose.RECORDS),
    )
    signed = Signed(draft, envelope, signature, node.party, None, ())
    await node.writer.append([signed], actor="ingest")


def bundle(*objs: Mapping[str, Any]) -> dict[str, Any]:
    return {"type": "bundle", "id": new_id("bundle"), "objects": list(objs)}


def encode(obj: Any) -> bytes:
    return canonicalize(obj)


# --- the cases -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bad:
    """One bad request and the refusal it must get."""

    status: int
    fragments: tuple[str, ...]
    body: bytes = b""
    path: str = "/api/v1/records"
    method: str = "POST"
    user: str | None = "analyst"
    headers: dict[str, str] = field(default_factory=lambda: {"content-type": "application/json"})
    allowed: tuple[str, ...] = ()  # for 405: the methods the path serves


def _without(obj: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in obj.items() if k != key}


def _json(obj: Any) -> bytes:
    return encode(obj)


def _unauthenticated(authorization: str, fragment: str) -> Bad:
    """A good write sent with credentials that are no credentials."""
    headers = {"content-type": "application/json", "authorization": authorization}
    return Bad(401, (fragment,), RAW_GOOD, user=None, headers=headers)


# A valid STIX 2.1 statement marking, which the release gate does not understand.
STATEMENT_MARKING = sdo(
    "marking-definition",
    definition_type="statement",
    definition={"statement": "Copyright 2026 Republic of Paraguay"},
)
del STATEMENT_MARKING["modified"]

GOOD = indicator()
RAW_GOOD = _json(GOOD)
CASES: dict[str, Bad] = {
    "malformed-json": Bad(400, ("malformed JSON", "line 1"), RAW_GOOD[:-7]),
    "duplicate-keys": Bad(400, ("duplicate", "name"), RAW_GOOD[:-1] + b',"name":"again"}'),
    "nan": Bad(400, ("NaN",), RAW_GOOD[:-1] + b',"confidence":NaN}'),
    "number-overflow": Bad(400, ("1e999",), RAW_GOOD[:-1] + b',"x_size":1e999}'),
    "not-utf8": Bad(400, ("UTF-8",), RAW_GOOD.replace(b"Airstrip", b"Airstr\xffp")),
    "deep-nesting": Bad(400, ("nesting",), b"[" * 200 + b"]" * 200),
    "very-deep-nesting": Bad(400, ("nesting",), b"[" * 60000),
    "empty-body": Bad(400, ("empty",), b""),
    "not-an-object": Bad(422, ("STIX object or a bundle",), b"[1, 2]"),
    "created-is-a-number": Bad(422, ("created", "timestamp"), _json(indicator(created=5))),
    "impossible-date": Bad(
        422, ("modified", "valid date"), _json(indicator(modified="2026-02-30T00:00:00Z"))
    ),
    "modified-before-created": Bad(
        422, ("earlier than created",), _json(indicator(modified="2020-01-01T00:00:00Z"))
    ),
    "revoked-not-boolean": Bad(422, ("revoked",), _json(indicator(revoked="yes"))),
    "spec-version": Bad(422, ("spec_version",), _json(indicator(spec_version="2.0"))),
    "id-of-another-type": Bad(422, ("does not match type",), _json(indicator(id=new_id("report")))),
    "unknown-type": Bad(
        422,
        ("unknown record type", "acuerdo-spaceship"),
        _json(indicator(type="acuerdo-spaceship", id=new_id("acuerdo-spaceship"))),
    ),
    "fails-json-schema": Bad(
        422,
        ("acuerdo-covered-person fails its schema", "category"),
        _json(_without(covered_person(), "category")),
        user="registrar",
    ),
    "unknown-marking": Bad(
        422,
        ("wrongly-marked", "not a marking definition the gate knows"),
        _json(indicator(object_marking_refs=[new_id("marking-definition")])),
    ),
    "marking-the-gate-cannot-read": Bad(
        422,
        ("definition_type is not 'tlp'", "not understood by the release gate"),
        _json(STATEMENT_MARKING),
        user="admin",
    ),
    "one-bad-in-a-bundle": Bad(
        422,
        ("created", "timestamp"),
        _json(bundle(indicator(), indicator(), indicator(created=5), indicator())),
    ),
    "empty-bundle": Bad(422, ("non-empty",), _json(bundle())),
    "oversized": Bad(413, ("limit of 65536 bytes",), _json(indicator(description="x" * LIMIT))),
    "wrong-content-type": Bad(
        415, ("Content-Type", "text/plain"), RAW_GOOD, headers={"content-type": "text/plain"}
    ),
    "no-content-type": Bad(415, ("Content-Type", "nothing"), RAW_GOOD, headers={}),
    "missing-auth": Bad(401, ("Bearer",), RAW_GOOD, user=None),
    "bad-token": _unauthenticated("Bearer nope", "unknown or revoked token"),
    "unknown-scheme": _unauthenticated("Digest abc", "unsupported authorization scheme"),
    "malformed-basic": _unauthenticated("Basic %%%", "malformed Basic"),
    "empty-bearer": _unauthenticated("Bearer", "credentials are empty"),
    "viewer-writing": Bad(403, ("indicator", "analyst"), RAW_GOOD, user="viewer"),
    "analyst-writing-agreement-record": Bad(
        403, ("acuerdo-covered-person", "registrar"), _json(covered_person())
    ),
    "analyst-writing-personal-data": Bad(
        403, ("acuerdo-personal-data", "registrar"), _json(personal_data())
    ),
    "bad-cursor": Bad(400, ("cursor",), method="GET", path="/api/v1/records?cursor=abc"),
    "zero-limit": Bad(422, ("limit",), method="GET", path="/api/v1/records?limit=0"),
    "limit-not-a-number": Bad(422, ("limit",), method="GET", path="/api/v1/records?limit=ten"),
    "all-versions-not-boolean": Bad(
        422, ("all_versions",), method="GET", path="/api/v1/records?all_versions=perhaps"
    ),
    "too-many-types": Bad(
        422,
        ("at most 20",),
        method="GET",
        path="/api/v1/records?" + "&".join(f"type=t{i:03d}" for i in range(21)),
    ),
    "bad-id": Bad(422, ("STIX id",), method="GET", path="/api/v1/records/not-an-id"),
    "bad-id-versions": Bad(
        422, ("STIX id",), method="GET", path="/api/v1/records/INDICATOR--1/versions"
    ),
    "unknown-question": Bad(404, ("no question", "coverage"), b"{}", "/api/v1/decide/weather"),
    "question-wrong-types": Bad(422, ("category",), b'{"category": 5}', "/api/v1/decide/coverage"),
    "question-unknown-field": Bad(
        422,
        ("colour",),
        b'{"category": "member-of-force", "colour": "red"}',
        "/api/v1/decide/coverage",
    ),
    "question-malformed-json": Bad(400, ("malformed JSON",), b"{", "/api/v1/decide/coverage"),
    "question-oversized": Bad(
        413, ("limit",), b'{"category": "' + b"x" * LIMIT + b'"}', "/api/v1/decide/coverage"
    ),
    "no-such-route": Bad(
        404, ("no route", "/api/v1/nothing"), method="GET", path="/api/v1/nothing"
    ),
    "method-not-allowed": Bad(
        405,
        ("DELETE", "not allowed"),
        method="DELETE",
        path="/api/v1/records",
        allowed=("GET", "POST"),
    ),
}


h = module_harness("h")


async def send_unchanged(h: NodeHarness, request: httpx.Request) -> httpx.Response:
    """Send a request and check that it changed no table of the node."""
    before = await table_counts(h.node)
    r = await h.client.send(request)
    assert await table_counts(h.node) == before, "a refused request changed the node"
    return r


async def refused_precisely(h: NodeHarness, case: Bad) -> None:
    headers = dict(case.headers) | (h.auth(case.user) if case.user else {})
    content = case.body if case.method == "POST" else None
    request = h.client.build_request(case.method, case.path, content=content, headers=headers)
    r = await send_unchanged(h, request)
    assert_problem(r, case.status, *case.fragments)
    if case.status == 401:
        assert all(f in r.headers["www-authenticate"] for f in CHALLENGE), r.headers
    if case.status == 405:  # Allow names methods the path does serve (RFC 9110 15.5.6)
        allowed = {m.strip() for m in r.headers["allow"].split(",")}
        assert allowed and allowed <= set(case.allowed), r.headers


@pytest.mark.parametrize("name", sorted(CASES))
async def test_bad_request_is_refused_precisely_and_changes_nothing(
    h: NodeHarness, name: str
) -> None:
    await refused_precisely(h, CASES[name])


async def test_oversized_body_without_content_length_is_cut_off(h: NodeHarness) -> None:
    """A chunked body declares no length: the node counts while reading and stops at the limit."""

    async def chunks() -> AsyncIterator[bytes]:
        yield RAW_GOOD[:-1] + b',"description":"'
        for _ in range(40):
            yield b"x" * 4096
        yield b'"}'

    headers = {"content-type": "application/json"} | h.auth("analyst")
    request = h.client.build_request("POST", "/api/v1/records", content=chunks(), headers=headers)
    assert "content-length" not in request.headers
    r = await send_unchanged(h, request)
    assert_problem(r, 413, "limit of 65536 bytes")


async def test_cursor_of_another_user_is_refused(h: NodeHarness) -> None:
    """Cursors are sealed to their reader: another user cannot replay one."""
    first = await h.client.get("/api/v1/records?limit=1", headers=h.auth("analyst"))
    cursor = first.json()["next"]
    assert cursor
    request = h.client.build_request(
        "GET", "/api/v1/records", params={"cursor": cursor}, headers=h.auth("viewer")
    )
    assert_problem(await send_unchanged(h, request), 400, "cursor")
    again = await h.client.get(f"/api/v1/records?cursor={cursor}", headers=h.auth("analyst"))
    assert again.status_code == 200  # the control: it is a good cursor for its own reader


async def test_good_requests_do_change_the_node(h: NodeHarness) -> None:
    """The control for every case above: the same requests, made good, are accepted."""
    before = await table_counts(h.node)
    good = bundle(indicator(), indicator())
    r = await h.client.post("/api/v1/records", json=good, headers=h.auth("analyst"))
    assert r.status_code == 201, r.text
    r = await h.client.post("/api/v1/records", json=covered_person(), headers=h.auth("registrar"))
    assert r.status_code == 201, r.text
    after = await table_counts(h.node)
    assert after["ledger"] == before["ledger"] + 3 and after["audit"] > before["audit"]
    r = await h.client.post(
        "/api/v1/decide/coverage", json={"category": "member-of-force"}, headers=h.auth("viewer")
    )
    assert r.status_code == 200, r.text


# Wrong types in STIX common properties of standard (non-acuerdo) types, which no schema checks.
STIX_WRONG_TYPES = {
    name: Bad(422, (prop,), _json(indicator(**{prop: value})))
    for name, prop, value in (
        ("ref-not-an-id", "created_by_ref", "the ministry"),
        ("ref-longer-than-an-id", "created_by_ref", "identity--" + "a" * 400),
        ("refs-not-ids", "x_refs", [5]),
        ("labels-not-a-list", "labels", 5),
        ("confidence-over-100", "confidence", 1000),
        ("external-references-not-a-list", "external_references", "nope"),
    )
}


@pytest.mark.parametrize("name", sorted(STIX_WRONG_TYPES))
async def test_stix_property_of_wrong_type_is_refused(h: NodeHarness, name: str) -> None:
    await refused_precisely(h, STIX_WRONG_TYPES[name])


async def test_unreadable_marking_definition_below_the_api_fails_alone(h: NodeHarness) -> None:
    bad = dict(STATEMENT_MARKING, id=new_id("marking-definition"))
    good = indicator(object_marking_refs=[TLP2_MARKING_IDS[TLP.GREEN]])
    # Both jobs are queued before the writer wakes, so they share one transaction.
    outcomes = await asyncio.gather(
        ingest(h.node, bad), ingest(h.node, good), return_exceptions=True
    )
    assert not isinstance(outcomes[1], BaseException), f"an innocent write failed: {outcomes[1]!r}"
    assert isinstance(outcomes[0], RecordError | WriteRefused), outcomes[0]

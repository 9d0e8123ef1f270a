"""Authentication: Bearer tokens, HTTP Basic served from a cache, audited logins, and no route
but /health answering anyone who has not signed in.

argon2 costs about 100 ms a check, so Basic credentials are verified once and then served from
the node's cache; the audit chain shows it (one `login` entry for many requests).
"""

from __future__ import annotations

import base64
import uuid
from typing import Any

import pytest
from sqlalchemy import func, select
from test_bad_input import CHALLENGE, assert_problem, indicator, module_harness
from test_channels import NODE_SIGNED, api_routes, concrete_path

from acuerdo.api.app import create_app
from acuerdo.ledger.tables import audit
from acuerdo.node import Node
from acuerdo.users import add_user
from conftest import NodeHarness

pytestmark = pytest.mark.asyncio(loop_scope="module")

PASSWORD = "correct horse battery"
PUBLIC = {"GET /health"}
# Endless streams: their signed-in control is in tests/taxii (this client waits for the end).
ENDLESS = {"GET /api/v1/stream"}


h = module_harness("h")


async def with_password(h: NodeHarness, name: str) -> None:
    """A user who signs in with a password (argon2-hashed), not a token."""
    await add_user(
        h.node.engines.writer, party=h.node.party, name=name,
        agency=h.users["viewer"].agency, roles=["viewer"], password=PASSWORD,
    )  # fmt: skip


def basic(name: str, password: str) -> dict[str, str]:
    value = base64.b64encode(f"{name}:{password}".encode()).decode()
    return {"Authorization": f"Basic {value}"}


async def audit_count(node: Node, action: str, actor: str | None = None) -> int:
    q = select(func.count()).select_from(audit).where(audit.c.action == action)
    if actor is not None:
        q = q.where(audit.c.actor == actor)
    async with node.engines.reader.connect() as conn:
        return int((await conn.execute(q)).scalar_one())


async def test_bearer_token_signs_in(h: NodeHarness) -> None:
    r = await h.client.get("/api/v1/agreement", headers=h.auth("viewer"))
    assert r.status_code == 200 and r.json()["party"] == "USA"


async def test_basic_is_verified_once_then_served_from_the_cache(h: NodeHarness) -> None:
    await with_password(h, "officer.basic")
    before = await audit_count(h.node, "login", "USA:officer.basic")
    for _ in range(3):
        r = await h.client.get("/api/v1/keys", headers=basic("officer.basic", PASSWORD))
        assert r.status_code == 200, r.text
    assert await audit_count(h.node, "login", "USA:officer.basic") == before + 1


async def test_wrong_password_is_refused_audited_and_never_cached(h: NodeHarness) -> None:
    await with_password(h, "officer.wrong")
    good = await h.client.get("/api/v1/keys", headers=basic("officer.wrong", PASSWORD))
    assert good.status_code == 200  # now the right password is in the cache
    failed = await audit_count(h.node, "login.failed")
    for attempt in (PASSWORD + " ", PASSWORD.upper(), ""):
        r = await h.client.get("/api/v1/keys", headers=basic("officer.wrong", attempt))
        assert_problem(r, 401, "wrong user name or password")
        assert all(f in r.headers["www-authenticate"] for f in CHALLENGE)
    assert await audit_count(h.node, "login.failed") == failed + 3


@pytest.mark.parametrize("name", ["nobody-here", "viewer"])  # unknown; known, but no password
async def test_basic_without_a_matching_password_is_refused(h: NodeHarness, name: str) -> None:
    failed = await audit_count(h.node, "login.failed")
    r = await h.client.get("/api/v1/keys", headers=basic(name, PASSWORD))
    body = assert_problem(r, 401, "wrong user name or password")
    assert name not in body["detail"]  # the refusal does not say which names exist
    assert await audit_count(h.node, "login.failed") == failed + 1


async def test_health_needs_no_authentication(h: NodeHarness) -> None:
    r = await h.client.get("/health")
    assert r.status_code == 200 and r.json() == {"status": "ok"}


def sample_body(method: str, path: str) -> dict[str, Any] | None:
    """A body each writing route accepts from a signed-in user (the control)."""
    if method != "POST":
        return None
    bodies: dict[str, dict[str, Any]] = {
        "/api/v1/records": indicator(),
        "/api/v1/decide/{question}": {"category": "member-of-force"},
        "/api/v1/imports/persons": {},  # not a spreadsheet: refused after authentication
        "/api/v1/cards": {"person_id": f"acuerdo-covered-person--{uuid.uuid4()}"},
        "/api/v1/cards/{card_record_id}/revoke": {"reason": "lost"},
        "/api/v1/cards/verify": {"code": "SOFA1:not-a-card"},
        "/api/v1/activities": {},  # no activity fields: refused after authentication
        "/api/v1/activities/{object_id}/versions": {"personnel_count": 3},
        "/api/v1/activities/{object_id}/decisions": {"outcome": "approved", "reason": "ok"},
        "/api/v1/activities/{object_id}/reports": {"summary": "done"},
        "/api/v1/authorisations": {},
        "/api/v1/calendar-tokens": {"label": "phone"},
        # sent as application/json: refused 415 once signed in, as TAXII asks
        "/taxii2/intel/collections/{collection_id}/objects/": {"objects": [indicator()]},
        # Equipment: valid content, or answers to an id that does not exist (404).
        "/api/v1/customs/declarations": {"direction": "import"},  # refused on content (422)
        "/api/v1/customs/declarations/{declaration_id}/decision": {"outcome": "cleared"},
        "/api/v1/craft-movements": {},  # refused on its content (422) after authentication
        "/api/v1/craft-movements/{movement_id}/acknowledgement": {},
        "/api/v1/frequency-requests": {},
        "/api/v1/frequency-requests/{request_id}/assignment": {"outcome": "assigned"},
        "/api/v1/transfers": {},
        "/api/v1/transfers/{programme_id}/milestones": {"stage": "shipment"},
    }
    assert path in bodies, f"add a body that POST {path} accepts"
    return bodies[path]


async def test_every_route_but_health_needs_authentication(h: NodeHarness) -> None:
    routes = sorted(api_routes(create_app(h.node.settings)))
    assert {f"{m} {p}" for m, p in routes} >= PUBLIC | {"GET /api/v1/records"}
    for method, path in routes:
        if f"{method} {path}" in PUBLIC:
            continue
        url, body = concrete_path(path), sample_body(method, path)
        for headers in ({}, {"Authorization": "Bearer not-a-token"}):
            r = await h.client.request(method, url, json=body, headers=headers)
            problem = assert_problem(r, 401)
            assert problem["type"] == "urn:acuerdo:problem:unauthenticated", (method, path)
            assert all(f in r.headers["www-authenticate"] for f in CHALLENGE), (method, path)
        if f"{method} {path}" in ENDLESS:
            continue
        signed_in = await h.client.request(method, url, json=body, headers=h.auth("admin"))
        if f"{method} {path}" in NODE_SIGNED:  # a user's credentials never open these
            assert_problem(signed_in, 401, "RFC 9421 signature")
            continue
        assert signed_in.status_code not in (401, 403), (method, path, signed_in.text)

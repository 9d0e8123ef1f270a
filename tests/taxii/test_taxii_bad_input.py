"""Bad input to the TAXII server: a precise TAXII error with the right status, and nothing
written (no ledger row, no status resource). A bundle with some invalid objects is the one
exception TAXII asks for: the valid objects are stored and the status lists each failure.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
from sqlalchemy import func, select
from taxii_support import TAXII, LiveNode, covered_person, database, indicator, live_node

from acuerdo.ledger.tables import ledger, taxii_status
from conftest import BACKENDS

pytestmark = pytest.mark.asyncio(loop_scope="module")
LIMIT = 256 * 1024  # taxii_support's max_body_bytes


@pytest_asyncio.fixture(scope="module", loop_scope="module", params=BACKENDS)
async def live(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[LiveNode]:
    home = tmp_path_factory.mktemp("taxii") / "usa"
    async with database(request.param) as url, live_node(home, url) as node:
        yield node


@pytest_asyncio.fixture(loop_scope="module")
async def client(live: LiveNode) -> AsyncIterator[httpx.AsyncClient]:
    base = f"{live.url}/taxii2/intel"
    async with httpx.AsyncClient(base_url=base, headers=live.auth("ana")) as c:
        yield c


async def intel_url(client: httpx.AsyncClient) -> str:
    r = await client.get("/collections/")
    found = [c for c in r.json()["collections"] if c["alias"] == "intelligence"]
    return f"/collections/{found[0]['id']}"


async def counts(live: LiveNode) -> tuple[int, int]:
    async with live.node.engines.reader.connect() as conn:
        rows = (await conn.execute(select(func.count()).select_from(ledger))).scalar_one()
        statuses = (await conn.execute(select(func.count()).select_from(taxii_status))).scalar_one()
    return int(rows), int(statuses)


def assert_error(r: httpx.Response, status: int, *words: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == TAXII
    body: dict[str, Any] = r.json()
    assert body["http_status"] == str(status) and body["status"] == status
    for word in words:
        assert word in body["description"], (word, body["description"])
    assert "Traceback" not in r.text
    return body


def post(client: httpx.AsyncClient, url: str, body: bytes, **headers: str) -> Any:
    base = {"Content-Type": TAXII, "Accept": TAXII}
    return client.post(f"{url}/objects/", content=body, headers={**base, **headers})


@pytest.mark.parametrize(
    ("body", "headers", "status", "words"),
    [
        (b'{"objects": [', {}, 400, ("malformed JSON",)),
        (b'{"objects": [], "objects": [1]}', {}, 400, ("malformed JSON",)),
        (b"[1, 2]", {}, 422, ("envelope",)),
        (b'{"objects": []}', {}, 422, ("non-empty list",)),
        (b'{"objects": [{}]}', {"Content-Type": "application/json"}, 415, (TAXII,)),
        (b'{"objects": [{}]}', {"Content-Type": "application/taxii+json;version=2.0"}, 415, ()),
        (b'{"objects": [{}]}', {"Accept": "application/taxii+json;version=2.0"}, 406, (TAXII,)),
        (b'{"objects": [{}]}', {"Accept": "text/html"}, 406, ("text/html",)),
        (b'{"objects": [' + b" " * LIMIT + b"]}", {}, 413, (str(LIMIT),)),
    ],
    ids=["truncated", "duplicate-key", "not-envelope", "empty", "json-type", "taxii-2.0",
         "accept-2.0", "accept-html", "oversized"],
)  # fmt: skip
async def test_bad_posts_are_refused_and_write_nothing(
    live: LiveNode,
    client: httpx.AsyncClient,
    body: bytes,
    headers: dict[str, str],
    status: int,
    words: tuple[str, ...],
) -> None:
    url = await intel_url(client)
    before = await counts(live)
    assert_error(await post(client, url, body, **headers), status, *words)
    assert await counts(live) == before


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("match[version]=yesterday", ("match[version]",)),
        ("limit=0", ("limit",)),
        ("limit=ten", ("limit",)),
        ("match[type]=Indicator!", ("match[type]",)),
        ("match[id]=indicator--nope", ("match[id]",)),
        ("match[spec_version]=3.0", ("match[spec_version]",)),
        ("added_after=2026-13-01T00:00:00Z", ("added_after",)),
        ("match[colour]=red", ("match[colour]",)),
        ("match[type]=indicator,", ("empty value",)),
        ("limit=1&limit=2", ("once",)),
        ("next=forged-cursor", ("next",)),
    ],
)
@pytest.mark.parametrize("what", ["objects", "manifest"])
async def test_bad_filters_are_400_naming_the_parameter(
    client: httpx.AsyncClient, query: str, words: tuple[str, ...], what: str
) -> None:
    url = await intel_url(client)
    assert_error(await client.get(f"{url}/{what}/?{query}"), 400, *words)


async def test_a_next_from_other_filters_is_refused(client: httpx.AsyncClient) -> None:
    url = await intel_url(client)
    await post(client, url, json.dumps({"objects": [indicator(i) for i in range(3)]}).encode())
    first = (await client.get(f"{url}/objects/?limit=1")).json()
    assert first["more"] and first["next"]
    r = await client.get(f"{url}/objects/?limit=1&match[type]=indicator&next={first['next']}")
    assert_error(r, 400, "same filters")
    r = await client.get(f"{url}/manifest/?limit=1&next={first['next']}")
    assert_error(r, 400, "next")


async def test_some_invalid_objects_the_valid_ones_stored_each_failure_listed(
    live: LiveNode, client: httpx.AsyncClient
) -> None:
    url = await intel_url(client)
    good = [indicator(100), indicator(101)]
    no_pattern = indicator(102)
    del no_pattern["modified"]
    bad_time = indicator(103, valid_from="last tuesday")
    bad_time["created"] = "2026-02-30T00:00:00Z"
    wrong_id = indicator(104, id="indicator--not-a-uuid")
    person = covered_person()
    bad_pattern = indicator(105, pattern="[ipv4-addr:value = ]")
    objs = [good[0], no_pattern, bad_time, "not an object", wrong_id, person, bad_pattern, good[1]]
    before, _ = await counts(live)
    r = await post(client, url, json.dumps({"objects": objs}).encode())
    assert r.status_code == 202, r.text
    status = r.json()
    assert status["status"] == "complete" and status["total_count"] == 8
    assert {s["id"] for s in status["successes"]} == {g["id"] for g in good}
    failures = {f["id"]: f["message"] for f in status["failures"]}
    assert status["failure_count"] == 6 == len(failures)
    assert "modified is required" in failures[no_pattern["id"]]
    assert "created" in failures[bad_time["id"]]
    assert "must be a JSON object" in failures["objects[3]"]
    assert "not-a-uuid" in failures[wrong_id["id"]]
    assert "agreement record" in failures[person["id"]]
    assert "pattern" in failures[bad_pattern["id"]]
    assert (await counts(live))[0] == before + 2  # the two valid ones, nothing else
    for g in good:
        got = await client.get(f"{url}/objects/{g['id']}/")
        assert got.status_code == 200 and got.json()["objects"][0]["id"] == g["id"]


async def test_writing_where_one_may_only_read_is_403(live: LiveNode) -> None:
    async with httpx.AsyncClient(base_url=f"{live.url}/taxii2/intel") as viewer:
        viewer.headers.update(live.auth("vic"))
        url = await intel_url(viewer)
        before = await counts(live)
        body = json.dumps({"objects": [indicator(200)]}).encode()
        assert_error(await post(viewer, url, body), 403, "may not write")
        assert await counts(live) == before


async def test_unknown_collection_and_object_are_404(client: httpx.AsyncClient) -> None:
    url = await intel_url(client)
    assert_error(await client.get("/collections/7e0d1d0e-0000-4000-8000-000000000000/"), 404)
    missing = indicator(300)["id"]
    assert_error(await client.get(f"{url}/objects/{missing}/"), 404, missing)
    assert_error(await client.get(f"{url}/objects/not-an-id/"), 400, "STIX id")

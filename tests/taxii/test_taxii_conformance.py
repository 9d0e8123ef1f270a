"""TAXII 2.1 conformance, driven by the OASIS client (taxii2-client) over real HTTP.

Discovery, API root, collections with can_read/can_write per user, adding objects and
polling their status, getting objects with every filter, paging to the end, versions,
manifest and delete (the owner revoking). Every object served passes stix2-validator.
One node per backend, served by uvicorn on a loopback port for the whole module.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
from requests import HTTPError
from stix2validator import ValidationOptions, validate_parsed_json
from taxii2client.v21 import Collection, as_pages
from taxii_support import (
    PASSWORD,
    TAXII,
    LiveNode,
    blocking,
    database,
    envelope,
    indicator,
    live_node,
    sdo,
)

from conftest import BACKENDS

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module", params=BACKENDS)
async def live(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[LiveNode]:
    async with database(request.param) as url:
        home = tmp_path_factory.mktemp("taxii") / "usa"
        async with live_node(home, url) as node:
            yield node


def assert_valid_stix(objs: list[dict[str, Any]]) -> None:
    """Every standard object served passes the OASIS validator (no warnings as errors)."""
    options = ValidationOptions(version="2.1", strict=False)
    for obj in objs:
        result = validate_parsed_json(obj, options)
        assert result.is_valid, (obj["id"], [str(e) for e in result.errors])


def objects_of(env: dict[str, Any]) -> list[dict[str, Any]]:
    objs: list[dict[str, Any]] = env.get("objects", [])
    assert_valid_stix(objs)
    return objs


async def test_discovery_and_api_root(live: LiveNode) -> None:
    server = live.server("ana")
    assert await blocking(lambda: server.title)
    roots = await blocking(lambda: server.api_roots)
    assert [r.url for r in roots] == [f"{live.url}/taxii2/intel/"]
    assert server.default.url == roots[0].url
    root = roots[0]
    assert await blocking(lambda: root.versions) == [TAXII]
    assert root.max_content_length == live.node.settings.max_body_bytes


async def test_collections_say_who_may_read_and_write(live: LiveNode) -> None:
    ana = {c.alias: c for c in await blocking(lambda: live.api_root("ana").collections)}
    vic = {c.alias: c for c in await blocking(lambda: live.api_root("vic").collections)}
    assert ana["intelligence"].can_read and ana["intelligence"].can_write
    assert vic["intelligence"].can_read and not vic["intelligence"].can_write
    assert {"from-usa", "from-pry"} <= set(ana)
    assert not ana["from-usa"].can_write
    # A registrar neither reads nor writes intelligence: no collection at all, 404 on the id.
    assert await blocking(lambda: live.api_root("reg").collections) == []
    one = ana["intelligence"]
    with pytest.raises(HTTPError, match="404"):
        await blocking(lambda: Collection(one.url, user="reg", password=PASSWORD).refresh())
    assert one.id and one.media_types == ["application/stix+json;version=2.1"]


async def test_add_objects_and_poll_status(live: LiveNode) -> None:
    coll = await blocking(live.collection, "ana")
    objs = [indicator(i) for i in range(5)]
    status = await blocking(coll.add_objects, envelope(objs), poll_interval=0.1)
    assert status.status == "complete"
    assert (status.total_count, status.success_count, status.failure_count) == (5, 5, 0)
    assert {s["id"] for s in status.successes} == {o["id"] for o in objs}
    again = await blocking(live.api_root("ana").get_status, status.id)
    assert again.status == "complete" and again.success_count == 5
    # Another user cannot read this status: it is the requester's.
    with pytest.raises(HTTPError, match="404"):
        await blocking(live.api_root("ben").get_status, status.id)


async def test_a_large_post_is_processed_after_the_answer(live: LiveNode) -> None:
    coll = await blocking(live.collection, "ana")
    objs = [indicator(1000 + i) for i in range(250)]
    first = await blocking(coll.add_objects, envelope(objs), wait_for_completion=False)
    assert first.status == "pending" and first.total_count == 250
    assert first.pending_count == 250 - first.success_count - first.failure_count
    await blocking(first.wait_until_final, 0.05, 60)
    assert first.status == "complete" and first.success_count == 250


async def test_get_objects_with_every_filter(live: LiveNode) -> None:
    coll = await blocking(live.collection, "ana")
    base = indicator(7)
    newer = {**base, "modified": "2026-07-02T12:00:00.000Z", "name": "Airstrip 7, revised"}
    actor = sdo("threat-actor", name="Clan del Norte", threat_actor_types=["crime-syndicate"])
    first = await blocking(coll.add_objects, envelope([base, actor]), poll_interval=0.1)
    assert first.success_count == 2
    mid = await blocking(coll.get_object, base["id"])
    marker = mid["objects"][0]["modified"]
    status = await blocking(coll.add_objects, envelope([newer]), poll_interval=0.1)
    assert status.success_count == 1

    def get(**kw: Any) -> list[dict[str, Any]]:
        return objects_of(coll.get_objects(**kw))

    got = await blocking(get, id=base["id"])
    assert [o["modified"] for o in got] == ["2026-07-02T12:00:00.000Z"]  # last by default
    got = await blocking(get, id=base["id"], version="first")
    assert [o["modified"] for o in got] == [marker]
    got = await blocking(get, id=base["id"], version="all")
    assert len(got) == 2
    got = await blocking(get, id=base["id"], version="first,last")
    assert len(got) == 2
    got = await blocking(get, id=base["id"], version="2026-07-02T12:00:00Z")
    assert [o["name"] for o in got] == ["Airstrip 7, revised"]
    got = await blocking(get, type="threat-actor")
    assert actor["id"] in {o["id"] for o in got} and {o["type"] for o in got} == {"threat-actor"}
    got = await blocking(get, type="threat-actor,indicator", id=f"{actor['id']},{base['id']}")
    assert {o["id"] for o in got} == {actor["id"], base["id"]}
    got = await blocking(get, spec_version="2.0")
    assert got == []
    got = await blocking(get, spec_version="2.1", id=actor["id"])
    assert [o["id"] for o in got] == [actor["id"]]
    added = (await blocking(coll.get_manifest, id=actor["id"]))["objects"][0]["date_added"]
    later = await blocking(get, added_after=added)
    assert actor["id"] not in {o["id"] for o in later}
    assert base["id"] in {o["id"] for o in later}  # its newest version came after
    page = await blocking(coll.get_objects, limit=2)
    assert len(page["objects"]) == 2 and page["more"] is True and page["next"]


async def test_pagination_to_the_end(live: LiveNode) -> None:
    coll = await blocking(live.collection, "ben")
    mine = [indicator(3000 + i) for i in range(23)]
    assert (await blocking(coll.add_objects, envelope(mine), poll_interval=0.1)).success_count == 23
    everything = await blocking(lambda: objects_of(coll.get_objects(limit=1000)))

    def walk() -> list[str]:
        return [
            o["id"] for env in as_pages(coll.get_objects, per_request=7) for o in objects_of(env)
        ]

    ids = await blocking(walk)
    assert len(ids) == len(set(ids)) == len(everything)
    assert {o["id"] for o in mine} <= set(ids)
    manifest = await blocking(
        lambda: [m["id"] for env in as_pages(coll.get_manifest, per_request=9)
                 for m in env.get("objects", [])]
    )  # fmt: skip
    assert manifest == ids


async def test_versions_manifest_and_delete(live: LiveNode) -> None:
    coll = await blocking(live.collection, "ana")
    v1 = indicator(9)
    v2 = {**v1, "modified": "2026-07-03T00:00:00.000Z"}
    for v in (v1, v2):
        assert (await blocking(coll.add_objects, envelope([v]), poll_interval=0.1)).success_count
    versions = await blocking(coll.object_versions, v1["id"])
    assert versions["versions"] == ["2026-07-01T12:00:00.000000Z", "2026-07-03T00:00:00.000000Z"]
    manifest = await blocking(coll.get_manifest, id=v1["id"], version="all")
    assert [m["version"] for m in manifest["objects"]] == versions["versions"]
    assert all(m["media_type"] == "application/stix+json;version=2.1" for m in manifest["objects"])
    # A viewer may read but not delete; the analyst's node owns the object and revokes it.
    async with httpx.AsyncClient() as raw:
        r = await raw.delete(f"{coll.url}objects/{v1['id']}/", headers=live.auth("vic"))
    assert r.status_code == 403 and r.headers["content-type"] == TAXII
    await blocking(coll.delete_object, v1["id"])
    now = objects_of(await blocking(coll.get_object, v1["id"]))
    assert now[0]["revoked"] is True and now[0]["modified"] > v2["modified"]
    assert len((await blocking(coll.object_versions, v1["id"]))["versions"]) == 3
    await blocking(coll.delete_object, v1["id"])  # revoking twice writes nothing more
    assert len((await blocking(coll.object_versions, v1["id"]))["versions"]) == 3


async def test_agreement_records_never_appear(live: LiveNode) -> None:
    coll = await blocking(live.collection, "root")
    types = await blocking(
        lambda: {o["type"] for env in as_pages(coll.get_objects, per_request=200)
                 for o in env.get("objects", [])}
    )  # fmt: skip
    assert types and not any(t.startswith("acuerdo-") for t in types)
    assert_valid_stix(
        [json.loads(json.dumps(o)) for o in (await blocking(coll.get_objects))["objects"]]
    )

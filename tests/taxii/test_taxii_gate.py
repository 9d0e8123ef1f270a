"""The release gate through TAXII and the live stream: per object, not per collection.

ana and ben are both analysts of the same party and both read the intelligence collection.
Objects marked TLP:RED for ana, and a relationship whose end is one of them, are in the
collection for ana and absent for ben: in every page, manifest, filter, object and versions
read (404 as for an id never written), and on ben's stream. Paging stays exact when nearly
everything is withheld.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from requests import HTTPError
from taxii2client.v21 import as_pages
from taxii_support import (
    GREEN,
    RED,
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
async def scene(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[tuple[LiveNode, dict[str, Any]]]:
    home = tmp_path_factory.mktemp("taxii") / "usa"
    async with database(request.param) as url, live_node(home, url) as live:
        yield live, await write_scene(live)


async def write_scene(live: LiveNode) -> dict[str, Any]:
    """60 objects for ana alone, interleaved with 6 everyone sees; a relationship to a red one."""
    red = [live.red_for_ana]
    secret = [indicator(i, object_marking_refs=[RED, *red]) for i in range(60)]
    public = [indicator(500 + i) for i in range(6)]
    link = sdo(
        "relationship", relationship_type="indicates", source_ref=public[0]["id"],
        target_ref=secret[0]["id"],
    )  # fmt: skip
    objs: list[dict[str, Any]] = []
    for i, s in enumerate(secret):
        objs.append(s)
        if i % 10 == 0:
            objs.append(public[i // 10])
    objs.append(link)
    coll = await blocking(live.collection, "ana")
    status = await blocking(coll.add_objects, envelope(objs), poll_interval=0.05)
    assert status.success_count == len(objs), status.failures
    return {"secret": {s["id"] for s in secret} | {link["id"]}, "public": public, "link": link}


def walk(coll: Any, fn: str, per_request: int, **kw: Any) -> list[str]:
    pages = as_pages(getattr(coll, fn), per_request=per_request, **kw)
    return [o["id"] for env in pages for o in env.get("objects", [])]


async def test_each_user_sees_exactly_what_the_gate_releases(
    scene: tuple[LiveNode, dict[str, Any]],
) -> None:
    live, s = scene
    public = {p["id"] for p in s["public"]}
    ana = await blocking(live.collection, "ana")
    ben = await blocking(live.collection, "ben")
    for per_request in (1, 4, 100):
        seen_ben = await blocking(
            walk, ben, "get_objects", per_request, type="indicator,relationship"
        )
        assert len(seen_ben) == len(set(seen_ben))
        assert set(seen_ben) == public  # nothing of ana's, and every public one
        seen_ana = await blocking(
            walk, ana, "get_objects", per_request, type="indicator,relationship"
        )
        assert set(seen_ana) == public | s["secret"]
    manifest = await blocking(walk, ben, "get_manifest", 3)
    assert not set(manifest) & s["secret"] and public <= set(manifest)
    by_id = await blocking(ben.get_objects, id=",".join(sorted(s["secret"]))[:4000])
    assert by_id.get("objects", []) == []


async def test_a_withheld_object_answers_like_one_never_written(
    scene: tuple[LiveNode, dict[str, Any]],
) -> None:
    live, s = scene
    ben = await blocking(live.collection, "ben")
    withheld = s["link"]["id"]
    absent = sdo("relationship")["id"]
    answers = []
    for oid in (withheld, absent):
        for call in (ben.get_object, ben.object_versions):
            with pytest.raises(HTTPError) as err:
                await blocking(call, oid)
            r = err.value.response
            answers.append((r.status_code, r.content.replace(oid.encode(), b"<id>")))
    assert answers[:2] == answers[2:] and answers[0][0] == 404
    ana = await blocking(live.collection, "ana")
    assert (await blocking(ana.get_object, withheld))["objects"][0]["id"] == withheld


async def test_the_stream_leaves_out_withheld_versions(
    scene: tuple[LiveNode, dict[str, Any]],
) -> None:
    live, s = scene
    import httpx

    async def replay(user: str) -> set[str]:
        async with httpx.AsyncClient() as c:
            r = await c.get(
                f"{live.url}/api/v1/stream?replay=true&follow=false", headers=live.auth(user)
            )
        return {json.loads(x[6:])["id"] for x in r.text.splitlines() if x.startswith("data: ")}

    ben, ana = await replay("ben"), await replay("ana")
    public = {p["id"] for p in s["public"]}
    assert public <= ben and not ben & s["secret"]
    assert (public | s["secret"]) <= ana
    assert GREEN in ben  # reference objects travel to everyone

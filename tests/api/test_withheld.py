"""Withheld looks like absent: on every channel that returns records (DESIGN.md, data model).

One node per backend holds records the release gate withholds: unmarked, wrongly marked,
TLP:RED for someone else, personal data for a role that may not see it, and objects that
refer to withheld ones (including one whose referent arrived later). For each, every user it
is withheld from gets exactly the answer an id that never existed gets (status, body apart
from the id, headers apart from content-length), through the API and through `acuerdo get`,
and no list or page changes at all. test_channels.py checks that every route and command
that returns records is covered here (the `covers` marks).

The node is built once per module and backend: the cases only read it (reads of personal data
append audit entries, which no other case counts).
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
import pytest_asyncio
from click.testing import CliRunner
from sqlalchemy import func, select
from test_bad_input import (
    STAMP,
    bundle,
    covered_person,
    indicator,
    ingest,
    new_id,
    open_harness,
    personal_data,
    sdo,
)

from acuerdo.api.taxii.collections import COLLECTION_NAMESPACE
from acuerdo.cli import main as cli_main
from acuerdo.ledger.tables import audit, ledger
from acuerdo.ledger.types import BY_NAME
from acuerdo.markings import (
    TLP,
    TLP2_MARKING_IDS,
    recipients_marking_definition,
    rel_to_marking_definition,
)
from acuerdo.node import Node
from acuerdo.users import add_user, create_token
from conftest import BACKENDS, USERS, NodeHarness

pytestmark = pytest.mark.asyncio(loop_scope="module")

F = TypeVar("F", bound=Callable[..., Any])
TLP_GREEN, TLP_RED = TLP2_MARKING_IDS[TLP.GREEN], TLP2_MARKING_IDS[TLP.RED]
LIST_TYPES = ("indicator", "report", "identity", "acuerdo-personal-data", "acuerdo-covered-person")


def covers(*channels: str) -> Callable[[F], F]:
    """Declare which routes ("METHOD /path") and CLI commands a test proves withheld-safe."""

    def mark(fn: F) -> F:
        fn.covers = frozenset(channels)  # type: ignore[attr-defined]
        return fn

    return mark


# --- records ---------------------------------------------------------------------------------


def report(refs: list[str]) -> dict[str, Any]:
    summary = {"name": "Weekly trafficking summary, Chaco", "published": STAMP}
    return sdo("report", object_refs=refs, **summary)


def identity() -> dict[str, Any]:
    return sdo("identity", name="Third-party feed", identity_class="organization")


async def post(h: NodeHarness, user: str, *objs: Mapping[str, Any]) -> None:
    body = objs[0] if len(objs) == 1 else bundle(*objs)
    r = await h.client.post("/api/v1/records", json=body, headers=h.auth(user))
    assert r.status_code == 201, r.text


# --- the scene -------------------------------------------------------------------------------

ALL_USERS = frozenset(USERS)


@dataclass(frozen=True)
class Case:
    """A withheld record: who may still see it (named, role) and who must get a 404."""

    name: str
    object_id: str
    visible_to: frozenset[str] = frozenset()

    @property
    def withheld_from(self) -> frozenset[str]:
        return ALL_USERS - self.visible_to

    @property
    def type(self) -> str:
        return self.object_id.split("--")[0]


ListKey = tuple[str, tuple[tuple[str, str], ...]]  # (user, query)


@dataclass
class Scene:
    h: NodeHarness
    cases: dict[str, Case]
    before: dict[ListKey, list[list[str]]] = field(default_factory=dict)
    after: dict[ListKey, list[list[str]]] = field(default_factory=dict)
    cli_absent: dict[tuple[str, str], tuple[int, str]] = field(default_factory=dict)


def list_queries() -> list[tuple[tuple[str, str], ...]]:
    """Unfiltered and by type, current versions and all; one filter with several types."""
    queries: list[tuple[tuple[str, str], ...]] = [(), (("all_versions", "true"),)]
    queries += [(("type", t),) for t in LIST_TYPES]
    queries.append((*(("type", t) for t in LIST_TYPES), ("all_versions", "true")))
    return queries


async def walk(h: NodeHarness, user: str, query: Iterable[tuple[str, str]]) -> list[list[str]]:
    """Every page of a list, as "id@version" per item, following `next` to the end."""
    pages: list[list[str]] = []
    cursor: str | None = None
    while True:
        params = httpx.QueryParams([*query, ("limit", "5")])
        params = params.add("cursor", cursor) if cursor else params
        r = await h.client.get("/api/v1/records", params=params, headers=h.auth(user))
        assert r.status_code == 200, r.text
        page = r.json()
        pages.append([f"{i['record']['id']}@{i['version']}" for i in page["items"]])
        cursor = page["next"]
        if cursor is None:
            return pages


async def snapshot(h: NodeHarness) -> dict[ListKey, list[list[str]]]:
    return {(u, q): await walk(h, u, q) for u in sorted(USERS) for q in list_queries()}


async def write_cases(h: NodeHarness) -> dict[str, Case]:
    """Write every withheld record (markings they need are already written)."""
    node = h.node
    red_to_registrar = recipients_marking_definition(["USA:registrar"])["id"]
    rel_to_gbr = rel_to_marking_definition(["GBR"])["id"]
    cases: list[Case] = []

    unmarked = indicator()
    await ingest(node, unmarked)
    cases.append(Case("unmarked-intel", unmarked["id"]))
    person = covered_person()
    await ingest(node, person)
    cases.append(Case("unmarked-agreement-record", person["id"]))
    unknown = indicator(
        object_marking_refs=[TLP2_MARKING_IDS[TLP.AMBER], new_id("marking-definition")]
    )
    await ingest(node, unknown)
    cases.append(Case("unknown-marking", unknown["id"]))
    outside = indicator(object_marking_refs=[TLP_GREEN, rel_to_gbr])
    await ingest(node, outside)
    cases.append(Case("rel-to-non-party", outside["id"]))

    red = indicator(object_marking_refs=[TLP_RED, red_to_registrar])
    await post(h, "analyst", red)  # its author and the named registrar see it
    cases.append(Case("tlp-red-for-another-user", red["id"], frozenset({"analyst", "registrar"})))
    pdata = personal_data()
    await post(h, "registrar", pdata)
    cases.append(Case("personal-data", pdata["id"], frozenset({"registrar", "verifier"})))

    refers = report([unmarked["id"]])
    await post(h, "analyst", refers)
    cases.append(Case("object-refs-to-withheld", refers["id"]))
    source = identity()
    await ingest(node, source)
    cases.append(Case("unmarked-identity", source["id"]))
    authored = indicator(created_by_ref=source["id"])
    await post(h, "analyst", authored)
    cases.append(Case("created-by-withheld", authored["id"]))

    late = indicator()
    early = report([late["id"]])
    await post(h, "analyst", early)  # refers to an object not held yet: released for now
    seen = await h.client.get(f"/api/v1/records/{early['id']}", headers=h.auth("viewer"))
    assert seen.status_code == 200, "a reference to an object not held restricts nothing"
    await ingest(node, late)  # the referent arrives, withheld: so is what refers to it
    cases.append(Case("unmarked-late-referent", late["id"]))
    cases.append(Case("refers-to-late-withheld", early["id"]))
    return {c.name: c for c in cases}


@pytest_asyncio.fixture(scope="module", loop_scope="module", params=BACKENDS)
async def scene(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Scene]:
    async with open_harness(str(request.param), tmp_path_factory.mktemp("usa")) as h:
        # Markings the cases use, and records everyone sees, exist before the first snapshot.
        await post(
            h,
            "admin",
            recipients_marking_definition(["USA:registrar"]),
            rel_to_marking_definition(["GBR"]),
        )
        green = indicator(object_marking_refs=[TLP_GREEN])
        await post(h, "analyst", green, report([green["id"]]), identity())
        scene = Scene(h, {})
        scene.before = await snapshot(h)
        scene.cases = await write_cases(h)
        scene.after = await snapshot(h)
        yield scene


CASES = (
    "unmarked-intel",
    "unmarked-agreement-record",
    "unknown-marking",
    "rel-to-non-party",
    "tlp-red-for-another-user",
    "personal-data",
    "object-refs-to-withheld",
    "unmarked-identity",
    "created-by-withheld",
    "unmarked-late-referent",
    "refers-to-late-withheld",
)


# --- comparing answers -----------------------------------------------------------------------


def same_answer(withheld: httpx.Response, absent: httpx.Response, wid: str, aid: str) -> None:
    """Status, body with the id blanked, and headers but content-length: all identical."""
    assert withheld.status_code == absent.status_code == 404
    assert withheld.content.replace(wid.encode(), b"<id>") == absent.content.replace(
        aid.encode(), b"<id>"
    )
    strip = {"content-length"}
    assert {k: v for k, v in withheld.headers.items() if k not in strip} == {
        k: v for k, v in absent.headers.items() if k not in strip
    }


async def stored_versions(node: Node, object_id: str) -> int:
    async with node.engines.reader.connect() as conn:
        q = select(func.count()).select_from(ledger).where(ledger.c.object_id == object_id)
        return int((await conn.execute(q)).scalar_one())


async def check_route(scene: Scene, case_name: str, suffix: str) -> None:
    h, case = scene.h, scene.cases[case_name]
    assert await stored_versions(h.node, case.object_id) >= 1  # it is there, and withheld
    absent = new_id(case.type)
    for user in sorted(case.withheld_from):
        got = await h.client.get(f"/api/v1/records/{case.object_id}{suffix}", headers=h.auth(user))
        none = await h.client.get(f"/api/v1/records/{absent}{suffix}", headers=h.auth(user))
        same_answer(got, none, case.object_id, absent)
    for user in sorted(case.visible_to):  # the control: the gate did let someone see it
        got = await h.client.get(f"/api/v1/records/{case.object_id}{suffix}", headers=h.auth(user))
        assert got.status_code == 200, (user, got.text)


@covers("GET /api/v1/records/{object_id}")
@pytest.mark.parametrize("case_name", CASES)
async def test_get_one_answers_withheld_like_absent(scene: Scene, case_name: str) -> None:
    await check_route(scene, case_name, "")


@covers("GET /api/v1/records/{object_id}/versions")
@pytest.mark.parametrize("case_name", CASES)
async def test_versions_answer_withheld_like_absent(scene: Scene, case_name: str) -> None:
    await check_route(scene, case_name, "/versions")


@covers("GET /api/v1/records")
@pytest.mark.parametrize("user", sorted(USERS))
async def test_lists_leave_out_withheld_records(scene: Scene, user: str) -> None:
    """Every list and page, filtered or not, current or all versions: as if never written."""
    hidden = {c.object_id for c in scene.cases.values() if user in c.withheld_from}
    shown = {c.object_id for c in scene.cases.values() if user in c.visible_to}
    for query in list_queries():
        before, after = scene.before[(user, query)], scene.after[(user, query)]
        ids = {item.split("@")[0] for page in after for item in page}
        assert not ids & hidden, (query, ids & hidden)
        if shown:
            kept = [i for page in after for i in page if i.split("@")[0] not in shown]
            assert kept == [i for page in before for i in page], query
        else:  # nothing new to this user: the very same pages, page for page
            assert after == before, query
    if shown:
        every = {i.split("@")[0] for page in scene.after[(user, ())] for i in page}
        assert shown <= every  # the control: what the user may see does appear


def cli_get(home: Path, path: str, token: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli_main, ["--home", str(home), "get", path, "--token", token])
    return result.exit_code, result.stdout


async def cli_absent(scene: Scene, user: str, suffix: str) -> tuple[int, str]:
    """`acuerdo get` of an id that never existed, with that id blanked (asked once)."""
    key = (user, suffix)
    if key not in scene.cli_absent:
        absent = new_id("indicator")
        path = f"/api/v1/records/{absent}{suffix}"
        code, out = await asyncio.to_thread(
            cli_get, scene.h.node.settings.home, path, scene.h.tokens[user]
        )
        scene.cli_absent[key] = (code, out.replace(absent, "<id>"))
    return scene.cli_absent[key]


@covers("acuerdo get")
@pytest.mark.parametrize("case_name", CASES)
async def test_cli_get_answers_withheld_like_absent(scene: Scene, case_name: str) -> None:
    h, case = scene.h, scene.cases[case_name]
    for user in ("viewer", "admin"):
        if user not in case.withheld_from:
            continue
        for suffix in ("", "/versions"):
            path = f"/api/v1/records/{case.object_id}{suffix}"
            code, out = await asyncio.to_thread(cli_get, h.node.settings.home, path, h.tokens[user])
            assert (code, out.replace(case.object_id, "<id>")) == await cli_absent(
                scene, user, suffix
            )
            assert code == 1 and '"status":404' in out


@covers("acuerdo get")
async def test_cli_list_leaves_out_withheld_records(scene: Scene) -> None:
    """`acuerdo get` of a list: the API's page, without a single withheld record."""
    h = scene.h
    path = "/api/v1/records?all_versions=true&limit=1000"
    code, out = await asyncio.to_thread(cli_get, h.node.settings.home, path, h.tokens["viewer"])
    assert code == 0
    listed = json.loads(out)
    api = (await h.client.get(path, headers=h.auth("viewer"))).json()
    assert listed["items"] == api["items"] and listed["items"]
    assert not {c.object_id for c in scene.cases.values()} & {
        i["record"]["id"] for i in listed["items"]
    }


async def test_write_referring_to_withheld_answers_as_referring_to_absent(scene: Scene) -> None:
    """Writes, too, tell nothing of withheld objects: the answer is the same for both."""
    h, withheld = scene.h, scene.cases["unmarked-intel"].object_id
    answers = []
    for ref in (withheld, new_id("indicator")):
        obj = report([ref])
        r = await h.client.post("/api/v1/records", json=obj, headers=h.auth("analyst"))
        assert r.status_code == 201, r.text
        (written,) = r.json()["written"]
        assert written.pop("id") == obj["id"]
        written.pop("sha256")  # of different bytes
        answers.append((r.headers.get("content-type"), written))
    assert answers[0] == answers[1]


async def test_write_answer_tells_nothing_of_a_withheld_newer_version(scene: Scene) -> None:
    """An older version written under a newer one the writer may not see is, to them, current."""
    h = scene.h
    await add_user(
        h.node.engines.writer, party="USA", name="analyst2",
        agency=h.users["analyst"].agency, roles=["analyst"], password=None,
    )  # fmt: skip
    other = {"Authorization": f"Bearer {await create_token(h.node.engines.writer, 'analyst2')}"}
    newer = indicator(modified="2026-07-05T00:00:00.000Z", object_marking_refs=[TLP_RED])
    await post(h, "analyst", newer)  # TLP:RED for its author only
    answers = []
    for oid in (newer["id"], new_id("indicator")):
        older = dict(newer, id=oid, modified=STAMP, object_marking_refs=[TLP_GREEN])
        r = await h.client.post("/api/v1/records", json=older, headers=other)
        assert r.status_code == 201, r.text
        (written,) = r.json()["written"]
        answers.append({k: v for k, v in written.items() if k not in ("id", "sha256")})
    assert answers[0] == answers[1]
    assert answers[0]["current"] is True and answers[0]["duplicate"] is False
    mine = dict(newer, id=newer["id"], modified="2026-07-03T00:00:00.000Z")
    mine["object_marking_refs"] = [TLP_GREEN]
    r = await h.client.post("/api/v1/records", json=mine, headers=h.auth("analyst"))
    assert r.json()["written"][0]["current"] is False  # the control: its author sees newer


async def personal_reads(node: Node, object_id: str) -> list[tuple[str, str]]:
    async with node.engines.reader.connect() as conn:
        q = select(audit.c.actor, audit.c.detail).where(
            audit.c.action == "personal.read", audit.c.subject == object_id
        )
        return [(r.actor, r.detail) for r in await conn.execute(q.order_by(audit.c.seq))]


async def test_personal_data_read_is_audited_before_the_answer(scene: Scene) -> None:
    """An allowed read is answered only once its audit entry is committed; a refused one
    leaves none (the answer to a refused read must not differ from an absent id's)."""
    h, pid = scene.h, scene.cases["personal-data"].object_id
    start = await personal_reads(h.node, pid)
    refused = await h.client.get(f"/api/v1/records/{pid}", headers=h.auth("analyst"))
    assert refused.status_code == 404
    assert await personal_reads(h.node, pid) == start
    paths = {
        "api.get": f"/api/v1/records/{pid}",
        "api.versions": f"/api/v1/records/{pid}/versions",
        "api.list": "/api/v1/records?type=acuerdo-personal-data",
    }
    for via, path in paths.items():
        seen = await personal_reads(h.node, pid)
        r = await h.client.get(path, headers=h.auth("verifier"))
        assert r.status_code == 200 and pid in r.text
        # Read on another connection the moment the answer is in: the entry is committed.
        new = (await personal_reads(h.node, pid))[len(seen) :]
        assert [actor for actor, _ in new] == ["USA:verifier"], via
        assert f'"via":"{via}"' in new[0][1]


async def test_withheld_newer_version_looks_like_no_newer_version(scene: Scene) -> None:
    h = scene.h
    v1 = indicator(object_marking_refs=[TLP_GREEN])
    twin = dict(v1, id=new_id("indicator"))  # the same, without a second version
    await post(h, "analyst", v1, twin)
    red = recipients_marking_definition(["USA:registrar"])["id"]
    v2 = dict(
        v1,
        modified="2026-07-02T12:00:00.000Z",
        object_marking_refs=[TLP_RED, red],
    )
    await post(h, "analyst", v2)
    for oid in (v1["id"], twin["id"]):  # the viewer may see version 1 of both objects
        got = await h.client.get(f"/api/v1/records/{oid}/versions", headers=h.auth("viewer"))
        assert len(got.json()["versions"]) == 1
    one = await h.client.get(f"/api/v1/records/{v1['id']}", headers=h.auth("viewer"))
    other = await h.client.get(f"/api/v1/records/{twin['id']}", headers=h.auth("viewer"))
    assert one.status_code == other.status_code == 200
    page = await h.client.get("/api/v1/records?type=indicator", headers=h.auth("viewer"))
    ids = {i["record"]["id"] for i in page.json()["items"]}
    assert {v1["id"], twin["id"]} <= ids


@covers("GET /api/v1/exports/persons", "acuerdo person export")
async def test_person_export_leaves_out_withheld_records(scene: Scene, tmp_path: Path) -> None:
    """A person the exporting user may not see is not in the file; personal columns are
    filled only for users who may see the personal data (API and CLI alike)."""
    h = scene.h
    hidden = scene.cases["unmarked-agreement-record"].object_id
    pdata = scene.cases["personal-data"]
    shown = covered_person(personal_data_ref=pdata.object_id)
    await post(h, "registrar", shown)  # the control: marked by the agreement's default
    for user in sorted(USERS):
        r = await h.client.get("/api/v1/exports/persons?format=csv", headers=h.auth(user))
        assert r.status_code == 200, r.text
        out = tmp_path / f"{user}.csv"
        result = await asyncio.to_thread(
            CliRunner().invoke,
            cli_main,
            [
                "--home",
                str(h.node.settings.home),
                "person",
                "export",
                "--user",
                user,
                "--out",
                str(out),
            ],
        )
        assert result.exit_code == 0, result.output
        for text in (r.text, out.read_text("utf-8")):
            assert hidden not in text
            assert shown["id"] in text
            assert ("Ana María" in text) is (user in pdata.visible_to), user


def _movement(person_id: str, time: str) -> dict[str, Any]:
    port = {"name": "Aeropuerto Internacional Silvio Pettirossi", "kind": "airport"}
    props = {"direction": "arrival", "person_ref": person_id, "port": port, "time": time}
    order_ref = new_id("acuerdo-movement-order")
    return sdo(
        "acuerdo-movement",
        extensions={BY_NAME["acuerdo-movement"].extension_id: {"extension_type": "new-sdo"}},
        order_ref=order_ref,
        **props,
    )


def _cli_presence(home: Path, user: str, *extra: str) -> str:
    args = ["--home", str(home), "presence", "--user", user, "--at", "2026-07-03", *extra]
    result = CliRunner().invoke(cli_main, args, env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    return result.stdout


@covers(
    "GET /api/v1/persons/{object_id}",
    "GET /api/v1/presence",
    "GET /api/v1/presence/timeline",
    "acuerdo presence",
)
async def test_presence_leaves_out_withheld_persons(scene: Scene) -> None:
    """A present person the caller may not see is in no presence list, count or table, and
    asking for it answers like an id never written; names only to who may see them."""
    h = scene.h
    hidden = scene.cases["unmarked-agreement-record"].object_id
    pdata = scene.cases["personal-data"]
    shown = covered_person(personal_data_ref=pdata.object_id)
    await post(h, "registrar", shown)
    for pid in (hidden, shown["id"]):
        await ingest(h.node, _movement(pid, "2026-07-02T10:00:00Z"))
    absent = new_id("acuerdo-covered-person")
    home = h.node.settings.home
    for user in sorted(USERS):
        got = await h.client.get(f"/api/v1/persons/{hidden}", headers=h.auth(user))
        none = await h.client.get(f"/api/v1/persons/{absent}", headers=h.auth(user))
        same_answer(got, none, hidden, absent)
        mine = await h.client.get(f"/api/v1/persons/{shown['id']}", headers=h.auth(user))
        assert mine.status_code == 200 and mine.json()["present"] is True  # the control
        listed = await h.client.get("/api/v1/presence?at=2026-07-03", headers=h.auth(user))
        items = listed.json()["items"]
        assert [i["person"] for i in items] == [shown["id"]], user
        days = await h.client.get(
            "/api/v1/presence/timeline?start=2026-07-01&end=2026-07-03", headers=h.auth(user)
        )
        assert [d["present"] for d in days.json()["days"]] == [0, 1, 1]
        table = await asyncio.to_thread(_cli_presence, home, user)
        bars = await asyncio.to_thread(_cli_presence, home, user, "--timeline", "3")
        for text in (listed.text, table, bars):
            assert hidden not in text and hidden.split("--")[1][:8] not in text
            assert ("Ana María" in text) is (text is not bars and user in pdata.visible_to)
        assert shown["id"].split("--")[1][:8] in table
        assert bars.splitlines()[-1].endswith(" 1")


# --- intelligence correlations -----------------------------------------------------------------


def _cli_correlations(home: Path, user: str, object_id: str) -> tuple[int, str]:
    args = ["--home", str(home), "intel", "correlations", object_id, "--user", user, "--json"]
    result = CliRunner().invoke(cli_main, args)
    return result.exit_code, result.output


@covers("GET /api/v1/intel/objects/{object_id}/correlations", "acuerdo intel correlations")
@pytest.mark.parametrize("case_name", CASES)
async def test_correlations_answer_withheld_like_absent(scene: Scene, case_name: str) -> None:
    """Asking for a withheld record's correlations answers like an id never written, by API
    and CLI; and no visible record's correlations list or count a withheld one."""
    h, case = scene.h, scene.cases[case_name]
    url = "/api/v1/intel/objects/{}/correlations"
    absent = new_id(case.type)
    home = h.node.settings.home
    for user in sorted(case.withheld_from):
        got = await h.client.get(url.format(case.object_id), headers=h.auth(user))
        none = await h.client.get(url.format(absent), headers=h.auth(user))
        same_answer(got, none, case.object_id, absent)
    for user in sorted(case.visible_to):  # the control
        got = await h.client.get(url.format(case.object_id), headers=h.auth(user))
        assert got.status_code == 200, (user, got.text)
    if "viewer" in case.withheld_from:
        code, out = await asyncio.to_thread(_cli_correlations, home, "viewer", case.object_id)
        code_none, out_none = await asyncio.to_thread(_cli_correlations, home, "viewer", absent)
        assert code == code_none == 1
        assert out.replace(case.object_id, "<id>") == out_none.replace(absent, "<id>")
    # Every case's indicator compares the same address as the green one everyone sees.
    green = scene.before[("viewer", (("type", "indicator"),))][0][0].split("@")[0]
    for user in sorted(USERS):
        got = (await h.client.get(url.format(green), headers=h.auth(user))).json()
        listed = {m["id"] for c in got["correlations"] for m in c["matches"]}
        hidden = {c.object_id for c in scene.cases.values() if user in c.withheld_from}
        shown = {c.object_id for c in scene.cases.values() if user in c.visible_to}
        assert not listed & hidden, (user, listed & hidden)
        for c in got["correlations"]:
            assert c["count"] == len(c["matches"])
        address = [c for c in got["correlations"] if c["kind"] == "ip"]
        assert {i for i in shown if i.startswith("indicator--")} <= listed, user
        assert address or not shown


def _activity(**extra: Any) -> dict[str, Any]:
    place = {"name": "Base aérea de Mariscal Estigarribia", "region": "PY-19"}
    props = {
        "activity_type": "bilateral-training",
        "title": "Ejercicio Chaco",
        "purpose": "Training",
        "lifecycle": "proposed",
        "start": "2026-09-01T12:00:00Z",
        "end": "2026-09-10T12:00:00Z",
        "places": [place | {"latitude": -22.03, "longitude": -60.61}],
        "personnel_count": 1,
        "personnel": [
            {"person_ref": "acuerdo-covered-person--6c3b1a9e-0000-4000-8000-000000000001"}
        ],
    }
    otype = "acuerdo-activity"
    declared = {BY_NAME[otype].extension_id: {"extension_type": "new-sdo"}}
    return sdo(otype, extensions=declared, **(props | extra))


def _cli_activities(home: Path, user: str) -> str:
    args = ["--home", str(home), "activity", "list", "--user", user]
    result = CliRunner().invoke(cli_main, args, env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    return result.stdout


@covers(
    "GET /api/v1/activities",
    "GET /api/v1/activities/{object_id}",
    "GET /api/v1/activities/conflicts",
    "GET /api/v1/activities/places",
    "GET /api/v1/activities/calendar.ics",
    "acuerdo activity list",
)
async def test_activities_leave_out_withheld_records(scene: Scene) -> None:
    """An activity the caller may not see is in no list, conflict, feed, map or table, and
    asking for it answers like an id never written; the same person in a withheld activity
    and a visible one is no conflict to them (two visible ones are: the control)."""
    h = scene.h
    hidden = _activity(title="Ejercicio reservado")
    await ingest(h.node, hidden)  # unmarked: withheld from every user
    shown, twin = _activity(), _activity(title="Ejercicio paralelo")
    await post(h, "registrar", shown, twin)
    absent = new_id("acuerdo-activity")
    home = h.node.settings.home
    for user in sorted(USERS):
        got = await h.client.get(f"/api/v1/activities/{hidden['id']}", headers=h.auth(user))
        none = await h.client.get(f"/api/v1/activities/{absent}", headers=h.auth(user))
        same_answer(got, none, hidden["id"], absent)
        mine = await h.client.get(f"/api/v1/activities/{shown['id']}", headers=h.auth(user))
        assert mine.status_code == 200, mine.text
        listed = await h.client.get("/api/v1/activities?limit=1000", headers=h.auth(user))
        ids = {i["id"] for i in listed.json()["items"]}
        assert shown["id"] in ids and hidden["id"] not in ids
        found = await h.client.get("/api/v1/activities/conflicts", headers=h.auth(user))
        pairs = [
            c["records"][:2] for c in found.json()["conflicts"] if c["kind"] == "person-overlap"
        ]
        assert sorted([shown["id"], twin["id"]]) in [sorted(p) for p in pairs]
        geo = await h.client.get("/api/v1/activities/places", headers=h.auth(user))
        feed = await h.client.get("/api/v1/activities/calendar.ics", headers=h.auth(user))
        table = await asyncio.to_thread(_cli_activities, home, user)
        for text in (found.text, geo.text, feed.text, table):
            assert hidden["id"] not in text and "reservado" not in text
            assert hidden["id"].split("--")[1][:8] not in text
        assert shown["id"] in geo.text and shown["id"] in feed.text
        assert shown["id"].split("--")[1][:8] in table


# --- incidents, claims, deadlines and the Joint Committee view -------------------------------


def _case_record(otype: str, **props: Any) -> dict[str, Any]:
    declared = {BY_NAME[otype].extension_id: {"extension_type": "new-sdo"}}
    return sdo(otype, extensions=declared, **props)


def _incident(person_id: str) -> dict[str, Any]:
    entry = {"person_ref": person_id, "role": "suspect"}
    entry |= {"offence_against_host_law": True, "offence_against_sending_law": False}
    return _case_record(
        "acuerdo-incident",
        occurred_at=STAMP,
        place={"name": "Ruta 9, km 200"},
        summary="A collision on the Trans-Chaco highway",
        persons=[entry],
    )


def _cli(home: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli_main, ["--home", str(home), *args])
    return result.exit_code, result.stdout + (result.stderr or "")


@covers(
    "GET /api/v1/incidents",
    "GET /api/v1/incidents/{object_id}",
    "GET /api/v1/claims/{object_id}",
    "GET /api/v1/deadlines",
    "GET /api/v1/joint-committee",
    "GET /api/v1/joint-committee/report",
    "acuerdo incident explain",
    "acuerdo deadlines",
)
async def test_cases_leave_out_withheld_records(scene: Scene) -> None:
    """A withheld incident, claim or notice is in no list, deadline, view or report; asking
    for it answers like an id never written; a decision never rests on a withheld record."""
    import io

    from pypdf import PdfReader

    h = scene.h
    person = covered_person(personal_data_ref=scene.cases["personal-data"].object_id)
    shown = _incident(person["id"])
    await post(h, "registrar", person, shown)
    version = {"id": shown["id"], "modified": STAMP}
    sha = await h.client.get(f"/api/v1/records/{shown['id']}", headers=h.auth("admin"))
    version["sha256"] = sha.headers["etag"].strip('"')
    notice = _case_record(
        "acuerdo-jurisdiction-notice",
        incident_ref=shown["id"],
        answers=version,
        person_ref=person["id"],
        decision="exercise",
    )
    hidden_incident = _incident(person["id"])
    claim = _case_record(
        "acuerdo-claim",
        claimant_kind="third-party",
        claimant="A driver",
        damage_kind="injury",
        damage="Whiplash",
        amount="900.00",
        currency="PYG",
        status="filed",
    )
    for obj in (notice, hidden_incident, claim):
        await ingest(h.node, obj)  # unmarked: withheld from everyone
    hidden = [notice["id"], hidden_incident["id"], claim["id"]]
    home = h.node.settings.home
    for user in sorted(USERS):
        for withheld, path in ((hidden_incident["id"], "incidents"), (claim["id"], "claims")):
            absent = new_id(withheld.split("--")[0])
            got = await h.client.get(f"/api/v1/{path}/{withheld}", headers=h.auth(user))
            none = await h.client.get(f"/api/v1/{path}/{absent}", headers=h.auth(user))
            same_answer(got, none, withheld, absent)
        decided = await h.client.get(f"/api/v1/incidents/{shown['id']}", headers=h.auth(user))
        assert decided.status_code == 200, decided.text  # the control
        assert [o["status"] for o in decided.json()["obligations"]] == ["open"]
        texts = [decided.text]
        for path in ("incidents", "deadlines", "joint-committee"):
            listed = await h.client.get(f"/api/v1/{path}", headers=h.auth(user))
            assert shown["id"] in listed.text, path  # the control
            texts.append(listed.text)
        report = await h.client.get("/api/v1/joint-committee/report", headers=h.auth(user))
        pages = PdfReader(io.BytesIO(report.content)).pages
        texts.append("".join(p.extract_text() for p in pages).replace("\n", ""))
        assert shown["id"] in texts[-1]
        explained = await asyncio.to_thread(
            _cli, home, "incident", "explain", shown["id"], "--user", user
        )
        assert explained[0] == 0 and shown["id"] in explained[1]
        table = await asyncio.to_thread(_cli, home, "deadlines", "--user", user)
        assert table[0] == 0 and shown["id"].split("--")[1][:8] in table[1]
        texts += [explained[1], table[1]]
        for text in texts:
            for object_id in hidden:
                assert object_id not in text and object_id.split("--")[1][:8] not in text
        absent = new_id("acuerdo-incident")
        code, out = await asyncio.to_thread(
            _cli, home, "incident", "explain", hidden[1], "--user", user
        )
        code2, out2 = await asyncio.to_thread(
            _cli, home, "incident", "explain", absent, "--user", user
        )
        assert (code, out.replace(hidden[1], "<id>")) == (code2, out2.replace(absent, "<id>"))


# --- TAXII 2.1 and live streams ---------------------------------------------------------------

TAXII_INTEL = "/taxii2/intel/collections/" + str(uuid.uuid5(COLLECTION_NAMESPACE, "intelligence"))
TAXII_READERS = ("admin", "analyst", "viewer")  # the default collections' readers


async def taxii_walk(h: NodeHarness, user: str, what: str) -> set[str]:
    """Every id on every page of the intelligence collection's objects or manifest."""
    ids: set[str] = set()
    params: dict[str, str] = {"limit": "5", "match[version]": "all"}
    while True:
        r = await h.client.get(f"{TAXII_INTEL}/{what}/", params=params, headers=h.auth(user))
        assert r.status_code == 200, r.text
        page = r.json()
        ids.update(o["id"] for o in page.get("objects", []))
        if not page["more"]:
            return ids
        params["next"] = page["next"]


async def stream_ids(h: NodeHarness, user: str) -> set[str]:
    """Every version on the user's live stream so far (replayed from the start, not followed)."""
    r = await h.client.get(
        "/api/v1/stream", params={"replay": "true", "follow": "false"}, headers=h.auth(user)
    )
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
    data = [line[6:] for line in r.text.splitlines() if line.startswith("data: ")]
    return {json.loads(d)["id"] for d in data}


@covers(
    "GET /taxii2/intel/collections/{collection_id}/objects/",
    "GET /taxii2/intel/collections/{collection_id}/manifest/",
    "GET /api/v1/stream",
)
@pytest.mark.parametrize("user", sorted(USERS))
async def test_taxii_and_stream_leave_out_withheld_records(scene: Scene, user: str) -> None:
    """No page of TAXII objects or manifests, and no stream event, carries a withheld record."""
    h = scene.h
    hidden = {c.object_id for c in scene.cases.values() if user in c.withheld_from}
    shown = {c.object_id for c in scene.cases.values() if user in c.visible_to}
    streamed = await stream_ids(h, user)
    assert not streamed & hidden
    # the control: what the user may see is streamed, but personal data (audited API only)
    assert {i for i in shown if not i.startswith("acuerdo-personal-data--")} <= streamed
    if user not in TAXII_READERS:
        r = await h.client.get(f"{TAXII_INTEL}/objects/", headers=h.auth(user))
        assert r.status_code == 404  # no access to the collection at all
        return
    for what in ("objects", "manifest"):
        ids = await taxii_walk(h, user, what)
        assert ids and not ids & hidden, (what, ids & hidden)
        intel = {i for i in shown if not i.startswith("acuerdo-")}
        assert intel <= ids  # the control: intelligence the user may see is there


@covers(
    "GET /taxii2/intel/collections/{collection_id}/objects/{object_id}/",
    "GET /taxii2/intel/collections/{collection_id}/objects/{object_id}/versions/",
)
@pytest.mark.parametrize("case_name", CASES)
async def test_taxii_object_answers_withheld_like_absent(scene: Scene, case_name: str) -> None:
    h, case = scene.h, scene.cases[case_name]
    absent = new_id(case.type)
    for suffix in ("", "versions/"):
        for user in sorted(case.withheld_from & set(TAXII_READERS)):
            got = await h.client.get(
                f"{TAXII_INTEL}/objects/{case.object_id}/{suffix}", headers=h.auth(user)
            )
            none = await h.client.get(
                f"{TAXII_INTEL}/objects/{absent}/{suffix}", headers=h.auth(user)
            )
            same_answer(got, none, case.object_id, absent)
        for user in sorted(case.visible_to & set(TAXII_READERS)):  # the control
            got = await h.client.get(
                f"{TAXII_INTEL}/objects/{case.object_id}/{suffix}", headers=h.auth(user)
            )
            assert got.status_code == 200, (user, got.text)


@covers("GET /taxii2/intel/status/{status_id}/")
async def test_taxii_status_is_the_requesters_alone(scene: Scene) -> None:
    """Another user's status resource answers like one that never existed."""
    h = scene.h
    bad = {"objects": [{"type": "indicator", "id": "not-an-id"}]}  # fails: writes nothing
    taxii = "application/taxii+json;version=2.1"
    r = await h.client.post(
        f"{TAXII_INTEL}/objects/",
        content=json.dumps(bad),
        headers={**h.auth("analyst"), "Content-Type": taxii},
    )
    assert r.status_code == 202, r.text
    sid = r.json()["id"]
    mine = await h.client.get(f"/taxii2/intel/status/{sid}/", headers=h.auth("analyst"))
    assert mine.status_code == 200 and mine.json()["failure_count"] == 1  # the control
    absent = str(uuid.uuid4())
    for user in sorted(ALL_USERS - {"analyst"}):
        got = await h.client.get(f"/taxii2/intel/status/{sid}/", headers=h.auth(user))
        none = await h.client.get(f"/taxii2/intel/status/{absent}/", headers=h.auth(user))
        same_answer(got, none, sid, absent)


# --- equipment: customs, craft, frequencies, transfers ----------------------------------------

_PORT = {"name": "Aeropuerto Internacional Silvio Pettirossi", "kind": "airport"}
_ITEM = {"line": 1, "description": "Radar", "quantity": 1, "value": 10, "currency": "USD"}


def _equipment_bodies() -> dict[str, dict[str, Any]]:
    """Content of one record of each equipment type (the API adds id and timestamps)."""
    place = {"name": "Mariscal Estigarribia"}
    stage = {"stage": "request", "owner": {"party": "PRY", "agency": "mdn"}}
    return {
        "acuerdo-customs-declaration": {
            "direction": "import", "regime": "temporary", "port": _PORT, "items": [_ITEM],
        },
        "acuerdo-craft-movement": {
            "craft": {"kind": "vehicle", "registration": "W123", "craft_type": "HMMWV"},
            "direction": "internal", "route": [place, {"name": "Asunción"}],
            "departs": "2026-08-01T10:00:00Z", "arrives": "2026-08-01T20:00:00Z",
            "cargo_category": "none", "arms_aboard": False,
        },
        "acuerdo-frequency-request": {
            "purpose": "Radio net", "bands": [{"low_mhz": 30, "high_mhz": 88}],
            "max_power_w": 20, "places": [place],
            "valid_from": "2026-08-01", "valid_until": "2026-08-10",
        },
        "acuerdo-transfer-programme": {
            "title": "Radars", "equipment": [{"description": "Radar", "quantity": 3}],
            "milestones": [stage | {"planned": "2026-01-10"}],
        },
    }  # fmt: skip


def _cli(home: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli_main, ["--home", str(home), *args], env={"COLUMNS": "250"})
    return result.exit_code, result.output


@covers(
    "GET /api/v1/customs/declarations",
    "GET /api/v1/customs/declarations/{declaration_id}",
    "GET /api/v1/customs/declarations/{declaration_id}/certificate",
    "GET /api/v1/customs/temporary-imports",
    "GET /api/v1/craft-movements",
    "GET /api/v1/frequency-requests",
    "GET /api/v1/transfers",
    "GET /api/v1/transfers/{programme_id}",
    "GET /api/v1/transfers/{programme_id}/gantt.{fmt}",
    "acuerdo customs list",
    "acuerdo customs certificate",
    "acuerdo customs outstanding",
    "acuerdo transfer status",
    "GET /api/v1/annual-programme/{year}.{fmt}",
    "acuerdo programme",
)
async def test_equipment_views_leave_out_withheld_records(scene: Scene, tmp_path: Path) -> None:
    """An equipment record the gate withholds (unmarked, taken in below the API) is in no
    list, report, table or picture, and asking for it answers like an id never written."""
    from acuerdo.domains.equipment.common import new_record

    h = scene.h
    routes = {
        "acuerdo-customs-declaration": "/api/v1/customs/declarations",
        "acuerdo-craft-movement": "/api/v1/craft-movements",
        "acuerdo-frequency-request": "/api/v1/frequency-requests",
        "acuerdo-transfer-programme": "/api/v1/transfers",
    }
    hidden: dict[str, str] = {}
    shown: dict[str, str] = {}
    for rtype, body in _equipment_bodies().items():
        extra = {"serial": 1, "re_export_by": "2026-12-31"} if "customs" in rtype else {}
        withheld = new_record(rtype, body | extra)
        await ingest(h.node, withheld)
        hidden[rtype] = withheld["id"]
        r = await h.client.post(routes[rtype], json=body, headers=h.auth("registrar"))
        assert r.status_code == 201, r.text
        shown[rtype] = r.json()["id"]
    place = {"name": "Mariscal Estigarribia", "region": "PY-19", "latitude": -22, "longitude": -60}
    for target in (hidden, shown):
        act = new_record("acuerdo-activity", {
            "activity_type": "bilateral-training", "title": "Exercise", "purpose": "Training",
            "lifecycle": "proposed", "start": "2026-09-01T12:00:00Z",
            "end": "2026-09-02T12:00:00Z", "places": [place], "personnel_count": 4,
        })  # fmt: skip
        if target is hidden:
            await ingest(h.node, act)
        else:
            await post(h, "registrar", act)
        target["acuerdo-activity"] = act["id"]
    decl, prog = hidden["acuerdo-customs-declaration"], hidden["acuerdo-transfer-programme"]
    absent_decl, absent_prog = new_id("acuerdo-customs-declaration"), new_id(prog.split("--")[0])
    lists = [
        *routes.values(),
        "/api/v1/customs/temporary-imports?today=2026-01-01",
        "/api/v1/annual-programme/2026.csv",
    ]
    singles = [
        ("/api/v1/customs/declarations/{}", decl, absent_decl),
        ("/api/v1/customs/declarations/{}/certificate?lang=en", decl, absent_decl),
        ("/api/v1/customs/declarations/{}/decision", decl, absent_decl),
        ("/api/v1/transfers/{}", prog, absent_prog),
        ("/api/v1/transfers/{}/gantt.svg", prog, absent_prog),
        ("/api/v1/transfers/{}/milestones", prog, absent_prog),
    ]
    home = h.node.settings.home
    for user in sorted(USERS):
        for path in lists:
            got = await h.client.get(path, headers=h.auth(user))
            assert got.status_code == 200, got.text
            assert not any(i in got.text for i in hidden.values()), (user, path)
            assert any(i in got.text for i in shown.values()), (user, path)  # the control
        for pattern, wid, aid in singles:
            method = "POST" if pattern.endswith(("decision", "milestones")) else "GET"
            body = {"outcome": "cleared"} if pattern.endswith("decision") else None
            if pattern.endswith("milestones"):
                body = {"stage": "request", "reached": "2026-01-10"}
            got = await h.client.request(
                method, pattern.format(wid), json=body, headers=h.auth(user)
            )
            none = await h.client.request(
                method, pattern.format(aid), json=body, headers=h.auth(user)
            )
            same_answer(got, none, wid, aid)
        out = tmp_path / user
        for args in (
            ("customs", "list", "--user", user),
            ("customs", "outstanding", "--user", user, "--today", "2026-01-01"),
            ("transfer", "status", "--user", user, "--today", "2026-01-01", "--out-dir", str(out)),
            ("programme", "2026", "--user", user, "--out", str(tmp_path / f"{user}.csv")),
        ):
            code, text = await asyncio.to_thread(_cli, home, *args)
            assert code == 0, text
            assert not any(i.split("--")[1][:8] in text for i in hidden.values()), (user, args)
        written = (tmp_path / f"{user}.csv").read_text("utf-8-sig")
        assert hidden["acuerdo-activity"] not in written and shown["acuerdo-activity"] in written
        pictures = sorted(p.name for p in out.iterdir())
        assert not any(prog.split("--")[1][:8] in p for p in pictures) and pictures, pictures
        cert = ("customs", "certificate", "--user", user, "--out", str(out / "c.pdf"))
        got_cli = await asyncio.to_thread(_cli, home, *cert[:2], decl, *cert[2:])
        none_cli = await asyncio.to_thread(_cli, home, *cert[:2], absent_decl, *cert[2:])
        assert got_cli[0] == none_cli[0] == 1
        assert got_cli[1].replace(decl, "<id>") == none_cli[1].replace(absent_decl, "<id>")


@covers("GET /federation/v1/feed")
async def test_federation_feed_leaves_out_withheld_records(scene: Scene) -> None:
    """A partner node's feed holds only what the gate released to that node: no withheld
    record (TLP:RED to named users included) ever enters its outbox."""
    from acuerdo.federation.httpsig import sign_request
    from acuerdo.federation.partners import add_partner
    from acuerdo.ledger.signing import FileSigner, b64url

    h = scene.h
    pry = FileSigner.generate()
    await add_partner(h.node, "PRY", "http://pry.test", b64url(pry.public_key))
    url = "http://usa.test/federation/v1/feed?after=0&limit=20000"
    headers = sign_request("GET", url, b"", pry, h.node.agreement.hash)
    r = await h.client.get(url, headers=headers)
    assert r.status_code == 200, r.text
    entries = r.json()["entries"]
    last = {e["id"]: e["kind"] for e in entries}
    assert any(i.startswith("indicator--") for i in last)  # the control: green intel goes
    for case in scene.cases.values():
        if case.name == "personal-data":  # withheld by role, released to the PRY node:
            assert last[case.object_id] == "record"  # it shows it to permitted roles only
        elif case.name == "refers-to-late-withheld":  # released until its referent came:
            assert last[case.object_id] == "withdrawn"  # then withdrawn, and PRY hides it
        elif case.name != "unmarked-late-referent":  # named only in that earlier body
            assert case.object_id not in r.text, case.name


# --- movement orders and movements -----------------------------------------------------------


def _order_naming(person_id: str) -> dict[str, Any]:
    props = {
        "order_number": f"WH-{uuid.uuid4().hex[:6]}",
        "issuing_authority": "U.S. Southern Command",
        "kind": "individual",
        "person_refs": [person_id],
        "purpose": "Bilateral training exercise",
        "valid_from": "2025-01-01",
        "valid_until": "2025-01-31",
    }
    ext = {BY_NAME["acuerdo-movement-order"].extension_id: {"extension_type": "new-sdo"}}
    return sdo("acuerdo-movement-order", extensions=ext, **props)


def _departure(person_id: str, order_id: str) -> dict[str, Any]:
    """A departure with no stay open: it changes no presence the tests above look at."""
    return _movement(person_id, "2025-01-05T10:00:00Z") | {
        "direction": "departure",
        "order_ref": order_id,
    }


@covers(
    "GET /api/v1/orders",
    "GET /api/v1/orders/{object_id}",
    "GET /api/v1/movements",
    "GET /api/v1/movements/{object_id}",
)
async def test_orders_and_movements_leave_out_withheld_records(scene: Scene) -> None:
    """An order or movement naming a person the caller may not see is withheld with it: in
    no list, and asking for it answers like an id never written; names only to who may see
    the personal data, pseudonyms to the others. (The hidden person's records are ingested
    unmarked, as the person was; what a user who may see the person sees of them is the
    other tests' business.)"""
    h = scene.h
    case = scene.cases["unmarked-agreement-record"]
    hidden = case.object_id
    pdata = scene.cases["personal-data"]
    assert case.withheld_from and pdata.visible_to and pdata.withheld_from
    shown = covered_person(personal_data_ref=pdata.object_id)
    await post(h, "registrar", shown)
    records = {}
    for who, pid in (("hidden", hidden), ("shown", shown["id"])):
        records[who, "order"] = _order_naming(pid)
        records[who, "movement"] = _departure(pid, records[who, "order"]["id"])
    await post(h, "registrar", records["shown", "order"], records["shown", "movement"])
    for kind in ("order", "movement"):
        await ingest(h.node, records["hidden", kind])
    for user in sorted(USERS):
        withheld = user in case.withheld_from
        for kind, route in (("order", "orders"), ("movement", "movements")):
            listed = await h.client.get(f"/api/v1/{route}?limit=1000", headers=h.auth(user))
            assert listed.status_code == 200, listed.text
            items = {i["id"]: i for i in listed.json()["items"]}
            assert records["shown", kind]["id"] in items  # the control
            (named,) = items[records["shown", kind]["id"]]["persons"]
            assert ("Ana María" in named["name"]) is (user in pdata.visible_to), user
            assert named["name"].startswith("p-") is (user not in pdata.visible_to)
            if not withheld:
                continue
            wid, absent = records["hidden", kind]["id"], new_id(records["hidden", kind]["type"])
            assert wid not in items and hidden not in listed.text, (user, kind)
            got = await h.client.get(f"/api/v1/{route}/{wid}", headers=h.auth(user))
            none = await h.client.get(f"/api/v1/{route}/{absent}", headers=h.auth(user))
            same_answer(got, none, wid, absent)

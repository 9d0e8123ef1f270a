"""Coverage on every write of a covered person: a table of cases for both shipped profiles.

Each case writes a person (and its personal data) through the node and reads the decision
back through the person query: outcome, status and the article every reason cites. A
category the agreement does not name is refused before anything is written.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from personnel_records import order, person, personal_data
from sqlalchemy import func, select

from acuerdo.domains.personnel.queries import person_status
from acuerdo.ledger.record import RecordError
from acuerdo.ledger.tables import ledger
from acuerdo.node import Node
from acuerdo.users import User, add_user
from conftest import make_node


@dataclass(frozen=True)
class Case:
    profile: str
    category: str
    nationalities: tuple[str, ...]
    outcome: str
    articles: frozenset[str]  # every article the reasons cite
    must_say: str = ""  # words a reason must contain


CASES = [
    Case("usa-pry-2025", "member-of-force", ("USA",), "covered", frozenset({"1", "2"})),
    Case("usa-pry-2025", "civilian-employee", ("USA",), "covered", frozenset({"1", "2"})),
    Case(
        "usa-pry-2025",
        "contractor-employee",
        ("USA",),
        "not-covered",
        frozenset({"1"}),
        "no status of their own",
    ),
    Case(
        "usa-pry-2025",
        "contractor-employee",
        ("USA", "PRY"),
        "not-covered",
        frozenset({"1"}),
        "Paraguayan nationals",
    ),
    Case(
        "usa-pry-2025",
        "dependent",
        ("USA",),
        "not-covered",
        frozenset({"1"}),
        "does not name dependents",
    ),
    Case("nato-sofa-1951", "member-of-force", ("USA",), "covered", frozenset({"I"})),
    Case(
        "nato-sofa-1951",
        "civilian-component",
        ("USA",),
        "undetermined",
        frozenset({"I"}),
        "ordinary residence",
    ),
    Case(
        "nato-sofa-1951",
        "civilian-component",
        ("USA", "DEU"),
        "not-covered",
        frozenset({"I"}),
        "Nationals of the State in which the force is located",
    ),
    Case("nato-sofa-1951", "dependent", ("USA",), "covered", frozenset({"I"})),
]


@dataclass
class Scene:
    node: Node
    registrar: User


@pytest.fixture(params=["usa-pry-2025", "nato-sofa-1951"])
async def scene(
    request: pytest.FixtureRequest, tmp_path: Path, database_url: str | None
) -> AsyncIterator[Scene]:
    node = await make_node(tmp_path / "n", database_url, agreement=str(request.param))
    party = node.agreement.party(node.party)
    registrar = await add_user(
        node.engines.writer,
        party=node.party,
        name="registrar",
        agency=party.agencies[0].id,
        roles=["registrar"],
        password=None,
    )
    yield Scene(node, registrar)
    await node.close()


async def test_each_category_is_decided_with_its_article(scene: Scene) -> None:
    node = scene.node
    cases = [c for c in CASES if c.profile == node.agreement.id]
    assert cases
    for case in cases:
        pdata = personal_data(case.nationalities)
        p = person(pdata, case.category)
        await node.write([pdata, p], user=scene.registrar)
        status = await person_status(node, scene.registrar, p["id"])
        assert status is not None
        cov = status["coverage"]
        assert cov["outcome"] == case.outcome, (case, cov)
        assert cov["covered"] is (case.outcome == "covered")
        assert cov["agreement_hash"] == node.agreement.hash
        cited = {r["article"] for r in cov["reasons"]}
        assert cited == case.articles, (case, cited)
        assert any(case.must_say in r["text"] for r in cov["reasons"]), (case, cov["reasons"])
        # Reasons name rules, never the person's data.
        text = " ".join(r["text"] for r in cov["reasons"])
        for personal in ("José", "Benítez", "1990-05-17", "1234567890"):
            assert personal not in text


async def test_a_category_the_agreement_does_not_name_is_refused(scene: Scene) -> None:
    node = scene.node
    pdata = personal_data()
    p = person(pdata, "mercenary")
    async with node.engines.reader.connect() as conn:
        before = (await conn.execute(select(func.count()).select_from(ledger))).scalar_one()
    with pytest.raises(RecordError, match=r"refused under Art\. (1|I).*does not name"):
        await node.write([pdata, p], user=scene.registrar)
    async with node.engines.reader.connect() as conn:
        after = (await conn.execute(select(func.count()).select_from(ledger))).scalar_one()
    assert after == before  # nothing of the job was written


async def test_personal_data_arriving_later_changes_the_decision(scene: Scene) -> None:
    """The decision follows the records, not their order: nationality decides it later."""
    node = scene.node
    category = (
        "contractor-employee" if node.agreement.id == "usa-pry-2025" else "civilian-component"
    )
    host = node.agreement.host_party.code
    pdata = personal_data(("USA", host))
    p = person(pdata, category)
    await node.write([p], user=scene.registrar)
    first = await person_status(node, scene.registrar, p["id"])
    assert first is not None
    await node.write([pdata], user=scene.registrar)
    second = await person_status(node, scene.registrar, p["id"])
    assert second is not None and second["coverage"]["outcome"] == "not-covered"
    assert first["coverage"]["reasons"] != second["coverage"]["reasons"]


async def test_missing_id_and_expired_orders_fail_the_entry_papers(scene: Scene) -> None:
    """Covered by category, but entry needs identification and valid orders (Art. 2 / III)."""
    node = scene.node
    entry_article = node.agreement.model.entry.rules[0].basis.article
    no_id = personal_data(national_id=False)
    p1 = person(no_id)
    with_id = personal_data()
    p2 = person(with_id)
    current = order([p1["id"]], "2026-07-01", "2026-09-30")
    expired = order([p2["id"]], "2026-01-01", "2026-03-31")
    await node.write([no_id, p1, with_id, p2, current, expired], user=scene.registrar)
    at = "2026-07-15T12:00:00.000000Z"
    s1 = await person_status(node, scene.registrar, p1["id"], at)
    s2 = await person_status(node, scene.registrar, p2["id"], at)
    assert s1 is not None and s2 is not None
    assert s1["coverage"]["outcome"] == s2["coverage"]["outcome"] == "covered"
    assert s1["entry"]["outcome"] == s2["entry"]["outcome"] == "documents-missing"
    assert s1["orders"]["valid"] and not s2["orders"]["valid"]
    assert s2["entry"]["missing"] == ["movement-order"]
    assert s1["entry"]["missing"] and "movement-order" not in s1["entry"]["missing"]
    for s in (s1, s2):
        assert {r["article"] for r in s["entry"]["reasons"]} == {entry_article}
    fine = await person_status(node, scene.registrar, p2["id"], "2026-02-01T00:00:00.000000Z")
    assert fine is not None and fine["entry"]["outcome"] != "documents-missing"

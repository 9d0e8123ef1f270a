"""Checks of the rule vocabulary: conditions, ``when`` maps and rule results.

A rule that tests a fact the engine does not know, or tests it in a way that cannot fit
(``in`` on a flag, a number where a party is meant), would silently never match; here it
is refused on load instead, with the list of what would have been accepted.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from acuerdo.agreement.facts import (
    CLAIM_FACTS,
    COVERAGE_FACTS,
    JURISDICTION_FACTS,
    PARTY_REFS,
    TESTS_BY_KIND,
    Fact,
    FactKind,
)
from acuerdo.agreement.fieldtypes import iso_country_codes
from acuerdo.agreement.schema import AgreementFile, WhenValue
from acuerdo.agreement.yamlnodes import Path

Problem = tuple[Path, str]


def _unknown_fact(name: str, table: Mapping[str, Fact]) -> str:
    return f"unknown fact {name!r}; expected one of: {', '.join(sorted(table))}"


def _country_problem(value: str, parties: set[str]) -> str | None:
    if value in PARTY_REFS or value in parties or value in iso_country_codes():
        return None
    return f"expected $host, $sending or an ISO 3166-1 alpha-3 code, not {value!r}"


def _party_problem(value: str, parties: set[str]) -> str | None:
    if value in PARTY_REFS or value in parties:
        return None
    return f"expected $host, $sending or the code of a party of this agreement, not {value!r}"


def _word_problem(value: str, fact: Fact, categories: set[str]) -> str | None:
    if fact.kind is FactKind.CATEGORY:
        if value in categories:
            return None
        return f"expected a declared category ({', '.join(sorted(categories))}), not {value!r}"
    if value in fact.choices:
        return None
    return f"expected one of {', '.join(fact.choices)}, not {value!r}"


def _item_problem(value: str, fact: Fact, parties: set[str], categories: set[str]) -> str | None:
    if fact.kind in (FactKind.COUNTRY, FactKind.COUNTRIES):
        return _country_problem(value, parties)
    if fact.kind is FactKind.PARTIES:
        return _party_problem(value, parties)
    return _word_problem(value, fact, categories)


def check_conditions(model: AgreementFile) -> Iterator[Problem]:
    """Each category condition names a known fact, a test that fits it and fitting values."""
    parties = {p.code for p in model.parties}
    categories = {c.id for c in model.coverage.categories}
    for c_index, category in enumerate(model.coverage.categories):
        for index, condition in enumerate(category.conditions):
            path: Path = ("coverage", "categories", c_index, "conditions", index)
            fact = COVERAGE_FACTS.get(condition.fact)
            if fact is None:
                yield (*path, "fact"), _unknown_fact(condition.fact, COVERAGE_FACTS)
                continue
            tests = TESTS_BY_KIND[fact.kind]
            if condition.test not in tests:
                yield (
                    (*path, "test"),
                    (f"expected {' or '.join(tests)}: {fact.name} is a {fact.kind.value}"),
                )
                continue
            if fact.kind is FactKind.FLAG:
                if condition.value is not None:
                    yield (*path, "value"), f"{condition.test} takes no value"
                continue
            if not condition.value:
                yield (*path, "value"), f"{condition.test} needs a list of values"
                continue
            single = fact.kind is FactKind.COUNTRY and condition.test == "equals"
            if single and len(condition.value) != 1:
                yield (*path, "value"), "equals on a single country takes exactly one value"
            for v_index, item in enumerate(condition.value):
                problem = _item_problem(item, fact, parties, categories)
                if problem:
                    yield (*path, "value", v_index), problem


def _check_when_value(
    value: WhenValue, fact: Fact, path: Path, parties: set[str], categories: set[str]
) -> Iterator[Problem]:
    if fact.kind is FactKind.FLAG:
        if not isinstance(value, bool):
            yield path, f"expected true or false: {fact.name} is a flag"
        return
    if isinstance(value, bool):
        yield path, f"expected a {fact.kind.value} value, not a boolean"
        return
    if fact.kind is FactKind.PARTIES and not isinstance(value, list):
        yield path, "expected a list of parties (the exact set that must match)"
        return
    items = value if isinstance(value, list) else [value]
    if not items:
        yield path, "expected at least one value"
    for index, item in enumerate(items):
        problem = _item_problem(item, fact, parties, categories)
        if problem:
            yield ((*path, index) if isinstance(value, list) else path), problem


def check_when(model: AgreementFile) -> Iterator[Problem]:
    """Jurisdiction and claims rules test known facts with fitting values."""
    parties = {p.code for p in model.parties}
    categories = {c.id for c in model.coverage.categories}
    sections: list[tuple[str, Mapping[str, Fact], list[Mapping[str, WhenValue]]]] = [
        ("jurisdiction", JURISDICTION_FACTS, [r.when for r in model.jurisdiction.rules]),
        ("claims", CLAIM_FACTS, [r.when for r in model.claims.rules]),
    ]
    for section, table, whens in sections:
        for index, when in enumerate(whens):
            for name, value in when.items():
                path: Path = (section, "rules", index, "when", name)
                fact = table.get(name)
                if fact is None:
                    yield path, _unknown_fact(name, table)
                else:
                    yield from _check_when_value(value, fact, path, parties, categories)


def check_results(model: AgreementFile) -> Iterator[Problem]:
    """Results name parties of this agreement; shared claims split exactly 100 %."""
    parties = {p.code for p in model.parties}
    for index, rule in enumerate(model.jurisdiction.rules):
        problem = _party_problem(rule.result.primary, parties)
        if problem:
            yield ("jurisdiction", "rules", index, "result", "primary"), problem
    for index, claim in enumerate(model.claims.rules):
        path: Path = ("claims", "rules", index, "result")
        shares = claim.result.shares
        if claim.result.outcome != "shared":
            if shares is not None:
                yield (*path, "shares"), "shares belong only to outcome: shared"
            continue
        if not shares:
            yield (*path, "shares"), "a shared outcome needs shares, e.g. {$sending: 75, $host: 25}"
            continue
        for key in shares:
            problem = _party_problem(key, parties)
            if problem:
                yield (*path, "shares", key), problem
        if abs(sum(shares.values()) - 100) > 1e-9:
            yield (*path, "shares"), f"expected shares adding up to 100, not {sum(shares.values())}"

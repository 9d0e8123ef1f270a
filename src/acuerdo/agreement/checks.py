"""Checks that need the whole agreement file: citations, references, ids, fact vocabulary.

The schema has already checked each value's shape. What remains is what one value cannot
know alone: that a cited article is declared (and that the citation says truthfully whether
its wording is public), that a parameter or category named elsewhere exists, that a rule
only tests facts the engine knows, in ways that fit the fact. Each check yields the path of
the offending value, so the loader can give its line.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel

from acuerdo.agreement.facts import PARTY_REFS
from acuerdo.agreement.fieldtypes import TIME_UNITS
from acuerdo.agreement.rulechecks import check_conditions, check_results, check_when
from acuerdo.agreement.schema import AgreementFile, Basis
from acuerdo.agreement.yamlnodes import Path

Problem = tuple[Path, str]


def check_agreement(model: AgreementFile) -> list[Problem]:
    """Every cross-reference problem in ``model``, in file order as far as practical."""
    problems: list[Problem] = []
    problems += _check_unique_ids(model)
    problems += _check_parties(model)
    problems += _check_citations(model)
    problems += _check_parameters(model)
    problems += _check_parameter_refs(model)
    problems += _check_categories_named(model)
    problems += _check_activity_authorities(model)
    problems += _check_provision_agencies(model)
    problems += check_conditions(model)
    problems += check_when(model)
    problems += check_results(model)
    problems += _check_incidents(model)
    return problems


def _duplicates(items: Iterable[str], path: Path, key: str) -> Iterator[Problem]:
    seen: set[str] = set()
    for index, value in enumerate(items):
        if value in seen:
            yield (*path, index, key), f"duplicate {key} {value!r}"
        seen.add(value)


def _check_unique_ids(model: AgreementFile) -> Iterator[Problem]:
    yield from _duplicates((a.id for a in model.articles), ("articles",), "id")
    yield from _duplicates((p.code for p in model.parties), ("parties",), "code")
    for index, party in enumerate(model.parties):
        yield from _duplicates((a.id for a in party.agencies), ("parties", index, "agencies"), "id")
        keys = (k.key_id for k in party.root_keys)
        yield from _duplicates(keys, ("parties", index, "root_keys"), "key_id")
    yield from _duplicates(
        (c.id for c in model.coverage.categories), ("coverage", "categories"), "id"
    )
    yield from _duplicates((r.id for r in model.entry.rules), ("entry", "rules"), "id")
    yield from _duplicates((t.id for t in model.activities.types), ("activities", "types"), "id")
    yield from _duplicates((p.id for p in model.provisions), ("provisions",), "id")
    yield from _duplicates(
        (r.id for r in model.jurisdiction.rules), ("jurisdiction", "rules"), "id"
    )
    yield from _duplicates(
        (p.id for p in model.jurisdiction.periods), ("jurisdiction", "periods"), "id"
    )
    yield from _duplicates((r.id for r in model.claims.rules), ("claims", "rules"), "id")
    yield from _duplicates((p.id for p in model.parameters), ("parameters",), "id")
    yield from _duplicates((c.id for c in model.calendars), ("calendars",), "id")
    sharing = ("sharing",)
    yield from _duplicates(
        (r.type for r in model.sharing.record_types), (*sharing, "record_types"), "type"
    )
    yield from _duplicates(
        (h.code for h in model.sharing.handling_codes), (*sharing, "handling_codes"), "code"
    )


def _check_parties(model: AgreementFile) -> Iterator[Problem]:
    hosts = [p for p in model.parties if p.role == "host"]
    if len(hosts) != 1:
        yield ("parties",), f"expected exactly one party with role host, found {len(hosts)}"
    if not any(p.role == "sending" for p in model.parties):
        yield ("parties",), "expected at least one party with role sending"
    for index, party in enumerate(model.parties):
        for k, key in enumerate(party.root_keys):
            if _instant(key.not_after) <= _instant(key.not_before):
                yield ("parties", index, "root_keys", k, "not_after"), "expected after not_before"


def _is_time_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _instant(text: str) -> datetime:
    """A date or RFC 3339 timestamp as an aware instant (a bare date is its UTC midnight)."""
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _walk_bases(value: object, path: Path) -> Iterator[tuple[Path, Basis]]:
    if isinstance(value, Basis):
        yield path, value
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from _walk_bases(getattr(value, name), (*path, name))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _walk_bases(item, (*path, index))


def _check_citations(model: AgreementFile) -> Iterator[Problem]:
    articles = {a.id: a for a in model.articles}
    for path, basis in _walk_bases(model, ()):
        article = articles.get(basis.article)
        if article is None:
            yield (
                (*path, "article"),
                (f"cites article {basis.article!r}, which the file does not declare in articles"),
            )
        elif article.public != basis.public:
            yield (
                (*path, "public"),
                (
                    f"expected {str(article.public).lower()}: article {article.id!r} is declared "
                    f"with public: {str(article.public).lower()}"
                ),
            )


def _check_parameters(model: AgreementFile) -> Iterator[Problem]:
    articles = {a.id: a for a in model.articles}
    calendars = {c.id for c in model.calendars}
    for index, param in enumerate(model.parameters):
        path: Path = ("parameters", index)
        source = param.source
        if source.reference == "pending":
            if source.kind == "article":
                yield (*path, "source", "kind"), "an article is never pending: expected a later act"
            if not param.provisional:
                yield (*path, "provisional"), "expected true: a pending value is provisional"
        if param.provisional and param.note is None:
            yield (*path, "note"), "a provisional value needs a note saying who will set it"
        if source.kind == "article":
            article = articles.get(source.reference)
            if article is None:
                yield (
                    (*path, "source", "reference"),
                    (f"expected the id of a declared article, not {source.reference!r}"),
                )
            elif article.public != source.public:
                yield (
                    (*path, "source", "public"),
                    (f"expected {str(article.public).lower()}, as article {article.id!r} declares"),
                )
        if param.unit == "business-days" and param.calendar is None:
            yield (*path, "calendar"), "business days need the calendar they are counted in"
        if param.calendar is not None and param.calendar not in calendars:
            yield (*path, "calendar"), f"no calendar {param.calendar!r} is declared"
    for index, calendar in enumerate(model.calendars):
        if not _is_time_zone(calendar.timezone):
            yield ("calendars", index, "timezone"), "expected an IANA time zone name"
        for d, day in enumerate(calendar.weekend):
            if not 1 <= day <= 7:
                yield ("calendars", index, "weekend", d), "expected an ISO weekday 1-7"


def _check_parameter_refs(model: AgreementFile) -> Iterator[Problem]:
    params = {p.id: p for p in model.parameters}

    def ref(path: Path, name: str | None, time: bool = True) -> Iterator[Problem]:
        if name is None:
            return
        param = params.get(name)
        if param is None:
            yield path, f"no parameter {name!r} is declared in parameters"
        elif time and param.unit not in TIME_UNITS:
            yield path, f"expected a period, but parameter {name!r} is in {param.unit}"

    for index, kind in enumerate(model.activities.types):
        path: Path = ("activities", "types", index)
        yield from ref((*path, "notice"), kind.notice)
        yield from ref((*path, "emergency_notice"), kind.emergency_notice)
        if kind.emergency_path and kind.emergency_notice is None:
            yield (*path, "emergency_notice"), "an emergency path needs its notice parameter"
        if not kind.emergency_path and kind.emergency_notice is not None:
            yield (*path, "emergency_notice"), "set only where emergency_path is true"
    for index, provision in enumerate(model.provisions):
        yield from ref(("provisions", index, "notice"), provision.notice)
        yield from ref(("provisions", index, "period"), provision.period)
    for index, period in enumerate(model.jurisdiction.periods):
        yield from ref(("jurisdiction", "periods", index, "parameter"), period.parameter)


def _check_categories_named(model: AgreementFile) -> Iterator[Problem]:
    categories = {c.id for c in model.coverage.categories}
    for index, category in enumerate(model.coverage.categories):
        if category.coverage.covered and category.coverage.status is None:
            yield (
                ("coverage", "categories", index, "coverage", "status"),
                ("a covered category needs the status it is given"),
            )
    for index, rule in enumerate(model.entry.rules):
        for c, name in enumerate(rule.categories):
            if name not in categories:
                yield ("entry", "rules", index, "categories", c), f"no category {name!r}"
    for index, provision in enumerate(model.provisions):
        for c, name in enumerate(provision.applies_to):
            if name not in categories:
                yield ("provisions", index, "applies_to", c), f"no category {name!r}"
    codes = {p.code for p in model.parties}
    sharing = model.sharing
    lists: list[tuple[Path, list[str]]] = [
        (("sharing", "record_types", i, "releasable_to"), r.releasable_to)
        for i, r in enumerate(sharing.record_types)
    ]
    lists.append(
        (("sharing", "unmarked_intel", "releasable_to"), sharing.unmarked_intel.releasable_to)
    )
    for path, refs in lists:
        for i, value in enumerate(refs):
            if value not in PARTY_REFS and value not in codes:
                yield (*path, i), f"{value!r} is not a party of this agreement"


def _check_activity_authorities(model: AgreementFile) -> Iterator[Problem]:
    """The deciding and emergency agencies are the host's; emergency periods exist."""
    hosts = [p for p in model.parties if p.role == "host"]
    agencies = {a.id for a in hosts[0].agencies} if hosts else set()
    acts = model.activities
    if acts.deciding_agency is not None and acts.deciding_agency not in agencies:
        path: Path = ("activities", "deciding_agency")
        yield path, f"expected an agency of the host party, not {acts.deciding_agency!r}"
    emergency = acts.emergency
    if emergency is not None:
        path = ("activities", "emergency")
        if emergency.authority not in agencies:
            yield (*path, "authority"), f"expected a host agency, not {emergency.authority!r}"
        params = {p.id: p for p in model.parameters}
        for name in ("decision_within", "regularise_within"):
            ref = getattr(emergency, name)
            param = params.get(ref)
            if param is None:
                yield (*path, name), f"no parameter {ref!r} is declared in parameters"
            elif param.unit not in TIME_UNITS:
                yield (*path, name), f"expected a period, but parameter {ref!r} is in {param.unit}"
    yield from _duplicates((r.code for r in acts.regions), ("activities", "regions"), "code")


_WAIVER_ACTS = ("waiver-request", "waiver-decision")


def _check_incidents(model: AgreementFile) -> Iterator[Problem]:
    """Incident timers name declared time parameters; waiver timers need a waiver article;
    custody rules name parties of this agreement."""
    section = model.incidents
    if section is None:
        return
    params = {p.id: p for p in model.parameters}
    codes = {p.code for p in model.parties}
    yield from _duplicates((t.id for t in section.timers), ("incidents", "timers"), "id")
    yield from _duplicates((c.id for c in section.custody), ("incidents", "custody"), "id")
    for index, timer in enumerate(section.timers):
        path: Path = ("incidents", "timers", index)
        for key, name in (("parameter", timer.parameter), ("extension", timer.extension)):
            if name is None:
                continue
            param = params.get(name)
            if param is None:
                yield (*path, key), f"no parameter {name!r} is declared in parameters"
            elif param.unit not in TIME_UNITS:
                yield (*path, key), f"expected a period, but parameter {name!r} is in {param.unit}"
        if timer.act in _WAIVER_ACTS and section.waiver is None:
            yield (*path, "act"), "a waiver timer needs incidents.waiver (the article on waivers)"
        if timer.extension is not None and timer.act != "waiver-decision":
            yield (*path, "extension"), "only a waiver-decision timer can be extended"
    for index, rule in enumerate(section.custody):
        path = ("incidents", "custody", index)
        for key, ref in (("exercising", rule.exercising), ("custody", rule.custody)):
            if ref is not None and ref not in PARTY_REFS and ref not in codes:
                yield (*path, key), f"{ref!r} is not a party of this agreement"


def _check_provision_agencies(model: AgreementFile) -> Iterator[Problem]:
    """A provision's deciding agency is one of the host party's agencies."""
    hosts = [p for p in model.parties if p.role == "host"]
    agencies = {a.id for a in hosts[0].agencies} if hosts else set()
    for index, provision in enumerate(model.provisions):
        agency = provision.deciding_agency
        if agency is not None and agency not in agencies:
            path: Path = ("provisions", index, "deciding_agency")
            yield path, f"expected an agency of the host party, not {agency!r}"

"""A broken agreement file is refused with the file, line, field and what was expected."""

from __future__ import annotations

from pathlib import Path

import pytest

from acuerdo.agreement import AgreementError, AgreementProblem, load_agreement, load_text


def problems_of(text: str) -> list[AgreementProblem]:
    with pytest.raises(AgreementError) as info:
        load_text(text, "broken.yaml")
    return info.value.problems


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    """1-based line of the ``occurrence``-th line containing ``needle``."""
    hits = [n for n, line in enumerate(text.splitlines(), start=1) if needle in line]
    assert len(hits) >= occurrence, f"{needle!r} not in the fixture"
    return hits[occurrence - 1]


def replace_once(text: str, old: str, new: str) -> str:
    assert text.count(old) >= 1, f"{old!r} not in the fixture"
    return text.replace(old, new, 1)


def only(problems: list[AgreementProblem]) -> AgreementProblem:
    assert len(problems) == 1, problems
    return problems[0]


def test_the_minimal_fixture_is_valid(minimal_text: str) -> None:
    assert load_text(minimal_text).id == "test-minimal"


def test_wrong_role_names_line_field_and_the_roles_allowed(minimal_text: str) -> None:
    text = replace_once(minimal_text, "role: host", "role: guest")
    problem = only(problems_of(text))
    assert problem.line == line_of(text, "role: guest") == 34
    assert problem.field == "parties[1].role"
    assert "'sending' or 'host'" in problem.message
    assert str(problem) == f"broken.yaml:34: parties[1].role: {problem.message}"


def test_missing_basis_is_reported_at_the_rule_that_lacks_it(minimal_text: str) -> None:
    text = replace_once(
        minimal_text,
        '      emergency_path: false\n      basis: {article: "1", public: true}\n',
        "      emergency_path: false\n",
    )
    problem = only(problems_of(text))
    assert problem.field == "activities.types[0].basis"
    assert problem.message == "required field is missing"
    assert problem.line == line_of(text, "- id: training") == 62


def test_citing_an_undeclared_article_is_refused(minimal_text: str) -> None:
    text = replace_once(
        minimal_text,
        '          basis: {article: "1", public: true}\n          refusal',
        '          basis: {article: "99", public: true}\n          refusal',
    )
    problem = only(problems_of(text))
    assert problem.field == "coverage.categories[0].conditions[0].basis.article"
    assert problem.line == line_of(text, 'article: "99"') == 50
    assert "'99'" in problem.message and "does not declare" in problem.message


def test_a_citation_must_say_truthfully_whether_the_wording_is_public(minimal_text: str) -> None:
    old = '  summary: Sending state.\n  basis: {article: "2", public: false}'
    text = replace_once(minimal_text, old, old.replace("false", "true"))
    problem = only(problems_of(text))
    assert problem.field == "jurisdiction.basis.public"
    assert problem.line == line_of(text, "summary: Sending state.") + 1
    assert "expected false" in problem.message


def test_bad_date_is_refused_with_an_example_of_a_good_one(minimal_text: str) -> None:
    text = replace_once(minimal_text, '"2020-01-31"', '"2020-02-30"')
    problem = only(problems_of(text))
    assert (problem.line, problem.field) == (8, "agreement.signed.date")
    assert "expected an ISO date such as 2025-12-15" in problem.message


def test_unquoted_dates_stay_text_and_hash_like_quoted_ones(minimal_text: str) -> None:
    quoted = load_text(minimal_text)
    unquoted = load_text(minimal_text.replace('"2020-01-31"', "2020-01-31"))
    assert unquoted.model.agreement.signed.date == "2020-01-31"
    assert unquoted.hash == quoted.hash


def test_duplicate_key_is_an_error_at_its_second_occurrence(minimal_text: str) -> None:
    text = replace_once(
        minimal_text, "  title: Minimal test agreement\n", "  title: A\n  title: B\n"
    )
    problem = only(problems_of(text))
    assert problem.line == line_of(text, "title: B") == 6
    assert problem.field == "agreement.title"
    assert "duplicate key (first given on line 5)" in problem.message


def test_wrong_type_says_what_was_expected(minimal_text: str) -> None:
    text = replace_once(minimal_text, "host_approval: true", 'host_approval: "yes"')
    problem = only(problems_of(text))
    assert problem.field == "activities.types[0].host_approval"
    assert problem.line == line_of(text, "host_approval:") == 64
    assert problem.message == "expected true or false"


def test_yaml_1_1_yes_is_not_a_boolean(minimal_text: str) -> None:
    text = replace_once(minimal_text, "host_approval: true", "host_approval: yes")
    assert only(problems_of(text)).message == "expected true or false"


def test_unknown_field_is_refused_at_its_own_line(minimal_text: str) -> None:
    text = replace_once(minimal_text, "    place: Nowhere\n", "    place: Nowhere\n    city: X\n")
    problem = only(problems_of(text))
    assert (problem.line, problem.field) == (10, "agreement.signed.city")
    assert "unknown field" in problem.message


def test_placeholder_party_codes_are_not_iso_codes(minimal_text: str) -> None:
    text = replace_once(minimal_text, "code: FJI", "code: RCV")
    problems = problems_of(text)
    assert any(
        p.field == "parties[1].code" and p.line == 33 and "ISO 3166-1 alpha-3" in p.message
        for p in problems
    )


def test_unknown_fact_lists_the_facts_the_engine_knows(minimal_text: str) -> None:
    text = replace_once(minimal_text, "fact: nationalities", "fact: nationality")
    problem = only(problems_of(text))
    assert problem.field == "coverage.categories[0].conditions[0].fact"
    assert problem.line == 47
    assert "unknown fact 'nationality'" in problem.message and "nationalities" in problem.message


def test_a_test_must_fit_its_fact(minimal_text: str) -> None:
    text = replace_once(minimal_text, "test: not_in", "test: is_true")
    problem = only(problems_of(text))
    assert problem.field == "coverage.categories[0].conditions[0].test"
    assert "expected in or not_in or equals" in problem.message


def test_a_pending_value_must_be_declared_provisional(minimal_text: str) -> None:
    text = replace_once(minimal_text, "    provisional: true\n", "    provisional: false\n")
    problem = only(problems_of(text))
    assert problem.field == "parameters[0].provisional"
    assert problem.line == line_of(text, "provisional: false")


def test_a_missing_parameter_reference_is_refused(minimal_text: str) -> None:
    text = replace_once(minimal_text, "notice: notice-training", "notice: notice-exercises")
    problem = only(problems_of(text))
    assert problem.field == "activities.types[0].notice"
    assert "no parameter 'notice-exercises'" in problem.message


def test_shares_must_add_up_to_100(minimal_text: str) -> None:
    text = replace_once(
        minimal_text,
        "result: {outcome: waived}",
        "result: {outcome: shared, shares: {$sending: 75, $host: 20}}",
    )
    problem = only(problems_of(text))
    assert problem.field == "claims.rules[0].result.shares"
    assert "adding up to 100" in problem.message


def test_every_problem_is_reported_at_once_in_line_order(minimal_text: str) -> None:
    text = replace_once(minimal_text, "role: host", "role: guest")
    text = replace_once(text, '"2020-01-31"', '"31/01/2020"')
    with pytest.raises(AgreementError) as info:
        load_text(text, "broken.yaml")
    lines = str(info.value).splitlines()
    assert [p.line for p in info.value.problems] == [8, 34]
    assert lines[0].startswith("broken.yaml:8: agreement.signed.date: expected an ISO date")
    assert lines[1].startswith("broken.yaml:34: parties[1].role: ")


def test_yaml_syntax_error_names_its_line(minimal_text: str) -> None:
    text = replace_once(minimal_text, "    place: Nowhere", "    place: [Nowhere")
    problem = only(problems_of(text))
    assert problem.message.startswith("invalid YAML")
    assert problem.line >= 9


def test_non_json_yaml_tags_are_refused(minimal_text: str) -> None:
    text = replace_once(minimal_text, '"2020-01-31"', "!!timestamp 2020-01-31")
    problem = only(problems_of(text))
    assert (problem.line, problem.field) == (8, "agreement.signed.date")
    assert "tag" in problem.message


def test_an_empty_file_is_refused() -> None:
    assert only(problems_of("")).message == "the file is empty"


def test_a_missing_file_is_reported_not_raised_as_oserror(tmp_path: Path) -> None:
    with pytest.raises(AgreementError) as info:
        load_agreement(tmp_path / "absent.yaml")
    assert info.value.problems[0].file.endswith("absent.yaml")


def test_missing_top_level_section(minimal_text: str) -> None:
    start = minimal_text.index("sharing:")
    end = minimal_text.index("parameters:")
    problem = only(problems_of(minimal_text[:start] + minimal_text[end:]))
    assert (problem.field, problem.message) == ("sharing", "required field is missing")
    assert problem.line == 2


def test_a_value_of_no_allowed_type_lists_the_alternatives(minimal_text: str) -> None:
    text = replace_once(minimal_text, "when: {official_duty: true}", "when: {official_duty: 3}")
    problem = only(problems_of(text))
    assert problem.field == "claims.rules[0].when.official_duty"
    assert problem.message.startswith("expected one of: true or false; a text")


def test_a_second_yaml_document_is_refused(minimal_text: str) -> None:
    problem = only(problems_of(minimal_text + "---\nformat: 1\n"))
    assert "single document" in problem.message

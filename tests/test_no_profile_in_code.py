"""No Python code under src/ names a shipped agreement or one of its parties.

Design rule "No profile in code": shipped agreements are data files, and no code branches
on an agreement's id or a party's code. This test finds every string constant in every
.py file under src/ (with ``ast``, so comments do not count and f-string pieces do) and
fails on one that contains a shipped agreement id, or a shipped party code as a word.
Docstrings are skipped: they explain, they cannot branch. Profiles and other data files
are not .py files, so they may name anything.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

from acuerdo.agreement import list_profiles, load_profile

SRC = Path(__file__).resolve().parents[1] / "src"


def _docstring_nodes(tree: ast.AST) -> set[int]:
    found: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found


def profile_literals(
    source: str, agreement_ids: Iterable[str], party_codes: Iterable[str]
) -> Iterator[tuple[int, str]]:
    """(line, literal) for each string constant naming a shipped agreement or party."""
    tree = ast.parse(source)
    docstrings = _docstring_nodes(tree)
    ids = list(agreement_ids)
    codes = re.compile(r"\b(?:" + "|".join(map(re.escape, party_codes)) + r")\b")
    for node in ast.walk(tree):
        if not isinstance(node, ast.Constant) or not isinstance(node.value, str):
            continue
        if id(node) in docstrings:
            continue
        if any(agreement_id in node.value for agreement_id in ids) or codes.search(node.value):
            yield node.lineno, node.value


def shipped() -> tuple[list[str], set[str]]:
    ids = list_profiles()
    codes = {party.code for name in ids for party in load_profile(name).model.parties}
    return ids, codes


def test_the_scanner_finds_what_it_must() -> None:
    source = (
        '"""Docstrings may mention usa-pry-2025 and USA."""\n'
        'if agreement.id == "usa-pry-2025": pass\n'
        'if party == "PRY": pass\n'
        'label = f"{x} for USA"\n'
        'fine = "USAGE and COUSA"\n'
    )
    found = list(profile_literals(source, ["usa-pry-2025"], ["USA", "PRY"]))
    assert [line for line, _ in found] == [2, 3, 4]


def test_no_python_file_under_src_names_a_shipped_agreement_or_party() -> None:
    ids, codes = shipped()
    assert ids and codes
    offenders = [
        f"{path.relative_to(SRC)}:{line}: {literal!r}"
        for path in sorted(SRC.rglob("*.py"))
        for line, literal in profile_literals(path.read_text(encoding="utf-8"), ids, codes)
    ]
    assert offenders == [], "agreement-specific literals in code:\n" + "\n".join(offenders)

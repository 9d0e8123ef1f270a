"""Load an agreement file: strict YAML, the typed schema, whole-file checks, the hash.

Every problem is reported with the file, the line, the dotted field path and what was
expected, all at once, so one pass of ``acuerdo agreement check`` shows everything to fix.
The hash is the SHA-256 of the RFC 8785 canonical form of the parsed document: comments
and layout do not change it, any value does.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from pydantic import JsonValue, ValidationError
from pydantic_core import ErrorDetails

from acuerdo.agreement.agreement import Agreement
from acuerdo.agreement.checks import check_agreement
from acuerdo.agreement.schema import AgreementFile
from acuerdo.agreement.yamlnodes import Path as NodePath
from acuerdo.agreement.yamlnodes import YamlDocument, path_text, read_yaml
from acuerdo.ledger.canonical import CanonicalError, canonicalize

_PROFILES = "profiles"

_MESSAGES = {
    "missing": "required field is missing",
    "extra_forbidden": "unknown field: the agreement format does not define it",
    "model_type": "expected a mapping",
    "dict_type": "expected a mapping",
    "list_type": "expected a list",
    "string_type": "expected a text (quote values that look like numbers, dates or booleans)",
    "bool_type": "expected true or false",
    "int_type": "expected a whole number",
    "float_type": "expected a number",
}


@dataclass(frozen=True)
class AgreementProblem:
    """One thing wrong with an agreement file, where it is, and what was expected."""

    file: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.field}: {self.message}"


class AgreementError(Exception):
    """An agreement file that cannot be adopted; ``problems`` lists every reason."""

    def __init__(self, problems: list[AgreementProblem]) -> None:
        self.problems = sorted(problems, key=lambda p: (p.line, p.field))
        super().__init__("\n".join(str(p) for p in self.problems))


def _message(error: ErrorDetails) -> str:
    fixed = _MESSAGES.get(error["type"])
    if fixed:
        return fixed
    message = str(error["msg"])
    for prefix in ("Value error, ", "Assertion failed, "):
        message = message.removeprefix(prefix)
    return message.replace("Input should be", "expected")


def _locate(loc: tuple[int | str, ...], error_type: str, doc: YamlDocument) -> tuple[NodePath, int]:
    """Map a pydantic ``loc`` onto the document: the path a reader knows, and its line.

    Items that are not in the document (union branch tags such as ``constrained-int``) are
    skipped; a missing field keeps its name but takes its parent's line.
    """
    path: NodePath = ()
    for index, item in enumerate(loc):
        candidate = (*path, item)
        if candidate in doc.lines:
            path = candidate
        elif index == len(loc) - 1 and error_type == "missing":
            return candidate, doc.lines.get(path, 1)
    return path, doc.lines.get(path, 1)


def _schema_problems(exc: ValidationError, doc: YamlDocument, name: str) -> list[AgreementProblem]:
    by_place: dict[tuple[int, str], list[str]] = {}
    for error in exc.errors():
        path, line = _locate(error["loc"], error["type"], doc)
        messages = by_place.setdefault((line, path_text(path)), [])
        message = _message(error)
        if message not in messages:
            messages.append(message)
    return [
        AgreementProblem(name, line, field, _join(messages))
        for (line, field), messages in by_place.items()
    ]


def _join(messages: list[str]) -> str:
    """One message for one place; a union's alternatives become "expected one of: ..."."""
    if len(messages) > 1 and all(m.startswith("expected ") for m in messages):
        return "expected one of: " + "; ".join(m.removeprefix("expected ") for m in messages)
    return "; ".join(messages)


def _check_problems(model: AgreementFile, doc: YamlDocument, name: str) -> list[AgreementProblem]:
    problems = []
    for path, message in check_agreement(model):
        known = path
        while known and known not in doc.lines:
            known = known[:-1]
        problems.append(AgreementProblem(name, doc.lines.get(known, 1), path_text(path), message))
    return problems


def agreement_hash(document: JsonValue) -> str:
    """SHA-256 (hex) of the canonical JSON form of a parsed agreement document."""
    return hashlib.sha256(canonicalize(document)).hexdigest()


def load_text(text: str, name: str = "<text>", source_path: Path | None = None) -> Agreement:
    """Validate agreement-file ``text``; raise AgreementError with every problem found."""
    doc = read_yaml(text)
    if doc.problems:
        raise AgreementError(
            [AgreementProblem(name, p.line, path_text(p.path), p.message) for p in doc.problems]
        )
    try:
        model = AgreementFile.model_validate(doc.data)
    except ValidationError as exc:
        raise AgreementError(_schema_problems(exc, doc, name)) from None
    problems = _check_problems(model, doc, name)
    if problems:
        raise AgreementError(problems)
    document: JsonValue = doc.data  # type: ignore[assignment]  # read_yaml only builds JSON data
    try:
        digest = agreement_hash(document)
    except CanonicalError as exc:
        raise AgreementError([AgreementProblem(name, 1, "(document)", str(exc))]) from None
    return Agreement(model, document, digest, source_path=source_path, source_name=name)


def load_agreement(path: Path) -> Agreement:
    """Load and validate the agreement file at ``path``."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise AgreementError([AgreementProblem(str(path), 1, "(document)", str(exc))]) from None
    return load_text(text, str(path), source_path=path)


def list_profiles() -> list[str]:
    """Names of the agreements shipped with acuerdo (``load_profile`` takes them)."""
    folder = resources.files("acuerdo.agreement") / _PROFILES
    return sorted(
        entry.name.removesuffix(".yaml")
        for entry in folder.iterdir()
        if entry.name.endswith(".yaml") and not entry.name.startswith("_")
    )


def load_profile(name: str) -> Agreement:
    """Load a shipped agreement by name (see ``list_profiles``)."""
    if name not in list_profiles():
        raise KeyError(f"no shipped agreement {name!r}; shipped: {', '.join(list_profiles())}")
    resource = resources.files("acuerdo.agreement") / _PROFILES / f"{name}.yaml"
    source_path = Path(str(resource)) if isinstance(resource, Path) else None
    return load_text(resource.read_text(encoding="utf-8"), f"{_PROFILES}/{name}.yaml", source_path)

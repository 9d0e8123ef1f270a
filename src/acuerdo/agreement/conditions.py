"""The generic rule machinery: condition tests and first-match ``when`` rules.

Nothing here knows an agreement; values written as ``$host`` or ``$sending`` are resolved
to party codes by the caller's resolver before comparing. Unknown facts (``None``) are
never guessed: a test on an unknown fact is reported as such, and first-match stops at the
first rule it cannot decide, because a later rule matching would be a guess about this one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from acuerdo.agreement.questions import FactValue
from acuerdo.agreement.schema import Condition, WhenValue

Resolve = Callable[[str], list[str]]


def _as_set(value: FactValue, resolve: Resolve) -> set[str]:
    items = value if isinstance(value, list) else [value]
    out: set[str] = set()
    for item in items:
        if isinstance(item, str):
            out.update(resolve(item))
    return out


def condition_holds(condition: Condition, value: FactValue | None, resolve: Resolve) -> bool | None:
    """Whether a person's fact passes ``condition``; None when the fact is unknown.

    For a set of values (nationalities), ``in`` means every one of them is listed, ``not_in``
    that none is, ``equals`` that the sets are the same; for a single value, ``in`` and
    ``not_in`` are membership and ``equals`` is equality.
    """
    if value is None:
        return None
    if condition.test == "is_true":
        return value is True
    if condition.test == "is_false":
        return value is False
    listed: set[str] = set()
    for item in condition.value or []:
        listed.update(resolve(item))
    actual = _as_set(value, resolve)
    if condition.test == "in":
        return actual <= listed
    if condition.test == "not_in":
        return not (actual & listed)
    return actual == listed


def when_item_matches(expected: WhenValue, actual: FactValue, resolve: Resolve) -> bool:
    """Compare one ``when`` entry with a known fact.

    A flag must be equal; a list expected against a single value means "one of"; a list
    expected against a set (``responsible``) means "exactly this set".
    """
    if isinstance(expected, bool) or isinstance(actual, bool):
        return expected is actual
    wanted = _as_set(expected, resolve)
    if isinstance(actual, list):
        return _as_set(actual, resolve) == wanted
    return bool(_as_set(actual, resolve) & wanted)


class _Rule(Protocol):
    @property
    def when(self) -> Mapping[str, WhenValue]: ...


R = TypeVar("R", bound=_Rule)


@dataclass(frozen=True)
class Match(Generic[R]):
    """The result of first-match: the rule that applies, or the facts needed to decide."""

    rule: R | None
    blocked_by: R | None = None
    missing: tuple[str, ...] = ()


def first_match(
    rules: Sequence[R], facts: Mapping[str, FactValue | None], resolve: Resolve
) -> Match[R]:
    """The first rule whose ``when`` holds; stop at a rule that needs an unknown fact."""
    for rule in rules:
        missing: list[str] = []
        failed = False
        for name, expected in rule.when.items():
            actual = facts.get(name)
            if actual is None:
                missing.append(name)
            elif not when_item_matches(expected, actual, resolve):
                failed = True
                break
        if failed:
            continue
        if missing:
            return Match(rule=None, blocked_by=rule, missing=tuple(missing))
        return Match(rule=rule)
    return Match(rule=None)

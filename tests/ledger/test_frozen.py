"""`quick_init` builds the very objects `@dataclass(frozen=True)` builds, faster.

The same class is made twice, with the dataclass's own `__init__` and with `quick_init`'s,
and every way of calling it (positional, keyword, defaults, default factories) must give
equal, equally immutable objects; the writer's classes keep their fields' order and
defaults. It fails if a default or a factory is dropped, shared or misplaced.
"""

from __future__ import annotations

import dataclasses
import inspect
from dataclasses import dataclass, field
from typing import Any

import pytest

from acuerdo.domains.personnel.importing_rows import RowPlan
from acuerdo.domains.personnel.spreadsheet import Row
from acuerdo.federation.outbox import Version
from acuerdo.ledger.frozen import quick_init
from acuerdo.ledger.record import Draft
from acuerdo.ledger.writes import Appended, Projected, Signed, WriteFacts


def _shape() -> type[Any]:
    @dataclass(frozen=True)
    class Shape:
        a: int
        b: str
        c: tuple[int, ...] = ()
        d: list[int] = field(default_factory=list)
        e: WriteFacts = field(default_factory=WriteFacts)

    return Shape


PLAIN = _shape()
QUICK = quick_init(_shape())

CALLS: list[tuple[tuple[Any, ...], dict[str, Any]]] = [
    ((1, "x"), {}),
    ((1, "x", (2,)), {}),
    ((1,), {"b": "y", "d": [3]}),
    ((), {"a": 1, "b": "z", "c": (4, 5), "d": [6], "e": WriteFacts(False, False)}),
]


@pytest.mark.parametrize(("args", "kwargs"), CALLS)
def test_the_quick_init_builds_what_the_dataclass_builds(
    args: tuple[Any, ...], kwargs: dict[str, Any]
) -> None:
    plain, quick = PLAIN(*args, **kwargs), QUICK(*args, **kwargs)
    assert dataclasses.asdict(quick) == dataclasses.asdict(plain)
    assert repr(quick).split("(", 1)[1] == repr(plain).split("(", 1)[1]
    assert quick == QUICK(*args, **kwargs)
    with pytest.raises(dataclasses.FrozenInstanceError):
        quick.a = 2
    # Each object gets its own default list, as the dataclass's factory gives.
    assert QUICK(1, "x").d is not QUICK(1, "x").d


def test_the_quick_init_refuses_what_it_cannot_build_alike() -> None:
    class NotData:
        pass

    @dataclass
    class Mutable:
        a: int

    @dataclass(frozen=True)
    class After:
        a: int

        def __post_init__(self) -> None:
            pass

    @dataclass(frozen=True)
    class KeywordOnly:
        a: int = field(kw_only=True)

    for cls in (NotData, Mutable, After, KeywordOnly):
        with pytest.raises(TypeError):
            quick_init(cls)


@pytest.mark.parametrize("cls", [Draft, Signed, Appended, Projected, RowPlan, Row, Version])
def test_the_quick_classes_keep_their_parameters(cls: type[Any]) -> None:
    params = list(inspect.signature(cls).parameters.values())
    assert [p.name for p in params] == [f.name for f in dataclasses.fields(cls)]
    for p, f in zip(params, dataclasses.fields(cls), strict=True):
        if f.default is not dataclasses.MISSING:
            assert p.default == f.default, f.name
        elif f.default_factory is dataclasses.MISSING:
            assert p.default is inspect.Parameter.empty, f.name

"""What the equipment routes share: reading a JSON object body, and turning refusals from
the domain and the ledger into problem details (nothing is written when one is raised)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any

from fastapi import Request

from acuerdo.api.body import read_json
from acuerdo.api.problems import Problem
from acuerdo.domains.equipment.common import EquipmentRefused
from acuerdo.ledger.record import RecordError
from acuerdo.ledger.writes import WriteRefused
from acuerdo.node import Node


async def json_object(request: Request, node: Node) -> dict[str, Any]:
    data = await read_json(request, node.settings.max_body_bytes)
    if not isinstance(data, dict):
        raise Problem(422, "send a JSON object", code="validation")
    return data


@contextmanager
def refusals() -> Iterator[None]:
    """Map a refusal to its problem: 403 who, 404 what, 409 conflicts, 422 content."""
    try:
        yield
    except EquipmentRefused as exc:
        raise Problem(exc.status, str(exc), code=exc.code) from None
    except RecordError as exc:
        raise Problem(422, str(exc), code="invalid-record") from None
    except WriteRefused as exc:
        raise Problem(exc.status, exc.message, code=exc.rule) from None


def day(value: date | None) -> date:
    """The day a report is for: the one asked, else today (UTC)."""
    return value or datetime.now(UTC).date()


def written(obj: dict[str, Any], sha256: str) -> dict[str, Any]:
    return {"id": obj["id"], "modified": obj["modified"], "sha256": sha256}


def answer_fields(body: dict[str, Any], allowed: set[str]) -> dict[str, Any] | None:
    """Refuse fields an answer does not take; return the `version` named, if any."""
    unknown = set(body) - allowed - {"version"}
    if unknown:
        raise Problem(422, f"unknown field(s): {', '.join(sorted(unknown))}", code="validation")
    version = body.get("version")
    if version is not None and not isinstance(version, dict):
        raise Problem(422, "version: expected {modified, sha256}", code="validation")
    return version

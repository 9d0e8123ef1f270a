"""Personnel imports and exports over HTTP: the spreadsheet is the request or response body.

`POST /api/v1/imports/persons` takes a CSV or XLSX file as the raw body (the format from the
`format` parameter or the content type) in the documented template layout, and answers with
what the import did. A file with errors writes nothing and answers 422 with every error
(row and column) unless `valid_rows_only=true`. `GET /api/v1/exports/persons` answers a
file of the persons the caller may see, through the release gate.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response

from acuerdo.api.auth import CurrentUser, NodeDep, require
from acuerdo.api.body import read_limited
from acuerdo.api.problems import Problem
from acuerdo.domains.personnel.exporting import export_persons
from acuerdo.domains.personnel.importing import import_sheet
from acuerdo.domains.personnel.spreadsheet import (
    DEFAULT_MAPPING,
    SheetError,
    SheetFormat,
)
from acuerdo.ledger.record import RecordError
from acuerdo.ledger.writes import WriteRefused
from acuerdo.users import User

router = APIRouter(tags=["personnel import and export"])

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MEDIA = {SheetFormat.CSV: "text/csv; charset=utf-8", SheetFormat.XLSX: XLSX}
MAX_IMPORT_BYTES = 64 * 1024 * 1024
Registrar = Annotated[User, Depends(require("registrar", "admin"))]


def _format(declared: str | None, content_type: str) -> SheetFormat:
    if declared:
        try:
            return SheetFormat(declared.lower())
        except ValueError:
            raise Problem(422, "format must be csv or xlsx", code="validation") from None
    if "spreadsheetml" in content_type:
        return SheetFormat.XLSX
    if "csv" in content_type:
        return SheetFormat.CSV
    raise Problem(
        415, "send text/csv or an XLSX file, or name it with ?format=csv|xlsx", code="media-type"
    )


async def _body(request: Request) -> bytes:
    data = await read_limited(request, MAX_IMPORT_BYTES)
    if not data:
        raise Problem(400, "the request body is empty: send the spreadsheet file", code="empty")
    return data


@router.post("/api/v1/imports/persons")
async def import_persons(
    request: Request,
    node: NodeDep,
    user: Registrar,
    format: Annotated[str | None, Query(description="csv or xlsx")] = None,
    valid_rows_only: bool = False,
) -> dict[str, Any]:
    """Import covered persons (and their orders) from a spreadsheet in the template layout."""
    fmt = _format(format, request.headers.get("content-type", ""))
    data = await _body(request)
    try:
        report = await import_sheet(
            node, user, data, fmt, DEFAULT_MAPPING, valid_rows_only=valid_rows_only
        )
    except SheetError as exc:
        raise Problem(422, str(exc), code="invalid-file") from None
    except RecordError as exc:
        raise Problem(422, str(exc), code="invalid-record") from None
    except WriteRefused as exc:
        raise Problem(exc.status, exc.message, code=exc.rule) from None
    if report.refused:
        raise Problem(
            422,
            f"{len(report.errors)} error(s) in {report.rows - report.valid_rows} row(s); nothing "
            "was written (fix them, or import the valid rows with valid_rows_only=true)",
            code="invalid-rows",
            errors=report.as_dict()["errors"],
        )
    return report.as_dict()


@router.get(
    "/api/v1/exports/persons",
    response_class=Response,
    responses={200: {"content": {m: {} for m in MEDIA.values()}, "description": "the file"}},
)
async def export(
    node: NodeDep,
    user: CurrentUser,
    format: Annotated[str, Query(pattern="^(csv|xlsx)$", description="csv or xlsx")] = "csv",
) -> Response:
    """Every covered person the caller may see, in the import template's layout."""
    fmt = SheetFormat(format)
    data, _ = await export_persons(node, user, fmt)
    return Response(
        data,
        media_type=MEDIA[fmt],
        headers={"Content-Disposition": f'attachment; filename="persons.{fmt.value}"'},
    )

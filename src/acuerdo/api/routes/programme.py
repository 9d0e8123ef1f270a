"""The annual programme of activities, as CSV or as the PDF tabled before a congress.

Drawn from the activities the caller may see, through the release gate."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from acuerdo.api.auth import CurrentUser, NodeDep
from acuerdo.api.problems import Problem
from acuerdo.domains.equipment import programme as annual

router = APIRouter(prefix="/api/v1", tags=["activities"])

Year = Annotated[int, Path(ge=2000, le=2100)]


@router.get(
    "/annual-programme/{year}.{fmt}",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}, "application/pdf": {}}}},
)
async def annual_programme(
    year: Year,
    fmt: str,
    node: NodeDep,
    user: CurrentUser,
    lang: Annotated[str, Query(pattern="^(es|en)$")] = "es",
) -> Response:
    """Type, places, dates, personnel and arms of each activity of the year (csv or pdf)."""
    if fmt not in ("csv", "pdf"):
        raise Problem(404, f"no programme format {fmt!r}: use csv or pdf", code="not-found")
    rows = await annual.annual_programme(node, user, year)
    name = f'attachment; filename="programme-{year}.{fmt}"'
    if fmt == "csv":
        return Response(
            annual.to_csv(rows), media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": name},
        )  # fmt: skip
    pdf = annual.to_pdf(node, rows, year, lang)
    return Response(pdf, media_type="application/pdf", headers={"Content-Disposition": name})

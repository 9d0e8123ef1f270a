"""The annual programme of activities, as CSV and as the PDF tabled before a congress.

A host congress authorises the entry of foreign forces on a programme listing, activity by
activity, its type, places, dates, personnel and arms. acuerdo draws it from the activity
records the user may see (through the release gate) and their derived state: drafts,
cancelled, refused and withdrawn activities are left out; dates are shown in the host's
local time (the time zone of the agreement's calendar), numbers in order of start.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from sqlalchemy import select

from acuerdo.domains.activities.records import ACTIVITY, carries_arms, headcount
from acuerdo.domains.activities.tables import activities
from acuerdo.domains.equipment.certificate import latin1
from acuerdo.domains.equipment.common import Seen, visible
from acuerdo.ledger import stix
from acuerdo.node import Node
from acuerdo.users import User

LEFT_OUT = frozenset({"draft", "cancelled", "refused"})
COLUMNS = (
    "number",
    "type",
    "title",
    "places",
    "start",
    "end",
    "personnel",
    "units",
    "arms",
    "state",
    "id",
)

HEADINGS = {
    "es": ("N.º", "Tipo / Actividad", "Lugares", "Fechas", "Personal", "Armamento", "Estado"),
    "en": ("No.", "Type / Activity", "Places", "Dates", "Personnel", "Arms", "State"),
}
LABELS: dict[str, dict[str, str]] = {
    "es": {
        "title": "Programa anual de actividades {year}",
        "intro": (
            "Actividades con participación de personal de {sending} en el territorio de "
            "{host}, que el Poder Ejecutivo somete a consideración del Congreso Nacional "
            "para autorizar el ingreso de tropas extranjeras."
        ),
        "agreement": "Acuerdo",
        "none": "Sin armamento",
        "totals": "{n} actividades; {people} personas en total; {armed} con armamento.",
        "empty": "No hay actividades programadas.",
    },
    "en": {
        "title": "Annual programme of activities {year}",
        "intro": (
            "Activities with personnel of {sending} in the territory of {host}, submitted "
            "by the Executive to Congress for authorisation of the entry of foreign forces."
        ),
        "agreement": "Agreement",
        "none": "No arms",
        "totals": "{n} activities; {people} persons in all; {armed} with arms.",
        "empty": "No activities are programmed.",
    },
}


@dataclass(frozen=True)
class ProgrammeRow:
    number: int
    type: str
    title: str
    places: str
    start: str
    end: str
    personnel: int
    units: str
    arms: str
    armed: bool
    state: str
    id: str


def _zone(node: Node) -> ZoneInfo:
    calendars = node.agreement.model.calendars
    return ZoneInfo(calendars[0].timezone if calendars else "UTC")


def _local_day(value: Any, zone: ZoneInfo) -> str:
    return stix.parse_timestamp(value, "time").astimezone(zone).date().isoformat()


def _row(node: Node, seen: Seen, state: str, zone: ZoneInfo) -> ProgrammeRow:
    b = seen.body
    regions = {r.code: r.name for r in node.agreement.model.activities.regions}
    types = {t.id: t.name for t in node.agreement.model.activities.types}
    places = "; ".join(
        f"{p['name']} ({regions.get(p['region'], p['region'])})" for p in b["places"]
    )
    units = "; ".join(
        f"{u['name']} ({u['party']}{', ' + str(u['personnel']) if 'personnel' in u else ''})"
        for u in b.get("units", [])
    )
    arms = "; ".join(f"{a['quantity']} x {a['description']}" for a in b.get("arms", []))
    return ProgrammeRow(
        number=0,
        type=types.get(b["activity_type"], b["activity_type"]),
        title=str(b["title"]),
        places=places,
        start=_local_day(b["start"], zone),
        end=_local_day(b["end"], zone),
        personnel=headcount(b),
        units=units,
        arms=arms,
        armed=carries_arms(b),
        state=state,
        id=seen.id,
    )


async def annual_programme(node: Node, user: User, year: int) -> list[ProgrammeRow]:
    """The activities of `year` (local dates overlapping it) the user may see, numbered."""
    zone = _zone(node)
    found = [s for s in await visible(node, user, [ACTIVITY]) if not s.version.revoked]
    ids = [s.id for s in found]
    states: dict[str, str] = {}
    async with node.engines.reader.connect() as conn:
        for i in range(0, len(ids), 500):
            q = select(activities.c.activity_id, activities.c.state).where(
                activities.c.activity_id.in_(ids[i : i + 500])
            )
            states.update({a: s for a, s in await conn.execute(q)})
    rows = []
    for s in found:
        row = _row(node, s, states.get(s.id, str(s.body["lifecycle"])), zone)
        if row.state in LEFT_OUT or not (row.start[:4] <= str(year) <= row.end[:4]):
            continue
        rows.append(row)
    rows.sort(key=lambda r: (r.start, r.title, r.id))
    return [ProgrammeRow(**{**r.__dict__, "number": n}) for n, r in enumerate(rows, start=1)]


def to_csv(rows: list[ProgrammeRow]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for r in rows:
        writer.writerow([getattr(r, c) for c in COLUMNS])
    return out.getvalue().encode("utf-8-sig")


def to_pdf(node: Node, rows: list[ProgrammeRow], year: int, lang: str) -> bytes:
    """The programme as tabled: a title, the submission, the numbered table, the totals."""
    t = LABELS[lang]
    agreement = node.agreement
    sending = ", ".join(p.name for p in agreement.sending_parties)
    pdf = FPDF(orientation="landscape", format="A4")
    pdf.set_auto_page_break(True, margin=15)
    pdf.set_title(latin1(t["title"].format(year=year)))
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 15)
    pdf.cell(
        0,
        9,
        latin1(t["title"].format(year=year).upper()),
        align="C",
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    pdf.set_font("Helvetica", "", 10)
    intro = t["intro"].format(sending=sending, host=agreement.host_party.name)
    pdf.multi_cell(0, 5, latin1(intro), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("Helvetica", "", 8)
    pdf.multi_cell(
        0,
        4,
        latin1(f"{t['agreement']}: {agreement.model.agreement.title} (SHA-256 {agreement.hash})"),
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    pdf.ln(3)
    if not rows:
        pdf.set_font("Helvetica", "I", 10)
        pdf.cell(0, 6, latin1(t["empty"]), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        return bytes(pdf.output())
    pdf.set_font("Helvetica", "", 8)
    with pdf.table(col_widths=(10, 62, 55, 30, 45, 45, 30)) as table:
        header = table.row()
        for label in HEADINGS[lang]:
            header.cell(latin1(label))
        for r in rows:
            row = table.row()
            row.cell(str(r.number))
            row.cell(latin1(f"{r.type}: {r.title}"))
            row.cell(latin1(r.places))
            row.cell(f"{r.start} - {r.end}")
            row.cell(latin1(f"{r.personnel}" + (f" ({r.units})" if r.units else "")))
            row.cell(latin1(r.arms or t["none"]))
            row.cell(latin1(r.state))
    pdf.ln(3)
    pdf.set_font("Helvetica", "B", 9)
    totals = t["totals"].format(
        n=len(rows), people=sum(r.personnel for r in rows), armed=sum(r.armed for r in rows)
    )
    pdf.cell(0, 6, latin1(totals), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("Helvetica", "", 7)
    made = datetime.now(UTC).astimezone(_zone(node)).strftime("%Y-%m-%d %H:%M %Z")
    pdf.cell(0, 5, latin1(f"acuerdo, {made}"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    return bytes(pdf.output())

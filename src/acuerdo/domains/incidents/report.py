"""The Joint Committee's view as a PDF, in Spanish or English.

Only the labels are translated: record texts (summaries, reasons from the agreement file)
are printed as written, since the two delegations must read the same words. The built-in
PDF fonts cover Latin-1, enough for Spanish; a character outside it is replaced rather than
failing the report.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from fpdf import FPDF
from pydantic import JsonValue

LANGUAGES: Final = ("es", "en")

LABELS: Final[Mapping[str, Mapping[str, str]]] = {
    "en": {
        "title": "Joint Committee report",
        "agreement": "Agreement",
        "party": "Node of",
        "at": "As of",
        "incidents": "Open incidents",
        "deadlines": "Open obligations and their deadlines",
        "late": "Late items",
        "claims": "Open claims",
        "consultations": "Open consultations",
        "disputes": "Open disputes",
        "pending_activities": "Pending activities",
        "none": "None.",
        "unavailable": "Not available on this node yet.",
        "due": "due",
        "exercising": "exercising jurisdiction",
        "open_obligations": "open obligations",
        "overdue": "overdue",
        "late_done": "done late",
        "note": "Note",
    },
    "es": {
        "title": "Informe para la Comisión Mixta",
        "agreement": "Acuerdo",
        "party": "Nodo de",
        "at": "Al",
        "incidents": "Incidentes abiertos",
        "deadlines": "Obligaciones pendientes y sus plazos",
        "late": "Asuntos vencidos",
        "claims": "Reclamaciones abiertas",
        "consultations": "Consultas abiertas",
        "disputes": "Controversias abiertas",
        "pending_activities": "Actividades pendientes",
        "none": "Ninguno.",
        "unavailable": "Todavía no disponible en este nodo.",
        "due": "vence",
        "exercising": "ejerce la jurisdicción",
        "open_obligations": "obligaciones pendientes",
        "overdue": "vencidas",
        "late_done": "cumplida con retraso",
        "note": "Nota",
    },
}


def _latin1(text: str) -> str:
    return text.encode("latin-1", "replace").decode("latin-1")


class _Report(FPDF):
    def heading(self, text: str) -> None:
        self.ln(3)
        self.set_font("Helvetica", "B", 12)
        self.multi_cell(0, 7, _latin1(text), new_x="LMARGIN", new_y="NEXT")
        self.set_font("Helvetica", "", 9)

    def line_of(self, text: str) -> None:
        self.multi_cell(0, 5, _latin1(text), new_x="LMARGIN", new_y="NEXT")


def _rows(view: Mapping[str, JsonValue], key: str) -> list[Mapping[str, Any]]:
    value = view.get(key)
    if isinstance(value, dict):
        value = value.get("items")
    return [r for r in value if isinstance(r, Mapping)] if isinstance(value, list) else []


def _incident_line(row: Mapping[str, Any], words: Mapping[str, str]) -> str:
    accused = "; ".join(
        f"{a['jurisdiction']}, {words['exercising']}: {a['exercising'] or '-'}"
        for a in row.get("accused", [])
    )
    return (
        f"{row['incident']} ({row['reported_by']}, {row['occurred_at'][:10]}): {row['summary']} "
        f"[{accused}] {words['open_obligations']}: {row['open_obligations']}, "
        f"{words['overdue']}: {row['overdue']}"
    )


def _deadline_line(row: Mapping[str, Any], words: Mapping[str, str]) -> str:
    flag = f" - {words['overdue'].upper()}" if row["status"] == "overdue" else ""
    if row.get("late"):
        flag = f" - {words['late_done']}"
    where = f"Art. {row['article']}" + (f" {row['paragraph']}" if row.get("paragraph") else "")
    return (
        f"{row['party']}: {row['name']} ({where}) - {words['due']} {row['due'][:16]}Z{flag} "
        f"- {row['incident']}"
    )


def _other_line(row: Mapping[str, Any]) -> str:
    if "claim" in row:
        parts = row.get("parts") or {}
        split = ", ".join(f"{k} {v}" for k, v in parts.items())
        return f"{row['claim']}: {row['amount']} {row['currency']} - {row['outcome']} {split}"
    return f"{row['id']} ({row['owner']}, {row['topic']}): {row['summary']}"


def render(view: Mapping[str, JsonValue], language: str) -> bytes:
    """The view as PDF bytes, labelled in ``language`` (es or en)."""
    words = LABELS[language]
    pdf = _Report()
    pdf.set_title(words["title"])
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.line_of(words["title"])
    pdf.set_font("Helvetica", "", 9)
    agreement = view.get("agreement")
    if isinstance(agreement, dict):
        pdf.line_of(f"{words['agreement']}: {agreement['id']} sha256:{agreement['hash']}")
    pdf.line_of(f"{words['party']} {view.get('party')} - {words['at']} {view.get('at')}")
    sections = (
        ("incidents", _incident_line),
        ("deadlines", _deadline_line),
        ("late", _deadline_line),
    )
    for key, fmt in sections:
        pdf.heading(words[key])
        rows = _rows(view, key)
        for row in rows:
            pdf.line_of(fmt(row, words))
        if not rows:
            pdf.line_of(words["none"])
    for key in ("claims", "consultations", "disputes", "pending_activities"):
        pdf.heading(words[key])
        section = view.get(key)
        if isinstance(section, dict) and not section.get("available", True):
            pdf.line_of(words["unavailable"])
            continue
        rows = _rows(view, key)
        for row in rows:
            pdf.line_of(_other_line(row))
        if not rows:
            pdf.line_of(words["none"])
    pdf.heading(words["note"])
    pdf.line_of(str(view.get("counted_from", "")))
    return bytes(pdf.output())

"""A customs declaration printed as a certificate (PDF), in Spanish or in English.

The certificate shows what the signed record says and nothing else: its number, the legal
basis the agreement gives (with whether the article's wording is public), the items, the
customs decision on this exact version, and the hashes that tie the paper to the ledger.
The built-in PDF fonts cover Latin-1, which Spanish needs; any other character is shown as
'?' rather than failing the print.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from acuerdo.agreement.schema import Provision
from acuerdo.domains.equipment.common import Seen
from acuerdo.node import Node

LANGS = ("es", "en")

LABELS: Mapping[str, Mapping[str, str]] = {
    "es": {
        "title": "Certificado de declaración aduanera",
        "subtitle": "Importación y exportación libres de derechos de aduana e impuestos",
        "number": "N.º",
        "agreement": "Acuerdo",
        "basis": "Base jurídica",
        "not_public": "texto no público",
        "public": "texto público",
        "party": "Parte declarante",
        "direction": "Sentido",
        "regime": "Régimen",
        "port": "Puerto o paso",
        "declared": "Fecha de declaración",
        "re_export_by": "Reexportar a más tardar el",
        "consignee": "Consignatario",
        "line": "Línea",
        "description": "Descripción",
        "quantity": "Cantidad",
        "serials": "Números de serie",
        "value": "Valor",
        "currency": "Moneda",
        "total": "Total",
        "status": "Situación aduanera",
        "decided": "Decisión del",
        "by": "por",
        "reason": "Motivo",
        "record": "Registro",
        "version": "Versión",
        "signed": "Firmado por el nodo de",
        "import": "Importación",
        "export": "Exportación",
        "temporary": "Temporal (a reexportar)",
        "permanent": "Definitiva",
        "re-export": "Reexportación",
        "pending": "Pendiente de decisión",
        "cleared": "Despachada (libre de derechos)",
        "held": "Retenida",
        "revoked": "DECLARACIÓN RETIRADA",
    },
    "en": {
        "title": "Customs declaration certificate",
        "subtitle": "Import and export free of customs duties and taxes",
        "number": "No.",
        "agreement": "Agreement",
        "basis": "Legal basis",
        "not_public": "wording not public",
        "public": "public wording",
        "party": "Declaring party",
        "direction": "Direction",
        "regime": "Regime",
        "port": "Port or crossing",
        "declared": "Declared on",
        "re_export_by": "Re-export by",
        "consignee": "Consignee",
        "line": "Line",
        "description": "Description",
        "quantity": "Quantity",
        "serials": "Serial numbers",
        "value": "Value",
        "currency": "Currency",
        "total": "Total",
        "status": "Customs status",
        "decided": "Decided on",
        "by": "by",
        "reason": "Reason",
        "record": "Record",
        "version": "Version",
        "signed": "Signed by the node of",
        "import": "Import",
        "export": "Export",
        "temporary": "Temporary (to be re-exported)",
        "permanent": "Permanent",
        "re-export": "Re-export",
        "pending": "Pending decision",
        "cleared": "Cleared (duty free)",
        "held": "Held",
        "revoked": "DECLARATION WITHDRAWN",
    },
}


def latin1(text: object) -> str:
    """Text the built-in fonts can draw."""
    return str(text).encode("latin-1", "replace").decode("latin-1")


def amount(value: float, lang: str) -> str:
    """2 decimals with the language's separators: 1,234.50 (en), 1.234,50 (es)."""
    text = f"{value:,.2f}"
    return text.translate(str.maketrans(",.", ".,")) if lang == "es" else text


class _Certificate(FPDF):
    def __init__(self, lang: str) -> None:
        super().__init__(format="A4")
        self.lang = lang
        self.set_auto_page_break(True, margin=15)

    def line_text(self, text: str, size: float = 10, style: str = "", h: float = 6) -> None:
        self.set_font("Helvetica", style, size)
        self.multi_cell(0, h, latin1(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def field(self, label: str, value: str) -> None:
        self.set_font("Helvetica", "B", 10)
        self.cell(55, 6, latin1(label + ":"))
        self.set_font("Helvetica", "", 10)
        self.multi_cell(0, 6, latin1(value), new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _items(pdf: _Certificate, t: Mapping[str, str], items: list[Mapping[str, Any]]) -> None:
    pdf.set_font("Helvetica", "", 8)
    widths = (12, 58, 18, 52, 30, 18)
    with pdf.table(col_widths=widths, text_align=("LEFT",) * 5 + ("CENTER",)) as table:
        header = table.row()
        for key in ("line", "description", "quantity", "serials", "value", "currency"):
            header.cell(latin1(t[key]))
        totals: dict[str, float] = {}
        for item in items:
            row = table.row()
            row.cell(str(item["line"]))
            row.cell(latin1(item["description"]))
            row.cell(latin1(f"{float(item['quantity']):g} {item.get('unit', '')}".strip()))
            row.cell(latin1(", ".join(item.get("serial_numbers", [])) or "-"))
            row.cell(amount(float(item["value"]), pdf.lang))
            row.cell(str(item["currency"]))
            totals[item["currency"]] = totals.get(item["currency"], 0.0) + float(item["value"])
        for currency, total in sorted(totals.items()):
            row = table.row()
            row.cell(latin1(t["total"]), colspan=4)
            row.cell(amount(total, pdf.lang))
            row.cell(currency)


def render_certificate(
    node: Node,
    seen: Seen,
    number: str,
    provision: Provision,
    decision: Seen | None,
    lang: str,
) -> bytes:
    """The certificate of one declaration version as PDF bytes."""
    t = LABELS[lang]
    b = seen.body
    agreement = node.agreement
    cite = agreement.citation(provision.basis)
    pdf = _Certificate(lang)
    pdf.set_title(latin1(f"{t['title']} {number}"))
    pdf.add_page()
    pdf.line_text(t["title"], 16, "B", 9)
    pdf.line_text(t["subtitle"], 11, "I")
    pdf.line_text(f"{t['number']} {number}", 13, "B", 9)
    if seen.version.revoked:
        pdf.line_text(t["revoked"], 12, "B")
    pdf.ln(2)
    pdf.field(t["agreement"], f"{agreement.model.agreement.title} ({agreement.id})")
    publicity = t["public"] if cite.public else t["not_public"]
    pdf.field(t["basis"], f"{provision.name}. Art. {cite.article}: {cite.title} ({publicity})")
    pdf.field(t["party"], agreement.party(seen.version.owner).name)
    pdf.field(t["direction"], t[str(b["direction"])])
    pdf.field(t["regime"], t[str(b["regime"])])
    pdf.field(t["port"], str(b["port"]["name"]))
    pdf.field(t["declared"], str(b["created"])[:10])
    if "re_export_by" in b:
        pdf.field(t["re_export_by"], str(b["re_export_by"]))
    if "consignee" in b:
        pdf.field(t["consignee"], str(b["consignee"]))
    pdf.ln(3)
    _items(pdf, t, list(b["items"]))
    pdf.ln(3)
    status = "pending" if decision is None else str(decision.body["outcome"])
    pdf.field(t["status"], t[status])
    if decision is not None:
        d = decision.body
        pdf.field(t["decided"], f"{str(d['created'])[:10]} {t['by']} {d['agency']}")
        if "reason" in d:
            pdf.field(t["reason"], str(d["reason"]))
    pdf.ln(3)
    pdf.line_text(f"{t['record']}: {seen.id}", 7, h=4)
    pdf.line_text(f"{t['version']}: {b['modified']}  SHA-256 {seen.version.sha256}", 7, h=4)
    pdf.line_text(f"{t['agreement']} SHA-256 {agreement.hash}", 7, h=4)
    pdf.line_text(f"{t['signed']} {seen.version.origin}", 7, h=4)
    return bytes(pdf.output())

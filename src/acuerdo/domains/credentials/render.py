"""A card as a QR code (PNG, SVG) and as a printable one-page card (PDF), in Spanish and English.

The QR code uses error correction level Q (25% of the symbol may be lost: a worn, creased
card still scans) and the alphanumeric mode Base45 was chosen for; segno picks the smallest
version that holds the code. The PDF shows the human-readable fields beside the QR code so
an officer without a reader can still compare name, date of birth and ID with the person.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime

import segno
from fpdf import FPDF
from fpdf.enums import XPos, YPos

from acuerdo.domains.credentials.claims import CardClaims

ERROR_LEVEL = "Q"
MAX_QR_VERSION = 15  # the worst case (docs/status-cards.md) must fit


def qr(code: str) -> segno.QRCode:
    """The QR code of a card code, at level Q exactly (never boosted, never Micro QR)."""
    return segno.make_qr(code, error=ERROR_LEVEL, boost_error=False)


def png(code: str, *, scale: int = 4) -> bytes:
    out = io.BytesIO()
    qr(code).save(out, kind="png", scale=scale, border=4)
    return out.getvalue()


def svg(code: str, *, scale: int = 4) -> bytes:
    out = io.BytesIO()
    qr(code).save(out, kind="svg", scale=scale, border=4, xmldecl=True)
    return out.getvalue()


def _latin1(text: str) -> str:
    """Core PDF fonts are Latin-1: Spanish accents pass, anything else becomes '?'."""
    return text.encode("latin-1", "replace").decode("latin-1")


def _fields(claims: CardClaims, category: str, status: str) -> list[tuple[str, str]]:
    def day(epoch: int) -> str:
        return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M UTC")

    return [
        ("Apellidos / Surnames", claims.family_names),
        ("Nombres / Given names", claims.given_names),
        ("Fecha de nacimiento / Date of birth", claims.birth_date),
        ("Documento (últimos 4) / National ID (last 4)", claims.id_last4),
        ("Categoría / Category", category),
        ("Estatus / Status", f"{status} (Art. {claims.article})"),
        ("Válida desde / Valid from", day(claims.valid_from)),
        ("Válida hasta / Valid until", day(claims.valid_until)),
        ("Emisor / Issuer", claims.issuer),
        ("Tarjeta / Card", claims.card_id_hex),
    ]


def pdf(
    claims: CardClaims, code: str, *, agreement_title: str, category: str, status: str
) -> bytes:
    """A one-page A4 card: title, bilingual fields, and the QR code.

    `category` and `status` are the texts of the positions the claims carry.
    """
    doc = FPDF(format="A4")
    doc.set_auto_page_break(False)
    doc.add_page()
    doc.set_font("Helvetica", "B", 15)
    doc.multi_cell(
        0, 8, _latin1("Tarjeta de estatus / Status card"), new_x=XPos.LMARGIN, new_y=YPos.NEXT
    )
    doc.set_font("Helvetica", "", 9)
    doc.multi_cell(0, 5, _latin1(agreement_title), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    doc.ln(3)
    for label, value in _fields(claims, category, status):
        doc.set_font("Helvetica", "", 8)
        doc.cell(0, 4, _latin1(label), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        doc.set_font("Helvetica", "B", 11)
        doc.multi_cell(0, 6, _latin1(value), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    image = io.BytesIO(png(code, scale=8))
    doc.image(image, x=55, y=doc.get_y() + 4, w=100)
    doc.set_y(282)
    doc.set_font("Helvetica", "", 7)
    note = (
        "Verifique el código QR con `acuerdo card verify` / "
        "Verify the QR code with `acuerdo card verify`"
    )
    doc.cell(0, 4, note)
    return bytes(doc.output())

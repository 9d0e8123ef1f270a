"""The shared-strings table reads to the same texts as openpyxl's own reader gives.

`read_shared_strings` replaces openpyxl's `read_string_table` for speed; openpyxl is the
reference here: random tables of plain texts, rich-text runs, phonetic runs, empty and
repeated elements and `x005F_` must read the same, and so must a whole workbook.
"""

from __future__ import annotations

import io
from datetime import date
from xml.sax.saxutils import escape

from hypothesis import example, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont
from openpyxl.reader.strings import read_string_table

from acuerdo.domains.personnel.xlsx_strings import open_workbook, read_shared_strings

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
OTHER = "urn:example:not-spreadsheetml"

_text = st.text(
    st.characters(blacklist_categories=("Cs", "Cc")) | st.sampled_from(" \t\nx005F_ñÁ"),
    max_size=12,
)


def _t(text: str | None, prefix: str = "") -> str:
    if text is None:
        return f"<{prefix}t/>"
    return f'<{prefix}t xml:space="preserve">{escape(text)}</{prefix}t>'


# A `t` element: empty, or a text, or in another namespace (openpyxl matches local names).
_t_element = st.builds(_t, st.none() | _text) | st.builds(
    lambda t: f'<o:t xmlns:o="{OTHER}">{escape(t)}</o:t>', _text
)
_child = st.one_of(
    _t_element,  # plain text (repeated: the last one counts)
    st.lists(_t_element, max_size=2).map(lambda ts: "<r><rPr><b/></rPr>" + "".join(ts) + "</r>"),
    st.builds(lambda t: f'<rPh sb="0" eb="1">{_t(t)}</rPh>', _text),  # phonetic: left out
    st.just('<phoneticPr fontId="1"/>'),
)
_item = st.lists(_child, max_size=4).map(lambda children: "<si>" + "".join(children) + "</si>")


def _table(items: list[str]) -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN}" count="{len(items)}">'
        + "".join(items)
        + "</sst>"
    ).encode()


@settings(max_examples=150, deadline=None)
@given(st.lists(_item, max_size=6))
@example(["<si><t>A_x005F_x000D_B</t></si>", "<si/>", "<si><t/></si>"])
@example(["<si><t>uno</t><t>dos</t></si>", "<si><r><t>a</t></r><t>b</t><r><t> c</t></r></si>"])
@example(['<si><t>漢字</t><rPh sb="0" eb="2"><t>かんじ</t></rPh></si>'])
def test_the_same_texts_as_openpyxl_reads(items: list[str]) -> None:
    data = _table(items)
    assert read_shared_strings(io.BytesIO(data)) == read_string_table(io.BytesIO(data))


def test_a_workbook_opens_to_the_same_cells_as_openpyxl_opens_it() -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Given names", "Family names", "Date of birth", "Count"])
    sheet.append(["José Luis", "Benítez", date(1980, 5, 17), 3])
    sheet.append([CellRichText("Ana ", TextBlock(InlineFont(b=True), "María"), " Paz"), "Ortiz"])
    sheet.append(["  spaced  ", "Ortiz", None, 2.5])
    sheet.append(["José Luis", "_x005F_x0041_", "1990-02-03", "=1+1"])
    buffer = io.BytesIO()
    book.save(buffer)
    data = buffer.getvalue()

    def cells(opened: Workbook) -> list[tuple[object, ...]]:
        try:
            return list(opened.worksheets[0].iter_rows(values_only=True))
        finally:
            opened.close()

    ours = cells(open_workbook(io.BytesIO(data)))
    assert ours == cells(load_workbook(io.BytesIO(data), read_only=True, data_only=True))
    assert ours[2][0] == "Ana María Paz"

"""The pipeline of a transfer programme as a Gantt-style picture, SVG or PNG, from its data.

One row per step. The grey bar is the plan (from the previous step's planned date to this
step's); the coloured bar is what happened (from the previous step's actual date to this
one's: green on time, red late, amber for the step under way, red once it is overdue). A
vertical line marks the day the picture is drawn for. Both formats draw the same layout,
and every SVG bar carries its stage and dates as data attributes.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from xml.sax.saxutils import escape, quoteattr

from PIL import Image, ImageDraw, ImageFont

from acuerdo.domains.equipment.transfers import ProgrammeStatus, StageStatus, summary

LEFT, TOP, ROW, BAR, WIDTH, RIGHT = 250, 70, 30, 10, 1000, 30
COLOURS = {
    "planned": "#c8cdd2",
    "done": "#2e7d32",
    "done-late": "#c62828",
    "open": "#f9a825",
    "late": "#c62828",
}


@dataclass(frozen=True)
class Bar:
    stage: str
    kind: str  # planned, done, done-late, open, late
    start: date
    end: date
    x: float
    y: float
    w: float
    h: float


@dataclass(frozen=True)
class Chart:
    title: str
    subtitle: str
    labels: list[tuple[str, float]]  # (text, y)
    bars: list[Bar]
    ticks: list[tuple[str, float]]  # (label, x)
    today_x: float
    height: int


def _span(steps: list[StageStatus], today: date) -> tuple[date, date]:
    days = [s.planned for s in steps] + [s.actual for s in steps if s.actual] + [today]
    return min(days) - timedelta(days=3), max(days) + timedelta(days=3)


def layout(status: ProgrammeStatus, today: date) -> Chart:
    """Where every bar, label and tick goes: the same for SVG and PNG."""
    steps = status.steps
    lo, hi = _span(steps, today)
    scale = (WIDTH - LEFT - RIGHT) / max((hi - lo).days, 1)

    def x(d: date) -> float:
        return LEFT + (d - lo).days * scale

    bars: list[Bar] = []
    labels: list[tuple[str, float]] = []
    prev_plan: date | None = None
    prev_actual: date | None = None
    for row, s in enumerate(steps):
        y = TOP + row * ROW
        labels.append((f"{s.stage} ({s.owner_party} {s.owner_agency})", y + ROW / 2))
        start = prev_plan or s.planned
        bars.append(_bar(s.stage, "planned", start, s.planned, x, y + 4))
        if s.actual is not None:
            bars.append(_bar(s.stage, s.state, prev_actual or s.actual, s.actual, x, y + 4 + BAR))
        elif s.state in ("open", "late") and prev_actual is not None:
            bars.append(_bar(s.stage, s.state, prev_actual, today, x, y + 4 + BAR))
        prev_plan, prev_actual = s.planned, s.actual
    ticks, month = [], date(lo.year, lo.month, 1)
    while month <= hi:
        if month >= lo:
            ticks.append((month.strftime("%Y-%m"), x(month)))
        month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    numbers = summary(steps)
    late = ", ".join(numbers["late"]) or "none"
    subtitle = f"{numbers['days_behind']} days behind plan; late: {late}; as of {today}"
    title = str(status.programme.body["title"])
    height = TOP + len(steps) * ROW + 20
    return Chart(title, subtitle, labels, bars, ticks, x(today), height)


def _bar(
    stage: str, kind: str, start: date, end: date, x: Callable[[date], float], y: float
) -> Bar:
    left, right = x(start), x(end)
    return Bar(stage, kind, start, end, left, y, max(right - left, 3.0), BAR)


def to_svg(chart: Chart) -> str:
    """The chart as a standalone SVG document."""
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{chart.height}" '
        f'viewBox="0 0 {WIDTH} {chart.height}" font-family="sans-serif" font-size="12">',
        f'<rect width="{WIDTH}" height="{chart.height}" fill="white"/>',
        f'<text class="title" x="10" y="22" font-size="16" font-weight="bold">'
        f"{escape(chart.title)}</text>",
        f'<text class="subtitle" x="10" y="42">{escape(chart.subtitle)}</text>',
    ]
    for label, x in chart.ticks:
        out.append(f'<line x1="{x:.1f}" y1="{TOP - 8}" x2="{x:.1f}" y2="{chart.height - 20}" '
                   'stroke="#eeeeee"/>')  # fmt: skip
        out.append(f'<text class="tick" x="{x + 2:.1f}" y="{TOP - 10}">{label}</text>')
    for text, y in chart.labels:
        out.append(f'<text class="label" x="10" y="{y + 4:.1f}">{escape(text)}</text>')
    for b in chart.bars:
        out.append(
            f'<rect class="bar {b.kind}" data-stage={quoteattr(b.stage)} data-kind="{b.kind}" '
            f'data-start="{b.start}" data-end="{b.end}" x="{b.x:.1f}" y="{b.y:.1f}" '
            f'width="{b.w:.1f}" height="{b.h}" fill="{COLOURS[b.kind]}"/>'
        )
    out.append(f'<line class="today" x1="{chart.today_x:.1f}" y1="{TOP - 8}" '
               f'x2="{chart.today_x:.1f}" y2="{chart.height - 20}" stroke="#1565c0"/>')  # fmt: skip
    out.append("</svg>")
    return "\n".join(out) + "\n"


def to_png(chart: Chart) -> bytes:
    """The chart as a PNG image (the same layout as the SVG)."""
    image = Image.new("RGB", (WIDTH, chart.height), "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default()
    draw.text((10, 8), chart.title, fill="black", font=font)
    draw.text((10, 30), chart.subtitle, fill="black", font=font)
    for label, x in chart.ticks:
        draw.line([(x, TOP - 8), (x, chart.height - 20)], fill="#eeeeee")
        draw.text((x + 2, TOP - 22), label, fill="black", font=font)
    for text, y in chart.labels:
        draw.text((10, y - 6), text, fill="black", font=font)
    for b in chart.bars:
        draw.rectangle([(b.x, b.y), (b.x + b.w, b.y + b.h)], fill=COLOURS[b.kind])
    draw.line([(chart.today_x, TOP - 8), (chart.today_x, chart.height - 20)], fill="#1565c0")
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()

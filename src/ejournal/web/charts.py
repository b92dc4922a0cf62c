"""Charts drawn on the server as inline SVG: values over weeks as a line (averages, 2 to 5) or
as bars (attendance, 0 to 100 %). No script, and no ``style`` (the pages' Content-Security-
Policy allows no inline style): colours and sizes are SVG presentation attributes. Each chart
is an image with its title and a description naming every value, and the page shows the same
figures in a table beside it; a week without a value leaves a gap.

Written here, not taken from a charting library: the ones that draw SVG in Python embed a
``<style>`` element (refused by the policy above) or draw through a plotting stack far
heavier than two kinds of chart need.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from html import escape

from markupsafe import Markup

WIDTH, HEIGHT = 640, 220
LEFT, RIGHT, TOP, BOTTOM = 40, 12, 12, 36
INK, GRID, LINE, BAR = "#1f2933", "#d5dbe1", "#1d5fa8", "#3f8f5a"


@dataclass(frozen=True)
class Point:
    label: str  # the week, as its axis names it (e.g. «16.11»)
    value: Decimal | float | None


def _x(index: int, count: int) -> float:
    span = WIDTH - LEFT - RIGHT
    return LEFT + (span * (index + 0.5) / count if count else 0)


def _y(value: float, low: float, high: float) -> float:
    return TOP + (HEIGHT - TOP - BOTTOM) * (high - float(value)) / (high - low)


def _frame(title: str, description: str, body: list[str], ticks: Sequence[float],
           low: float, high: float, unit: str, labels: Sequence[str]) -> Markup:
    parts = [f'<svg class="chart" role="img" viewBox="0 0 {WIDTH} {HEIGHT}" '
             f'width="100%" preserveAspectRatio="xMidYMid meet" '
             f'xmlns="http://www.w3.org/2000/svg">',
             f"<title>{escape(title)}</title><desc>{escape(description)}</desc>"]
    for tick in ticks:
        y = _y(tick, low, high)
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" '
                     f'stroke="{GRID}" stroke-width="1"/>')
        parts.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" '
                     f'font-size="11" fill="{INK}">{tick:g}{unit}</text>')
    every = max(1, -(-len(labels) // 12))  # at most a dozen labels under the axis
    for index, label in enumerate(labels):
        if index % every == 0:
            parts.append(f'<text x="{_x(index, len(labels)):.1f}" y="{HEIGHT - BOTTOM + 16}" '
                         f'text-anchor="middle" font-size="11" fill="{INK}">'
                         f"{escape(label)}</text>")
    parts.extend(body)
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text in it is escaped above


def _described(points: Sequence[Point], unit: str) -> str:
    return "; ".join(f"{p.label}: {_number(p.value)}{unit if p.value is not None else ''}"
                     for p in points)


def _number(value: Decimal | float | None) -> str:
    if value is None:
        return "нет данных"
    return f"{float(value):.2f}".rstrip("0").rstrip(".").replace(".", ",")


def line_chart(title: str, points: Sequence[Point], low: float = 2, high: float = 5
               ) -> Markup:
    """Values over weeks as a line with a dot per value, on a scale ``low``..``high``."""
    count = len(points)
    body: list[str] = []
    run: list[str] = []
    for index, point in enumerate([*points, Point("", None)]):
        if point.value is None:
            if len(run) > 1:
                body.append(f'<polyline fill="none" stroke="{LINE}" stroke-width="2" '
                            f'points="{" ".join(run)}"/>')
            run = []
            continue
        x, y = _x(index, count), _y(float(point.value), low, high)
        run.append(f"{x:.1f},{y:.1f}")
        body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{LINE}"/>')
    ticks = [float(t) for t in range(int(low), int(high) + 1)]
    return _frame(title, _described(points, ""), body, ticks, low, high, "",
                  [p.label for p in points])


def bar_chart(title: str, points: Sequence[Point]) -> Markup:
    """Percentages over weeks as bars, 0 to 100 %."""
    count = len(points)
    slot = (WIDTH - LEFT - RIGHT) / count if count else 0
    body = []
    for index, point in enumerate(points):
        if point.value is None:
            continue
        top = _y(float(point.value), 0, 100)
        body.append(f'<rect x="{_x(index, count) - slot * 0.35:.1f}" y="{top:.1f}" '
                    f'width="{slot * 0.7:.1f}" height="{HEIGHT - BOTTOM - top:.1f}" '
                    f'fill="{BAR}"/>')
    return _frame(title, _described(points, " %"), body, (0, 25, 50, 75, 100), 0, 100, "%",
                  [p.label for p in points])

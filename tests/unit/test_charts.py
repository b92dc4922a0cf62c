"""The reports' charts as SVG: a value per week, a gap where a week has none, every text
escaped, no script and no style (the pages' Content-Security-Policy allows neither inline)."""

from __future__ import annotations

import re
from decimal import Decimal

from ejournal.web.charts import HEIGHT, Point, bar_chart, line_chart


def test_a_line_breaks_where_a_week_has_no_value() -> None:
    svg = str(line_chart("Средний балл <7Б>", [Point("02.11", Decimal("3.5")),
                                             Point("09.11", None), Point("16.11", 4),
                                             Point("23.11", Decimal("4.25"))]))
    assert svg.startswith('<svg class="chart" role="img"')
    assert "<title>Средний балл &lt;7Б&gt;</title>" in svg
    assert "<desc>02.11: 3,5; 09.11: нет данных; 16.11: 4; 23.11: 4,25</desc>" in svg
    assert svg.count("<circle") == 3
    # the lone first value is a dot; the last two weeks are joined
    assert svg.count("<polyline") == 1
    assert "<script" not in svg
    assert "<style" not in svg
    assert " style=" not in svg


def test_bars_stand_on_the_axis_at_their_percentage() -> None:
    svg = str(bar_chart("Посещаемость", [Point("16.11", 100), Point("23.11", None),
                                         Point("30.11", 50)]))
    bars = re.findall(r'<rect x="[\d.]+" y="([\d.]+)" width="[\d.]+" height="([\d.]+)"', svg)
    assert len(bars) == 2
    (top_full, tall_full), (top_half, tall_half) = [(float(y), float(h)) for y, h in bars]
    assert top_full + tall_full == top_half + tall_half  # one baseline
    assert abs(tall_full - 2 * tall_half) < 0.2
    assert top_full + tall_full < HEIGHT
    assert "<desc>16.11: 100 %; 23.11: нет данных; 30.11: 50 %</desc>" in svg

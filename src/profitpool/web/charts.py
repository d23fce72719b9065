"""Line charts as inline SVG, drawn on the server: no script, no library, no network.

Values are exact integers (millionths of a CNY, i.e. a price with 6
decimals); coordinates are computed with integer arithmetic too.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..money import format_scaled, group_thousands

WIDTH = 720
HEIGHT = 240
PAD = 40


@dataclass(frozen=True)
class Series:
    name: str
    colour: str
    values: list[int]


def polyline_points(values: list[int], low: int, high: int) -> str:
    """SVG ``points`` for ``values`` spread over the chart's width, ``low``..``high`` tall."""
    span = max(1, high - low)
    count = len(values)
    points = []
    for position, value in enumerate(values):
        x = PAD + (position * (WIDTH - 2 * PAD)) // max(1, count - 1)
        y = HEIGHT - PAD - ((value - low) * (HEIGHT - 2 * PAD)) // span
        points.append(f"{x},{y}")
    return " ".join(points)


def line_chart(series: list[Series], labels: tuple[str, str], scale: int = 1_000_000,
               decimals: int = 6) -> dict[str, object]:
    """What the template needs to draw the chart (empty when there is nothing to draw).

    Values are integers in units of 1/``scale`` (a price in millionths, money in fen,
    points in ten-thousandths); the axis labels show them with ``decimals`` decimals.
    """
    values = [value for line in series for value in line.values]
    if not values:
        return {"empty": True}
    low, high = min(values), max(values)
    return {
        "empty": False, "width": WIDTH, "height": HEIGHT, "pad": PAD,
        "lines": [{"name": line.name, "colour": line.colour,
                   "points": polyline_points(line.values, low, high)} for line in series],
        "low_text": format_scaled(low, scale, decimals),
        "high_text": format_scaled(high, scale, decimals),
        "first": labels[0], "last": labels[1],
    }


# Bar charts by month (the merchant portal's analytics) ----------------------------------
#
# Drawn for a phone: the viewBox is about as wide as a phone's column (360 units for
# 358 px at 390 px), so a label of BAR_FONT units is drawn at about BAR_FONT px there,
# and never under 12 px while the chart's box is at least 310 px wide (site.css keeps
# it so). The y axis always starts at 0 (bars measure from it); gridlines at round
# values; month labels thinned so that they never overlap.

BAR_WIDTH = 360
BAR_HEIGHT = 220
BAR_LEFT = 62
BAR_RIGHT = 26
"""Room for half the newest month's label past its bar."""
BAR_TOP = 24
"""Room for the value written over the tallest bar."""
BAR_BOTTOM = 30
BAR_FONT = 14
BAR_LABEL_SPACE = 64
BAR_CHAR_WIDTH = 9
"""Units of width a character of a value needs at BAR_FONT (digits are about 8)."""
"""Units of width a month label needs ("2026-03" at BAR_FONT, with room either side)."""
BAR_TICKS = 5
"""At most this many gridlines above 0."""


@dataclass(frozen=True)
class Bars:
    """One series of a bar chart: a value a month (None: nothing to draw that month)."""

    name: str
    colour: str
    values: list[int | None]


def nice_step(high: int, ticks: int = BAR_TICKS) -> int:
    """The smallest round step (1, 2, 2.5 or 5 × 10^k, in whole units) with which at most
    ``ticks`` gridlines reach ``high``."""
    power = 1
    while True:
        for factor in (10, 20, 25, 50):
            step = factor * power // 10
            if step and step * ticks >= high:
                return step
        power *= 10


def axis_text(value: int, unit: str, step: int) -> str:
    """A value as an axis or a bar shows it: ``count`` as is, ``fen`` in yuan (decimals
    only when the step needs them), ``permille`` as a percentage."""
    if unit == "fen":
        if step % 100 == 0:
            return "¥" + f"{value // 100:,}"
        return "¥" + group_thousands(format_scaled(value, 100, 2))
    if unit == "permille":
        return f"{value // 10}%" if step % 10 == 0 else f"{value // 10}.{value % 10}%"
    return f"{value:,}"


def month_bar_chart(months: list[str], series: list[Bars], unit: str = "count"
                    ) -> dict[str, object]:
    """What ``chart.html``'s ``bar_chart`` needs: one bar a month, the series stacked,
    each month's total written over its bar while there is room for it (empty when
    there is no month or no value). ``unit`` is ``count``, ``fen`` or ``permille``
    (tenths of a percent)."""
    if not months or all(line.values[position] is None for line in series
                         for position in range(len(months))):
        return {"empty": True}
    totals = [None if all(line.values[position] is None for line in series)
              else sum(line.values[position] or 0 for line in series)
              for position in range(len(months))]
    step = nice_step(max(total or 0 for total in totals))
    count = max(1, -(-max(total or 0 for total in totals) // step))
    top = step * count
    plot_width = BAR_WIDTH - BAR_LEFT - BAR_RIGHT
    plot_height = BAR_HEIGHT - BAR_TOP - BAR_BOTTOM
    base = BAR_TOP + plot_height
    slot = plot_width * 1000 // len(months)  # thousandths of a unit: many months stay even
    bar = max(1, slot * 7 // 10 // 1000)
    every = max(1, -(-BAR_LABEL_SPACE * 1000 // slot))
    ticks = [{"y": base - plot_height * k // count, "text": axis_text(step * k, unit, step)}
             for k in range(count + 1)]
    rects = []
    labels = []
    values: list[dict[str, object]] = []
    for position, month in enumerate(months):
        middle = BAR_LEFT + (slot * position + slot // 2) // 1000
        below = 0
        for line in series:
            value = line.values[position]
            if value:
                low = base - plot_height * below // top
                high = base - plot_height * (below + value) // top
                rects.append({"x": middle - bar // 2, "y": high, "width": bar,
                              "height": max(1, low - high), "colour": line.colour,
                              "title": f"{month} {line.name}: {axis_text(value, unit, 1)}"})
                below += value
        total = totals[position]
        if total is not None:
            values.append({"x": middle, "y": base - plot_height * total // top - 5,
                           "text": axis_text(total, unit, 1)})
        if (len(months) - 1 - position) % every == 0:  # the newest month always labelled
            labels.append({"x": middle, "text": month})
    # Each month's total over its bar, when every one fits its month's slot.
    if max(len(str(value["text"])) for value in values) * BAR_CHAR_WIDTH > slot // 1000 - 4:
        values = []
    return {"empty": False, "width": BAR_WIDTH, "height": BAR_HEIGHT, "font": BAR_FONT,
            "left": BAR_LEFT, "right": BAR_WIDTH - BAR_RIGHT, "base": base,
            "label_y": BAR_HEIGHT - 8, "ticks": ticks, "bars": rects, "labels": labels,
            "totals": values,
            "series": [{"name": line.name, "colour": line.colour} for line in series]}

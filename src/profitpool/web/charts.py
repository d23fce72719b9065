"""Line charts as inline SVG, drawn on the server: no script, no library, no network.

Values are exact integers (millionths of a CNY, i.e. a price with 6
decimals); coordinates are computed with integer arithmetic too.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..money import format_scaled

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

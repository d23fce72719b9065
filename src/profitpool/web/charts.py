"""Line charts as inline SVG, drawn on the server: no script, no library, no network.

Values are exact integers in units of 1/``scale`` (a price in millionths of a
CNY, money in fen, points in ten-thousandths); coordinates are computed with
integer arithmetic too. A chart is drawn twice, wide (for a laptop) and narrow
(for a phone), and the page's CSS shows one: an SVG scales its text with its
width, so one drawing cannot keep its labels at 12 px or more both on a 390-px
phone and on a 1366-px screen.

Each drawing has gridlines, a value axis whose ticks are round numbers and
which starts at 0 where the values are near it (else the chart says where it
starts: ``zero_based`` is False and ``base_text`` names the base), and, for
:func:`time_chart`, a time axis in Asia/Shanghai time with ticks on round
minutes, hours, days or months.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ..money import format_scaled, group_thousands
from ..times import MICROS_PER_SECOND, display_time, month_start, shanghai_month

WIDTH = 720
HEIGHT = 240
PAD = 40


@dataclass(frozen=True)
class Series:
    name: str
    colour: str
    values: list[int]


@dataclass(frozen=True)
class Frame:
    """One drawing's size in SVG units, its plot area's margins and its label size."""

    kind: str
    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int
    font: int
    x_ticks: int
    """At most this many labels on the time axis."""
    y_ticks: int
    """About this many gridlines on the value axis."""


WIDE = Frame("wide", 720, 260, 8, 12, 14, 30, 13, 6, 5)
NARROW = Frame("narrow", 360, 230, 6, 8, 14, 30, 13, 3, 4)
"""Shown below 760 px of screen (site.css): 360 units drawn 358 px or wider on a phone,
so 13-unit labels stay at least 12 px."""
FRAMES = (WIDE, NARROW)

SECOND = MICROS_PER_SECOND
MINUTE = 60 * SECOND
HOUR = 60 * MINUTE
DAY = 24 * HOUR
_STEPS = (SECOND, 2 * SECOND, 5 * SECOND, 10 * SECOND, 15 * SECOND, 30 * SECOND,
          MINUTE, 2 * MINUTE, 5 * MINUTE, 10 * MINUTE, 15 * MINUTE, 30 * MINUTE,
          HOUR, 2 * HOUR, 3 * HOUR, 6 * HOUR, 12 * HOUR, DAY, 2 * DAY, 7 * DAY)
_MONTH_STEPS = (1, 2, 3, 6, 12)
_EPOCH_IN_SHANGHAI = datetime(1970, 1, 1, 8)
"""The Unix epoch on a Shanghai clock (UTC+08:00 all year: times.py)."""


def local(micros: int) -> datetime:
    """Epoch microseconds as a naive Asia/Shanghai date and time."""
    return _EPOCH_IN_SHANGHAI + timedelta(microseconds=micros)


def line_chart(series: list[Series], labels: tuple[str, str], scale: int = 1_000_000,
               decimals: int = 6, prefix: str = "") -> dict[str, Any]:
    """A chart of values evenly spaced, first to last (the time axis is :func:`time_chart`);
    ``labels`` name the first and the last point.

    Values are integers in units of 1/``scale``; the value axis shows them with at most
    ``decimals`` decimals (as many as its round steps need), after ``prefix`` ("¥").
    Returns what the ``line_chart`` macro of chart.html draws ({"empty": True} when there
    is nothing to draw).
    """
    count = max((len(line.values) for line in series), default=0)
    if count == 0:
        return {"empty": True}
    positions = list(range(count))
    ticks = [(0, labels[0]), (count - 1, labels[1])] if count > 1 else [(0, labels[0])]
    return _chart(series, positions, ticks, scale, decimals, prefix, labels)


def time_chart(series: list[Series], times_us: list[int], scale: int = 1_000_000,
               decimals: int = 6, prefix: str = "") -> dict[str, Any]:
    """A chart of values over time: each series' values at ``times_us`` (epoch
    microseconds, ascending), placed by time, with round time ticks in Asia/Shanghai time.
    Otherwise as :func:`line_chart`."""
    if not times_us or not any(line.values for line in series):
        return {"empty": True}
    first, last = times_us[0], times_us[-1]
    labels = (display_time(first), display_time(last))
    return _chart(series, times_us, None, scale, decimals, prefix, labels)


def _chart(series: list[Series], positions: list[int], ticks: list[tuple[int, str]] | None,
           scale: int, decimals: int, prefix: str, labels: tuple[str, str]) -> dict[str, Any]:
    values = [value for line in series for value in line.values]
    low, high = min(values), max(values)
    drawings = []
    axis: tuple[int, int, int] | None = None
    for frame in FRAMES:
        base, top, step = value_axis(low, high, frame.y_ticks)
        axis = axis or (base, top, step)
        x_ticks = ticks if ticks is not None else time_ticks(positions[0], positions[-1],
                                                             frame.x_ticks)
        drawings.append(_drawing(frame, series, positions, x_ticks, base, top, step, scale,
                                 decimals, prefix))
    assert axis is not None
    base = axis[0]
    return {
        "empty": False, "drawings": drawings,
        "lines": [{"name": line.name, "colour": line.colour,
                   "last_text": prefix + _number(line.values[-1], scale, decimals)
                   if line.values else ""} for line in series],
        "zero_based": base == 0,
        "base_text": prefix + _number(base, scale, _decimals_for(axis[2], scale, decimals)),
        "first": labels[0], "last": labels[1],
        # the chart's first drawing, as the macro drew it before there were two
        "width": WIDE.width, "height": WIDE.height, "pad": PAD,
        "low_text": _number(low, scale, decimals), "high_text": _number(high, scale, decimals),
    }


def _drawing(frame: Frame, series: list[Series], positions: list[int],
             x_ticks: list[tuple[int, str]], base: int, top: int, step: int, scale: int,
             decimals: int, prefix: str) -> dict[str, Any]:
    left, right = frame.left, frame.width - frame.right
    upper, lower = frame.top, frame.height - frame.bottom
    start, end = positions[0], positions[-1]
    span = end - start

    def x_of(position: int) -> int:
        if span <= 0:
            return (left + right) // 2
        return left + (position - start) * (right - left) // span

    def y_of(value: int) -> int:
        return lower - (value - base) * (lower - upper) // (top - base)

    shown_decimals = _decimals_for(step, scale, decimals)
    grid = [{"y": y_of(value), "text": prefix + _number(value, scale, shown_decimals)}
            for value in range(base, top + 1, step)]
    lines = []
    for line in series:
        points = [(x_of(position), y_of(value))
                  for position, value in zip(positions, line.values, strict=False)]
        lines.append({"name": line.name, "colour": line.colour,
                      "points": " ".join(f"{x},{y}" for x, y in points),
                      "end": points[-1] if points else None})
    ticks = []
    for position, text in x_ticks:
        x = x_of(position)
        anchor = "middle"
        half = len(text) * frame.font * 3 // 10  # about half the label's width
        if x - half < left:
            anchor = "start"
        elif x + half > right:
            anchor = "end"
        ticks.append({"x": x, "text": text, "anchor": anchor})
    return {"kind": frame.kind, "width": frame.width, "height": frame.height,
            "left": left, "right": right, "top": upper, "bottom": lower, "font": frame.font,
            "grid": grid, "ticks": ticks, "lines": lines, "zero_based": base == 0}


def value_axis(low: int, high: int, ticks: int) -> tuple[int, int, int]:
    """(base, top, step) of a value axis over ``low``..``high`` with about ``ticks`` round
    steps (1, 2 or 5 times a power of ten). It starts at 0 when the values are not
    negative and the lowest is at most half the highest (or all are equal): a line then
    shows its true size. Otherwise at the round step below the lowest value."""
    zero_based = low >= 0 and (low * 2 <= high or low == high)
    bottom = 0 if zero_based else low
    span = high - bottom
    if span <= 0:
        span = max(abs(high) // 10, 1)
    step = _round_step(-(-span // ticks))
    base = 0 if zero_based else (low // step) * step
    top = -(-high // step) * step
    if top <= base:
        top = base + step
    return base, top, step


def _round_step(raw: int) -> int:
    magnitude = int(10 ** (len(str(max(raw, 1))) - 1))
    for multiple in (1, 2, 5, 10):
        if multiple * magnitude >= raw:
            return multiple * magnitude
    return 10 * magnitude


def _decimals_for(step: int, scale: int, decimals: int) -> int:
    """Decimals a tick needs: none for a step of whole units, else down to the step's
    last non-zero digit (at most ``decimals``)."""
    needed = len(str(scale)) - 1
    while needed > 0 and step % 10 == 0:
        step //= 10
        needed -= 1
    return min(needed, decimals)


def _number(value: int, scale: int, decimals: int) -> str:
    """``value``/``scale`` truncated to ``decimals`` decimals, thousands grouped."""
    sign = "-" if value < 0 else ""
    truncated = abs(value) * 10**decimals // scale
    whole, fraction = divmod(truncated, 10**decimals)
    text = f"{whole}.{fraction:0{decimals}d}" if decimals else str(whole)
    return sign + group_thousands(text)


def time_ticks(first: int, last: int, most: int) -> list[tuple[int, str]]:
    """Round moments between ``first`` and ``last`` (epoch microseconds), two to ``most``
    of them, each with its label in Asia/Shanghai time: 'YYYY-MM' on months, 'MM-DD' on
    days, 'HH:MM' within a day ('MM-DD HH:MM' if the span has several days). Moments too
    close for any round step are labelled as they are."""
    if last <= first:
        return [(first, display_time(first))]
    same_day = local(first).date() == local(last).date()
    for step in _STEPS:
        if (last - first) // step > most:
            continue  # more ticks than allowed: do not list them
        found = _fixed_ticks(first, last, step)
        if 2 <= len(found) <= most:
            return [(moment, _tick_text(moment, step, same_day)) for moment in found]
    for months in _MONTH_STEPS:
        if (last - first) // (28 * DAY * months) > most + 1:
            continue
        found = _month_ticks(first, last, months)
        if 2 <= len(found) <= most:
            return [(moment, local(moment).strftime("%Y-%m")) for moment in found]
    years = _month_ticks(first, last, 12)
    if len(years) > most:
        stride = -(-len(years) // most)
        return [(moment, local(moment).strftime("%Y")) for moment in years[::stride]]
    return _ends(first, last)


def _ends(first: int, last: int) -> list[tuple[int, str]]:
    if last - first < MINUTE:
        return [(first, local(first).strftime("%H:%M:%S")),
                (last, local(last).strftime("%H:%M:%S"))]
    return [(first, display_time(first)), (last, display_time(last))]


def _fixed_ticks(first: int, last: int, step: int) -> list[int]:
    offset = 8 * HOUR  # round in Shanghai time: a day starts at 00:00 there
    moment = -(-(first + offset) // step) * step - offset
    found = []
    while moment <= last:
        found.append(moment)
        moment += step
    return found


def _month_ticks(first: int, last: int, months: int) -> list[int]:
    year, month = shanghai_month(first)
    found: list[int] = []
    number = year * 12 + month - 1
    number = -(-number // months) * months
    while True:
        moment = month_start(number // 12, number % 12 + 1)
        if moment > last:
            return found
        if moment >= first:
            found.append(moment)
        number += months


def _tick_text(moment: int, step: int, same_day: bool) -> str:
    when = local(moment)
    if step >= DAY:
        return when.strftime("%m-%d")
    if step < MINUTE:
        return when.strftime("%H:%M:%S")
    return when.strftime("%H:%M" if same_day else "%m-%d %H:%M")


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

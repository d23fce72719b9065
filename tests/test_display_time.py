"""Times on pages: minutes (or seconds) in Asia/Shanghai, never microseconds."""

from __future__ import annotations

from profitpool.times import display_time, parse_time
from profitpool.web.pages import templates


def test_a_moment_is_shown_in_shanghai_to_the_minute_or_the_second() -> None:
    moment = parse_time("2026-07-22T05:43:05.123456Z")  # 13:43 in Shanghai
    assert display_time(moment) == "2026-07-22 13:43"
    assert display_time(moment, seconds=True) == "2026-07-22 13:43:05"
    assert display_time("2026-12-31T23:59:59.999999+08:00") == "2026-12-31 23:59"
    assert display_time("2026-12-31T16:00:00Z") == "2027-01-01 00:00"
    assert display_time(None) == display_time("") == ""


def test_the_pages_filters_show_times_and_points_so() -> None:
    page = templates.env.from_string("{{ at | when }} · {{ at | when_s }} · {{ n | points }}")
    assert page.render(at="2026-07-22T13:43:05.5+08:00", n="1234567.8900") == (
        "2026-07-22 13:43 · 2026-07-22 13:43:05 · 1,234,567.8900")

"""Units and rounding: the one place strings become numbers."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from profitpool.errors import Rejected
from profitpool.money import (
    INDEX_SCALE,
    format_cny,
    format_fen,
    format_index,
    format_percent,
    format_points,
    format_price,
    format_rational,
    parse_decimal,
    parse_money,
    parse_points,
    points_for_shares,
    price_micro,
    round_half_up,
    shares_for_points,
)
from profitpool.times import format_period


@given(st.integers(min_value=0, max_value=10**18 - 1))
def test_money_round_trips(fen: int) -> None:
    assert parse_money(format_fen(fen)) == fen


@given(st.integers(min_value=-10**30, max_value=10**30))
def test_money_is_written_as_the_exact_decimal(fen: int) -> None:
    sign = "-" if fen < 0 else ""
    whole, frac = divmod(abs(fen), 100)
    assert format_fen(fen) == f"{sign}{whole}.{frac:02d}"


@pytest.mark.parametrize(("fen", "text"), [
    (0, "0.00"), (7, "0.07"), (99, "0.99"), (100, "1.00"), (1660, "16.60"), (-5, "-0.05"),
    (-1660, "-16.60"),
])
def test_money_examples(fen: int, text: str) -> None:
    assert format_fen(fen) == text


@given(st.integers(min_value=1, max_value=10**18 - 1))
def test_points_round_trip(units: int) -> None:
    assert parse_points(format_points(units)) == units


@pytest.mark.parametrize(
    ("text", "fen"), [("3", 300), ("3.5", 350), ("0.07", 7), ("100.00", 10000)]
)
def test_money_accepts_up_to_two_decimals(text: str, fen: int) -> None:
    assert parse_money(text) == fen


@pytest.mark.parametrize("text", ["3.", ".5", "1.234", "+1", "1,00", "١٢", "1_000", "0x10", ""])
def test_money_refuses_anything_else(text: str) -> None:
    with pytest.raises(Rejected):
        parse_money(text)


def test_round_half_up_is_si_she_wu_ru() -> None:
    assert [round_half_up(n, 10) for n in (14, 15, 25, 35, 16)] == [1, 2, 3, 4, 2]


@given(points=st.integers(min_value=1, max_value=10**12),
       index=st.integers(min_value=1, max_value=INDEX_SCALE))
def test_minted_points_show_exactly_at_any_index(points: int, index: int) -> None:
    assert points_for_shares(shares_for_points(points, index), index) == points


@given(a=st.integers(min_value=1, max_value=10**10), b=st.integers(min_value=1, max_value=10**10),
       index=st.integers(min_value=1, max_value=INDEX_SCALE))
def test_spending_shown_points_leaves_the_exact_remainder(a: int, b: int, index: int) -> None:
    held = shares_for_points(a + b, index)
    assert points_for_shares(held - shares_for_points(a, index), index) == b


def test_price_is_truncated_to_six_decimals() -> None:
    assert price_micro(600, 21 * 10**24, INDEX_SCALE) == 285_714
    assert price_micro(600, 0, INDEX_SCALE) == 0


def test_rationals_print_exactly() -> None:
    assert format_rational(parse_decimal("0.210", "invalid_rules")) == "0.21"
    assert format_rational((1, 3)) == "0.333333333333"
    assert format_rational((3, 1)) == "3"


@pytest.mark.parametrize(("value", "shown", "half_up"), [
    (Fraction(1, 4), "25.0%", "25.0%"), (Fraction(1225, 10_000), "12.2%", "12.3%"),
    (Fraction(-1, 3), "-33.3%", "-33.3%"), (Fraction(-1225, 10_000), "-12.2%", "-12.3%"),
    (Fraction(-4, 100_000), "0.0%", "0.0%"), (Fraction(999_951, 1_000_000), "99.9%", "100.0%"),
    (0, "0.0%", "0.0%"), (3, "300.0%", "300.0%"),
])
def test_percentages_truncate_toward_zero_unless_asked_to_round_half_up(
        value: Fraction | int, shown: str, half_up: str) -> None:
    assert format_percent(value) == shown
    assert format_percent(value, half_up=True) == half_up


def test_each_unit_has_one_formatter() -> None:
    assert format_cny(-123_456_789) == "-1,234,567.89" and format_cny(5) == "0.05"
    assert format_price(349_694) == "0.349694" and format_price(-1_500) == "-0.001500"
    assert format_index(99 * 10**22) == "0.990000000000"
    assert format_index(99 * 10**22 + 1, 24) == "0.990000000000000000000001"
    assert format_period((2026, 1)) == "2026-01"
    assert format_percent(Fraction(1, 8), 2) == "12.50%"
    assert format_percent(Fraction(1, 5), 0) == "20%"

"""Units, parsing and rounding: the only place strings become numbers and back.

Every amount inside profitpool is an ``int`` in a fixed unit:

=================  ==========================================================
money              fen (0.01 CNY)
points             ``POINT_UNIT`` = 0.0001 point (points are shown with 4
                   decimals, truncated)
shares             ``SHARE_SCALE`` units per share (10^24: a 0.0001-point
                   holding still carries 20 significant digits)
index              ``INDEX_SCALE`` units per 1.0 (10^24); points = shares x index
rates, multiples   exact rationals ``(numerator, denominator)`` parsed from
                   decimal strings, never floats
=================  ==========================================================

Parsers raise :class:`~profitpool.errors.Rejected` with the code the caller
names, so ``parse_money(text, "invalid_profit")`` reads like the rule it
checks.
"""

from __future__ import annotations

from fractions import Fraction
from math import gcd
from typing import Final

from .errors import Rejected

FEN_PER_YUAN: Final = 100
POINT_DECIMALS: Final = 4
POINT_UNIT: Final = 10**POINT_DECIMALS  # point units per point
SHARE_SCALE: Final = 10**24  # share units per share
INDEX_SCALE: Final = 10**24  # index units per 1.0
PRICE_DECIMALS: Final = 6
INDEX_DECIMALS: Final = 12

# point units = shares x index / POINTS_DIVISOR; 12-decimal points = shares x index / _NOISE_DIVISOR
POINTS_DIVISOR: Final = SHARE_SCALE * INDEX_SCALE // POINT_UNIT
_NOISE_DIVISOR: Final = SHARE_SCALE * INDEX_SCALE // 10**12
_POINT_UNITS_PER_12_DECIMALS: Final = 10**8

# At most 16 digits before the point: far above any real amount, and a hostile
# ten-thousand-digit string is refused before any big-int conversion.
_MAX_WHOLE_DIGITS: Final = 16

Rational = tuple[int, int]  # (numerator, denominator), denominator > 0


def parse_money(text: object, code: str = "invalid_amount") -> int:
    """Parse a decimal string with at most 2 decimals into fen (>= 0).

    Raises:
        Rejected(code): not a string, a sign, an exponent, too many decimals.
    """
    return _parse_units(text, 2, code, '"100.00"')


def parse_points(text: object, code: str = "invalid_points") -> int:
    """Parse a positive decimal string with at most 4 decimals into point units.

    Raises:
        Rejected(code): malformed, or zero.
    """
    units = _parse_units(text, POINT_DECIMALS, code, '"10.5"')
    if units == 0:
        raise Rejected(code, "points must be more than zero")
    return units


def parse_decimal(text: object, code: str) -> Rational:
    """Parse a non-negative decimal string (at most 12 decimals) into a reduced rational.

    Raises:
        Rejected(code): not a string or not a plain decimal.
    """
    return reduce_rational(_parse_units(text, 12, code, '"0.3"'), 10**12)


def _parse_units(text: object, decimals: int, code: str, example: str) -> int:
    """``text`` ("123" or "123.4", ASCII digits, at most ``decimals`` decimals) x 10^decimals.

    ``str.isdigit`` alone would accept any Unicode digit ("١٢"), hence isascii.
    """
    if type(text) is not str:
        raise Rejected(code, f"expected a decimal string like {example}, not {text!r}")
    whole, dot, frac = text.partition(".")
    if (
        whole.isascii() and whole.isdigit() and len(whole) <= _MAX_WHOLE_DIGITS
        and (not dot or (frac.isascii() and frac.isdigit() and len(frac) <= decimals))
    ):
        scaled: int = int(whole) * 10**decimals
        if dot:
            scaled += int(frac) * 10 ** (decimals - len(frac))
        return scaled
    if text.startswith("-"):
        raise Rejected(code, f"{text!r} is negative")
    raise Rejected(code, f"{text!r} is not a decimal with at most {decimals} decimals")


def reduce_rational(numerator: int, denominator: int) -> Rational:
    """Return ``numerator/denominator`` in lowest terms."""
    divisor = gcd(numerator, denominator)
    return numerator // divisor, denominator // divisor


def round_half_up(numerator: int, denominator: int) -> int:
    """Round a non-negative rational to the nearest integer, halves up (四舍五入)."""
    return (2 * numerator + denominator) // (2 * denominator)


def format_fen(fen: int) -> str:
    """Fen as a decimal string with 2 decimals: 1660 -> '16.60'.

    Slices the integer's digits (twice as fast as divmod and a format spec;
    every log entry writes several amounts).
    """
    if fen >= FEN_PER_YUAN:
        digits = str(fen)
        return f"{digits[:-2]}.{digits[-2:]}"
    if fen >= 0:
        return f"0.{fen:02d}"
    return "-" + format_fen(-fen)


def group_thousands(decimal: str) -> str:
    """A decimal string with its whole part in groups of three: "-12345.60" -> "-12,345.60"."""
    whole, dot, fraction = decimal.partition(".")
    sign = "-" if whole.startswith("-") else ""
    digits = whole.lstrip("-")
    groups: list[str] = []
    while len(digits) > 3:
        groups.insert(0, digits[-3:])
        digits = digits[:-3]
    groups.insert(0, digits)
    return sign + ",".join(groups) + dot + fraction


def format_cny(fen: int) -> str:
    """Fen as CNY with thousands separators, for people: -1234560 -> '-12,345.60'."""
    return group_thousands(format_fen(fen))


def format_price(micro: int) -> str:
    """A price (CNY per point) in millionths, with 6 decimals: 349694 -> '0.349694'.

    Negative only for a change of price: -1500 -> '-0.001500'.
    """
    if micro < 0:
        return "-" + format_scaled(-micro, 1_000_000, PRICE_DECIMALS)
    return format_scaled(micro, 1_000_000, PRICE_DECIMALS)


def format_index(index_units: int, decimals: int = INDEX_DECIMALS) -> str:
    """The index (points per share, in 1/10^24), truncated: 12 decimals as shown, 24 exact."""
    return format_scaled(index_units, INDEX_SCALE, decimals)


def format_percent(value: Fraction | int, decimals: int = 1, *, half_up: bool = False) -> str:
    """A ratio as a percentage: 1/4 -> '25.0%', -1/3 -> '-33.3%'.

    Truncated toward zero, like the figures of the pages and the simulator; with
    ``half_up`` rounded half away from zero (四舍五入), as the monthly disclosure
    shows shares of the whole (0.1225 -> '12.3%').
    """
    scaled = Fraction(value) * 100 * 10**decimals
    if half_up:
        units = int(abs(scaled) + Fraction(1, 2)) * (-1 if scaled < 0 else 1)
    else:
        units = int(scaled)  # int() truncates toward zero
    sign = "-" if units < 0 else ""
    whole, rest = divmod(abs(units), 10**decimals)
    return f"{sign}{whole}.{rest:0{decimals}d}%" if decimals else f"{sign}{whole}%"


def format_points(point_units: int) -> str:
    """Point units as a decimal string with 4 decimals: 108900 -> '10.8900'."""
    whole, frac = divmod(point_units, POINT_UNIT)
    return f"{whole}.{frac:04d}"


def format_scaled(value: int, scale: int, decimals: int) -> str:
    """A non-negative fixed-point value truncated to ``decimals`` decimals."""
    truncated = value * 10**decimals // scale
    whole, frac = divmod(truncated, 10**decimals)
    return f"{whole}.{frac:0{decimals}d}"


def format_rational(value: Rational, decimals: int = 12) -> str:
    """A rule value as the shortest decimal string that is exact, else truncated."""
    numerator, denominator = value
    for places in range(decimals + 1):
        scaled = numerator * 10**places
        if scaled % denominator == 0:
            text = str(scaled // denominator).rjust(places + 1, "0")
            return text if places == 0 else f"{text[:-places]}.{text[-places:]}"
    return format_scaled(numerator, denominator, decimals)


def shares_for_points(point_units: int, index_units: int) -> int:
    """Shares that hold ``point_units`` at this index: points / index, rounded to nearest.

    The same rounding on the way in (mint) and out (withdraw, pay, ...) means
    that spending exactly the points a lot was minted with empties it.
    """
    # round_half_up(point_units x POINTS_DIVISOR / index_units), inlined: a hot path
    return (2 * point_units * POINTS_DIVISOR + index_units) // (2 * index_units)


def points_for_shares(shares: int, index_units: int) -> int:
    """Displayed point units of a holding: shares x index, truncated to 4 decimals.

    The product is first rounded to 12 decimals, which removes the fixed-point
    noise of shares (< 10^-20 point) so that, for example, 42 - 5/0.99 shares
    at index 0.99 show as 36.5800 points, as exact arithmetic says, not 36.5799.
    """
    twelve_decimals = (2 * shares * index_units + _NOISE_DIVISOR) // (2 * _NOISE_DIVISOR)
    return twelve_decimals // _POINT_UNITS_PER_12_DECIMALS


def price_micro(pool_fen: int, total_shares: int, index_units: int) -> int:
    """The price in millionths of a CNY per point, truncated; 0 with no shares."""
    if total_shares == 0:
        return 0
    # (pool/100) / (shares/S * index/I) * 10^6
    return pool_fen * SHARE_SCALE * INDEX_SCALE * 10**4 // (total_shares * index_units)

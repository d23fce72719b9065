"""Time as the rules see it: integer microseconds since the Unix epoch (UTC).

Commands carry ISO 8601 times with an offset; days and months are counted in
Asia/Shanghai time. China has kept UTC+08:00 all year since 1991, so the
calendar is a fixed offset here: no time-zone database is consulted and the
answer is the same on every machine.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from functools import lru_cache
from typing import Final

from .errors import Rejected

MICROS_PER_SECOND: Final = 1_000_000
MICROS_PER_DAY: Final = 86_400 * MICROS_PER_SECOND
SHANGHAI_OFFSET_MICROS: Final = 8 * 3600 * MICROS_PER_SECOND
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_ORDINAL: Final = _EPOCH.toordinal()
_PERIOD_RE: Final = re.compile(r"([0-9]{4})-(0[1-9]|1[0-2])")

SHANGHAI: Final = timezone(timedelta(hours=8))
"""Asia/Shanghai: a fixed UTC+08:00 (no daylight saving since 1991)."""
_SHANGHAI: Final = SHANGHAI
EARLIEST_TIME: Final = (datetime(1, 1, 1, tzinfo=_SHANGHAI) - _EPOCH) // timedelta(microseconds=1)
"""0001-01-01T00:00:00+08:00: the first moment the log can write (ISO 8601 years start at 1)."""
LATEST_TIME: Final = ((datetime(9899, 12, 31, 23, 59, 59, 999_999, tzinfo=_SHANGHAI) - _EPOCH)
                      // timedelta(microseconds=1))
"""9899-12-31T23:59:59.999999+08:00: the last moment a command may name. ISO 8601 years
end at 9999, and the log writes times derived from a command's (an order's settlement, up
to 36,500 days after it), so the last century is kept free for them."""


def parse_time(text: object, code: str = "invalid_time") -> int:
    """Parse an ISO 8601 time with an offset into epoch microseconds.

    Raises:
        Rejected(code): not a string, not ISO 8601, without an offset, or outside
            0001-01-01 .. 9899-12-31 Asia/Shanghai (:data:`EARLIEST_TIME`,
            :data:`LATEST_TIME`: what the log can write).
    """
    if type(text) is not str or len(text) > 64:
        raise Rejected(code, f"time must be an ISO 8601 string with an offset, not {text!r}")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise Rejected(code, f"{text!r} is not an ISO 8601 time") from None
    offset = moment.utcoffset()
    if offset is None:
        raise Rejected(code, f"{text!r} has no offset (write e.g. +08:00 or Z)")
    # The same as (moment - epoch) // 1 microsecond, without timedelta arithmetic.
    seconds = ((moment.toordinal() - _EPOCH_ORDINAL) * 86_400 + moment.hour * 3600
               + moment.minute * 60 + moment.second - offset.days * 86_400 - offset.seconds)
    micros = seconds * MICROS_PER_SECOND + moment.microsecond - offset.microseconds
    if not EARLIEST_TIME <= micros <= LATEST_TIME:
        raise Rejected(code, f"{text!r} is outside the times the log can hold: "
                       "0001-01-01 to 9899-12-31, Asia/Shanghai")
    return micros


@lru_cache(maxsize=4096)
def format_time(micros: int) -> str:
    """Epoch microseconds as ISO 8601 in Asia/Shanghai time, e.g. '2026-01-31T12:00:00+08:00'.

    Cached: a command's time is written several times (its own ``at``, the
    effects that settle at it, the block that ends with it).
    """
    local = _EPOCH + timedelta(microseconds=micros + SHANGHAI_OFFSET_MICROS)
    text = local.replace(tzinfo=None).isoformat()
    return f"{text}+08:00"


def display_time(moment: int | str | None, seconds: bool = False) -> str:
    """A moment as people read it on a page, in Asia/Shanghai: ``2026-07-22 13:43`` (with
    ``:05`` seconds when asked), never microseconds. ``moment`` is epoch microseconds or a
    time as the log writes it (ISO 8601); None and "" are shown as ""."""
    if moment is None or moment == "":
        return ""
    micros = parse_time(moment) if isinstance(moment, str) else moment
    local = _EPOCH + timedelta(microseconds=micros + SHANGHAI_OFFSET_MICROS)
    return local.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def shanghai_day(micros: int) -> int:
    """The Asia/Shanghai calendar day of a moment, as days since 1970-01-01."""
    return (micros + SHANGHAI_OFFSET_MICROS) // MICROS_PER_DAY


def month_start(year: int, month: int) -> int:
    """00:00 Asia/Shanghai on the 1st of a month, as epoch microseconds (month may be 13:
    the January after)."""
    year, month = year + (month - 1) // 12, (month - 1) % 12 + 1
    days = datetime(year, month, 1).toordinal() - _EPOCH_ORDINAL
    return days * MICROS_PER_DAY - SHANGHAI_OFFSET_MICROS


def shanghai_month(micros: int) -> tuple[int, int]:
    """The (year, month) of a moment in Asia/Shanghai time."""
    local = _EPOCH + timedelta(microseconds=micros + SHANGHAI_OFFSET_MICROS)
    return local.year, local.month


def format_period(period: tuple[int, int]) -> str:
    """A month (year, month) as ``YYYY-MM``: (2026, 1) -> '2026-01'."""
    return f"{period[0]:04d}-{period[1]:02d}"


def parse_period(text: object) -> tuple[int, int]:
    """Parse a burn period ``YYYY-MM`` into (year, month).

    Raises:
        Rejected(invalid_period): anything else.
    """
    if type(text) is not str:
        raise Rejected("invalid_period", f"period must be a string 'YYYY-MM', not {text!r}")
    match = _PERIOD_RE.fullmatch(text)
    if match is None:
        raise Rejected("invalid_period", f"{text!r} is not a month 'YYYY-MM'")
    return int(match.group(1)), int(match.group(2))

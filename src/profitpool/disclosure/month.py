"""A month's figures, read from the log by replaying it with the one engine.

:func:`month_figures` replays the log's entries from genesis with the log's
own replay (log/replay.py, the one ``verify`` and a restart use), up to the end
of the month (00:00 Asia/Shanghai on the 1st of the next one), sums the
effects of the month's own entries, and keeps the ledger as it stood at the
month's end: the holdings and the cash owed and in flight (:func:`liabilities`) that
the proof of liabilities covers, and the holders' figures. Every number comes from the
engine's effects and ledger, so the report says exactly what ``profitpool apply`` says
for the same commands.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from ..engine import Ledger
from ..engine import effects as fx
from ..engine.view import head
from ..log.replay import Replay, from_genesis
from ..money import INDEX_SCALE, format_fen, format_index, format_price, price_micro
from ..store.repository import LogStore
from ..times import format_period, format_time, month_start

BANDS_FEN = (100, 1_000, 10_000)
"""Holding-size bands: below 1.00, 1.00-10.00, 10.00-100.00, 100.00 and above (CNY)."""


class MonthError(ValueError):
    """The month cannot be reported (not closed yet, before the program, ...)."""


def month_range(period: tuple[int, int]) -> tuple[int, int]:
    """[start, end) of a month in epoch microseconds, Asia/Shanghai."""
    year, month = period
    return month_start(year, month), month_start(year, month + 1)


@dataclass
class MonthFigures:
    """Everything a month's report says, before it is written out."""

    period: str
    ledger: Ledger
    """The ledger at the month's end."""
    first_entry: int | None = None
    last_entry: int | None = None
    tree_size: int = 0
    start: dict[str, str] = field(default_factory=dict)
    effects: Counter[str] = field(default_factory=Counter)
    sums: Counter[str] = field(default_factory=Counter)
    by_merchant: dict[str, Counter[str]] = field(default_factory=dict)
    burns: list[dict[str, str]] = field(default_factory=list)
    rule_changes: list[dict[str, Any]] = field(default_factory=list)
    custody: list[dict[str, str]] = field(default_factory=list)
    last_custody: fx.CustodyRecorded | None = None
    """The month's last ``custody`` entry, compared with custody needed at the month's end."""
    last_custody_at: int = 0


def ledger_head(ledger: Ledger) -> dict[str, str]:
    shown = head(ledger)
    value = price_micro(ledger.pool, ledger.total_shares, INDEX_SCALE)
    return {"pool": shown["pool"], "supply": shown["supply"], "price": shown["price"],
            "value_per_point": format_price(value)}


def month_figures(store: LogStore, period: tuple[int, int], now_us: int) -> MonthFigures:
    """Replay the log to the end of ``period`` and sum that month's effects.

    Raises:
        MonthError: the month has not ended by ``now_us``, or ends before the log starts.
    """
    text = format_period(period)
    try:
        start, end = month_range(period)
    except ValueError:  # year 0000, or a December whose next month is past 9999
        raise MonthError(f"{text} is outside the calendar this program can report") from None
    if end > now_us:
        raise MonthError(f"{text} has not ended yet: a month is reported once it is over")
    replay = Replay(from_genesis(store.meta()), store.iter_entries())
    figures = MonthFigures(text, replay.ledger)
    for _ in replay.until(start):
        pass
    figures.start = ledger_head(replay.ledger)
    for step in replay.until(end):
        if figures.first_entry is None:
            figures.first_entry = step.log_index
        figures.last_entry = step.log_index
        _add(figures, step.effects, step.command.at)
    if replay.next_index == 0:
        raise MonthError(f"the log holds nothing before the end of {text}: the program had "
                         "not started")
    figures.tree_size = (figures.last_entry + 1) if figures.last_entry is not None else 0
    return figures


def _add(figures: MonthFigures, effects: list[Any], at: int) -> None:
    sums, count = figures.sums, figures.effects
    for effect in effects:
        kind = type(effect)
        count[kind.__name__] += 1
        if kind is fx.OrderPlaced:
            shop = figures.by_merchant.setdefault(effect.merchant, Counter())
            shop["orders"] += 1
            shop["amount"] += effect.amount
            shop["profit"] += effect.profit
            sums["amount"] += effect.amount
            sums["profit"] += effect.profit
        elif kind is fx.OrderSettled:
            figures.by_merchant.setdefault(effect.merchant, Counter())["injected"] += \
                effect.injection
            sums["injected"] += effect.injection
        elif kind is fx.Withdrawn:
            sums["withdrawn_value"] += effect.value
            sums["withdrawn_paid"] += effect.paid
        elif kind is fx.PaidAtMerchant:
            sums["payment_value"] += effect.value
            sums["payment_paid"] += effect.paid
        elif kind is fx.LotExited:
            sums["exit_paid"] += effect.paid
            sums["exit_to_member"] += effect.to_member
            sums["exit_to_lender"] += effect.to_lender
        elif kind is fx.PledgeSeized:
            sums["seized_paid"] += effect.paid
            sums["seized_to_lender"] += effect.to_lender
            sums["seized_to_member"] += effect.to_member
        elif kind is fx.Burned:
            figures.burns.append({
                "period": effect.period, "at": format_time(at),
                "index_before": _index(effect.index_before),
                "index_after": _index(effect.index_after)})
        elif kind is fx.RulesChanged:
            figures.rule_changes.append({"at": format_time(at),
                                         "changes": dict(effect.changes)})
        elif kind is fx.PayoutSent:
            sums["payouts_sent"] += effect.amount
        elif kind is fx.PayoutSettled:
            sums["payouts_settled"] += effect.amount
        elif kind is fx.PayoutReturned:
            sums["payouts_returned"] += effect.amount
        elif kind is fx.CustodyRecorded:
            figures.last_custody, figures.last_custody_at = effect, at
            figures.custody.append({
                "id": effect.custody, "at": format_time(at), "amount": format_fen(effect.amount),
                "reference": effect.reference, "pool": format_fen(effect.pool_after),
                "shortfall": format_fen(effect.shortfall)})


def liabilities(ledger: Ledger) -> list[tuple[str, str, int, int, int]]:
    """(kind, id, value of points, owed, in flight) in fen of every party the program owes
    something at this moment (docs/rules.md section 10), members first, each kind by id.

    A member holding points is listed even if its value rounds to 0 fen (as the version
    1 tree lists every holder); a party is otherwise listed when owed or in flight is not 0.
    """
    pool, total = ledger.pool, ledger.total_shares
    listed: list[tuple[str, str, int, int, int]] = []
    parties: list[tuple[str, dict[str, Any], str]] = [
        ("member", ledger.members, "paid"), ("merchant", ledger.merchants, "received"),
        ("lender", ledger.lenders, "received")]
    for kind, records, paid_field in parties:
        for party_id, record in sorted(records.items()):
            shares = record.shares if kind == "member" else 0
            in_flight, settled = ledger.cash.get(f"{kind}:{party_id}", (0, 0))
            owed = getattr(record, paid_field) - in_flight - settled
            if shares or owed or in_flight:
                listed.append((kind, party_id, shares * pool // total if shares else 0,
                               owed, in_flight))
    return listed


def _index(units: int) -> str:
    return format_index(units)


def holdings(ledger: Ledger) -> list[tuple[str, int]]:
    """(member id, value in fen) of every member holding points, by member id."""
    pool, total = ledger.pool, ledger.total_shares
    if total == 0:
        return []
    return [(member_id, member.shares * pool // total)
            for member_id, member in sorted(ledger.members.items()) if member.shares]


def holders_figures(ledger: Ledger) -> dict[str, Any]:
    """Members, the largest holders' share of all value, and members by holding size."""
    values = sorted((value for _, value in holdings(ledger)), reverse=True)
    total = sum(values)
    bands = [0] * (len(BANDS_FEN) + 1)
    band_values = [0] * (len(BANDS_FEN) + 1)
    for value in values:
        band = sum(value >= edge for edge in BANDS_FEN)
        bands[band] += 1
        band_values[band] += value
    labels = ["< 1.00", "1.00 – 10.00", "10.00 – 100.00", "≥ 100.00"]

    def share(part: int) -> str:
        return _decimal(Fraction(part, total)) if total else "0"

    return {
        "members": len(ledger.members), "holding": len(values),
        "top10_share": share(sum(values[:10])), "top1_share": share(sum(values[:1])),
        "by_size": [{"band": label, "members": members, "value": format_fen(value)}
                    for label, members, value in zip(labels, bands, band_values, strict=True)],
    }


def _decimal(value: Fraction, places: int = 6) -> str:
    """A fraction in [0, 1] as decimal text, truncated (never a float)."""
    scaled = value.numerator * 10**places // value.denominator
    whole, rest = divmod(scaled, 10**places)
    return f"{whole}.{rest:0{places}d}"


"""A demonstration program: the origin document's four industries, months of history.

:func:`demo_commands` writes, from a seed, what a real program of the seed's
kind would have received over ``months`` months ending at ``end``: a fresh-food
e-commerce shop, a clothing retailer (with a double-points clearance of
out-of-season stock in one month), a hotpot chain and a scenic area, each with
its own margin and order values; members arriving month by month and coming
back at their own rate; some withdrawing, some paying with points; the burn at
each month's start; a bank lending against pledged points. :func:`build_demo`
runs them through the engine into a fresh signed log and creates a key for
each role.

The figures are invented and labelled as such; the rules are docs/rules.md's
defaults. Refused commands (a withdrawal of points that are not yet
eligible, say) are simply not in the log, as in a live program.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from random import Random
from typing import Any

from .bootstrap import linked_submit, open_directory, open_writer
from .engine import Applied
from .errors import Rejected
from .log.datakey import DataKey, data_key_path
from .members.directory import OPERATOR, Directory, merchant_scope
from .store.apikeys import KeyStore
from .times import format_time, parse_time, shanghai_month
from .workload import money

Command = dict[str, Any]


@dataclass(frozen=True)
class Shop:
    merchant: str
    name: str
    industry: str
    margin_percent: int
    """Real profit as a share of the order amount."""
    order_fen: tuple[int, int]
    """Order amounts are drawn between these (fen)."""


SHOPS = (
    Shop("fresh", "鲜到家生鲜", "fresh-food e-commerce / 生鲜电商", 18, (3_000, 30_000)),
    Shop("apparel", "衣橱服饰", "clothing retail / 服装零售", 45, (9_900, 89_900)),
    Shop("hotpot", "川味火锅", "hotpot chain / 火锅连锁", 32, (8_000, 60_000)),
    Shop("scenic", "青山景区", "scenic area / 景区", 55, (6_000, 38_000)),
)
LENDER = ("bank", "城市商业银行")
CAMPAIGN = "apparel-clearance"


def _month_starts(end: int, months: int) -> list[int]:
    """Epoch microseconds of 00:00 Asia/Shanghai on the 1st of each of the last months."""
    year, month = shanghai_month(end)
    starts = []
    for _ in range(months):
        starts.append(parse_time(f"{year:04d}-{month:02d}-01T00:00:00+08:00"))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return starts[::-1]


def demo_commands(end: int, months: int, members: int, seed: int) -> Iterator[Command]:
    """The demonstration's commands, in time order, all before ``end`` (epoch µs).

    The history starts on the 1st of the month ``months - 1`` months before
    ``end``'s, so its last month is the one ``end`` falls in.
    """
    rng = Random(seed)
    starts = _month_starts(end, months)
    begin = starts[0]
    serial = 0

    def at(moment: int) -> str:
        return format_time(moment)

    yield {"op": "merchant", "id": SHOPS[0].merchant, "name": SHOPS[0].name,
           "industry": SHOPS[0].industry, "at": at(begin)}
    for shop in SHOPS[1:]:
        yield {"op": "merchant", "id": shop.merchant, "name": shop.name,
               "industry": shop.industry, "at": at(begin)}
    yield {"op": "lender", "id": LENDER[0], "name": LENDER[1], "at": at(begin)}
    clearance = min(2, months - 1)
    campaign_end = starts[clearance + 1] if clearance + 1 < months else end
    yield {"op": "campaign", "id": CAMPAIGN, "merchant": "apparel", "multiplier": "2",
           "start": at(starts[clearance]), "end": at(campaign_end), "at": at(begin)}

    # Members arrive spread over the months (more early on, as a launch does).
    weights = [months - index for index in range(months)]
    arrivals = [1] + [0] * (months - 1)
    for _ in range(members - 1):
        arrivals[rng.choices(range(months), weights)[0]] += 1
    joined: list[tuple[str, Shop, float]] = []  # member, home shop, orders per month
    pledged = False
    for index, month_start in enumerate(starts):
        month_end = starts[index + 1] if index + 1 < months else end
        if index > 0:
            period = format_time(starts[index - 1])[:7]
            yield {"op": "burn", "period": period, "at": at(month_start)}
        for _ in range(arrivals[index]):
            # The first member buys often: the pledge below is theirs.
            rate = 4.0 if not joined else rng.uniform(0.3, 3.0)
            joined.append((f"u{len(joined):05d}", rng.choice(SHOPS), rate))
        events: list[tuple[int, Command]] = []
        span = max(1, month_end - month_start - 60_000_000)
        for member, home, rate in joined:
            count = int(rate) + (rng.random() < rate - int(rate))
            for _ in range(count):
                shop = home if rng.random() < 0.7 else rng.choice(SHOPS)
                amount = rng.randint(*shop.order_fen)
                serial += 1
                order = {"op": "order", "id": f"{shop.merchant}:{serial:07d}",
                         "merchant": shop.merchant, "member": member,
                         "amount": money(amount),
                         "profit": money(amount * shop.margin_percent // 100)}
                if shop.merchant == "apparel" and index == clearance and rng.random() < 0.6:
                    order["campaign"] = CAMPAIGN
                events.append((month_start + 60_000_000 + rng.randrange(span), order))
            if rng.random() < 0.06:
                serial += 1
                events.append((month_start + rng.randrange(span) + 60_000_000,
                               {"op": "withdraw", "id": f"w{serial:07d}", "member": member,
                                "points": "all"}))
            if rng.random() < 0.05:
                serial += 1
                events.append((month_start + rng.randrange(span) + 60_000_000,
                               {"op": "pay", "id": f"p{serial:07d}", "member": member,
                                "merchant": rng.choice(SHOPS).merchant,
                                "points": f"{rng.randint(1, 10)}.0000"}))
        if not pledged and index == months // 2 and joined:
            pledged = True
            events.append((month_start + span // 2, {
                "op": "pledge", "id": "loan-1", "member": joined[0][0], "lender": LENDER[0],
                "points": "5.0000", "loan": "2.00"}))
        events.sort(key=lambda event: event[0])
        for moment, command in events:
            command["at"] = at(moment)
            yield command


DEMO_MEMBER = "u00000"


def build_demo(db: str, key_path: Path, *, end: int, months: int, members: int,
               seed: int) -> tuple[int, int]:
    """Write the demonstration into the empty, initialised log at ``db``.

    Returns:
        (commands accepted, commands refused).

    Raises:
        Rejected(invalid_command): the log is not empty.
    """
    writer = open_writer(db, key_path)
    accepted = refused = 0
    try:
        if writer.size:
            raise Rejected("invalid_command", f"{db} already holds a log: the demo needs "
                           "an empty one")
        # Members become pseudonyms. An order comes from its merchant, as through the
        # API, so each merchant's portal shows the ids it sent itself.
        directory = open_directory(writer, key_path)
        operator = linked_submit(writer, directory)
        merchants: dict[str, Callable[[object], Applied]] = {}
        for command in demo_commands(end, months, members, seed):
            submit = operator
            if command.get("op") == "order":
                merchant = str(command["merchant"])
                submit = merchants.setdefault(merchant, linked_submit(
                    writer, directory, merchant_scope(merchant)))
            try:
                submit(command)
                accepted += 1
            except Rejected:
                refused += 1
    except BaseException:
        writer.discard()
        raise
    writer.close()
    return accepted, refused


def demo_keys(keys: KeyStore, key_path: Path) -> dict[str, str]:
    """A new key for each role of the demonstration (role and party -> key), after revoking
    every key an earlier run made (label ``demo``): the keys printed last are the only ones
    that work. The member's is bound to the pseudonym the log names :data:`DEMO_MEMBER` by."""
    for earlier in keys.list(include_revoked=False):
        if earlier.label == "demo":
            keys.revoke(earlier.key_id)
    directory = Directory(keys.engine, DataKey.load(data_key_path(key_path)))
    member = directory.pseudonym_of(OPERATOR, DEMO_MEMBER) or DEMO_MEMBER
    return {
        "admin": keys.create("admin", label="demo")[0],
        "auditor": keys.create("auditor", label="demo")[0],
        "merchant fresh": keys.create("merchant", "fresh", label="demo")[0],
        f"member {DEMO_MEMBER}": keys.create("member", member, label="demo")[0],
        "lender bank": keys.create("lender", LENDER[0], label="demo")[0],
    }

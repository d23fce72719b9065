"""Snapshots: the ledger state at a block boundary, in a data-only format.

A snapshot is the whole ledger written as data (:func:`encode_state`, below),
compressed with zlib, and signed by the operator's key over its block height,
tree size and SHA-256. It is read back by a writer's restart (restart.py)
and, as the start of a segment, by ``profitpool verify --jobs`` (segments.py),
which reads copies it does not trust: so the format is data only, never a
pickle. Reading one builds only the engine's own state classes, from an
allow-list, and sets their fields; no byte of a snapshot can name a function,
a module or a class outside that list.

The format: ``profitpool state v1\n`` then zlib of the canonical JSON (orjson)
of one array, the ledger's fields in the order of :data:`SHAPES`, laid out by
the engine's access paths: its numbers; each dict as a flat list of keys and
rows in the dict's order (members with their lot numbers, orders, pledges with
their lot numbers, payouts, merchants, lenders, campaigns, the commands kept
for idempotent retries, ...); the pending heap and the exit queue as rows that
name their order by id and their lot by number; and last every lot, numbered
in the order first met (a member's lots, then the exit queue, then pledges),
naming its member and pledge by id. So one lot held by its member, the exit
queue and a pledge is one lot again when read. A command is written as
``[class name, field, ...]``; an integer of 2^63 or more (shares, the index,
exit triggers) as its decimal string. :data:`SHAPES` lists every field of every
state class: a class that gains one fails :func:`encode_state` until the format
writes it, so a snapshot always holds the whole state.

The encoding is a function of the state (slots, lists and dicts in their
order), so two ledgers that encode to the same bytes are the same ledger, and
a ledger read from a snapshot encodes to that snapshot's bytes: a verifier
compares states by comparing the SHA-256 of their encodings (segments.py).
After loading, a restart replays the entries that follow and checks the
result against the last block's signed state digest, so a snapshot can only
speed up a restart, never change what the log means. A snapshot written by an
older version (a pickle) is not read: it is "unreadable", and the ledger is
replayed from genesis.
"""

from __future__ import annotations

import dataclasses
import hashlib
import zlib
from typing import Any, Final

import orjson

from ..chain.note import Signer, Verifier
from ..engine import Ledger, commands, state
from ..errors import ProfitpoolError
from ..rules import Rules
from ..store.repository import DATA_SNAPSHOT_PREFIX, StoredSnapshot
from .keys import sign_snapshot, verify_snapshot

MAGIC: Final = DATA_SNAPSHOT_PREFIX
"""The first bytes of every snapshot of this format (the rest is zlib)."""

_SMALL: Final = 1 << 63

COMMANDS: Final[dict[str, type]] = {
    name: cls for name, cls in vars(commands).items()
    if isinstance(cls, type) and issubclass(cls, tuple) and hasattr(cls, "_fields")
    and cls.__module__ == commands.__name__
}
"""The commands a ledger keeps (by class name): the only classes a snapshot names."""
_COMMAND_TYPES: Final = frozenset(COMMANDS.values())
_RULE_FIELDS: Final = tuple(field.name for field in dataclasses.fields(Rules))

SHAPES: Final[dict[type, tuple[str, ...]]] = {
    state.Ledger: (
        "rules", "now", "pool", "total_shares", "index", "injected", "paid_members",
        "paid_merchants", "paid_lenders", "exits", "live_lots", "next_lot_id", "next_order_seq",
        "members", "merchants", "lenders", "campaigns", "orders", "pledges", "withdrawals",
        "payments", "transfers", "burned", "pending", "exit_queue", "cap_day",
        "cap_base_pool", "withdrawn_today", "queue_serial", "custody", "disclosures",
        "legacy_exits", "erased", "payouts", "in_flight", "settled", "cash"),
    state.Lot: ("lot_id", "origin", "member", "shares", "cost", "order_id", "order_at",
                "trigger", "exit_multiple", "exit_basis", "mint_pool", "mint_shares", "pledge"),
    state.Member: ("member_id", "lots", "shares", "paid", "empty_lots"),
    state.Merchant: ("command", "contributed", "received"),
    state.Lender: ("command", "received"),
    state.Campaign: ("command",),
    state.OrderRecord: ("command", "status", "settles_at", "seq", "multiplier"),
    state.PledgeRecord: ("command", "status", "repaid", "lots"),
    state.PayoutRecord: ("command", "status", "closed_by"),
}
"""Every field of every state class, as this format writes them. A class that gains a
field fails :func:`encode_state` (and a test) until the format writes it too, so a
snapshot always holds the whole state."""


class SnapshotError(ProfitpoolError):
    """A snapshot could not be trusted: its signature does not verify."""


class UnreadableSnapshot(SnapshotError):
    """A signed snapshot this version cannot read (another format, or not a ledger)."""


def _int(value: int) -> int | str:
    """An integer as written: itself below 2^63, else its decimal string."""
    return value if -_SMALL < value < _SMALL else str(value)


def _read_int(value: Any) -> int:
    if type(value) is int:
        return value
    if type(value) is str:
        return int(value)
    raise ValueError(f"not an integer: {value!r}")


def _command(command: Any) -> list[Any]:
    if type(command) not in _COMMAND_TYPES:
        raise TypeError(f"a snapshot cannot hold a {type(command).__name__}")
    return [type(command).__name__, *command]


def _tuples(value: Any) -> Any:
    """A command's field as read: arrays back to tuples (commands hold no lists)."""
    if type(value) is list:
        return tuple(_tuples(item) for item in value)
    if isinstance(value, float):
        raise ValueError("a snapshot holds no floats")
    return value


def _read_command(item: Any) -> Any:
    cls = COMMANDS[item[0]]
    fields = item[1:]
    width = len(getattr(cls, "_fields"))  # noqa: B009 (a NamedTuple's, not typed on type)
    if len(fields) != width:
        raise ValueError(f"a {item[0]} has {width} fields")
    if list in map(type, fields):
        fields = [_tuples(value) for value in fields]
    return tuple.__new__(cls, fields)


def _same(found: object, expected: object, what: str) -> None:
    if found is not expected:
        raise TypeError(f"{what} is not the one the ledger holds under its id")


def encode_state(ledger: Ledger) -> bytes:
    """The whole ledger as data (canonical JSON; the module docstring).

    Raises:
        TypeError: a state class has fields this format does not write, or the
            ledger holds an object this format does not know.
    """
    for cls, fields in SHAPES.items():
        if getattr(cls, "__slots__") != fields:  # noqa: B009
            raise TypeError(f"the snapshot format does not write every field of {cls.__name__}")
    members, pledges, orders = ledger.members, ledger.pledges, ledger.orders
    lots: list[state.Lot] = []
    numbers: dict[int, int] = {}

    def number(lot: state.Lot) -> int:
        found = numbers.get(id(lot))
        if found is None:
            found = numbers[id(lot)] = len(lots)
            lots.append(lot)
        return found

    member_rows: list[Any] = []
    for key, member in members.items():
        member_rows += [key, member.member_id, [number(lot) for lot in member.lots],
                        _int(member.shares), member.paid, member.empty_lots]
    queue = [[_int(key), _int(trigger[0]), _int(trigger[1]), at, origin, lot_id, serial,
              number(lot)] for key, trigger, at, origin, lot_id, serial, lot in ledger.exit_queue]
    pledge_rows: list[Any] = []
    for key, record in pledges.items():
        pledge_rows += [key, _command(record.command), record.status, record.repaid,
                        [number(lot) for lot in record.lots]]
    lot_rows = []
    for lot in lots:
        owner, pledge = lot.member, lot.pledge
        _same(members.get(owner.member_id), owner, f"the member of lot {lot.lot_id}")
        if pledge is not None:
            _same(pledges.get(pledge.command.id), pledge, f"the pledge of lot {lot.lot_id}")
        trigger = lot.trigger
        if type(trigger) is not state.Trigger:
            raise TypeError("an exit trigger that is not a Trigger")
        lot_rows.append([lot.lot_id, lot.origin, owner.member_id, _int(lot.shares), lot.cost,
                         lot.order_id, lot.order_at, _int(trigger[0]), _int(trigger[1]),
                         lot.exit_multiple, lot.exit_basis, lot.mint_pool,
                         _int(lot.mint_shares), None if pledge is None else pledge.command.id])
    order_rows: list[Any] = []
    for key, order in orders.items():
        order_rows += [key, _command(order.command), order.status, order.settles_at, order.seq,
                       order.multiplier]
    pending = []
    for settles_at, seq, order in ledger.pending:
        _same(orders.get(order.command.id), order, f"pending order {order.command.id}")
        pending.append([settles_at, seq, order.command.id])
    payouts: list[Any] = []
    for key, payout in ledger.payouts.items():
        closed = payout.closed_by
        payouts += [key, _command(payout.command), payout.status,
                    None if closed is None else _command(closed)]
    rules = ledger.rules
    if type(rules) is not Rules:
        raise TypeError("the ledger's rules are not Rules")
    document = [
        [getattr(rules, name) for name in _RULE_FIELDS],
        ledger.now, ledger.pool, _int(ledger.total_shares), _int(ledger.index),
        ledger.injected, ledger.paid_members, ledger.paid_merchants, ledger.paid_lenders,
        ledger.exits, ledger.live_lots, ledger.next_lot_id, ledger.next_order_seq,
        member_rows,
        _flat(ledger.merchants, lambda value: [_command(value.command), value.contributed,
                                               value.received]),
        _flat(ledger.lenders, lambda value: [_command(value.command), value.received]),
        _flat(ledger.campaigns, lambda value: _command(value.command)),
        order_rows, pledge_rows,
        _flat(ledger.withdrawals, _command), _flat(ledger.payments, _command),
        _flat(ledger.transfers, _command), _flat(ledger.burned, _plain_int),
        pending, queue, ledger.cap_day, ledger.cap_base_pool, ledger.withdrawn_today,
        ledger.queue_serial, _flat(ledger.custody, _command),
        [[*period, _command(value)] for period, value in ledger.disclosures.items()],
        ledger.legacy_exits, _flat(ledger.erased, _plain_int), payouts, ledger.in_flight,
        ledger.settled, _flat(ledger.cash, lambda value: [*value]),
        lot_rows,
    ]
    return orjson.dumps(document)


def _plain_int(value: int) -> int:
    if type(value) is not int:
        raise TypeError(f"expected an integer, found a {type(value).__name__}")
    return value


def _flat(mapping: dict[str, Any], encode: Any) -> list[Any]:
    out: list[Any] = []
    for key, value in mapping.items():
        if type(key) is not str:
            raise TypeError("a state dict keyed by something else than a string")
        out.append(key)
        out.append(encode(value))
    return out


def _pairs(rows: list[Any], width: int) -> Any:
    """(key, row) of a flat list of rows of ``width`` items after a string key."""
    step = width + 1
    if type(rows) is not list or len(rows) % step:
        raise ValueError("a table of an unexpected width")
    return zip(rows[0::step], zip(*(rows[column::step] for column in range(1, step)),
                                  strict=True), strict=True)


def decode_state(data: bytes) -> Ledger:
    """The ledger :func:`encode_state` wrote as ``data``. Builds only the engine's state
    classes and commands and sets their fields; runs no code named by the data.

    Raises:
        ValueError: not such data.
    """
    try:
        return _decode(orjson.loads(data))
    except (KeyError, IndexError, TypeError, AttributeError, RecursionError,
            orjson.JSONDecodeError) as error:
        raise ValueError(f"not a ledger's data ({type(error).__name__}: {error})") from None


def _decode(document: Any) -> Ledger:
    if type(document) is not list or len(document) != len(SHAPES[state.Ledger]) + 1:
        raise ValueError("not a ledger's fields")
    (rules, now, pool, total_shares, index, injected, paid_members, paid_merchants,
     paid_lenders, exits, live_lots, next_lot_id, next_order_seq, member_rows, merchants,
     lenders, campaigns, order_rows, pledge_rows, withdrawals, payments, transfers, burned,
     pending, queue, cap_day, cap_base_pool, withdrawn_today, queue_serial, custody,
     disclosures, legacy_exits, erased, payouts, in_flight, settled, cash,
     lot_rows) = document
    ledger = object.__new__(Ledger)
    if len(rules) != len(_RULE_FIELDS):
        raise ValueError(f"rules have {len(_RULE_FIELDS)} fields")
    ledger.rules = Rules(*map(_tuples, rules))
    ledger.now, ledger.pool = _read_int(now), _read_int(pool)
    ledger.total_shares, ledger.index = _read_int(total_shares), _read_int(index)
    ledger.injected, ledger.paid_members = _read_int(injected), _read_int(paid_members)
    ledger.paid_merchants, ledger.paid_lenders = _read_int(paid_merchants), _read_int(
        paid_lenders)
    ledger.exits, ledger.live_lots = _read_int(exits), _read_int(live_lots)
    ledger.next_lot_id, ledger.next_order_seq = _read_int(next_lot_id), _read_int(
        next_order_seq)
    members: dict[str, state.Member] = {}
    member_lots = []
    for key, (member_id, lot_numbers, shares, paid, empty_lots) in _pairs(member_rows, 5):
        member = members[key] = state.Member(member_id)
        member.shares, member.paid = _read_int(shares), _read_int(paid)
        member.empty_lots = _read_int(empty_lots)
        member_lots.append((member, lot_numbers))
    ledger.members = members
    ledger.merchants = _merchants(merchants)
    ledger.lenders = _lenders(lenders)
    ledger.campaigns = {key: state.Campaign(_read_command(row[0]))
                        for key, row in _pairs(campaigns, 1)}
    orders: dict[str, state.OrderRecord] = {}
    for key, (command, status, settles_at, seq, multiplier) in _pairs(order_rows, 5):
        order = orders[key] = state.OrderRecord(_read_command(command), settles_at, seq,
                                                tuple(multiplier))
        order.status = status
    ledger.orders = orders
    pledges: dict[str, state.PledgeRecord] = {}
    pledge_lots = []
    for key, (command, status, repaid, lot_numbers) in _pairs(pledge_rows, 4):
        pledge = pledges[key] = state.PledgeRecord(_read_command(command))
        pledge.status, pledge.repaid = status, _read_int(repaid)
        pledge_lots.append((pledge, lot_numbers))
    ledger.pledges = pledges
    lots = [_lot(row, members, pledges) for row in lot_rows]
    for member, lot_numbers in member_lots:
        member.lots = [lots[number] for number in lot_numbers]
    for pledge, lot_numbers in pledge_lots:
        pledge.lots = [lots[number] for number in lot_numbers]
    ledger.withdrawals = _commands(withdrawals)
    ledger.payments = _commands(payments)
    ledger.transfers = _commands(transfers)
    ledger.burned = {key: _read_int(row[0]) for key, row in _pairs(burned, 1)}
    ledger.pending = [(settles_at, seq, orders[order_id])
                      for settles_at, seq, order_id in pending]
    ledger.exit_queue = [
        (int(key) if type(key) is str else key,
         tuple.__new__(state.Trigger, (int(top) if type(top) is str else top,
                                       int(bottom) if type(bottom) is str else bottom)),
         at, origin, lot_id, serial, lots[number])
        for key, top, bottom, at, origin, lot_id, serial, number in queue]
    ledger.cap_day, ledger.cap_base_pool = _read_int(cap_day), _read_int(cap_base_pool)
    ledger.withdrawn_today = _read_int(withdrawn_today)
    ledger.queue_serial = _read_int(queue_serial)
    ledger.custody = _commands(custody)
    ledger.disclosures = {(_read_int(year), _read_int(month)): _read_command(command)
                          for year, month, command in disclosures}
    if type(legacy_exits) is not bool:
        raise ValueError("legacy_exits is true or false")
    ledger.legacy_exits = legacy_exits
    ledger.erased = {key: _read_int(row[0]) for key, row in _pairs(erased, 1)}
    ledger.payouts = {}
    for key, (command, status, closed) in _pairs(payouts, 3):
        payout = ledger.payouts[key] = state.PayoutRecord(_read_command(command))
        payout.status = status
        payout.closed_by = None if closed is None else _read_command(closed)
    ledger.in_flight, ledger.settled = _read_int(in_flight), _read_int(settled)
    ledger.cash = {key: [_read_int(item) for item in row[0]] for key, row in _pairs(cash, 1)}
    return ledger


def _lot(row: list[Any], members: dict[str, state.Member],
         pledges: dict[str, state.PledgeRecord]) -> state.Lot:
    """A lot as read. Fields that are never above 2^63 are taken as the data has them:
    a snapshot that holds anything else is not the state it must equal, which the
    comparison of its bytes shows (segments.py), and a restart checks it against the
    signed state digest."""
    (lot_id, origin, member_id, shares, cost, order_id, order_at, top, bottom, multiple,
     basis, mint_pool, mint_shares, pledge_id) = row
    lot = state.Lot(
        lot_id, origin, members[member_id], int(shares) if type(shares) is str else shares,
        cost, order_id, order_at,
        tuple.__new__(state.Trigger, (int(top) if type(top) is str else top,
                                      int(bottom) if type(bottom) is str else bottom)),
        tuple(multiple), basis, mint_pool,
        int(mint_shares) if type(mint_shares) is str else mint_shares)
    if pledge_id is not None:
        lot.pledge = pledges[pledge_id]
    return lot


def _commands(rows: list[Any]) -> dict[str, Any]:
    return {key: _read_command(row[0]) for key, row in _pairs(rows, 1)}


def _merchants(rows: list[Any]) -> dict[str, state.Merchant]:
    merchants = {}
    for key, ((command, contributed, received),) in _pairs(rows, 1):
        merchant = merchants[key] = state.Merchant(_read_command(command))
        merchant.contributed, merchant.received = _read_int(contributed), _read_int(received)
    return merchants


def _lenders(rows: list[Any]) -> dict[str, state.Lender]:
    lenders = {}
    for key, ((command, received),) in _pairs(rows, 1):
        lender = lenders[key] = state.Lender(_read_command(command))
        lender.received = _read_int(received)
    return lenders


def state_hash(ledger: Ledger) -> bytes:
    """SHA-256 of the ledger's encoding: equal hashes, equal ledgers (in full)."""
    return hashlib.sha256(encode_state(ledger)).digest()


def take(ledger: Ledger, height: int, tree_size: int, signer: Signer) -> StoredSnapshot:
    """Serialise and sign the ledger as it is after block ``height``."""
    data = MAGIC + zlib.compress(encode_state(ledger), 1)
    signature = sign_snapshot(signer, height, tree_size, hashlib.sha256(data).digest())
    return StoredSnapshot(height, tree_size, signature, data)


def check_signature(snapshot: StoredSnapshot, verifier: Verifier) -> None:
    """Raises: SnapshotError: the snapshot is not signed with the log's key."""
    digest = hashlib.sha256(snapshot.data).digest()
    if not verify_snapshot(verifier, snapshot.height, snapshot.tree_size, digest,
                           snapshot.signature):
        raise SnapshotError(
            f"the snapshot at block {snapshot.height} is not signed by this log's key"
        )


def state_bytes(snapshot: StoredSnapshot) -> bytes:
    """The encoded ledger a snapshot holds (its data decompressed).

    Raises:
        UnreadableSnapshot: not of this format (a pickle written by an older version).
    """
    if not snapshot.data.startswith(MAGIC):
        raise UnreadableSnapshot(f"the snapshot at block {snapshot.height} is of another "
                                 "format (an older version's)")
    try:
        return zlib.decompress(snapshot.data[len(MAGIC):])
    except zlib.error as error:
        raise UnreadableSnapshot(
            f"the snapshot at block {snapshot.height} cannot be read ({error})") from None


def load(snapshot: StoredSnapshot, verifier: Verifier) -> Ledger:
    """The ledger of a snapshot whose signature verifies.

    Raises:
        SnapshotError: the signature does not verify; UnreadableSnapshot: the data
            is of another format or not a ledger.
    """
    check_signature(snapshot, verifier)
    return read(snapshot, state_bytes(snapshot))


def read(snapshot: StoredSnapshot, data: bytes) -> Ledger:
    """The ledger in ``data``, the state bytes of ``snapshot`` (for messages).

    Raises:
        UnreadableSnapshot: not a ledger's data.
    """
    try:
        return decode_state(data)
    except ValueError as error:
        raise UnreadableSnapshot(
            f"the snapshot at block {snapshot.height} cannot be read: {error}") from None

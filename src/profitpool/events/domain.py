"""Domain events: what integrators hear of, told by the log's committed entries.

Every effect of every committed entry is one event (``order.settled``,
``points.minted``, ...); every block is a ``block.committed``; every checkpoint
published on a chain is a ``checkpoint.anchored``; an endpoint switched off
after failing for too long is an ``endpoint.disabled`` (to the operator).

An event's id is stable: ``ev_<log index>_<position of the effect in the
entry>`` (``ev_block_<height>``, ``ev_anchor_<chain>_<contract>_<number>``),
so a receiver that has seen an id has seen that event, however often it is
delivered. Its body is canonical JSON (keys sorted, no spaces)::

    {"data": {...the effect exactly as the entry holds it...},
     "id": "ev_1041_1", "log": {"block": 37, "effect": 1, "index": 1041,
     "tree_size": 1100}, "timestamp": "2026-01-05T12:00:00+08:00",
     "type": "points.minted"}

``log.index`` and ``log.tree_size`` are what a receiver needs to fetch an
inclusion proof (``/v1/proofs/inclusion``) and check the event against the
signed log. An event built again from its entry is the same bytes.

Who sees an event (``parties``): the members, merchants and lenders its effect
names, plus the merchant whose order minted a lot and the lender whose pledged
lot exited. Events about the whole program (rules, burns, blocks, anchors,
reports, custody) are public: every endpoint owner may hear them. The admin
hears everything; ``endpoint.disabled`` goes to the admin only.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final, get_type_hints

import orjson

from ..chain.block import BlockHeader
from ..engine import Command, Effect, Ledger
from ..engine import effects as fx
from ..engine.effects import own_parties, party_fields
from ..store.attestations import AnchorRecord
from ..store.outbox import PUBLIC_PARTIES, OutboxRow
from ..times import format_time

EFFECT_TYPES: Final[dict[type, str]] = {
    fx.MerchantRegistered: "merchant.registered",
    fx.LenderRegistered: "lender.registered",
    fx.CampaignCreated: "campaign.created",
    fx.MemberJoined: "member.joined",
    fx.OrderPlaced: "order.placed",
    fx.OrderRefunded: "order.refunded",
    fx.OrderSettled: "order.settled",
    fx.PointsMinted: "points.minted",
    fx.Withdrawn: "withdrawal.paid",
    fx.PaidAtMerchant: "payment.made",
    fx.Burned: "burn.applied",
    fx.Transferred: "transfer.made",
    fx.Pledged: "pledge.created",
    fx.PledgeReleased: "pledge.released",
    fx.PledgeSeized: "pledge.seized",
    fx.LotExited: "lot.exited",
    fx.RulesChanged: "rules.changed",
    fx.CustodyRecorded: "custody.recorded",
    fx.DisclosurePublished: "report.published",
    fx.MemberErased: "member.erased",
    fx.PayoutSent: "payout.sent",
    fx.PayoutSettled: "payout.settled",
    fx.PayoutReturned: "payout.returned",
}
BLOCK_COMMITTED: Final = "block.committed"
CHECKPOINT_ANCHORED: Final = "checkpoint.anchored"
ENDPOINT_DISABLED: Final = "endpoint.disabled"
EVENT_TYPES: Final[tuple[str, ...]] = (
    *EFFECT_TYPES.values(), BLOCK_COMMITTED, CHECKPOINT_ANCHORED, ENDPOINT_DISABLED)

PUBLIC: Final = PUBLIC_PARTIES
"""The ``parties`` of an event about the whole program."""
OPERATOR: Final = " operator "
"""The ``parties`` of an event for the admin alone."""
ADMIN: Final = "admin"
"""The owner of an endpoint that hears every event."""


@dataclass(frozen=True, slots=True)
class Event:
    """One event read back from the outbox, in commit order (``seq``)."""

    seq: int
    id: str
    type: str
    time_us: int
    parties: str
    body: bytes
    """The canonical JSON body every delivery sends."""


def party_text(parties: Iterable[str]) -> str:
    """``" a b "``, or "" for none: ``LIKE '% a %'`` finds one party."""
    found = sorted(set(parties))
    return f" {' '.join(found)} " if found else PUBLIC


def block_events(first_index: int, pending: Sequence[tuple[Command, Sequence[Effect]]],
                 ledger: Ledger, header: BlockHeader) -> list[OutboxRow]:
    """The outbox rows of a block about to be stored: its effects' events, then its own.

    Bodies of effect events are left to be rebuilt from the entry (the block's
    transaction stays small); ``ledger`` names the lender of a pledged lot that exited.
    This runs for every entry the writer commits, so it is written for speed
    (measured: about 1 us per event).
    """
    rows: list[OutboxRow] = []
    append = rows.append
    height, tree_size = header.height, header.tree_size
    kinds = _KINDS
    settled, minted, exited = fx.OrderSettled, fx.PointsMinted, fx.LotExited
    for offset, (command, effects) in enumerate(pending):
        index = first_index + offset
        at = command.at
        merchant_of: dict[str, str] = {}
        for position, effect in enumerate(effects):
            kind = type(effect)
            name, write = kinds[kind]
            parties = write(effect)
            if kind is settled:
                merchant_of[effect.order] = effect.merchant  # type: ignore[union-attr,assignment]
            elif kind is minted:
                merchant = merchant_of.get(effect.order)  # type: ignore[union-attr]
                if merchant is not None:
                    parties = _with(parties, f"merchant:{merchant}")
            elif kind is exited and effect.pledge is not None:  # type: ignore[union-attr]
                record = ledger.pledges.get(effect.pledge)  # type: ignore[union-attr]
                if record is not None:
                    parties = _with(parties, f"lender:{record.command.lender}")
            append(_row(OutboxRow, (f"ev_{index}_{position}", name, at, index, position,
                                    height, tree_size, parties, None)))
    append(OutboxRow(
        f"ev_block_{height}", BLOCK_COMMITTED, header.time, tree_size - 1, None, height,
        tree_size, PUBLIC, envelope(f"ev_block_{height}", BLOCK_COMMITTED, header.time, {
            "height": height, "first_index": header.first_index, "count": header.count,
            "tree_size": tree_size, "root": header.root.hex(),
            "state_digest": header.state_digest.hex(), "time": format_time(header.time),
        }, {"block": height, "index": tree_size - 1, "tree_size": tree_size})))
    return rows


_row: Final[Any] = tuple.__new__
"""Builds an OutboxRow without the NamedTuple constructor's Python-level call."""


def _with(parties: str, party: str) -> str:
    return f"{parties}{party} " if parties else f" {party} "


def _party_writer(kind: type) -> Callable[[Any], str]:
    """A function giving the ``parties`` text of one kind of effect, in field order.

    Fields that are never None get a single %-format (a third of the cost of
    building a list and joining it); a kind with an optional party field
    takes the general way.
    """
    fields = party_fields(kind)
    if not fields:
        return lambda _effect: PUBLIC
    hints = get_type_hints(kind)
    names: tuple[str, ...] = kind._fields  # type: ignore[attr-defined]
    if any(hints[names[position]] is not str for position, _ in fields):
        return lambda effect: party_text(own_parties(effect))
    form = " " + " ".join(f"{party}:%s" for _, party in fields) + " "
    positions = tuple(position for position, _ in fields)
    if len(positions) == 1:
        [first] = positions
        return lambda effect: form % effect[first]
    return lambda effect: form % tuple(effect[position] for position in positions)


_KINDS: Final = {kind: (name, _party_writer(kind)) for kind, name in EFFECT_TYPES.items()}


def anchor_event(record: AnchorRecord) -> OutboxRow:
    """The ``checkpoint.anchored`` event of an anchor record, stored with it
    (``AttestationStore.add_anchor``)."""
    event_id = f"ev_anchor_{record.chain_id}_{record.contract.lower()}_{record.number}"
    log = {"block": record.block_height, "index": record.tree_size - 1,
           "tree_size": record.tree_size}
    return OutboxRow(event_id, CHECKPOINT_ANCHORED, record.time_us, record.tree_size - 1, None,
                     record.block_height, record.tree_size, PUBLIC, envelope(
                         event_id, CHECKPOINT_ANCHORED, record.time_us, {
                             "chain_id": record.chain_id, "contract": record.contract,
                             "number": record.number, "tree_size": record.tree_size,
                             "root": record.root.hex(), "block_height": record.block_height,
                             "tx_hash": record.tx_hash, "chain_block": record.chain_block,
                         }, log))


def envelope(event_id: str, event_type: str, time_us: int, data: Any,
             log: dict[str, int]) -> bytes:
    """The canonical body of an event."""
    return orjson.dumps({"id": event_id, "type": event_type, "timestamp": format_time(time_us),
                         "log": log, "data": data}, option=orjson.OPT_SORT_KEYS)


def effect_body(event_id: str, event_type: str, time_us: int, log_index: int, position: int,
                block: int, tree_size: int, entry: dict[str, Any]) -> bytes:
    """The body of an effect's event, from its entry (decoded canonical JSON)."""
    return envelope(event_id, event_type, time_us, entry["effects"][position],
                    {"block": block, "effect": position, "index": log_index,
                     "tree_size": tree_size})


def visible_to(parties: str, owner: str) -> bool:
    """Whether the owner of an endpoint or key (``admin`` or a party) may hear an event."""
    if owner == ADMIN:
        return True
    return parties == PUBLIC or f" {owner} " in parties


def check_patterns(patterns: Iterable[str]) -> list[str]:
    """Event type filters as given: exact types, ``order.*`` or ``*``.

    Raises:
        ValueError: a filter that matches no event type.
    """
    result = []
    for pattern in patterns:
        if not isinstance(pattern, str) or not any(
                fnmatch.fnmatchcase(name, pattern) for name in EVENT_TYPES):
            raise ValueError(f"{pattern!r} matches no event type (known: "
                             f"{', '.join(EVENT_TYPES)}; or a pattern like 'order.*')")
        result.append(pattern)
    return result


OPT_IN: Final = frozenset({BLOCK_COMMITTED})
"""Types a webhook hears only when its filter names them (``block.committed`` or a pattern
that matches it, ``*`` included): one per block, they would outnumber every other event
at a few orders per block, and few receivers want them."""


def matches(event_type: str, patterns: Sequence[str]) -> bool:
    """Whether ``event_type`` passes a webhook's filter (an empty filter passes every
    type but the :data:`OPT_IN` ones)."""
    if not patterns:
        return event_type not in OPT_IN
    return any(
        pattern == event_type or fnmatch.fnmatchcase(event_type, pattern)
        for pattern in patterns)

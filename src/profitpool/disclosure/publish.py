"""A month's disclosure: the report, its proof of liabilities, stored and recorded in the log.

:func:`prepare` replays the log to the month's end (month.py), builds the
Merkle-sum tree of every holding (pol.py) and assembles the report's JSON
twin; its SHA-256 and the tree's root and total go into the log as a
``disclosure`` command (by the CLI's writer or the service's sequencer), so
a report changed later no longer matches its entry. :func:`save` stores the
report and the tree's tiles so members' proofs are served from storage.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from typing import Any

import orjson

from ..gcpause import paused_gc
from ..members.pseudonyms import is_pseudonym
from ..money import format_fen
from ..store.attestations import AttestationStore
from ..store.disclosures import (
    DisclosureStore,
    PolTileRow,
    ReportSummary,
    StoredReport,
)
from ..store.repository import LogStore
from ..store.secrets import POL_SECRET, PSEUDONYM_KEY, SecretStore
from ..texts import BURN_NOTE
from ..times import format_time
from . import pol
from .month import (
    MonthFigures,
    holders_figures,
    holdings,
    ledger_head,
    liabilities,
    month_figures,
)

NO_PROMISE = "This report states facts and promises no return; the price can fall."
REPORT_FORMAT = 2
"""The report's ``format``. A report without one is of format 1: written before cash
(docs/rules.md section 10) was reported, its tree of members' holdings alone (pol-leaf-v1).
Format 2 adds ``cash`` and a tree of every party's points, owed and in flight (pol-leaf-v2)."""


@dataclass(frozen=True)
class Prepared:
    period: str
    report: dict[str, Any]
    report_json: bytes
    sha256: str
    tree: pol.PolTree

    def command(self, at: str) -> dict[str, Any]:
        """The ``disclosure`` command that records this report in the log."""
        return {"op": "disclosure", "period": self.period, "report_sha256": self.sha256,
                "pol_root": self.tree.root.hex(), "pol_total": format_fen(self.tree.total_fen),
                "at": at}


def pseudonym_of(key: bytes, member_id: str) -> str:
    """The public pseudonym of a member (the same as the explorer's, web/pseudonyms.py)."""
    import hmac

    return hmac.new(key, member_id.encode(), hashlib.sha256).hexdigest()[:20]


def prepare(store: LogStore, period: tuple[int, int], now_us: int) -> Prepared:
    """Compute a month's report and proof of liabilities (nothing is written but the
    program's secrets the tree needs, made on the first report: store/secrets.py).

    A month gets a format 2 report, unless the log recorded the month already with the
    format 1 report of the same figures: then that one, byte for byte, so running a
    month again after an upgrade is still the idempotent retry it was.

    The month is checked (by replaying to its end) before any secret is made, so a
    refused month leaves none behind.

    Raises:
        MonthError: the month is not over yet, or ends before the program started.
    """
    with paused_gc():  # a replay makes millions of objects and no cycles (gcpause.py)
        figures = month_figures(store, period, now_us)
        program_secrets = SecretStore(store.engine)
        pol_secret = program_secrets.get_or_create(POL_SECRET)
        ledger = figures.ledger
        owed = liabilities(ledger)
        # A member is named in the tree by their pseudonym in the log; a member of a log
        # written before pseudonyms (named there as the merchant sent them) by a keyed
        # hash of that id instead, so no such id reaches the public tree.
        legacy = any(kind == "member" and not is_pseudonym(party_id)
                     for kind, party_id, *_ in owed)
        pseudonym_key = program_secrets.get_or_create(PSEUDONYM_KEY) if legacy else b""

        def public_name(member_id: str) -> str:
            return member_id if is_pseudonym(member_id) else pseudonym_of(pseudonym_key,
                                                                           member_id)

        tree = pol.build_v2(figures.period, pol_secret, (
            pol.PartyLiability(f"{kind}:{party_id}", kind,
                               public_name(party_id) if kind == "member" else party_id,
                               points, owed_fen, in_flight)
            for kind, party_id, points, owed_fen, in_flight in owed))
        prepared = prepared_report(figures, tree, assemble(store, figures, tree))
        recorded = recorded_disclosure(store, figures.period)
        if recorded is not None and recorded["report_sha256"] != prepared.sha256:
            tree = pol.build(figures.period, pol_secret,
                             ((member_id, public_name(member_id), value)
                              for member_id, value in holdings(ledger)))
            first = prepared_report(figures, tree, assemble(store, figures, tree))
            if first.sha256 == recorded["report_sha256"]:
                return first
    return prepared


def prepared_report(figures: MonthFigures, tree: pol.PolTree, report: dict[str, Any]) -> Prepared:
    """The report's canonical JSON twin and its SHA-256, with the tree it commits to."""
    report_json = orjson.dumps(report, option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2)
    return Prepared(figures.period, report, report_json,
                    hashlib.sha256(report_json).hexdigest(), tree)


def assemble(store: LogStore, figures: MonthFigures, tree: pol.PolTree) -> dict[str, Any]:
    """The report's JSON twin (money as decimal strings, every figure from the engine): of
    format 2 for a version 2 tree, of format 1 (exactly as before cash) for a version 1."""
    ledger, sums = figures.ledger, figures.sums
    meta = store.meta()
    end = ledger_head(ledger)
    merchants = []
    industries: dict[str, dict[str, int]] = {}
    for merchant_id, shop in sorted(figures.by_merchant.items()):
        record = ledger.merchants[merchant_id].command
        merchants.append({
            "merchant": merchant_id, "name": record.name, "industry": record.industry,
            "orders": shop["orders"], "amount": format_fen(shop["amount"]),
            "profit": format_fen(shop["profit"]), "injected": format_fen(shop["injected"])})
        group = industries.setdefault(record.industry or "-", {"orders": 0, "amount": 0,
                                                                "injected": 0})
        for key in group:
            group[key] += shop[key]
    first, last = figures.first_entry, figures.last_entry
    anchored = [record for record in AttestationStore(store.engine).anchors()
                if first is not None and last is not None
                and first < record.tree_size <= last + 1]
    paid = (sums["withdrawn_paid"] + sums["payment_paid"] + sums["exit_paid"]
            + sums["seized_paid"])
    report: dict[str, Any] = {
        "period": figures.period,
        "program": {"origin": meta.get("origin", ""), "verifier_key": meta.get("verifier_key",
                                                                                "")},
        "generated_from": {"first_entry": first, "last_entry": last,
                           "tree_size": figures.tree_size,
                           "block": store.height_covering(figures.tree_size)
                           if figures.tree_size else None},
        "orders": {
            "count": figures.effects["OrderPlaced"], "amount": format_fen(sums["amount"]),
            "profit": format_fen(sums["profit"]), "injected": format_fen(sums["injected"]),
            "by_merchant": merchants,
            "by_industry": [{"industry": name, "orders": group["orders"],
                             "amount": format_fen(group["amount"]),
                             "injected": format_fen(group["injected"])}
                            for name, group in sorted(industries.items())],
            "refunded": figures.effects["OrderRefunded"],
        },
        "withdrawals": {
            "count": figures.effects["Withdrawn"], "value": format_fen(sums["withdrawn_value"]),
            "paid": format_fen(sums["withdrawn_paid"]),
            "kept_in_pool": format_fen(sums["withdrawn_value"] - sums["withdrawn_paid"])},
        "payments": {"count": figures.effects["PaidAtMerchant"],
                     "value": format_fen(sums["payment_value"]),
                     "paid_to_merchants": format_fen(sums["payment_paid"])},
        "exits": {"count": figures.effects["LotExited"], "paid": format_fen(sums["exit_paid"]),
                  "to_members": format_fen(sums["exit_to_member"]),
                  "to_lenders": format_fen(sums["exit_to_lender"])},
        "seizures": {"count": figures.effects["PledgeSeized"],
                     "paid": format_fen(sums["seized_paid"]),
                     "to_lenders": format_fen(sums["seized_to_lender"]),
                     "to_members": format_fen(sums["seized_to_member"])},
        "burns": figures.burns,
        "pool": {"start": figures.start["pool"], "end": end["pool"],
                 "injected": format_fen(sums["injected"]), "paid": format_fen(paid)},
        "supply": {"start": figures.start["supply"], "end": end["supply"]},
        "price": {"start": figures.start["price"], "end": end["price"]},
        "value_per_point": {"start": figures.start["value_per_point"],
                            "end": end["value_per_point"]},
        "holders": holders_figures(ledger),
        "rules": {"in_force": ledger.rules.to_json(), "changes": figures.rule_changes},
        "custody": figures.custody,
        "anchors": [{"number": record.number, "tree_size": record.tree_size,
                     "block": record.block_height, "chain_id": record.chain_id,
                     "contract": record.contract, "transaction": record.tx_hash}
                    for record in anchored],
        "proof_of_liabilities": {
            "root": tree.root.hex(), "total": format_fen(tree.total_fen),
            "leaves": tree.leaf_count, "members": len(tree.member_ids),
            "pool": end["pool"], "covered": ledger.pool >= tree.total_fen},
        "notes": {"burn": BURN_NOTE.en, "no_promise": NO_PROMISE},
    }
    if tree.version == 2:
        report["format"] = REPORT_FORMAT
        report["cash"] = cash_figures(figures)
        report["proof_of_liabilities"] = liabilities_figures(figures, tree)
    return report


def cash_figures(figures: MonthFigures) -> dict[str, Any]:
    """Cash at the month's end (docs/rules.md section 10), the month's payouts, and custody
    needed (pool + owed + in flight) against the month's last recorded custody figure."""
    ledger, sums, count = figures.ledger, figures.sums, figures.effects
    owed_by = {"member": 0, "merchant": 0, "lender": 0}
    in_flight_by = dict(owed_by)
    for kind, _, _, owed, in_flight in liabilities(ledger):
        owed_by[kind] += owed
        in_flight_by[kind] += in_flight
    owed = sum(owed_by.values())
    needed = ledger.pool + owed + ledger.in_flight
    last = figures.last_custody
    return {
        "end": {"pool": format_fen(ledger.pool), "owed": format_fen(owed),
                "in_flight": format_fen(ledger.in_flight),
                "settled": format_fen(ledger.settled),
                "custody_needed": format_fen(needed),
                "injected": format_fen(ledger.injected)},
        "owed_by": {f"{kind}s": format_fen(fen) for kind, fen in owed_by.items()},
        "in_flight_by": {f"{kind}s": format_fen(fen) for kind, fen in in_flight_by.items()},
        "payouts": {
            "sent": {"count": count["PayoutSent"], "amount": format_fen(sums["payouts_sent"])},
            "settled": {"count": count["PayoutSettled"],
                        "amount": format_fen(sums["payouts_settled"])},
            "returned": {"count": count["PayoutReturned"],
                         "amount": format_fen(sums["payouts_returned"])},
        },
        "custody": {
            "needed": format_fen(needed),
            "recorded": None if last is None else format_fen(last.amount),
            "id": None if last is None else last.custody,
            "at": None if last is None else format_time(figures.last_custody_at),
            "reference": None if last is None else last.reference,
            "difference": None if last is None else format_fen(last.amount - needed),
        },
    }


def liabilities_figures(figures: MonthFigures, tree: pol.PolTree) -> dict[str, Any]:
    """A version 2 tree's commitment, what its total is made of, and what covers it."""
    ledger = figures.ledger
    points = owed = in_flight = 0
    parties = {"members": 0, "merchants": 0, "lenders": 0}
    for kind, _, points_fen, owed_fen, in_flight_fen in liabilities(ledger):
        points, owed, in_flight = points + points_fen, owed + owed_fen, in_flight + in_flight_fen
        parties[f"{kind}s"] += 1
    if points + owed + in_flight != tree.total_fen:
        raise pol.PolError(f"the tree's total {tree.total_fen} fen is not the "
                           f"{points + owed + in_flight} fen these liabilities add up to")
    last = figures.last_custody
    return {
        "format": "pol-leaf-v2", "root": tree.root.hex(), "total": format_fen(tree.total_fen),
        "leaves": tree.leaf_count, "members": parties["members"], "parties": parties,
        "points": format_fen(points), "owed": format_fen(owed),
        "in_flight": format_fen(in_flight), "pool": format_fen(ledger.pool),
        "pool_covers_points": ledger.pool >= points,
        "custody_needed": format_fen(ledger.pool + owed + in_flight),
        "custody": None if last is None else format_fen(last.amount),
        "custody_covers": None if last is None else last.amount >= tree.total_fen,
    }


def save(store: LogStore, prepared: Prepared) -> None:
    """Store the report and its tree (replacing an unpublished earlier version)."""
    tree, period = prepared.tree, prepared.period
    DisclosureStore(store.engine).replace(
        StoredReport(period, prepared.report_json, prepared.sha256, tree.root.hex(),
                     tree.total_fen, tree.leaf_count, time.time_ns() // 1000),
        [PolTileRow(level, index, data) for level, index, data in pol.tree_rows(tree)],
        pol.member_rows(tree))


def unsave(store: LogStore, period: str) -> None:
    """Remove a stored report and tree whose ``disclosure`` entry the log refused."""
    DisclosureStore(store.engine).remove(period)


def stored_report(store: LogStore, period: str) -> StoredReport | None:
    """The stored row of a month's report (None if there is none)."""
    return DisclosureStore(store.engine).report(period)


def stored_periods(store: LogStore) -> list[ReportSummary]:
    """Every stored month's period, report hash and tree root and total, newest first."""
    return DisclosureStore(store.engine).periods()


def member_proof(store: LogStore, period: str, member_id: str) -> pol.MemberProof | None:
    """A party's proof of a stored month, read from the stored tiles (None: not in it).

    ``member_id`` is a member's id in the log, or ``merchant:ID`` / ``lender:ID`` (a
    format 2 month's tree holds them too). The proof is of the version the month's tree
    was built with (pol.py: the stored salt's length tells).

    Raises:
        PolError: the stored tree does not give a proof of the stored root and total.
    """
    stored = DisclosureStore(store.engine)
    report = stored.report(period)
    if report is None:
        return None
    with stored.tree(period) as tree:
        member = tree.member(member_id)
        if member is None:
            return None
        party = pol.stored_party(member.member, member.pseudonym, member.salt)
        return pol.member_proof_from_rows(
            tree.tile, period=period, pseudonym=party.name, salt=party.salt,
            positions=(member.position_a, member.position_b), leaf_count=report.pol_leaves,
            root=bytes.fromhex(report.pol_root), total_fen=report.pol_total,
            version=party.version, kind=party.kind, amounts=party.amounts)


def recorded_disclosures(store: LogStore) -> dict[str, dict[str, Any]]:
    """Every ``disclosure`` command in the log, by period, with its entry index."""
    found: dict[str, dict[str, Any]] = {}
    for index in store.party_entries("disclosures", None, 10_000):
        data = store.entry(index)
        if data is None:
            continue
        command = orjson.loads(data)["command"]
        if command["op"] == "disclosure":
            found[command["period"]] = {"index": index, **command}
    return found


def recorded_disclosure(store: LogStore, period: str) -> dict[str, Any] | None:
    """The log's ``disclosure`` command for ``period`` with its entry index, if any."""
    return recorded_disclosures(store).get(period)

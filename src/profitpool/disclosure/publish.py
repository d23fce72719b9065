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
import secrets
import time
from dataclasses import dataclass
from typing import Any

import orjson

from ..gcpause import paused_gc
from ..money import format_fen
from ..store.attestations import AttestationStore
from ..store.disclosures import (
    DisclosureStore,
    PolTileRow,
    ReportSummary,
    StoredReport,
)
from ..store.repository import LogStore
from ..texts import BURN_NOTE
from . import pol
from .month import MonthFigures, holders_figures, holdings, ledger_head, month_figures

POL_SECRET_META = "pol_secret"
PSEUDONYM_META = "pseudonym_key"
NO_PROMISE = "This report states facts and promises no return; the price can fall."


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


def program_secret(store: LogStore, name: str) -> bytes:
    """A 32-byte secret of the program kept in ``log_meta`` (made on first use)."""
    meta = store.meta()
    if name not in meta:
        store.set_meta({name: secrets.token_hex(32)})
        meta = store.meta()
    return bytes.fromhex(meta[name])


def pseudonym_of(key: bytes, member_id: str) -> str:
    """The public pseudonym of a member (the same as the explorer's, web/pseudonyms.py)."""
    import hmac

    return hmac.new(key, member_id.encode(), hashlib.sha256).hexdigest()[:20]


def prepare(store: LogStore, period: tuple[int, int], now_us: int) -> Prepared:
    """Compute a month's report and proof of liabilities (nothing is written).

    Raises:
        MonthError: the month is not over yet, or ends before the program started.
    """
    pseudonym_key = program_secret(store, PSEUDONYM_META)
    pol_secret = program_secret(store, POL_SECRET_META)
    with paused_gc():  # a replay makes millions of objects and no cycles (gcpause.py)
        figures = month_figures(store, period, now_us)
        ledger = figures.ledger
        tree = pol.build(figures.period, pol_secret,
                         ((member_id, pseudonym_of(pseudonym_key, member_id), value)
                          for member_id, value in holdings(ledger)))
    report = assemble(store, figures, tree)
    report_json = orjson.dumps(report, option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2)
    return Prepared(figures.period, report, report_json,
                    hashlib.sha256(report_json).hexdigest(), tree)


def assemble(store: LogStore, figures: MonthFigures, tree: pol.PolTree) -> dict[str, Any]:
    """The report's JSON twin (money as decimal strings, every figure from the engine)."""
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
    return {
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
    """A member's proof of a stored month, read from the stored tiles (None: not in it).

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
        return pol.member_proof_from_rows(
            tree.tile, period=period, pseudonym=member.pseudonym, salt=member.salt,
            positions=(member.position_a, member.position_b), leaf_count=report.pol_leaves,
            root=bytes.fromhex(report.pol_root), total_fen=report.pol_total)


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

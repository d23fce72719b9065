"""How long a payout run and a bank statement's import take, end to end, at a million.

Run ``python benchmarks/payouts.py`` (1,000,000 parties owed; setting the log up
takes several minutes and is not timed) or ``python benchmarks/payouts.py --smoke``
(1,000 parties, seconds: keeps this script from rotting in CI). SQLite, in one
temporary directory deleted at the end. It prints, and asserts nothing about speed:

1. **a payout run** for N members owed money, each with a verified destination, as
   ``profitpool payouts run`` does it: plan (what is owed, the verified destinations,
   one payout each), log the N ``payout`` entries (signed blocks of 1,000), open the N
   sealed destinations, write the pain.001, seal and store it (target: under 60 s);
2. **an import** of the bank's camt.053 statement of those N transfers (one line each,
   1% of them returned), as ``profitpool payouts import`` does it: parse, match, log the
   N ``payout_settled`` / ``payout_returned`` entries, record the closing balance and the
   file (target: under 60 s).

Set-up, never timed: the log gets N members, each with one order and a withdrawal of
everything (so each is owed what its withdrawal paid), and N destinations, added
through cash/destinations.py and then marked verified in one statement.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import shutil
import tempfile
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from time import perf_counter

from sqlalchemy import update

from profitpool.bootstrap import open_directory, open_writer
from profitpool.cash.destinations import add_destinations
from profitpool.cash.operations import (
    finish_import,
    finish_run,
    log_commands,
    owed_in,
    payout_state_in,
    prepare_import,
    prepare_run,
)
from profitpool.cash.runs import payout_commands
from profitpool.log.setup import initialise
from profitpool.store.cash import CashStore, CustodyAccount
from profitpool.store.schema import payout_destinations
from profitpool.times import SHANGHAI, format_time

BLOCK_SIZE = 1_000
START = datetime(2026, 3, 1, 9, tzinfo=SHANGHAI)
ACCOUNT = CustodyAccount("某某科技有限公司", "110000123456789", "CNY", "", "102100099996")


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores, {cpu}, Python {platform.python_version()}"


def setup_commands(n: int) -> Iterator[dict[str, object]]:
    yield {"op": "merchant", "id": "m1", "name": "鲜果铺", "at": START.isoformat()}
    at = START.isoformat()
    for i in range(n):
        yield {"op": "order", "id": f"o{i}", "merchant": "m1", "member": f"u{i:07d}",
               "amount": f"{100 + i % 900}.00", "profit": f"{20 + i % 100}.00", "at": at}
    at = (START + timedelta(days=1)).isoformat()
    for i in range(n):
        yield {"op": "withdraw", "id": f"w{i}", "member": f"u{i:07d}", "points": "all",
               "at": at}


def camt053(payouts: list[tuple[str, int]], returned_every: int) -> bytes:
    """A statement as a bank writes it: one booked debit per transfer, a return credit
    for every ``returned_every``-th, and the closing balance."""
    parts = ['<?xml version="1.0" encoding="UTF-8"?>\n<Document xmlns="urn:iso:std:iso:'
             '20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt><GrpHdr><MsgId>EOD-BENCH</MsgId>'
             '<CreDtTm>2026-03-03T18:00:00+08:00</CreDtTm></GrpHdr><Stmt><Id>S1</Id>'
             '<CreDtTm>2026-03-03T18:00:00+08:00</CreDtTm><Acct><Id><Othr><Id>'
             f'{ACCOUNT.account}</Id></Othr></Id><Ccy>CNY</Ccy></Acct>'
             '<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="CNY">100000000.00'
             '</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-03-03</Dt></Dt></Bal>']
    for number, (payout, fen) in enumerate(payouts):
        amount = f"{fen // 100}.{fen % 100:02d}"
        returned = returned_every and number % returned_every == 0
        direction = "CRDT" if returned else "DBIT"
        back = ("<RtrInf><Rsn><Cd>AC04</Cd></Rsn></RtrInf>" if returned else "")
        parts.append(
            f'<Ntry><Amt Ccy="CNY">{amount}</Amt><CdtDbtInd>{direction}</CdtDbtInd>'
            '<Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>2026-03-03</Dt></BookgDt>'
            f'<AcctSvcrRef>B{number}</AcctSvcrRef><BkTxCd/><NtryDtls><TxDtls><Refs>'
            f'<EndToEndId>{payout}</EndToEndId></Refs><Amt Ccy="CNY">{amount}</Amt>{back}'
            '</TxDtls></NtryDtls></Ntry>')
    parts.append("</Stmt></BkToCstmrStmt></Document>")
    return "".join(parts).encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="parties owed")
    parser.add_argument("--smoke", action="store_true", help="1,000 parties")
    parser.add_argument("--snapshot-every", type=int, default=None,
                        help="the writer's snapshot interval in entries [default: the "
                        "CLI's]")
    options = parser.parse_args()
    n = 1_000 if options.smoke else options.n
    print(machine())
    workdir = Path(tempfile.mkdtemp(prefix="pp-payouts-"))
    try:
        run(workdir, n, options.snapshot_every)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def run(workdir: Path, n: int, snapshot_every: int | None) -> None:
    url = f"sqlite:///{workdir / 'log.db'}"
    key = workdir / "operator.key"
    initialise(url, key, None)
    set_up = perf_counter()
    writer = open_writer(url, key, block_size=BLOCK_SIZE,
                         **({} if snapshot_every is None else
                            {"snapshot_every": snapshot_every}))
    directory = open_directory(writer, key)
    log_commands(writer, setup_commands(n))
    cash = CashStore(writer.store.engine)
    cash.set_account(ACCOUNT, time.time_ns() // 1000)
    owed = owed_in(writer.ledger)
    batch = 50_000
    for start in range(0, n, batch):
        add_destinations(directory, [(party, {"account": f"1100{i:016d}", "name": f"会员{i}"})
                                     for i, (party, _) in enumerate(owed[start:start + batch],
                                                                    start)])
    with writer.store.engine.begin() as connection:
        connection.execute(update(payout_destinations).values(status="verified"))
    print(f"set-up (untimed): {n:,} members owed {sum(f for _, f in owed) / 100:,.2f} CNY, "
          f"{n:,} verified destinations, in {perf_counter() - set_up:.0f} s")
    gc.collect()

    # 1. the run -----------------------------------------------------------------
    now = datetime.now(SHANGHAI)
    marks = [perf_counter()]
    prepared = prepare_run(directory, cash, owed_in(writer.ledger), 1, now)
    plan = prepared.plan
    marks.append(perf_counter())
    at = format_time(max(writer.ledger.now, time.time_ns() // 1000))
    log_commands(writer, payout_commands(plan, at))
    marks.append(perf_counter())
    result = finish_run(directory, cash, prepared, {}, now, now.date())
    marks.append(perf_counter())
    total = marks[-1] - marks[0]
    print(f"[1] payout run of {result.accepted:,} payouts ({result.total / 100:,.2f} CNY): "
          f"{total:.1f} s = {result.accepted / total:,.0f} payouts/s (target: under 60 s)")
    print(f"    plan and open the destinations {marks[1] - marks[0]:.1f} s, log the payouts "
          f"{marks[2] - marks[1]:.1f} s, write, seal and store the pain.001 "
          f"{marks[3] - marks[2]:.1f} s")

    # 2. the import --------------------------------------------------------------
    data = camt053([(p.payout, p.amount) for p in plan.payouts], 100)
    gc.collect()
    marks = [perf_counter()]
    imported = prepare_import(cash, data, payout_state_in(writer.ledger))
    marks.append(perf_counter())
    at = format_time(max(writer.ledger.now, time.time_ns() // 1000))
    log_commands(writer, [{**command, "at": at} for command in imported.reconciliation.commands])
    marks.append(perf_counter())
    summary = finish_import(cash, imported, {})
    marks.append(perf_counter())
    total = marks[-1] - marks[0]
    lines = len(imported.statement.lines)
    print(f"[2] import of a camt.053 of {lines:,} lines ({len(data) / 1e6:,.0f} MB; "
          f"{summary['settled']:,} settled, {summary['returned']:,} returned): {total:.1f} s "
          f"= {lines / total:,.0f} lines/s (target: under 60 s)")
    print(f"    parse + match {marks[1] - marks[0]:.1f} s, log the outcomes "
          f"{marks[2] - marks[1]:.1f} s, record {marks[3] - marks[2]:.1f} s")
    writer.close()


if __name__ == "__main__":
    main()

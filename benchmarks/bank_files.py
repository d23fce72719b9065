"""How fast the bank files are written and read: pain.001 out, camt.053 back.

Run ``python benchmarks/bank_files.py`` (1,000,000 transfers and
1,000,000 statement lines, about a minute on 2 cores and 2 GB of memory at the
peak) or ``--smoke`` (1,000 of each, a second: for CI, like the other
benchmarks' ``--smoke``); ``--n`` picks another size. It prints, and asserts only that the
result is complete:

1. ``write_pain001`` of N transfers with Chinese names, CNAPS creditor banks
   and remittance text: seconds, transfers/s, MB;
2. ``parse_statement`` of a camt.053.001.08 of N transactions, 1 in 10 of them
   batched 10 to an entry, 1 in 100 a return with reason AC04: seconds,
   lines/s, MB. Building the document is not timed.

docs/bank-files.md, "Speed", quotes the figures.
"""

from __future__ import annotations

import argparse
import gc
import platform
import resource
from datetime import UTC, date, datetime
from time import perf_counter

from common import GcWatch, cpu_model
from profitpool.cash import Debtor, Transfer, parse_statement, write_pain001
from profitpool.money import format_fen

DEBTOR = Debtor("杭州利润池科技有限公司", "6222021001122334455", "ICBKCNBJZJP", "102331000015")
BATCH = 10  # transactions in a batched entry


def transfers(count: int) -> list[Transfer]:
    return [
        Transfer(f"po_{number:012d}", 100 + number % 500_000, f"会员{number}号 张三",
                 f"62170012{number:011d}", None, "308584000013", f"积分提现 po_{number:012d}")
        for number in range(count)
    ]


def camt053(count: int) -> bytes:
    """A camt.053.001.08 of ``count`` transactions, as a Chinese bank writes one."""
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt>'
        "<GrpHdr><MsgId>BENCH</MsgId><CreDtTm>2026-12-07T06:00:00+08:00</CreDtTm></GrpHdr>"
        "<Stmt><Id>BENCH-1</Id><CreDtTm>2026-12-07T06:00:00+08:00</CreDtTm>"
        '<Acct><Id><Othr><Id>6222021001122334455</Id></Othr></Id><Ccy>CNY</Ccy></Acct>'
        '<Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="CNY">1000000.00</Amt>'
        "<CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-12-06</Dt></Dt></Bal>\n"
    ]
    code = ("<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>ICDT</Cd><SubFmlyCd>{}</SubFmlyCd></Fmly>"
            "</Domn></BkTxCd>")
    number = 0
    while number < count:
        if number % (10 * BATCH) == 0 and count - number >= BATCH:
            amounts = [100 + (number + i) % 50_000 for i in range(BATCH)]
            details = "".join(
                f"<TxDtls><Refs><AcctSvcrRef>T{number + i}</AcctSvcrRef>"
                f"<EndToEndId>po_{number + i:012d}</EndToEndId></Refs>"
                f'<Amt Ccy="CNY">{format_fen(amount)}</Amt><CdtDbtInd>DBIT</CdtDbtInd></TxDtls>'
                for i, amount in enumerate(amounts))
            parts.append(
                f'<Ntry><Amt Ccy="CNY">{format_fen(sum(amounts))}</Amt><CdtDbtInd>DBIT</CdtDbtInd>'
                f"<Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>2026-12-06</Dt></BookgDt>"
                f"<AcctSvcrRef>B{number}</AcctSvcrRef>{code.format('DMCT')}"
                f"<NtryDtls><Btch><NbOfTxs>{BATCH}</NbOfTxs></Btch>{details}</NtryDtls></Ntry>\n")
            number += BATCH
            continue
        returned = number % 100 == 11
        amount = format_fen(100 + number % 50_000)
        direction = "CRDT" if returned else "DBIT"
        return_info = ("<RtrInf><Rsn><Cd>AC04</Cd></Rsn><AddtlInf>收款账户已销户</AddtlInf>"
                       "</RtrInf>") if returned else ""
        parts.append(
            f'<Ntry><Amt Ccy="CNY">{amount}</Amt><CdtDbtInd>{direction}</CdtDbtInd>'
            f"<Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>2026-12-06</Dt></BookgDt>"
            f"<ValDt><Dt>2026-12-06</Dt></ValDt><AcctSvcrRef>S{number}</AcctSvcrRef>"
            f"{code.format('RRTN' if returned else 'DMCT')}<NtryDtls><TxDtls><Refs>"
            f"<EndToEndId>po_{number:012d}</EndToEndId></Refs>"
            f'<Amt Ccy="CNY">{amount}</Amt><CdtDbtInd>{direction}</CdtDbtInd>'
            f"<RltdPties><Cdtr><Pty><Nm>会员{number}号</Nm></Pty></Cdtr></RltdPties>"
            f"<RmtInf><Ustrd>积分提现 po_{number:012d}</Ustrd></RmtInf>{return_info}"
            "</TxDtls></NtryDtls></Ntry>\n")
        number += 1
    parts.append("</Stmt></BkToCstmrStmt></Document>\n")
    return "".join(parts).encode("utf-8")


def bench_write(count: int) -> None:
    batch = transfers(count)
    gc.collect()
    with GcWatch() as collector:
        started = perf_counter()
        document = write_pain001("BENCH-PAYOUT", datetime(2026, 12, 7, 9, tzinfo=UTC), DEBTOR,
                                 date(2026, 12, 7), batch)
        seconds = perf_counter() - started
    assert document.count(b"<CdtTrfTxInf>") == count
    print(f"[1] write_pain001: {count:,} transfers in {seconds:.2f} s = "
          f"{count / seconds:,.0f} transfers/s, {len(document) / 1e6:,.0f} MB; {collector}")


def bench_read(count: int) -> None:
    document = camt053(count)
    gc.collect()
    with GcWatch() as collector:
        started = perf_counter()
        statement = parse_statement(document)
        seconds = perf_counter() - started
    assert len(statement.lines) == count, len(statement.lines)
    returns = sum(line.return_reason == "AC04" for line in statement.lines)
    print(f"[2] parse_statement: camt.053 of {count:,} lines ({returns:,} returns) in "
          f"{seconds:.2f} s = {count / seconds:,.0f} lines/s, {len(document) / 1e6:,.0f} MB; "
          f"{collector}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="transfers and lines")
    parser.add_argument("--smoke", action="store_true", help="1,000 of each, for CI")
    args = parser.parse_args()
    count = 1_000 if args.smoke else args.n
    print(f"Python {platform.python_version()} ({platform.python_implementation()}) on "
          f"{cpu_model()}")
    bench_write(count)
    bench_read(count)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6
    print(f"peak RSS {peak:.2f} GB")


if __name__ == "__main__":
    main()

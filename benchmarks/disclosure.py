"""How long a month's disclosure takes: report and proof-of-liabilities tree for N members.

``python benchmarks/disclosure.py`` (1,000,000 members, one order each in January
2026, a few minutes) or ``--smoke`` (2,000 members, CI). The log is built with
``LogWriter`` (untimed), then ``prepare`` (replay to the month's end, figures,
the Merkle-sum tree) and ``save`` (report and tree rows into SQLite) are timed,
and one member's proof is read back from storage. Figures are printed, never
asserted (targets: report and tree < 60 s; a proof from storage < 50 ms).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from time import perf_counter

sys.path.insert(0, str(Path(__file__).parent))

from common import cpu_model  # noqa: E402
from profitpool.bootstrap import open_writer  # noqa: E402
from profitpool.disclosure.publish import member_proof, prepare, save  # noqa: E402
from profitpool.store.database import connect  # noqa: E402
from profitpool.store.repository import LogStore  # noqa: E402
from profitpool.times import format_time, month_start  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true")
    args = parser.parse_args()
    members = 2_000 if args.smoke else 1_000_000
    print(f"{cpu_model()} x{os.cpu_count()}; {members:,} members")
    with tempfile.TemporaryDirectory(prefix="profitpool-bench-disclosure-") as name:
        url, key = f"sqlite:///{Path(name) / 'log.db'}", Path(name) / "op.key"
        subprocess.run([sys.executable, "-m", "profitpool.cli", "init", "--db", url, "--key",
                        str(key)], check=True, capture_output=True)
        started = perf_counter()
        writer = open_writer(url, key, block_size=1000)
        start = month_start(2026, 1)
        writer.submit({"op": "merchant", "id": "m1", "at": format_time(start)})
        step = (month_start(2026, 2) - start - 1) // members
        for number in range(members):
            amount = 1_000 + number % 50_000
            writer.submit({"op": "order", "id": f"o{number}", "merchant": "m1",
                           "member": f"u{number}", "amount": f"{amount // 100}.{amount % 100:02d}",
                           "profit": f"{amount // 500}.00",
                           "at": format_time(start + 1 + number * step)})
        writer.close()
        print(f"log of {members + 1:,} entries built in {perf_counter() - started:.1f} s "
              "(untimed)")
        store = LogStore(connect(url))
        started = perf_counter()
        prepared = prepare(store, (2026, 1), month_start(2026, 3))
        prepared_s = perf_counter() - started
        started = perf_counter()
        save(store, prepared)
        saved_s = perf_counter() - started
        print(f"report + tree: prepare {prepared_s:.1f} s (replay, figures, Merkle-sum tree of "
              f"{prepared.tree.leaf_count:,} leaves), save {saved_s:.1f} s; total "
              f"{prepared_s + saved_s:.1f} s  [target < 60 s: "
              f"{'met' if prepared_s + saved_s < 60 else 'NOT met'}]")
        times = []
        for number in range(0, members, max(1, members // 50)):
            started = perf_counter()
            proof = member_proof(store, "2026-01", f"u{number}")
            times.append(perf_counter() - started)
            assert proof is not None
        print(f"one member's proof from storage (verified): median "
              f"{statistics.median(times) * 1000:.1f} ms, max {max(times) * 1000:.1f} ms "
              f"[target < 50 ms]")
        store.engine.dispose()


if __name__ == "__main__":
    main()

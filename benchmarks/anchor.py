"""What anchoring costs in gas, and how fast a log is checked against its anchors.

Run ``python benchmarks/anchor.py`` (a 1M-entry log and 1,000 anchors, a few
minutes) or ``--smoke`` (tiny, seconds; CI). On the development chain
(eth-tester, py-evm) it prints, and asserts nothing:

1. gas: deploying the contract, registering a log, the first anchor and the
   steady-state anchor (measured from the receipts), and what anchoring every
   minute, hour or day costs a month at a few gas prices (in ETH; gas is the
   same on any EVM chain, its price is not);
2. ``verify --rpc --no-replay``'s check: the anchors read over HTTP JSON-RPC
   and every one checked (root at its size, consistency proof to the newest
   tree) on a synthetic log of that size (built without the engine, untimed,
   as in benchmarks/log.py) (target with the replay: < 30 s at 1,000 anchors
   and 1M entries; the replay's own speed is benchmarks/log.py's ``verify``).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
from pathlib import Path
from time import perf_counter

sys.path.insert(0, str(Path(__file__).parent))

from eth_account import Account  # noqa: E402

from common import cpu_model  # noqa: E402
from log import build_proof_log  # noqa: E402
from profitpool.anchor.chain import Chain  # noqa: E402
from profitpool.anchor.contract import program_id  # noqa: E402
from profitpool.anchor.devchain import DevChain  # noqa: E402
from profitpool.anchor.publisher import AnchorConfig  # noqa: E402
from profitpool.anchor.verify import check_anchors  # noqa: E402
from profitpool.log.reader import LogReader  # noqa: E402

VERIFIER = "profitpool.bench/log+00000000+AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
MONTH_MINUTES = 30 * 24 * 60
PRICES_GWEI = (("Ethereum L1 at 10 gwei", 10.0), ("Ethereum L1 at 1 gwei", 1.0),
               ("an L2 at 0.01 gwei", 0.01))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, for CI")
    args = parser.parse_args()
    entries, anchors = (20_000, 20) if args.smoke else (1_000_000, 1_000)
    print(f"Python {platform.python_version()}; CPU {cpu_model()} x{os.cpu_count()}; "
          f"{entries:,} entries, {anchors:,} anchors" + (" (smoke)" if args.smoke else ""))
    chain = DevChain()
    try:
        key, _ = chain.funded_key(10**21)
        account = Account.from_key(key)
        local = Chain(chain.w3, "in-process")  # publishing goes straight to py-evm
        deployed = local.deploy(account)
        contract = local.contract(deployed.contract)
        program = program_id(VERIFIER)
        registered = local.register(contract, account, program)
        with tempfile.TemporaryDirectory(prefix="profitpool-bench-anchor-") as name:
            url = f"sqlite:///{Path(name) / 'log.db'}"
            started = perf_counter()
            store, _ = build_proof_log(url, entries)
            print(f"synthetic log of {entries:,} entries built in {perf_counter() - started:.1f} "
                  "s (untimed)")
            store.set_meta({"origin": "profitpool.bench/log", "verifier_key": VERIFIER})
            AnchorConfig(local.chain_id, contract.address, deployed.chain_block).save(store)
            reader = LogReader(store)
            gas = []
            started = perf_counter()
            for number in range(1, anchors + 1):
                size = entries * number // anchors
                sent = local.publish(contract, account, program, size, reader.root(size),
                                     number)
                gas.append(sent.gas_used)
            print(f"published {anchors:,} anchors in {perf_counter() - started:.1f} s (untimed)")
            print(f"gas: deploy {deployed.gas_used:,}; register a log {registered.gas_used:,}; "
                  f"first anchor {gas[0]:,}; each later anchor {gas[-1]:,}")
            for label, gwei in PRICES_GWEI:
                per_anchor = gas[-1] * gwei * 1e-9
                print(f"  {label}: {per_anchor:.6f} ETH per anchor; a month: every minute "
                      f"{per_anchor * MONTH_MINUTES:,.3f} ETH, every hour "
                      f"{per_anchor * MONTH_MINUTES / 60:,.4f} ETH, every day "
                      f"{per_anchor * 30:,.5f} ETH")
            remote = Chain.connect(chain.url)
            started = perf_counter()
            report = check_anchors(store, remote)
            seconds = perf_counter() - started
            assert report.ok, report.problems
            print(f"verify --rpc --no-replay: {report.checked:,} anchors over HTTP JSON-RPC "
                  f"against {entries:,} entries in {seconds:.2f} s")
            store.engine.dispose()
    finally:
        chain.close()


if __name__ == "__main__":
    main()

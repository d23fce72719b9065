"""How fast the rule engine runs, as multiples of parsing the same JSON.

Run ``python benchmarks/engine.py`` (full sizes, about 3 minutes, about 2 GB of
memory) or ``python benchmarks/engine.py --smoke`` (tiny sizes, seconds: keeps
this script from rotting in CI). It prints, and asserts nothing about speed:

1. commands per second for a realistic mix (60% orders, 20% withdrawals, the
   rest pays, transfers and the monthly burns) against ledgers of 10k, 100k
   and 1M members, with the rejection rate: the cost per command must not
   grow with the number of members;
2. ``profitpool apply`` end to end on a 1M-line JSONL file, in process
   (``apply_lines``) and as the CLI in a subprocess;
3. one burn against 1M lots (docs/rules.md section 5: a burn must be O(1));
4. one order that forces a cascade of 10k exits (section 6: O(k log n)).

Absolute times depend on the machine, so beside every figure stands the time
that ``json.loads`` (C code, from the standard library) takes to parse the
same JSON lines, measured in the same run, and the ratio engine / json. The
ratio says "the engine costs N json parses per command" and can be compared
across machines and over time. Command generation and ledger population are
never timed. Sections 1 and 2 also say how much of the timed run the cyclic
garbage collector took: its full collections walk every live object, so that
is the part of the cost that grows with the size of the ledger.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
from collections import Counter
from datetime import datetime, timedelta
from itertools import islice
from random import Random
from time import perf_counter

from common import GcWatch, cpu_model
from profitpool.batch import apply_lines
from profitpool.engine import Ledger, apply, parse_command
from profitpool.errors import Rejected
from profitpool.money import parse_money
from profitpool.workload import (
    JANUARY,
    SHANGHAI,
    START,
    Command,
    Stream,
    money,
    realistic,
    write_lines,
)

FULL = {"sizes": [10_000, 100_000, 1_000_000], "mix": 200_000, "lines": 1_000_000,
        "lots": 1_000_000, "exits": 10_000}
SMOKE = {"sizes": [1_000], "mix": 2_000, "lines": 5_000, "lots": 2_000, "exits": 200}


def populate(stream: Stream, members: int, lots: int | None = None) -> Ledger:
    """A fresh ledger with ``lots`` settled orders spread over ``members`` members."""
    ledger = Ledger()
    for command in stream.setup():
        apply(ledger, command)
    for i in range(members if lots is None else lots):
        apply(ledger, stream.order(f"u{i % members}"))
    stream.members = max(stream.members, members)
    return ledger


def json_time(lines: list[bytes]) -> float:
    loads = json.loads
    start = perf_counter()
    for line in lines:
        loads(line)
    return perf_counter() - start


def json_per_call(command: Command, repeat: int = 20_000) -> float:
    return json_time([json.dumps(command).encode()] * repeat) / repeat


def compare(label: str, engine: float, parse: float, count: int | None = None) -> None:
    """One result line: engine time (and rate), json.loads time (and rate), their ratio."""
    def show(seconds: float) -> str:
        if count is None:
            return f"{seconds * 1e6:,.1f} us"
        return f"{seconds:.3f} s = {count / seconds:,.0f}/s"
    print(f"  {label}: {show(engine)} | json.loads: {show(parse)} | ratio {engine / parse:.1f}")


def top(codes: Counter[str], total: int) -> str:
    rejected = sum(codes.values())
    detail = ", ".join(f"{code} {n:,}" for code, n in codes.most_common(4))
    return (f"accepted {total - rejected:,}, rejected {rejected:,} "
            f"({100 * rejected / total:.1f}%){': ' + detail if detail else ''}")


def free() -> None:
    gc.collect()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print(f"  (peak RSS so far {peak:.2f} GB)")


def bench_mix(members: int, count: int, seed: int) -> tuple[float, float]:
    stream = Stream(Random(seed), step=max(1, (JANUARY - 1) // (members + 1)))
    start = perf_counter()
    ledger = populate(stream, members)
    built = perf_counter() - start
    stream.seconds, stream.step = JANUARY - 1, 30 * 86_400 // max(1, count // 5)
    commands = list(islice(stream.mix(orders=0.6, withdraws=0.2, new_members=0.05), count))
    lines = [json.dumps(command).encode() for command in commands]
    kinds = Counter(command["op"] for command in commands)
    print(f"[1] mix at {members:,} members (populated in {built:.2f} s); "
          + ", ".join(f"{op} {n:,}" for op, n in kinds.most_common()))
    codes: Counter[str] = Counter()
    # As the batch runner does (profitpool/batch.py): the cyclic collector is
    # paused, since the engine makes no cyclic garbage.
    gc.collect()
    gc.disable()
    with GcWatch() as collector:
        start = perf_counter()
        for command in commands:
            try:
                apply(ledger, command)
            except Rejected as error:
                codes[error.code] += 1
        engine = perf_counter() - start
    gc.enable()
    start = perf_counter()
    for command in commands:
        parse_command(command)  # stateless: the same work apply did before executing
    checks = perf_counter() - start
    parse = json_time(lines)
    compare("engine (parse + execute)", engine, parse, count)
    compare("engine (execute only)", engine - checks, parse, count)
    print(f"  {collector}; {top(codes, count)}; members now {len(ledger.members):,}")
    del ledger, commands, lines
    free()
    return count / engine, engine / parse


def bench_file(count: int, seed: int, directory: str) -> None:
    path = os.path.join(directory, "commands.jsonl")
    commands, members = realistic(count, seed)
    write_lines(path, commands)
    size = os.path.getsize(path) / 2**20
    print(f"[2] profitpool apply: {count:,} lines, {size:,.0f} MB, {members:,} members")
    with open(path, "rb") as lines:
        start = perf_counter()
        for line in lines:
            json.loads(line)
        parse = perf_counter() - start
    with open(path, "rb") as lines, GcWatch() as collector:
        start = perf_counter()
        result = apply_lines(lines)
        engine = perf_counter() - start
    compare("apply_lines (in process)", engine, parse, count)
    print(f"  {collector}; {top(Counter(r.error for r in result.rejected), result.lines)}")
    del result
    free()
    cli = [sys.executable, "-m", "profitpool.cli", "apply", path, "--json"]
    start = perf_counter()
    subprocess.run(cli, stdout=subprocess.DEVNULL, check=True)
    compare("CLI subprocess (start-up and --json output included)",
            perf_counter() - start, parse, count)
    os.remove(path)


def bench_burn(lots: int, seed: int, periods: int = 12) -> None:
    stream = Stream(Random(seed), step=max(1, (JANUARY - 1) // (lots + 1)))
    ledger = populate(stream, max(1, lots // 4), lots)
    print(f"[3] burn with {ledger.live_lots:,} lots held by {len(ledger.members):,} members")
    times = []
    for month in range(1, periods + 1):
        next_month = datetime(2026 + month // 12, month % 12 + 1, 1, tzinfo=SHANGHAI)
        command = {"op": "burn", "period": f"2026-{month:02d}", "at": next_month.isoformat()}
        start = perf_counter()
        apply(ledger, command)
        times.append(perf_counter() - start)
    parse = json_per_call(command)
    compare(f"one burn, median of {periods}", statistics.median(times), parse)
    compare(f"one burn, max of {periods}", max(times), parse)
    del ledger
    free()


def bench_cascade(lots: int, seed: int) -> None:
    stream = Stream(Random(seed), step=60)
    ledger = populate(stream, 0)
    cost = 0
    for i in range(lots):
        command = stream.order(f"u{i}", low=2_000, high=8_000)  # 20.00 .. 80.00 CNY
        apply(ledger, command)
        cost += parse_money(command["amount"])
    # Fixed mode: every lot's trigger is 3 x cost / shares, so V >= trigger for all
    # lots once pool >= 3 x total cost; ask for 3 / 0.8 x cost (headroom).
    needed = 3 * cost * 5 // 4 - ledger.pool
    profit = 10_000_000_00
    injection = profit * 3 // 10
    print(f"[4] exit cascade: {lots:,} lots costing {money(cost)} CNY; pool "
          f"{money(ledger.pool)} + injection {money(injection)} "
          f"(needs at least {money(needed)}: {'ok' if injection >= needed else 'TOO SMALL'})")
    at = (START + timedelta(seconds=stream.seconds + 60)).isoformat()
    apply(ledger, {"op": "rules", "points_per_yuan": "0", "at": at})
    order = stream.order("whale", at=at) | {"amount": money(profit), "profit": money(profit)}
    start = perf_counter()
    applied = apply(ledger, order)
    engine = perf_counter() - start
    exits = sum(type(effect).__name__ == "LotExited" for effect in applied.effects)
    verdict = "ok" if exits == lots else f"EXPECTED {lots:,}"
    print(f"  LotExited effects: {exits:,} ({verdict}); V rose as each exit left 20% behind")
    parse = json_per_call(order)
    compare("the cascading order", engine, parse)
    print(f"  per exit: {engine / max(1, exits) * 1e6:,.2f} us "
          f"(= {engine / max(1, exits) / parse:.1f} json.loads of that order line)")
    del ledger, applied
    free()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, for CI")
    parser.add_argument("--sizes", help="member counts for section 1, e.g. 10000,100000")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    sizes = dict(SMOKE if args.smoke else FULL)
    if args.sizes:
        sizes["sizes"] = [int(size) for size in args.sizes.split(",")]
    print(f"Python {platform.python_version()} ({platform.python_implementation()}) on "
          f"{platform.platform()}; CPU {cpu_model()} x{os.cpu_count()}")
    print(f"sizes: {sizes}" + (" (smoke)" if args.smoke else ""))
    total = perf_counter()
    rates = [bench_mix(members, sizes["mix"], args.seed) for members in sizes["sizes"]]
    if len(rates) > 1:
        (first_rate, first_ratio), (last_rate, last_ratio) = rates[0], rates[-1]
        print(f"  rate at {sizes['sizes'][-1]:,} members = {100 * last_rate / first_rate:.1f}% "
              f"of the rate at {sizes['sizes'][0]:,} (json-normalised: "
              f"{100 * first_ratio / last_ratio:.1f}%; target: at least 80%)")
    with tempfile.TemporaryDirectory(prefix="profitpool-bench-") as directory:
        bench_file(sizes["lines"], args.seed, directory)
    bench_burn(sizes["lots"], args.seed)
    bench_cascade(sizes["exits"], args.seed)
    print(f"total {perf_counter() - total:.0f} s")


if __name__ == "__main__":
    main()

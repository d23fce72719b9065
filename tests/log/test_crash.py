"""Kill -9 in the middle of `apply --db`: committed blocks survive whole, nothing else.

A subprocess applies a realistic stream; it is killed with SIGKILL at random
moments (after a random number of committed blocks, plus a random delay, so
some kills land inside a block's transaction). After each kill, the log must
verify from genesis, hold at least every block the process reported as
committed, hold exactly the first N commands of the stream, and a restarted
writer must pick up from there. At the end the ledger equals the one
applying the whole stream in memory gives.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time

import orjson
from loghelpers import Log, entry_lines  # type: ignore[attr-defined]

from profitpool.bootstrap import linked_submit, open_directory, open_writer
from profitpool.chain.canonical import command_json
from profitpool.engine import dump_state, parse_command
from profitpool.log.verify import verify_log
from profitpool.log.writer import LogWriter
from profitpool.workload import realistic

KILLS = 4
BLOCK = 100


def test_sigkill_at_random_moments_loses_no_committed_block(log: Log) -> None:
    log.init()
    commands, _ = realistic(12_000, seed=99)
    lines, memory = entry_lines(commands)  # every line is an entry: resuming is simple
    rng = random.Random(int(os.environ.get("PROFITPOOL_CRASH_SEED", "2026")))
    store = log.store()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    done = 0
    for _ in range(KILLS):
        rest = log.tmp / "rest.jsonl"
        rest.write_bytes(b"\n".join(lines[done:]) + b"\n")
        process = subprocess.Popen(
            [sys.executable, "-m", "profitpool", "apply", str(rest), "--db", log.url, "--key",
             str(log.key), "--block-size", str(BLOCK), "--snapshot-every", "2000",
             "--progress"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env,
        )
        assert process.stderr is not None
        wait_blocks = rng.randint(1, 8)
        reported = done
        for _ in range(wait_blocks):
            line = process.stderr.readline().decode()
            if not line.startswith("block "):
                break
            reported = int(line.rsplit(" ", 1)[1])
        time.sleep(rng.uniform(0, 0.05))
        process.send_signal(signal.SIGKILL)
        process.wait()
        process.stderr.close()

        last = store.last_block()
        size = 0 if last is None else last.header.tree_size
        assert size >= reported, "a block reported as committed is missing"
        assert store.entry_count() == size, "entries of an uncommitted block were kept"
        report = verify_log(store)
        assert report.ok, report.divergence
        assert report.entries == size
        for index, data in store.iter_entries(done, size):
            stored = orjson.loads(data)["command"]  # members by pseudonym, linked alike
            assert log.unlinked(stored) == command_json(parse_command(orjson.loads(lines[index])))
        done = size
    assert 0 < done < len(lines), "the kills should land mid-stream; shorten the waits"
    # A restarted writer continues from the last committed block to the end, each member
    # under the pseudonym the killed runs linked it to.
    writer = open_writer(log.url, log.key, block_size=BLOCK)
    submit = linked_submit(writer, open_directory(writer, log.key))
    for line in lines[done:]:
        submit(orjson.loads(line))
    writer.close()
    assert verify_log(store).ok
    writer = LogWriter.open(log.url, log.key)
    assert log.unlinked(dump_state(writer.ledger)) == dump_state(memory)
    assert len(writer.ledger.members) == len(memory.members)
    writer.close()

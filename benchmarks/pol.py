"""How fast the month-end proof of liabilities builds, stores and proves.

Run ``python benchmarks/pol.py`` (1,000,000 members: a tree of 2,000,000
leaves; targets: build under 60 s, one proof from storage under 50 ms) or
``python benchmarks/pol.py --smoke`` (10,000 members, seconds). It prints, and
asserts nothing about speed:

1. ``build``: salts, splits, leaf hashes, the sort and every level;
2. the storage rows (:func:`tree_rows`), written to a temporary SQLite table
   ``pol_rows(tile_level, tile_index, records)`` with the member rows beside
   them (untimed beyond one line);
3. one member's proof from that database: a fresh connection per proof,
   reading rows with one ``SELECT`` each, checked (``member_proof_from_rows``
   verifies what it returns), median and worst of 200 members;
4. the same proof from the tree in memory, and ``verify_proof`` alone.
"""

from __future__ import annotations

import argparse
import random
import resource
import sqlite3
import statistics
import tempfile
from collections.abc import Iterator
from pathlib import Path
from time import perf_counter

from common import GcWatch, cpu_model
from profitpool.disclosure import pol

SECRET = bytes(range(32))
PERIOD = "2026-01"


def holdings(members: int) -> Iterator[tuple[str, str, int]]:
    """Members with skewed holdings: most small, a few large (fen)."""
    draw = random.Random(7)
    for number in range(members):
        yield f"u{number}", f"p{number:019x}", int(draw.paretovariate(1.2) * 1_000)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true", help="10,000 members")
    parser.add_argument("--members", type=int, default=None)
    parser.add_argument("--proofs", type=int, default=200)
    options = parser.parse_args()
    members = options.members or (10_000 if options.smoke else 1_000_000)
    print(f"proof of liabilities, {members:,} members, CPU {cpu_model()}")

    member_list = list(holdings(members))
    with GcWatch() as gc_watch:
        started = perf_counter()
        tree = pol.build(PERIOD, SECRET, member_list)
        built = perf_counter() - started
    print(f"build: {built:.2f} s for {tree.leaf_count:,} leaves, total "
          f"{tree.total_fen:,} fen ({gc_watch}); "
          f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")

    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "pol.db"
        started = perf_counter()
        with sqlite3.connect(path) as db:
            db.execute("CREATE TABLE pol_rows (period TEXT, tile_level INTEGER, "
                       "tile_index INTEGER, records BLOB, "
                       "PRIMARY KEY (period, tile_level, tile_index))")
            db.execute("CREATE TABLE pol_members (period TEXT, member TEXT, pseudonym TEXT, "
                       "salt BLOB, position0 INTEGER, position1 INTEGER, "
                       "PRIMARY KEY (period, member))")
            db.executemany("INSERT INTO pol_rows VALUES (?, ?, ?, ?)",
                           ((PERIOD, *row) for row in pol.tree_rows(tree)))
            db.executemany("INSERT INTO pol_members VALUES (?, ?, ?, ?, ?, ?)",
                           ((PERIOD, *row) for row in pol.member_rows(tree)))
        rows = sum(1 for _ in pol.tree_rows(tree))
        print(f"stored {rows:,} rows ({path.stat().st_size / 2**20:.0f} MB with the member "
              f"rows) in {perf_counter() - started:.2f} s")

        sample = random.Random(11).sample(range(members), min(options.proofs, members))
        from_storage = []
        for number in sample:
            started = perf_counter()
            with sqlite3.connect(path) as db:
                pseudonym, salt, position0, position1 = db.execute(
                    "SELECT pseudonym, salt, position0, position1 FROM pol_members "
                    "WHERE period = ? AND member = ?", (PERIOD, f"u{number}")).fetchone()

                def get_row(tile_level: int, tile_index: int,
                            db: sqlite3.Connection = db) -> bytes:
                    (records,) = db.execute(
                        "SELECT records FROM pol_rows WHERE period = ? AND tile_level = ? "
                        "AND tile_index = ?", (PERIOD, tile_level, tile_index)).fetchone()
                    return bytes(records)

                made = pol.member_proof_from_rows(
                    get_row, period=PERIOD, pseudonym=pseudonym, salt=salt,
                    positions=(position0, position1), leaf_count=tree.leaf_count,
                    root=tree.root, total_fen=tree.total_fen)
            db.close()
            from_storage.append(perf_counter() - started)
            assert made == pol.member_proof(tree, f"u{number}")
        print(f"proof from SQLite (fresh connection, verified): median "
              f"{statistics.median(from_storage) * 1000:.2f} ms, worst "
              f"{max(from_storage) * 1000:.2f} ms over {len(sample)} members")

    in_memory, verifying = [], []
    for number in sample:
        started = perf_counter()
        made = pol.member_proof(tree, f"u{number}")
        in_memory.append(perf_counter() - started)
        started = perf_counter()
        pol.verify_proof(pol.MemberProof.from_json(made.to_json()))
        verifying.append(perf_counter() - started)
    print(f"proof from memory: median {statistics.median(in_memory) * 1000:.3f} ms; "
          f"from_json + verify_proof: median {statistics.median(verifying) * 1000:.3f} ms")


if __name__ == "__main__":
    main()

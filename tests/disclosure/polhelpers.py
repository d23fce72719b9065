"""What the proof-of-liabilities tests share: a secret, a month and some holdings."""

from __future__ import annotations

import random

from profitpool.disclosure import pol

SECRET = bytes(range(32))
PERIOD = "2026-01"


def holdings(members: int, seed: int = 1) -> list[tuple[str, str, int]]:
    """``members`` members ``u0``, ``u1``, ... with pseudonyms ``p0``, ... and varied values;
    every fifth holds nothing."""
    draw = random.Random(seed)
    return [(f"u{number}", f"p{number}",
             0 if number % 5 == 4 else draw.randrange(1, 10**draw.randrange(1, 12)))
            for number in range(members)]


def tree_of(members: int, seed: int = 1) -> pol.PolTree:
    return pol.build(PERIOD, SECRET, holdings(members, seed))


def row_getter(tree: pol.PolTree) -> pol.RowGetter:
    """Serve :func:`pol.tree_rows` from a dict, as a database would."""
    rows = {(tile_level, tile_index): records
            for tile_level, tile_index, records in pol.tree_rows(tree)}
    return lambda tile_level, tile_index: rows[(tile_level, tile_index)]

"""Pausing Python's cyclic garbage collector around work on the whole ledger.

The ledger is millions of long-lived objects and the engine makes no cyclic
garbage, yet the collector would rescan the ledger again and again while a
batch, a replay or a snapshot allocates (a third to two thirds of their
time, measured). :func:`paused_gc` stops it for the duration and, on the way
out, moves what was allocated meanwhile to the oldest generation without a
scan (``freeze`` + ``unfreeze``, both O(1)).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused_gc() -> Iterator[None]:
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.freeze()
            gc.unfreeze()
            gc.enable()

"""`profitpool apply`: run a JSONL file of commands through a fresh ledger.

Lines are read and applied one at a time, so a file of any length needs only
the ledger in memory, never the file. A line that is not JSON is rejected as
``invalid_json`` (also one that names a field twice: jsontext.py); a command
the engine refuses is listed with its code; blank lines are skipped. The JSON
output is written piece by piece in exactly the form ``json.dumps`` would give
the whole summary.

The ledger is millions of long-lived objects, and applying commands makes no
cyclic garbage (an emptied lot leaves its member's list and the exit queue and
is freed by reference counting). Python's cyclic collector would nonetheless
rescan the growing ledger again and again (a third of the run time on a
1M-line file), so it is paused while the batch runs (gcpause.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from functools import partial
from typing import IO, NamedTuple

from .engine import Applied, Ledger, apply, view
from .errors import Rejected
from .gcpause import paused_gc
from .jsontext import loads


class Rejection(NamedTuple):
    line: int
    """1-based line number in the input."""
    error: str
    message: str


class BatchResult(NamedTuple):
    ledger: Ledger
    lines: int
    """Non-blank lines read."""
    accepted: int
    replays: int
    """Accepted lines that were idempotent retries (no change)."""
    rejected: list[Rejection]


def apply_lines(
    lines: Iterable[bytes | str], ledger: Ledger | None = None,
    submit: Callable[[object], Applied] | None = None,
) -> BatchResult:
    """Apply one JSON command per line; return the ledger and what was rejected.

    ``submit`` applies one command to ``ledger`` (by default the engine's
    ``apply``; the log writer passes its own, which also records the entry).
    """
    ledger = Ledger() if ledger is None else ledger
    if submit is None:
        submit = partial(apply, ledger)
    rejected: list[Rejection] = []
    seen = accepted = replays = 0
    with paused_gc():
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            seen += 1
            try:
                applied = submit(loads(line))  # a name twice in an object is invalid_json
            except Rejected as error:
                rejected.append(Rejection(number, error.code, error.message))
                continue
            accepted += 1
            replays += applied.replay
    return BatchResult(ledger, seen, accepted, replays, rejected)


def write_json(result: BatchResult, out: IO[str], names: Mapping[str, str] | None = None
               ) -> None:
    """Write the section 8 summary plus ``rejected``, streaming members one by one.

    ``names`` gives a member's id for its pseudonym (a log's members are named by
    pseudonyms; the output names them as the input did: docs/privacy.md)."""
    ledger = result.ledger
    dumps = json.dumps
    head = dumps(view.head(ledger))
    out.write(head[:-1])
    members = view.members(ledger)
    if names:  # sorted by the ids shown, as without a log
        members = iter(sorted((names.get(member, member), row) for member, row in members))
    for key, rows in (
        ("members", members),
        ("merchants", view.merchants(ledger)),
        ("lenders", view.lenders(ledger)),
        ("pledges", view.pledges(ledger)),
    ):
        out.write(f", {dumps(key)}: {{")
        separator = ""
        for row_id, row in rows:
            out.write(f"{separator}{dumps(row_id)}: {dumps(row)}")
            separator = ", "
        out.write("}")
    out.write(f', "totals": {dumps(view.totals(ledger))}, "rejected": [')
    out.write(", ".join(
        dumps({"line": rejection.line, "error": rejection.error})
        for rejection in result.rejected
    ))
    out.write("]}\n")

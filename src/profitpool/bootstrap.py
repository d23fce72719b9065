"""The composition root: the log opened with everything an entrypoint needs wired in.

Every entrypoint that writes the log (``profitpool apply``, the service, the
demo, the monthly disclosure) opens its writer here, so each stores the same
rows with each block: in particular the block's domain events for the outbox
(events/), which the log itself knows nothing of (log/ sits below events/).
"""

from __future__ import annotations

from pathlib import Path

from .events.domain import block_events
from .log.writer import LogWriter


def open_writer(url: str, key_path: Path, **options: object) -> LogWriter:
    """Open the log at ``url`` for writing with the key at ``key_path``, each block's
    events stored in its outbox. ``options`` are :class:`LogWriter`'s (``block_size``, ...).

    Raises:
        StoreError, OperatorKeyError, LogError: with one sentence each.
    """
    return LogWriter.open(url, key_path, block_events=block_events, **options)


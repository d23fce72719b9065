"""Reading the events as they are committed: from the log's database, or from the service.

``profitpool events tail`` follows one of these feeds. Each hands out
batches of ``(seq, body)``, oldest first, the body exactly as a webhook
receives it; :func:`follow` polls one until it is told to stop. The service
feed needs httpx, imported only when one is made.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any, Protocol

import orjson

from ..errors import ProfitpoolError
from ..store.database import connect, require_schema
from .domain import ADMIN

Batch = list[tuple[int, bytes]]


class FeedError(ProfitpoolError):
    """The service cannot be reached, or answered with an error."""


class Feed(Protocol):
    def fetch(self, wait: bool) -> Batch:
        """The next events (none if there are none yet and ``wait`` is false)."""

    def close(self) -> None: ...


def follow(fetch: Callable[[bool], Batch], once: bool) -> Iterator[tuple[int, bytes]]:
    """Every event ``fetch`` gives, waiting for new ones; with ``once`` only those there now."""
    first = True
    while True:
        batch = fetch(not first and not once)
        first = False
        yield from batch
        if once and not batch:
            return


class DatabaseFeed:
    """The outbox of the log's database (sees every event, or those ``party`` may hear).

    ``after`` is the seq to start after (None: the newest event, so only new ones).

    Raises:
        StoreError: the database cannot be opened, or holds no profitpool log.
    """

    def __init__(self, db: str, types: tuple[str, ...], party: str | None,
                 after: int | None) -> None:
        from .outbox import Outbox

        self.engine = connect(db)
        try:
            require_schema(self.engine)
        except BaseException:
            self.engine.dispose()
            raise
        self.outbox = Outbox(self.engine)
        self.types = types
        self.owner = party or ADMIN
        self.cursor = self.outbox.last_seq() if after is None else after

    def fetch(self, wait: bool) -> Batch:
        while True:
            found = self.outbox.read(self.cursor, 500, types=self.types or None,
                                     owner=self.owner)
            if found or not wait:
                break
            time.sleep(0.2)
        if found:
            self.cursor = found[-1].seq
        return [(event.seq, event.body) for event in found]

    def close(self) -> None:
        self.engine.dispose()


class ServiceFeed:
    """``GET /v1/events`` of the service at ``url`` (long polls), as ``api_key`` may hear it.

    ``after`` is the seq to start after (None: the newest event, so only new ones).
    """

    def __init__(self, url: str, api_key: str | None, types: tuple[str, ...],
                 party: str | None, after: int | None) -> None:
        import httpx

        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.url = url
        self.client = httpx.Client(base_url=url.rstrip("/"), headers=headers, timeout=60)
        self.types = types
        self.party = party
        self.cursor = after

    def _get(self, path: str, params: dict[str, Any]) -> Any:
        import httpx

        try:
            response = self.client.get(path, params=params)
        except httpx.HTTPError as error:
            raise FeedError(f"cannot reach {self.url}: {error}") from None
        if response.status_code != 200:
            try:
                message = response.json()["message"]
            except (ValueError, KeyError, TypeError):
                message = response.text[:200]
            raise FeedError(f"{self.url} answered {response.status_code}: {message}")
        return response.json()

    def fetch(self, wait: bool) -> Batch:
        """Raises: FeedError: the service cannot be reached or refused the request."""
        params: dict[str, Any] = {"limit": 1000, "wait": 20 if wait else 0}
        if self.types:
            params["type"] = list(self.types)
        if self.party:
            params["party"] = self.party
        if self.cursor is None:  # only new events: start after the newest one now
            self.cursor = int(self._get("/v1/events", {"after": 0, "limit": 1})["newest"])
        params["after"] = self.cursor
        page = self._get("/v1/events", params)
        batch = [(item["seq"], orjson.dumps(item["event"], option=orjson.OPT_SORT_KEYS))
                 for item in page["data"]]
        self.cursor = page["next"]
        return batch

    def close(self) -> None:
        self.client.close()

"""The member lookups of concurrent requests, read from the database together.

Every order names a member whose link may not be in the directory's cache yet
(a first order, or one after a restart). Reading it costs a trip to a worker
thread and a query; with tens of requests in flight, one trip and one query per
request cost more CPU than the writer spends on the order. So requests that
need links wait together: the first to find no reader running starts one, and
each pass of it takes every id asked for so far, reads them in one query per
scope (members/directory.py, ``prefetch``) and wakes those requests; the ids
asked for meanwhile go in the next pass.
"""

from __future__ import annotations

import asyncio

from fastapi.concurrency import run_in_threadpool

from ..members.directory import Directory


class Lookups:
    """Coalesces :meth:`Directory.prefetch` calls of the event loop's requests."""

    def __init__(self, directory: Directory) -> None:
        self.directory = directory
        self._waiting: list[tuple[str, list[str], asyncio.Future[None]]] = []
        self._reading = False

    async def prefetch(self, scope: str, member_ids: list[str]) -> None:
        """Return once these ids' links (or their absence) are in the cache.

        Raises:
            whatever the query raised (each request of the pass gets it).
        """
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append((scope, member_ids, future))
        if not self._reading:
            self._reading = True
            asyncio.get_running_loop().create_task(self._read())
        await future

    async def _read(self) -> None:
        try:
            while self._waiting:
                batch, self._waiting = self._waiting, []
                wanted: dict[str, list[str]] = {}
                for scope, member_ids, _ in batch:
                    wanted.setdefault(scope, []).extend(member_ids)
                try:
                    await run_in_threadpool(self._fetch, wanted)
                except Exception as error:  # noqa: BLE001 - handed to every waiter
                    for *_, future in batch:
                        if not future.done():
                            future.set_exception(error)
                    continue
                for *_, future in batch:
                    if not future.done():
                        future.set_result(None)
        finally:
            self._reading = False

    def _fetch(self, wanted: dict[str, list[str]]) -> None:
        for scope, member_ids in wanted.items():
            self.directory.prefetch(scope, member_ids)


__all__ = ["Lookups"]

"""The single writer: one ordered queue, the engine, group commit, answers after durability.

Every write the service accepts becomes a :class:`Request` (one or more JSON
commands) on one queue. One thread takes requests off it in arrival order,
stamps each command with the server's clock, applies it with the engine
through the :class:`~profitpool.log.writer.LogWriter`, and seals what it
applied into one block when it has ``max_entries`` entries or ``max_wait``
seconds have passed since the first request of the block arrived, whichever
comes first (group commit). Only when the block is stored does it answer the
requests in it, so an answer always describes something durable. Readers
read the views this thread publishes after each block (:mod:`.readmodel`)
and never wait for it.

Idempotency: every accepted write that carries a key (a merchant's order id,
or an ``Idempotency-Key`` header) stores its first answer (entry index and
block) in the same transaction as its block. A retry with the same body is
answered from that entry, marked as a replay; with another body it is
refused with ``conflict``. Refusals are not stored: retrying a refused
request runs it again.

Housekeeping on the same thread: a ``tick`` when a pending order has become
due and nothing else arrived to settle it, and the monthly burn at 00:00
Asia/Shanghai on the 1st for the month that ended (the engine refuses a
second burn of a period, so it happens once even across restarts).
"""

from __future__ import annotations

import gc
import hashlib
import logging
import queue
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import orjson

from ..engine import parse_command, plan_payment, plan_withdrawal
from ..engine.commands import Pay, Withdraw
from ..engine.effects import Effect
from ..errors import ProfitpoolError, Rejected
from ..log.writer import LogWriter
from ..money import format_fen, format_points, points_for_shares
from ..store.repository import IdempotentAnswer
from ..times import format_period, format_time, parse_time, shanghai_month
from .errors import error_body, status_of
from .readmodel import ReadModel

log = logging.getLogger("profitpool.service")

RECENT_ANSWERS = 100_000
"""First answers kept in memory for retries (older ones are read from the database)."""


class IdemKey(NamedTuple):
    """Where a request's first answer is kept, and a hash of what was asked."""

    scope: str
    key: str
    digest: bytes
    precheck: bool
    """Look the key up before running the command (the engine cannot tell a retry)."""


def request_digest(body: object) -> bytes:
    """SHA-256 of the canonical JSON of a request's body.

    Raises:
        Rejected(invalid_json): the body holds text that is not valid Unicode (a
            lone surrogate, which JSON's escapes can spell but UTF-8 cannot).
    """
    try:
        return hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).digest()
    except TypeError:
        raise Rejected("invalid_json", "the body holds text that is not valid Unicode "
                       "(a lone surrogate)") from None


class Outcome(NamedTuple):
    status: int
    body: dict[str, Any]


@dataclass(slots=True)
class Request:
    commands: list[dict[str, Any]]
    keys: list[IdemKey | None]
    deliver: Callable[[list[Outcome]], None]
    detail: bool = True
    """Answer with each entry's command and effects (False: its index and block only)."""
    preview: bool = False
    """Only say what these withdrawals or payments would do now; change nothing."""
    arrived: float = field(default_factory=time.monotonic)


class _Answer(NamedTuple):
    digest: bytes
    status: int
    entry: int
    height: int


class _Fresh(NamedTuple):
    entry: int
    status: int


class _Replay(NamedTuple):
    answer: _Answer | None


def system_clock() -> int:
    return time.time_ns() // 1000


def _next_month(year: int, month: int) -> tuple[int, int]:
    return (year + 1, 1) if month == 12 else (year, month + 1)


class Sequencer:
    """The one writer of a program's log (see the module docstring)."""

    def __init__(
        self, open_writer: Callable[[], LogWriter], read: ReadModel, *,
        max_entries: int = 1000, max_wait: float = 0.002,
        clock: Callable[[], int] = system_clock, auto_burn: bool = True,
        idle_wait: float = 0.25,
    ) -> None:
        self._open_writer = open_writer
        self.read = read
        self.max_entries = max_entries
        self.max_wait = max_wait
        self.clock = clock
        self.auto_burn = auto_burn
        self.idle_wait = idle_wait
        self._queue: queue.SimpleQueue[Request | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._recent: OrderedDict[tuple[str, str], _Answer] = OrderedDict()
        self.writer: LogWriter | None = None
        self._reopen_after = 0.0
        self._first_time: int | None = None
        self.blocks_failed = 0

    # life cycle --------------------------------------------------------------
    def start(self) -> None:
        """Open the log (restart checks included), publish the views, start the thread.

        Raises:
            StoreError, OperatorKeyError, LogError: the log cannot be written.
        """
        self._open()
        self._thread = threading.Thread(target=self._run, name="profitpool-writer", daemon=True)
        self._thread.start()

    def _open(self) -> None:
        writer = self._open_writer()
        # Every command comes from this thread: one block per batch, never an
        # automatic block in the middle of one.
        writer.block_size = 1 << 62
        self.read.load(writer.ledger, writer.height, writer.tiles.size)
        first = writer.store.entry(0)
        self._first_time = (None if first is None else
                            parse_time(orjson.loads(first)["command"]["at"]))
        self.writer = writer
        gc.collect()
        gc.freeze()  # the rebuilt ledger, once (see _process)

    def stop(self) -> None:
        """Answer what is queued, store the last block and close the log."""
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join()
            self._thread = None
        if self.writer is not None:
            self.writer.close()
            self.writer = None

    def put(self, request: Request) -> None:
        self._queue.put(request)

    def write(self, command: dict[str, Any], timeout: float = 60.0) -> Outcome:
        """Write one command from another thread (a background job), like any request,
        and wait for its answer: once its block is durable, or its refusal.

        Raises:
            TimeoutError: no answer within ``timeout`` seconds.
        """
        done = threading.Event()
        outcomes: list[Outcome] = []

        def deliver(result: list[Outcome]) -> None:
            outcomes.extend(result)
            done.set()

        self.put(Request([command], [None], deliver))
        if not done.wait(timeout):
            raise TimeoutError(f"the sequencer did not answer within {timeout:g} s")
        return outcomes[0]

    # the thread --------------------------------------------------------------
    def _run(self) -> None:
        while True:
            try:
                first = self._queue.get(timeout=self.idle_wait)
            except queue.Empty:
                self._housekeeping()
                continue
            if first is None:
                return
            batch = [first]
            count = len(first.commands)
            deadline = first.arrived + self.max_wait
            stop = False
            while count < self.max_entries:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        break
                    try:
                        item = self._queue.get(timeout=remaining)
                    except queue.Empty:
                        break
                if item is None:
                    stop = True
                    break
                batch.append(item)
                count += len(item.commands)
            try:
                self._process(batch)
            except Exception:  # never leave a request unanswered, never die silently
                log.exception("writer thread failed on a batch")
                self._fail(batch, "unavailable", "the service failed to apply this batch")
            if stop:
                return
            self._housekeeping()

    def _fail(self, batch: list[Request], code: str, message: str) -> None:
        outcome = Outcome(status_of(code), error_body(code, message))
        for request in batch:
            request.deliver([outcome] * len(request.commands))

    def _process(self, batch: list[Request]) -> None:
        writer = self.writer
        if writer is None and not self._try_reopen():
            self._fail(batch, "unavailable", "the log's database is unavailable; retry later")
            return
        writer = self.writer
        assert writer is not None
        at = format_time(max(self.clock(), writer.ledger.now))
        height = writer.height + 1
        first_index = writer.size
        results: list[list[_Fresh | _Replay | Outcome]] = []
        answers: list[IdempotentAnswer] = []
        fresh_keys: list[tuple[str, str]] = []
        effects: list[list[Effect]] = []
        for request in batch:
            request_results: list[_Fresh | _Replay | Outcome] = []
            for command, key in zip(request.commands, request.keys, strict=True):
                if request.preview:
                    request_results.append(_preview(writer, command, at))
                    continue
                request_results.append(
                    self._apply(writer, command, key, at, height, answers, fresh_keys, effects))
            results.append(request_results)
        try:
            header = writer.commit(answers)
        except Exception as error:  # whatever failed, the writer is rebuilt from the database
            log.error("block %d was not stored: %s", height, error)
            self.blocks_failed += 1
            for scope_key in fresh_keys:
                self._recent.pop(scope_key, None)
            self._fail(batch, "unavailable", "the block was not stored; nothing of this "
                       "request was kept; retry")
            self._reopen_now()
            return
        data = writer.last_data if header is not None else []
        if header is not None:
            self.read.refresh(writer.ledger, effects, header.height, header.tree_size)
            # The ledger only grows: move what is alive now out of the collector's
            # reach, or every full collection walks millions of objects with all
            # requests stopped (measured: 0.3-0.6 s each, a quarter of the CPU).
            gc.freeze()
            if self._first_time is None:
                self._first_time = parse_time(orjson.loads(data[0])["command"]["at"])
        for request, request_results in zip(batch, results, strict=True):
            request.deliver([self._render(writer, item, first_index, data, request.detail)
                             for item in request_results])

    def _apply(
        self, writer: LogWriter, command: dict[str, Any], key: IdemKey | None, at: str,
        height: int, answers: list[IdempotentAnswer],
        fresh_keys: list[tuple[str, str]], effects: list[list[Effect]],
    ) -> _Fresh | _Replay | Outcome:
        if key is not None and key.precheck:
            earlier = self._answer(writer, key.scope, key.key)
            if earlier is not None:
                if earlier.digest != key.digest:
                    return _refusal(Rejected(
                        "conflict", "this Idempotency-Key was used before with another body"))
                return _Replay(earlier)
        command["at"] = at
        try:
            applied = writer.submit(command)
        except Rejected as error:
            return _refusal(error)
        if applied.replay:
            earlier = None if key is None else self._answer(writer, key.scope, key.key)
            return _Replay(earlier)
        index = writer.size - 1
        effects.append(applied.effects)
        status = 201
        if key is not None:
            answer = _Answer(key.digest, status, index, height)
            self._remember((key.scope, key.key), answer)
            fresh_keys.append((key.scope, key.key))
            answers.append(IdempotentAnswer(key.scope, key.key, key.digest, status,
                                            orjson.dumps({"index": index, "block": height})))
        return _Fresh(index, status)

    def _render(self, writer: LogWriter, item: _Fresh | _Replay | Outcome, first_index: int,
                data: list[bytes], detail: bool) -> Outcome:
        if isinstance(item, Outcome):
            return item
        if not detail:
            if isinstance(item, _Fresh):
                return Outcome(item.status, {"replay": False, "entry": {
                    "index": item.entry, "block": writer.height}})
            where = (None if item.answer is None else
                     {"index": item.answer.entry, "block": item.answer.height})
            return Outcome(200, {"replay": True, "entry": where})
        if isinstance(item, _Fresh):
            entry = orjson.loads(data[item.entry - first_index])
            return Outcome(item.status, {"replay": False, "entry": {
                "index": item.entry, "block": writer.height, **entry}})
        answer = item.answer
        if answer is None:
            return Outcome(200, {"replay": True, "entry": None})
        if first_index <= answer.entry < first_index + len(data):
            stored: bytes | None = data[answer.entry - first_index]
        else:
            stored = writer.store.entry(answer.entry)
        entry = {} if stored is None else orjson.loads(stored)
        return Outcome(200, {"replay": True, "entry": {
            "index": answer.entry, "block": answer.height, **entry}})

    def _answer(self, writer: LogWriter, scope: str, key: str) -> _Answer | None:
        answer = self._recent.get((scope, key))
        if answer is not None:
            return answer
        stored = writer.store.answer(scope, key)
        if stored is None:
            return None
        digest, status, body = stored
        where = orjson.loads(body)
        return _Answer(digest, status, where["index"], where["block"])

    def _remember(self, scope_key: tuple[str, str], answer: _Answer) -> None:
        self._recent[scope_key] = answer
        if len(self._recent) > RECENT_ANSWERS:
            self._recent.popitem(last=False)

    # failures ----------------------------------------------------------------
    def _reopen_now(self) -> None:
        """After a block failed to store, rebuild the ledger from what the database holds."""
        writer, self.writer = self.writer, None
        if writer is not None:
            try:
                writer.discard()
            except Exception:  # the database may be gone; the writer is dropped either way
                log.exception("closing the failed writer")
        self._reopen_after = 0.0
        self._try_reopen()

    def _try_reopen(self) -> bool:
        now = time.monotonic()
        if now < self._reopen_after:
            return False
        try:
            self._open()
            log.info("log reopened at block %d", self.writer.height if self.writer else -1)
            return True
        except ProfitpoolError as error:
            log.error("cannot reopen the log: %s", error)
            self._reopen_after = now + 1.0
            return False

    # housekeeping ------------------------------------------------------------
    def _housekeeping(self) -> None:
        writer = self.writer
        if writer is None:
            return
        now = max(self.clock(), writer.ledger.now)
        commands: list[dict[str, Any]] = []
        if self.auto_burn and self._first_time is not None:
            commands.extend({"op": "burn", "period": format_period(month)}
                            for month in self._due_burns(writer, now))
        pending = writer.ledger.pending
        if not commands and pending and pending[0][0] <= now:
            commands.append({"op": "tick"})
        if commands:
            done = threading.Event()
            outcomes: list[Outcome] = []

            def deliver(result: list[Outcome]) -> None:
                outcomes.extend(result)
                done.set()

            self._process([Request(commands, [None] * len(commands), deliver)])
            for command, outcome in zip(commands, outcomes, strict=False):
                if outcome.status >= 400:
                    log.error("%s refused: %s", command["op"], outcome.body)
                else:
                    log.info("%s applied", command["op"] + " " + command.get("period", ""))

    def _due_burns(self, writer: LogWriter, now: int) -> list[tuple[int, int]]:
        """Months that ended since the program's first command and are not burned yet."""
        assert self._first_time is not None
        current = shanghai_month(now)
        month = shanghai_month(self._first_time)
        due = []
        while month < current:
            if format_period(month) not in writer.ledger.burned:
                due.append(month)
            month = _next_month(*month)
        return due


def _preview(writer: LogWriter, command: dict[str, Any], at: str) -> Outcome:
    """What a withdrawal or payment would pay now, by the engine's own plan; nothing changes.

    The command itself is checked again when it is sent (settlements due by
    then, or other commands in between, may change the answer).
    """
    command["at"] = at
    ledger = writer.ledger
    try:
        parsed = parse_command(command)
        if isinstance(parsed, Withdraw):
            plan = plan_withdrawal(ledger, parsed)
        elif isinstance(parsed, Pay):
            plan = plan_payment(ledger, parsed)
        else:
            raise Rejected("invalid_command", "only withdrawals and payments have a preview")
    except Rejected as error:
        return _refusal(error)
    return Outcome(200, {
        "points": format_points(points_for_shares(plan.shares, ledger.index)),
        "value": format_fen(plan.value),
        "paid": format_fen(plan.paid),
        "stays_in_pool": format_fen(plan.value - plan.paid),
        "lots": [{"lot": lot.lot_id,
                  "points": format_points(points_for_shares(shares, ledger.index))}
                 for lot, shares in plan.take],
    })


def _refusal(error: Rejected) -> Outcome:
    return Outcome(status_of(error.code), error_body(error.code, error.message))



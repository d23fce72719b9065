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
from typing import Any, Final, NamedTuple, cast

import orjson

from ..engine import (
    Command,
    Ledger,
    Redemption,
    execute,
    parse_command,
    plan_payment,
    plan_withdrawal,
    preview_order,
)
from ..engine.commands import Pay, PlaceOrder, Release, Seize, Withdraw
from ..engine.effects import Effect
from ..engine.redemption import plan_seizure
from ..errors import ProfitpoolError, Rejected
from ..log.writer import LogWriter
from ..members.directory import OPERATOR, Directory
from ..money import format_fen, format_points, format_rational, points_for_shares
from ..store.database import StoreUnavailable, is_unavailable
from ..store.members import LinkRow
from ..store.repository import IdempotentAnswer
from ..times import format_period, format_time, parse_time, shanghai_month
from .errors import error_body, status_of
from .health import DatabaseHealth
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
    scope: str = OPERATOR
    """Whose ids the commands name members by: the operator's (""), or a merchant's
    (``merchant:<id>``, its orders); each is mapped to its pseudonym (members/directory.py)."""
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
    """The first answer (None: the order was written outside the service)."""
    asked: dict[str, Any]
    """The command this retry asks for, as the first request asked it."""
    keyed: bool
    """Idempotent by an Idempotency-Key (the service drew the command's id) rather than by
    the command's own id."""


def system_clock() -> int:
    return time.time_ns() // 1000


def _next_month(year: int, month: int) -> tuple[int, int]:
    return (year + 1, 1) if month == 12 else (year, month + 1)


class Sequencer:
    """The one writer of a program's log (see the module docstring)."""

    def __init__(
        self, open_writer: Callable[[bool], LogWriter], read: ReadModel, *,
        max_entries: int = 1000, max_wait: float = 0.002,
        clock: Callable[[], int] = system_clock, auto_burn: bool = True,
        idle_wait: float = 0.25, health: DatabaseHealth | None = None,
        writer: LogWriter | None = None, directory: Directory | None = None,
    ) -> None:
        self._open_writer = open_writer
        self._opened = writer
        """A writer opened already (``serve`` opens the log before it says it serves)."""
        self.health = health or DatabaseHealth()
        self.directory = directory
        """Maps the ids requests name members by to pseudonyms (None: commands go as sent)."""
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
        self._cannot_reopen = ""
        """Why the last reopen failed, other than the database being down (logged once)."""
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

    def _open(self, writer: LogWriter | None = None) -> None:
        if writer is None:
            writer, self._opened = self._opened, None
        if writer is None:
            writer = self._open_writer(True)
        # Every command comes from this thread: one block per batch, never an
        # automatic block in the middle of one.
        writer.block_size = 1 << 62
        writer.link_listener = self.directory
        self.read.load(writer.ledger, writer.height, writer.tiles.size,
                       writer.last_checkpoint)
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
            self._process(batch)
            if stop:
                return
            self._housekeeping()

    def _process(self, batch: list[Request]) -> None:
        """Answer every request of ``batch``, whatever happens (a request left unanswered
        would hang its client)."""
        try:
            outcomes = self._outcomes(batch)
        except Exception:  # a bug in the failure handling itself: still answer, say so
            log.exception("the writer failed on a batch")
            outcomes = [[INTERNAL_ERROR] * len(request.commands) for request in batch]
        for request, answers in zip(batch, outcomes, strict=True):
            request.deliver(answers)

    def _outcomes(self, batch: list[Request]) -> list[list[Outcome]]:
        """Apply ``batch`` as one block; if that fails for anything but an unavailable
        database, rebuild the ledger and apply each command alone, so a command that
        cannot be encoded or stored fails alone, never its block's neighbours."""
        if self.writer is None and not self._try_reopen():
            return _all(batch, UNAVAILABLE)
        try:
            return self._apply_batch(batch)
        except StoreUnavailable as error:
            self.blocks_failed += 1
            self.health.failed(error)
            self._drop_writer()
            self._try_reopen()  # at once if it answers again already, else from housekeeping
            return _all(batch, IN_DOUBT if _in_doubt(error) else UNAVAILABLE)
        except Exception as error:
            self.blocks_failed += 1
            if isinstance(error, ProfitpoolError):  # the store refused the block, or a
                log.error("%s", error)              # command's entry cannot be written
            else:
                log.exception("the writer failed on a block")
            self._drop_writer()
            if not self._try_reopen(at_once=True):
                return _all(batch, UNAVAILABLE)
            if sum(len(request.commands) for request in batch) == 1:
                return [[INTERNAL_ERROR]]
            return [[self._alone(request, command, key) for command, key
                     in zip(request.commands, request.keys, strict=True)]
                    for request in batch]

    def _alone(self, request: Request, command: dict[str, Any], key: IdemKey | None
               ) -> Outcome:
        """One command of a failed block, in a block of its own."""
        single = Request([command], [key], request.deliver, request.detail, request.preview,
                         request.scope)
        [[outcome]] = self._outcomes([single])
        return outcome

    def _apply_batch(self, batch: list[Request]) -> list[list[Outcome]]:
        writer = self.writer
        assert writer is not None
        at = format_time(max(self.clock(), writer.ledger.now))
        height = writer.height + 1
        first_index = writer.size
        results: list[list[_Fresh | _Replay | Outcome]] = []
        answers: list[IdempotentAnswer] = []
        fresh_keys: list[tuple[str, str]] = []
        effects: list[list[Effect]] = []
        try:
            for request in batch:
                request_results: list[_Fresh | _Replay | Outcome] = []
                for command, key in zip(request.commands, request.keys, strict=True):
                    if request.preview:
                        request_results.append(_preview(writer, command, at))
                        continue
                    request_results.append(self._apply(writer, command, key, at, height,
                                                       answers, fresh_keys, effects,
                                                       request.scope))
                results.append(request_results)
            header = writer.commit(answers)
        except BaseException:
            for scope_key in fresh_keys:  # none of these answers was stored
                self._recent.pop(scope_key, None)
            raise
        self.health.recovered()
        data = writer.last_data if header is not None else []
        if header is not None:
            self.read.refresh(writer.ledger, effects, header.height, header.tree_size,
                              writer.last_checkpoint)
            # The ledger only grows: move what is alive now out of the collector's
            # reach, or every full collection walks millions of objects with all
            # requests stopped (measured: 0.3-0.6 s each, a quarter of the CPU).
            gc.freeze()
            if self._first_time is None:
                self._first_time = parse_time(orjson.loads(data[0])["command"]["at"])
        return [[self._render(writer, item, first_index, data, request.detail)
                 for item in request_results]
                for request, request_results in zip(batch, results, strict=True)]

    def _apply(
        self, writer: LogWriter, command: dict[str, Any], key: IdemKey | None, at: str,
        height: int, answers: list[IdempotentAnswer],
        fresh_keys: list[tuple[str, str]], effects: list[list[Effect]], scope: str,
    ) -> _Fresh | _Replay | Outcome:
        command["at"] = at
        links: list[LinkRow] = []
        if self.directory is not None:
            try:
                command, links = self.directory.map_command(
                    command, scope, writer.ledger.members.__contains__)
            except Rejected as error:
                return _refusal(error)
        if key is not None and key.precheck:
            earlier = self._answer(writer, key.scope, key.key)
            if earlier is not None:
                self._drop(links)
                if earlier.digest != key.digest:
                    return _refusal(Rejected(
                        "conflict", "this Idempotency-Key was used before with another body"))
                return _Replay(earlier, command, True)
        try:
            applied = writer.submit(command, refuse_empty_payout, links)
        except Rejected as error:
            self._drop(links)
            return _refusal(error)
        if applied.replay:
            self._drop(links)
            earlier = None if key is None else self._answer(writer, key.scope, key.key)
            return _Replay(earlier, command, False)
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
        if isinstance(item, _Fresh):
            if not detail:
                return Outcome(item.status, {"replay": False, "entry": {
                    "index": item.entry, "block": writer.height}})
            entry = orjson.loads(data[item.entry - first_index])
            return Outcome(item.status, {"replay": False, "entry": {
                "index": item.entry, "block": writer.height, **entry}})
        answer = item.answer
        if answer is None:  # an order written outside the service (apply --db)
            return Outcome(200, {"replay": True, "entry": None})
        if first_index <= answer.entry < first_index + len(data):
            stored: bytes | None = data[answer.entry - first_index]
        elif answer.entry < writer.tiles.size:
            stored = writer.store.entry(answer.entry)
        else:
            stored = None
        entry = None if stored is None else orjson.loads(stored)
        if entry is None or not _answers(entry["command"], item.asked, item.keyed):
            log.error("the stored answer to a retry names entry %d, which does not hold the "
                      "command retried: nothing was written", answer.entry)
            return _error("internal_error", "the stored answer to this request does not "
                          "match the log entry it names; nothing was written (the operator "
                          "is told)")
        if not detail:
            return Outcome(200, {"replay": True, "entry": {
                "index": answer.entry, "block": answer.height}})
        return Outcome(200, {"replay": True, "entry": {
            "index": answer.entry, "block": answer.height, **entry}})

    def _drop(self, links: list[LinkRow]) -> None:
        """Links made for a command that made no entry: nobody was linked."""
        if links and self.directory is not None:
            self.directory.dropped(links)

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
    def _drop_writer(self) -> None:
        """After a block failed to store, the ledger is ahead of the database: drop it."""
        writer, self.writer = self.writer, None
        if writer is not None:
            try:
                writer.discard()
            except Exception as error:  # the database may be gone; dropped either way
                log.debug("closing the failed writer: %s", error)
        self._reopen_after = 0.0

    def _try_reopen(self, at_once: bool = False) -> bool:
        """Rebuild the ledger from what the database holds (at most once a second unless
        ``at_once``); False while it cannot be (each reason logged once)."""
        now = time.monotonic()
        if not at_once and now < self._reopen_after:
            return False
        try:
            self._open(self._reopened())
        except ProfitpoolError as error:
            self._reopen_after = now + 1.0
            cause = error.__cause__ or error.__context__
            if isinstance(error, StoreUnavailable) or (cause is not None
                                                       and is_unavailable(cause)):
                self.health.failed(error)
            elif str(error) != self._cannot_reopen:
                self._cannot_reopen = str(error)
                log.error("cannot reopen the log: %s", error)
            return False
        except Exception as error:
            self._reopen_after = now + 1.0
            if is_unavailable(error):
                self.health.failed(error)
            else:
                log.exception("cannot reopen the log")
            return False
        self._cannot_reopen = ""
        self.health.recovered()
        log.info("log reopened at block %d", self.writer.height if self.writer else -1)
        return True

    def _reopened(self) -> LogWriter:
        """A writer rebuilt from the database, checked from its snapshot on (this process
        checked every entry before it when it started; log/restart.py)."""
        return self._open_writer(False)

    # housekeeping ------------------------------------------------------------
    def _housekeeping(self) -> None:
        writer = self.writer
        if writer is None:  # a block failed: rebuild as soon as the database answers
            self._try_reopen()
            return
        if self.health.down and not self.health.probe(writer.store.engine):
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


def _error(code: str, message: str) -> Outcome:
    return Outcome(status_of(code), error_body(code, message))


UNAVAILABLE: Final = _error(
    "unavailable", "the log's database is unavailable: nothing of this request was stored; "
    "retry later")
IN_DOUBT: Final = _error(
    "unavailable", "the log's database lost the connection while storing this write, so it "
    "may or may not have been stored: retry it with the same order id or Idempotency-Key, "
    "which is answered once either way")
WRITER_GONE: Final = _error(
    "unavailable", "the service's writer stopped while this write was with it, so it may or "
    "may not have been stored: retry it with the same order id or Idempotency-Key, which is "
    "answered once either way")
INTERNAL_ERROR: Final = _error(
    "internal_error", "this command could not be recorded (a fault of the service, reported "
    "to the operator); nothing of it was stored, and the other commands were not held up")


def _all(batch: list[Request], outcome: Outcome) -> list[list[Outcome]]:
    return [[outcome] * len(request.commands) for request in batch]


def _in_doubt(error: StoreUnavailable) -> bool:
    """Whether the block may have been stored after all (the connection broke while
    committing it, store/repository.py)."""
    return getattr(error, "in_doubt", False) is True


def _answers(stored: dict[str, Any], asked: dict[str, Any], keyed: bool) -> bool:
    """Whether a stored entry's command is the one a retried request asked for: both
    parsed by the engine and compared field by field, but for the time and, for a request
    made idempotent by its Idempotency-Key, the id the service drew for it."""
    try:
        entry = parse_command(stored)
        wanted = parse_command({**asked, "at": stored.get("at")})
    except (Rejected, TypeError):
        return False
    if type(entry) is not type(wanted):
        return False
    if keyed and "id" in wanted._fields:
        wanted = cast(Any, wanted)._replace(id=cast(Any, entry).id)
    return entry == wanted


def refuse_empty_payout(ledger: Ledger, command: Command) -> None:
    """The service's own check of withdrawals and payments (an engine ``admit``): refuse
    one that would pay nothing, which the rules would accept (docs/service.md).

    Raises:
        Rejected(invalid_points): the points would pay 0.00 CNY.
    """
    if isinstance(command, Withdraw):
        plan = plan_withdrawal(ledger, command)
        rate, name = ledger.rules.withdraw_payout_rate, "withdraw_payout_rate"
    elif isinstance(command, Pay):
        plan = plan_payment(ledger, command)
        rate, name = ledger.rules.pay_rate, "pay_rate"
    else:
        return
    _refuse_if_empty(ledger, plan, rate, name)


def _refuse_if_empty(ledger: Ledger, plan: Redemption, rate: tuple[int, int],
                     name: str) -> None:
    if plan.paid > 0:
        return
    points = format_points(points_for_shares(plan.shares, ledger.index))
    raise Rejected("invalid_points", (
        f"{points} points would pay 0.00 CNY: they are worth {format_fen(plan.value)} now, "
        f"of which {name} {format_rational(rate)} is paid, rounded down to the fen; "
        "use more points"))


class _Previewed(Rejected):
    """Raised by a preview's ``admit`` once it has its answer, so that the engine undoes
    what moving time did (a rejection is how :func:`~profitpool.engine.execute` rolls
    back) and the answer reaches :func:`_preview`."""

    def __init__(self, outcome: Outcome) -> None:
        super().__init__("invalid_command", "a preview changes nothing")
        self.outcome = outcome


def _preview(writer: LogWriter, command: dict[str, Any], at: str) -> Outcome:
    """What a withdrawal or payment would pay now, by the engine's own plan, or what an
    order would settle to now (:func:`_order_preview`); nothing changes.

    The preview sees the state the command would meet if it were sent now: the engine
    moves time to ``at`` as for the command itself (orders due by then settle, a new
    Asia/Shanghai day starts the day's cap afresh), the plan is made, and all of it is
    undone (``execute(..., admit=...)``, rejected on purpose). The command itself is
    checked again when it is sent (other commands in between may change the answer).
    """
    command["at"] = at
    ledger = writer.ledger

    def admit(moved: Ledger, parsed: Command) -> None:
        raise _Previewed(_preview_of(moved, parsed))

    try:
        parsed = parse_command(command)
        execute(ledger, parsed, admit=admit)
    except _Previewed as done:
        return done.outcome
    except Rejected as error:
        return _refusal(error)
    # an id the log has already taken for this very command: what it would do is nothing
    # new; say what the same command would do now
    try:
        return _preview_of(ledger, parsed)
    except Rejected as error:
        return _refusal(error)


def _preview_of(ledger: Ledger, parsed: Command) -> Outcome:
    """The preview's answer on ``ledger`` as it stands.

    Raises:
        Rejected: as the command itself would be refused, or it has no preview.
    """
    if isinstance(parsed, PlaceOrder):
        return _order_preview(ledger, parsed)
    if isinstance(parsed, Seize | Release):
        return _pledge_preview(ledger, parsed)
    if isinstance(parsed, Withdraw):
        plan = plan_withdrawal(ledger, parsed)
        _refuse_if_empty(ledger, plan, ledger.rules.withdraw_payout_rate,
                         "withdraw_payout_rate")
    elif isinstance(parsed, Pay):
        plan = plan_payment(ledger, parsed)
        _refuse_if_empty(ledger, plan, ledger.rules.pay_rate, "pay_rate")
    else:
        raise Rejected("invalid_command", "only orders, withdrawals, payments, seizures "
                       "and releases have a preview")
    return Outcome(200, {
        "points": format_points(points_for_shares(plan.shares, ledger.index)),
        "value": format_fen(plan.value),
        "paid": format_fen(plan.paid),
        "stays_in_pool": format_fen(plan.value - plan.paid),
        "lots": [{"lot": lot.lot_id,
                  "points": format_points(points_for_shares(shares, ledger.index))}
                 for lot, shares in plan.take],
    })


def _pledge_preview(ledger: Ledger, command: Seize | Release) -> Outcome:
    """What seizing or releasing a pledge would do now, by the engine's own plan.

    Raises:
        Rejected: unknown_pledge, pledge_closed.
    """
    plan = plan_seizure(ledger, Seize(command.pledge, command.at))
    loan = plan.pledge.command.loan
    answer = {"pledge": command.pledge,
              "points": format_points(points_for_shares(plan.shares, ledger.index)),
              "value": format_fen(plan.value), "loan": format_fen(loan),
              "outstanding": format_fen(loan - plan.pledge.repaid)}
    if isinstance(command, Seize):
        answer.update({"paid": format_fen(plan.paid), "to_lender": format_fen(plan.to_lender),
                       "to_member": format_fen(plan.paid - plan.to_lender),
                       "stays_in_pool": format_fen(plan.value - plan.paid)})
    return Outcome(200, answer)


def _order_preview(ledger: Ledger, command: PlaceOrder) -> Outcome:
    """The engine's checks of a new order, when it settles, and what it would inject and
    mint if it settled now (it settles under the rules and price of its settlement time).

    Raises:
        Rejected: as the order itself would be refused.
    """
    preview = preview_order(ledger, command)
    return Outcome(200, {
        "at": format_time(command.at), "settles_at": format_time(preview.settles_at),
        "settle_days": ledger.rules.settle_days,
        "amount": format_fen(command.amount), "profit": format_fen(command.profit),
        "multiplier": format_rational(preview.multiplier),
        "injection": format_fen(preview.injection),
        "points": format_points(preview.points),
    })


def _refusal(error: Rejected) -> Outcome:
    return Outcome(status_of(error.code), error_body(error.code, error.message))



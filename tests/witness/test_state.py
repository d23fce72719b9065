"""The witness's record: it only moves forward along consistency proofs, atomically."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import pytest
from witnesshelpers import TreeLog

from profitpool.chain.note import Checkpoint
from profitpool.witness import state as state_module
from profitpool.witness.state import (
    InconsistentProof,
    OldSizeMismatch,
    Refusal,
    RootMismatch,
    WitnessState,
    WitnessStateError,
)


def _advance(state: WitnessState, log: TreeLog, old_size: int, size: int) -> None:
    state.advance(old_size, log.checkpoint(size), log.proof(old_size, size), log.note(size))


def test_a_log_never_seen_counts_as_cosigned_at_size_zero(log: TreeLog, tmp_path: Path) -> None:
    state = WitnessState(tmp_path / "w.db")
    assert state.latest(log.origin) is None
    with pytest.raises(OldSizeMismatch) as refused:
        _advance(state, log, 5, 10)
    assert refused.value.stored_size == 0
    _advance(state, log, 0, 10)
    latest = state.latest(log.origin)
    assert latest is not None
    assert (latest.tree_size, latest.root, latest.note) == (10, log.root(10), log.note(10))


def test_the_record_moves_forward_only_along_consistency_proofs(
        log: TreeLog, tmp_path: Path) -> None:
    state = WitnessState(tmp_path / "w.db")
    _advance(state, log, 0, 7)
    _advance(state, log, 7, 7)  # the same checkpoint again: fine
    _advance(state, log, 7, 20)
    fork = log.fork(at_size=15, count=10)
    with pytest.raises(RootMismatch):
        _advance(state, fork, 20, 20)
    with pytest.raises(InconsistentProof):
        _advance(state, fork, 20, 25)
    with pytest.raises(InconsistentProof):  # an honest proof, but to the wrong root
        state.advance(20, fork.checkpoint(25), log.append(5).proof(20, 25), fork.note(25))
    with pytest.raises(OldSizeMismatch):
        _advance(state, log, 7, 25)
    latest = state.latest(log.origin)
    assert latest is not None and (latest.tree_size, latest.root) == (20, log.root(20))


def test_the_proof_must_be_empty_from_size_zero(log: TreeLog, tmp_path: Path) -> None:
    state = WitnessState(tmp_path / "w.db")
    with pytest.raises(InconsistentProof):
        state.advance(0, log.checkpoint(8), [log.root(4)], log.note(8))
    assert state.latest(log.origin) is None


def test_tree_sizes_up_to_2_64_minus_1_are_kept_exactly(log: TreeLog, tmp_path: Path) -> None:
    state = WitnessState(tmp_path / "w.db")
    huge = Checkpoint(log.origin, 2**64 - 1, log.root(3))
    state.advance(0, huge, [], "note\n")
    latest = state.latest(log.origin)
    assert latest is not None and latest.tree_size == 2**64 - 1


def test_a_stalled_check_makes_the_racing_submission_wait_not_roll_back(
        log: TreeLog, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The race of tlog-witness: A (to 10) is checked, B (to 20) must not slip in between."""
    path = tmp_path / "w.db"
    _advance(WitnessState(path), log, 0, 5)
    checked, release = threading.Event(), threading.Event()
    real_check = state_module._check_extends

    def stall_the_first(checkpoint: Checkpoint, old_size: int, stored_size: int,
                        stored_root: bytes, proof: Sequence[bytes]) -> None:
        real_check(checkpoint, old_size, stored_size, stored_root, proof)
        if checkpoint.size == 10:
            checked.set()
            assert release.wait(30)

    monkeypatch.setattr(state_module, "_check_extends", stall_the_first)
    outcomes: dict[str, Exception | None] = {}

    def submit(label: str, size: int) -> None:
        try:
            _advance(WitnessState(path), log, 5, size)
            outcomes[label] = None
        except Exception as error:  # reported to the test thread
            outcomes[label] = error

    first = threading.Thread(target=submit, args=("A", 10))
    first.start()
    assert checked.wait(30)
    second = threading.Thread(target=submit, args=("B", 20))
    second.start()
    time.sleep(0.3)
    assert "B" not in outcomes, "B got past the check while A held it"
    release.set()
    first.join(30)
    second.join(30)
    assert outcomes["A"] is None
    assert isinstance(outcomes["B"], OldSizeMismatch) and outcomes["B"].stored_size == 10
    latest = WitnessState(path).latest(log.origin)
    assert latest is not None and latest.tree_size == 10


def test_many_concurrent_submissions_from_one_size_let_exactly_one_through(
        log: TreeLog, tmp_path: Path) -> None:
    path = tmp_path / "w.db"
    _advance(WitnessState(path), log, 0, 4)
    start = threading.Barrier(8)
    winners: list[int] = []
    losers: list[int] = []

    def submit(size: int) -> None:
        state = WitnessState(path)
        start.wait()
        try:
            _advance(state, log, 4, size)
            winners.append(size)
        except OldSizeMismatch as refused:
            losers.append(refused.stored_size)

    threads = [threading.Thread(target=submit, args=(size,)) for size in range(6, 20, 2)]
    threads.append(threading.Thread(target=submit, args=(5,)))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(winners) == 1 and len(losers) == 7
    assert set(losers) == set(winners)
    latest = WitnessState(path).latest(log.origin)
    assert latest is not None and latest.tree_size == winners[0]


def test_refused_signed_submissions_are_kept_and_capped(
        log: TreeLog, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    state = WitnessState(tmp_path / "w.db")
    monkeypatch.setattr(state_module, "MAX_REFUSALS_KEPT", 3)
    proof = log.proof(4, 9)
    for attempt in range(5):
        state.record_refusal(log.origin, 422, f"attempt {attempt}", 4, proof, log.note(9 + attempt))
    state.record_refusal("other.example/log", 409, "other", 0, [], "note\n")
    kept = state.refusals(log.origin)
    assert [refusal.reason for refusal in kept] == ["attempt 3", "attempt 4"]
    assert kept[0].proof == tuple(proof) and kept[0].old_size == 4 and kept[0].http_status == 422
    assert kept[0].note == log.note(12)
    assert [refusal.reason for refusal in state.refusals()] == ["attempt 3", "attempt 4", "other"]


def test_a_replayed_note_is_kept_once_so_replays_cannot_flush_the_evidence(
        log: TreeLog, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    state = WitnessState(tmp_path / "w.db")
    monkeypatch.setattr(state_module, "MAX_REFUSALS_KEPT", 3)
    state.record_refusal(log.origin, 409, "the fork", 10, [], log.fork(5, 5).note(10))
    for attempt in range(10):  # anyone can resend a public note with made-up proofs
        state.record_refusal(log.origin, 422, "replay", 10, [log.root(attempt + 1)], log.note(20))
    assert [refusal.reason for refusal in state.refusals()] == ["the fork", "replay"]


def test_a_file_that_is_not_a_witness_state_is_refused(tmp_path: Path) -> None:
    text_file = tmp_path / "notes.txt"
    text_file.write_text("hello, this is not SQLite at all" * 10)
    with pytest.raises(WitnessStateError):
        WitnessState(text_file)
    other_database = tmp_path / "other.db"
    with sqlite3.connect(other_database) as connection:
        connection.execute("CREATE TABLE accounts (id INTEGER)")
    connection.close()
    with pytest.raises(WitnessStateError):
        WitnessState(other_database)
    with pytest.raises(WitnessStateError):
        WitnessState(tmp_path / "missing-folder" / "w.db")


def test_every_state_refusal_carries_its_status() -> None:
    assert (OldSizeMismatch.http_status, RootMismatch.http_status,
            InconsistentProof.http_status) == (409, 409, 422)
    assert all(issubclass(error, Refusal) for error in (OldSizeMismatch, RootMismatch,
                                                         InconsistentProof))

"""Fixtures of the witness tests: a log of 20 entries and a witness following it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from witnesshelpers import RunningWitness, TreeLog, fixed_cosigner

from profitpool.chain.cosign import Cosigner


@pytest.fixture
def log() -> TreeLog:
    """A log of 20 entries under a fresh key."""
    return TreeLog().append(20)


@pytest.fixture
def cosigner() -> Cosigner:
    return fixed_cosigner()


@pytest.fixture
def witness(log: TreeLog, cosigner: Cosigner, tmp_path: Path) -> Iterator[RunningWitness]:
    """A witness over real HTTP that follows ``log`` and has cosigned nothing yet."""
    running = RunningWitness(cosigner, [log.verifier_key], tmp_path / "witness.db").start()
    try:
        yield running
    finally:
        running.stop()

"""The ``program`` fixture (helpers in programs.py, importable from any test folder)."""

from __future__ import annotations

import pytest

from programs import Program


@pytest.fixture
def program() -> Program:
    """A fresh program with default rules and merchant m1 registered."""
    fresh = Program()
    fresh.merchant("m1")
    return fresh

"""The witness package's public surface is what __all__ says, loaded lazily."""

from __future__ import annotations

import subprocess
import sys

import pytest

import profitpool.witness as witness


def test_every_exported_name_exists_and_is_public() -> None:
    assert witness.__all__ == sorted(set(witness.__all__))
    for name in witness.__all__:
        assert not name.startswith("_")
        assert getattr(witness, name) is not None, name
    with pytest.raises(AttributeError):
        witness.no_such_name  # noqa: B018


def test_importing_the_command_loads_neither_server_nor_client() -> None:
    """`profitpool --help` must not pay for Starlette, uvicorn or httpx (a dev dependency)."""
    code = ("import sys, profitpool.cli.witness; "
            "print(sorted(m for m in sys.modules if m in ('httpx', 'starlette', 'uvicorn')))")
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True).stdout
    assert output.strip() == "[]"

"""The public surface is what __all__ says, and every name in it exists."""

from __future__ import annotations

import profitpool
import profitpool.engine as engine


def test_engine_all_names_exist_and_are_public() -> None:
    assert sorted(engine.__all__) == sorted(set(engine.__all__))
    for name in engine.__all__:
        assert not name.startswith("_")
        assert hasattr(engine, name), name


def test_engine_exports_what_the_rest_of_profitpool_builds_on() -> None:
    assert {"Ledger", "apply", "execute", "parse_command", "summary", "dump_state",
            "plan_withdrawal", "plan_payment"} <= set(engine.__all__)


def test_version_is_exported() -> None:
    assert profitpool.__all__ == ["__version__"]
    assert profitpool.__version__

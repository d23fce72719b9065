"""``profitpool pol verify``: OK and the holding, or FAILED and what failed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from polhelpers import PERIOD, SECRET

from profitpool.cli.pol import pol_group
from profitpool.disclosure import pol

MEMBERS = [("u1", "alice", 1_234_567), ("u2", "bob", 0), ("u3", "carol", 99_999)]


@pytest.fixture
def tree() -> pol.PolTree:
    return pol.build(PERIOD, SECRET, MEMBERS)


@pytest.fixture
def proof_file(tree: pol.PolTree, tmp_path: Path) -> Path:
    path = tmp_path / "proof.json"
    path.write_text(pol.member_proof(tree, "u1").to_json())
    return path


def _verify(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(pol_group, ["verify", *args])
    return result.exit_code, result.stdout, result.stderr


def test_a_valid_proof_prints_ok_and_the_holding(tree: pol.PolTree, proof_file: Path) -> None:
    code, out, err = _verify(str(proof_file))
    assert code == 0
    assert out == (f"OK: alice holds 12345.67 CNY in the tree of 2026-01 (root {tree.root.hex()}, "
                   f"total 13345.66 CNY, 6 leaves)\n")
    assert "compare the root and total with the month's signed report" in err


def test_a_proof_checked_against_the_signed_root_and_total(tree: pol.PolTree,
                                                           proof_file: Path) -> None:
    code, out, err = _verify(str(proof_file), "--root", tree.root.hex(), "--total", "13345.66")
    assert code == 0 and out.startswith("OK: alice holds 12345.67 CNY") and err == ""


def test_a_wrong_root_or_total_fails_in_one_line(proof_file: Path) -> None:
    code, out, err = _verify(str(proof_file), "--root", "ab" * 32)
    assert (code, out) == (1, "")
    assert err.startswith("FAILED: the root ") and err.count("\n") == 1
    code, out, err = _verify(str(proof_file), "--total", "13345.65")
    assert (code, out) == (1, "")
    assert err == "FAILED: the total 1334566 fen is not the expected 1334565 fen\n"


def test_a_changed_proof_fails_naming_what_failed(proof_file: Path) -> None:
    document = json.loads(proof_file.read_text())
    document["parts"][0]["path"][0]["sum_fen"] = "-1"
    proof_file.write_text(json.dumps(document))
    code, out, err = _verify(str(proof_file))
    assert (code, out) == (1, "")
    assert err == "FAILED: step 1 of part 0: the sibling sum -1 fen is negative\n"


def test_a_file_that_is_not_a_proof_fails(tmp_path: Path) -> None:
    path = tmp_path / "proof.json"
    path.write_text("{}")
    code, _, err = _verify(str(path))
    assert code == 1 and err.startswith("FAILED: the proof lacks")


def test_bad_options_are_usage_errors(proof_file: Path) -> None:
    assert _verify(str(proof_file), "--root", "xyz")[0] == 2
    assert _verify(str(proof_file), "--total", "-1")[0] == 2
    assert _verify(str(proof_file), "--total", "1.234")[0] == 2

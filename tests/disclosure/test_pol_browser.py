"""pol.js checks a proof in a real browser exactly as verify_proof does in Python.

Debian's chromium driven by Playwright, on a small page with the script added;
skipped where either is absent.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from polhelpers import PERIOD, SECRET, holdings

import profitpool
from browsers import chromium
from profitpool.disclosure import pol

ORIGIN = "http://localhost"
POL_JS = Path(profitpool.__file__).parent / "web" / "static" / "pol.js"
BYTES_JS = POL_JS.with_name("bytes.js")

Verify = Callable[..., dict[str, Any]]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as launched:
        yield launched


@pytest.fixture(scope="module")
def verify_in_browser(browser: Any) -> Verify:
    """``verify(proof_json, root_hex=None, total_fen=None)`` -> pol.js's result, value as str."""
    page = browser.new_page()
    # WebCrypto exists only in a secure context, which about:blank is not; an
    # intercepted http://localhost page is (no server answers it).
    page.route(f"{ORIGIN}/**", lambda route: route.fulfill(
        body="<!doctype html>", content_type="text/html"))
    page.goto(f"{ORIGIN}/pol")
    page.set_content("<!doctype html><title>proof of liabilities</title>")
    page.add_script_tag(path=str(BYTES_JS))
    page.add_script_tag(path=str(POL_JS))

    def verify(proof: str | dict[str, Any], root: str | None = None,
               total: str | None = None) -> dict[str, Any]:
        result: dict[str, Any] = page.evaluate(
            """async ([proof, root, total]) => {
                const r = await verifyPolProof(proof, root, total);
                return {ok: r.ok, value: r.value === null ? null : r.value.toString(),
                        error: r.error};
            }""", [proof, root, total])
        return result

    return verify


@pytest.fixture(scope="module")
def tree() -> pol.PolTree:
    return pol.build(PERIOD, SECRET, holdings(13))


def _proof(tree: pol.PolTree) -> pol.MemberProof:
    """A member with two non-zero parts and paths of at least two steps."""
    proofs = (pol.member_proof(tree, member_id) for member_id in tree.member_ids)
    return next(made for made in proofs
                if all(part.value_fen > 0 and len(part.path) >= 2 for part in made.parts))


def test_every_member_s_proof_verifies_with_the_same_value_as_in_python(
        verify_in_browser: Verify, tree: pol.PolTree) -> None:
    for member_id in tree.member_ids:
        proof = pol.member_proof(tree, member_id)
        result = verify_in_browser(proof.to_json(), tree.root.hex(), str(tree.total_fen))
        assert result == {"ok": True, "value": str(pol.verify_proof(proof)), "error": None}


def test_a_parsed_object_and_large_values_verify_exactly(verify_in_browser: Verify) -> None:
    big = pol.build(PERIOD, SECRET, [("u1", "p1", 2**62 + 12_345), ("u2", "p2", 2**61 + 1)])
    proof = pol.member_proof(big, "u1")
    result = verify_in_browser(json.loads(proof.to_json()), big.root.hex())
    assert result == {"ok": True, "value": str(2**62 + 12_345), "error": None}


def _tampered(proof: pol.MemberProof) -> dict[str, pol.MemberProof]:
    def part(number: int, **changes: Any) -> pol.MemberProof:
        parts = list(proof.parts)
        parts[number] = dataclasses.replace(parts[number], **changes)
        return dataclasses.replace(proof, parts=tuple(parts))

    def step(number: int, index: int, **changes: Any) -> pol.MemberProof:
        path = list(proof.parts[number].path)
        path[index] = dataclasses.replace(path[index], **changes)
        return part(number, path=tuple(path))

    first_side = proof.parts[0].path[0].side
    return {
        "changed value": part(0, value_fen=proof.parts[0].value_fen + 1),
        "negative sibling sum": step(1, 1, sibling_sum_fen=-7),
        "overflowing sum": step(0, 0, sibling_sum_fen=2**63 - 1),
        "swapped side": step(0, 0, side="left" if first_side == "right" else "right"),
        "changed salt": dataclasses.replace(proof, salt="11" * 32),
        "wrong claimed root": dataclasses.replace(proof, root="22" * 32),
        "wrong claimed total": dataclasses.replace(proof, total_fen=proof.total_fen + 1),
        "position outside": part(1, position=proof.leaf_count),
        "path too short": part(1, path=proof.parts[1].path[1:]),
    }


def test_a_tampered_proof_fails_with_python_s_message(verify_in_browser: Verify,
                                                     tree: pol.PolTree) -> None:
    for case, proof in _tampered(_proof(tree)).items():
        with pytest.raises(pol.PolError) as python:
            pol.verify_proof(proof)
        result = verify_in_browser(proof.to_json())
        assert result == {"ok": False, "value": None, "error": str(python.value)}, case


def test_a_wrong_signed_root_or_total_fails(verify_in_browser: Verify, tree: pol.PolTree) -> None:
    proof = _proof(tree).to_json()
    result = verify_in_browser(proof, "33" * 32)
    assert not result["ok"] and result["value"] is None
    assert result["error"] == f"the root {tree.root.hex()} is not the expected {'33' * 32}"
    result = verify_in_browser(proof, tree.root.hex(), str(tree.total_fen + 1))
    assert not result["ok"] and "is not the expected" in result["error"]


def test_malformed_json_fails_without_throwing(verify_in_browser: Verify) -> None:
    for text in ("{", "{}", '{"format": "profitpool-pol-proof-v1"}', "null"):
        result = verify_in_browser(text)
        assert result["ok"] is False and result["error"], text


def test_a_page_without_webcrypto_says_so(browser: Any) -> None:
    page = browser.new_page()
    page.set_content("<!doctype html>")  # about:blank: not a secure context
    page.add_script_tag(path=str(BYTES_JS))
    page.add_script_tag(path=str(POL_JS))
    assert "no WebCrypto" in page.evaluate("async () => (await verifyPolProof('{}')).error")


# --- version 2: points, owed and in flight ------------------------------------------------

@pytest.fixture(scope="module")
def tree_v2() -> pol.PolTree:
    return pol.build_v2(PERIOD, SECRET, [
        pol.PartyLiability(f"member:{member_id}", "member", pseudonym, value, value % 777,
                           value % 55)
        for member_id, pseudonym, value in holdings(9)
    ] + [pol.PartyLiability("merchant:m1", "merchant", "m1", 0, 12_345, 600),
         pol.PartyLiability("lender:l1", "lender", "l1", 0, 0, 99)])


def test_every_version_2_proof_verifies_with_the_same_value_as_in_python(
        verify_in_browser: Verify, tree_v2: pol.PolTree) -> None:
    for key in tree_v2.member_ids:
        proof = pol.member_proof(tree_v2, key)
        result = verify_in_browser(proof.to_json(), tree_v2.root.hex(), str(tree_v2.total_fen))
        assert result == {"ok": True, "value": str(pol.verify_proof(proof)), "error": None}


def test_a_tampered_version_2_proof_fails_with_python_s_message(
        verify_in_browser: Verify, tree_v2: pol.PolTree) -> None:
    proof = _proof(tree_v2)
    cases = {**_tampered(proof),
             "changed owed": dataclasses.replace(proof, owed_fen=proof.owed_fen + 1),
             "owed moved to points": dataclasses.replace(
                 proof, owed_fen=0, points_fen=proof.points_fen + proof.owed_fen),
             "other kind": dataclasses.replace(proof, kind="lender"),
             "negative in flight": dataclasses.replace(proof, in_flight_fen=-3)}
    for case, tampered in cases.items():
        with pytest.raises(pol.PolError) as python:
            pol.verify_proof(tampered)
        result = verify_in_browser(tampered.to_json())
        assert result == {"ok": False, "value": None, "error": str(python.value)}, case

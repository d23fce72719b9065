"""``profitpool pol verify``: a member checks their proof of liabilities on their own machine.

The proof is the JSON the wallet page and the API hand out
(:meth:`~profitpool.disclosure.pol.MemberProof.to_json`). Without ``--root``
and ``--total`` the command only checks that the proof is consistent with the
root and total written in it; with them (copied from the month's signed
report) it checks that the holding is counted in what the operator signed.
"""

from __future__ import annotations

import sys
from typing import BinaryIO

import click

from ..disclosure.pol import HASH_BYTES, MemberProof, PolError, verify_proof
from ..errors import Rejected
from ..money import format_fen, parse_money


@click.group(name="pol")
def pol_group() -> None:
    """Proof of liabilities: check that a holding is counted in a month's signed total."""


@pol_group.command("verify")
@click.argument("proof_file", metavar="PROOF.json", type=click.File("rb"))
@click.option("--root", metavar="HEX",
              help="The root hash signed in the month's report (64 hex digits).")
@click.option("--total", metavar="CNY",
              help="The total signed in the month's report, e.g. 1234567.89.")
def verify_command(proof_file: BinaryIO, root: str | None, total: str | None) -> None:
    """Check PROOF.json: prints OK and the holding, or FAILED and what failed (exit 1)."""
    expected_root = _parse_root(root)
    expected_total = _parse_total(total)
    try:
        proof = MemberProof.from_json(proof_file.read())
        verify_proof(proof, expected_root, expected_total)
    except PolError as error:
        click.echo(f"FAILED: {error}", err=True)
        sys.exit(1)
    click.echo(f"OK: {proof.summary()} in the tree of "
               f"{proof.period} (root {proof.root}, total {format_fen(proof.total_fen)} CNY, "
               f"{proof.leaf_count:,} leaves)")
    if expected_root is None or expected_total is None:
        click.echo("note: compare the root and total with the month's signed report, or pass "
                   "them as --root and --total", err=True)


def _parse_root(root: str | None) -> bytes | None:
    if root is None:
        return None
    try:
        parsed = bytes.fromhex(root)
    except ValueError:
        parsed = b""
    if len(parsed) != HASH_BYTES:
        raise click.BadParameter(f"{root!r} is not 64 hex digits", param_hint="--root")
    return parsed


def _parse_total(total: str | None) -> int | None:
    if total is None:
        return None
    try:
        return parse_money(total, "invalid_amount")
    except Rejected as error:
        raise click.BadParameter(error.message, param_hint="--total") from None

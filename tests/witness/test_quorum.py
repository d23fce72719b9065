"""k of n: a checkpoint is witnessed when enough trusted witnesses' cosignatures verify."""

from __future__ import annotations

import pytest
from witnesshelpers import TreeLog, fixed_cosigner

from profitpool.chain.cosign import note_text
from profitpool.chain.note import add_signatures
from profitpool.witness.quorum import Quorum, QuorumError, check_quorum


def test_a_checkpoint_with_enough_trusted_cosignatures_names_them(log: TreeLog) -> None:
    note = log.note(20)
    witnesses = [fixed_cosigner(f"witness.example/w{number}") for number in (2, 1, 3)]
    cosigned = add_signatures(note, [witness.cosign(note_text(note)) for witness in witnesses[:2]])
    verifiers = [witness.verifier for witness in witnesses]
    assert check_quorum(cosigned, verifiers, 2) == Quorum(
        cosigned, "20", ("witness.example/w1", "witness.example/w2"), 3)


def test_a_checkpoint_short_of_the_quorum_is_refused_with_who_did_cosign(log: TreeLog) -> None:
    note = log.note(20)
    witnesses = [fixed_cosigner(f"witness.example/w{number}") for number in (1, 2)]
    cosigned = add_signatures(note, [witnesses[0].cosign(note_text(note))])
    with pytest.raises(QuorumError) as refused:
        check_quorum(cosigned, [witness.verifier for witness in witnesses], 2)
    assert str(refused.value) == (
        "the checkpoint of tree size 20 carries 1 valid cosignature(s) of the trusted "
        "witnesses (witness.example/w1); 2 are required")


def test_a_checkpoint_that_is_not_a_signed_note_is_a_quorum_error_not_a_crash() -> None:
    with pytest.raises(QuorumError, match="not a signed note"):
        check_quorum("example.com/log\n5\nnot a root\n", [fixed_cosigner().verifier], 1)

"""POST /add-checkpoint over real HTTP: every status of c2sp.org/tlog-witness, and no forks."""

from __future__ import annotations

import threading
from pathlib import Path

import httpx
import pytest
from witnesshelpers import FIXED_TIME_SECONDS, RunningWitness, TreeLog, log_signer

from profitpool.chain import merkle
from profitpool.chain.cosign import Cosigner, note_text
from profitpool.chain.note import add_signatures, sign, sign_checkpoint
from profitpool.witness.client import format_submission
from profitpool.witness.server import MAX_BODY_BYTES, parse_submission


def _cosigned(witness: RunningWitness, log: TreeLog, old_size: int, size: int) -> None:
    response = witness.post(log.submission(old_size, size))
    assert response.status_code == 200, response.text


def test_the_first_checkpoint_is_cosigned_and_recorded(
        witness: RunningWitness, log: TreeLog, cosigner: Cosigner) -> None:
    note = log.note(8)
    response = witness.post(format_submission(note, 0, []))
    assert response.status_code == 200
    [line] = response.text.splitlines(keepends=True)
    assert cosigner.verifier.verify(note_text(note), line) == FIXED_TIME_SECONDS
    assert witness.stored() == (8, log.root(8))


def test_a_consistent_extension_is_cosigned(
        witness: RunningWitness, log: TreeLog, cosigner: Cosigner) -> None:
    _cosigned(witness, log, 0, 8)
    response = witness.post(log.submission(8, 13))
    assert response.status_code == 200
    assert cosigner.verifier.verify(note_text(log.note(13)), response.text) == FIXED_TIME_SECONDS
    assert witness.stored() == (13, log.root(13))


def test_the_cosigned_checkpoint_again_is_cosigned_again(
        witness: RunningWitness, log: TreeLog) -> None:
    _cosigned(witness, log, 0, 8)
    _cosigned(witness, log, 8, 8)
    assert witness.stored() == (8, log.root(8))


def test_an_unknown_origin_is_404(witness: RunningWitness) -> None:
    stranger = TreeLog(log_signer("stranger.example/log")).append(3)
    response = witness.post(stranger.submission(0, 3))
    assert response.status_code == 404
    assert witness.stored("stranger.example/log") is None


def test_a_checkpoint_no_trusted_key_signed_is_403(
        witness: RunningWitness, log: TreeLog) -> None:
    impostor = TreeLog(log_signer(log.origin)).append(20)  # same origin, another key
    assert witness.post(impostor.submission(0, 8)).status_code == 403
    tampered = log.note(8).replace("\n8\n", "\n9\n", 1)  # the log's signature no longer fits
    assert witness.post(format_submission(tampered, 0, [])).status_code == 403
    assert witness.stored() is None
    assert witness.state.refusals() == []  # unsigned requests are not evidence of anything


def test_signatures_by_unknown_keys_are_ignored(witness: RunningWitness, log: TreeLog) -> None:
    note = log.note(8)
    note = add_signatures(note, [log_signer("other.example/k").signature_line(note_text(note))])
    assert witness.post(format_submission(note, 0, [])).status_code == 200


def test_an_old_size_above_the_size_is_400(witness: RunningWitness, log: TreeLog) -> None:
    _cosigned(witness, log, 0, 13)
    response = witness.post(format_submission(log.note(8), 13, []))
    assert response.status_code == 400
    assert witness.stored() == (13, log.root(13))


@pytest.mark.parametrize("body", [
    b"",
    b"old 01\n\n",
    b"old -1\n\n",
    b"old 1 \n\n",
    b"new 0\n\n",
    b"old 0\nnot base64!\n\n",
    b"old 0\n" + b"KgEAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n\n",  # no padding
    b"old 0\n" + b"KgEAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==\n\n",  # 31 bytes
    b"old 0\n" + b"KgEAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n" * 64 + b"\n",
    b"old 0\n",
    b"old 0\n\x80\xff\n\n",
    b"old 18446744073709551616\n\n",
])
def test_a_malformed_body_is_400(witness: RunningWitness, log: TreeLog, body: bytes) -> None:
    note = log.note(8).encode()
    response = witness.post(body + note if body.endswith(b"\n\n") else body)
    assert response.status_code == 400, response.text


def test_a_malformed_checkpoint_is_400(witness: RunningWitness, log: TreeLog) -> None:
    not_a_checkpoint = sign("just some text\n", [log.signer])
    assert witness.post(format_submission(not_a_checkpoint, 0, [])).status_code == 400
    unsigned = note_text(log.note(8))
    assert witness.post(format_submission(unsigned, 0, [])).status_code == 400


def test_a_body_over_64_kib_is_refused_without_being_read(witness: RunningWitness,
                                                          log: TreeLog) -> None:
    body = log.submission(0, 8)
    padded = body + b"x" * (MAX_BODY_BYTES - len(body) + 1)
    assert witness.post(padded).status_code == 400

    def chunks() -> object:  # no Content-Length: the limit holds while streaming too
        for _ in range(3):
            yield b"x" * MAX_BODY_BYTES

    assert witness._client is not None
    response = witness._client.post("/add-checkpoint", content=chunks())  # type: ignore[arg-type]
    assert response.status_code == 400
    assert witness.stored() is None


def test_an_old_size_other_than_the_cosigned_one_is_409_with_that_size(
        witness: RunningWitness, log: TreeLog) -> None:
    _cosigned(witness, log, 0, 8)
    response = witness.post(log.submission(5, 13))
    assert response.status_code == 409
    assert response.headers["content-type"] == "text/x.tlog.size"
    assert response.content == b"8\n"
    response = witness.post(log.submission(0, 13))
    assert (response.status_code, response.content) == (409, b"8\n")
    assert witness.stored() == (8, log.root(8))


def test_a_fork_at_the_cosigned_size_is_409_and_the_honest_record_stays(
        witness: RunningWitness, log: TreeLog) -> None:
    _cosigned(witness, log, 0, 10)
    fork = log.fork(at_size=6, count=4)  # same key, same size 10, another root
    assert fork.root(10) != log.root(10)
    response = witness.post(format_submission(fork.note(10), 10, []))
    assert response.status_code == 409
    assert response.headers["content-type"].startswith("text/plain")
    assert witness.stored() == (10, log.root(10))
    [evidence] = witness.state.refusals(log.origin)
    assert (evidence.http_status, evidence.note) == (409, fork.note(10))


def test_a_larger_fork_whose_proof_cannot_verify_is_422_and_the_honest_record_stays(
        witness: RunningWitness, log: TreeLog) -> None:
    _cosigned(witness, log, 0, 10)
    fork = log.fork(at_size=6, count=14)
    for proof in (fork.proof(10, 20), log.proof(10, 20), []):
        response = witness.post(format_submission(fork.note(20), 10, proof))
        assert response.status_code == 422
        assert witness.stored() == (10, log.root(10))
    [evidence] = witness.state.refusals(log.origin)  # one note, kept once
    assert (evidence.http_status, evidence.note) == (422, fork.note(20))
    _cosigned(witness, log, 10, 20)  # the honest log goes on
    assert witness.stored() == (20, log.root(20))


def test_a_proof_from_size_zero_must_be_empty(witness: RunningWitness, log: TreeLog) -> None:
    response = witness.post(format_submission(log.note(8), 0, [log.root(4)]))
    assert response.status_code == 422
    assert witness.stored() is None


def test_a_smaller_checkpoint_is_never_cosigned(witness: RunningWitness, log: TreeLog) -> None:
    _cosigned(witness, log, 0, 13)
    assert witness.post(format_submission(log.note(8), 13, [])).status_code == 400
    assert witness.post(log.submission(8, 8)).status_code == 409
    assert witness.post(log.submission(0, 8)).status_code == 409
    assert witness.stored() == (13, log.root(13))


def test_the_record_survives_a_restart(witness: RunningWitness, log: TreeLog) -> None:
    _cosigned(witness, log, 0, 12)
    witness.restart()
    response = witness.post(log.submission(0, 20))
    assert (response.status_code, response.content) == (409, b"12\n")
    fork = log.fork(at_size=3, count=9)
    assert witness.post(format_submission(fork.note(12), 12, [])).status_code == 409
    _cosigned(witness, log, 12, 20)
    witness.restart()
    assert witness.stored() == (20, log.root(20))


def test_concurrent_submissions_do_not_roll_the_record_back(
        witness: RunningWitness, log: TreeLog) -> None:
    _cosigned(witness, log, 0, 4)
    bodies = {size: log.submission(4, size) for size in range(5, 21)}
    start = threading.Barrier(len(bodies))
    statuses: dict[int, int] = {}

    def submit(size: int) -> None:
        with httpx.Client(base_url=witness.url, timeout=30) as client:
            start.wait()
            statuses[size] = client.post("/add-checkpoint", content=bodies[size]).status_code

    threads = [threading.Thread(target=submit, args=(size,)) for size in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    [winner] = [size for size, status in statuses.items() if status == 200]
    assert sorted(statuses.values()) == [200] + [409] * (len(bodies) - 1)
    assert witness.stored() == (winner, log.root(winner))


def test_the_info_page_names_the_witness_and_its_logs(
        witness: RunningWitness, log: TreeLog, cosigner: Cosigner) -> None:
    response = httpx.get(witness.url + "/")
    assert response.status_code == 200
    assert response.text == (f"name {cosigner.name}\nvkey {cosigner.verifier.key_string()}\n"
                             f"log {log.verifier_key}\n")


def test_add_checkpoint_takes_post_only(witness: RunningWitness) -> None:
    assert httpx.get(witness.url + "/add-checkpoint").status_code == 405


def test_a_log_may_have_several_keys(log: TreeLog, cosigner: Cosigner, tmp_path: Path) -> None:
    rotated = log_signer(log.origin)
    running = RunningWitness(cosigner, [log.verifier_key, rotated.verifier.key_string()],
                             tmp_path / "w.db").start()
    try:
        assert running.post(log.submission(0, 8)).status_code == 200
        by_new_key = sign_checkpoint(log.checkpoint(12), rotated)
        assert running.post(format_submission(by_new_key, 8, log.proof(8, 12))).status_code == 200
    finally:
        running.stop()


def test_the_request_format_round_trips() -> None:
    proof = [merkle.leaf_hash(b"a"), merkle.leaf_hash(b"b")]
    body = format_submission("origin\n1\nroot\n\n— sig\n", 7, proof)
    parsed = parse_submission(body)
    assert (parsed.old_size, parsed.proof, parsed.note) == (7, tuple(proof),
                                                            "origin\n1\nroot\n\n— sig\n")

"""The log's side: request_cosignature maps every answer to a WitnessError; add_cosignatures."""

from __future__ import annotations

import socket
from collections.abc import Callable

import httpx
import pytest
from witnesshelpers import RunningWitness, TreeLog, fixed_cosigner, log_signer

from profitpool.chain.cosign import Cosigner, count_cosignatures, note_text
from profitpool.chain.merkle import leaf_hash
from profitpool.chain.note import open_checkpoint
from profitpool.errors import ProfitpoolError
from profitpool.witness.client import (
    BadCosignatureError,
    ConflictError,
    InconsistentProofError,
    LogSignatureRejectedError,
    MalformedRequestError,
    MalformedResponseError,
    OldSizeMismatchError,
    UnknownLogError,
    WitnessError,
    WitnessRefusedError,
    WitnessUnreachableError,
    add_cosignatures,
    format_submission,
    request_cosignature,
)


def _mock(handler: Callable[[httpx.Request], httpx.Response]) -> httpx.Client:
    return httpx.Client(transport=httpx.MockTransport(handler))


def test_the_request_body_is_exactly_the_spec_format() -> None:
    proof = [leaf_hash(b"a"), leaf_hash(b"b")]
    note = "example.com/log\n5\nroot\n\n— example.com/log sig\n"
    body = format_submission(note, 3, proof)
    assert body.decode() == (
        "old 3\n"
        "Aippeebat6pa5MPl5F9+l3ESp+Y1k4INvsHsc4ok+Tw=\n"
        "V+s1YV1H807HFMrN9f10YIpejhAnJOgLJLKHwMJ7ajE=\n"
        "\n" + note)
    assert format_submission(note, 0, []) == b"old 0\n\n" + note.encode()


def test_a_cosignature_is_requested_checked_and_added(
        witness: RunningWitness, log: TreeLog, cosigner: Cosigner) -> None:
    note = log.note(10)
    lines = request_cosignature(witness.url, note, 0, [], timeout=10)
    cosigned = add_cosignatures(note, lines, cosigner.verifier)
    assert count_cosignatures(cosigned, [cosigner.verifier]) == {cosigner.name}
    assert open_checkpoint(cosigned, log.signer.verifier).size == 10
    with httpx.Client() as client:  # keep-alive: one client for many requests
        lines = request_cosignature(witness.url + "/", log.note(15), 10, log.proof(10, 15),
                                    client=client)
    assert cosigner.verifier.verify(note_text(log.note(15)), lines[0])


def test_a_size_mismatch_tells_the_size_to_retry_from(
        witness: RunningWitness, log: TreeLog, cosigner: Cosigner) -> None:
    request_cosignature(witness.url, log.note(7), 0, [])
    with pytest.raises(OldSizeMismatchError) as mismatch:
        request_cosignature(witness.url, log.note(16), 0, [])
    witness_size = mismatch.value.witness_size
    assert (witness_size, mismatch.value.status_code) == (7, 409)
    lines = request_cosignature(witness.url, log.note(16), witness_size,
                                log.proof(witness_size, 16))
    assert add_cosignatures(log.note(16), lines, cosigner.verifier)


def test_every_refusal_of_the_witness_is_its_own_error(
        witness: RunningWitness, log: TreeLog) -> None:
    request_cosignature(witness.url, log.note(10), 0, [])
    fork = log.fork(at_size=5, count=10)
    stranger = TreeLog(log_signer("stranger.example/log")).append(3)
    impostor = TreeLog(log_signer(log.origin)).append(20)
    cases: list[tuple[type[WitnessRefusedError], str, int, list[bytes], int]] = [
        (MalformedRequestError, log.note(5), 10, [], 400),
        (LogSignatureRejectedError, impostor.note(12), 10, impostor.proof(10, 12), 403),
        (UnknownLogError, stranger.note(3), 0, [], 404),
        (ConflictError, fork.note(10), 10, [], 409),
        (InconsistentProofError, fork.note(15), 10, fork.proof(10, 15), 422),
    ]
    for error_type, note, old_size, proof, status in cases:
        with pytest.raises(error_type) as refused:
            request_cosignature(witness.url, note, old_size, proof)
        assert refused.value.status_code == status
        assert str(refused.value).startswith(f"witness refused ({status}): ")
        assert "\n" not in str(refused.value)


def test_other_statuses_and_bad_answers_are_witness_errors(log: TreeLog) -> None:
    note = log.note(3)
    answers: list[tuple[httpx.Response, type[WitnessError]]] = [
        (httpx.Response(503, text="down for maintenance"), WitnessRefusedError),
        (httpx.Response(500), WitnessRefusedError),
        (httpx.Response(409, text="eight\n", headers={"content-type": "text/x.tlog.size"}),
         MalformedResponseError),
        (httpx.Response(200, text="not a signature line\n"), MalformedResponseError),
        (httpx.Response(200, text=""), MalformedResponseError),
        (httpx.Response(200, content=b"\xff\xfe\n"), MalformedResponseError),
        (httpx.Response(200, text="— w AAAAAAAA"), MalformedResponseError),  # no newline
    ]
    for answer, error_type in answers:
        with _mock(lambda request, answer=answer: answer) as client:  # type: ignore[misc]
            with pytest.raises(error_type):
                request_cosignature("http://witness.test", note, 0, [], client=client)
    with _mock(lambda request: httpx.Response(503, text="busy")) as client:
        with pytest.raises(WitnessRefusedError) as refused:
            request_cosignature("http://witness.test", note, 0, [], client=client)
    assert type(refused.value) is WitnessRefusedError and refused.value.status_code == 503


def test_a_size_answer_with_a_charset_still_counts(log: TreeLog) -> None:
    answer = httpx.Response(409, text="42\n",
                            headers={"content-type": "text/x.tlog.size; charset=utf-8"})
    with _mock(lambda request: answer) as client:
        with pytest.raises(OldSizeMismatchError) as mismatch:
            request_cosignature("http://witness.test", log.note(3), 0, [], client=client)
    assert mismatch.value.witness_size == 42


def test_an_unreachable_witness_is_a_clean_error(log: TreeLog) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(WitnessUnreachableError, match="cannot reach the witness"):
        request_cosignature(f"http://127.0.0.1:{port}", log.note(3), 0, [], timeout=5)

    def too_slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("", request=request)

    with _mock(too_slow) as client:
        with pytest.raises(WitnessUnreachableError, match="ReadTimeout"):
            request_cosignature("http://witness.test", log.note(3), 0, [], client=client)
    for bad_url in ("not a url", "ftp://witness.test", "http://[::1"):
        with pytest.raises(WitnessUnreachableError):
            request_cosignature(bad_url, log.note(3), 0, [])


def test_a_request_that_cannot_be_made_is_a_witness_error(log: TreeLog) -> None:
    for old_size, proof in ((-1, []), (0, [b"short"]), (0, [leaf_hash(b"x")] * 64)):
        with pytest.raises(WitnessError):
            request_cosignature("http://witness.test", log.note(3), old_size, proof)
    assert issubclass(WitnessError, ProfitpoolError)


def test_add_cosignatures_refuses_a_tampered_or_malformed_line(
        log: TreeLog, cosigner: Cosigner) -> None:
    note = log.note(10)
    line = cosigner.cosign(note_text(note))
    name, encoded = line.removeprefix("— ").split(" ")
    flipped = encoded[:10] + ("B" if encoded[10] == "A" else "A") + encoded[11:]
    bad_lines = [
        f"— {name} {flipped}",                           # tampered bytes
        cosigner.cosign(note_text(log.note(11))),        # a cosignature of another checkpoint
        f"— {name} {encoded.rstrip()[:-4]}\n",           # malformed
    ]
    for bad in bad_lines:
        with pytest.raises(BadCosignatureError):
            add_cosignatures(note, [bad], cosigner.verifier)
        with pytest.raises(BadCosignatureError):
            add_cosignatures(note, [line, bad], cosigner.verifier)


def test_add_cosignatures_ignores_other_witnesses_but_needs_its_own(
        log: TreeLog, cosigner: Cosigner) -> None:
    note = log.note(10)
    other = fixed_cosigner("other.example/w").cosign(note_text(note))
    with pytest.raises(BadCosignatureError, match="no cosignature"):
        add_cosignatures(note, [other], cosigner.verifier)
    cosigned = add_cosignatures(note, [other, cosigner.cosign(note_text(note))],
                                cosigner.verifier)
    assert "other.example/w" not in cosigned
    with pytest.raises(BadCosignatureError):
        add_cosignatures("not a note", [other], cosigner.verifier)

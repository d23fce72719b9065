"""Asking a witness for a cosignature (the log's side of c2sp.org/tlog-witness).

:func:`request_cosignature` posts a checkpoint with a consistency proof from
the size the witness cosigned last, and returns the witness's signature
lines; :func:`add_cosignatures` checks them with the witness's vkey and
appends them to the checkpoint note. Every failure is a :class:`WitnessError`
with a one-line message, never a traceback::

    ProfitpoolError
     └── WitnessError
           ├── WitnessUnreachableError        connection refused, timeout, bad URL
           ├── MalformedResponseError         a 200 whose body is not signature lines
           ├── BadCosignatureError            a line is malformed, does not verify, or
           │                                  the witness's cosignature is missing
           └── WitnessRefusedError            .status_code, .message
                 ├── MalformedRequestError    400
                 ├── LogSignatureRejectedError 403
                 ├── UnknownLogError          404
                 ├── OldSizeMismatchError     409 text/x.tlog.size, .witness_size:
                 │                            retry from that size with its proof
                 ├── ConflictError            409 otherwise: the witness saw another
                 │                            root at this size (a fork)
                 └── InconsistentProofError   422

Example::

    try:
        lines = request_cosignature(url, note, old_size, proof)
    except OldSizeMismatchError as error:
        lines = request_cosignature(url, note, error.witness_size,
                                    proof_from(error.witness_size))
    note = add_cosignatures(note, lines, witness_verifier)
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Sequence
from typing import Final

import httpx

from ..chain.cosign import (
    CosignatureError,
    CosignatureVerifier,
    UnknownCosignerError,
    note_text,
    parse_signature_line,
)
from ..chain.note import MAX_TREE_SIZE, NoteError, add_signatures
from ..errors import ProfitpoolError

SIZE_CONTENT_TYPE: Final = "text/x.tlog.size"
MAX_PROOF_LINES: Final = 63
DEFAULT_TIMEOUT_SECONDS: Final = 10.0


class WitnessError(ProfitpoolError):
    """A cosignature could not be had from a witness."""


class WitnessUnreachableError(WitnessError):
    """The witness could not be reached or did not answer in time."""


class MalformedResponseError(WitnessError):
    """The witness said 200 but its body is not one or more signature lines."""


class BadCosignatureError(WitnessError):
    """A returned cosignature is malformed or does not verify, or none is the witness's."""


class WitnessRefusedError(WitnessError):
    """The witness answered with an error status."""

    def __init__(self, status_code: int, message: str) -> None:
        super().__init__(f"witness refused ({status_code}): {message}")
        self.status_code = status_code
        self.message = message


class MalformedRequestError(WitnessRefusedError):
    """400: the witness found the request malformed (or old size above the size)."""


class LogSignatureRejectedError(WitnessRefusedError):
    """403: no key the witness trusts for this log signed the checkpoint."""


class UnknownLogError(WitnessRefusedError):
    """404: the witness does not follow this log."""


class OldSizeMismatchError(WitnessRefusedError):
    """409 with the witness's size: send a proof from ``witness_size`` instead."""

    def __init__(self, witness_size: int) -> None:
        super().__init__(409, f"the witness cosigned size {witness_size} last")
        self.witness_size = witness_size


class ConflictError(WitnessRefusedError):
    """409 without a size: the witness cosigned another root at this size."""


class InconsistentProofError(WitnessRefusedError):
    """422: the consistency proof did not verify."""


_REFUSALS: Final[dict[int, type[WitnessRefusedError]]] = {
    400: MalformedRequestError,
    403: LogSignatureRejectedError,
    404: UnknownLogError,
    409: ConflictError,
    422: InconsistentProofError,
}


def format_submission(checkpoint_note: str, old_size: int, proof_hashes: Sequence[bytes]) -> bytes:
    """The add-checkpoint body: ``old N``, a base64 line per proof hash, a blank line, the note.

    Raises:
        ValueError: an old size out of range, over 63 hashes, or a hash not 32 bytes.
    """
    if not 0 <= old_size <= MAX_TREE_SIZE:
        raise ValueError(f"old size {old_size} is out of range")
    if len(proof_hashes) > MAX_PROOF_LINES:
        raise ValueError(f"a consistency proof has at most {MAX_PROOF_LINES} hashes")
    if any(len(proof_hash) != 32 for proof_hash in proof_hashes):
        raise ValueError("every proof hash is 32 bytes")
    lines = [f"old {old_size}", *(base64.b64encode(h).decode() for h in proof_hashes), ""]
    return ("".join(line + "\n" for line in lines) + checkpoint_note).encode()


def request_cosignature(url: str, checkpoint_note: str, old_size: int,
                        proof_hashes: Sequence[bytes],
                        timeout: float = DEFAULT_TIMEOUT_SECONDS, *,
                        client: httpx.Client | None = None) -> list[str]:
    """Submit ``checkpoint_note`` to the witness at ``url``; its signature lines.

    Args:
        url: the witness's submission prefix (``/add-checkpoint`` is appended).
        checkpoint_note: the checkpoint, signed by the log.
        old_size: the size the witness cosigned last (0 if it never did).
        proof_hashes: consistency proof from ``old_size`` to the checkpoint's
            size; empty when ``old_size`` is 0 or the same size.
        timeout: seconds to wait for connecting, and for each read.
        client: an ``httpx.Client`` to reuse (keep-alive); a fresh one otherwise.

    Returns:
        The signature lines, each ending in a newline: not verified yet (see
        :func:`add_cosignatures`).

    Raises:
        WitnessError: see the module's tree; never anything else.
    """
    try:
        body = format_submission(checkpoint_note, old_size, proof_hashes)
    except ValueError as error:
        raise WitnessError(f"cannot ask for a cosignature: {error}") from None
    endpoint = url.rstrip("/") + "/add-checkpoint"
    try:
        if client is None:
            with httpx.Client(timeout=timeout) as fresh_client:
                response = fresh_client.post(endpoint, content=body)
        else:
            response = client.post(endpoint, content=body, timeout=timeout)
    except httpx.HTTPError as error:
        raise WitnessUnreachableError(f"cannot reach the witness at {endpoint}: "
                                      f"{str(error) or type(error).__name__}") from None
    except (httpx.InvalidURL, ValueError) as error:  # a URL httpx cannot even parse
        raise WitnessUnreachableError(f"bad witness URL {url!r}: {error}") from None
    if response.status_code == 200:
        return _signature_lines(response.content)
    message = response.content[:500].decode(errors="replace").strip()
    if response.status_code == 409 and _is_size_response(response):
        size_text = response.content.decode(errors="replace")
        if not size_text.endswith("\n") or not size_text[:-1].isdigit():
            raise MalformedResponseError(f"409 with a malformed size {size_text[:50]!r}")
        raise OldSizeMismatchError(int(size_text[:-1]))
    refusal = _REFUSALS.get(response.status_code, WitnessRefusedError)
    raise refusal(response.status_code, message or response.reason_phrase)


def _is_size_response(response: httpx.Response) -> bool:
    media_type = str(response.headers.get("content-type", "")).split(";")[0].strip().lower()
    return media_type == SIZE_CONTENT_TYPE


def _signature_lines(body: bytes) -> list[str]:
    """The lines of a 200 body, each checked to be a note signature line."""
    try:
        text = body.decode()
    except UnicodeDecodeError:
        raise MalformedResponseError("the witness's answer is not UTF-8") from None
    if not text.endswith("\n"):
        raise MalformedResponseError("the witness's answer does not end in a newline")
    lines = [line + "\n" for line in text[:-1].split("\n")]
    for line in lines:
        try:
            parse_signature_line(line)
        except CosignatureError:
            raise MalformedResponseError(
                f"the witness answered a line that is not a signature: {line[:100]!r}") from None
    return lines


def add_cosignatures(note: str, lines: Iterable[str], verifier: CosignatureVerifier) -> str:
    """``note`` with the cosignature lines of ``verifier`` among ``lines`` appended.

    Lines by other keys are ignored, as the spec asks. A line by this witness
    that is malformed or does not verify is refused, and so is an answer
    holding no cosignature of this witness at all.

    Raises:
        BadCosignatureError: as above, or ``note`` is not a signed note.
    """
    try:
        text = note_text(note)
    except NoteError as error:
        raise BadCosignatureError(f"not a signed note: {error}") from None
    accepted: list[str] = []
    for line in lines:
        try:
            verifier.verify(text, line)
        except UnknownCosignerError:
            continue
        except CosignatureError as error:
            raise BadCosignatureError(f"refusing the cosignature of {verifier.name}: "
                                      f"{error}") from None
        accepted.append(line)
    if not accepted:
        raise BadCosignatureError(f"no cosignature by {verifier.key_string()}")
    try:
        return add_signatures(note, accepted)
    except NoteError as error:
        raise BadCosignatureError(f"cannot add the cosignature: {error}") from None

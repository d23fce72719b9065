"""The witness over HTTP: ``POST /add-checkpoint`` exactly as c2sp.org/tlog-witness says.

:class:`Witness` holds the logic, free of HTTP: parse the submission, check
the log's signature, move the state forward (state.py), cosign. Every
refusal is an exception carrying its HTTP status, turned into a response by
the one exception handler of :func:`create_app`::

    400  malformed body (or over 64 KiB), or old size > checkpoint size
    403  no trusted key of the log signed the checkpoint
    404  the witness does not know the checkpoint's origin
    409  old size is not the cosigned size (body "<size>\\n", text/x.tlog.size),
         or the same size as cosigned with another root (a fork)
    422  the consistency proof does not verify
    200  the cosignature line, once the new checkpoint is persisted

``GET /`` tells who the witness is: its name, its vkey and the logs it follows.
"""

from __future__ import annotations

import base64
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from ..chain.cosign import Cosigner, note_text
from ..chain.merkle import HASH_BYTES
from ..chain.note import (
    MAX_TREE_SIZE,
    InvalidSignatureError,
    NoteError,
    UnverifiedNoteError,
    Verifier,
    open_note,
    parse_checkpoint,
)
from .state import OldSizeMismatch, Refusal, WitnessState

MAX_BODY_BYTES: Final = 64 * 1024
MAX_PROOF_LINES: Final = 63
SIZE_CONTENT_TYPE: Final = "text/x.tlog.size"
_OLD_LINE: Final = re.compile("old (0|[1-9][0-9]*)")

logger = logging.getLogger("profitpool.witness")


class MalformedSubmission(Refusal):
    """The body breaks the add-checkpoint format, or its old size is above the new size."""

    http_status = 400


class NotSignedByLog(Refusal):
    """No trusted key of the checkpoint's log signed it."""

    http_status = 403


class UnknownLog(Refusal):
    """The witness follows no log of this origin."""

    http_status = 404


@dataclass(frozen=True)
class Submission:
    """One add-checkpoint request body, parsed."""

    old_size: int
    """Size of the checkpoint the client believes the witness cosigned last."""
    proof: tuple[bytes, ...]
    """Consistency proof from ``old_size`` to the checkpoint's size, 32-byte hashes."""
    note: str
    """The checkpoint note, with the log's signature(s)."""


def parse_submission(body: bytes) -> Submission:
    """Read an add-checkpoint body: ``old N``, proof lines, a blank line, the note.

    Raises:
        MalformedSubmission: any departure from the format.
    """
    if len(body) > MAX_BODY_BYTES:
        raise MalformedSubmission(f"the body is over {MAX_BODY_BYTES} bytes")
    try:
        text = body.decode()
    except UnicodeDecodeError:
        raise MalformedSubmission("the body is not UTF-8") from None
    old_line, newline, rest = text.partition("\n")
    match = _OLD_LINE.fullmatch(old_line)
    if not newline or match is None or int(match[1]) > MAX_TREE_SIZE:
        raise MalformedSubmission("the body does not start with a line 'old <size>'")
    proof: list[bytes] = []
    while True:
        line, newline, rest = rest.partition("\n")
        if not newline:
            raise MalformedSubmission("no blank line before the checkpoint")
        if line == "":
            break
        if len(proof) == MAX_PROOF_LINES:
            raise MalformedSubmission(f"more than {MAX_PROOF_LINES} proof lines")
        proof.append(_decode_hash(line))
    return Submission(int(match[1]), tuple(proof), rest)


def _decode_hash(line: str) -> bytes:
    try:
        decoded = base64.b64decode(line, validate=True)
    except ValueError:
        decoded = b""
    if len(decoded) != HASH_BYTES or base64.b64encode(decoded).decode() != line:
        raise MalformedSubmission(f"proof line {line[:100]!r} is not a base64 hash")
    return decoded


class Witness:
    """Cosigns the checkpoints of the logs it trusts, each only if it extends the last one.

    Args:
        cosigner: the witness's own key.
        log_keys: verifier keys of the logs to witness (note.py key strings or
            Verifiers). A key's name is its log's origin; a log may have several.
        state: where the latest cosigned checkpoint of each log is kept.
    """

    def __init__(self, cosigner: Cosigner, log_keys: Iterable[str | Verifier],
                 state: WitnessState) -> None:
        self.cosigner = cosigner
        self.state = state
        self.logs: dict[str, list[Verifier]] = {}
        for key in log_keys:
            verifier = Verifier.parse(key) if isinstance(key, str) else key
            known = self.logs.setdefault(verifier.name, [])
            if any(other.key_id == verifier.key_id and other != verifier for other in known):
                raise NoteError(f"two log keys share {verifier.name}+{verifier.key_id:08x}")
            if verifier not in known:
                known.append(verifier)

    def add_checkpoint(self, body: bytes) -> str:
        """Handle one add-checkpoint body; the cosignature line(s) on success.

        Raises:
            Refusal: one subclass per HTTP status of the spec (see the module doc).
        """
        submission = parse_submission(body)
        try:
            text = note_text(submission.note)
            checkpoint = parse_checkpoint(text)
        except NoteError as error:
            raise MalformedSubmission(f"the checkpoint is malformed: {error}") from None
        verifiers = self.logs.get(checkpoint.origin)
        if verifiers is None:
            raise UnknownLog(f"this witness does not follow {checkpoint.origin!r}")
        try:
            open_note(submission.note, verifiers)
        except (InvalidSignatureError, UnverifiedNoteError) as error:
            raise NotSignedByLog(f"the checkpoint is not signed by {checkpoint.origin}: "
                                 f"{error}") from None
        except NoteError as error:
            raise MalformedSubmission(f"the checkpoint note is malformed: {error}") from None
        try:
            if submission.old_size > checkpoint.size:
                raise MalformedSubmission(
                    f"old size {submission.old_size} is above the checkpoint's size "
                    f"{checkpoint.size}")
            self.state.advance(submission.old_size, checkpoint, submission.proof,
                               submission.note)
        except Refusal as refusal:
            # Signed by the log yet refused: keep it, it may prove a split view.
            self.state.record_refusal(checkpoint.origin, refusal.http_status, str(refusal),
                                      submission.old_size, submission.proof, submission.note)
            logger.warning("refused %s size %d: %s", checkpoint.origin, checkpoint.size, refusal)
            raise
        logger.info("cosigned %s size %d", checkpoint.origin, checkpoint.size)
        return self.cosigner.cosign(text)

    def info(self) -> str:
        """Who this witness is, for people and scripts: name, vkey, logs followed."""
        lines = [f"name {self.cosigner.name}", f"vkey {self.cosigner.verifier.key_string()}"]
        lines += [f"log {verifier.key_string()}"
                  for verifiers in self.logs.values() for verifier in verifiers]
        return "".join(line + "\n" for line in lines)


async def _read_body(request: Request) -> bytes:
    """The request body, refused as soon as it passes MAX_BODY_BYTES (never read whole)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise MalformedSubmission(f"the body is over {MAX_BODY_BYTES} bytes")
    chunks: list[bytes] = []
    received_bytes = 0
    async for chunk in request.stream():
        received_bytes += len(chunk)
        if received_bytes > MAX_BODY_BYTES:
            raise MalformedSubmission(f"the body is over {MAX_BODY_BYTES} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _refusal_response(request: Request, error: Exception) -> Response:
    """The one mapping from a refusal to its HTTP response."""
    if isinstance(error, OldSizeMismatch):
        return Response(f"{error.stored_size}\n", status_code=error.http_status,
                        headers={"content-type": SIZE_CONTENT_TYPE})
    status = error.http_status if isinstance(error, Refusal) else 500
    return PlainTextResponse(f"{error}\n", status_code=status)


def create_app(witness: Witness) -> Starlette:
    """The ASGI app serving ``witness``: ``POST /add-checkpoint`` and ``GET /``."""

    async def add_checkpoint(request: Request) -> Response:
        body = await _read_body(request)
        # Signing and SQLite block: keep them off the event loop.
        lines = await run_in_threadpool(witness.add_checkpoint, body)
        return PlainTextResponse(lines)

    async def info(request: Request) -> Response:
        return PlainTextResponse(witness.info())

    routes = [Route("/add-checkpoint", add_checkpoint, methods=["POST"]),
              Route("/", info, methods=["GET"])]
    return Starlette(routes=routes, exception_handlers={Refusal: _refusal_response})

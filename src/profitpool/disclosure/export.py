"""A member's export: everything the program holds about one member, checkable offline.

docs/rules.md section 11: a member (or the operator for them) may take away their
link, their personal data, every log entry about them with its inclusion
proof, and their proofs of liabilities, as one JSON file (docs/privacy-export.md).

What the log proves, the file proves with the log's own structures: each entry
carries an RFC 9162 inclusion proof against one signed checkpoint (chain/merkle.py,
chain/note.py), and each month's proof of liabilities (pol.py) ends at the root
and total of that month's ``disclosure`` entry, itself proven in the same tree.
The link and the profile live outside the log and nothing there can prove
them, so the operator signs the whole file with the log's key (domain-separated:
log/keys.py); changing any byte of meaning breaks that signature.

This lives in disclosure/ rather than members/ because it reads the stored
proofs of liabilities (publish.py), and disclosure/ already builds on members/:
the layers (tests/test_layers.py) allow only that direction.

:func:`verify_export` needs the file alone (and, best, the log's published key):
no database, no network.
"""

from __future__ import annotations

import base64
import binascii
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Final

import orjson

from ..chain.canonical import dumps
from ..chain.merkle import leaf_hash, verify_inclusion
from ..chain.note import Checkpoint, NoteError, Signer, Verifier, open_checkpoint
from ..errors import ProfitpoolError, Rejected
from ..log.keys import sign_member_export, verify_member_export
from ..log.reader import LogReader
from ..members.directory import Directory
from ..members.profiles import get_profile
from ..members.pseudonyms import is_pseudonym
from ..money import format_fen, parse_money
from ..store.repository import LogStore
from ..times import format_time
from . import pol

FORMAT: Final = "profitpool-member-export/1"
"""The ``format`` field: the shape of the file and how it is signed."""
FIELDS: Final = ("format", "exported_at", "origin", "verifier_key", "checkpoint", "member",
                 "entries", "proofs_of_liabilities", "signature")
_PAGE: Final = 10_000


class ExportError(ProfitpoolError):
    """An export cannot be made: an unknown member, an empty log, another log's key."""


class ExportInvalid(ProfitpoolError):
    """An export does not verify; the message names the first part that fails."""


@dataclass(frozen=True)
class ExportSummary:
    """What a verified export shows, for the member to read."""

    pseudonym: str
    origin: str
    verifier_key: str
    key_trusted: bool
    """False: no trusted key was given, so the key written in the file was used."""
    tree_size: int
    entries: int
    links: list[tuple[str, str]]
    profile_fields: list[str]
    holdings_fen: dict[str, int] = field(default_factory=dict)
    """{period: the holding its proof of liabilities counts, in fen}."""


# making -------------------------------------------------------------------------------------


def export_member(store: LogStore, directory: Directory, pseudonym: str, signer: Signer,
                  *, now_us: int | None = None) -> dict[str, Any]:
    """The signed export of the member the log calls ``pseudonym``.

    Args:
        pseudonym: the member's name in the log (a pseudonym, or the id a log written
            before pseudonyms holds); see :meth:`Directory.pseudonym_of`.
        signer: the log's signing key; it signs the checkpoint and the file.

    Raises:
        ExportError: the log is empty, ``signer`` is not this log's key, or neither the
            log nor the directory knows the member.
        DataKeyError: the data key is missing or wrong (links cannot be opened).
    """
    meta = store.meta()
    verifier_key = meta.get("verifier_key", "")
    if signer.verifier.key_string() != verifier_key:
        raise ExportError(f"the signing key {signer.verifier.key_string()} is not this log's "
                          f"key ({verifier_key or 'none recorded'})")
    last = store.last_block()
    if last is None:
        raise ExportError("the log has no blocks yet: there is nothing to export")
    tree_size = last.header.tree_size
    links = directory.every_id(pseudonym)
    indexes = sorted(index for index in _party_entries(store, f"member:{pseudonym}")
                     if index < tree_size)
    if not links and not indexes:
        raise ExportError(f"no member {pseudonym!r} in this log")
    reader = LogReader(store)
    document: dict[str, Any] = {
        "format": FORMAT,
        "exported_at": format_time(time.time_ns() // 1000 if now_us is None else now_us),
        "origin": signer.name,
        "verifier_key": verifier_key,
        "checkpoint": last.checkpoint,
        "member": {
            "pseudonym": pseudonym,
            "links": [{"scope": scope, "id": member_id} for scope, member_id in links],
            "profile": get_profile(directory, pseudonym),
        },
        "entries": [_proven_entry(store, reader, index, tree_size) for index in indexes],
        "proofs_of_liabilities": list(_pol_proofs(store, reader, pseudonym, tree_size)),
    }
    signature = sign_member_export(signer, dumps(document))
    document["signature"] = base64.b64encode(signature).decode()
    return document


def _party_entries(store: LogStore, party: str) -> Iterator[int]:
    """Every entry index that concerns ``party`` (the log's ``entry_parties``), in pages."""
    before: int | None = None
    while True:
        page = store.party_entries(party, before, _PAGE)
        yield from page
        if len(page) < _PAGE:
            return
        before = page[-1]


def _proven_entry(store: LogStore, reader: LogReader, index: int,
                  tree_size: int) -> dict[str, Any]:
    """An entry's stored bytes (as text) and its audit path in the tree of ``tree_size``."""
    data = store.entry(index)
    if data is None:
        raise ExportError(f"entry {index} is not stored")
    proof = reader.inclusion(index, tree_size)
    return {"index": index, "entry": data.decode(), "proof": proof["proof"]}


def _pol_proofs(store: LogStore, reader: LogReader, pseudonym: str,
                tree_size: int) -> Iterator[dict[str, Any]]:
    """The member's proof in each month published in the log (its ``disclosure`` entry
    proven too), oldest first; months whose tree does not hold the member are skipped."""
    from .publish import member_proof, recorded_disclosures

    for period, recorded in sorted(recorded_disclosures(store).items()):
        if recorded["index"] >= tree_size:
            continue
        proof = member_proof(store, period, pseudonym)
        if proof is None:
            continue
        yield {"period": period,
               "disclosure": _proven_entry(store, reader, recorded["index"], tree_size),
               "proof": orjson.loads(proof.to_json())}


def export_bytes(document: dict[str, Any]) -> bytes:
    """The file's bytes: indented JSON for people; the signature covers its canonical form."""
    return orjson.dumps(document, option=orjson.OPT_INDENT_2) + b"\n"


# checking -----------------------------------------------------------------------------------


def verify_export(document: Any, trusted_key: str | None = None) -> ExportSummary:
    """Check an export with nothing but itself (and the log's published key, if given).

    In order: its form; the checkpoint, signed by the log's key; every entry, by its
    inclusion proof against that checkpoint, and that it names the member; every proof
    of liabilities, against its month's ``disclosure`` entry (itself proven); last the
    operator's signature over the whole file, which alone vouches for the links and the
    profile. Without ``trusted_key`` the key written in the file is trusted, which shows
    the file is whole but not that it is the published log's (the summary says so).

    Raises:
        ExportInvalid: naming the first part that fails.
    """
    if not isinstance(document, dict):
        raise ExportInvalid("the export is not a JSON object")
    if document.get("format") != FORMAT:
        raise ExportInvalid(f"the export's format is {document.get('format')!r}, "
                            f"expected {FORMAT!r}")
    missing = [name for name in FIELDS if name not in document]
    unknown = sorted(set(document) - set(FIELDS))
    if missing or unknown:
        raise ExportInvalid(f"the export's fields are wrong: missing {missing or 'none'}, "
                            f"unknown {unknown or 'none'}")
    verifier = _verifier(document, trusted_key)
    origin = _text(document, "origin", "the export")
    checkpoint = _checkpoint(document, verifier, origin)
    member = _object(document["member"], "the member", ("pseudonym", "links", "profile"))
    pseudonym = _text(member, "pseudonym", "the member")
    links = _links(member["links"])
    profile = _object(member["profile"], "the profile", None)
    entries = _list(document, "entries")
    last_index = -1
    for number, item in enumerate(entries):
        index, entry = _check_entry(item, checkpoint, f"entry #{number + 1}")
        if index <= last_index:
            raise ExportInvalid(f"entry {index} is out of order or repeated")
        last_index = index
        if not _names(entry, pseudonym):
            raise ExportInvalid(f"entry {index} does not name {pseudonym}")
    holdings: dict[str, int] = {}
    for item in _list(document, "proofs_of_liabilities"):
        period, value_fen = _check_pol(item, checkpoint, pseudonym)
        if period in holdings:
            raise ExportInvalid(f"two proofs of liabilities for {period}")
        holdings[period] = value_fen
    _check_signature(document, verifier)
    return ExportSummary(pseudonym, origin, verifier.key_string(), trusted_key is not None,
                         checkpoint.size, len(entries), links, sorted(profile), holdings)


def _verifier(document: dict[str, Any], trusted_key: str | None) -> Verifier:
    written = _text(document, "verifier_key", "the export")
    try:
        verifier = Verifier.parse(written)
    except NoteError as error:
        raise ExportInvalid(f"the export's verifier key is malformed: {error}") from None
    if trusted_key is None:
        return verifier
    try:
        trusted = Verifier.parse(trusted_key)
    except NoteError as error:
        raise ExportInvalid(f"the trusted key is not a verifier key: {error}") from None
    if trusted != verifier:
        raise ExportInvalid(f"the export is of the log with key {written}, not of the trusted "
                            f"key {trusted_key}")
    return trusted


def _checkpoint(document: dict[str, Any], verifier: Verifier, origin: str) -> Checkpoint:
    note = _text(document, "checkpoint", "the export")
    try:
        return open_checkpoint(note, verifier, origin=origin)
    except NoteError as error:
        raise ExportInvalid(f"the checkpoint does not verify: {error}") from None


def _check_entry(item: Any, checkpoint: Checkpoint, what: str) -> tuple[int, Any]:
    """The entry's index and parsed JSON, once its inclusion proof leads to the checkpoint."""
    item = _object(item, what, ("index", "entry", "proof"))
    index = item["index"]
    if type(index) is not int or index < 0:
        raise ExportInvalid(f"{what}'s index {index!r} is not an entry index")
    text = _text(item, "entry", f"entry {index}")
    path = item["proof"]
    if not isinstance(path, list) or not all(isinstance(node, str) for node in path):
        raise ExportInvalid(f"entry {index}'s proof is not a list of hex hashes")
    try:
        nodes = [bytes.fromhex(node) for node in path]
    except ValueError:
        raise ExportInvalid(f"entry {index}'s proof is not a list of hex hashes") from None
    if not verify_inclusion(leaf_hash(text.encode()), index, checkpoint.size, nodes,
                            checkpoint.root):
        raise ExportInvalid(f"entry {index} is not in the checkpoint's tree of size "
                            f"{checkpoint.size:,}: its inclusion proof does not lead to the "
                            "signed root")
    try:
        return index, orjson.loads(text)
    except orjson.JSONDecodeError:
        raise ExportInvalid(f"entry {index} is not JSON") from None


def _check_pol(item: Any, checkpoint: Checkpoint, pseudonym: str) -> tuple[str, int]:
    """The period and the holding of one proof of liabilities, once it checks out against
    the root and total its month's ``disclosure`` entry records in the log."""
    item = _object(item, "a proof of liabilities", ("period", "disclosure", "proof"))
    period = _text(item, "period", "a proof of liabilities")
    what = f"the proof of liabilities of {period}"
    index, entry = _check_entry(item["disclosure"], checkpoint, f"{what}'s disclosure entry")
    command = entry.get("command") if isinstance(entry, dict) else None
    if not isinstance(command, dict) or command.get("op") != "disclosure" \
            or command.get("period") != period:
        raise ExportInvalid(f"entry {index} is not the disclosure of {period}")
    try:
        proof = pol.MemberProof.from_json(orjson.dumps(item["proof"]))
        if proof.period != period:
            raise pol.PolError(f"it is the proof of {proof.period!r}")
        if proof.kind != "member":
            raise pol.PolError(f"it is the proof of {proof.party!r}, not of a member")
        if is_pseudonym(pseudonym) and proof.pseudonym != pseudonym:
            raise pol.PolError(f"it is {proof.pseudonym!r}'s, not {pseudonym}'s")
        root = bytes.fromhex(str(command.get("pol_root")))
        total_fen = parse_money(command.get("pol_total"))
        value_fen = pol.verify_proof(proof, root, total_fen)
    except (pol.PolError, Rejected, ValueError) as error:
        raise ExportInvalid(f"{what} does not verify: {error}") from None
    return period, value_fen


def _check_signature(document: dict[str, Any], verifier: Verifier) -> None:
    unsigned = {name: value for name, value in document.items() if name != "signature"}
    try:
        signature = base64.b64decode(_text(document, "signature", "the export"), validate=True)
    except binascii.Error:
        signature = b""
    if not verify_member_export(verifier, dumps(unsigned), signature):
        raise ExportInvalid("the operator's signature does not match the export: it was "
                            "changed after it was made (its links, profile or another field)")


def _names(value: Any, pseudonym: str) -> bool:
    """Whether ``pseudonym`` is one of the strings in ``value`` (at any depth)."""
    if isinstance(value, str):
        return value == pseudonym
    if isinstance(value, dict):
        return any(_names(item, pseudonym) for item in value.values())
    if isinstance(value, list):
        return any(_names(item, pseudonym) for item in value)
    return False


def _links(value: Any) -> list[tuple[str, str]]:
    if not isinstance(value, list):
        raise ExportInvalid("the member's links are not a list")
    links = []
    for item in value:
        link = _object(item, "a link", ("scope", "id"))
        links.append((_text(link, "scope", "a link"), _text(link, "id", "a link")))
    return links


def _object(value: Any, what: str, names: tuple[str, ...] | None) -> dict[str, Any]:
    """``value`` as an object with exactly ``names`` (any names if None)."""
    if not isinstance(value, dict):
        raise ExportInvalid(f"{what} is not a JSON object")
    if names is not None and set(value) != set(names):
        raise ExportInvalid(f"{what} must have exactly the fields {', '.join(names)}")
    return value


def _text(value: dict[str, Any], name: str, what: str) -> str:
    text = value.get(name)
    if not isinstance(text, str):
        raise ExportInvalid(f"{what}'s {name} is not text")
    return text


def _list(value: dict[str, Any], name: str) -> list[Any]:
    items = value.get(name)
    if not isinstance(items, list):
        raise ExportInvalid(f"the export's {name} is not a list")
    return items


def describe(summary: ExportSummary) -> list[str]:
    """The lines ``verify-member`` prints for a verified export."""
    lines = [f"OK: {summary.pseudonym}: {summary.entries:,} entries in the log {summary.origin} "
             f"(checkpoint of {summary.tree_size:,} entries), "
             f"{len(summary.links)} linked id(s), profile fields: "
             f"{', '.join(summary.profile_fields) or 'none'}"]
    for period, value_fen in sorted(summary.holdings_fen.items()):
        lines.append(f"proof of liabilities {period}: {format_fen(value_fen)} CNY counted in "
                     "the total the log records")
    return lines


__all__ = ["FORMAT", "ExportError", "ExportInvalid", "ExportSummary", "describe",
           "export_bytes", "export_member", "verify_export"]

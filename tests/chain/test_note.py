"""Signed notes and checkpoints: the C2SP / Go reference vectors, and strict parsing.

The vectors are written out below so each test reads plainly;
``test_embedded_vectors_are_the_published_ones`` checks them against
``tests/vectors/signed-note.json``, the published vector file kept byte for byte.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from profitpool.chain.note import (
    MAX_SIGNATURES,
    Checkpoint,
    InvalidSignatureError,
    MalformedCheckpointError,
    MalformedKeyError,
    MalformedNoteError,
    NoteError,
    Signer,
    UnverifiedNoteError,
    Verifier,
    add_signatures,
    compute_key_id,
    generate_signer,
    open_checkpoint,
    open_note,
    parse_checkpoint,
    sign,
    sign_checkpoint,
)

VECTOR_FILE = Path(__file__).resolve().parents[1] / "vectors" / "signed-note.json"

SIGNER_KEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
PETER = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
ENOCH = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
PETER_SIGNATURE = (
    "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM="
)
PETER_LINE = f"— PeterNeumann {PETER_SIGNATURE}\n"
ENOCH_LINE = (
    "— EnochRoot "
    "rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n"
)
SIGNED_BY_PETER = TEXT + "\n" + PETER_LINE
SIGNED_BY_BOTH = SIGNED_BY_PETER + ENOCH_LINE
INVALID_SIGNATURE = SIGNED_BY_PETER.replace("ZInNIuGU", "ZInNABCDIuGU")
UNKNOWN_SIGNER_IGNORED = SIGNED_BY_BOTH
MALFORMED = {
    "no signature block": TEXT,
    "blank line but no signature": TEXT + "\n",
    "signature line without final newline": SIGNED_BY_PETER.removesuffix("\n"),
    "control character in text": "\x01" + SIGNED_BY_PETER,
    "space in key name": TEXT + "\n— Bad Name " + PETER_SIGNATURE,
    "a line after the signatures that is not a signature": SIGNED_BY_PETER + "Unexpected line.\n",
    "more than 100 signatures": TEXT + "\n" + PETER_LINE * (MAX_SIGNATURES + 1),
}

PETER_KEY_ID = 0xC74F20A3
ENOCH_KEY_ID = 0xAF0CFE78


def test_embedded_vectors_are_the_published_ones() -> None:
    vectors = json.loads(VECTOR_FILE.read_text(encoding="utf-8"))
    assert vectors["signer_key"] == SIGNER_KEY
    assert vectors["verifier_keys"] == {"PeterNeumann": PETER, "EnochRoot": ENOCH}
    assert vectors["text"] == TEXT
    assert vectors["signed_by_peter"] == SIGNED_BY_PETER
    assert vectors["signed_by_both"] == SIGNED_BY_BOTH
    assert {case["why"]: case["note"] for case in vectors["malformed"]} == MALFORMED
    assert vectors["invalid_signature"]["note"] == INVALID_SIGNATURE
    assert vectors["unknown_signer_ignored"]["note"] == UNKNOWN_SIGNER_IGNORED


# keys -------------------------------------------------------------------------


def test_key_ids_are_the_first_four_bytes_of_the_key_hash() -> None:
    peter, enoch = Verifier.parse(PETER), Verifier.parse(ENOCH)
    assert (peter.name, peter.key_id) == ("PeterNeumann", PETER_KEY_ID)
    assert (enoch.name, enoch.key_id) == ("EnochRoot", ENOCH_KEY_ID)
    assert compute_key_id("PeterNeumann", peter.public_key) == PETER_KEY_ID


def test_signer_key_derives_the_published_verifier_key() -> None:
    signer = Signer.parse(SIGNER_KEY)
    assert (signer.name, signer.key_id) == ("PeterNeumann", PETER_KEY_ID)
    assert signer.verifier == Verifier.parse(PETER)
    assert signer.verifier.key_string() == PETER


@pytest.mark.parametrize("key_string", [PETER, ENOCH])
def test_verifier_key_string_round_trips(key_string: str) -> None:
    assert Verifier.parse(key_string).key_string() == key_string


def test_signer_key_string_round_trips() -> None:
    assert Signer.parse(SIGNER_KEY).key_string() == SIGNER_KEY


def test_signer_repr_does_not_reveal_the_private_key() -> None:
    seed_base64 = SIGNER_KEY.split("+", 4)[-1]
    assert seed_base64 not in repr(Signer.parse(SIGNER_KEY))


def test_generated_keys_parse_and_match() -> None:
    signer_key, verifier_key = generate_signer("log.example/pool")
    signer, verifier = Signer.parse(signer_key), Verifier.parse(verifier_key)
    assert signer.verifier == verifier
    assert verifier.name == "log.example/pool"
    assert open_note(sign(TEXT, [signer]), [verifier]).text == TEXT


def test_signer_from_a_private_key_object() -> None:
    signer = Signer.parse(SIGNER_KEY)
    seed = base64.b64decode(SIGNER_KEY.split("+", 4)[-1])[1:]
    rebuilt = Signer("PeterNeumann", Ed25519PrivateKey.from_private_bytes(seed))
    assert rebuilt.key_string() == signer.key_string()
    assert Verifier("PeterNeumann", signer.verifier.public_key) == signer.verifier


def test_wrong_key_id_in_a_key_string_is_rejected() -> None:
    with pytest.raises(MalformedKeyError):
        Verifier.parse(PETER.replace("c74f20a3", "c74f20a4"))
    with pytest.raises(MalformedKeyError):
        Signer.parse(SIGNER_KEY.replace("c74f20a3", "c74f20a4"))
    with pytest.raises(MalformedKeyError):  # Peter's key under Enoch's name
        Verifier.parse(PETER.replace("PeterNeumann", "EnochRoot"))


@pytest.mark.parametrize(
    "key_string",
    [
        "",
        "PeterNeumann",
        "PeterNeumann+c74f20a3",
        "+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+c74f20a+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+0xc74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T",
        "PeterNeumann+c74f20a3+Apc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW==",
        PETER.replace("ARpc", "Apc"),
    ],
)
def test_malformed_verifier_keys_are_rejected(key_string: str) -> None:
    with pytest.raises(MalformedKeyError):
        Verifier.parse(key_string)


@pytest.mark.parametrize(
    "key_string", [PETER, SIGNER_KEY.replace("PRIVATE+KEY", "PRIVATE+KEYS"), "PRIVATE+KEY+"]
)
def test_malformed_signer_keys_are_rejected(key_string: str) -> None:
    with pytest.raises(MalformedKeyError):
        Signer.parse(key_string)


@pytest.mark.parametrize("name", ["", "a+b", "a b", "a\tb", "a\u00a0b", "a\u3000b", "\ud800"])
def test_invalid_key_names_are_rejected(name: str) -> None:
    with pytest.raises(MalformedKeyError):
        generate_signer(name)


# notes ------------------------------------------------------------------------


def test_signing_is_deterministic_and_reproduces_the_vector() -> None:
    assert sign(TEXT, [Signer.parse(SIGNER_KEY)]) == SIGNED_BY_PETER


def test_signed_by_peter_opens_with_peters_key() -> None:
    note = open_note(SIGNED_BY_PETER, [Verifier.parse(PETER)])
    assert note.text == TEXT
    assert [(s.name, s.key_id) for s in note.signatures] == [("PeterNeumann", PETER_KEY_ID)]
    assert note.unverified == ()


def test_signed_by_both_opens_with_both_keys() -> None:
    note = open_note(SIGNED_BY_BOTH, [Verifier.parse(ENOCH), Verifier.parse(PETER)])
    assert note.text == TEXT
    assert [(s.name, s.key_id) for s in note.signatures] == [
        ("PeterNeumann", PETER_KEY_ID),
        ("EnochRoot", ENOCH_KEY_ID),
    ]


@pytest.mark.parametrize("why", list(MALFORMED))
def test_malformed_notes_are_rejected(why: str) -> None:
    with pytest.raises(MalformedNoteError):
        open_note(MALFORMED[why], [Verifier.parse(PETER), Verifier.parse(ENOCH)])


def test_exactly_100_signatures_are_accepted() -> None:
    note = TEXT + "\n" + PETER_LINE * MAX_SIGNATURES
    assert len(open_note(note, [Verifier.parse(PETER)]).signatures) == 1


def test_an_invalid_signature_by_a_trusted_key_rejects_the_note() -> None:
    with pytest.raises(InvalidSignatureError) as raised:
        open_note(INVALID_SIGNATURE, [Verifier.parse(PETER)])
    assert (raised.value.name, raised.value.key_id) == ("PeterNeumann", PETER_KEY_ID)


def test_a_signature_by_an_unknown_key_is_ignored() -> None:
    note = open_note(UNKNOWN_SIGNER_IGNORED, [Verifier.parse(PETER)])
    assert [s.name for s in note.signatures] == ["PeterNeumann"]
    assert [(s.name, s.key_id) for s in note.unverified] == [("EnochRoot", ENOCH_KEY_ID)]


def test_a_note_without_a_trusted_signature_is_rejected() -> None:
    with pytest.raises(UnverifiedNoteError):
        open_note(SIGNED_BY_PETER, [Verifier.parse(ENOCH)])
    with pytest.raises(UnverifiedNoteError):
        open_note(SIGNED_BY_PETER, [])


def test_a_key_sharing_only_the_name_is_another_key() -> None:
    _, impostor = generate_signer("PeterNeumann")
    with pytest.raises(UnverifiedNoteError):
        open_note(SIGNED_BY_PETER, [Verifier.parse(impostor)])


def test_a_tampered_text_does_not_verify() -> None:
    tampered = SIGNED_BY_PETER.replace("answer", "Answer")
    with pytest.raises(InvalidSignatureError):
        open_note(tampered, [Verifier.parse(PETER)])


@pytest.mark.parametrize(
    "line",
    [
        "- PeterNeumann " + PETER_SIGNATURE,  # hyphen, not em dash
        "—PeterNeumann " + PETER_SIGNATURE,
        "— PeterNeumann  " + PETER_SIGNATURE,
        "— PeterNeumann " + PETER_SIGNATURE + " ",
        "— PeterNeumann " + PETER_SIGNATURE.rstrip("="),
        "— PeterNeumann AAAAAA==",  # a key id but no signature
        "— Peter+Neumann " + PETER_SIGNATURE,
        "— " + PETER_SIGNATURE,
    ],
)
def test_malformed_signature_lines_are_rejected(line: str) -> None:
    with pytest.raises(MalformedNoteError):
        open_note(TEXT + "\n" + line + "\n", [Verifier.parse(PETER)])


@pytest.mark.parametrize("text", ["", "no newline", "tab\there\n", "cr\r\n", "\ud800\n"])
def test_texts_no_note_can_carry_are_not_signed(text: str) -> None:
    with pytest.raises(MalformedNoteError):
        sign(text, [Signer.parse(SIGNER_KEY)])


def test_signing_needs_a_signer() -> None:
    with pytest.raises(MalformedNoteError):
        sign(TEXT, [])


@given(st.lists(st.text(st.characters(blacklist_categories=("Cc", "Cs"))), min_size=1))
def test_any_text_signs_and_opens_to_itself(lines: list[str]) -> None:
    text = "\n".join(lines) + "\n"  # blank lines inside the text are allowed
    signer = Signer.parse(SIGNER_KEY)
    assert open_note(sign(text, [signer]), [signer.verifier]).text == text


def test_adding_a_signature_gives_the_doubly_signed_vector() -> None:
    assert add_signatures(SIGNED_BY_PETER, [ENOCH_LINE]) == SIGNED_BY_BOTH
    assert add_signatures(SIGNED_BY_PETER, [ENOCH_LINE.rstrip("\n")]) == SIGNED_BY_BOTH


def test_an_added_signature_replaces_the_same_keys_signature() -> None:
    assert add_signatures(SIGNED_BY_BOTH, [PETER_LINE, PETER_LINE]) == (
        TEXT + "\n" + ENOCH_LINE + PETER_LINE
    )
    assert add_signatures(SIGNED_BY_PETER, []) == SIGNED_BY_PETER


@pytest.mark.parametrize("line", ["", "not a signature", PETER_LINE + PETER_LINE, "— x \x01\n"])
def test_malformed_added_signatures_are_rejected(line: str) -> None:
    with pytest.raises(MalformedNoteError):
        add_signatures(SIGNED_BY_PETER, [line])


def test_errors_are_value_errors() -> None:
    assert issubclass(NoteError, ValueError)
    for error in (MalformedKeyError, MalformedNoteError, InvalidSignatureError):
        assert issubclass(error, NoteError)
    assert issubclass(UnverifiedNoteError, NoteError)
    assert issubclass(MalformedCheckpointError, NoteError)


# checkpoints ------------------------------------------------------------------

ROOT = bytes(range(32))
ROOT_BASE64 = base64.b64encode(ROOT).decode()
LINE = st.text(st.characters(blacklist_categories=("Cc", "Cs")), min_size=1)


def test_checkpoint_body_is_origin_size_and_root() -> None:
    checkpoint = Checkpoint("log.example/pool", 20852163, ROOT)
    assert checkpoint.body() == f"log.example/pool\n20852163\n{ROOT_BASE64}\n"
    assert Checkpoint("o", 0, ROOT, ("ext",)).body() == f"o\n0\n{ROOT_BASE64}\next\n"


@given(
    origin=LINE,
    size=st.integers(min_value=0, max_value=2**64 - 1),
    root=st.binary(min_size=32, max_size=32),
    extensions=st.lists(LINE, max_size=3).map(tuple),
)
def test_checkpoint_body_parses_back(
    origin: str, size: int, root: bytes, extensions: tuple[str, ...]
) -> None:
    checkpoint = Checkpoint(origin, size, root, extensions)
    assert parse_checkpoint(checkpoint.body()) == checkpoint


@pytest.mark.parametrize(
    "text",
    [
        "",
        f"log\n5\n{ROOT_BASE64}",  # no final newline
        "log\n5\n",
        f"\n5\n{ROOT_BASE64}\n",  # empty origin
        f"log\n05\n{ROOT_BASE64}\n",
        f"log\n00\n{ROOT_BASE64}\n",
        f"log\n-1\n{ROOT_BASE64}\n",
        f"log\n+1\n{ROOT_BASE64}\n",
        f"log\n 1\n{ROOT_BASE64}\n",
        f"log\n1_000\n{ROOT_BASE64}\n",
        f"log\n\u0661\n{ROOT_BASE64}\n",  # ARABIC-INDIC DIGIT ONE
        f"log\n{2**64}\n{ROOT_BASE64}\n",
        "log\n5\nnot base64!\n",
        f"log\n5\n{ROOT_BASE64.rstrip('=')}\n",
        f"log\n5\n{base64.b64encode(bytes(31)).decode()}\n",
        f"log\n5\n{base64.b64encode(bytes(33)).decode()}\n",
        f"log\n5\n{ROOT_BASE64}\n\n",  # empty extension line
        f"log\n5\n{ROOT_BASE64}\nbad\x01extension\n",
    ],
)
def test_malformed_checkpoints_are_rejected(text: str) -> None:
    with pytest.raises(MalformedCheckpointError):
        parse_checkpoint(text)


def test_invalid_checkpoint_fields_are_rejected() -> None:
    with pytest.raises(MalformedCheckpointError):
        Checkpoint("", 1, ROOT)
    with pytest.raises(MalformedCheckpointError):
        Checkpoint("log", -1, ROOT)
    with pytest.raises(MalformedCheckpointError):
        Checkpoint("log", 1, ROOT[:31])
    with pytest.raises(MalformedCheckpointError):
        Checkpoint("log", 1, ROOT, ("two\nlines",))


def test_signed_checkpoint_opens_with_its_key() -> None:
    signer_key, verifier_key = generate_signer("log.example/pool")
    checkpoint = Checkpoint("log.example/pool", 7, ROOT)
    note = sign_checkpoint(checkpoint, Signer.parse(signer_key))
    assert open_checkpoint(note, Verifier.parse(verifier_key)) == checkpoint
    assert open_checkpoint(note, Verifier.parse(verifier_key), origin="log.example/pool")
    with pytest.raises(MalformedCheckpointError):
        open_checkpoint(note, Verifier.parse(verifier_key), origin="log.example/other")


def test_checkpoint_signed_by_one_key_does_not_open_with_another() -> None:
    signer_key, _ = generate_signer("log.example/pool")
    _, other_key = generate_signer("log.example/pool")
    note = sign_checkpoint(Checkpoint("log.example/pool", 7, ROOT), Signer.parse(signer_key))
    with pytest.raises(UnverifiedNoteError):
        open_checkpoint(note, Verifier.parse(other_key))


def test_a_signed_note_that_is_not_a_checkpoint_is_rejected() -> None:
    with pytest.raises(MalformedCheckpointError):
        open_checkpoint(SIGNED_BY_PETER, Verifier.parse(PETER))

"""Ed25519 cosignatures (c2sp.org/tlog-cosignature): the format, pinned, and every refusal."""

from __future__ import annotations

import base64
import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from witnesshelpers import FIXED_TIME_SECONDS, WITNESS_NAME, TreeLog, fixed_cosigner

from profitpool.chain.cosign import (
    MAX_TIMESTAMP_SECONDS,
    CosignatureError,
    CosignatureVerifier,
    Cosigner,
    CosignerKey,
    InvalidCosignatureError,
    MalformedCosignatureError,
    TimestampRangeError,
    UnknownCosignerError,
    compute_cosigner_key_id,
    cosigned_message,
    count_cosignatures,
    generate_cosigner,
    note_text,
)
from profitpool.chain.note import (
    MalformedCheckpointError,
    MalformedKeyError,
    NoteError,
    add_signatures,
    generate_signer,
    open_checkpoint,
)

SPEC_CHECKPOINT = (
    "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
)


def _line_with(name: str, raw: bytes) -> str:
    return f"— {name} {base64.b64encode(raw).decode()}\n"


def _tampered(line: str) -> str:
    """``line`` with the last bit of its signature flipped."""
    name, encoded = line.removeprefix("— ").split(" ")
    raw = bytearray(base64.b64decode(encoded))
    raw[-1] ^= 1
    return _line_with(name, bytes(raw))


def test_cosigned_message_is_the_spec_example() -> None:
    assert cosigned_message(SPEC_CHECKPOINT, 1679315147) == (
        b"cosignature/v1\ntime 1679315147\nexample.com/behind-the-sofa\n20852163\n"
        b"CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n")


def test_a_cosignature_verifies_and_gives_back_its_timestamp() -> None:
    cosigner = fixed_cosigner()
    line = cosigner.cosign(SPEC_CHECKPOINT)
    assert line.startswith(f"— {WITNESS_NAME} ") and line.endswith("\n")
    assert cosigner.verifier.verify(SPEC_CHECKPOINT, line) == FIXED_TIME_SECONDS
    assert cosigner.verifier.verify(SPEC_CHECKPOINT, line.removesuffix("\n")) == FIXED_TIME_SECONDS
    assert cosigner.verifier.verify(SPEC_CHECKPOINT,
                                    cosigner.cosign(SPEC_CHECKPOINT, 42)) == 42


def test_a_cosignature_line_checks_out_from_scratch() -> None:
    """Rebuild key id, timestamp and signed message by hand from the spec: pins the format."""
    key = CosignerKey.generate(WITNESS_NAME)
    public_key = Ed25519PrivateKey.from_private_bytes(key.seed).public_key().public_bytes_raw()
    line = Cosigner(key, clock=lambda: 1679315147).cosign(SPEC_CHECKPOINT)

    prefix = f"— {WITNESS_NAME} "
    assert line.startswith(prefix) and line.endswith("\n")
    raw = base64.b64decode(line[len(prefix):-1], validate=True)
    assert len(raw) == 4 + 8 + 64
    expected_key_id = hashlib.sha256(WITNESS_NAME.encode() + b"\n\x04" + public_key).digest()[:4]
    assert raw[:4] == expected_key_id
    assert raw[4:12] == (1679315147).to_bytes(8, "big")
    message = b"cosignature/v1\ntime 1679315147\n" + SPEC_CHECKPOINT.encode()
    Ed25519PublicKey.from_public_bytes(public_key).verify(raw[12:], message)  # raises if bad


def test_the_vkey_is_name_key_id_and_type_0x04_key_and_round_trips() -> None:
    key = CosignerKey.generate(WITNESS_NAME)
    verifier = key.verifier()
    vkey = verifier.key_string()
    name, key_id_hex, encoded = vkey.split("+", 2)
    decoded = base64.b64decode(encoded)
    assert name == WITNESS_NAME and decoded[0] == 0x04 and decoded[1:] == verifier.public_key
    assert int(key_id_hex, 16) == compute_cosigner_key_id(WITNESS_NAME, verifier.public_key)
    assert CosignatureVerifier.parse(vkey) == verifier


def test_the_private_key_string_round_trips_and_never_shows_in_a_repr() -> None:
    secret, vkey = generate_cosigner(WITNESS_NAME)
    assert secret.startswith(f"PRIVATE+KEY+{WITNESS_NAME}+")
    key = CosignerKey.parse(secret)
    assert key.key_string() == secret
    assert key.verifier().key_string() == vkey
    cosigner = Cosigner.parse(secret)
    for text in (repr(key), repr(cosigner), str(key)):
        # the key material is everything after PRIVATE+KEY+<name>+<key id>+ (base64 may
        # itself hold '+', so split from the left)
        assert secret.split("+", 4)[4] not in text
        assert base64.b64encode(key.seed).decode() not in text


@pytest.mark.parametrize("mangle", [
    lambda secret: secret.removeprefix("PRIVATE+KEY+"),
    lambda secret: secret.replace("+", "+x", 3),
    lambda secret: secret[:-4],
    lambda secret: secret.replace(WITNESS_NAME, "other.example/w1"),  # key id no longer matches
])
def test_a_malformed_private_key_string_is_refused(mangle: object) -> None:
    secret, _ = generate_cosigner(WITNESS_NAME)
    with pytest.raises(MalformedKeyError):
        CosignerKey.parse(mangle(secret))  # type: ignore[operator]


def test_a_log_key_is_not_a_witness_key_and_back() -> None:
    signer_key, verifier_key = generate_signer("example.com/log")  # type 0x01
    with pytest.raises(MalformedKeyError, match="0x04"):
        CosignatureVerifier.parse(verifier_key)
    with pytest.raises(MalformedKeyError):
        CosignerKey.parse(signer_key)
    with pytest.raises(MalformedKeyError):
        generate_cosigner("has space")


def test_a_cosignature_by_another_witness_or_key_is_unknown() -> None:
    line = fixed_cosigner().cosign(SPEC_CHECKPOINT)
    other_name = fixed_cosigner("witness.example/w2").verifier
    other_key = fixed_cosigner().verifier  # same name, another key: another key id
    for verifier in (other_name, other_key):
        with pytest.raises(UnknownCosignerError):
            verifier.verify(SPEC_CHECKPOINT, line)
        assert not verifier.matches(line)


def test_a_tampered_signature_or_checkpoint_does_not_verify() -> None:
    cosigner = fixed_cosigner()
    line = cosigner.cosign(SPEC_CHECKPOINT)
    with pytest.raises(InvalidCosignatureError):
        cosigner.verifier.verify(SPEC_CHECKPOINT, _tampered(line))
    with pytest.raises(InvalidCosignatureError):
        cosigner.verifier.verify(SPEC_CHECKPOINT.replace("20852163", "20852164"), line)
    raw = bytearray(base64.b64decode(line.split(" ")[2]))
    raw[11] ^= 1  # the timestamp: signed, so it cannot be changed either
    with pytest.raises(InvalidCosignatureError):
        cosigner.verifier.verify(SPEC_CHECKPOINT, _line_with(WITNESS_NAME, bytes(raw)))


def test_malformed_lines_are_refused() -> None:
    cosigner = fixed_cosigner()
    verifier = cosigner.verifier
    line = cosigner.cosign(SPEC_CHECKPOINT)
    encoded = line.split(" ")[2].strip()
    key_id = verifier.key_id.to_bytes(4, "big")
    malformed = [
        line.replace("— ", "- ", 1),                     # not an em dash
        f"— {WITNESS_NAME}  {encoded}\n",                # two spaces
        f"— {WITNESS_NAME} {encoded.rstrip('=')}\n",     # not canonical base64
        f"— {WITNESS_NAME} {encoded}!\n",                # not base64
        line + line,                                     # two lines
        "",
        _line_with(WITNESS_NAME, key_id + b"\0" * 8 + b"\0" * 63),  # one byte short
        _line_with(WITNESS_NAME, key_id + b"\0" * 64),              # a note signature's size
    ]
    for bad in malformed:
        with pytest.raises(MalformedCosignatureError):
            verifier.verify(SPEC_CHECKPOINT, bad)
        assert issubclass(MalformedCosignatureError, NoteError)


def test_a_timestamp_above_2_63_minus_1_is_refused_even_if_signed() -> None:
    key = CosignerKey.generate(WITNESS_NAME)
    verifier = key.verifier()
    timestamp = MAX_TIMESTAMP_SECONDS + 1
    message = f"cosignature/v1\ntime {timestamp}\n{SPEC_CHECKPOINT}".encode()
    signature = Ed25519PrivateKey.from_private_bytes(key.seed).sign(message)
    raw = verifier.key_id.to_bytes(4, "big") + timestamp.to_bytes(8, "big") + signature
    with pytest.raises(TimestampRangeError):
        verifier.verify(SPEC_CHECKPOINT, _line_with(WITNESS_NAME, raw))
    cosigner = Cosigner(key)
    with pytest.raises(TimestampRangeError):
        cosigner.cosign(SPEC_CHECKPOINT, timestamp)
    with pytest.raises(TimestampRangeError):
        cosigner.cosign(SPEC_CHECKPOINT, -1)
    line = cosigner.cosign(SPEC_CHECKPOINT, MAX_TIMESTAMP_SECONDS)
    assert verifier.verify(SPEC_CHECKPOINT, line) == MAX_TIMESTAMP_SECONDS


def test_the_cosigner_signs_checkpoints_only() -> None:
    with pytest.raises(MalformedCheckpointError):
        fixed_cosigner().cosign("not\na checkpoint\n")
    with pytest.raises(MalformedCheckpointError):
        fixed_cosigner().cosign(SPEC_CHECKPOINT.removesuffix("\n"))


def test_every_refusal_is_a_note_error() -> None:
    for error in (CosignatureError, MalformedCosignatureError, TimestampRangeError,
                  UnknownCosignerError, InvalidCosignatureError):
        assert issubclass(error, NoteError)


def test_cosignatures_are_counted_for_a_k_of_n_policy(log: TreeLog) -> None:
    note = log.note(20)
    text = note_text(note)
    witnesses = [fixed_cosigner(f"witness.example/w{number}") for number in range(1, 4)]
    stranger = fixed_cosigner("stranger.example/w")
    tampered = _tampered(witnesses[2].cosign(text))
    lines = [witnesses[0].cosign(text), witnesses[1].cosign(text), stranger.cosign(text)]
    cosigned = add_signatures(note, lines)
    verifiers = [witness.verifier for witness in witnesses]
    assert count_cosignatures(cosigned, verifiers) == {"witness.example/w1", "witness.example/w2"}
    assert count_cosignatures(note, verifiers) == set()
    # A bad line by a known witness counts for nothing; the note still opens for the log.
    with_bad = add_signatures(cosigned, [tampered])
    assert count_cosignatures(with_bad, verifiers) == {"witness.example/w1", "witness.example/w2"}
    assert open_checkpoint(cosigned, log.signer.verifier).size == 20
    # The log's own signature is no cosignature, even under a witness's name.
    assert count_cosignatures(cosigned, [fixed_cosigner(log.origin).verifier]) == set()

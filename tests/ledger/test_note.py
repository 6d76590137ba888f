"""C2SP signed notes: the Go sumdb/note vectors, hostile notes and keys, and single-bit flips."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oresight.ledger.errors import LedgerError
from oresight.ledger.note import (
    NoteError,
    NoteKeyError,
    NoteSignature,
    NoteVerificationError,
    add_signatures,
    format_note,
    open_note,
    parse_note,
    sign_note,
)
from oresight.ledger.note_keys import (
    SignerKey,
    VerifierKey,
    compute_key_id,
    generate_signer_key,
)

VECTORS = Path("traceability") / "signed-note" / "go-sumdb-note-vectors.json"


@pytest.fixture(scope="module")
def vectors(shared_data: Path) -> dict[str, Any]:
    """The Go golang.org/x/mod/sumdb/note reference vectors."""
    path = shared_data / VECTORS
    if not path.is_file():
        pytest.skip(f"signed-note vectors not found at {path}")
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


# --- conformance -------------------------------------------------------------------------------


def test_vector_keys_parse_and_round_trip(vectors: dict[str, Any]) -> None:
    for name, text in vectors["verifier_keys"].items():
        key = VerifierKey.from_text(text)
        assert key.name == name
        assert key.to_text() == text
    signer = SignerKey.from_text(vectors["signer_key_PeterNeumann"])
    assert signer.to_text() == vectors["signer_key_PeterNeumann"]
    assert signer.verifier_key.to_text() == vectors["verifier_keys"]["PeterNeumann"]
    assert f"{signer.key_id:08x}" == "c74f20a3"


def test_vector_key_ids_are_sha256_of_name_type_and_key(vectors: dict[str, Any]) -> None:
    for text in vectors["verifier_keys"].values():
        key = VerifierKey.from_text(text)
        written = int(text.split("+")[1], 16)
        assert compute_key_id(key.name, 0x01, key.public_key) == written


def test_vector_single_signed_note_opens(vectors: dict[str, Any]) -> None:
    peter = VerifierKey.from_text(vectors["verifier_keys"]["PeterNeumann"])
    note = open_note(vectors["note_single_signed"].encode(), [peter])
    assert note.text == vectors["text"]
    assert [s.name for s in note.verified] == ["PeterNeumann"]
    assert note.unverified == ()


def test_vector_double_signed_note_keeps_unknown_signature(vectors: dict[str, Any]) -> None:
    peter = VerifierKey.from_text(vectors["verifier_keys"]["PeterNeumann"])
    note = open_note(vectors["note_double_signed"].encode(), [peter])
    assert [s.name for s in note.verified] == ["PeterNeumann"]
    assert [s.name for s in note.unverified] == ["EnochRoot"]
    enoch = VerifierKey.from_text(vectors["verifier_keys"]["EnochRoot"])
    both = open_note(vectors["note_double_signed"].encode(), [enoch, peter])
    assert [s.name for s in both.verified] == ["PeterNeumann", "EnochRoot"]


def test_vector_signer_reproduces_signatures_byte_for_byte(vectors: dict[str, Any]) -> None:
    signer = SignerKey.from_text(vectors["signer_key_PeterNeumann"])
    signed = sign_note(vectors["text"], [signer])
    assert signed == vectors["note_single_signed"].encode()
    line = signed.decode().splitlines()[-1]
    assert line.split(" ")[-1] == vectors["signatures"]["PeterNeumann"]


def test_vector_note_rebuilds_from_its_parts(vectors: dict[str, Any]) -> None:
    data = vectors["note_double_signed"].encode()
    parsed = parse_note(data)
    assert format_note(parsed.text, parsed.signatures) == data


def test_vector_expectations(vectors: dict[str, Any]) -> None:
    expect = vectors["expect"]
    peter = VerifierKey.from_text(vectors["verifier_keys"]["PeterNeumann"])
    assert expect["open_with_PeterNeumann_key"] == "ok"
    open_note(vectors["note_single_signed"].encode(), [peter])
    assert expect["open_with_no_known_key"].startswith("error")
    with pytest.raises(NoteVerificationError, match="not signed by any trusted key"):
        open_note(vectors["note_single_signed"].encode(), [])
    assert expect["tampered_text"].startswith("error")
    tampered = vectors["note_single_signed"].replace("problem", "problems", 1).encode()
    with pytest.raises(NoteVerificationError, match="does not verify"):
        open_note(tampered, [peter])


def test_vector_signature_from_same_name_other_key_is_ignored(vectors: dict[str, Any]) -> None:
    # A key sharing the name but not the id is an unknown key, never a failed known one.
    impostor = generate_signer_key("PeterNeumann").verifier_key
    with pytest.raises(NoteVerificationError, match="not signed by any trusted key"):
        open_note(vectors["note_single_signed"].encode(), [impostor])


# --- our own keys ------------------------------------------------------------------------------


def test_generated_key_signs_and_round_trips() -> None:
    signer = generate_signer_key("example.com/log")
    again = SignerKey.from_text(signer.to_text())
    assert again.public_key == signer.public_key
    assert signer.to_text() not in repr(signer)
    note = sign_note("hello\n", [signer])
    opened = open_note(note, [VerifierKey.from_text(signer.verifier_key.to_text())])
    assert opened.text == "hello\n"


def test_note_text_may_hold_blank_lines() -> None:
    signer = generate_signer_key("example.com/log")
    note = sign_note("a\n\nb\n", [signer])
    assert open_note(note, [signer.verifier_key]).text == "a\n\nb\n"


def test_duplicate_signature_by_known_key_is_refused() -> None:
    signer = generate_signer_key("example.com/log")
    note = sign_note("hello\n", [signer])
    line = note.decode().split("\n\n")[1]
    with pytest.raises(NoteVerificationError, match="signed the note twice"):
        open_note(note + line.encode(), [signer.verifier_key])


def test_add_signatures_refuses_a_second_signature_by_one_key() -> None:
    signer = generate_signer_key("example.com/log")
    note = sign_note("hello\n", [signer])
    signature = NoteSignature(signer.name, signer.key_id, signer.sign(b"hello\n"))
    with pytest.raises(NoteError, match="already carries"):
        add_signatures(note, [signature])


def test_duplicate_verifiers_are_refused() -> None:
    key = generate_signer_key("example.com/log").verifier_key
    with pytest.raises(NoteVerificationError, match="share name"):
        open_note(b"", [key, key])


# --- hostile notes -----------------------------------------------------------------------------

_SIG = (
    "— PeterNeumann "
    "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM="
)
_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)

HOSTILE_NOTES: dict[str, tuple[bytes, str]] = {
    "empty": (b"", "no blank line"),
    "no blank line": ((_TEXT + _SIG + "\n").encode(), "no blank line"),
    "no signatures": ((_TEXT + "\n").encode(), "no signature lines"),
    "no final newline": ((_TEXT + "\n" + _SIG).encode(), "must end with a newline"),
    "blank line after signatures": (
        (_TEXT + "\n" + _SIG + "\n\n").encode(),
        "no signature lines",
    ),
    "text without newline": (("x\n\n" + _SIG + "\n").encode()[1:], "empty"),
    "empty text": (("\n\n" + _SIG + "\n").encode(), "empty"),
    "hyphen for em dash": ((_TEXT + "\n" + _SIG.replace("—", "--") + "\n").encode(), "em dash"),
    "no space after dash": ((_TEXT + "\n" + _SIG.replace("— ", "—") + "\n").encode(), "em dash"),
    "no signature after name": ((_TEXT + "\n— PeterNeumann\n").encode(), "no space"),
    "empty name": ((_TEXT + "\n—  x08go/ZJkuBS9U\n").encode(), "empty"),
    "plus in name": ((_TEXT + "\n" + _SIG.replace("Peter", "Pe+ter") + "\n").encode(), "'\\+'"),
    "bad base64": ((_TEXT + "\n— PeterNeumann x08go/!!\n").encode(), "not valid base64"),
    "unpadded base64": ((_TEXT + "\n" + _SIG.rstrip("=") + "\n").encode(), "base64"),
    "non-canonical base64": ((_TEXT + "\n" + _SIG[:-2] + "N=\n").encode(), "canonical"),
    "signature too short": ((_TEXT + "\n— PeterNeumann AAAAAA==\n").encode(), "key id"),
    "not utf-8": (b"caf\xe9\n\n" + _SIG.encode() + b"\n", "not valid UTF-8"),
    "overlong utf-8": (b"caf\xc0\xa9\n\n" + _SIG.encode() + b"\n", "not valid UTF-8"),
    "carriage return": (
        (_TEXT.replace("\n", "\r\n", 1) + "\n" + _SIG + "\n").encode(),
        "forbidden character",
    ),
    "nul byte": (
        (_TEXT + "\n" + _SIG + "\n").encode().replace(b"If", b"I\x00"),
        "forbidden character",
    ),
    "tab in signature line": ((_TEXT + "\n" + _SIG.replace(" x08", "\tx08") + "\n").encode(), "t"),
    "too many signatures": (
        (_TEXT + "\n" + "".join(_SIG + "\n" for _ in range(101))).encode(),
        "at most 100",
    ),
}


@pytest.mark.parametrize("case", sorted(HOSTILE_NOTES))
def test_hostile_notes_are_refused_with_a_reason(case: str) -> None:
    data, reason = HOSTILE_NOTES[case]
    key = VerifierKey.from_text(
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
    )
    with pytest.raises(NoteError, match=reason):
        open_note(data, [key])


def test_the_golden_signature_is_well_formed() -> None:
    # The hostile cases above differ from this valid note only where they say.
    key = VerifierKey.from_text(
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
    )
    assert open_note((_TEXT + "\n" + _SIG + "\n").encode(), [key]).text == _TEXT


HOSTILE_KEYS: dict[str, tuple[str, str]] = {
    "empty": ("", "name\\+keyid\\+base64key"),
    "two parts": ("PeterNeumann+c74f20a3", "name\\+keyid\\+base64key"),
    "four parts": ("Peter+Neumann+c74f20a3+ARpc", "8 lowercase hex"),
    "short key id": (
        "PeterNeumann+c74f20a+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "8 lowercase hex",
    ),
    "upper-case key id": (
        "PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "8 lowercase hex",
    ),
    "wrong key id": (
        "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "says key id c74f20a4, computed c74f20a3",
    ),
    "wrong name": (
        "PeterNeuman+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "computed",
    ),
    "wrong type": (
        "PeterNeumann+c74f20a3+BBpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "expected signature type 0x01, found 0x04",
    ),
    "short key": ("PeterNeumann+c74f20a3+AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "32 bytes"),
    "bad base64": ("PeterNeumann+c74f20a3+AR!c", "base64"),
    "private key given as verifier": (
        "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz",
        "never share",
    ),
    "space in name": ("Peter Neumann+c74f20a3+ARpc", "contains ' '"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE_KEYS))
def test_hostile_verifier_keys_are_refused(case: str) -> None:
    text, reason = HOSTILE_KEYS[case]
    with pytest.raises(NoteKeyError, match=reason):
        VerifierKey.from_text(text)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz", "PRIVATE\\+KEY"),
        ("PRIVATE+KEY+PeterNeumann+00000000+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz", "c74f"),
        ("PRIVATE+KEY+PeterNeumann+c74f20a3+AQEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDE=", "31"),
    ],
)
def test_hostile_signer_keys_are_refused(text: str, reason: str) -> None:
    with pytest.raises(NoteKeyError, match=reason):
        SignerKey.from_text(text)


@pytest.mark.parametrize("text", ["", "no newline", "a\x00b\n", "\n", "tab\there\n"])
def test_sign_note_refuses_bad_text(text: str) -> None:
    with pytest.raises(NoteError):
        sign_note(text, [generate_signer_key("example.com/log")])


def test_note_errors_are_ledger_errors() -> None:
    assert issubclass(NoteError, LedgerError)
    assert issubclass(NoteVerificationError, LedgerError)


# --- any single-bit flip fails ------------------------------------------------------------------

_FLIP_SIGNER = SignerKey(name="example.com/flip", private_key=bytes(range(32)))
_FLIP_NOTE = sign_note("example.com/flip\n7\nsome text here\n", [_FLIP_SIGNER])


@settings(max_examples=300, deadline=None)
@given(bit=st.integers(min_value=0, max_value=len(_FLIP_NOTE) * 8 - 1))
def test_any_single_bit_flip_of_a_signed_note_fails(bit: int) -> None:
    mutated = bytearray(_FLIP_NOTE)
    mutated[bit // 8] ^= 1 << (bit % 8)
    with pytest.raises(LedgerError):
        open_note(bytes(mutated), [_FLIP_SIGNER.verifier_key])


def test_every_single_bit_flip_of_a_signed_note_fails() -> None:
    # The note is small enough to try every bit, not only a sample.
    for bit in range(len(_FLIP_NOTE) * 8):
        mutated = bytearray(_FLIP_NOTE)
        mutated[bit // 8] ^= 1 << (bit % 8)
        with pytest.raises(LedgerError):
            open_note(bytes(mutated), [_FLIP_SIGNER.verifier_key])


@pytest.mark.parametrize(
    "encoding",
    [
        "0100000000000000000000000000000000000000000000000000000000000000",
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "0000000000000000000000000000000000000000000000000000000000000000",
        "0000000000000000000000000000000000000000000000000000000000000080",
        "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
        "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
        "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    ],
)
def test_small_order_public_keys_are_refused(encoding: str) -> None:
    # With such a key, a fixed signature verifies over any text: it must never be trusted.
    with pytest.raises(NoteKeyError, match="small order"):
        VerifierKey(name="weak", public_key=bytes.fromhex(encoding))

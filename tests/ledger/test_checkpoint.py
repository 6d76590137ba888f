"""C2SP tlog-checkpoint: strict parsing and writing, signing, and verification's refusals."""

from __future__ import annotations

import base64
import re

import pytest

from oresight.ledger.checkpoint import (
    Checkpoint,
    CheckpointError,
    sign_checkpoint,
    verify_checkpoint,
)
from oresight.ledger.errors import LedgerError
from oresight.ledger.note import (
    NoteVerificationError,
    sign_note,
)
from oresight.ledger.note_keys import (
    SignerKey,
    generate_signer_key,
)

ORIGIN = "example.com/behind-the-sofa"
ROOT = base64.b64decode("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=")
SPEC_EXAMPLE = f"{ORIGIN}\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
LOG_KEY = SignerKey(name=ORIGIN, private_key=bytes(range(32)))


def test_spec_example_text_round_trips() -> None:
    checkpoint = Checkpoint.from_text(SPEC_EXAMPLE)
    assert checkpoint == Checkpoint(ORIGIN, 20852163, ROOT)
    assert checkpoint.to_text() == SPEC_EXAMPLE


def test_extension_lines_are_kept_in_order() -> None:
    text = SPEC_EXAMPLE + "ext one\next two\n"
    checkpoint = Checkpoint.from_text(text)
    assert checkpoint.extensions == ("ext one", "ext two")
    assert checkpoint.to_text() == text


def test_size_zero_is_written_as_0() -> None:
    empty = Checkpoint(ORIGIN, 0, bytes(32))
    assert empty.to_text().split("\n")[1] == "0"
    assert Checkpoint.from_text(empty.to_text()) == empty


HOSTILE_TEXTS: dict[str, tuple[str, str]] = {
    "empty": ("", "end with a newline"),
    "no final newline": (SPEC_EXAMPLE[:-1], "end with a newline"),
    "two lines": (f"{ORIGIN}\n5\n", "found 2 line"),
    "empty origin": ("\n5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n", "origin is empty"),
    "leading zero": (SPEC_EXAMPLE.replace("20852163", "020852163"), "leading zeroes"),
    "plus sign": (SPEC_EXAMPLE.replace("20852163", "+20852163"), "line 2"),
    "negative": (SPEC_EXAMPLE.replace("20852163", "-1"), "line 2"),
    "underscore": (SPEC_EXAMPLE.replace("20852163", "20_852_163"), "line 2"),
    "space": (SPEC_EXAMPLE.replace("20852163", " 20852163"), "line 2"),
    "arabic digits": (SPEC_EXAMPLE.replace("20852163", "٢٠"), "line 2"),
    "empty size": (SPEC_EXAMPLE.replace("20852163", ""), "line 2"),
    "hex size": (SPEC_EXAMPLE.replace("20852163", "0x10"), "line 2"),
    "size beyond uint64": (SPEC_EXAMPLE.replace("20852163", str(2**64)), "tree size"),
    "root not base64": (SPEC_EXAMPLE.replace("CsUY", "Cs!Y"), "line 3"),
    "root unpadded": (SPEC_EXAMPLE.replace("q2I=", "q2I"), "line 3"),
    "root non-canonical": (SPEC_EXAMPLE.replace("q2I=", "q2J="), "canonical"),
    "root 31 bytes": (
        f"{ORIGIN}\n5\n{base64.b64encode(bytes(31)).decode()}\n",
        "32 bytes, got 31",
    ),
    "root 33 bytes": (
        f"{ORIGIN}\n5\n{base64.b64encode(bytes(33)).decode()}\n",
        "32 bytes, got 33",
    ),
    "empty extension line": (SPEC_EXAMPLE + "\nmore\n", "line 4"),
    "control character in origin": (SPEC_EXAMPLE.replace("sofa", "so\x7ffa\x01"), "forbidden"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE_TEXTS))
def test_hostile_checkpoint_texts_are_refused(case: str) -> None:
    text, reason = HOSTILE_TEXTS[case]
    with pytest.raises(CheckpointError, match=reason):
        Checkpoint.from_text(text)


@pytest.mark.parametrize(
    ("origin", "size", "root", "extensions"),
    [
        ("", 1, bytes(32), ()),
        ("a\nb", 1, bytes(32), ()),
        ("o", -1, bytes(32), ()),
        ("o", 2**64, bytes(32), ()),
        ("o", 1, bytes(16), ()),
        ("o", 1, bytes(32), ("",)),
        ("o", 1, bytes(32), ("x\ny",)),
    ],
)
def test_invalid_checkpoints_cannot_be_built(
    origin: str, size: int, root: bytes, extensions: tuple[str, ...]
) -> None:
    with pytest.raises(CheckpointError):
        Checkpoint(origin, size, root, extensions)


def test_signed_checkpoint_verifies() -> None:
    checkpoint = Checkpoint(ORIGIN, 20852163, ROOT)
    note = sign_checkpoint(checkpoint, log_key=LOG_KEY)
    assert note.startswith(SPEC_EXAMPLE.encode() + b"\n\xe2\x80\x94 " + ORIGIN.encode())
    assert verify_checkpoint(note, LOG_KEY.verifier_key) == checkpoint
    assert verify_checkpoint(note, LOG_KEY.verifier_key, origin=ORIGIN) == checkpoint


def test_log_key_must_be_named_for_the_origin() -> None:
    other = generate_signer_key("example.com/other")
    with pytest.raises(CheckpointError, match="origin"):
        sign_checkpoint(Checkpoint(ORIGIN, 1, ROOT), log_key=other)


def test_checkpoint_of_another_origin_is_refused() -> None:
    note = sign_checkpoint(Checkpoint(ORIGIN, 1, ROOT), log_key=LOG_KEY)
    with pytest.raises(CheckpointError, match=re.escape("expected 'example.com/elsewhere'")):
        verify_checkpoint(note, LOG_KEY.verifier_key, origin="example.com/elsewhere")


def test_other_origin_signed_under_the_log_name_is_refused() -> None:
    # A log key that signed a note whose text names another log: the text is refused.
    note = sign_note(f"example.com/elsewhere\n1\n{base64.b64encode(ROOT).decode()}\n", [LOG_KEY])
    with pytest.raises(CheckpointError, match=re.escape("is for log 'example.com/elsewhere'")):
        verify_checkpoint(note, LOG_KEY.verifier_key)


def test_wrong_key_is_refused() -> None:
    note = sign_checkpoint(Checkpoint(ORIGIN, 1, ROOT), log_key=LOG_KEY)
    stranger = generate_signer_key(ORIGIN).verifier_key
    with pytest.raises(NoteVerificationError, match="not signed by any trusted key"):
        verify_checkpoint(note, stranger)


def test_signed_note_with_bad_checkpoint_body_is_refused() -> None:
    note = sign_note(f"{ORIGIN}\n01\n{base64.b64encode(ROOT).decode()}\n", [LOG_KEY])
    with pytest.raises(CheckpointError, match="leading zeroes"):
        verify_checkpoint(note, LOG_KEY.verifier_key)


def test_checkpoint_errors_are_ledger_errors() -> None:
    assert issubclass(CheckpointError, LedgerError)

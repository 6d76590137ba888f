"""C2SP transparency log checkpoints (https://c2sp.org/tlog-checkpoint), signed as notes.

A checkpoint is a signed note whose text is the log's tree head, one item a line::

    <origin>
    <tree size, ASCII decimal, no leading zeroes>
    <base64 of the RFC 6962 root hash>
    [<extension line>...]

The log's key name SHOULD match the origin; oresight logs always do so, and a verifier expects
the origin to be the log key's name unless told otherwise.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from oresight.ledger.errors import LedgerError
from oresight.ledger.note import (
    NoteError,
    decode_base64,
    encode_base64,
    open_note,
    sign_note,
)
from oresight.ledger.note_keys import (
    SignerKey,
    VerifierKey,
)

ROOT_HASH_SIZE = 32  # SHA-256, RFC 6962 section 2.1
MAX_TREE_SIZE = 2**64 - 1  # tree sizes are uint64 in RFC 6962 and every C2SP log API
# ASCII digits only: Python's int() would also take "+5", " 5", "5_0" and non-ASCII digits.
_TREE_SIZE = re.compile(r"0|[1-9][0-9]*")


class CheckpointError(LedgerError):
    """A checkpoint that is malformed, or that is not the one the verifier expected."""


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A log's signed tree head: origin, tree size, root hash, and rarely extension lines."""

    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.origin:
            raise CheckpointError("checkpoint origin is empty")
        _check_line(self.origin, what="checkpoint origin")
        if isinstance(self.size, bool) or not 0 <= self.size <= MAX_TREE_SIZE:
            raise CheckpointError(f"tree size must be 0..{MAX_TREE_SIZE}, got {self.size!r}")
        if len(self.root_hash) != ROOT_HASH_SIZE:
            raise CheckpointError(
                f"root hash must be {ROOT_HASH_SIZE} bytes, got {len(self.root_hash)}"
            )
        object.__setattr__(self, "extensions", tuple(self.extensions))
        for number, extension in enumerate(self.extensions, start=4):
            if not extension:
                raise CheckpointError(
                    f"checkpoint line {number}: extension lines must be non-empty"
                )
            _check_line(extension, what=f"checkpoint line {number}")

    def to_text(self) -> str:
        """The note text of this checkpoint, ending in a newline."""
        lines = [self.origin, str(self.size), encode_base64(self.root_hash), *self.extensions]
        return "".join(line + "\n" for line in lines)

    @classmethod
    def from_text(cls, text: str) -> Checkpoint:
        """Read checkpoint note text strictly, naming the line at fault."""
        if not text.endswith("\n"):
            raise CheckpointError("checkpoint text must end with a newline")
        lines = text[:-1].split("\n")
        if len(lines) < 3:
            raise CheckpointError(
                f"checkpoint needs origin, size and root hash lines, found {len(lines)} line(s)"
            )
        origin, size_text, root_text, *extensions = lines
        if not _TREE_SIZE.fullmatch(size_text):
            raise CheckpointError(
                f"checkpoint line 2: tree size must be ASCII decimal without leading zeroes, "
                f"got {size_text!r}"
            )
        try:
            root_hash = decode_base64(root_text, what="checkpoint line 3 (root hash)")
        except NoteError as exc:
            raise CheckpointError(str(exc)) from exc
        return cls(origin, int(size_text), root_hash, tuple(extensions))


def _check_line(line: str, *, what: str) -> None:
    for char in line:
        if ord(char) < 0x20 or 0xD800 <= ord(char) <= 0xDFFF:
            raise CheckpointError(f"{what} has forbidden character {char!r}")


def sign_checkpoint(checkpoint: Checkpoint, *, log_key: SignerKey) -> bytes:
    """The checkpoint as a signed note, signed by the log's key (named for the origin)."""
    if log_key.name != checkpoint.origin:
        raise CheckpointError(
            f"log key is named {log_key.name!r} but the checkpoint origin is "
            f"{checkpoint.origin!r}; a log signs under its origin"
        )
    return sign_note(checkpoint.to_text(), [log_key])


def verify_checkpoint(
    note: bytes, log_key: VerifierKey, *, origin: str | None = None
) -> Checkpoint:
    """Verify the log's signature on a checkpoint note and return the checkpoint.

    ``origin`` is the log the caller expects, by default the log key's name; a checkpoint of
    another log is refused even when the key signed it. Other signatures (witnesses, rotated
    keys) are ignored here; :mod:`oresight.ledger.cosignature` checks witnesses.
    """
    opened = open_note(note, [log_key])
    checkpoint = Checkpoint.from_text(opened.text)
    check_origin(checkpoint, expected=log_key.name if origin is None else origin)
    return checkpoint


def check_origin(checkpoint: Checkpoint, *, expected: str) -> None:
    """Refuse a checkpoint of another log."""
    if checkpoint.origin != expected:
        raise CheckpointError(f"checkpoint is for log {checkpoint.origin!r}, expected {expected!r}")

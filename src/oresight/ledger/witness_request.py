"""What an operator sends a witness that lives elsewhere: a checkpoint and its consistency proof.

A witness that does not share the operator's database needs, for each new checkpoint, the proof
that it extends the last checkpoint the witness cosigned. The request is text::

    oresight.ledger.witness-request/v1
    old-size <the size the proof starts from, ASCII decimal; 0 for a first cosignature>
    <base64 consistency proof hash, RFC 9162 section 2.1.4 order>
    ...
    <blank line>
    <the signed checkpoint note, verbatim>

The witness answers with the checkpoint note carrying its cosignature line
(:meth:`oresight.ledger.witness.Witness.cosign`), which the operator stores.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from oresight.ledger.errors import LedgerError
from oresight.ledger.note import NoteError, decode_base64, encode_base64

WITNESS_REQUEST_HEADER = "oresight.ledger.witness-request/v1"
OLD_SIZE_PREFIX = "old-size "
HASH_SIZE = 32  # SHA-256, RFC 9162 section 2.1
MAX_PROOF_HASHES = 128  # a consistency proof in a tree of at most 2**64 leaves
_DECIMAL = re.compile(r"0|[1-9][0-9]*")


class WitnessRequestError(LedgerError):
    """A witness request that is not well-formed; names the line at fault."""


@dataclass(frozen=True, slots=True, kw_only=True)
class WitnessRequest:
    """A checkpoint to cosign, and the proof that it extends the tree of ``old_size``."""

    old_size: int
    proof: tuple[bytes, ...]
    checkpoint: bytes

    def to_bytes(self) -> bytes:
        """The request as text (module docstring)."""
        lines = [WITNESS_REQUEST_HEADER, f"{OLD_SIZE_PREFIX}{self.old_size}"]
        lines.extend(encode_base64(digest) for digest in self.proof)
        return ("\n".join(lines) + "\n\n").encode("ascii") + self.checkpoint


def make_witness_request(*, old_size: int, proof: Sequence[bytes], checkpoint: bytes) -> bytes:
    """A witness request from its parts."""
    return WitnessRequest(old_size=old_size, proof=tuple(proof), checkpoint=checkpoint).to_bytes()


def parse_witness_request(data: bytes) -> WitnessRequest:
    """Read a witness request strictly; every error names the line."""
    head, separator, checkpoint = data.partition(b"\n\n")
    if not separator or not checkpoint:
        raise WitnessRequestError("witness request: no blank line followed by a checkpoint")
    try:
        lines = head.decode("ascii").split("\n")
    except UnicodeDecodeError:
        raise WitnessRequestError("witness request: the header part is not ASCII text") from None
    if lines[0] != WITNESS_REQUEST_HEADER:
        raise WitnessRequestError(
            f"witness request line 1: expected {WITNESS_REQUEST_HEADER!r}, found {lines[0]!r}"
        )
    if len(lines) < 2 or not lines[1].startswith(OLD_SIZE_PREFIX):
        raise WitnessRequestError(f"witness request line 2: expected '{OLD_SIZE_PREFIX}<n>'")
    size_text = lines[1][len(OLD_SIZE_PREFIX) :]
    if not _DECIMAL.fullmatch(size_text):
        raise WitnessRequestError(
            f"witness request line 2: old size must be a decimal number, found {size_text!r}"
        )
    hashes = lines[2:]
    if len(hashes) > MAX_PROOF_HASHES:
        raise WitnessRequestError(
            f"witness request: at most {MAX_PROOF_HASHES} proof hashes, found {len(hashes)}"
        )
    proof: list[bytes] = []
    for number, text in enumerate(hashes, start=3):
        try:
            digest = decode_base64(text, what=f"witness request line {number}")
        except NoteError as exc:
            raise WitnessRequestError(str(exc)) from None
        if len(digest) != HASH_SIZE:
            raise WitnessRequestError(
                f"witness request line {number}: expected a {HASH_SIZE}-byte hash, "
                f"found {len(digest)} bytes"
            )
        proof.append(digest)
    return WitnessRequest(old_size=int(size_text), proof=tuple(proof), checkpoint=checkpoint)

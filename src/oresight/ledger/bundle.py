"""Offline proof bundles in the C2SP tlog-proof format (https://c2sp.org/tlog-proof).

A bundle proves that an entry is in a log, and that witnesses saw the tree it is in::

    c2sp.org/tlog-proof@v1
    [extra <base64 opaque data, not authenticated>]
    index <zero-based leaf index, ASCII decimal>
    <base64 inclusion proof hash, leaf's sibling first (RFC 6962 section 2.1.1)>
    ...
    <blank line>
    <the signed checkpoint note, verbatim, with any cosignatures>

:func:`verify_bundle` needs only the bundle, the entry, and the trusted keys: no database and no
network. When it fails it says which step failed (:class:`VerificationStep`).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence
from dataclasses import dataclass

from oresight.core.errors import OresightError
from oresight.ledger.checkpoint import Checkpoint
from oresight.ledger.cosignature import (
    CheckpointPolicy,
    Cosignature,
    WitnessPolicyError,
    verify_witnessed_checkpoint,
)
from oresight.ledger.errors import LedgerError
from oresight.ledger.merkle import leaf_hash as rfc6962_leaf_hash
from oresight.ledger.merkle import verify_inclusion
from oresight.ledger.note import (
    NoteError,
    decode_base64,
    encode_base64,
)
from oresight.ledger.note_keys import (
    VerifierKey,
)

TLOG_PROOF_HEADER = "c2sp.org/tlog-proof@v1"
EXTRA_PREFIX = "extra "
INDEX_PREFIX = "index "
HASH_SIZE = 32  # SHA-256, RFC 6962 section 2.1
MAX_PROOF_HASHES = 64  # an inclusion proof in a tree of at most 2**64 leaves
_DECIMAL = re.compile(r"0|[1-9][0-9]*")


class BundleFormatError(LedgerError):
    """A proof bundle that is not well-formed tlog-proof text; names the line at fault."""


class VerificationStep(enum.Enum):
    """The steps of bundle verification, in order."""

    BUNDLE_FORMAT = "bundle format"
    CHECKPOINT = "checkpoint signature and origin"
    WITNESS_POLICY = "witness policy"
    INCLUSION_PROOF = "inclusion proof"


class BundleVerificationError(LedgerError):
    """A well-formed bundle that does not prove what was asked; ``step`` says where it failed."""

    def __init__(self, step: VerificationStep, message: str) -> None:
        self.step = step
        super().__init__(f"{step.value} failed: {message}")


@dataclass(frozen=True, slots=True, kw_only=True)
class ProofBundle:
    """The parts of a tlog-proof bundle; nothing in it is trusted until verified."""

    index: int
    proof: tuple[bytes, ...]
    checkpoint: bytes
    extra: bytes | None = None

    def __post_init__(self) -> None:
        if isinstance(self.index, bool) or self.index < 0:
            raise BundleFormatError(f"index must be a non-negative integer, got {self.index!r}")
        object.__setattr__(self, "proof", tuple(self.proof))
        if len(self.proof) > MAX_PROOF_HASHES:
            raise BundleFormatError(
                f"inclusion proof has {len(self.proof)} hashes, at most {MAX_PROOF_HASHES}"
            )
        for number, node in enumerate(self.proof, start=1):
            if len(node) != HASH_SIZE:
                raise BundleFormatError(
                    f"proof hash {number} must be {HASH_SIZE} bytes, got {len(node)}"
                )
        if not self.checkpoint:
            raise BundleFormatError("bundle has no checkpoint")

    def to_bytes(self) -> bytes:
        """The bundle in tlog-proof text form."""
        lines = [TLOG_PROOF_HEADER]
        if self.extra is not None:
            lines.append(EXTRA_PREFIX + encode_base64(self.extra))
        lines.append(f"{INDEX_PREFIX}{self.index}")
        lines.extend(encode_base64(node) for node in self.proof)
        head = "".join(line + "\n" for line in lines) + "\n"
        return head.encode("ascii") + self.checkpoint


def parse_bundle(data: bytes) -> ProofBundle:
    """Read a tlog-proof bundle strictly; every error names the line at fault."""
    position = 0
    lines: list[tuple[int, str]] = []
    # Read the header part line by line up to the blank line; the checkpoint follows verbatim.
    while True:
        number = len(lines) + 1
        end = data.find(b"\n", position)
        if end < 0:
            raise BundleFormatError(
                f"line {number}: bundle is truncated: expected a blank line and the checkpoint"
            )
        raw = data[position:end]
        position = end + 1
        if raw == b"":
            break
        try:
            lines.append((number, raw.decode("ascii")))
        except UnicodeDecodeError as exc:
            raise BundleFormatError(f"line {number}: not ASCII") from exc
    checkpoint = data[position:]
    if not checkpoint:
        raise BundleFormatError(f"line {len(lines) + 2}: bundle is truncated: no checkpoint")

    remaining = iter(lines)
    number, line = next(remaining, (1, ""))
    if line != TLOG_PROOF_HEADER:
        raise BundleFormatError(f"line {number}: expected {TLOG_PROOF_HEADER!r}, got {line!r}")
    number, line = next(remaining, (2, ""))
    extra = None
    if line.startswith(EXTRA_PREFIX):
        extra = _decode(line[len(EXTRA_PREFIX) :], number, "extra data")
        number, line = next(remaining, (3, ""))
    if not line.startswith(INDEX_PREFIX):
        raise BundleFormatError(f"line {number}: expected 'index N', got {line!r}")
    index_text = line[len(INDEX_PREFIX) :]
    if not _DECIMAL.fullmatch(index_text):
        raise BundleFormatError(
            f"line {number}: index must be ASCII decimal without leading zeroes, got {index_text!r}"
        )
    proof: list[bytes] = []
    for number, line in remaining:
        node = _decode(line, number, "proof hash")
        if len(node) != HASH_SIZE:
            raise BundleFormatError(
                f"line {number}: proof hash must be {HASH_SIZE} bytes, got {len(node)}"
            )
        proof.append(node)
    return ProofBundle(
        index=int(index_text), proof=tuple(proof), checkpoint=checkpoint, extra=extra
    )


def _decode(text: str, number: int, what: str) -> bytes:
    try:
        return decode_base64(text, what=what)
    except NoteError as exc:
        raise BundleFormatError(f"line {number}: {exc}") from exc


@dataclass(frozen=True, slots=True)
class VerifiedProof:
    """What a verified bundle establishes: this leaf is at ``index`` in this witnessed tree."""

    checkpoint: Checkpoint
    index: int
    leaf_hash: bytes
    cosignatures: tuple[Cosignature, ...]
    extra: bytes | None


def verify_bundle(
    bundle: bytes,
    *,
    log_key: VerifierKey,
    policy: CheckpointPolicy,
    leaf_data: bytes | None = None,
    leaf_hash: bytes | None = None,
    origin: str | None = None,
) -> VerifiedProof:
    """Verify a tlog-proof bundle for one entry, given exactly one of its data or leaf hash.

    Steps, in order: the bundle parses; the log signed the checkpoint (for ``origin``, by
    default the log key's name); the witness ``policy`` is met; the inclusion proof leads from
    the leaf at ``index`` to the checkpoint's root. Pass :class:`NoWitnessRequired` explicitly to
    trust the log alone.
    """
    if (leaf_data is None) == (leaf_hash is None):
        raise LedgerError("verify_bundle needs exactly one of leaf_data and leaf_hash")
    expected_leaf = rfc6962_leaf_hash(leaf_data) if leaf_data is not None else leaf_hash
    assert expected_leaf is not None
    if len(expected_leaf) != HASH_SIZE:
        raise BundleVerificationError(
            VerificationStep.INCLUSION_PROOF,
            f"leaf hash must be {HASH_SIZE} bytes, got {len(expected_leaf)}",
        )
    try:
        parsed = parse_bundle(bundle)
    except BundleFormatError as exc:
        raise BundleVerificationError(VerificationStep.BUNDLE_FORMAT, str(exc)) from exc
    try:
        witnessed = verify_witnessed_checkpoint(
            parsed.checkpoint, log_key=log_key, policy=policy, origin=origin
        )
    except WitnessPolicyError as exc:
        raise BundleVerificationError(VerificationStep.WITNESS_POLICY, str(exc)) from exc
    except LedgerError as exc:
        raise BundleVerificationError(VerificationStep.CHECKPOINT, str(exc)) from exc
    checkpoint = witnessed.checkpoint
    try:
        verify_inclusion(
            leaf_hash=expected_leaf,
            index=parsed.index,
            size=checkpoint.size,
            proof=list(parsed.proof),
            root=checkpoint.root_hash,
        )
    except OresightError as exc:
        raise BundleVerificationError(
            VerificationStep.INCLUSION_PROOF,
            f"leaf {encode_base64(expected_leaf)} at index {parsed.index} is not proven in the "
            f"tree of size {checkpoint.size} with root "
            f"{encode_base64(checkpoint.root_hash)}: {exc}",
        ) from exc
    return VerifiedProof(
        checkpoint=checkpoint,
        index=parsed.index,
        leaf_hash=expected_leaf,
        cosignatures=witnessed.cosignatures,
        extra=parsed.extra,
    )


def make_bundle(
    *, index: int, proof: Sequence[bytes], checkpoint: bytes, extra: bytes | None = None
) -> bytes:
    """Write a tlog-proof bundle from its parts (the checkpoint note verbatim)."""
    return ProofBundle(
        index=index, proof=tuple(proof), checkpoint=checkpoint, extra=extra
    ).to_bytes()

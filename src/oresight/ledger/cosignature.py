"""C2SP witness cosignatures (https://c2sp.org/tlog-cosignature), Ed25519 ``cosignature/v1``.

A witness cosigns a checkpoint to say: as of this time, this is the largest tree head of that log
I have seen, and it is consistent with every earlier one. Its signature line is an ordinary note
signature whose key id uses signature type 0x04 and whose bytes are
``timestamp (uint64, big-endian) || Ed25519 signature`` over::

    cosignature/v1
    time <POSIX seconds, ASCII decimal>
    <the checkpoint note text>

A client trusts a checkpoint only when the log signed it and a :class:`WitnessPolicy` is met.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from oresight.ledger.checkpoint import Checkpoint, check_origin
from oresight.ledger.errors import LedgerError
from oresight.ledger.note import (
    NoteSignature,
    Verifier,
    open_note,
)
from oresight.ledger.note_keys import (
    ED25519_SIGNATURE_SIZE,
    PrivateNoteKey,
    PublicNoteKey,
    VerifierKey,
    generate_ed25519_seed,
    verify_ed25519,
)

SIGNATURE_TYPE_COSIGNATURE_V1 = 0x04  # signed-note "Signature types", tlog-cosignature "Format"
COSIGNATURE_V1_HEADER = "cosignature/v1\n"  # domain separation, tlog-cosignature
TIMESTAMP_SIZE = 8  # u64, big-endian (RFC 8446 section 3.3)
MAX_TIMESTAMP = 2**63 - 1  # "It MUST NOT exceed 2^63 - 1"
COSIGNATURE_SIZE = TIMESTAMP_SIZE + ED25519_SIGNATURE_SIZE


class CosignatureError(LedgerError):
    """A cosignature that is malformed or does not verify."""


class WitnessPolicyError(LedgerError):
    """A witness policy that cannot be built, or a checkpoint that does not meet it."""


def cosigned_message(checkpoint_text: str, timestamp: int) -> bytes:
    """The bytes an Ed25519 cosignature/v1 signs: header, time line, then the note text."""
    _check_timestamp(timestamp)
    return f"{COSIGNATURE_V1_HEADER}time {timestamp}\n{checkpoint_text}".encode()


def _check_timestamp(timestamp: int) -> None:
    if isinstance(timestamp, bool) or not 0 <= timestamp <= MAX_TIMESTAMP:
        raise CosignatureError(
            f"cosignature timestamp must be 0..{MAX_TIMESTAMP}, got {timestamp!r}"
        )


@dataclass(frozen=True, slots=True)
class Cosignature:
    """A verified witness cosignature: who, when (POSIX seconds), and the signature."""

    name: str
    key_id: int
    timestamp: int
    signature: bytes


@dataclass(frozen=True, slots=True, kw_only=True)
class WitnessKey(PublicNoteKey):
    """A witness's public key for Ed25519 cosignature/v1 (signature type 0x04).

    It is a note :class:`~oresight.ledger.note.Verifier`, so witness signatures are checked by
    :func:`~oresight.ledger.note.open_note` with the same rules as the log's own.
    """

    SIGNATURE_TYPE: ClassVar[int] = SIGNATURE_TYPE_COSIGNATURE_V1

    def verify(self, text: bytes, signature: bytes) -> bool:
        """Whether ``signature`` is ``timestamp || Ed25519 sig`` of the cosigned ``text``."""
        try:
            timestamp = split_cosignature(signature)[0]
            message = cosigned_message(text.decode("utf-8"), timestamp)
        except (CosignatureError, UnicodeDecodeError):
            return False
        return verify_ed25519(self.public_key, message, signature[TIMESTAMP_SIZE:])


@dataclass(frozen=True, slots=True, kw_only=True)
class WitnessSignerKey(PrivateNoteKey):
    """A witness's private key for Ed25519 cosignature/v1. Its private half never prints.

    Its text form is ``PRIVATE+KEY+name+keyid+base64(0x04 || private key)``, the Go sumdb/note
    signer key encoding with the cosignature type byte.
    """

    SIGNATURE_TYPE: ClassVar[int] = SIGNATURE_TYPE_COSIGNATURE_V1

    @property
    def witness_key(self) -> WitnessKey:
        """The public half, to give to clients."""
        return WitnessKey(name=self.name, public_key=self.public_key)


def generate_witness_key(name: str) -> WitnessSignerKey:
    """A fresh random witness key named ``name``."""
    return WitnessSignerKey(name=name, private_key=generate_ed25519_seed())


def split_cosignature(signature: bytes) -> tuple[int, bytes]:
    """Split cosignature bytes (after the key id) into ``(timestamp, Ed25519 signature)``."""
    if len(signature) != COSIGNATURE_SIZE:
        raise CosignatureError(
            f"cosignature must be {COSIGNATURE_SIZE} bytes (timestamp and Ed25519 signature), "
            f"got {len(signature)}"
        )
    timestamp = int.from_bytes(signature[:TIMESTAMP_SIZE], "big")
    _check_timestamp(timestamp)
    return timestamp, signature[TIMESTAMP_SIZE:]


def cosign(checkpoint: Checkpoint, *, key: WitnessSignerKey, timestamp: int) -> NoteSignature:
    """The cosignature line of ``checkpoint`` by ``key`` at ``timestamp``.

    This only signs. Whether the checkpoint deserves it (log signature, consistency with what
    the witness saw before) is :class:`oresight.ledger.witness.Witness`'s job.
    """
    message = cosigned_message(checkpoint.to_text(), timestamp)
    signature = Ed25519PrivateKey.from_private_bytes(key.private_key).sign(message)
    payload = timestamp.to_bytes(TIMESTAMP_SIZE, "big") + signature
    return NoteSignature(key.name, key.key_id, payload)


def verify_cosignature(
    checkpoint: Checkpoint, signature: NoteSignature, *, key: WitnessKey
) -> Cosignature:
    """Check one cosignature line against a witness key, naming what did not match."""
    if (signature.name, signature.key_id) != (key.name, key.key_id):
        raise CosignatureError(
            f"signature is by {signature.name!r}+{signature.key_id:08x}, "
            f"expected witness {key.name!r}+{key.key_id:08x}"
        )
    timestamp, _ = split_cosignature(signature.signature)
    if not key.verify(checkpoint.to_text().encode("utf-8"), signature.signature):
        raise CosignatureError(
            f"cosignature by witness {key.name!r} at time {timestamp} does not verify"
        )
    return Cosignature(signature.name, signature.key_id, timestamp, signature.signature)


@dataclass(frozen=True, slots=True, init=False)
class WitnessPolicy:
    """Trust a checkpoint only when at least ``threshold`` of ``witnesses`` cosigned it."""

    witnesses: tuple[WitnessKey, ...]
    threshold: int

    def __init__(self, *, witnesses: Sequence[WitnessKey], threshold: int) -> None:
        keys = tuple(witnesses)
        if isinstance(threshold, bool) or threshold <= 0:
            raise WitnessPolicyError(
                f"witness threshold must be at least 1, got {threshold!r}; "
                "use NoWitnessRequired() to trust the log alone"
            )
        if threshold > len(keys):
            raise WitnessPolicyError(
                f"witness threshold {threshold} exceeds the {len(keys)} witness key(s) given"
            )
        # cosignature/v1 does not sign the witness name, so one key under two names would count
        # one signature twice toward the threshold.
        public_keys = [key.public_key for key in keys]
        if len(set(public_keys)) != len(public_keys):
            raise WitnessPolicyError("the same witness public key is listed more than once")
        object.__setattr__(self, "witnesses", keys)
        object.__setattr__(self, "threshold", threshold)

    @property
    def verifiers(self) -> tuple[Verifier, ...]:
        """The witness keys, as note verifiers."""
        return self.witnesses

    def check(self, cosignatures: Sequence[Cosignature]) -> None:
        """Refuse unless ``threshold`` distinct listed witnesses are among ``cosignatures``."""
        listed = {(key.name, key.key_id) for key in self.witnesses}
        signed = {(c.name, c.key_id) for c in cosignatures} & listed
        if len(signed) < self.threshold:
            names = ", ".join(sorted(name for name, _ in signed)) or "none"
            raise WitnessPolicyError(
                f"expected cosignatures from at least {self.threshold} of "
                f"{len(self.witnesses)} witnesses, found {len(signed)} ({names})"
            )


@dataclass(frozen=True, slots=True)
class NoWitnessRequired:
    """A policy that requires no witness: the log's own signature is trusted alone.

    This gives no protection against a log that shows different views to different clients;
    use it knowingly.
    """

    @property
    def verifiers(self) -> tuple[Verifier, ...]:
        """No witnesses are needed, so none are checked."""
        return ()

    def check(self, cosignatures: Sequence[Cosignature]) -> None:
        """Accept anything: no cosignature is required."""


CheckpointPolicy = WitnessPolicy | NoWitnessRequired
"""What a client requires of witnesses before it trusts a checkpoint."""


@dataclass(frozen=True, slots=True)
class WitnessedCheckpoint:
    """A checkpoint the log signed, with the witness cosignatures that verified."""

    checkpoint: Checkpoint
    cosignatures: tuple[Cosignature, ...]


def verify_witnessed_checkpoint(
    note: bytes,
    *,
    log_key: VerifierKey,
    policy: CheckpointPolicy,
    origin: str | None = None,
) -> WitnessedCheckpoint:
    """Verify the log's signature and the witness policy on a checkpoint note.

    Every known signature (log and listed witnesses) must verify; unknown ones are ignored.
    The log's own signature is required; witnesses can never stand in for it.
    """
    verifiers: list[Verifier] = [log_key, *policy.verifiers]
    opened = open_note(note, verifiers)
    if opened.signed_by(log_key.name, log_key.key_id) is None:
        raise CosignatureError(
            f"checkpoint is not signed by the log key {log_key.name!r}+{log_key.key_id:08x}"
        )
    checkpoint = Checkpoint.from_text(opened.text)
    check_origin(checkpoint, expected=log_key.name if origin is None else origin)
    cosignatures = tuple(
        Cosignature(s.name, s.key_id, split_cosignature(s.signature)[0], s.signature)
        for s in opened.verified
        if (s.name, s.key_id) != (log_key.name, log_key.key_id)
    )
    policy.check(cosignatures)
    return WitnessedCheckpoint(checkpoint, cosignatures)

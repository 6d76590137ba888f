"""A witness: cosigns a log's checkpoints only when each is provably consistent with the last.

A witness remembers, per log origin, the last checkpoint it cosigned. Given a new checkpoint
signed by a log it knows, and a consistency proof (RFC 9162 section 2.1.4) from the remembered
size, it refuses a tree that shrank, a different root at the same size, or a proof that does not
verify; otherwise it records the new checkpoint *before* returning its cosignature, so it can
never have cosigned a head it does not remember.

The memory sits behind :class:`WitnessState`; :class:`FileWitnessState` keeps it in one JSON file
replaced atomically.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from oresight.core.errors import OresightError
from oresight.ledger.checkpoint import Checkpoint, CheckpointError
from oresight.ledger.cosignature import WitnessSignerKey, cosign
from oresight.ledger.errors import LedgerError
from oresight.ledger.merkle import verify_consistency
from oresight.ledger.note import (
    NoteError,
    add_signatures,
    decode_base64,
    encode_base64,
    open_note,
    parse_note,
)
from oresight.ledger.note_keys import (
    VerifierKey,
)

STATE_FORMAT = "oresight.witness-state/v1"


class WitnessRefusal(LedgerError):
    """The witness refused to cosign: unknown log, bad signature, or not provably consistent."""


class WitnessStateError(LedgerError):
    """The witness's memory could not be read or written, or changed under it."""


class WitnessState(Protocol):
    """Where a witness keeps the last checkpoint it cosigned for each log."""

    def latest(self, origin: str) -> Checkpoint | None:
        """The last checkpoint cosigned for ``origin``, or ``None`` if never."""

    def record(self, checkpoint: Checkpoint, *, previous: Checkpoint | None) -> None:
        """Remember ``checkpoint`` for its origin, if the remembered one is still ``previous``.

        The compare-and-set refuses, with :class:`WitnessStateError`, when another writer moved
        the state since ``previous`` was read, so two racing cosigns cannot both succeed.
        """


@dataclass
class MemoryWitnessState:
    """Witness state in memory, for tests and short-lived witnesses."""

    heads: dict[str, Checkpoint] = field(default_factory=dict)

    def latest(self, origin: str) -> Checkpoint | None:
        """The last checkpoint cosigned for ``origin``."""
        return self.heads.get(origin)

    def record(self, checkpoint: Checkpoint, *, previous: Checkpoint | None) -> None:
        """Remember ``checkpoint`` if the state still holds ``previous``."""
        if self.heads.get(checkpoint.origin) != previous:
            raise WitnessStateError(f"witness state for {checkpoint.origin!r} changed meanwhile")
        self.heads[checkpoint.origin] = checkpoint


class FileWitnessState:
    """Witness state in one JSON file, rewritten atomically (temporary file, fsync, rename).

    A crash leaves either the old file or the new one, never a torn one.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    def _load(self) -> dict[str, Checkpoint]:
        try:
            raw = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        except OSError as exc:
            raise WitnessStateError(f"{self.path}: cannot read witness state: {exc}") from exc
        try:
            document = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise WitnessStateError(f"{self.path}: witness state is not JSON: {exc}") from exc
        if not isinstance(document, dict) or document.get("format") != STATE_FORMAT:
            raise WitnessStateError(f"{self.path}: expected a {STATE_FORMAT!r} document")
        logs = document.get("logs")
        if not isinstance(logs, dict):
            raise WitnessStateError(f"{self.path}: 'logs' must be an object")
        return {origin: self._read_head(origin, head) for origin, head in logs.items()}

    def _read_head(self, origin: str, head: Any) -> Checkpoint:
        try:
            if not isinstance(head, Mapping):
                raise TypeError("not an object")
            size, root = head["size"], head["root_hash"]
            if not isinstance(size, int) or not isinstance(root, str):
                raise TypeError("size must be an integer and root_hash a string")
            return Checkpoint(origin, size, decode_base64(root, what="root_hash"))
        except (KeyError, TypeError, NoteError, CheckpointError) as exc:
            raise WitnessStateError(f"{self.path}: log {origin!r}: bad entry: {exc}") from exc

    def latest(self, origin: str) -> Checkpoint | None:
        """The last checkpoint cosigned for ``origin``."""
        return self._load().get(origin)

    def record(self, checkpoint: Checkpoint, *, previous: Checkpoint | None) -> None:
        """Remember ``checkpoint`` if the file still holds ``previous`` for its origin."""
        heads = self._load()
        current = heads.get(checkpoint.origin)
        if _head(current) != _head(previous):
            raise WitnessStateError(
                f"{self.path}: witness state for {checkpoint.origin!r} changed meanwhile"
            )
        heads[checkpoint.origin] = checkpoint
        document = {
            "format": STATE_FORMAT,
            "logs": {
                origin: {"size": head.size, "root_hash": encode_base64(head.root_hash)}
                for origin, head in sorted(heads.items())
            },
        }
        self._write_atomically(json.dumps(document, indent=2) + "\n")

    def _write_atomically(self, text: str) -> None:
        directory = self.path.parent
        try:
            directory.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(prefix=f".{self.path.name}.", dir=directory)
            try:
                with os.fdopen(handle, "w", encoding="utf-8") as stream:
                    stream.write(text)
                    stream.flush()
                    os.fsync(stream.fileno())
                os.replace(temporary, self.path)
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
        except OSError as exc:
            raise WitnessStateError(f"{self.path}: cannot write witness state: {exc}") from exc


def _head(checkpoint: Checkpoint | None) -> tuple[int, bytes] | None:
    # Only size and root are remembered, so only they are compared.
    return None if checkpoint is None else (checkpoint.size, checkpoint.root_hash)


class Witness:
    """Cosigns checkpoints of known logs that are consistent with what it cosigned before."""

    def __init__(
        self,
        *,
        key: WitnessSignerKey,
        log_keys: Sequence[VerifierKey],
        state: WitnessState,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.key = key
        self.state = state
        self.clock = clock
        # A log is known by its origin, which oresight logs use as their key name.
        self.log_keys: dict[str, VerifierKey] = {}
        for log_key in log_keys:
            if log_key.name in self.log_keys:
                raise WitnessRefusal(f"two keys given for log {log_key.name!r}")
            self.log_keys[log_key.name] = log_key

    def cosign(self, note: bytes, *, consistency_proof: Sequence[bytes]) -> bytes:
        """Return ``note`` with this witness's cosignature appended, or refuse.

        ``consistency_proof`` proves the note's tree extends the last one cosigned for its log;
        it is empty the first time, and when the size has not changed.
        """
        checkpoint = self._verified_checkpoint(note)
        previous = self.state.latest(checkpoint.origin)
        check_consistent(previous, checkpoint, consistency_proof)
        self.state.record(checkpoint, previous=previous)
        signature = cosign(checkpoint, key=self.key, timestamp=int(self.clock()))
        return add_signatures(note, [signature])

    def _verified_checkpoint(self, note: bytes) -> Checkpoint:
        try:
            claimed = Checkpoint.from_text(parse_note(note).text)
        except (NoteError, CheckpointError) as exc:
            raise WitnessRefusal(f"not a checkpoint note: {exc}") from exc
        log_key = self.log_keys.get(claimed.origin)
        if log_key is None:
            known = ", ".join(sorted(self.log_keys)) or "none"
            raise WitnessRefusal(
                f"log {claimed.origin!r} is not one this witness follows (known: {known})"
            )
        try:
            opened = open_note(note, [log_key])
        except LedgerError as exc:
            raise WitnessRefusal(f"checkpoint of {claimed.origin!r}: {exc}") from exc
        return Checkpoint.from_text(opened.text)


def check_consistent(
    previous: Checkpoint | None, checkpoint: Checkpoint, proof: Sequence[bytes]
) -> None:
    """Refuse ``checkpoint`` unless it provably extends ``previous`` (same origin).

    From nothing or from the empty tree every tree is consistent, and the proof must be empty
    (RFC 9162 defines no proof from size 0); at equal sizes the roots must be equal.
    """
    old_size = 0 if previous is None else previous.size
    where = f"log {checkpoint.origin!r}"
    if checkpoint.size < old_size:
        raise WitnessRefusal(
            f"{where}: tree size went backwards from {old_size} to {checkpoint.size}"
        )
    if previous is None or old_size == 0 or checkpoint.size == old_size:
        if previous is not None and previous.root_hash != checkpoint.root_hash:
            # Reached only at equal sizes: two roots for one size is a split view.
            raise WitnessRefusal(
                f"{where}: two different roots at size {old_size}: cosigned "
                f"{encode_base64(previous.root_hash)}, "
                f"now {encode_base64(checkpoint.root_hash)}"
            )
        if proof:
            raise WitnessRefusal(
                f"{where}: expected an empty consistency proof from size {old_size} to "
                f"{checkpoint.size}, got {len(proof)} hash(es)"
            )
        return
    try:
        verify_consistency(
            old_size=old_size,
            new_size=checkpoint.size,
            old_root=previous.root_hash,
            new_root=checkpoint.root_hash,
            proof=list(proof),
        )
    except OresightError as exc:
        raise WitnessRefusal(
            f"{where}: no valid consistency proof from size {old_size} to {checkpoint.size}: {exc}"
        ) from exc

"""The operator's custody log: signed submissions in, signed checkpoints and proofs out.

:class:`CustodyLog` ties the parts together. A batch of submissions is verified against the party
key registry at the moment the log accepts it, becomes leaves (:mod:`oresight.ledger.entry`),
and is committed with its new tree nodes and a checkpoint signed by the log key, in one storage
transaction. Anyone holding the log's public key can then check an inclusion proof bundle
offline (:mod:`oresight.ledger.bundle`), and witnesses can cosign checkpoints after checking
consistency (:mod:`oresight.ledger.witness`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from oresight.core.ledger import LogEntry
from oresight.ledger import tree
from oresight.ledger.audit import AuditReport, audit_tree
from oresight.ledger.bundle import make_bundle
from oresight.ledger.checkpoint import Checkpoint, sign_checkpoint, verify_checkpoint
from oresight.ledger.entry import LeafEntry, Submission, parse_leaf_bytes
from oresight.ledger.errors import LedgerError
from oresight.ledger.keys import KeyRegistry
from oresight.ledger.note import parse_note
from oresight.ledger.note_keys import SignerKey
from oresight.ledger.storage import TreeStorage


@dataclass(frozen=True)
class Receipt:
    """Proof that the log accepted one submission: its leaf, index and inclusion bundle."""

    event_id: str
    index: int
    tree_size: int
    leaf: LeafEntry
    bundle: bytes
    """A C2SP tlog-proof bundle whose ``extra`` carries the leaf bytes."""


def _now() -> datetime:
    return datetime.now(UTC)


class CustodyLog:
    """An append-only log of custody events, kept in a :class:`TreeStorage`."""

    def __init__(
        self,
        *,
        storage: TreeStorage,
        log_key: SignerKey,
        registry: KeyRegistry,
        clock: Callable[[], datetime] = _now,
    ) -> None:
        self.storage = storage
        self.log_key = log_key
        self.registry = registry
        self.clock = clock

    @property
    def origin(self) -> str:
        """The log's origin line; its key is named after it."""
        return self.log_key.name

    def size(self) -> int:
        """How many entries are committed."""
        return self.storage.tree_size()

    def append(self, submissions: Sequence[Submission]) -> list[Receipt]:
        """Verify and commit a batch of submissions in one transaction; receipts in order.

        The whole batch is refused, and the log left unchanged, when any submission is unsigned,
        wrongly signed, signed by an unknown, foreign, expired or revoked key, or repeats an
        event already in the log or earlier in the batch.
        """
        if not submissions:
            return []
        accepted_at = self.clock()
        leaves: list[LeafEntry] = []
        for submission in submissions:
            self.registry.verify_submission(submission, at=accepted_at)
            leaves.append(LeafEntry(submission=submission, accepted_at=accepted_at))
        # An event twice in the batch is refused by prepare_append, one already in the log by
        # the storage as it commits (it holds the index of keys): no lookup per submission here.
        prepared = tree.prepare_append(
            self.storage, [(leaf.event_id, leaf.to_leaf_bytes()) for leaf in leaves]
        )
        note = sign_checkpoint(
            Checkpoint(origin=self.origin, size=prepared.size, root_hash=prepared.root),
            log_key=self.log_key,
        )
        tree.commit(self.storage, prepared, note)
        return [
            self._receipt(entry, leaf, prepared.size, note)
            for entry, leaf in zip(prepared.entries, leaves, strict=True)
        ]

    def _receipt(self, entry: LogEntry, leaf: LeafEntry, size: int, note: bytes) -> Receipt:
        proof = tree.prove_inclusion(self.storage, entry.index, size)
        bundle = make_bundle(index=entry.index, proof=proof, checkpoint=note, extra=entry.data)
        return Receipt(entry.key, entry.index, size, leaf, bundle)

    def latest_checkpoint(self) -> bytes | None:
        """The signed (and perhaps cosigned) checkpoint of the committed size."""
        return self.storage.latest_checkpoint()

    def proof_bundle(self, event_id: str, *, size: int | None = None) -> bytes:
        """An offline inclusion proof bundle for an event, against the checkpoint of ``size``
        (default: the committed size)."""
        entry = self.storage.find_entry(event_id)
        if entry is None:
            raise LedgerError(f"event {event_id} is not in the log")
        at = self.size() if size is None else size
        note = self.storage.checkpoint_at(at)
        if note is None:
            raise LedgerError(f"the log issued no checkpoint at size {at}")
        if entry.index >= at:
            raise LedgerError(
                f"event {event_id} is entry {entry.index}, not yet in the tree of size {at}"
            )
        proof = tree.prove_inclusion(self.storage, entry.index, at)
        return make_bundle(index=entry.index, proof=proof, checkpoint=note, extra=entry.data)

    def consistency_proof(self, old_size: int, new_size: int | None = None) -> list[bytes]:
        """RFC 9162 consistency proof between two committed sizes."""
        return tree.prove_consistency(self.storage, old_size, new_size)

    def entries(self, start: int, stop: int) -> list[LeafEntry]:
        """Committed leaves with ``start <= index < stop``, parsed."""
        return [parse_leaf_bytes(entry.data) for entry in self.storage.read_entries(start, stop)]

    def store_cosigned(self, note: bytes) -> Checkpoint:
        """Keep a witness-cosigned copy of one of the log's own checkpoints."""
        checkpoint = verify_checkpoint(note, self.log_key.verifier_key, origin=self.origin)
        issued = self.storage.checkpoint_at(checkpoint.size)
        if issued is None or parse_note(issued).text != parse_note(note).text:
            raise LedgerError(
                f"the cosigned checkpoint of size {checkpoint.size} is not one this log issued"
            )
        self.storage.replace_checkpoint(checkpoint.size, note)
        return checkpoint

    def audit(self) -> AuditReport:
        """Recompute the tree from stored leaves; check every leaf's form, key and signature,
        and that the latest checkpoint is signed by this log and commits to the recomputed root.
        """
        report = audit_tree(self.storage, check_entry=self._check_entry)
        note = self.storage.latest_checkpoint()
        if report.size and note is None:
            return report.with_problem("checkpoint", f"no checkpoint for size {report.size}")
        if note is not None:
            try:
                checkpoint = verify_checkpoint(note, self.log_key.verifier_key, origin=self.origin)
            except LedgerError as exc:
                return report.with_problem("checkpoint", f"latest checkpoint: {exc}")
            if report.root is not None and (
                checkpoint.size != report.size or checkpoint.root_hash != report.root
            ):
                return report.with_problem(
                    "checkpoint",
                    f"latest checkpoint commits to size {checkpoint.size} and root "
                    f"{checkpoint.root_hash.hex()}, but the stored leaves give size "
                    f"{report.size} and root {report.root.hex()}",
                )
        return report

    def _check_entry(self, entry: LogEntry) -> str | None:
        try:
            leaf = parse_leaf_bytes(entry.data)
        except LedgerError as exc:
            return f"leaf bytes no longer parse: {exc}"
        if leaf.event_id != entry.key:
            return f"stored key {entry.key!r} but the leaf is for event {leaf.event_id!r}"
        try:
            self.registry.verify_leaf(leaf)
        except LedgerError as exc:
            return f"submission signature no longer verifies: {exc}"
        return None

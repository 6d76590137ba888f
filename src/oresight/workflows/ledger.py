"""The custody ledger of a workspace: keys on disk, the log in the workspace database.

Layout inside the workspace folder::

    ledger/log.key       the log's signing key (C2SP signed-note private key text) — keep secret
    ledger/log.pub       the log's public key, to hand to verifiers and witnesses
    ledger/parties.json  the party key registry (public keys, validity, revocations)
    ledger/keys/*.pem    private keys generated here for parties (a convenience for a single
                         operator or a demo; in a real scheme each party keeps its own)

The log's entries, tree nodes and checkpoints live in the workspace database
(:class:`oresight.store.ledger_storage.SqlTreeStorage`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from oresight.core.custody import CustodyEvent
from oresight.core.errors import InvalidInput, WorkspaceError
from oresight.core.parties import PartyRole
from oresight.custody.epcis import event_to_json
from oresight.custody.event_hash import event_hash
from oresight.ledger.bundle import VerifiedProof, parse_bundle, verify_bundle
from oresight.ledger.checkpoint import Checkpoint
from oresight.ledger.cosignature import (
    CheckpointPolicy,
    NoWitnessRequired,
    WitnessKey,
    WitnessPolicy,
    WitnessSignerKey,
)
from oresight.ledger.cosignature import generate_witness_key as new_witness_key
from oresight.ledger.entry import LeafEntry, parse_leaf_bytes
from oresight.ledger.keys import (
    KeyRegistry,
    PartyKey,
    generate_party_key,
    load_private_key,
    sign_submission,
)
from oresight.ledger.log import CustodyLog
from oresight.ledger.log import Receipt as Receipt  # re-exported for interfaces
from oresight.ledger.note import parse_note
from oresight.ledger.note_keys import SignerKey, VerifierKey, generate_signer_key
from oresight.ledger.witness import FileWitnessState, Witness, WitnessRefusal
from oresight.ledger.witness_request import make_witness_request, parse_witness_request
from oresight.store import repository
from oresight.store.database import Workspace
from oresight.store.ledger_storage import SqlTreeStorage
from oresight.workflows.progress import Progress, no_progress

LEDGER_DIR = "ledger"
BATCH_SIZE = 10_000
"""Submissions per append: each batch is one transaction and one checkpoint."""


@dataclass(frozen=True)
class LedgerPaths:
    """Where a workspace keeps its ledger keys."""

    root: Path

    @property
    def log_key(self) -> Path:
        return self.root / "log.key"

    @property
    def log_pub(self) -> Path:
        return self.root / "log.pub"

    @property
    def registry(self) -> Path:
        return self.root / "parties.json"

    def party_key(self, party_id: str) -> Path:
        return self.root / "keys" / f"{re.sub(r'[^A-Za-z0-9._-]', '_', party_id)}.pem"


def ledger_paths(workspace: Workspace) -> LedgerPaths:
    """The ledger folder of a workspace."""
    return LedgerPaths(workspace.path / LEDGER_DIR)


def _write_secret(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)


def read_key_file(path: Path) -> str:
    """The text of a key file the user named; unreadable is bad input, not a crash."""
    try:
        return path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"cannot read the key file: {exc}", file=str(path)) from None


def init_ledger(workspace: Workspace, *, origin: str | None = None) -> VerifierKey:
    """Create the log's key and an empty registry (once); return the log's public key."""
    paths = ledger_paths(workspace)
    if paths.log_key.exists():
        return SignerKey.from_text(paths.log_key.read_text(encoding="utf-8")).verifier_key
    name = origin or f"oresight.local/{_slug(workspace.path.resolve().name)}"
    key = generate_signer_key(name)
    _write_secret(paths.log_key, (key.to_text() + "\n").encode())
    paths.log_pub.write_text(key.verifier_key.to_text() + "\n", encoding="utf-8")
    if not paths.registry.exists():
        paths.registry.write_text(KeyRegistry().to_json(), encoding="utf-8")
    return key.verifier_key


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9.-]+", "-", text.lower()).strip("-") or "workspace"


def load_registry(workspace: Workspace) -> KeyRegistry:
    """The workspace's party key registry."""
    paths = ledger_paths(workspace)
    _require_ledger(paths)
    return KeyRegistry.from_json(paths.registry.read_text(encoding="utf-8"))


def save_registry(workspace: Workspace, registry: KeyRegistry) -> None:
    """Write the registry back, atomically."""
    path = ledger_paths(workspace).registry
    temporary = path.with_suffix(".json.tmp")
    temporary.write_text(registry.to_json(), encoding="utf-8")
    temporary.replace(path)


def _require_ledger(paths: LedgerPaths) -> None:
    if not paths.log_key.exists():
        raise WorkspaceError(
            f"{paths.root.parent} has no ledger yet; run `oresight ledger init` first"
        )


def open_log(workspace: Workspace) -> CustodyLog:
    """The workspace's custody log."""
    paths = ledger_paths(workspace)
    _require_ledger(paths)
    log_key = SignerKey.from_text(paths.log_key.read_text(encoding="utf-8").strip())
    return CustodyLog(
        storage=SqlTreeStorage(workspace.engine), log_key=log_key, registry=load_registry(workspace)
    )


def add_party_key(workspace: Workspace, party_id: str) -> tuple[PartyKey, Path]:
    """Generate and register a key for a party; its private key goes to ``ledger/keys``."""
    registry = load_registry(workspace)
    pem, key = generate_party_key(party_id, valid_from=datetime.now(UTC))
    path = ledger_paths(workspace).party_key(party_id)
    if registry.keys_of(party_id):
        registry.rotate(party_id, load_private_key(pem).public_key(), at=key.valid_from)
    else:
        registry.register(key)
    _write_secret(path, pem)
    save_registry(workspace, registry)
    return key, path


def revoke_party_key(workspace: Workspace, key_id: str, *, reason: str) -> PartyKey:
    """Revoke a key from now on; entries it signed before stay verifiable."""
    registry = load_registry(workspace)
    revoked = registry.revoke(key_id, at=datetime.now(UTC), reason=reason)
    save_registry(workspace, registry)
    return revoked


def custody_event_hash(event: CustodyEvent) -> str:
    """The CBV 2.0 canonical event hash of a custody event, what its ledger leaf commits to."""
    return event_hash(event_to_json(event), event.namespaces)


def submit_events(
    workspace: Workspace,
    *,
    party_id: str | None,
    private_key: bytes | None = None,
    event_ids: Sequence[str] | None = None,
    progress: Progress = no_progress,
) -> list[Receipt]:
    """Sign and append the workspace's events (all, or ``event_ids``) not yet in the log.

    The submitter is ``party_id``, signing with ``private_key`` (PEM) or the key this workspace
    holds for it. With ``party_id`` None each event is submitted by the party answering for it
    (:func:`event_owner`), with the key this workspace holds for that party. Every batch of
    :data:`BATCH_SIZE` is one transaction with its own checkpoint.
    """
    log = open_log(workspace)
    signers = _Signers(workspace, log.registry)
    if party_id is not None:
        signers.load(party_id, private_key)
    with workspace.transaction() as session:
        events = repository.load_events(session)
    operators = site_operators(workspace) if party_id is None else {}
    wanted = None if event_ids is None else set(event_ids)
    pending = [
        e
        for e in events
        if (wanted is None or e.event_id in wanted) and log.storage.find_entry(e.event_id) is None
    ]
    receipts: list[Receipt] = []
    for start in range(0, len(pending), BATCH_SIZE):
        progress("ledger", start, len(pending))
        submissions = []
        for event in pending[start : start + BATCH_SIZE]:
            submitter = party_id or event_owner(event, operators)
            signer, key_id = signers.load(submitter)
            submissions.append(
                sign_submission(
                    private_key=signer,
                    event_hash=custody_event_hash(event),
                    event_id=event.event_id,
                    party_id=submitter,
                    key_id=key_id,
                )
            )
        receipts.extend(log.append(submissions))
    progress("ledger", len(pending), len(pending))
    return receipts


def event_owner(event: CustodyEvent, operators: Mapping[str, str]) -> str:
    """The party that answers for an event: its source owner, else destination owner, else a
    possessing party, else the operator of the site where it happened (``operators``: site id
    to operator FtM id)."""
    refs = event.party_refs()  # source entries first, then destination entries
    for role in (PartyRole.OWNING_PARTY, PartyRole.POSSESSING_PARTY):
        for ref in refs:
            if ref.role is role:
                return ref.party_id
    location = event.location()
    if location is not None and location in operators:
        return operators[location]
    raise InvalidInput(
        "the event names no owning or possessing party, and its site has no operator, to "
        "submit it; pass --submitter",
        record=f"event {event.event_id}",
        field="sourceList",
    )


def site_operators(workspace: Workspace) -> dict[str, str]:
    """Site id -> FtM id of its operator, for every site that names one."""
    with workspace.transaction() as session:
        return {s.id: s.operator for s in repository.load_sites(session) if s.operator}


class _Signers:
    """Private keys of submitting parties, loaded once each and checked against the registry."""

    def __init__(self, workspace: Workspace, registry: KeyRegistry) -> None:
        self.paths = ledger_paths(workspace)
        self.registry = registry
        self.loaded: dict[str, tuple[Ed25519PrivateKey, str]] = {}

    def load(self, party_id: str, pem: bytes | None = None) -> tuple[Ed25519PrivateKey, str]:
        if party_id in self.loaded:
            return self.loaded[party_id]
        if pem is None:
            path = self.paths.party_key(party_id)
            if not path.is_file():
                raise InvalidInput(
                    f"no private key for party {party_id!r} in this workspace; pass --key or "
                    f"run `oresight ledger add-key {party_id}`"
                )
            pem = path.read_bytes()
        signer = load_private_key(pem)
        public = _raw(signer)
        keys = [k for k in self.registry.keys_of(party_id) if k.public_key == public]
        if not keys:
            raise InvalidInput(f"the private key given is not a registered key of {party_id!r}")
        self.loaded[party_id] = (signer, keys[-1].key_id)
        return self.loaded[party_id]


def _raw(private_key: Ed25519PrivateKey) -> bytes:
    return private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def receipt_file_name(event_id: str) -> str:
    """A file name for an event's proof bundle."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", event_id) + ".tlog-proof"


def write_receipts(receipts: Sequence[Receipt], folder: Path) -> list[Path]:
    """Write each receipt's proof bundle into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for receipt in receipts:
        path = folder / receipt_file_name(receipt.event_id)
        path.write_bytes(receipt.bundle)
        paths.append(path)
    return paths


@dataclass(frozen=True)
class VerifiedLeaf:
    """A verified proof bundle and the custody-ledger leaf it proves."""

    proof: VerifiedProof
    leaf: LeafEntry
    submitter_verified: bool
    """Whether the submitter's signature was checked against a key registry."""


def verify_proof_bundle(
    bundle: bytes,
    *,
    log_key: str,
    witness_keys: Sequence[str] = (),
    threshold: int | None = None,
    registry: str | None = None,
) -> VerifiedLeaf:
    """Verify a proof bundle offline: no workspace, no database, no network.

    ``log_key`` and ``witness_keys`` are note verifier key texts; ``threshold`` witnesses must
    have cosigned (default: all given). With ``registry`` (the JSON of a party key registry) the
    submitter's signature on the leaf is checked too.
    """
    verifier = VerifierKey.from_text(log_key.strip())
    policy: CheckpointPolicy = NoWitnessRequired()
    if witness_keys:
        keys = [WitnessKey.from_text(text.strip()) for text in witness_keys]
        policy = WitnessPolicy(witnesses=keys, threshold=threshold or len(keys))
    parsed = parse_bundle(bundle)
    if parsed.extra is None:
        raise InvalidInput("the bundle carries no leaf data (its `extra` line is missing)")
    proof = verify_bundle(bundle, log_key=verifier, policy=policy, leaf_data=parsed.extra)
    leaf = parse_leaf_bytes(parsed.extra)
    if registry is not None:
        KeyRegistry.from_json(registry).verify_leaf(leaf)
    return VerifiedLeaf(proof=proof, leaf=leaf, submitter_verified=registry is not None)


def generate_witness_key(name: str, path: Path) -> WitnessKey:
    """A new witness signing key, written to ``path``; returns its public key."""
    key = new_witness_key(name)
    _write_secret(path, (key.to_text() + "\n").encode())
    return key.witness_key


def witness_cosign(workspace: Workspace, *, witness_key: Path, state: Path) -> bytes:
    """Act as a witness of this workspace's log: check consistency with what the witness
    cosigned before, cosign the latest checkpoint, and store the cosigned copy."""
    log = open_log(workspace)
    note = log.latest_checkpoint()
    if note is None:
        raise InvalidInput("the ledger is empty: there is no checkpoint to cosign")
    key = WitnessSignerKey.from_text(read_key_file(witness_key))
    witness_state = FileWitnessState(state)
    previous = witness_state.latest(log.origin)
    size = log.size()
    proof = (
        log.consistency_proof(previous.size, size)
        if previous is not None and 0 < previous.size < size
        else []
    )
    witness = Witness(key=key, log_keys=[log.log_key.verifier_key], state=witness_state)
    cosigned = witness.cosign(note, consistency_proof=proof)
    log.store_cosigned(cosigned)
    return cosigned


def witness_request(workspace: Workspace, *, old_size: int) -> bytes:
    """What to send a remote witness that last cosigned the tree of ``old_size`` (0: never):
    the latest checkpoint and the proof that it extends that tree."""
    log = open_log(workspace)
    note = log.latest_checkpoint()
    if note is None:
        raise InvalidInput("the ledger is empty: there is no checkpoint to cosign")
    size = log.size()
    if old_size > size:
        raise InvalidInput(
            f"the witness last cosigned size {old_size}, but this log holds only {size} entries "
            "— is it the same log?"
        )
    proof = log.consistency_proof(old_size, size) if 0 < old_size < size else []
    return make_witness_request(old_size=old_size, proof=proof, checkpoint=note)


def cosign_request(
    request: bytes, *, witness_key: Path, state: Path, log_keys: Sequence[str]
) -> bytes:
    """Act as a remote witness, with no workspace: check a witness request against this
    witness's state and the logs it follows (``log_keys``), and return the cosigned note."""
    parsed = parse_witness_request(request)
    key = WitnessSignerKey.from_text(read_key_file(witness_key))
    witness_state = FileWitnessState(state)
    origin = Checkpoint.from_text(parse_note(parsed.checkpoint).text).origin
    previous = witness_state.latest(origin)
    last = 0 if previous is None else previous.size
    if parsed.old_size != last:
        raise WitnessRefusal(
            f"this witness last cosigned size {last} of log {origin!r}, but the request's proof "
            f"starts at size {parsed.old_size}: ask the operator for "
            f"`oresight ledger witness-request --from {last}`"
        )
    verifiers = [VerifierKey.from_text(text.strip()) for text in log_keys]
    witness = Witness(key=key, log_keys=verifiers, state=witness_state)
    return witness.cosign(parsed.checkpoint, consistency_proof=parsed.proof)


def add_cosignature(workspace: Workspace, note: bytes) -> Checkpoint:
    """Store a checkpoint that a witness returned cosigned."""
    return open_log(workspace).store_cosigned(note)


def describe_checkpoint(note: bytes | None) -> str:
    """One line about a checkpoint note: size, root and how many signatures it carries."""
    if note is None:
        return "no checkpoint yet (the log is empty)"
    parsed = parse_note(note)
    checkpoint = Checkpoint.from_text(parsed.text)
    return (
        f"size {checkpoint.size}, root {checkpoint.root_hash.hex()}, "
        f"{len(parsed.signatures)} signature(s) (log + witnesses)"
    )

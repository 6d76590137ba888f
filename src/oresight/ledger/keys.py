"""The party key registry: who may submit custody events to the log, with which key, and when.

:class:`KeyRegistry` holds :class:`~oresight.ledger.party_key.PartyKey` records; the registry
refuses two keys with the same id, so an id names one key. :meth:`KeyRegistry.rotate` closes the
party's current key at the rotation instant and opens the new key at that same instant: no gap
and no overlap, and entries signed with the old key inside its interval stay verifiable for ever,
because a submission is judged at the time the log **accepted** it, not at the time someone
verifies it.

**Revocation** at ``T`` means "do not trust this key from ``T`` on": a submission accepted at or
after ``T`` is refused; one accepted before ``T`` still verifies. The acceptance time is set by
the log, not by the submitter, and fixed by signed checkpoints, so a thief of the key cannot
back-date a submission into the trusted past. Where a key is found to have been compromised
earlier, revoke it with the earlier ``at`` (``at`` may lie in the past); everything the log
accepted from that moment on is then refused.

:meth:`KeyRegistry.verify_submission` checks, in this order: a signature is present; the key id is
known; the key belongs to the party named in the submission; the signature verifies; the key was
valid at the acceptance time. A refusal for validity therefore means the signature itself was
genuine, which matters to an investigator.

The registry is kept as JSON (:mod:`oresight.ledger.registry_json`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator
from datetime import datetime

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from oresight.ledger.entry import (
    LeafEntry,
    Submission,
    format_timestamp,
)
from oresight.ledger.errors import LedgerError
from oresight.ledger.party_key import (
    PUBLIC_KEY_SIZE,
    BadSignature,
    KeyExpired,
    KeyMaterialError,
    KeyNotValid,
    KeyNotYetValid,
    KeyPartyMismatch,
    KeyRegistryError,
    KeyRevoked,
    PartyKey,
    RegistryFormatError,
    SubmissionRefused,
    UnknownKey,
    UnsignedSubmission,
    aware,
    key_id_for,
)
from oresight.ledger.registry_json import (
    REGISTRY_FORMAT,
    registry_keys_from_json,
    registry_to_json,
)

__all__ = [
    "PUBLIC_KEY_SIZE",
    "REGISTRY_FORMAT",
    "BadSignature",
    "KeyExpired",
    "KeyMaterialError",
    "KeyNotValid",
    "KeyNotYetValid",
    "KeyPartyMismatch",
    "KeyRegistry",
    "KeyRegistryError",
    "KeyRevoked",
    "PartyKey",
    "RegistryFormatError",
    "SubmissionRefused",
    "UnknownKey",
    "UnsignedSubmission",
    "generate_party_key",
    "key_id_for",
    "load_private_key",
    "sign_submission",
]


class KeyRegistry:
    """The keys of every submitting party, with their validity; mutable, keyed by key id."""

    def __init__(self, keys: Iterable[PartyKey] = ()) -> None:
        self._keys: dict[str, PartyKey] = {}
        for key in keys:
            self.register(key)

    def __len__(self) -> int:
        return len(self._keys)

    def __iter__(self) -> Iterator[PartyKey]:
        """Keys in the order they were registered."""
        return iter(tuple(self._keys.values()))

    def register(self, key: PartyKey) -> None:
        """Add ``key``; refuse a key id (hence a public key) that is already registered."""
        if not isinstance(key, PartyKey):
            raise KeyRegistryError(f"register: expected a PartyKey, found {type(key).__name__}")
        held = self._keys.get(key.key_id)
        if held is not None:
            raise KeyRegistryError(
                f"key {key.key_id}: already registered for party {held.party_id!r}"
            )
        self._keys[key.key_id] = key

    def key_for(self, key_id: str) -> PartyKey:
        """The key with this id; raise :class:`UnknownKey` when there is none."""
        key = self._keys.get(key_id)
        if key is None:
            raise UnknownKey(f"key id {key_id!r}: not in the key registry")
        return key

    def keys_of(self, party_id: str) -> tuple[PartyKey, ...]:
        """Every key of ``party_id``, current or not, in registration order."""
        return tuple(key for key in self._keys.values() if key.party_id == party_id)

    def rotate(self, party_id: str, new_key: bytes | Ed25519PublicKey, *, at: datetime) -> PartyKey:
        """Replace the party's key(s) valid at ``at`` by ``new_key``, valid from ``at`` on.

        Every key of the party valid at ``at`` gets ``valid_until = at``; the new key is registered
        with ``valid_from = at``. Refused when the party has no key valid at ``at`` (register its
        first key instead) or when ``new_key`` is already registered.
        """
        moment = aware(at, field="at")
        new = PartyKey.from_public_key(party_id=party_id, public_key=new_key, valid_from=moment)
        if new.key_id in self._keys:
            raise KeyRegistryError(
                f"rotate party {party_id!r}: new key {new.key_id} is already registered "
                f"for party {self._keys[new.key_id].party_id!r}"
            )
        current = [key for key in self.keys_of(party_id) if key.is_valid_at(moment)]
        if not current:
            raise KeyRegistryError(
                f"rotate party {party_id!r}: expected a key valid at {format_timestamp(moment)}, "
                "found none (register the party's first key instead)"
            )
        for key in current:
            self._keys[key.key_id] = dataclasses.replace(key, valid_until=moment)
        self._keys[new.key_id] = new
        return new

    def revoke(self, key_id: str, *, at: datetime, reason: str) -> PartyKey:
        """Distrust ``key_id`` from ``at`` on (``at`` may be in the past); return the revoked key.

        Submissions accepted before ``at`` still verify; those accepted at or after it are refused.
        A key already revoked is refused rather than silently re-dated.
        """
        key = self.key_for(key_id)
        if key.revoked_at is not None:
            raise KeyRegistryError(
                f"key {key_id}: already revoked at {format_timestamp(key.revoked_at)} "
                f"({key.revocation_reason})"
            )
        revoked = dataclasses.replace(
            key, revoked_at=aware(at, field="at"), revocation_reason=reason
        )
        self._keys[key_id] = revoked
        return revoked

    def verify_submission(self, submission: Submission, *, at: datetime) -> PartyKey:
        """Check ``submission`` as accepted by the log at ``at``; return the key that signed it.

        Raises a :class:`SubmissionRefused` subclass: :class:`UnsignedSubmission`,
        :class:`UnknownKey`, :class:`KeyPartyMismatch`, :class:`BadSignature`, or a
        :class:`KeyNotValid` subclass (:class:`KeyNotYetValid`, :class:`KeyRevoked`,
        :class:`KeyExpired`).
        """
        moment = aware(at, field="at")
        subject = f"submission of event {submission.event_id!r} by party {submission.party_id!r}"
        if submission.signature is None:
            raise UnsignedSubmission(f"{subject}: expected an Ed25519 signature, found none")
        key = self._keys.get(submission.key_id)
        if key is None:
            raise UnknownKey(f"{subject}: key id {submission.key_id!r} is not in the key registry")
        if key.party_id != submission.party_id:
            raise KeyPartyMismatch(
                f"{subject}: key {key.key_id} belongs to party {key.party_id!r}, "
                f"not to {submission.party_id!r}"
            )
        try:
            Ed25519PublicKey.from_public_bytes(key.public_key).verify(
                submission.signature, submission.signed_bytes()
            )
        except InvalidSignature:
            raise BadSignature(
                f"{subject}: the signature does not verify with key {key.key_id} over "
                f"event hash {submission.event_hash}"
            ) from None
        key.check_valid_at(moment)
        return key

    def verify_leaf(self, entry: LeafEntry) -> PartyKey:
        """Check a leaf's submission at the time the log accepted it."""
        return self.verify_submission(entry.submission, at=entry.accepted_at)

    def to_json(self) -> str:
        """The registry as JSON text (:mod:`oresight.ledger.registry_json`), keys in
        registration order."""
        return registry_to_json(self._keys.values())

    @classmethod
    def from_json(cls, text: str | bytes) -> KeyRegistry:
        """Parse :meth:`to_json` output strictly; errors name the member and what was wrong."""
        registry = cls()
        for where, key in registry_keys_from_json(text):
            try:
                registry.register(key)
            except RegistryFormatError:
                raise
            except LedgerError as error:
                raise RegistryFormatError(f"{where}: {error}") from None
        return registry


def generate_party_key(party_id: str, *, valid_from: datetime) -> tuple[bytes, PartyKey]:
    """A new Ed25519 key pair for ``party_id``: (private key as PKCS#8 PEM, its :class:`PartyKey`).

    The PEM is unencrypted; whoever stores it is responsible for protecting it.
    """
    private_key = Ed25519PrivateKey.generate()
    pem = private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    party_key = PartyKey.from_public_key(
        party_id=party_id, public_key=private_key.public_key(), valid_from=valid_from
    )
    return pem, party_key


def load_private_key(data: bytes | Ed25519PrivateKey) -> Ed25519PrivateKey:
    """An Ed25519 private key from PKCS#8 PEM or a raw 32-byte seed (RFC 8032 §5.1.5)."""
    if isinstance(data, Ed25519PrivateKey):
        return data
    if not isinstance(data, bytes):
        raise KeyMaterialError(
            f"private key: expected PEM or {PUBLIC_KEY_SIZE} raw bytes, found {type(data).__name__}"
        )
    if len(data) == PUBLIC_KEY_SIZE:
        return Ed25519PrivateKey.from_private_bytes(data)
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm) as error:
        raise KeyMaterialError(f"private key: not an unencrypted PEM key ({error})") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyMaterialError(f"private key: expected an Ed25519 key, found {type(key).__name__}")
    return key


def sign_submission(
    *,
    private_key: Ed25519PrivateKey | bytes,
    event_hash: str,
    event_id: str,
    party_id: str,
    key_id: str,
) -> Submission:
    """A :class:`Submission` signed with ``private_key``, whose id must be ``key_id``."""
    signer = load_private_key(private_key)
    actual_id = key_id_for(signer.public_key())
    if key_id != actual_id:
        raise KeyMaterialError(
            f"key id: expected {actual_id} (the private key's id), found {key_id!r}"
        )
    unsigned = Submission(
        event_hash=event_hash, event_id=event_id, party_id=party_id, key_id=key_id
    )
    return unsigned.with_signature(signer.sign(unsigned.signed_bytes()))

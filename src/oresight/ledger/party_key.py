"""Party keys: an Ed25519 key of a submitting party, its id, and when it may be used.

A key's **id** is the first 8 bytes of SHA-256 over its raw 32-byte public key, as 16 lower-case
hex digits (:func:`key_id_for`). Every key has a **validity interval** ``[valid_from,
valid_until)``, half-open, with no end while ``valid_until`` is ``None``; a key revoked at ``T`` is
not valid from ``T`` on. The registry of keys is :class:`oresight.ledger.keys.KeyRegistry`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from oresight.ledger.entry import (
    KEY_ID_HEX_LENGTH,
    SubmissionError,
    as_utc,
    check_identifier,
    format_timestamp,
)
from oresight.ledger.errors import LedgerError

PUBLIC_KEY_SIZE = 32
"""Bytes in a raw Ed25519 public key (RFC 8032 §5.1.5)."""


class KeyMaterialError(LedgerError):
    """Key bytes that are not an Ed25519 key, or a key id that does not match its key."""


class KeyRegistryError(LedgerError):
    """A registry operation that cannot be done (duplicate key, nothing to rotate, ...)."""


class RegistryFormatError(KeyRegistryError):
    """A serialised registry that is not exactly the documented JSON form."""


class SubmissionRefused(LedgerError):
    """A submission that does not verify against the key registry."""


class UnsignedSubmission(SubmissionRefused):
    """A submission that carries no signature."""


class BadSignature(SubmissionRefused):
    """A signature that does not verify with the named key over the submission."""


class UnknownKey(SubmissionRefused, KeyRegistryError):
    """A key id that the registry does not hold."""


class KeyPartyMismatch(SubmissionRefused):
    """A submission whose key belongs to another party than the one it names."""


class KeyNotValid(SubmissionRefused):
    """A key that was not valid at the time the log accepted the submission."""


class KeyNotYetValid(KeyNotValid):
    """The submission was accepted before the key's validity began."""


class KeyExpired(KeyNotValid):
    """The submission was accepted at or after the end of the key's validity (e.g. rotation)."""


class KeyRevoked(KeyNotValid):
    """The submission was accepted at or after the key's revocation."""


def key_id_for(public_key: bytes | Ed25519PublicKey) -> str:
    """Key id of an Ed25519 public key: first 8 bytes of SHA-256(raw key), lower-case hex."""
    raw = _raw_public_key(public_key)
    return hashlib.sha256(raw).digest()[: KEY_ID_HEX_LENGTH // 2].hex()


def _raw_public_key(public_key: bytes | Ed25519PublicKey) -> bytes:
    if isinstance(public_key, Ed25519PublicKey):
        return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    if not isinstance(public_key, bytes) or len(public_key) != PUBLIC_KEY_SIZE:
        found = (
            f"{len(public_key)} bytes"
            if isinstance(public_key, bytes)
            else type(public_key).__name__
        )
        raise KeyMaterialError(
            f"public key: expected {PUBLIC_KEY_SIZE} raw Ed25519 bytes, found {found}"
        )
    return public_key


def aware(moment: datetime, *, field: str) -> datetime:
    """``moment`` in UTC; a naive time is a registry error naming ``field``."""
    try:
        return as_utc(moment, field=field)
    except SubmissionError as error:
        raise KeyRegistryError(str(error)) from None


@dataclass(frozen=True, slots=True, kw_only=True)
class PartyKey:
    """One party's Ed25519 public key with its validity interval and revocation, if any.

    Times are kept in UTC. ``valid_until`` (exclusive) must be after ``valid_from``;
    ``revoked_at`` and ``revocation_reason`` are given together or not at all.
    """

    party_id: str
    key_id: str
    public_key: bytes
    valid_from: datetime
    valid_until: datetime | None = None
    revoked_at: datetime | None = None
    revocation_reason: str | None = None

    def __post_init__(self) -> None:
        try:
            check_identifier(self.party_id, field="party id")
        except SubmissionError as error:
            raise KeyRegistryError(str(error)) from None
        expected_id = key_id_for(self.public_key)
        if self.key_id != expected_id:
            raise KeyMaterialError(
                f"key id: expected {expected_id} (from the public key), found {self.key_id!r}"
            )
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key)
        except (ValueError, UnsupportedAlgorithm) as error:
            raise KeyMaterialError(
                f"public key {self.key_id}: not an Ed25519 key ({error})"
            ) from None
        # Frozen, so normalise through object.__setattr__: every time is kept in UTC.
        object.__setattr__(self, "valid_from", aware(self.valid_from, field="valid from"))
        if self.valid_until is not None:
            until = aware(self.valid_until, field="valid until")
            if until <= self.valid_from:
                raise KeyRegistryError(
                    f"key {self.key_id}: expected valid_until after valid_from "
                    f"{format_timestamp(self.valid_from)}, found {format_timestamp(until)}"
                )
            object.__setattr__(self, "valid_until", until)
        if (self.revoked_at is None) != (self.revocation_reason is None):
            raise KeyRegistryError(
                f"key {self.key_id}: expected revoked_at and revocation_reason together, found "
                f"revoked_at={self.revoked_at!r}, revocation_reason={self.revocation_reason!r}"
            )
        if self.revoked_at is not None:
            object.__setattr__(self, "revoked_at", aware(self.revoked_at, field="revoked at"))
        if self.revocation_reason is not None and (
            not isinstance(self.revocation_reason, str) or not self.revocation_reason.strip()
        ):
            raise KeyRegistryError(
                f"key {self.key_id}: expected a non-empty revocation reason, "
                f"found {self.revocation_reason!r}"
            )

    @classmethod
    def from_public_key(
        cls,
        *,
        party_id: str,
        public_key: bytes | Ed25519PublicKey,
        valid_from: datetime,
        valid_until: datetime | None = None,
    ) -> PartyKey:
        """A key of ``party_id`` whose id is derived from ``public_key``."""
        raw = _raw_public_key(public_key)
        return cls(
            party_id=party_id,
            key_id=key_id_for(raw),
            public_key=raw,
            valid_from=valid_from,
            valid_until=valid_until,
        )

    def check_valid_at(self, at: datetime) -> None:
        """Raise the :class:`KeyNotValid` subclass that says why this key is not valid at ``at``."""
        moment = aware(at, field="at")
        when = format_timestamp(moment)
        if moment < self.valid_from:
            raise KeyNotYetValid(
                f"key {self.key_id} of party {self.party_id!r}: valid from "
                f"{format_timestamp(self.valid_from)}, but the submission was accepted at {when}"
            )
        # Revocation first: when a key is both expired and revoked, revocation is the stronger
        # statement and the one an investigator needs to see.
        if self.revoked_at is not None and moment >= self.revoked_at:
            raise KeyRevoked(
                f"key {self.key_id} of party {self.party_id!r}: revoked at "
                f"{format_timestamp(self.revoked_at)} ({self.revocation_reason}), but the "
                f"submission was accepted at {when}"
            )
        if self.valid_until is not None and moment >= self.valid_until:
            raise KeyExpired(
                f"key {self.key_id} of party {self.party_id!r}: valid until "
                f"{format_timestamp(self.valid_until)} (exclusive), but the submission was "
                f"accepted at {when}"
            )

    def is_valid_at(self, at: datetime) -> bool:
        """Whether a submission accepted at ``at`` may use this key."""
        try:
            self.check_valid_at(at)
        except KeyNotValid:
            return False
        return True

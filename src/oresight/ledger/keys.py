"""Party keys: who may submit custody events to the log, with which Ed25519 key, and when.

Each submitting party (an FtM entity) holds one or more Ed25519 keys (RFC 8032). A key's **id** is
the first 8 bytes of SHA-256 over its raw 32-byte public key, as 16 lower-case hex digits
(:func:`key_id_for`); the registry refuses two keys with the same id, so an id names one key.

Every key has a **validity interval** ``[valid_from, valid_until)``, half-open, with no end while
``valid_until`` is ``None``. :meth:`KeyRegistry.rotate` closes the party's current key at the
rotation instant and opens the new key at that same instant: no gap and no overlap, and entries
signed with the old key inside its interval stay verifiable for ever, because a submission is
judged at the time the log **accepted** it, not at the time someone verifies it.

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

The registry is kept as JSON (:meth:`KeyRegistry.to_json`, :meth:`KeyRegistry.from_json`)::

    {"format": "oresight.ledger.key-registry/v1",
     "keys": [{"party_id": "...", "key_id": "<16 hex>", "public_key": "<base64 of 32 bytes>",
               "valid_from": "2024-05-01T12:00:00.000000Z", "valid_until": null,
               "revoked_at": null, "revocation_reason": null}]}

Parsing is strict: exactly these members, no duplicates, canonical base64 and timestamps, and a
key id that matches its public key.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from oresight.ledger.entry import (
    KEY_ID_HEX_LENGTH,
    LeafEntry,
    Submission,
    SubmissionError,
    as_utc,
    check_identifier,
    format_timestamp,
    parse_timestamp,
)
from oresight.ledger.errors import LedgerError

PUBLIC_KEY_SIZE = 32
"""Bytes in a raw Ed25519 public key (RFC 8032 §5.1.5)."""

REGISTRY_FORMAT = "oresight.ledger.key-registry/v1"
"""Value of the ``format`` member of a serialised registry."""

_KEY_MEMBERS = (
    "party_id",
    "key_id",
    "public_key",
    "valid_from",
    "valid_until",
    "revoked_at",
    "revocation_reason",
)


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


def _aware(moment: datetime, *, field: str) -> datetime:
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
        object.__setattr__(self, "valid_from", _aware(self.valid_from, field="valid from"))
        if self.valid_until is not None:
            until = _aware(self.valid_until, field="valid until")
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
            object.__setattr__(self, "revoked_at", _aware(self.revoked_at, field="revoked at"))
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
        moment = _aware(at, field="at")
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
        moment = _aware(at, field="at")
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
            key, revoked_at=_aware(at, field="at"), revocation_reason=reason
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
        moment = _aware(at, field="at")
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
        """The registry as JSON text (module docstring), keys in registration order."""
        document = {
            "format": REGISTRY_FORMAT,
            "keys": [_key_to_json(key) for key in self._keys.values()],
        }
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"

    @classmethod
    def from_json(cls, text: str | bytes) -> KeyRegistry:
        """Parse :meth:`to_json` output strictly; errors name the member and what was wrong."""
        try:
            document = json.loads(text, object_pairs_hook=_refuse_duplicate_members)
        except (ValueError, UnicodeDecodeError) as error:
            raise RegistryFormatError(f"key registry: not valid JSON ({error})") from None
        _expect_members(document, ("format", "keys"), where="key registry")
        if document["format"] != REGISTRY_FORMAT:
            raise RegistryFormatError(
                f"key registry format: expected {REGISTRY_FORMAT!r}, found {document['format']!r}"
            )
        items = document["keys"]
        if not isinstance(items, list):
            raise RegistryFormatError(
                f"key registry keys: expected a list, found {type(items).__name__}"
            )
        registry = cls()
        for index, item in enumerate(items):
            where = f"keys[{index}]"
            try:
                registry.register(_key_from_json(item, where=where))
            except RegistryFormatError:
                raise
            except LedgerError as error:
                raise RegistryFormatError(f"{where}: {error}") from None
        return registry


def _key_to_json(key: PartyKey) -> dict[str, str | None]:
    def moment(value: datetime | None) -> str | None:
        return None if value is None else format_timestamp(value)

    return {
        "party_id": key.party_id,
        "key_id": key.key_id,
        "public_key": base64.b64encode(key.public_key).decode("ascii"),
        "valid_from": format_timestamp(key.valid_from),
        "valid_until": moment(key.valid_until),
        "revoked_at": moment(key.revoked_at),
        "revocation_reason": key.revocation_reason,
    }


def _key_from_json(item: Any, *, where: str) -> PartyKey:
    _expect_members(item, _KEY_MEMBERS, where=where)
    required = ("party_id", "key_id", "public_key", "valid_from")
    for name in _KEY_MEMBERS:
        value = item[name]
        if not (isinstance(value, str) or (value is None and name not in required)):
            expected = "a string" if name in required else "a string or null"
            raise RegistryFormatError(
                f"{where}.{name}: expected {expected}, found {json.dumps(value)}"
            )

    def moment(name: str) -> datetime | None:
        value = item[name]
        if value is None:
            return None
        try:
            return parse_timestamp(value, field=f"{where}.{name}")
        except SubmissionError as error:
            raise RegistryFormatError(str(error)) from None

    encoded = item["public_key"]
    try:
        public_key = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        public_key = None
    if public_key is None or base64.b64encode(public_key).decode("ascii") != encoded:
        raise RegistryFormatError(
            f"{where}.public_key: expected canonical base64 of {PUBLIC_KEY_SIZE} bytes, "
            f"found {encoded!r}"
        )
    valid_from = moment("valid_from")
    assert valid_from is not None  # required, checked above
    return PartyKey(
        party_id=item["party_id"],
        key_id=item["key_id"],
        public_key=public_key,
        valid_from=valid_from,
        valid_until=moment("valid_until"),
        revoked_at=moment("revoked_at"),
        revocation_reason=item["revocation_reason"],
    )


def _refuse_duplicate_members(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    document: dict[str, Any] = {}
    for name, value in pairs:
        if name in document:
            raise RegistryFormatError(f"key registry: member {name!r} appears twice")
        document[name] = value
    return document


def _expect_members(item: Any, names: tuple[str, ...], *, where: str) -> None:
    if not isinstance(item, dict):
        raise RegistryFormatError(f"{where}: expected a JSON object, found {json.dumps(item)}")
    missing = [name for name in names if name not in item]
    extra = sorted(set(item) - set(names))
    if missing or extra:
        raise RegistryFormatError(
            f"{where}: expected members {list(names)}, found missing {missing}, extra {extra}"
        )


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

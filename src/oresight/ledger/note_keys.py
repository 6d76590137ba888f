"""Ed25519 keys for signed notes (signature type 0x01), in Go's sumdb/note text encodings.

A key is named in signature lines by ``(key name, key id)``, where the key id is the first four
bytes of ``SHA-256(name || 0x0A || signature type || public key)`` (c2sp.org/signed-note). Keys
travel as text: a verifier key is ``<name>+<hex key id>+<base64(type || public key)>``, a signer
key is ``PRIVATE+KEY+<name>+<hex key id>+<base64(type || private key)>``
(``golang.org/x/mod/sumdb/note``). The helpers here serve other signature types too
(:mod:`oresight.ledger.cosignature` uses type 0x04).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import ClassVar, Self

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from oresight.ledger.note import (
    KEY_ID_SIZE,
    NoteError,
    NoteKeyError,
    check_key_name,
    decode_base64,
    encode_base64,
)

SIGNATURE_TYPE_ED25519 = 0x01  # signed-note, "Signature types"
ED25519_PUBLIC_KEY_SIZE = 32  # RFC 8032 section 5.1.5
ED25519_PRIVATE_KEY_SIZE = 32  # the RFC 8032 seed, as Go's note package stores it
ED25519_SIGNATURE_SIZE = 64  # RFC 8032 section 5.1.6
PRIVATE_KEY_PREFIX = "PRIVATE+KEY+"

_KEY_ID_HEX = re.compile(r"[0-9a-f]{8}")

# The y-coordinates of the Ed25519 points of small order (RFC 8032 section 5.1): with such a
# "public key" signatures can be forged without any private key, and OpenSSL verifies them.
_ED25519_P = 2**255 - 19  # RFC 8032 section 5.1, the field prime
_ORDER_8_Y = 0x05FC536D880238B13933C6D305ACDFD5F098EFF289F4C345B027B2C28F95E826
_SMALL_ORDER_Y = frozenset({0, 1, _ED25519_P - 1, _ORDER_8_Y, _ED25519_P - _ORDER_8_Y})


def compute_key_id(name: str, signature_type: int, public_key: bytes) -> int:
    """The recommended key id: ``SHA-256(name || 0x0A || type || public key)[:4]``, big-endian."""
    digest = hashlib.sha256(
        name.encode("utf-8") + b"\n" + bytes([signature_type]) + public_key
    ).digest()
    return int.from_bytes(digest[:KEY_ID_SIZE], "big")


def decode_key_text(text: str, *, signature_type: int, private: bool) -> tuple[str, int, bytes]:
    """Split a Go sumdb/note key text into ``(name, key id, key material)``.

    The key id written in the text is returned as written; callers check it against the id they
    compute from the public key, which only they know how to derive.
    """
    kind = "signer key" if private else "verifier key"
    body = text.strip()
    if private:
        if not body.startswith(PRIVATE_KEY_PREFIX):
            raise NoteKeyError(f"{kind} must start with {PRIVATE_KEY_PREFIX!r}")
        body = body[len(PRIVATE_KEY_PREFIX) :]
    elif body.startswith(PRIVATE_KEY_PREFIX):
        raise NoteKeyError("expected a verifier key, got a PRIVATE signer key; never share it")
    # Base64 may itself hold '+', so only the first two separate fields (as in Go's NewVerifier).
    parts = body.split("+", 2)
    if len(parts) != 3:
        raise NoteKeyError(f"{kind} must be name+keyid+base64key, found {len(parts)} '+'-parts")
    name, key_id_hex, key_b64 = parts
    check_key_name(name)
    if not _KEY_ID_HEX.fullmatch(key_id_hex):
        raise NoteKeyError(
            f"{kind} {name!r}: key id must be 8 lowercase hex digits, got {key_id_hex!r}"
        )
    try:
        encoded = decode_base64(key_b64, what=f"{kind} {name!r}")
    except NoteError as exc:
        raise NoteKeyError(str(exc)) from exc
    if not encoded or encoded[0] != signature_type:
        found = f"0x{encoded[0]:02x}" if encoded else "nothing"
        raise NoteKeyError(
            f"{kind} {name!r}: expected signature type 0x{signature_type:02x}, found {found}"
        )
    return name, int(key_id_hex, 16), encoded[1:]


def encode_key_text(
    name: str, key_id: int, *, signature_type: int, key: bytes, private: bool
) -> str:
    """The Go sumdb/note text encoding of a key (``PRIVATE+KEY+`` first for a signer key)."""
    text = f"{name}+{key_id:08x}+{encode_base64(bytes([signature_type]) + key)}"
    return PRIVATE_KEY_PREFIX + text if private else text


def check_key_id(name: str, *, written: int, computed: int) -> None:
    """Refuse a key text whose key id does not match the one computed from its key."""
    if written != computed:
        raise NoteKeyError(
            f"key {name!r}: text says key id {written:08x}, computed {computed:08x} from the key"
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class PublicNoteKey:
    """An Ed25519 public key for one note signature type: a name and 32 key bytes.

    Subclasses set :attr:`SIGNATURE_TYPE`; the key id and the text form depend on it.
    """

    SIGNATURE_TYPE: ClassVar[int] = SIGNATURE_TYPE_ED25519
    name: str
    public_key: bytes
    key_id: int = field(init=False)

    def __post_init__(self) -> None:
        check_key_name(self.name)
        check_ed25519_public_key(self.public_key, name=self.name)
        key_id = compute_key_id(self.name, self.SIGNATURE_TYPE, self.public_key)
        object.__setattr__(self, "key_id", key_id)

    @classmethod
    def from_text(cls, text: str) -> Self:
        """Read ``name+keyid+base64(type || public key)``, checking the key id."""
        name, written, key = decode_key_text(text, signature_type=cls.SIGNATURE_TYPE, private=False)
        parsed = cls(name=name, public_key=key)
        check_key_id(name, written=written, computed=parsed.key_id)
        return parsed

    def to_text(self) -> str:
        """The Go sumdb/note verifier key text."""
        return encode_key_text(
            self.name,
            self.key_id,
            signature_type=self.SIGNATURE_TYPE,
            key=self.public_key,
            private=False,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class PrivateNoteKey:
    """An Ed25519 private key for one note signature type. Its private half never prints."""

    SIGNATURE_TYPE: ClassVar[int] = SIGNATURE_TYPE_ED25519
    name: str
    private_key: bytes = field(repr=False)
    public_key: bytes = field(init=False)
    key_id: int = field(init=False)

    def __post_init__(self) -> None:
        check_key_name(self.name)
        public_key = ed25519_public_key(self.private_key, name=self.name)
        object.__setattr__(self, "public_key", public_key)
        key_id = compute_key_id(self.name, self.SIGNATURE_TYPE, public_key)
        object.__setattr__(self, "key_id", key_id)

    @classmethod
    def from_text(cls, text: str) -> Self:
        """Read ``PRIVATE+KEY+name+keyid+base64(type || private key)``, checking the key id."""
        name, written, key = decode_key_text(text, signature_type=cls.SIGNATURE_TYPE, private=True)
        parsed = cls(name=name, private_key=key)
        check_key_id(name, written=written, computed=parsed.key_id)
        return parsed

    def to_text(self) -> str:
        """The Go sumdb/note signer key text; keep it secret."""
        return encode_key_text(
            self.name,
            self.key_id,
            signature_type=self.SIGNATURE_TYPE,
            key=self.private_key,
            private=True,
        )

    def sign(self, text: bytes) -> bytes:
        """The Ed25519 signature (RFC 8032, deterministic) of ``text``."""
        return Ed25519PrivateKey.from_private_bytes(self.private_key).sign(text)


@dataclass(frozen=True, slots=True, kw_only=True)
class VerifierKey(PublicNoteKey):
    """An Ed25519 note verifier key (signature type 0x01)."""

    def verify(self, text: bytes, signature: bytes) -> bool:
        """Whether ``signature`` is this key's Ed25519 signature (RFC 8032) of ``text``."""
        return verify_ed25519(self.public_key, text, signature)


@dataclass(frozen=True, slots=True, kw_only=True)
class SignerKey(PrivateNoteKey):
    """An Ed25519 note signer key (signature type 0x01)."""

    @property
    def verifier_key(self) -> VerifierKey:
        """The public half, to give to verifiers."""
        return VerifierKey(name=self.name, public_key=self.public_key)


def ed25519_public_key(private_key: bytes, *, name: str) -> bytes:
    """The 32-byte public key of a 32-byte Ed25519 seed."""
    if len(private_key) != ED25519_PRIVATE_KEY_SIZE:
        raise NoteKeyError(
            f"key {name!r}: Ed25519 private key must be {ED25519_PRIVATE_KEY_SIZE} bytes, "
            f"got {len(private_key)}"
        )
    public = Ed25519PrivateKey.from_private_bytes(private_key).public_key()
    return public.public_bytes(Encoding.Raw, PublicFormat.Raw)


def check_ed25519_public_key(public_key: bytes, *, name: str) -> None:
    """Refuse an Ed25519 public key of the wrong length or of small order (a forgeable key)."""
    if len(public_key) != ED25519_PUBLIC_KEY_SIZE:
        raise NoteKeyError(
            f"key {name!r}: Ed25519 public key must be {ED25519_PUBLIC_KEY_SIZE} bytes, "
            f"got {len(public_key)}"
        )
    # The encoding is y in little-endian with x's sign in the top bit; reducing modulo p also
    # catches non-canonical spellings of the same points.
    y = (int.from_bytes(public_key, "little") & ((1 << 255) - 1)) % _ED25519_P
    if y in _SMALL_ORDER_Y:
        raise NoteKeyError(f"key {name!r}: Ed25519 public key is a point of small order")
    try:
        Ed25519PublicKey.from_public_bytes(public_key)
    except ValueError as exc:
        raise NoteKeyError(f"key {name!r}: not an Ed25519 public key: {exc}") from exc


def verify_ed25519(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """Whether ``signature`` is a valid RFC 8032 Ed25519 signature of ``message``."""
    if len(signature) != ED25519_SIGNATURE_SIZE:
        return False
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True


def generate_ed25519_seed() -> bytes:
    """A fresh random 32-byte Ed25519 private key."""
    return Ed25519PrivateKey.generate().private_bytes_raw()


def generate_signer_key(name: str) -> SignerKey:
    """A fresh random Ed25519 signer key named ``name``."""
    return SignerKey(name=name, private_key=generate_ed25519_seed())

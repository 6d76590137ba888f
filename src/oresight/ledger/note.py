"""C2SP signed notes (https://c2sp.org/signed-note), as Go's sumdb/note writes them.

A signed note is UTF-8 text ending in a newline, a blank line, then one or more signature lines
``— <key name> <base64(key id || signature)>``. A key is named by ``(key name, key id)``; the keys
themselves (Ed25519, and their Go text encodings) are in :mod:`oresight.ledger.note_keys`.

Opening a note follows the spec's rules: signatures by unknown keys are kept but never trusted;
a signature by a known key must verify or the whole note is refused; at least one known key
must have signed. The note text must be ignored unless :func:`open_note` returned it.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from oresight.ledger.errors import LedgerError

SIGNATURE_LINE_PREFIX = "— "  # U+2014 em dash, then U+0020 space
KEY_ID_SIZE = 4  # bytes; a big-endian uint32
# The spec asks verifiers to cap signatures and to accept at least 16; Go's note.Open allows 100.
MAX_SIGNATURES = 100


class NoteError(LedgerError):
    """A signed note, signature line or key text that is not well formed."""


class NoteKeyError(NoteError):
    """A key whose text encoding, name, type or key id is wrong."""


class NoteVerificationError(LedgerError):
    """A note whose signatures do not establish that a trusted key signed it."""


def check_key_name(name: str) -> None:
    """Refuse a key name the spec forbids: empty, or holding a Unicode space, ``+`` or control."""
    if not name:
        raise NoteKeyError("key name is empty")
    for char in name:
        if char.isspace() or char == "+" or ord(char) < 0x20 or char == "\x7f":
            raise NoteKeyError(
                f"key name {name!r} contains {char!r}; spaces, '+' and controls are not allowed"
            )


def decode_base64(text: str, *, what: str) -> bytes:
    """Decode standard padded base64 (RFC 4648 section 4), refusing any other spelling.

    Re-encoding must give back the text: otherwise two spellings (unused low bits, missing
    padding) would name the same bytes, and a changed note could still verify.
    """
    try:
        decoded = base64.b64decode(text.encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error) as exc:
        raise NoteError(f"{what} is not valid base64: {text!r}") from exc
    if base64.b64encode(decoded).decode("ascii") != text:
        raise NoteError(f"{what} is not canonical base64: {text!r}")
    return decoded


def encode_base64(data: bytes) -> str:
    """Standard padded base64 (RFC 4648 section 4)."""
    return base64.b64encode(data).decode("ascii")


class Verifier(Protocol):
    """Anything that checks note signatures of one ``(name, key id)``."""

    @property
    def name(self) -> str:
        """The key name in signature lines."""

    @property
    def key_id(self) -> int:
        """The key id in signature lines."""

    def verify(self, text: bytes, signature: bytes) -> bool:
        """Whether ``signature`` (without its key id) is this key's signature of ``text``."""


class Signer(Protocol):
    """Anything that signs note text as one ``(name, key id)``."""

    @property
    def name(self) -> str:
        """The key name in signature lines."""

    @property
    def key_id(self) -> int:
        """The key id in signature lines."""

    def sign(self, text: bytes) -> bytes:
        """The signature of ``text`` (without the key id)."""


@dataclass(frozen=True, slots=True)
class NoteSignature:
    """One signature line: key name, key id, and the signature bytes after the key id."""

    name: str
    key_id: int
    signature: bytes

    def to_line(self) -> str:
        """``— <name> <base64(key id || signature)>`` without the newline."""
        payload = self.key_id.to_bytes(KEY_ID_SIZE, "big") + self.signature
        return f"{SIGNATURE_LINE_PREFIX}{self.name} {encode_base64(payload)}"


@dataclass(frozen=True, slots=True)
class ParsedNote:
    """A note split into text and signatures, none of them checked yet: do not trust the text."""

    text: str
    signatures: tuple[NoteSignature, ...]


@dataclass(frozen=True, slots=True)
class Note:
    """A note opened by :func:`open_note`: its text, the signatures that verified, and the rest.

    ``unverified`` holds signatures by keys the caller did not name; they prove nothing.
    """

    text: str
    verified: tuple[NoteSignature, ...]
    unverified: tuple[NoteSignature, ...]

    def signed_by(self, name: str, key_id: int) -> NoteSignature | None:
        """The verified signature of key ``(name, key_id)``, if it signed."""
        for signature in self.verified:
            if (signature.name, signature.key_id) == (name, key_id):
                return signature
        return None


def check_note_text(text: str) -> None:
    """Refuse note text that is empty, lacks its final newline, or holds control characters."""
    if not text.endswith("\n"):
        raise NoteError("note text must end with a newline")
    if text == "\n":
        raise NoteError("note text is empty")
    _check_characters(text, where="note text")


def _check_characters(text: str, *, where: str) -> None:
    for position, char in enumerate(text):
        # The spec forbids ASCII controls other than newline; a lone surrogate cannot be UTF-8.
        if (ord(char) < 0x20 and char != "\n") or 0xD800 <= ord(char) <= 0xDFFF:
            raise NoteError(f"{where} has forbidden character {char!r} at offset {position}")


def parse_signature_line(line: str) -> NoteSignature:
    """Read ``— <name> <base64(key id || signature)>`` (without its newline)."""
    if not line.startswith(SIGNATURE_LINE_PREFIX):
        raise NoteError(f"signature line must start with an em dash and a space: {line!r}")
    name, space, payload_b64 = line[len(SIGNATURE_LINE_PREFIX) :].partition(" ")
    if not space:
        raise NoteError(f"signature line has no space between name and signature: {line!r}")
    try:
        check_key_name(name)
    except NoteKeyError as exc:
        raise NoteError(f"signature line: {exc}") from exc
    payload = decode_base64(payload_b64, what=f"signature of {name!r}")
    if len(payload) <= KEY_ID_SIZE:
        raise NoteError(
            f"signature of {name!r} must hold a {KEY_ID_SIZE}-byte key id and a signature, "
            f"got {len(payload)} bytes"
        )
    key_id = int.from_bytes(payload[:KEY_ID_SIZE], "big")
    return NoteSignature(name=name, key_id=key_id, signature=payload[KEY_ID_SIZE:])


def parse_note(data: bytes) -> ParsedNote:
    """Split a signed note into its text and signature lines, refusing anything malformed.

    Nothing is verified: the text must not be trusted until :func:`open_note` has checked it.
    """
    try:
        message = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise NoteError(f"note is not valid UTF-8 (byte offset {exc.start})") from exc
    _check_characters(message, where="note")
    # The text ends at the *last* blank line: the text may hold blank lines, signatures cannot.
    split = message.rfind("\n\n")
    if split < 0:
        raise NoteError("note has no blank line between its text and its signatures")
    text, block = message[: split + 1], message[split + 2 :]
    if not block:
        raise NoteError("note has no signature lines")
    if not block.endswith("\n"):
        raise NoteError("note must end with a newline after its last signature line")
    check_note_text(text)
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise NoteError(f"note has {len(lines)} signatures; at most {MAX_SIGNATURES} are read")
    return ParsedNote(text=text, signatures=tuple(parse_signature_line(line) for line in lines))


def format_note(text: str, signatures: Sequence[NoteSignature]) -> bytes:
    """Serialise a note: text, blank line, one signature line each, as UTF-8."""
    check_note_text(text)
    if not signatures:
        raise NoteError("a signed note needs at least one signature")
    if len(signatures) > MAX_SIGNATURES:
        raise NoteError(f"{len(signatures)} signatures; at most {MAX_SIGNATURES} are allowed")
    lines = []
    for signature in signatures:
        line = signature.to_line()
        # Round-trip each line so that we never write what we would refuse to read.
        if parse_signature_line(line) != signature:
            raise NoteError(f"signature of {signature.name!r} cannot be written")
        lines.append(line + "\n")
    return (text + "\n" + "".join(lines)).encode("utf-8")


def sign_note(text: str, signers: Sequence[Signer]) -> bytes:
    """Sign ``text`` with every signer and return the signed note."""
    check_note_text(text)
    message = text.encode("utf-8")
    return format_note(text, [NoteSignature(s.name, s.key_id, s.sign(message)) for s in signers])


def add_signatures(note: bytes, signatures: Iterable[NoteSignature]) -> bytes:
    """The note with more signature lines appended; a key may sign a note only once."""
    parsed = parse_note(note)
    combined = list(parsed.signatures)
    present = {(s.name, s.key_id) for s in combined}
    for signature in signatures:
        if (signature.name, signature.key_id) in present:
            raise NoteError(
                f"note already carries a signature by {signature.name!r} "
                f"(key id {signature.key_id:08x})"
            )
        present.add((signature.name, signature.key_id))
        combined.append(signature)
    return format_note(parsed.text, combined)


def open_note(note: bytes, verifiers: Sequence[Verifier]) -> Note:
    """Parse ``note`` and verify it against the trusted ``verifiers``.

    Per the spec: a signature whose ``(name, key id)`` matches no verifier is kept in
    ``unverified``; one that matches must verify, or the whole note is refused; a key that signs
    twice is refused; and at least one trusted key must have signed.
    """
    known: dict[tuple[str, int], Verifier] = {}
    for verifier in verifiers:
        identity = (verifier.name, verifier.key_id)
        if identity in known:
            raise NoteVerificationError(
                f"two verifiers share name {verifier.name!r} and key id {verifier.key_id:08x}"
            )
        known[identity] = verifier
    parsed = parse_note(note)
    message = parsed.text.encode("utf-8")
    verified: list[NoteSignature] = []
    unverified: list[NoteSignature] = []
    seen: set[tuple[str, int]] = set()
    for signature in parsed.signatures:
        identity = (signature.name, signature.key_id)
        known_key = known.get(identity)
        if known_key is None:
            unverified.append(signature)
            continue
        if identity in seen:
            raise NoteVerificationError(
                f"key {signature.name!r} (key id {signature.key_id:08x}) signed the note twice"
            )
        seen.add(identity)
        if not known_key.verify(message, signature.signature):
            raise NoteVerificationError(
                f"signature by {signature.name!r} (key id {signature.key_id:08x}) does not "
                "verify: the note was changed or signed by another key"
            )
        verified.append(signature)
    if not verified:
        names = ", ".join(f"{v.name}+{v.key_id:08x}" for v in verifiers) or "none"
        found = ", ".join(f"{s.name}+{s.key_id:08x}" for s in parsed.signatures)
        raise NoteVerificationError(
            f"note is not signed by any trusted key: expected one of [{names}], found [{found}]"
        )
    return Note(text=parsed.text, verified=tuple(verified), unverified=tuple(unverified))

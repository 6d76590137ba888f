"""What a leaf of the custody log commits to: a signed submission and the time the log accepted it.

A **submission** names one custody event by its CBV 2.0 canonical event hash
(``ni:///sha-256;<64 lower-case hex>?ver=CBV2.0``, RFC 6920), the event's id (its key in the log:
the EPCIS ``eventID``, or that same hash), the submitting party (an FtM entity id) and the id of
the submitter's key (see :func:`oresight.ledger.keys.key_id_for`). The party signs, with Ed25519
(RFC 8032), these exact UTF-8 bytes, each line ending in one ``\\n``::

    oresight.ledger.submission/v1
    event-hash ni:///sha-256;<64 hex>?ver=CBV2.0
    event-id <event id>
    party <party id>
    key-id <16 hex>

A **leaf** is what the log hashes into its Merkle tree (RFC 9162 §2.1.1 adds the ``0x00`` prefix;
that is the tree's business, not this module's). Its bytes are, again UTF-8 with ``\\n`` endings::

    oresight.ledger.leaf/v1
    accepted-at 2024-05-01T12:00:00.000000Z
    event-hash ni:///sha-256;<64 hex>?ver=CBV2.0
    event-id <event id>
    party <party id>
    key-id <16 hex>
    signature <128 lower-case hex: the 64-byte Ed25519 signature>

Why this shape:

- The first line names the format and its version, so the signed message cannot be mistaken for
  any other message a party signs (domain separation), and a later format can coexist.
- Fields come in a fixed order behind fixed labels, one per line. Ids may not contain control
  characters (so no ``\\n`` or ``\\r``) nor Unicode line or paragraph separators, nor start or end
  with whitespace, so every field ends at the first ``\\n`` after its label: two different
  submissions never give the same bytes.
- The acceptance time is UTC with exactly six fractional digits (whole microseconds, Python's own
  resolution), so one instant has one spelling. Aware datetimes in another zone are converted to
  UTC; naive datetimes are refused because their instant is unknown.
- Hex is lower case only and there is one spelling of everything, so :func:`parse_leaf_bytes`
  refuses any input that :meth:`LeafEntry.to_leaf_bytes` would not have written.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime

from oresight.ledger.errors import LedgerError

SUBMISSION_HEADER = "oresight.ledger.submission/v1"
"""First line of the message a party signs."""

LEAF_HEADER = "oresight.ledger.leaf/v1"
"""First line of a leaf's bytes."""

SIGNATURE_SIZE = 64
"""Bytes in an Ed25519 signature (RFC 8032 §5.1.6)."""

KEY_ID_HEX_LENGTH = 16
"""A key id is 8 bytes, written as 16 lower-case hex digits."""

MAX_ID_BYTES = 1024
"""Longest event or party id, in UTF-8 bytes; bounds the size of a leaf."""

_EVENT_HASH = re.compile(r"ni:///sha-256;[0-9a-f]{64}\?ver=CBV2\.0")
_KEY_ID = re.compile(rf"[0-9a-f]{{{KEY_ID_HEX_LENGTH}}}")
_SIGNATURE_HEX = re.compile(rf"[0-9a-f]{{{2 * SIGNATURE_SIZE}}}")
_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z")
# Cc: C0/C1 controls and DEL; Cs: lone surrogates (not encodable); Zl/Zp: U+2028/U+2029, which
# many readers treat as line breaks and which would make a line-based format ambiguous to them.
_FORBIDDEN_CATEGORIES = frozenset({"Cc", "Cs", "Zl", "Zp"})


class SubmissionError(LedgerError):
    """A submission or leaf field that does not have the required form."""


class MalformedEventHash(SubmissionError):
    """An event hash that is not a CBV 2.0 hash id ``ni:///sha-256;<64 hex>?ver=CBV2.0``."""


class LeafFormatError(LedgerError):
    """Leaf bytes that are not exactly what :meth:`LeafEntry.to_leaf_bytes` writes."""


def check_event_hash(value: str) -> str:
    """Return ``value`` if it is a CBV 2.0 event hash id; raise :class:`MalformedEventHash`."""
    if not isinstance(value, str) or _EVENT_HASH.fullmatch(value) is None:
        raise MalformedEventHash(
            "event hash: expected a CBV 2.0 hash id 'ni:///sha-256;<64 lower-case hex>?ver=CBV2.0',"
            f" found {value!r}"
        )
    return value


def check_key_id(value: str) -> str:
    """Return ``value`` if it has the form of a key id (16 lower-case hex digits)."""
    if not isinstance(value, str) or _KEY_ID.fullmatch(value) is None:
        raise SubmissionError(
            f"key id: expected {KEY_ID_HEX_LENGTH} lower-case hex digits, found {value!r}"
        )
    return value


def check_identifier(value: str, *, field: str) -> str:
    """Return ``value`` if it can be one line of the canonical text; raise :class:`SubmissionError`.

    Refused: non-strings, the empty string, leading or trailing whitespace, control characters,
    lone surrogates, Unicode line/paragraph separators, and more than :data:`MAX_ID_BYTES` bytes.
    """
    if not isinstance(value, str):
        raise SubmissionError(f"{field}: expected a string, found {type(value).__name__}")
    if not value:
        raise SubmissionError(f"{field}: expected a non-empty id, found ''")
    for position, char in enumerate(value):
        if unicodedata.category(char) in _FORBIDDEN_CATEGORIES:
            raise SubmissionError(
                f"{field}: control or line-separator characters are not allowed, found "
                f"U+{ord(char):04X} at position {position} of {value!r}"
            )
    if value != value.strip():
        raise SubmissionError(
            f"{field}: expected no leading or trailing whitespace, found {value!r}"
        )
    size = len(value.encode("utf-8"))
    if size > MAX_ID_BYTES:
        raise SubmissionError(f"{field}: expected at most {MAX_ID_BYTES} UTF-8 bytes, found {size}")
    return value


def format_timestamp(moment: datetime) -> str:
    """Render an aware datetime as UTC ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` (the one canonical form)."""
    utc = as_utc(moment, field="timestamp")
    return (
        f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d}T"
        f"{utc.hour:02d}:{utc.minute:02d}:{utc.second:02d}.{utc.microsecond:06d}Z"
    )


def parse_timestamp(text: str, *, field: str = "timestamp") -> datetime:
    """Parse the canonical form written by :func:`format_timestamp`; refuse any other spelling."""
    expected = "a UTC timestamp like 2024-05-01T12:00:00.000000Z"
    if not isinstance(text, str) or _TIMESTAMP.fullmatch(text) is None:
        raise SubmissionError(f"{field}: expected {expected}, found {text!r}")
    try:
        moment = datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    except ValueError:
        raise SubmissionError(f"{field}: expected {expected}, found {text!r}") from None
    # The pattern already fixes the digits; writing back guards the rule "one instant, one
    # spelling" against any leniency strptime has now or gains later.
    if format_timestamp(moment) != text:
        raise SubmissionError(f"{field}: expected {expected}, found {text!r}")
    return moment


def as_utc(moment: datetime, *, field: str) -> datetime:
    """Return ``moment`` converted to UTC; refuse naive datetimes, whose instant is unknown."""
    if not isinstance(moment, datetime):
        raise SubmissionError(f"{field}: expected a datetime, found {type(moment).__name__}")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise SubmissionError(f"{field}: expected a timezone-aware datetime, found naive {moment}")
    return moment.astimezone(UTC)


@dataclass(frozen=True, slots=True, kw_only=True)
class Submission:
    """A party's claim that it submits one custody event to the log, with its Ed25519 signature.

    ``signature`` is ``None`` for a submission not yet signed (see
    :func:`oresight.ledger.keys.sign_submission`); a log refuses such a submission.
    """

    event_hash: str
    event_id: str
    party_id: str
    key_id: str
    signature: bytes | None = None

    def __post_init__(self) -> None:
        check_event_hash(self.event_hash)
        check_identifier(self.event_id, field="event id")
        check_identifier(self.party_id, field="party id")
        check_key_id(self.key_id)
        if self.signature is not None:
            if not isinstance(self.signature, bytes):
                raise SubmissionError(
                    f"signature: expected bytes, found {type(self.signature).__name__}"
                )
            if len(self.signature) != SIGNATURE_SIZE:
                raise SubmissionError(
                    f"signature: expected {SIGNATURE_SIZE} bytes (Ed25519), "
                    f"found {len(self.signature)}"
                )

    @property
    def is_signed(self) -> bool:
        """Whether the submission carries a signature (not whether it verifies)."""
        return self.signature is not None

    def signed_bytes(self) -> bytes:
        """The exact bytes the submitting party signs (see the module docstring)."""
        return (
            f"{SUBMISSION_HEADER}\n"
            f"event-hash {self.event_hash}\n"
            f"event-id {self.event_id}\n"
            f"party {self.party_id}\n"
            f"key-id {self.key_id}\n"
        ).encode()

    def with_signature(self, signature: bytes) -> Submission:
        """The same submission carrying ``signature``."""
        return Submission(
            event_hash=self.event_hash,
            event_id=self.event_id,
            party_id=self.party_id,
            key_id=self.key_id,
            signature=signature,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class LeafEntry:
    """One leaf of the log: a signed submission and the UTC time the log accepted it.

    ``accepted_at`` is kept in UTC at microsecond resolution; an aware datetime in another zone is
    converted, a naive one refused.
    """

    submission: Submission
    accepted_at: datetime

    def __post_init__(self) -> None:
        if not isinstance(self.submission, Submission):
            raise SubmissionError(
                f"submission: expected a Submission, found {type(self.submission).__name__}"
            )
        if self.submission.signature is None:
            raise SubmissionError(
                f"submission of event {self.submission.event_id!r}: a leaf needs a signed "
                "submission, found no signature"
            )
        # Frozen, so normalise through object.__setattr__: one instant, one representation.
        object.__setattr__(self, "accepted_at", as_utc(self.accepted_at, field="accepted at"))

    @property
    def event_id(self) -> str:
        """The leaf's key in the log."""
        return self.submission.event_id

    def to_leaf_bytes(self) -> bytes:
        """The canonical bytes of this leaf, the data the Merkle tree hashes (module docstring)."""
        submission = self.submission
        assert submission.signature is not None  # guaranteed by __post_init__
        return (
            f"{LEAF_HEADER}\n"
            f"accepted-at {format_timestamp(self.accepted_at)}\n"
            f"event-hash {submission.event_hash}\n"
            f"event-id {submission.event_id}\n"
            f"party {submission.party_id}\n"
            f"key-id {submission.key_id}\n"
            f"signature {submission.signature.hex()}\n"
        ).encode()


_LEAF_LABELS = ("accepted-at", "event-hash", "event-id", "party", "key-id", "signature")


def parse_leaf_bytes(data: bytes) -> LeafEntry:
    """Parse leaf bytes strictly: the result re-serialises to exactly ``data``.

    Raises :class:`LeafFormatError` naming the line and what was expected, for anything that is not
    the canonical form: wrong header or version, missing, extra, reordered or mislabelled lines,
    a missing final newline, invalid UTF-8, upper-case hex, another timestamp spelling, and so on.
    """
    if not isinstance(data, bytes | bytearray | memoryview):
        raise LeafFormatError(f"leaf: expected bytes, found {type(data).__name__}")
    raw = bytes(data)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise LeafFormatError(
            f"leaf: expected UTF-8, found an invalid byte at offset {error.start}"
        ) from None
    if not text.endswith("\n"):
        raise LeafFormatError("leaf: expected the last line to end with '\\n', found no newline")
    lines = text[:-1].split("\n")
    if lines[0] != LEAF_HEADER:
        raise LeafFormatError(f"leaf line 1: expected {LEAF_HEADER!r}, found {lines[0]!r}")
    expected_lines = 1 + len(_LEAF_LABELS)
    if len(lines) != expected_lines:
        raise LeafFormatError(f"leaf: expected {expected_lines} lines, found {len(lines)}")
    values: dict[str, str] = {}
    for number, (label, line) in enumerate(zip(_LEAF_LABELS, lines[1:], strict=True), start=2):
        prefix = f"{label} "
        if not line.startswith(prefix):
            raise LeafFormatError(
                f"leaf line {number}: expected a line starting {prefix!r}, found {line!r}"
            )
        values[label] = line[len(prefix) :]
    signature_hex = values["signature"]
    if _SIGNATURE_HEX.fullmatch(signature_hex) is None:
        raise LeafFormatError(
            f"leaf line {expected_lines}: expected a signature of {2 * SIGNATURE_SIZE} lower-case "
            f"hex digits, found {signature_hex!r}"
        )
    try:
        entry = LeafEntry(
            submission=Submission(
                event_hash=values["event-hash"],
                event_id=values["event-id"],
                party_id=values["party"],
                key_id=values["key-id"],
                signature=bytes.fromhex(signature_hex),
            ),
            accepted_at=parse_timestamp(values["accepted-at"], field="accepted at"),
        )
    except SubmissionError as error:
        raise LeafFormatError(f"leaf: {error}") from error
    # Every field was checked on its own; comparing the whole is the guarantee that matters.
    if entry.to_leaf_bytes() != raw:
        raise LeafFormatError("leaf: expected the canonical serialisation, found another spelling")
    return entry

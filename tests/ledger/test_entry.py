"""Ledger entries: the signed submission message and the canonical leaf bytes."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from oresight.ledger.entry import (
    LEAF_HEADER,
    MAX_ID_BYTES,
    LeafEntry,
    LeafFormatError,
    MalformedEventHash,
    Submission,
    SubmissionError,
    format_timestamp,
    parse_leaf_bytes,
    parse_timestamp,
)
from oresight.ledger.errors import LedgerError

EVENT_HASH = (
    "ni:///sha-256;df7bb3c352fef055578554f09f5e2aa41782150ced7bd0b8af24dd3ccb30ba69?ver=CBV2.0"
)
KEY_ID = "0123456789abcdef"
SIGNATURE = bytes(range(64))
ACCEPTED = datetime(2024, 5, 1, 12, 0, 0, 123456, tzinfo=UTC)


def submission(**changes: object) -> Submission:
    fields: dict[str, object] = {
        "event_hash": EVENT_HASH,
        "event_id": "urn:uuid:6d2a0e3a-5a3b-4b61-9a57-0c1d2e3f4a5b",
        "party_id": "ftm-company-kivu-minerals",
        "key_id": KEY_ID,
        "signature": SIGNATURE,
    }
    fields.update(changes)
    return Submission(**fields)  # type: ignore[arg-type]


def leaf() -> LeafEntry:
    return LeafEntry(submission=submission(), accepted_at=ACCEPTED)


def test_signed_bytes_are_the_documented_domain_separated_lines() -> None:
    assert submission().signed_bytes() == (
        b"oresight.ledger.submission/v1\n"
        b"event-hash " + EVENT_HASH.encode() + b"\n"
        b"event-id urn:uuid:6d2a0e3a-5a3b-4b61-9a57-0c1d2e3f4a5b\n"
        b"party ftm-company-kivu-minerals\n"
        b"key-id 0123456789abcdef\n"
    )


def test_signature_is_not_part_of_the_signed_bytes() -> None:
    assert submission().signed_bytes() == submission(signature=None).signed_bytes()
    assert not submission(signature=None).is_signed
    assert submission(signature=None).with_signature(SIGNATURE) == submission()


def test_leaf_bytes_are_the_documented_lines() -> None:
    assert leaf().to_leaf_bytes() == (
        b"oresight.ledger.leaf/v1\n"
        b"accepted-at 2024-05-01T12:00:00.123456Z\n"
        b"event-hash " + EVENT_HASH.encode() + b"\n"
        b"event-id urn:uuid:6d2a0e3a-5a3b-4b61-9a57-0c1d2e3f4a5b\n"
        b"party ftm-company-kivu-minerals\n"
        b"key-id 0123456789abcdef\n"
        b"signature " + SIGNATURE.hex().encode() + b"\n"
    )


def test_leaf_round_trips() -> None:
    entry = leaf()
    parsed = parse_leaf_bytes(entry.to_leaf_bytes())
    assert parsed == entry
    assert parsed.event_id == entry.submission.event_id
    assert parsed.accepted_at.tzinfo is UTC


def test_event_id_may_be_the_event_hash_itself() -> None:
    entry = LeafEntry(submission=submission(event_id=EVENT_HASH), accepted_at=ACCEPTED)
    assert parse_leaf_bytes(entry.to_leaf_bytes()).event_id == EVENT_HASH


def test_leaf_time_is_converted_to_utc_and_naive_time_refused() -> None:
    plus_two = timezone(timedelta(hours=2))
    entry = LeafEntry(submission=submission(), accepted_at=ACCEPTED.astimezone(plus_two))
    assert entry.accepted_at.utcoffset() == timedelta(0)
    assert entry.to_leaf_bytes() == leaf().to_leaf_bytes()
    with pytest.raises(SubmissionError, match="timezone-aware"):
        LeafEntry(submission=submission(), accepted_at=datetime(2024, 5, 1, 12))


def test_leaf_refuses_an_unsigned_submission() -> None:
    with pytest.raises(SubmissionError, match="found no signature"):
        LeafEntry(submission=submission(signature=None), accepted_at=ACCEPTED)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "ni:///sha-256;DF7BB3C352FEF055578554F09F5E2AA41782150CED7BD0B8AF24DD3CCB30BA69?ver=CBV2.0",
        "ni:///sha-256;df7bb3c352fef055578554f09f5e2aa41782150ced7bd0b8af24dd3ccb30ba6?ver=CBV2.0",
        "ni:///sha-256;df7bb3c352fef055578554f09f5e2aa41782150ced7bd0b8af24dd3ccb30ba690?ver=CBV2.0",
        "ni:///sha-512;df7bb3c352fef055578554f09f5e2aa41782150ced7bd0b8af24dd3ccb30ba69?ver=CBV2.0",
        "ni:///sha-256;df7bb3c352fef055578554f09f5e2aa41782150ced7bd0b8af24dd3ccb30ba69",
        "ni:///sha-256;df7bb3c352fef055578554f09f5e2aa41782150ced7bd0b8af24dd3ccb30ba69?ver=CBV2.1",
        "df7bb3c352fef055578554f09f5e2aa41782150ced7bd0b8af24dd3ccb30ba69",
        EVENT_HASH + "\n",
        " " + EVENT_HASH,
        "ni:///sha-256;df7bb3c352fef055578554f09f5e2aa41782150ced7bd0b8af24dd3ccb30ba69?ver=CBV2x0",
    ],
)
def test_malformed_event_hash_is_refused(value: str) -> None:
    with pytest.raises(MalformedEventHash, match=re.escape("expected a CBV 2.0 hash id")) as raised:
        submission(event_hash=value)
    assert repr(value) in str(raised.value)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "non-empty"),
        ("line\nbreak", "U\\+000A at position 4"),
        ("carriage\rreturn", "U\\+000D"),
        ("nul\x00", "U\\+0000"),
        ("del\x7f", "U\\+007F"),
        ("next\x85line", "U\\+0085"),
        ("line\u2028separator", "U\\+2028"),
        ("paragraph\u2029separator", "U\\+2029"),
        ("tab\there", "U\\+0009"),
        ("lone\ud800surrogate", "U\\+D800"),
        (" leading", "leading or trailing whitespace"),
        ("trailing ", "leading or trailing whitespace"),
        ("x" * (MAX_ID_BYTES + 1), f"at most {MAX_ID_BYTES} UTF-8 bytes"),
        ("é" * (MAX_ID_BYTES // 2 + 1), "found 1026"),
    ],
)
@pytest.mark.parametrize("field", ["event_id", "party_id"])
def test_ids_that_could_break_the_line_format_are_refused(
    field: str, value: str, message: str
) -> None:
    with pytest.raises(SubmissionError, match=message) as raised:
        submission(**{field: value})
    assert str(raised.value).startswith(field.replace("_", " "))


def test_ids_may_hold_inner_spaces_and_any_printable_unicode() -> None:
    entry = LeafEntry(
        submission=submission(event_id="lot 42 / Kolwezi", party_id="Société Minière Étoile"),
        accepted_at=ACCEPTED,
    )
    assert parse_leaf_bytes(entry.to_leaf_bytes()) == entry


@pytest.mark.parametrize("value", ["", "0123456789ABCDEF", "0123456789abcde", "0123456789abcdef0"])
def test_malformed_key_id_is_refused(value: str) -> None:
    with pytest.raises(SubmissionError, match="key id: expected 16 lower-case hex digits"):
        submission(key_id=value)


@pytest.mark.parametrize("size", [0, 63, 65])
def test_signature_of_the_wrong_size_is_refused(size: int) -> None:
    with pytest.raises(SubmissionError, match=f"expected 64 bytes \\(Ed25519\\), found {size}"):
        submission(signature=bytes(size))


def test_non_string_fields_are_refused() -> None:
    with pytest.raises(SubmissionError, match="party id: expected a string, found int"):
        submission(party_id=7)
    with pytest.raises(SubmissionError, match="signature: expected bytes, found str"):
        submission(signature="00" * 64)


def test_every_ledger_error_shares_the_ledger_root() -> None:
    for error in (SubmissionError, MalformedEventHash, LeafFormatError):
        assert issubclass(error, LedgerError)


def _replace_line(data: bytes, number: int, line: bytes) -> bytes:
    lines = data.split(b"\n")
    lines[number - 1] = line
    return b"\n".join(lines)


CANONICAL = leaf().to_leaf_bytes()
HOSTILE_LEAVES = {
    "empty": b"",
    "no final newline": CANONICAL[:-1],
    "extra blank line": CANONICAL + b"\n",
    "extra field": CANONICAL + b"note hello\n",
    "missing signature line": CANONICAL.rsplit(b"signature", 1)[0],
    "crlf line endings": CANONICAL.replace(b"\n", b"\r\n"),
    "byte order mark": b"\xef\xbb\xbf" + CANONICAL,
    "invalid utf-8": CANONICAL.replace(b"kivu", b"k\xffvu"),
    "other version": CANONICAL.replace(LEAF_HEADER.encode(), b"oresight.ledger.leaf/v2"),
    "swapped lines": _replace_line(
        _replace_line(CANONICAL, 4, b"party ftm-company-kivu-minerals"),
        5,
        b"event-id urn:uuid:6d2a0e3a-5a3b-4b61-9a57-0c1d2e3f4a5b",
    ),
    "two spaces after label": CANONICAL.replace(b"party ", b"party  "),
    "tab instead of space": CANONICAL.replace(b"party ", b"party\t"),
    "upper-case signature": CANONICAL.replace(
        SIGNATURE.hex().encode(), SIGNATURE.hex().upper().encode()
    ),
    "short signature": CANONICAL.replace(SIGNATURE.hex().encode(), SIGNATURE.hex()[:-2].encode()),
    "base64 signature": _replace_line(CANONICAL, 7, b"signature AAECAwQFBgcICQoLDA0ODxAREhM="),
    "upper-case event hash": CANONICAL.replace(EVENT_HASH.encode(), EVENT_HASH.upper().encode()),
    "timestamp with offset": CANONICAL.replace(b".123456Z", b".123456+00:00"),
    "timestamp in milliseconds": CANONICAL.replace(b".123456Z", b".123Z"),
    "timestamp without fraction": CANONICAL.replace(b"12:00:00.123456Z", b"12:00:00Z"),
    "timestamp lower-case z": CANONICAL.replace(b".123456Z", b".123456z"),
    "impossible date": CANONICAL.replace(b"2024-05-01", b"2024-02-30"),
    "leap second": CANONICAL.replace(b"12:00:00.123456", b"23:59:60.000000"),
    "space date separator": CANONICAL.replace(b"2024-05-01T", b"2024-05-01 "),
    "bad key id": CANONICAL.replace(KEY_ID.encode(), b"0123456789abcdeg"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE_LEAVES))
def test_non_canonical_leaf_bytes_are_refused(name: str) -> None:
    with pytest.raises(LeafFormatError, match=r"^leaf"):
        parse_leaf_bytes(HOSTILE_LEAVES[name])


def test_leaf_errors_say_where_and_what() -> None:
    with pytest.raises(LeafFormatError, match="leaf line 4: expected a line starting 'event-id '"):
        parse_leaf_bytes(HOSTILE_LEAVES["swapped lines"])
    with pytest.raises(
        LeafFormatError, match=re.escape("expected 'oresight.ledger.leaf/v1', found")
    ):
        parse_leaf_bytes(HOSTILE_LEAVES["other version"])
    with pytest.raises(LeafFormatError, match="invalid byte at offset"):
        parse_leaf_bytes(HOSTILE_LEAVES["invalid utf-8"])
    with pytest.raises(LeafFormatError, match="expected 7 lines, found 8"):
        parse_leaf_bytes(HOSTILE_LEAVES["extra field"])


def test_timestamps_have_one_spelling() -> None:
    assert format_timestamp(datetime(5, 1, 2, 3, 4, 5, tzinfo=UTC)) == "0005-01-02T03:04:05.000000Z"
    moment = parse_timestamp("2024-05-01T12:00:00.123456Z")
    assert moment == ACCEPTED
    for text in [
        "2024-5-01T12:00:00.123456Z",
        "2024-05-01T12:00:00.1234567Z",
        "0000-01-01T00:00:00.000000Z",
    ]:
        with pytest.raises(SubmissionError, match="expected a UTC timestamp"):
            parse_timestamp(text)


# --- properties -------------------------------------------------------------------------------


def _is_valid_id(text: str) -> bool:
    try:
        submission(event_id=text)
    except SubmissionError:
        return False
    return True


identifiers = st.text(min_size=1, max_size=40).filter(_is_valid_id)
key_ids = st.binary(min_size=8, max_size=8).map(bytes.hex)
event_hashes = st.binary(min_size=32, max_size=32).map(
    lambda digest: f"ni:///sha-256;{digest.hex()}?ver=CBV2.0"
)
moments = st.datetimes(
    min_value=datetime(1970, 1, 1), max_value=datetime(9999, 1, 1), timezones=st.just(UTC)
)
submissions = st.builds(
    Submission,
    event_hash=event_hashes,
    event_id=identifiers,
    party_id=identifiers,
    key_id=key_ids,
    signature=st.binary(min_size=64, max_size=64),
)


@given(submissions, moments)
def test_any_leaf_round_trips(value: Submission, accepted_at: datetime) -> None:
    entry = LeafEntry(submission=value, accepted_at=accepted_at)
    assert parse_leaf_bytes(entry.to_leaf_bytes()) == entry


@given(submissions, submissions)
def test_different_submissions_sign_different_bytes(first: Submission, second: Submission) -> None:
    same_fields = (first.event_hash, first.event_id, first.party_id, first.key_id) == (
        second.event_hash,
        second.event_id,
        second.party_id,
        second.key_id,
    )
    assert (first.signed_bytes() == second.signed_bytes()) == same_fields


@given(st.lists(identifiers, min_size=2, max_size=4))
def test_moving_text_between_fields_changes_the_signed_bytes(parts: list[str]) -> None:
    # The classic ambiguity: "a b" + "c" against "a" + "b c". Labels and newlines prevent it.
    joined = " ".join(parts)
    head, _, tail = joined.partition(" ")
    if not tail.strip() or tail != tail.strip():
        return
    first = submission(event_id=joined, party_id="p")
    second = submission(event_id=head, party_id=tail + " p")
    assert first.signed_bytes() != second.signed_bytes()


@given(submissions, moments, st.data())
def test_a_flipped_bit_in_a_leaf_is_refused_or_reads_as_another_leaf(
    value: Submission, accepted_at: datetime, data: st.DataObject
) -> None:
    original = LeafEntry(submission=value, accepted_at=accepted_at)
    encoded = bytearray(original.to_leaf_bytes())
    bit = data.draw(st.integers(min_value=0, max_value=len(encoded) * 8 - 1))
    encoded[bit // 8] ^= 1 << (bit % 8)
    try:
        parsed = parse_leaf_bytes(bytes(encoded))
    except LeafFormatError:
        return
    assert parsed != original
    assert parsed.to_leaf_bytes() == bytes(encoded)

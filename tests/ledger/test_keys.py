"""Party key registry: signing, verification, rotation, revocation and the JSON form."""

from __future__ import annotations

import base64
import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from oresight.ledger.entry import LeafEntry, Submission, SubmissionError, parse_leaf_bytes
from oresight.ledger.errors import LedgerError
from oresight.ledger.keys import (
    BadSignature,
    KeyExpired,
    KeyMaterialError,
    KeyNotValid,
    KeyNotYetValid,
    KeyPartyMismatch,
    KeyRegistry,
    KeyRegistryError,
    KeyRevoked,
    PartyKey,
    RegistryFormatError,
    SubmissionRefused,
    UnknownKey,
    UnsignedSubmission,
    generate_party_key,
    key_id_for,
    load_private_key,
    sign_submission,
)

EVENT_HASH = (
    "ni:///sha-256;df7bb3c352fef055578554f09f5e2aa41782150ced7bd0b8af24dd3ccb30ba69?ver=CBV2.0"
)
EVENT_ID = "urn:uuid:6d2a0e3a-5a3b-4b61-9a57-0c1d2e3f4a5b"
KIVU = "ftm-company-kivu-minerals"
LAKE = "ftm-company-lake-traders"
T0 = datetime(2024, 1, 1, tzinfo=UTC)
DAY = timedelta(days=1)

# Fixed seeds keep the tests (and hypothesis' examples) deterministic and fast.
KIVU_KEY = Ed25519PrivateKey.from_private_bytes(bytes([1]) * 32)
KIVU_NEXT_KEY = Ed25519PrivateKey.from_private_bytes(bytes([2]) * 32)
LAKE_KEY = Ed25519PrivateKey.from_private_bytes(bytes([3]) * 32)


def party_key(private: Ed25519PrivateKey, party: str, *, valid_from: datetime = T0) -> PartyKey:
    return PartyKey.from_public_key(
        party_id=party, public_key=private.public_key(), valid_from=valid_from
    )


def registry() -> KeyRegistry:
    return KeyRegistry([party_key(KIVU_KEY, KIVU), party_key(LAKE_KEY, LAKE)])


def signed(private: Ed25519PrivateKey = KIVU_KEY, party: str = KIVU, **changes: str) -> Submission:
    fields = {"event_hash": EVENT_HASH, "event_id": EVENT_ID, "party_id": party}
    fields.update(changes)
    return sign_submission(private_key=private, key_id=key_id_for(private.public_key()), **fields)


# --- key ids and key material -----------------------------------------------------------------


def test_key_id_is_the_first_eight_bytes_of_sha256_of_the_raw_public_key() -> None:
    # RFC 8032 §7.1 test 1: this seed gives this public key.
    seed = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
    public = bytes.fromhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
    private = load_private_key(seed)
    assert key_id_for(private.public_key()) == key_id_for(public)
    assert key_id_for(public) == "21fe31dfa154a261"  # sha256(public)[:8] by sha256sum


def test_generated_key_signs_submissions_that_verify() -> None:
    pem, key = generate_party_key(KIVU, valid_from=T0)
    assert pem.startswith(b"-----BEGIN PRIVATE KEY-----")
    assert key.key_id == key_id_for(key.public_key)
    assert key.valid_until is None and key.revoked_at is None
    submission = sign_submission(
        private_key=pem, event_hash=EVENT_HASH, event_id=EVENT_ID, party_id=KIVU, key_id=key.key_id
    )
    assert KeyRegistry([key]).verify_submission(submission, at=T0) == key


def test_raw_seed_and_pem_sign_the_same() -> None:
    seed = KIVU_KEY.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    pem = KIVU_KEY.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    key_id = key_id_for(KIVU_KEY.public_key())
    by_seed = sign_submission(
        private_key=seed, event_hash=EVENT_HASH, event_id=EVENT_ID, party_id=KIVU, key_id=key_id
    )
    by_pem = sign_submission(
        private_key=pem, event_hash=EVENT_HASH, event_id=EVENT_ID, party_id=KIVU, key_id=key_id
    )
    assert by_seed == by_pem  # Ed25519 is deterministic


def test_signing_with_a_key_id_of_another_key_is_refused() -> None:
    with pytest.raises(KeyMaterialError, match="the private key's id"):
        sign_submission(
            private_key=KIVU_KEY,
            event_hash=EVENT_HASH,
            event_id=EVENT_ID,
            party_id=KIVU,
            key_id=key_id_for(LAKE_KEY.public_key()),
        )


def test_private_keys_that_are_not_ed25519_are_refused() -> None:
    p256 = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with pytest.raises(KeyMaterialError, match="expected an Ed25519 key, found"):
        load_private_key(p256)
    with pytest.raises(KeyMaterialError, match="not an unencrypted PEM key"):
        load_private_key(b"-----BEGIN PRIVATE KEY-----\nnonsense\n-----END PRIVATE KEY-----\n")
    with pytest.raises(KeyMaterialError, match="found str"):
        load_private_key("seed")  # type: ignore[arg-type]


def test_party_key_checks_its_own_consistency() -> None:
    public = KIVU_KEY.public_key()
    good = party_key(KIVU_KEY, KIVU)
    with pytest.raises(KeyMaterialError, match="expected 32 raw Ed25519 bytes, found 31 bytes"):
        PartyKey(party_id=KIVU, key_id=good.key_id, public_key=good.public_key[:31], valid_from=T0)
    with pytest.raises(KeyMaterialError, match=f"expected {good.key_id} \\(from the public key\\)"):
        PartyKey(party_id=KIVU, key_id="0" * 16, public_key=good.public_key, valid_from=T0)
    with pytest.raises(KeyRegistryError, match="expected valid_until after valid_from"):
        PartyKey.from_public_key(party_id=KIVU, public_key=public, valid_from=T0, valid_until=T0)
    with pytest.raises(KeyRegistryError, match="timezone-aware"):
        PartyKey.from_public_key(party_id=KIVU, public_key=public, valid_from=datetime(2024, 1, 1))
    with pytest.raises(KeyRegistryError, match="party id: control"):
        PartyKey.from_public_key(party_id="a\nb", public_key=public, valid_from=T0)
    with pytest.raises(KeyRegistryError, match="revoked_at and revocation_reason together"):
        PartyKey(
            party_id=KIVU,
            key_id=good.key_id,
            public_key=good.public_key,
            valid_from=T0,
            revoked_at=T0 + DAY,
        )


# --- verification -----------------------------------------------------------------------------


def test_a_good_submission_verifies_and_names_its_key() -> None:
    keys = registry()
    assert keys.verify_submission(signed(), at=T0 + DAY).party_id == KIVU
    assert keys.verify_submission(signed(LAKE_KEY, LAKE), at=T0 + DAY).party_id == LAKE


def test_a_leaf_read_back_still_verifies() -> None:
    entry = LeafEntry(submission=signed(), accepted_at=T0 + DAY)
    parsed = parse_leaf_bytes(entry.to_leaf_bytes())
    assert registry().verify_leaf(parsed).party_id == KIVU
    keys = registry()
    keys.revoke(key_id_for(KIVU_KEY.public_key()), at=T0 + DAY, reason="key stolen")
    with pytest.raises(KeyRevoked):
        keys.verify_leaf(parsed)  # accepted exactly at the revocation instant


def test_unsigned_submission_is_refused() -> None:
    unsigned = Submission(
        event_hash=EVENT_HASH,
        event_id=EVENT_ID,
        party_id=KIVU,
        key_id=key_id_for(KIVU_KEY.public_key()),
    )
    with pytest.raises(UnsignedSubmission, match="expected an Ed25519 signature, found none"):
        registry().verify_submission(unsigned, at=T0)


def test_wrong_signature_is_refused() -> None:
    # Lake's signature over Kivu's submission: well-formed, but not Kivu's key.
    claimed = signed()
    forged = claimed.with_signature(LAKE_KEY.sign(claimed.signed_bytes()))
    with pytest.raises(BadSignature, match="does not verify with key"):
        registry().verify_submission(forged, at=T0)


def test_signature_over_another_event_is_refused() -> None:
    other = signed(event_hash=EVENT_HASH.replace("df7b", "0000"))
    replayed = signed().with_signature(other.signature or b"")
    with pytest.raises(BadSignature):
        registry().verify_submission(replayed, at=T0)


def test_unknown_key_id_is_refused() -> None:
    stranger = Ed25519PrivateKey.from_private_bytes(bytes([9]) * 32)
    with pytest.raises(UnknownKey, match="is not in the key registry"):
        registry().verify_submission(signed(stranger), at=T0)
    with pytest.raises(UnknownKey, match="not in the key registry"):
        registry().key_for("ffffffffffffffff")


def test_key_of_another_party_is_refused() -> None:
    # Lake signs a submission in Kivu's name with its own (genuine) key.
    impersonation = signed(LAKE_KEY, KIVU)
    with pytest.raises(KeyPartyMismatch, match=f"belongs to party '{LAKE}', not to '{KIVU}'"):
        registry().verify_submission(impersonation, at=T0)


def test_key_not_yet_valid_is_refused() -> None:
    keys = KeyRegistry([party_key(KIVU_KEY, KIVU, valid_from=T0 + DAY)])
    with pytest.raises(KeyNotYetValid, match=re.escape("valid from 2024-01-02T00:00:00.000000Z")):
        keys.verify_submission(signed(), at=T0)
    keys.verify_submission(signed(), at=T0 + DAY)  # the start is inclusive


def test_expired_key_is_refused_at_and_after_its_end() -> None:
    key = PartyKey.from_public_key(
        party_id=KIVU, public_key=KIVU_KEY.public_key(), valid_from=T0, valid_until=T0 + DAY
    )
    keys = KeyRegistry([key])
    keys.verify_submission(signed(), at=T0 + DAY - timedelta(microseconds=1))
    for at in (T0 + DAY, T0 + 2 * DAY):
        with pytest.raises(KeyExpired, match=re.escape("valid until 2024-01-02T00:00:00.000000Z")):
            keys.verify_submission(signed(), at=at)


def test_verification_time_must_be_aware() -> None:
    with pytest.raises(KeyRegistryError, match="timezone-aware"):
        registry().verify_submission(signed(), at=datetime(2024, 1, 1))


# --- rotation and revocation ------------------------------------------------------------------


def test_rotation_keeps_old_entries_verifiable() -> None:
    keys = registry()
    old_id = key_id_for(KIVU_KEY.public_key())
    rotation = T0 + 10 * DAY
    new = keys.rotate(KIVU, KIVU_NEXT_KEY.public_key(), at=rotation)
    assert new.valid_from == rotation and new.party_id == KIVU
    assert keys.key_for(old_id).valid_until == rotation
    # An entry signed with the old key and accepted before the rotation verifies after it.
    keys.verify_submission(signed(), at=rotation - DAY)
    with pytest.raises(KeyExpired):
        keys.verify_submission(signed(), at=rotation)
    with pytest.raises(KeyNotYetValid):
        keys.verify_submission(signed(KIVU_NEXT_KEY), at=rotation - DAY)
    keys.verify_submission(signed(KIVU_NEXT_KEY), at=rotation)
    assert [key.key_id for key in keys.keys_of(KIVU)] == [old_id, new.key_id]
    # Another party's key is untouched.
    assert keys.key_for(key_id_for(LAKE_KEY.public_key())).valid_until is None


def test_rotation_survives_the_json_round_trip() -> None:
    keys = registry()
    rotation = T0 + 10 * DAY
    keys.rotate(KIVU, KIVU_NEXT_KEY.public_key(), at=rotation)
    reread = KeyRegistry.from_json(keys.to_json())
    reread.verify_submission(signed(), at=rotation - DAY)
    with pytest.raises(KeyExpired):
        reread.verify_submission(signed(), at=rotation)


def test_rotation_needs_a_current_key_and_a_new_one() -> None:
    keys = registry()
    with pytest.raises(KeyRegistryError, match=r"expected a key valid at .*found none"):
        keys.rotate("ftm-company-unknown", KIVU_NEXT_KEY.public_key(), at=T0)
    with pytest.raises(KeyRegistryError, match="already registered for party"):
        keys.rotate(KIVU, LAKE_KEY.public_key(), at=T0 + DAY)
    with pytest.raises(KeyRegistryError, match="expected a key valid at"):
        keys.rotate(KIVU, KIVU_NEXT_KEY.public_key(), at=T0 - DAY)  # before the first key
    assert len(keys) == 2  # refusals change nothing


def test_revocation_refuses_later_submissions_and_keeps_earlier_ones() -> None:
    keys = registry()
    revoked_at = T0 + 5 * DAY
    revoked = keys.revoke(key_id_for(KIVU_KEY.public_key()), at=revoked_at, reason="key stolen")
    assert revoked.revoked_at == revoked_at and revoked.revocation_reason == "key stolen"
    keys.verify_submission(signed(), at=revoked_at - timedelta(microseconds=1))
    for at in (revoked_at, revoked_at + DAY):
        with pytest.raises(
            KeyRevoked, match=re.escape("revoked at 2024-01-06T00:00:00.000000Z (key stolen)")
        ):
            keys.verify_submission(signed(), at=at)


def test_revocation_wins_over_expiry_and_may_be_back_dated() -> None:
    keys = registry()
    keys.rotate(KIVU, KIVU_NEXT_KEY.public_key(), at=T0 + 10 * DAY)
    keys.revoke(key_id_for(KIVU_KEY.public_key()), at=T0 + 2 * DAY, reason="found compromised")
    with pytest.raises(KeyRevoked):
        keys.verify_submission(signed(), at=T0 + 3 * DAY)
    with pytest.raises(KeyRevoked):
        keys.verify_submission(signed(), at=T0 + 20 * DAY)
    keys.verify_submission(signed(), at=T0 + DAY)


def test_revoking_twice_or_an_unknown_key_is_refused() -> None:
    keys = registry()
    key_id = key_id_for(KIVU_KEY.public_key())
    keys.revoke(key_id, at=T0 + DAY, reason="retired")
    with pytest.raises(KeyRegistryError, match="already revoked at 2024-01-02"):
        keys.revoke(key_id, at=T0, reason="again")
    with pytest.raises(UnknownKey):
        keys.revoke("ffffffffffffffff", at=T0, reason="x")
    with pytest.raises(KeyRegistryError, match="non-empty revocation reason"):
        keys.revoke(key_id_for(LAKE_KEY.public_key()), at=T0, reason=" ")


def test_registering_a_key_twice_is_refused() -> None:
    keys = registry()
    with pytest.raises(KeyRegistryError, match=f"already registered for party '{KIVU}'"):
        keys.register(party_key(KIVU_KEY, LAKE))


def test_error_kinds_share_the_ledger_root() -> None:
    for validity in (KeyExpired, KeyRevoked, KeyNotYetValid):
        assert issubclass(validity, KeyNotValid)
    for refusal in (UnsignedSubmission, BadSignature, UnknownKey, KeyPartyMismatch, KeyNotValid):
        assert issubclass(refusal, SubmissionRefused)
    assert issubclass(UnknownKey, KeyRegistryError)  # key_for raises it outside verification
    assert issubclass(SubmissionRefused, LedgerError)
    assert issubclass(RegistryFormatError, KeyRegistryError)


# --- JSON -------------------------------------------------------------------------------------


def test_registry_round_trips_through_json() -> None:
    keys = registry()
    keys.rotate(KIVU, KIVU_NEXT_KEY.public_key(), at=T0 + 10 * DAY)
    keys.revoke(key_id_for(LAKE_KEY.public_key()), at=T0 + 3 * DAY, reason="left the scheme")
    text = keys.to_json()
    reread = KeyRegistry.from_json(text)
    assert list(reread) == list(keys)
    assert reread.to_json() == text
    assert KeyRegistry.from_json(text.encode()).to_json() == text
    document = json.loads(text)
    assert document["format"] == "oresight.ledger.key-registry/v1"
    assert (
        document["keys"][0]["public_key"]
        == base64.b64encode(party_key(KIVU_KEY, KIVU).public_key).decode()
    )


def test_empty_registry_round_trips() -> None:
    assert len(KeyRegistry.from_json(KeyRegistry().to_json())) == 0


def _registry_document() -> dict[str, object]:
    keys = registry()
    keys.revoke(key_id_for(LAKE_KEY.public_key()), at=T0 + 3 * DAY, reason="left the scheme")
    document: dict[str, object] = json.loads(keys.to_json())
    return document


def _with_key_member(name: str, value: object) -> str:
    document = _registry_document()
    keys = document["keys"]
    assert isinstance(keys, list)
    keys[0][name] = value
    return json.dumps(document)


_GOOD_KEY = base64.b64encode(party_key(KIVU_KEY, KIVU).public_key).decode()
HOSTILE_REGISTRIES = {
    "not json": ("{", "not valid JSON"),
    "top-level list": ("[]", "key registry: expected a JSON object"),
    "other format": (
        json.dumps({"format": "oresight.ledger.key-registry/v2", "keys": []}),
        "format: expected 'oresight.ledger.key-registry/v1'",
    ),
    "keys not a list": (
        json.dumps({"format": "oresight.ledger.key-registry/v1", "keys": {}}),
        "keys: expected a list, found dict",
    ),
    "extra top-level member": (
        json.dumps({"format": "oresight.ledger.key-registry/v1", "keys": [], "x": 1}),
        "extra \\['x'\\]",
    ),
    "duplicate member": (
        '{"format": "oresight.ledger.key-registry/v1", "keys": [], "keys": []}',
        "member 'keys' appears twice",
    ),
    "key not an object": (
        json.dumps({"format": "oresight.ledger.key-registry/v1", "keys": [1]}),
        "keys\\[0\\]: expected a JSON object, found 1",
    ),
    "missing member": (
        _with_key_member("valid_until", None).replace('"valid_until": null, ', ""),
        "missing \\['valid_until'\\]",
    ),
    "party id a number": (
        _with_key_member("party_id", 7),
        "keys\\[0\\].party_id: expected a string, found 7",
    ),
    "valid_from null": (
        _with_key_member("valid_from", None),
        "valid_from: expected a string, found null",
    ),
    "url-safe base64": (
        _with_key_member("public_key", _GOOD_KEY.replace("+", "-").replace("/", "_") + "x"),
        "public_key: expected canonical base64",
    ),
    "base64 without padding": (
        _with_key_member("public_key", _GOOD_KEY.rstrip("=")),
        "public_key: expected canonical base64",
    ),
    "short public key": (
        _with_key_member("public_key", base64.b64encode(bytes(31)).decode()),
        "keys\\[0\\]: public key: expected 32 raw Ed25519 bytes",
    ),
    "key id mismatch": (
        _with_key_member("key_id", "0123456789abcdef"),
        "keys\\[0\\]: key id: expected",
    ),
    "timestamp with offset": (
        _with_key_member("valid_from", "2024-01-01T00:00:00+00:00"),
        "keys\\[0\\].valid_from: expected a UTC timestamp",
    ),
    "reason without revocation": (
        _with_key_member("revocation_reason", "why"),
        "revoked_at and revocation_reason together",
    ),
}


@pytest.mark.parametrize("name", sorted(HOSTILE_REGISTRIES))
def test_malformed_registry_json_is_refused_with_where_and_what(name: str) -> None:
    text, message = HOSTILE_REGISTRIES[name]
    with pytest.raises(RegistryFormatError, match=message):
        KeyRegistry.from_json(text)


def test_duplicate_keys_in_json_are_refused() -> None:
    document = _registry_document()
    keys = document["keys"]
    assert isinstance(keys, list)
    keys.append(keys[0])
    with pytest.raises(RegistryFormatError, match=r"keys\[2\]: key .* already registered"):
        KeyRegistry.from_json(json.dumps(document))


# --- properties -------------------------------------------------------------------------------

FIELDS = ("signature", "event_hash", "event_id", "party_id", "key_id")


@given(field=st.sampled_from(FIELDS), data=st.data())
def test_any_single_bit_flip_in_a_signed_submission_fails(field: str, data: st.DataObject) -> None:
    original = signed()
    value = getattr(original, field)
    encoded = bytearray(value if isinstance(value, bytes) else value.encode("utf-8"))
    bit = data.draw(st.integers(min_value=0, max_value=len(encoded) * 8 - 1), label="bit")
    encoded[bit // 8] ^= 1 << (bit % 8)
    if field == "signature":
        flipped: object = bytes(encoded)
    else:
        try:
            flipped = bytes(encoded).decode("utf-8")
        except UnicodeDecodeError:
            return  # not even text: no submission can carry it
    fields = {name: getattr(original, name) for name in FIELDS}
    fields[field] = flipped
    try:
        mutated = Submission(**fields)
    except SubmissionError:
        return  # refused as malformed before any key is consulted
    with pytest.raises(SubmissionRefused):
        registry().verify_submission(mutated, at=T0 + DAY)

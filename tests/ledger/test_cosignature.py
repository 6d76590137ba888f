"""C2SP tlog-cosignature (Ed25519 cosignature/v1): message, keys, verification and policies."""

from __future__ import annotations

import base64
import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oresight.ledger.checkpoint import Checkpoint, sign_checkpoint
from oresight.ledger.cosignature import (
    CosignatureError,
    NoWitnessRequired,
    WitnessKey,
    WitnessPolicy,
    WitnessPolicyError,
    WitnessSignerKey,
    cosign,
    cosigned_message,
    generate_witness_key,
    split_cosignature,
    verify_cosignature,
    verify_witnessed_checkpoint,
)
from oresight.ledger.errors import LedgerError
from oresight.ledger.note import (
    NoteKeyError,
    NoteSignature,
    NoteVerificationError,
    add_signatures,
    parse_signature_line,
)
from oresight.ledger.note_keys import (
    SignerKey,
    verify_ed25519,
)

ORIGIN = "example.com/behind-the-sofa"
ROOT = base64.b64decode("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=")
CHECKPOINT = Checkpoint(ORIGIN, 20852163, ROOT)
LOG = SignerKey(name=ORIGIN, private_key=bytes(32))
W1 = WitnessSignerKey(name="witness.example.com/w1", private_key=bytes([1]) * 32)
W2 = WitnessSignerKey(name="witness.example.com/w2", private_key=bytes([2]) * 32)
W3 = WitnessSignerKey(name="witness.example.com/w3", private_key=bytes([3]) * 32)
TIME = 1679315147


def cosigned(*witnesses: WitnessSignerKey, checkpoint: Checkpoint = CHECKPOINT) -> bytes:
    """The checkpoint signed by the log and cosigned by ``witnesses``."""
    note = sign_checkpoint(checkpoint, log_key=LOG)
    return add_signatures(note, [cosign(checkpoint, key=w, timestamp=TIME) for w in witnesses])


def test_signed_message_is_header_time_line_and_checkpoint() -> None:
    # The example of tlog-cosignature's "Ed25519 signed message" section.
    assert cosigned_message(CHECKPOINT.to_text(), TIME) == (
        b"cosignature/v1\ntime 1679315147\nexample.com/behind-the-sofa\n20852163\n"
        b"CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    )


def test_spec_example_signature_line_has_key_id_timestamp_and_signature() -> None:
    # The spec's example line: its timestamp is the one of its signed-message example.
    line = (
        "— witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrD"
        "JsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA=="
    )
    signature = parse_signature_line(line)
    timestamp, ed25519 = split_cosignature(signature.signature)
    assert timestamp == TIME
    assert len(ed25519) == 64


def test_key_id_uses_signature_type_4() -> None:
    key = W1.witness_key
    digest = hashlib.sha256(key.name.encode() + b"\n\x04" + key.public_key).digest()
    assert key.key_id == int.from_bytes(digest[:4], "big")
    assert base64.b64decode(key.to_text().split("+")[2])[0] == 0x04


def test_cosignature_line_layout() -> None:
    signature = cosign(CHECKPOINT, key=W1, timestamp=TIME)
    payload = base64.b64decode(signature.to_line().split(" ")[-1])
    assert int.from_bytes(payload[:4], "big") == W1.key_id
    assert int.from_bytes(payload[4:12], "big") == TIME
    message = cosigned_message(CHECKPOINT.to_text(), TIME)
    assert verify_ed25519(W1.public_key, message, payload[12:])


def test_witness_keys_round_trip_through_text() -> None:
    signer = generate_witness_key("witness.example.com/new")
    assert WitnessSignerKey.from_text(signer.to_text()).public_key == signer.public_key
    assert WitnessKey.from_text(signer.witness_key.to_text()) == signer.witness_key
    assert signer.to_text() not in repr(signer)


def test_log_key_text_is_not_a_witness_key() -> None:
    with pytest.raises(NoteKeyError, match="expected signature type 0x04, found 0x01"):
        WitnessKey.from_text(LOG.verifier_key.to_text())


def test_verify_cosignature_names_what_failed() -> None:
    good = cosign(CHECKPOINT, key=W1, timestamp=TIME)
    assert verify_cosignature(CHECKPOINT, good, key=W1.witness_key).timestamp == TIME
    with pytest.raises(CosignatureError, match="expected witness"):
        verify_cosignature(CHECKPOINT, good, key=W2.witness_key)
    other = Checkpoint(ORIGIN, CHECKPOINT.size + 1, ROOT)
    with pytest.raises(CosignatureError, match="does not verify"):
        verify_cosignature(other, good, key=W1.witness_key)
    later = NoteSignature(
        good.name, good.key_id, (TIME + 1).to_bytes(8, "big") + good.signature[8:]
    )
    with pytest.raises(CosignatureError, match="at time 1679315148 does not verify"):
        verify_cosignature(CHECKPOINT, later, key=W1.witness_key)
    short = NoteSignature(good.name, good.key_id, good.signature[:-1])
    with pytest.raises(CosignatureError, match="must be 72 bytes"):
        verify_cosignature(CHECKPOINT, short, key=W1.witness_key)


@pytest.mark.parametrize("timestamp", [-1, 2**63])
def test_timestamps_beyond_the_spec_are_refused(timestamp: int) -> None:
    with pytest.raises(CosignatureError, match="timestamp"):
        cosign(CHECKPOINT, key=W1, timestamp=timestamp)


def test_cosignature_with_timestamp_above_2_63_is_refused() -> None:
    good = cosign(CHECKPOINT, key=W1, timestamp=TIME)
    huge = NoteSignature(good.name, good.key_id, (2**63).to_bytes(8, "big") + good.signature[8:])
    assert not W1.witness_key.verify(CHECKPOINT.to_text().encode(), huge.signature)


# --- policies ----------------------------------------------------------------------------------


def test_policy_construction_refuses_nonsense() -> None:
    keys = [W1.witness_key, W2.witness_key]
    with pytest.raises(WitnessPolicyError, match="at least 1"):
        WitnessPolicy(witnesses=keys, threshold=0)
    with pytest.raises(WitnessPolicyError, match="at least 1"):
        WitnessPolicy(witnesses=keys, threshold=-2)
    with pytest.raises(WitnessPolicyError, match="exceeds the 2 witness"):
        WitnessPolicy(witnesses=keys, threshold=3)
    with pytest.raises(WitnessPolicyError, match="at least 1"):
        WitnessPolicy(witnesses=[], threshold=0)
    renamed = WitnessKey(name="witness.example.com/alias", public_key=W1.public_key)
    with pytest.raises(WitnessPolicyError, match="more than once"):
        WitnessPolicy(witnesses=[W1.witness_key, renamed], threshold=2)


def test_two_of_three_policy() -> None:
    policy = WitnessPolicy(witnesses=[W1.witness_key, W2.witness_key, W3.witness_key], threshold=2)
    result = verify_witnessed_checkpoint(cosigned(W1, W3), log_key=LOG.verifier_key, policy=policy)
    assert result.checkpoint == CHECKPOINT
    assert sorted(c.name for c in result.cosignatures) == [W1.name, W3.name]
    assert {c.timestamp for c in result.cosignatures} == {TIME}
    with pytest.raises(WitnessPolicyError, match="at least 2 of 3 witnesses, found 1"):
        verify_witnessed_checkpoint(cosigned(W2), log_key=LOG.verifier_key, policy=policy)


def test_unlisted_witnesses_do_not_count() -> None:
    policy = WitnessPolicy(witnesses=[W1.witness_key], threshold=1)
    with pytest.raises(WitnessPolicyError, match="found 0"):
        verify_witnessed_checkpoint(cosigned(W2, W3), log_key=LOG.verifier_key, policy=policy)


def test_bad_cosignature_by_a_listed_witness_rejects_the_note() -> None:
    policy = WitnessPolicy(witnesses=[W1.witness_key, W2.witness_key], threshold=1)
    note = sign_checkpoint(CHECKPOINT, log_key=LOG)
    other = Checkpoint(ORIGIN, 1, ROOT)
    forged = add_signatures(
        note,
        [cosign(CHECKPOINT, key=W1, timestamp=TIME), cosign(other, key=W2, timestamp=TIME)],
    )
    with pytest.raises(NoteVerificationError, match="witness\\.example\\.com/w2"):
        verify_witnessed_checkpoint(forged, log_key=LOG.verifier_key, policy=policy)


def test_witnesses_cannot_stand_in_for_the_log() -> None:
    policy = WitnessPolicy(witnesses=[W1.witness_key], threshold=1)
    note = cosigned(W1)
    stranger = SignerKey(name=ORIGIN, private_key=bytes([9]) * 32).verifier_key
    with pytest.raises(LedgerError, match="not signed by the log key"):
        verify_witnessed_checkpoint(note, log_key=stranger, policy=policy)


def test_no_witness_required_trusts_the_log_alone() -> None:
    result = verify_witnessed_checkpoint(
        cosigned(), log_key=LOG.verifier_key, policy=NoWitnessRequired()
    )
    assert result.checkpoint == CHECKPOINT
    assert result.cosignatures == ()


def test_witnessed_checkpoint_of_another_origin_is_refused() -> None:
    with pytest.raises(LedgerError, match="expected 'example\\.com/other'"):
        verify_witnessed_checkpoint(
            cosigned(),
            log_key=LOG.verifier_key,
            policy=NoWitnessRequired(),
            origin="example.com/other",
        )


# --- any single-bit flip fails ------------------------------------------------------------------

_POLICY = WitnessPolicy(witnesses=[W1.witness_key, W2.witness_key], threshold=2)
_COSIGNED = cosigned(W1, W2)


def test_the_cosigned_note_verifies_unchanged() -> None:
    verify_witnessed_checkpoint(_COSIGNED, log_key=LOG.verifier_key, policy=_POLICY)


@settings(max_examples=400, deadline=None)
@given(bit=st.integers(min_value=0, max_value=len(_COSIGNED) * 8 - 1))
def test_any_single_bit_flip_of_a_cosigned_checkpoint_fails(bit: int) -> None:
    mutated = bytearray(_COSIGNED)
    mutated[bit // 8] ^= 1 << (bit % 8)
    with pytest.raises(LedgerError):
        verify_witnessed_checkpoint(bytes(mutated), log_key=LOG.verifier_key, policy=_POLICY)


def test_every_single_bit_flip_of_a_cosignature_line_fails() -> None:
    # Exhaustive over the witness lines, where a flip must not slip past the policy.
    start = _COSIGNED.index("— witness".encode())
    for bit in range(start * 8, len(_COSIGNED) * 8):
        mutated = bytearray(_COSIGNED)
        mutated[bit // 8] ^= 1 << (bit % 8)
        with pytest.raises(LedgerError):
            verify_witnessed_checkpoint(bytes(mutated), log_key=LOG.verifier_key, policy=_POLICY)

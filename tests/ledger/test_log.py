"""The custody log end to end in memory: appends, receipts, refusals, rotation, witnesses."""

from __future__ import annotations

from datetime import timedelta

import pytest

from oresight.core.errors import OresightError
from oresight.ledger.bundle import verify_bundle
from oresight.ledger.cosignature import NoWitnessRequired, WitnessPolicy, generate_witness_key
from oresight.ledger.entry import parse_leaf_bytes
from oresight.ledger.errors import LedgerError
from oresight.ledger.keys import (
    BadSignature,
    KeyExpired,
    KeyRevoked,
    UnknownKey,
    generate_party_key,
    load_private_key,
)
from oresight.ledger.memory import MemoryTreeStorage
from oresight.ledger.witness import MemoryWitnessState, Witness, WitnessRefusal
from tests.ledger.log_builders import PARTY, LogFixture, make_log


@pytest.fixture
def fx() -> LogFixture:
    return make_log(MemoryTreeStorage())


def test_receipts_verify_offline_and_carry_the_leaf(fx: LogFixture) -> None:
    receipts = fx.log.append([fx.submission() for _ in range(5)])
    assert [r.index for r in receipts] == [0, 1, 2, 3, 4] and fx.log.size() == 5
    log_key = fx.log.log_key.verifier_key
    for receipt in receipts:
        proof = verify_bundle(
            receipt.bundle,
            log_key=log_key,
            policy=NoWitnessRequired(),
            leaf_data=receipt.leaf.to_leaf_bytes(),
        )
        assert proof.index == receipt.index and proof.checkpoint.size == 5
        assert proof.extra is not None and parse_leaf_bytes(proof.extra) == receipt.leaf
    # a later proof of an early event verifies against the newer checkpoint
    fx.log.append([fx.submission()])
    bundle = fx.log.proof_bundle(receipts[0].event_id)
    assert (
        verify_bundle(
            bundle,
            log_key=log_key,
            policy=NoWitnessRequired(),
            leaf_data=receipts[0].leaf.to_leaf_bytes(),
        ).checkpoint.size
        == 6
    )
    assert fx.log.audit().ok


def test_duplicate_submissions_are_refused_and_the_log_is_unchanged(fx: LogFixture) -> None:
    fx.log.append([fx.submission("urn:uuid:a")])
    checkpoint = fx.log.latest_checkpoint()
    with pytest.raises(OresightError, match="'urn:uuid:a' is already in the log"):
        fx.log.append([fx.submission("urn:uuid:b"), fx.submission("urn:uuid:a")])
    with pytest.raises(OresightError, match="'urn:uuid:c' appears twice in one append"):
        fx.log.append([fx.submission("urn:uuid:c"), fx.submission("urn:uuid:c")])
    assert fx.log.size() == 1 and fx.log.latest_checkpoint() == checkpoint


def test_unknown_and_wrong_keys_are_refused(fx: LogFixture) -> None:
    stranger_pem, stranger = generate_party_key(PARTY, valid_from=fx.clock.now)
    with pytest.raises(UnknownKey):
        fx.log.append([fx.submission(pem=stranger_pem, key_id=stranger.key_id)])
    forged = fx.submission().with_signature(bytes(64))
    with pytest.raises(BadSignature):
        fx.log.append([fx.submission(), forged])
    assert fx.log.size() == 0


def test_rotation_keeps_old_entries_verifiable_and_revocation_stops_new_ones(
    fx: LogFixture,
) -> None:
    fx.log.append([fx.submission()])
    fx.clock.now += timedelta(minutes=5)
    new_pem, _ = generate_party_key(PARTY, valid_from=fx.clock.now)
    rotated = fx.registry.rotate(PARTY, load_private_key(new_pem).public_key(), at=fx.clock.now)
    fx.clock.now += timedelta(hours=1)
    fx.log.append([fx.submission(pem=new_pem, key_id=rotated.key_id)])
    with pytest.raises(KeyExpired, match="valid until"):
        fx.log.append([fx.submission()])  # the old key no longer signs new entries
    assert fx.log.audit().ok  # ...but its old entry still verifies
    fx.registry.revoke(rotated.key_id, at=fx.clock.now, reason="laptop stolen")
    with pytest.raises(KeyRevoked):
        fx.log.append([fx.submission(pem=new_pem, key_id=rotated.key_id)])
    assert fx.log.size() == 2


def test_witnesses_cosign_consistent_checkpoints_and_policies_count_them(fx: LogFixture) -> None:
    keys = [generate_witness_key(f"witness-{i}.test") for i in range(3)]
    witnesses = [
        Witness(key=k, log_keys=[fx.log.log_key.verifier_key], state=MemoryWitnessState())
        for k in keys
    ]
    fx.log.append([fx.submission() for _ in range(3)])
    note = fx.log.latest_checkpoint()
    assert note is not None
    for witness in witnesses[:2]:
        note = witness.cosign(note, consistency_proof=[])
    fx.log.store_cosigned(note)
    first = fx.log.entries(0, 1)[0]
    bundle = fx.log.proof_bundle(first.event_id)
    policy = WitnessPolicy(witnesses=[k.witness_key for k in keys], threshold=2)
    log_key = fx.log.log_key.verifier_key
    assert (
        len(
            verify_bundle(
                bundle, log_key=log_key, policy=policy, leaf_data=first.to_leaf_bytes()
            ).cosignatures
        )
        == 2
    )
    strict = WitnessPolicy(witnesses=[k.witness_key for k in keys], threshold=3)
    with pytest.raises(LedgerError, match="witness"):
        verify_bundle(bundle, log_key=log_key, policy=strict, leaf_data=first.to_leaf_bytes())
    # the log grows; a witness needs the consistency proof from what it cosigned
    fx.log.append([fx.submission() for _ in range(4)])
    newer = fx.log.latest_checkpoint()
    assert newer is not None
    with pytest.raises(WitnessRefusal, match="consistency"):
        witnesses[0].cosign(newer, consistency_proof=[])
    cosigned = witnesses[0].cosign(newer, consistency_proof=fx.log.consistency_proof(3, 7))
    assert fx.log.store_cosigned(cosigned).size == 7


def test_a_checkpoint_of_another_log_is_not_stored(fx: LogFixture) -> None:
    other = make_log(MemoryTreeStorage())
    other.log.append([other.submission()])
    note = other.log.latest_checkpoint()
    assert note is not None
    with pytest.raises(LedgerError):
        fx.log.store_cosigned(note)

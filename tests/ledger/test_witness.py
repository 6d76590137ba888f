"""The witness: cosigns only checkpoints provably consistent with the last one it cosigned."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from oresight.ledger.checkpoint import Checkpoint, sign_checkpoint
from oresight.ledger.cosignature import (
    WitnessPolicy,
    WitnessSignerKey,
    verify_witnessed_checkpoint,
)
from oresight.ledger.note import (
    sign_note,
)
from oresight.ledger.note_keys import (
    SignerKey,
    generate_signer_key,
)
from oresight.ledger.witness import (
    FileWitnessState,
    MemoryWitnessState,
    Witness,
    WitnessRefusal,
    WitnessState,
    WitnessStateError,
)
from tests.ledger.small_trees import SmallTree, leaves

ORIGIN = "example.com/custody-log"
LOG = SignerKey(name=ORIGIN, private_key=bytes([7]) * 32)
WITNESS_KEY = WitnessSignerKey(name="witness.example.com/w1", private_key=bytes([8]) * 32)
TREE = SmallTree(leaves(20))


def checkpoint_note(size: int, *, tree: SmallTree = TREE, log: SignerKey = LOG) -> bytes:
    """The log's signed checkpoint at ``size``."""
    return sign_checkpoint(Checkpoint(log.name, size, tree.root(size)), log_key=log)


def make_witness(state: WitnessState | None = None) -> Witness:
    """A witness following the test log, with a fixed clock."""
    return Witness(
        key=WITNESS_KEY,
        log_keys=[LOG.verifier_key],
        state=state if state is not None else MemoryWitnessState(),
        clock=lambda: 1_700_000_000.5,
    )


def test_first_checkpoint_is_cosigned_and_remembered() -> None:
    state = MemoryWitnessState()
    witness = make_witness(state)
    cosigned = witness.cosign(checkpoint_note(5), consistency_proof=[])
    policy = WitnessPolicy(witnesses=[WITNESS_KEY.witness_key], threshold=1)
    result = verify_witnessed_checkpoint(cosigned, log_key=LOG.verifier_key, policy=policy)
    assert result.cosignatures[0].timestamp == 1_700_000_000
    assert state.latest(ORIGIN) == Checkpoint(ORIGIN, 5, TREE.root(5))


def test_growing_tree_with_valid_proofs_is_cosigned_each_time() -> None:
    witness = make_witness()
    previous = 0
    for size in (1, 2, 3, 8, 9, 20):
        proof = TREE.consistency(previous, size) if previous else []
        witness.cosign(checkpoint_note(size), consistency_proof=proof)
        previous = size


def test_same_checkpoint_again_is_cosigned_with_empty_proof() -> None:
    witness = make_witness()
    witness.cosign(checkpoint_note(6), consistency_proof=[])
    witness.cosign(checkpoint_note(6), consistency_proof=[])
    with pytest.raises(WitnessRefusal, match="expected an empty consistency proof"):
        witness.cosign(checkpoint_note(6), consistency_proof=[TREE.root(6)])


def test_tree_size_going_backwards_is_refused() -> None:
    state = MemoryWitnessState()
    witness = make_witness(state)
    witness.cosign(checkpoint_note(10), consistency_proof=[])
    with pytest.raises(WitnessRefusal, match="went backwards from 10 to 9"):
        witness.cosign(checkpoint_note(9), consistency_proof=[])
    assert state.latest(ORIGIN) == Checkpoint(ORIGIN, 10, TREE.root(10))


def test_same_size_different_root_is_refused() -> None:
    witness = make_witness()
    witness.cosign(checkpoint_note(4), consistency_proof=[])
    forked = SmallTree([b"fork", *leaves(20)[1:]])
    with pytest.raises(WitnessRefusal, match="two different roots at size 4"):
        witness.cosign(checkpoint_note(4, tree=forked), consistency_proof=[])


def test_missing_consistency_proof_is_refused() -> None:
    witness = make_witness()
    witness.cosign(checkpoint_note(4), consistency_proof=[])
    with pytest.raises(WitnessRefusal, match="no valid consistency proof from size 4 to 7"):
        witness.cosign(checkpoint_note(7), consistency_proof=[])


def test_invalid_consistency_proof_is_refused() -> None:
    state = MemoryWitnessState()
    witness = make_witness(state)
    witness.cosign(checkpoint_note(3), consistency_proof=[])
    proof = TREE.consistency(3, 7)
    proof[0] = bytes(32)
    with pytest.raises(WitnessRefusal, match="no valid consistency proof"):
        witness.cosign(checkpoint_note(7), consistency_proof=proof)
    with pytest.raises(WitnessRefusal, match="no valid consistency proof"):
        witness.cosign(checkpoint_note(7), consistency_proof=[*TREE.consistency(3, 7), bytes(32)])
    assert state.latest(ORIGIN) == Checkpoint(ORIGIN, 3, TREE.root(3))


def test_forked_log_with_a_proof_of_its_own_is_refused() -> None:
    # A fork that rewrote leaf 0 has valid proofs within itself, but not from our history.
    witness = make_witness()
    witness.cosign(checkpoint_note(4), consistency_proof=[])
    forked = SmallTree([b"fork", *leaves(20)[1:]])
    with pytest.raises(WitnessRefusal, match="no valid consistency proof"):
        witness.cosign(checkpoint_note(8, tree=forked), consistency_proof=forked.consistency(4, 8))


def test_unknown_log_is_refused() -> None:
    stranger = generate_signer_key("example.com/unknown-log")
    with pytest.raises(WitnessRefusal, match="not one this witness follows"):
        make_witness().cosign(checkpoint_note(3, log=stranger), consistency_proof=[])


def test_checkpoint_signed_by_another_key_is_refused() -> None:
    impostor = SignerKey(name=ORIGIN, private_key=bytes([9]) * 32)
    with pytest.raises(WitnessRefusal, match="not signed by any trusted key"):
        make_witness().cosign(checkpoint_note(3, log=impostor), consistency_proof=[])


def test_note_that_is_not_a_checkpoint_is_refused() -> None:
    note = sign_note("hello\n", [LOG])
    with pytest.raises(WitnessRefusal, match="not a checkpoint note"):
        make_witness().cosign(note, consistency_proof=[])


def test_witness_refuses_two_keys_for_one_log() -> None:
    with pytest.raises(WitnessRefusal, match="two keys"):
        Witness(
            key=WITNESS_KEY,
            log_keys=[LOG.verifier_key, generate_signer_key(ORIGIN).verifier_key],
            state=MemoryWitnessState(),
        )


# --- the file state ----------------------------------------------------------------------------


def test_file_state_survives_a_new_witness(tmp_path: Path) -> None:
    path = tmp_path / "state" / "witness.json"
    make_witness(FileWitnessState(path)).cosign(checkpoint_note(8), consistency_proof=[])
    document = json.loads(path.read_text())
    assert document["logs"][ORIGIN]["size"] == 8
    again = make_witness(FileWitnessState(path))
    with pytest.raises(WitnessRefusal, match="went backwards from 8 to 5"):
        again.cosign(checkpoint_note(5), consistency_proof=[])
    again.cosign(checkpoint_note(12), consistency_proof=TREE.consistency(8, 12))
    assert FileWitnessState(path).latest(ORIGIN) == Checkpoint(ORIGIN, 12, TREE.root(12))
    assert [p.name for p in path.parent.iterdir()] == ["witness.json"]


def test_file_state_compare_and_set(tmp_path: Path) -> None:
    state = FileWitnessState(tmp_path / "w.json")
    first = Checkpoint(ORIGIN, 1, TREE.root(1))
    state.record(first, previous=None)
    with pytest.raises(WitnessStateError, match="changed meanwhile"):
        state.record(Checkpoint(ORIGIN, 2, TREE.root(2)), previous=None)
    state.record(Checkpoint(ORIGIN, 2, TREE.root(2)), previous=first)


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("not json", "not JSON"),
        ("[]", "expected a"),
        ('{"format": "other"}', "expected a"),
        ('{"format": "oresight.witness-state/v1", "logs": []}', "'logs' must be an object"),
        (
            '{"format": "oresight.witness-state/v1", '
            '"logs": {"o": {"size": "1", "root_hash": ""}}}',
            "bad entry",
        ),
        (
            '{"format": "oresight.witness-state/v1", '
            '"logs": {"o": {"size": 1, "root_hash": "AA=="}}}',
            "bad entry",
        ),
        ('{"format": "oresight.witness-state/v1", "logs": {"o": {"size": 1}}}', "bad entry"),
    ],
)
def test_damaged_state_file_is_refused(tmp_path: Path, content: str, reason: str) -> None:
    path = tmp_path / "w.json"
    path.write_text(content)
    with pytest.raises(WitnessStateError, match=reason):
        FileWitnessState(path).latest("o")

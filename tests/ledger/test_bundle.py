"""C2SP tlog-proof bundles: strict parsing, offline verification, and which step failed."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oresight.ledger.bundle import (
    BundleFormatError,
    BundleVerificationError,
    ProofBundle,
    VerificationStep,
    make_bundle,
    parse_bundle,
    verify_bundle,
)
from oresight.ledger.checkpoint import Checkpoint, sign_checkpoint
from oresight.ledger.cosignature import (
    NoWitnessRequired,
    WitnessPolicy,
    WitnessSignerKey,
    cosign,
)
from oresight.ledger.errors import LedgerError
from oresight.ledger.merkle import leaf_hash
from oresight.ledger.note import (
    add_signatures,
)
from oresight.ledger.note_keys import (
    SignerKey,
)
from tests.ledger.small_trees import SmallTree, leaves

ORIGIN = "example.com/custody-log"
LOG = SignerKey(name=ORIGIN, private_key=bytes([5]) * 32)
W1 = WitnessSignerKey(name="witness.example.com/w1", private_key=bytes([1]) * 32)
W2 = WitnessSignerKey(name="witness.example.com/w2", private_key=bytes([2]) * 32)
POLICY = WitnessPolicy(witnesses=[W1.witness_key, W2.witness_key], threshold=2)
TREE = SmallTree(leaves(13))
SIZE = 13


def witnessed_note(size: int = SIZE, *witnesses: WitnessSignerKey) -> bytes:
    """The log's checkpoint at ``size``, cosigned by ``witnesses`` (by default W1 and W2)."""
    checkpoint = Checkpoint(ORIGIN, size, TREE.root(size))
    note = sign_checkpoint(checkpoint, log_key=LOG)
    chosen = witnesses or (W1, W2)
    return add_signatures(
        note, [cosign(checkpoint, key=w, timestamp=1_700_000_000) for w in chosen]
    )


def bundle_for(index: int, *, note: bytes | None = None, extra: bytes | None = None) -> bytes:
    """A bundle proving leaf ``index`` in the witnessed tree."""
    return make_bundle(
        index=index,
        proof=TREE.inclusion(index, SIZE),
        checkpoint=note if note is not None else witnessed_note(),
        extra=extra,
    )


@pytest.mark.parametrize("index", range(SIZE))
def test_every_leaf_is_proven(index: int) -> None:
    result = verify_bundle(
        bundle_for(index),
        leaf_data=TREE.leaves[index],
        log_key=LOG.verifier_key,
        policy=POLICY,
    )
    assert result.index == index
    assert result.checkpoint.size == SIZE
    assert result.leaf_hash == leaf_hash(TREE.leaves[index])
    assert sorted(c.name for c in result.cosignatures) == [W1.name, W2.name]


def test_leaf_hash_may_be_given_instead_of_data() -> None:
    result = verify_bundle(
        bundle_for(3),
        leaf_hash=leaf_hash(TREE.leaves[3]),
        log_key=LOG.verifier_key,
        policy=NoWitnessRequired(),
    )
    assert result.index == 3


def test_exactly_one_of_leaf_data_and_leaf_hash() -> None:
    with pytest.raises(LedgerError, match="exactly one"):
        verify_bundle(bundle_for(0), log_key=LOG.verifier_key, policy=POLICY)
    with pytest.raises(LedgerError, match="exactly one"):
        verify_bundle(
            bundle_for(0),
            leaf_data=b"x",
            leaf_hash=bytes(32),
            log_key=LOG.verifier_key,
            policy=POLICY,
        )


def test_bundle_text_layout_and_round_trip() -> None:
    data = bundle_for(6, extra=b"context")
    lines = data.decode().split("\n")
    assert lines[0] == "c2sp.org/tlog-proof@v1"
    assert lines[1] == "extra " + base64.b64encode(b"context").decode()
    assert lines[2] == "index 6"
    parsed = parse_bundle(data)
    assert parsed.extra == b"context"
    assert list(parsed.proof) == TREE.inclusion(6, SIZE)
    assert parsed.to_bytes() == data


def test_spec_example_header_parses() -> None:
    # The example of c2sp.org/tlog-proof; its checkpoint signatures are elided there.
    example = (
        "c2sp.org/tlog-proof@v1\n"
        "extra YWdlLXYxLjIuMS1kYXJ3aW4tYXJtNjQudGFyLmd6kYXJ3aW4tYXJ\n"
        "index 73894\n"
        "gSKyXoYZUgZ6jduWYrkDOARinOMGJveXjgMkBTcdPlQ=\n"
        "B95lDa8R83lS8n0eG+o0buTxRKQTYFi//1U8anccXmA=\n"
        "EKNzoDWG8LGC0Yp9o+sv3qllpMP9uHQ9B20KNL+Q1zs=\n"
        "RoopEkOdqkYqMB4MJXrbt/hMjOxsVn0IrWjpz1ZMMes=\n"
        "AHCioX9nLjsrse6YhjRRmk1WUEirVOLLRoOQ6vfO5vk=\n"
        "\n"
        "example.com/fancylog\n109482\nsFodV/vSp5O8n9a8QpW6PRY97tfOSW5bsc2Xl/EQi08=\n\n"
        "— example.com/fancylog hI2DJw[...]1roloI=\n"
    ).encode()
    parsed = parse_bundle(example)
    assert parsed.index == 73894
    assert len(parsed.proof) == 5
    assert parsed.checkpoint.startswith(b"example.com/fancylog\n109482\n")


def test_extra_data_is_not_authenticated() -> None:
    # tlog-proof: "Applications MUST NOT implicitly trust the extra data".
    data = bundle_for(2, extra=b"claimed").replace(
        base64.b64encode(b"claimed"), base64.b64encode(b"changed")
    )
    result = verify_bundle(data, leaf_data=TREE.leaves[2], log_key=LOG.verifier_key, policy=POLICY)
    assert result.extra == b"changed"


# --- which step failed -------------------------------------------------------------------------


def _step(data: bytes, *, leaf: bytes, policy: WitnessPolicy | NoWitnessRequired = POLICY) -> str:
    with pytest.raises(BundleVerificationError) as failure:
        verify_bundle(data, leaf_data=leaf, log_key=LOG.verifier_key, policy=policy)
    return failure.value.step.name


def test_wrong_leaf_fails_the_inclusion_step() -> None:
    assert _step(bundle_for(4), leaf=TREE.leaves[5]) == "INCLUSION_PROOF"


def test_proof_for_another_index_fails_the_inclusion_step() -> None:
    data = make_bundle(index=4, proof=TREE.inclusion(5, SIZE), checkpoint=witnessed_note())
    assert _step(data, leaf=TREE.leaves[4]) == "INCLUSION_PROOF"


def test_index_beyond_the_tree_fails_the_inclusion_step() -> None:
    data = make_bundle(index=SIZE, proof=TREE.inclusion(12, SIZE), checkpoint=witnessed_note())
    assert _step(data, leaf=TREE.leaves[12]) == "INCLUSION_PROOF"


def test_extra_proof_hash_fails_the_inclusion_step() -> None:
    proof = [*TREE.inclusion(4, SIZE), bytes(32)]
    data = make_bundle(index=4, proof=proof, checkpoint=witnessed_note())
    assert _step(data, leaf=TREE.leaves[4]) == "INCLUSION_PROOF"


def test_missing_witness_fails_the_policy_step() -> None:
    data = bundle_for(1, note=witnessed_note(SIZE, W1))
    with pytest.raises(BundleVerificationError, match=r"witness policy failed.*found 1"):
        verify_bundle(data, leaf_data=TREE.leaves[1], log_key=LOG.verifier_key, policy=POLICY)
    assert _step(data, leaf=TREE.leaves[1]) == "WITNESS_POLICY"


def test_wrong_log_key_fails_the_checkpoint_step() -> None:
    stranger = SignerKey(name=ORIGIN, private_key=bytes([6]) * 32)
    with pytest.raises(BundleVerificationError) as failure:
        verify_bundle(
            bundle_for(1),
            leaf_data=TREE.leaves[1],
            log_key=stranger.verifier_key,
            policy=NoWitnessRequired(),
        )
    assert failure.value.step is VerificationStep.CHECKPOINT


def test_checkpoint_of_another_origin_fails_the_checkpoint_step() -> None:
    with pytest.raises(BundleVerificationError, match="expected 'example\\.org/other'") as failure:
        verify_bundle(
            bundle_for(1),
            leaf_data=TREE.leaves[1],
            log_key=LOG.verifier_key,
            policy=POLICY,
            origin="example.org/other",
        )
    assert failure.value.step is VerificationStep.CHECKPOINT


def test_malformed_bundle_fails_the_format_step() -> None:
    assert _step(b"garbage", leaf=TREE.leaves[0]) == "BUNDLE_FORMAT"


# --- hostile bundles ---------------------------------------------------------------------------

_GOOD = bundle_for(4).decode()
_HEAD, _NOTE = _GOOD.split("\n\n", 1)
_HASH = _HEAD.split("\n")[2]

HOSTILE_BUNDLES: dict[str, tuple[str, str]] = {
    "empty": ("", "line 1: bundle is truncated"),
    "header only": ("c2sp.org/tlog-proof@v1\n", "line 2: bundle is truncated"),
    "no blank line": (_HEAD + "\n", "truncated"),
    "no checkpoint": (_HEAD + "\n\n", "no checkpoint"),
    "wrong header": (_GOOD.replace("@v1", "@v2", 1), "line 1: expected 'c2sp.org/tlog-proof@v1'"),
    "header with trailing space": (_GOOD.replace("@v1", "@v1 ", 1), "line 1"),
    "missing index": (_GOOD.replace("index 4\n", "", 1), "line 2: expected 'index N'"),
    "index before extra": (
        _GOOD.replace("index 4\n", "index 4\nextra AA==\n", 1),
        "line 3: proof hash is not valid base64",
    ),
    "index leading zero": (_GOOD.replace("index 4", "index 04", 1), "line 2: index must be"),
    "negative index": (_GOOD.replace("index 4", "index -4", 1), "line 2: index must be"),
    "index without space": (_GOOD.replace("index 4", "index4", 1), "line 2: expected 'index N'"),
    "index two spaces": (_GOOD.replace("index 4", "index  4", 1), "line 2: index must be"),
    "empty index": (_GOOD.replace("index 4", "index ", 1), "line 2: index must be"),
    "second index line": (_GOOD.replace("index 4\n", "index 4\nindex 5\n", 1), "line 3"),
    "bad base64 hash": (_GOOD.replace(_HASH, "!" + _HASH[1:], 1), "line 3: proof hash"),
    "unpadded hash": (_GOOD.replace(_HASH, _HASH.rstrip("="), 1), "line 3: proof hash"),
    "short hash": (
        _GOOD.replace(_HASH, base64.b64encode(bytes(31)).decode(), 1),
        "line 3: proof hash must be 32 bytes, got 31",
    ),
    "long hash": (
        _GOOD.replace(_HASH, base64.b64encode(bytes(33)).decode(), 1),
        "line 3: proof hash must be 32 bytes, got 33",
    ),
    "hash with trailing space": (_GOOD.replace(_HASH, _HASH + " ", 1), "line 3"),
    "crlf line endings": (_GOOD.replace("\n", "\r\n", 2), "line 1"),
    "not ascii": (_GOOD.replace("index 4", "index ４", 1), "line 2: not ASCII"),
    "bad extra": (_GOOD.replace("index 4", "extra !!\nindex 4", 1), "line 2: extra data"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE_BUNDLES))
def test_hostile_bundles_are_refused_naming_the_line(case: str) -> None:
    data, reason = HOSTILE_BUNDLES[case]
    with pytest.raises(BundleFormatError, match=reason):
        parse_bundle(data.encode())


def test_trailing_material_after_the_checkpoint_is_refused() -> None:
    for tail in (b"\n", b"more\n", b"\n\n"):
        assert _step(bundle_for(4) + tail, leaf=TREE.leaves[4]) == "CHECKPOINT"


def test_every_truncation_of_a_bundle_fails() -> None:
    data = bundle_for(4)
    for cut in range(len(data)):
        with pytest.raises(BundleVerificationError):
            verify_bundle(
                data[:cut], leaf_data=TREE.leaves[4], log_key=LOG.verifier_key, policy=POLICY
            )


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"index": -1}, "non-negative"),
        ({"proof": (bytes(31),)}, "32 bytes, got 31"),
        ({"proof": (bytes(32),) * 65}, "at most 64"),
        ({"checkpoint": b""}, "no checkpoint"),
    ],
)
def test_invalid_bundles_cannot_be_built(kwargs: dict[str, object], reason: str) -> None:
    fields: dict[str, object] = {"index": 0, "proof": (), "checkpoint": b"x"} | kwargs
    with pytest.raises(BundleFormatError, match=reason):
        ProofBundle(**fields)  # type: ignore[arg-type]


# --- any single-bit flip fails ------------------------------------------------------------------

_FLIP_BUNDLE = bundle_for(9)


@settings(max_examples=500, deadline=None)
@given(bit=st.integers(min_value=0, max_value=len(_FLIP_BUNDLE) * 8 - 1))
def test_any_single_bit_flip_of_a_bundle_fails(bit: int) -> None:
    mutated = bytearray(_FLIP_BUNDLE)
    mutated[bit // 8] ^= 1 << (bit % 8)
    with pytest.raises(BundleVerificationError):
        verify_bundle(
            bytes(mutated), leaf_data=TREE.leaves[9], log_key=LOG.verifier_key, policy=POLICY
        )


def test_every_single_bit_flip_of_the_proof_part_fails() -> None:
    # Exhaustive over the header and proof, where the checkpoint signature does not help.
    end = _FLIP_BUNDLE.index(b"\n\n") + 2
    for bit in range(end * 8):
        mutated = bytearray(_FLIP_BUNDLE)
        mutated[bit // 8] ^= 1 << (bit % 8)
        with pytest.raises(BundleVerificationError):
            verify_bundle(
                bytes(mutated), leaf_data=TREE.leaves[9], log_key=LOG.verifier_key, policy=POLICY
            )

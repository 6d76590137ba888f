"""RFC 9162 Merkle tree hashing (the RFC 6962 tree): roots, inclusion and consistency proofs.

Small pure functions, each citing the section of RFC 9162 (Certificate Transparency 2.0) it
implements; RFC 6962 §2.1 defines the same tree and proofs.

A log stores the hashes of its *complete* subtrees, named ``(level, index)``: the hash of leaves
``[index * 2**level, (index + 1) * 2**level)``. Every root and proof of the RFC tree is made of such
nodes, plus "ephemeral" right-edge nodes that fold several complete subtrees together. Proof
generation therefore works in three steps so that storage costs O(log n) reads: work out which
complete subtrees the proof needs, fetch them all in *one* call of ``read_nodes``, then assemble.

Verification follows RFC 9162 §2.1.3.2 and §2.1.4.2 with transparency-dev/merkle's edge rules:
an index must lie inside the tree; a consistency proof from size 0 is refused, as is one from a
larger size to a smaller; equal sizes need an empty proof and equal roots; every hash that enters
the computation is exactly :data:`HASH_SIZE` bytes; a proof with a missing hash or trailing
material is refused. Every failure is a :class:`~oresight.ledger.errors.ProofError` that says
what was expected and what was computed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Collection, Mapping, Sequence

from oresight.core.ledger import NodeId
from oresight.ledger.errors import MissingNode, ProofError, TreeRangeError

LEAF_HASH_PREFIX = 0x00
"""Domain separation byte before a leaf's data (RFC 9162 §2.1.1)."""
NODE_HASH_PREFIX = 0x01
"""Domain separation byte before two child hashes (RFC 9162 §2.1.1)."""
HASH_SIZE = 32
"""Bytes in a SHA-256 digest, the hash of every RFC 9162 log this package runs."""
EMPTY_ROOT = hashlib.sha256(b"").digest()
"""Root of the empty tree: the hash of the empty string (RFC 9162 §2.1.1)."""

NodeReader = Callable[[Collection[NodeId]], Mapping[NodeId, bytes]]
"""Reads the hashes of the given complete subtrees; every id asked for must be returned."""

_LEAF = bytes((LEAF_HASH_PREFIX,))
_NODE = bytes((NODE_HASH_PREFIX,))
# Bound once: the module-global lookup is measurably slower in the hot loops below.
_sha256 = hashlib.sha256


def leaf_hash(data: bytes) -> bytes:
    """MTH of a single leaf: ``SHA-256(0x00 || data)`` (RFC 9162 §2.1.1)."""
    return _sha256(_LEAF + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Hash of an interior node: ``SHA-256(0x01 || left || right)`` (RFC 9162 §2.1.1)."""
    return _sha256(_NODE + left + right).digest()


def root_from_leaf_hashes(hashes: Sequence[bytes]) -> bytes:
    """MTH of the leaves with these hashes (RFC 9162 §2.1.1), computed level by level.

    Pairing neighbours and lifting an unpaired last node to the next level builds exactly the
    RFC tree, whose left subtree is always the largest power of two smaller than the size.
    """
    if not hashes:
        return EMPTY_ROOT
    level = list(hashes)
    while len(level) > 1:
        odd = level[-1] if len(level) & 1 else None
        level = [
            _sha256(_NODE + level[i] + level[i + 1]).digest() for i in range(0, len(level) - 1, 2)
        ]
        if odd is not None:
            level.append(odd)
    return level[0]


def subtree_nodes(begin: int, end: int) -> list[NodeId]:
    """The fewest complete subtrees that exactly cover leaves ``[begin, end)``, left to right.

    For ``[0, size)`` these are the subtrees named by the set bits of ``size``, largest first;
    folding their hashes with :func:`root_from_subtrees` gives the root of that tree.
    """
    if not 0 <= begin <= end:
        raise TreeRangeError(f"leaf range [{begin}, {end}) is not a range of a tree")
    nodes: list[NodeId] = []
    while begin < end:
        level = (end - begin).bit_length() - 1
        if begin:
            # A subtree must start at a multiple of its own width.
            level = min(level, (begin & -begin).bit_length() - 1)
        nodes.append((level, begin >> level))
        begin += 1 << level
    return nodes


def root_from_subtrees(hashes: Sequence[bytes]) -> bytes:
    """Fold complete-subtree hashes, left to right in the tree, into the hash above them.

    RFC 9162 §2.1.1 splits a tree at the largest power of two below its size, so the right edge
    nests to the right: ``H(a, H(b, H(c, d)))``. For the nodes of :func:`subtree_nodes` of
    ``[0, size)`` (or of any range starting at a multiple of a power of two at least as wide as
    the range) this is the MTH of those leaves; no hashes at all is the empty tree.
    """
    if not hashes:
        return EMPTY_ROOT
    folded = hashes[-1]
    for left in reversed(hashes[:-1]):
        folded = _sha256(_NODE + left + folded).digest()
    return folded


def fetch_nodes(read_nodes: NodeReader, ids: Sequence[NodeId]) -> Mapping[NodeId, bytes]:
    """Read the given complete subtrees in one call, refusing an answer that lacks any of them."""
    found = read_nodes(ids) if ids else {}
    for node in ids:
        if node not in found:
            raise MissingNode(node)
    return found


def root_at(size: int, read_nodes: NodeReader) -> bytes:
    """Root of the tree of the first ``size`` leaves, from at most log2(size) + 1 stored nodes."""
    if size < 0:
        raise TreeRangeError(f"tree size {size} is negative")
    ids = subtree_nodes(0, size)
    found = fetch_nodes(read_nodes, ids)
    return root_from_subtrees([found[node] for node in ids])


def inclusion_proof(index: int, size: int, read_nodes: NodeReader) -> list[bytes]:
    """The audit path of leaf ``index`` in the tree of ``size`` leaves (RFC 9162 §2.1.3.1).

    Hashes run from the leaf's sibling up to the root's child, as PATH(m, D[n]) lists them.
    """
    if not 0 <= index < size:
        raise TreeRangeError(f"leaf index {index} is outside a tree of size {size}")
    return _assemble(_path_plan(index, size, 0), read_nodes)


def consistency_proof(old_size: int, new_size: int, read_nodes: NodeReader) -> list[bytes]:
    """The proof that the tree of ``old_size`` leaves is a prefix of that of ``new_size``
    (RFC 9162 §2.1.4.1, PROOF(m, D[n])).

    Equal sizes give the empty proof. Size 0 is refused: every tree extends the empty one, so
    such a proof would prove nothing and verifiers refuse it.
    """
    if old_size > new_size:
        raise TreeRangeError(
            f"no consistency proof from size {old_size} to the smaller size {new_size}"
        )
    if old_size <= 0:
        raise TreeRangeError(f"no consistency proof from tree size {old_size}: it proves nothing")
    if old_size == new_size:
        return []
    level = _trailing_zeros(old_size)
    groups: list[tuple[NodeId, ...]] = []
    if old_size & (old_size - 1):
        # The old tree's last complete subtree starts the proof, unless it *is* the old tree
        # (old_size a power of two), whose root the verifier already holds (SUBPROOF's b flag).
        groups.append(((level, (old_size - 1) >> level),))
    groups.extend(_path_plan(old_size - 1, new_size, level))
    return _assemble(groups, read_nodes)


def verify_inclusion(
    *, leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """Check that the leaf with ``leaf_hash`` sits at ``index`` in the tree of ``size`` leaves
    whose root is ``root`` (RFC 9162 §2.1.3.2); raise :class:`ProofError` if not."""
    if not 0 <= index < size:
        raise ProofError(f"leaf index {index} is outside a tree of size {size}")
    _require_hash("leaf hash", leaf_hash)
    _require_hash("root", root)
    inner = (index ^ (size - 1)).bit_length()
    expected = inner + (index >> inner).bit_count()
    _require_proof(proof, expected, f"inclusion proof of leaf {index} in a tree of size {size}")
    computed = leaf_hash
    for level, sibling in enumerate(proof):
        # Below `inner` the index bit says which side the sibling is on; above it the path runs
        # along the tree's right edge, where every sibling is a complete subtree on the left.
        if level < inner and not (index >> level) & 1:
            computed = _sha256(_NODE + computed + sibling).digest()
        else:
            computed = _sha256(_NODE + sibling + computed).digest()
    if computed != root:
        raise ProofError(
            f"inclusion proof of leaf {index} in a tree of size {size} leads to another root",
            expected=root.hex(),
            computed=computed.hex(),
        )


def verify_consistency(
    *, old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> None:
    """Check that the tree of ``old_size`` leaves with ``old_root`` is a prefix of the tree of
    ``new_size`` leaves with ``new_root`` (RFC 9162 §2.1.4.2); raise :class:`ProofError` if not."""
    if old_size < 0 or new_size < 0:
        raise ProofError(f"tree sizes {old_size} and {new_size} must not be negative")
    if old_size > new_size:
        raise ProofError(f"tree size went backwards: old size {old_size} > new size {new_size}")
    if old_size == 0:
        raise ProofError("a consistency proof from the empty tree (size 0) proves nothing")
    if old_size == new_size:
        if proof:
            raise ProofError(
                f"trees of equal size {old_size} need an empty consistency proof",
                expected="0 hashes",
                computed=f"{len(proof)} hashes",
            )
        # Same size: the proof is the roots being equal; nothing is hashed, so their bytes are
        # compared as given (as transparency-dev/merkle does).
        if old_root != new_root:
            raise ProofError(
                f"trees of equal size {old_size} have different roots",
                expected=old_root.hex(),
                computed=new_root.hex(),
            )
        return
    _require_hash("old root", old_root)
    _require_hash("new root", new_root)
    # Work at the level of the old tree's last complete subtree: its path to the new root,
    # with the subtree itself prepended unless it is the whole old tree (a power of two).
    level = _trailing_zeros(old_size)
    index = (old_size - 1) >> level
    inner = (index ^ ((new_size - 1) >> level)).bit_length()
    seeded = index == 0
    expected = inner + (index >> inner).bit_count() + (0 if seeded else 1)
    what = f"consistency proof from size {old_size} to size {new_size}"
    _require_proof(proof, expected, what)
    if seeded:
        old_hash = new_hash = old_root
        path = proof
    else:
        old_hash = new_hash = proof[0]
        path = proof[1:]
    for step, sibling in enumerate(path):
        if step < inner and not (index >> step) & 1:
            # A sibling on the right was appended after the old tree: only the new root has it.
            new_hash = _sha256(_NODE + new_hash + sibling).digest()
        else:
            old_hash = _sha256(_NODE + sibling + old_hash).digest()
            new_hash = _sha256(_NODE + sibling + new_hash).digest()
    if old_hash != old_root:
        raise ProofError(
            f"{what} does not reproduce the old root",
            expected=old_root.hex(),
            computed=old_hash.hex(),
        )
    if new_hash != new_root:
        raise ProofError(
            f"{what} does not reproduce the new root",
            expected=new_root.hex(),
            computed=new_hash.hex(),
        )


def _trailing_zeros(value: int) -> int:
    return (value & -value).bit_length() - 1


def _path_plan(index: int, size: int, level: int) -> list[tuple[NodeId, ...]]:
    """The nodes of each hash on the path from node ``(level, index >> level)`` to the root of
    the tree of ``size`` leaves; a tuple of several nodes is an ephemeral node to fold.

    Levels below ``inner`` are where the paths to ``index`` and to the last leaf differ: the
    sibling is a complete subtree, except at ``inner - 1`` where it is the partial right edge
    ``[begin, size)``. From ``inner`` up both paths share the right edge, whose siblings are the
    complete subtrees on the left wherever ``index`` has a set bit.
    """
    last = size - 1
    inner = (index ^ last).bit_length()
    groups: list[tuple[NodeId, ...]] = [
        ((lv, (index >> lv) ^ 1),) for lv in range(level, inner - 1)
    ]
    if inner > level:
        lv = inner - 1
        groups.append(tuple(subtree_nodes(((index >> lv) + 1) << lv, size)))
    groups.extend(
        ((lv, (index >> lv) - 1),) for lv in range(inner, last.bit_length()) if (index >> lv) & 1
    )
    return groups


def _assemble(groups: list[tuple[NodeId, ...]], read_nodes: NodeReader) -> list[bytes]:
    found = fetch_nodes(read_nodes, [node for group in groups for node in group])
    return [
        found[group[0]] if len(group) == 1 else root_from_subtrees([found[n] for n in group])
        for group in groups
    ]


def _require_hash(name: str, value: bytes) -> None:
    if len(value) != HASH_SIZE:
        raise ProofError(
            f"{name} must be a {HASH_SIZE}-byte SHA-256 hash",
            expected=f"{HASH_SIZE} bytes",
            computed=f"{len(value)} bytes",
        )


def _require_proof(proof: Sequence[bytes], expected: int, what: str) -> None:
    if len(proof) != expected:
        problem = "misses hashes" if len(proof) < expected else "has trailing material"
        raise ProofError(
            f"{what} {problem}",
            expected=f"{expected} hashes",
            computed=f"{len(proof)} hashes",
        )
    for position, item in enumerate(proof):
        if len(item) != HASH_SIZE:
            raise ProofError(
                f"{what}: hash {position} is not {HASH_SIZE} bytes",
                expected=f"{HASH_SIZE} bytes",
                computed=f"{len(item)} bytes",
            )

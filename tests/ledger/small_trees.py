"""Small in-memory Merkle trees for the checkpoint, witness and bundle tests.

Every complete subtree hash of the tree is kept in a dict, so the proof generators of
:mod:`oresight.ledger.merkle` can read them just as they read a log's storage.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from oresight.core.ledger import NodeId
from oresight.ledger.merkle import (
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root_from_leaf_hashes,
)


class SmallTree:
    """A Merkle tree of the given leaf data, holding every complete subtree hash."""

    def __init__(self, leaves: list[bytes]) -> None:
        self.leaves = leaves
        self.nodes: dict[NodeId, bytes] = {}
        level_hashes = [leaf_hash(data) for data in leaves]
        level = 0
        while level_hashes:
            for index, value in enumerate(level_hashes):
                self.nodes[(level, index)] = value
            level_hashes = [
                node_hash(level_hashes[i], level_hashes[i + 1])
                for i in range(0, len(level_hashes) - 1, 2)
            ]
            level += 1

    def read(self, ids: Collection[NodeId]) -> Mapping[NodeId, bytes]:
        """The stored hashes of ``ids``."""
        return {node: self.nodes[node] for node in ids}

    def root(self, size: int) -> bytes:
        """The root of the first ``size`` leaves."""
        return root_from_leaf_hashes([leaf_hash(data) for data in self.leaves[:size]])

    def inclusion(self, index: int, size: int) -> list[bytes]:
        """The inclusion proof of leaf ``index`` in the tree of ``size`` leaves."""
        return inclusion_proof(index, size, self.read)

    def consistency(self, old_size: int, new_size: int) -> list[bytes]:
        """The consistency proof from ``old_size`` to ``new_size``."""
        return consistency_proof(old_size, new_size, self.read)


def leaves(count: int) -> list[bytes]:
    """``count`` distinct leaf payloads."""
    return [f"leaf {i}".encode() for i in range(count)]

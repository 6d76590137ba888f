"""Errors of the custody ledger, all under :class:`LedgerError` (itself an ``OresightError``).

Each says what a user needs to act on: which proof, index or tree size, and what was expected
versus what was computed or found. Modules of the ledger subclass :class:`LedgerError` for their
own kinds (checkpoints, notes, witnesses, ...).
"""

from __future__ import annotations

from oresight.core.errors import OresightError
from oresight.core.ledger import NodeId


class LedgerError(OresightError):
    """Root of every error the ledger raises on purpose."""


class ProofError(LedgerError):
    """A Merkle inclusion or consistency proof that does not verify, or is malformed.

    ``expected`` and ``computed`` carry the two values that disagreed (hex for hashes, decimal for
    counts) when the failure is a comparison, so a caller can show both.
    """

    def __init__(
        self, message: str, *, expected: str | None = None, computed: str | None = None
    ) -> None:
        self.message = message
        self.expected = expected
        self.computed = computed
        detail = message
        if expected is not None or computed is not None:
            detail = f"{message} (expected {expected}, got {computed})"
        super().__init__(detail)


class TreeRangeError(LedgerError):
    """A tree size or leaf index outside what the log holds (e.g. a size beyond the committed one,
    or a consistency proof asked from a larger size to a smaller one)."""


class MissingNode(LedgerError):
    """A complete-subtree hash that the tree storage should hold but does not."""

    def __init__(self, node: NodeId, message: str | None = None) -> None:
        self.node = node
        super().__init__(
            message
            or f"tree storage lacks node (level {node[0]}, index {node[1]}): the stored tree is "
            "damaged; run the ledger audit"
        )


class AppendRefused(LedgerError):
    """An append that a tree storage refused as a whole; the log is unchanged."""

"""Plain data of the custody ledger that both the ledger pillar and the store handle."""

from __future__ import annotations

from dataclasses import dataclass

NodeId = tuple[int, int]
"""``(level, index)`` of a complete subtree: the RFC 9162 hash of leaves
``[index * 2**level, (index + 1) * 2**level)``; level 0 holds leaf hashes."""


@dataclass(frozen=True, slots=True)
class LogEntry:
    """One leaf of the log: its position, its key (the custody event id) and its leaf data."""

    index: int
    key: str
    data: bytes

"""Tamper evidence: recompute a stored log from its entries and name what no longer matches.

:func:`audit_tree` reads every committed entry and every stored complete-subtree hash once, in
batches, and checks that

* entries run without gaps from 0 to the committed size, with no entry beyond it and no key twice;
* each entry's data hashes to the stored leaf hash (RFC 9162 §2.1.1);
* each stored interior node is the hash of its two stored children;
* the root recomputed from the entries equals the root assembled from the stored nodes;
* the storage's index of keys finds every entry under its own key (``index_problems``).

Given those, every stored node equals the one recomputed from the entries, so the checks find any
edit of entries or hashes. Problems are listed entry problems first (by index), then node problems
from the lowest level up, then the root: the first one is where the damage starts. Whether the
root matches the log's signed checkpoint, and whether each entry's signature holds, are for the
caller (``check_entry`` hook, :attr:`AuditReport.root`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Literal

from oresight.core.errors import OresightError
from oresight.core.ledger import LogEntry, NodeId
from oresight.ledger import merkle
from oresight.ledger.storage import TreeStorage

ProblemKind = Literal[
    "missing-entry",
    "extra-entry",
    "key-index",
    "duplicate-key",
    "entry-hash",
    "entry-check",
    "missing-node",
    "node-hash",
    "root",
    "checkpoint",
]
"""What an :class:`AuditProblem` is about."""

EntryCheck = Callable[[LogEntry], str | None]
"""Checks one entry beyond its hash (e.g. its submitter's signature): a problem, or ``None``."""

_LAST_INDEX = 2**63 - 1
"""Largest index a database's 64-bit integer column holds: "everything after" in range reads."""


@dataclass(frozen=True, slots=True)
class AuditProblem:
    """One thing in the stored log that does not match what its entries imply.

    ``expected`` is what the level below implies (for an entry, the leaf hash the tree holds; for
    a node, the hash of its stored children) and ``found`` what is stored, both in hex.
    """

    kind: ProblemKind
    message: str
    index: int | None = None
    key: str | None = None
    node: NodeId | None = None
    expected: str | None = None
    found: str | None = None

    def describe(self) -> str:
        """One line: the problem, then expected versus found where they apply."""
        if self.expected is None and self.found is None:
            return self.message
        return f"{self.message} (expected {self.expected}, found {self.found})"


@dataclass(frozen=True, slots=True)
class AuditReport:
    """What :func:`audit_tree` found in one log."""

    size: int
    """The committed tree size audited."""
    root: bytes | None
    """Root recomputed from the entries; ``None`` when an entry is missing."""
    stored_root: bytes | None
    """Root assembled from stored nodes, what checkpoints sign; ``None`` when a node is missing."""
    problems: tuple[AuditProblem, ...]
    truncated: bool
    """More problems were found than the audit was asked to list."""

    @property
    def ok(self) -> bool:
        """Whether nothing was found."""
        return not self.problems

    @property
    def first(self) -> AuditProblem | None:
        """Where the damage starts: the first entry problem, else the lowest node problem."""
        return self.problems[0] if self.problems else None

    def with_problem(self, kind: ProblemKind, message: str) -> AuditReport:
        """This report with one more problem at the end (e.g. about the signed checkpoint)."""
        problem = AuditProblem(kind=kind, message=message)
        return replace(self, problems=(*self.problems, problem))


def audit_tree(
    storage: TreeStorage,
    *,
    check_entry: EntryCheck | None = None,
    batch: int = 4096,
    max_problems: int = 100,
) -> AuditReport:
    """Recompute the log in ``storage`` at its committed size and report every mismatch.

    ``batch`` (a power of two) is how many leaves are read and checked together; memory stays
    O(batch + size / batch). ``max_problems`` bounds each list of problems kept.
    """
    if batch < 2 or batch & (batch - 1):
        raise ValueError(f"audit batch must be a power of two >= 2, not {batch}")
    audit = _Audit(storage, check_entry, max_problems)
    size = storage.tree_size()
    chunk_level = batch.bit_length() - 1
    tops: list[bytes | None] = []
    for start in range(0, size, batch):
        stop = min(size, start + batch)
        leaves = audit.check_entries(start, stop)
        top = audit.check_levels(leaves, 0, start, chunk_level)
        if stop - start == batch:
            tops.extend(top)
    audit.check_levels(tops, chunk_level, 0, None)
    for entry in audit.read_entries(size, _LAST_INDEX):
        audit.entry_problem(
            "extra-entry",
            f"entry {entry.index} (key {entry.key!r}) lies beyond the committed size {size}",
            entry,
        )
    root = merkle.root_from_subtrees(audit.compact) if not audit.gaps else None
    try:
        stored_root: bytes | None = merkle.root_at(size, storage.read_nodes)
    except OresightError:
        stored_root = None
    if root is not None and stored_root is not None and root != stored_root:
        audit.root_problems.append(
            AuditProblem(
                "root",
                f"the root at size {size} recomputed from the entries differs from the stored one",
                expected=stored_root.hex(),
                found=root.hex(),
            )
        )
    index_problems = [
        AuditProblem("key-index", message, index=index)
        for index, message in storage.index_problems(max_problems)
    ]
    node_problems = sorted(audit.node_problems, key=lambda p: p.node or (0, 0))
    return AuditReport(
        size=size,
        root=root,
        stored_root=stored_root,
        problems=(
            *audit.entry_problems,
            *index_problems,
            *node_problems,
            *audit.root_problems,
        ),
        truncated=audit.truncated,
    )


class _Audit:
    """The running state of one audit: problems so far and the recomputed right edge."""

    def __init__(
        self, storage: TreeStorage, check_entry: EntryCheck | None, max_problems: int
    ) -> None:
        self.storage = storage
        self.check_entry = check_entry
        self.max_problems = max_problems
        self.entry_problems: list[AuditProblem] = []
        self.unreadable: set[int] = set()
        self.node_problems: list[AuditProblem] = []
        self.root_problems: list[AuditProblem] = []
        self.truncated = False
        self.gaps = False
        self.keys: dict[str, int] = {}
        # Complete subtrees over the entries recomputed so far, left to right (a compact range):
        # folded at the end it is the root, without keeping every leaf hash.
        self.compact: list[bytes] = []
        self.recomputed = 0

    def check_entries(self, start: int, stop: int) -> list[bytes | None]:
        """Check entries ``[start, stop)`` against their stored leaf hashes; return those."""
        stored = self.read([(0, index) for index in range(start, stop)])
        expected = start
        for entry in self.read_entries(start, stop):
            if entry.index < expected:
                self.entry_problem("extra-entry", f"entry {entry.index} is stored twice", entry)
                continue
            for index in range(expected, entry.index):
                self.missing_entry(index)
            expected = entry.index + 1
            digest = merkle.leaf_hash(entry.data)
            if not self.gaps:
                self.push(digest)
            leaf = stored.get((0, entry.index))
            if leaf is not None and leaf != digest:
                self.entry_problem(
                    "entry-hash",
                    f"entry {entry.index} (key {entry.key!r}): its stored data hashes to another "
                    "leaf hash than the tree holds",
                    entry,
                    expected=leaf.hex(),
                    found=digest.hex(),
                )
            first_index = self.keys.setdefault(entry.key, entry.index)
            if first_index != entry.index:
                self.entry_problem(
                    "duplicate-key",
                    f"entry {entry.index} repeats the key {entry.key!r} of entry {first_index}",
                    entry,
                )
            if self.check_entry is not None:
                complaint = self.check_entry(entry)
                if complaint:
                    self.entry_problem(
                        "entry-check",
                        f"entry {entry.index} (key {entry.key!r}): {complaint}",
                        entry,
                    )
        for index in range(expected, stop):
            self.missing_entry(index)
        return [stored.get((0, index)) for index in range(start, stop)]

    def check_levels(
        self, row: list[bytes | None], level: int, first: int, top_level: int | None
    ) -> list[bytes | None]:
        """Check each stored node above ``row`` (stored hashes of nodes ``(level, first ..)``,
        ``first`` even) against its two stored children, up to ``top_level`` (or the top);
        return the stored row reached."""
        while len(row) > 1 and (top_level is None or level < top_level):
            level, first = level + 1, first >> 1
            ids = [(level, first + offset) for offset in range(len(row) >> 1)]
            stored = self.read(ids)
            parents: list[bytes | None] = []
            for offset, node in enumerate(ids):
                found = stored.get(node)
                left, right = row[2 * offset], row[2 * offset + 1]
                if found is not None and left is not None and right is not None:
                    implied = merkle.node_hash(left, right)
                    if implied != found:
                        self.node_problem(
                            node,
                            f"node (level {node[0]}, index {node[1]}) over entries "
                            f"[{node[1] << node[0]}, {(node[1] + 1) << node[0]}) is not the hash "
                            "of its stored children",
                            expected=implied.hex(),
                            found=found.hex(),
                        )
                parents.append(found)
            row = parents
        return row

    def read_entries(self, start: int, stop: int) -> list[LogEntry]:
        """Stored entries of ``[start, stop)``; one the storage cannot give (a damaged row) is
        a problem, singled out by halving the range as :meth:`read` does for nodes."""
        try:
            return self.storage.read_entries(start, stop)
        except OresightError as exc:
            if stop - start == 1:
                self.gaps = True
                self.unreadable.add(start)
                self.keep(
                    self.entry_problems,
                    AuditProblem(
                        "missing-entry", f"entry {start} cannot be read: {exc}", index=start
                    ),
                )
                return []
        middle = (start + stop) // 2
        return [*self.read_entries(start, middle), *self.read_entries(middle, stop)]

    def read(self, ids: list[NodeId]) -> dict[NodeId, bytes]:
        """Stored nodes among ``ids``; each one the storage cannot give is a problem.

        Storages refuse a read that lacks any node, so a failed read is halved until the
        unreadable nodes are singled out: O(missing x log batch) reads, only on damage.
        """
        if not ids:
            return {}
        try:
            return dict(self.storage.read_nodes(ids))
        except OresightError as exc:
            if len(ids) == 1:
                node = ids[0]
                self.node_problem(
                    node, f"node (level {node[0]}, index {node[1]}) cannot be read: {exc}"
                )
                return {}
        middle = len(ids) // 2
        return {**self.read(ids[:middle]), **self.read(ids[middle:])}

    def push(self, digest: bytes) -> None:
        """Add the next recomputed leaf hash to the compact range."""
        compact = self.compact
        compact.append(digest)
        self.recomputed += 1
        count = self.recomputed
        # The count's trailing zero bits are the complete subtrees this leaf closes.
        while not count & 1:
            right = compact.pop()
            compact[-1] = merkle.node_hash(compact[-1], right)
            count >>= 1

    def missing_entry(self, index: int) -> None:
        """Record that the entry at ``index`` is not stored."""
        self.gaps = True
        if index in self.unreadable:
            return
        self.keep(
            self.entry_problems,
            AuditProblem("missing-entry", f"entry {index} is missing", index=index),
        )

    def entry_problem(
        self,
        kind: ProblemKind,
        message: str,
        entry: LogEntry,
        *,
        expected: str | None = None,
        found: str | None = None,
    ) -> None:
        """Record a problem of one stored entry."""
        problem = AuditProblem(
            kind, message, index=entry.index, key=entry.key, expected=expected, found=found
        )
        self.keep(self.entry_problems, problem)

    def node_problem(
        self, node: NodeId, message: str, *, expected: str | None = None, found: str | None = None
    ) -> None:
        """Record a problem of one stored node."""
        problem = AuditProblem(
            "missing-node" if expected is None else "node-hash",
            message,
            node=node,
            expected=expected,
            found=found,
        )
        self.keep(self.node_problems, problem)

    def keep(self, problems: list[AuditProblem], problem: AuditProblem) -> None:
        """Add a problem unless the list is full, which the report then says."""
        if len(problems) < self.max_problems:
            problems.append(problem)
        else:
            self.truncated = True

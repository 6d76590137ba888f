"""The vocabulary of an index: its distinct name tokens, and how a query token finds them.

A query token finds the vocabulary tokens it could pair with in
:mod:`~oresight.screening.match.name_similarity`: itself; the tokens one deletion away from it or
sharing a one-deletion variant with it, which covers one substituted, inserted, deleted or two
swapped letters (the hashed deletion variants of every token are built once, sorted, and looked
up by binary search, as SymSpell does); and the tokens with the same Metaphone key and first
letter. A query token the vocabulary lacks may also be two of its tokens written as one
(``munsan`` for ``mun`` and ``san``).

The hashes are Python's own string hashes, so a vocabulary lives in the process that built it
(and in the processes forked from it).
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator

import numpy as np
import numpy.typing as npt
from rapidfuzz.distance import OSA
from rigour.text import metaphone

from oresight.screening.match.name_tokens import typo_budget

MAX_EXPANSIONS = 12
"""Vocabulary tokens one query token may find; the closest, then the rarest, are kept."""

REMEMBERED_EXPANSIONS = 100_000
"""Query tokens whose expansions a vocabulary remembers (forgotten all at once past this)."""

_Keys = npt.NDArray[np.int64]
_Owners = npt.NDArray[np.int32]


class Vocabulary:
    """Distinct tokens with their ids, and the tables that find a query token's neighbours."""

    def __init__(
        self,
        tokens: list[str],
        ids: dict[str, int],
        frequency: npt.NDArray[np.int64],
        *,
        sounds_alike: float,
    ) -> None:
        self._tokens = tokens
        self._ids = ids
        self._frequency = frequency
        self._sounds_alike = sounds_alike
        self._variant_keys, self._variant_owners = _variant_table(tokens)
        self._sound_keys, self._sound_owners = _sound_table(tokens)
        self._expanded: dict[str, tuple[list[tuple[int, float]], tuple[int, ...]]] = {}

    def __len__(self) -> int:
        return len(self._tokens)

    def __contains__(self, token: object) -> bool:
        return token in self._ids

    def token(self, token_id: int) -> str:
        """The token of an id."""
        return self._tokens[token_id]

    def id(self, token: str) -> int | None:
        """The id of a token, if the vocabulary has it."""
        return self._ids.get(token)

    @property
    def variants(self) -> int:
        """How many hashed deletion variants the vocabulary holds."""
        return int(self._variant_keys.size)

    @property
    def nbytes(self) -> int:
        """Bytes of the lookup tables (numpy arrays)."""
        tables = (self._variant_keys, self._variant_owners, self._sound_keys, self._sound_owners)
        return sum(int(table.nbytes) for table in tables)

    def expand(self, token: str, reach: set[int] | None = None) -> list[tuple[int, float]]:
        """The ids of the tokens a query token could pair with, and their similarity: the
        closest :data:`MAX_EXPANSIONS`; ``reach``, when given, receives the ids of all.

        Remembered per token (queries repeat their common names), up to
        :data:`REMEMBERED_EXPANSIONS` tokens at a time."""
        known = self._expanded.get(token)
        if known is None:
            if len(self._expanded) >= REMEMBERED_EXPANSIONS:
                self._expanded.clear()
            known = self._expanded[token] = self._expand(token)
        ranked, every = known
        if reach is not None:
            reach.update(every)
        return ranked

    def _expand(self, token: str) -> tuple[list[tuple[int, float]], tuple[int, ...]]:
        found: dict[int, float] = {}
        exact = self._ids.get(token)
        if exact is not None:
            found[exact] = 1.0
        if not token.isdigit() and len(token) >= 4:
            self._typos(token, found)
        if len(token) >= 3 and not token.isdigit():
            key = np.int64(hash(metaphone(token)))
            start = int(np.searchsorted(self._sound_keys, key, side="left"))
            end = int(np.searchsorted(self._sound_keys, key, side="right"))
            for token_id in self._sound_owners[start:end].tolist():
                if token_id not in found and self._tokens[token_id][0] == token[0]:
                    found[token_id] = self._sounds_alike
        ranked = list(found.items())
        if len(ranked) > MAX_EXPANSIONS:
            ranked.sort(key=lambda item: (-item[1], int(self._frequency[item[0]])))
            del ranked[MAX_EXPANSIONS:]
        return ranked, tuple(found)

    def splits(self, token: str) -> Iterator[tuple[int, int]]:
        """Two tokens that the query writes as one (``munsan``: ``mun`` and ``san``)."""
        for cut in range(2, len(token) - 1):
            left = self._ids.get(token[:cut])
            if left is not None:
                right = self._ids.get(token[cut:])
                if right is not None:
                    yield left, right

    def _typos(self, token: str, found: dict[int, float]) -> None:
        """Add the tokens within the typo budget of a token, with their similarity."""
        keys = np.fromiter((hash(variant) for variant in _variants(token)), dtype=np.int64)
        starts = np.searchsorted(self._variant_keys, keys, side="left")
        ends = np.searchsorted(self._variant_keys, keys, side="right")
        for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
            for token_id in self._variant_owners[start:end].tolist():
                if token_id in found:
                    continue
                other = self._tokens[token_id]
                budget = typo_budget(min(len(token), len(other)))
                distance = OSA.distance(token, other, score_cutoff=budget + 1)
                if distance <= budget:
                    found[token_id] = 1.0 - distance / max(len(token), len(other))


def _variants(token: str) -> Iterator[str]:
    """The token and each string one deletion away from it."""
    yield token
    for index in range(len(token)):
        yield token[:index] + token[index + 1 :]


def _variant_table(tokens: list[str]) -> tuple[_Keys, _Owners]:
    """Hashed one-deletion variants of every token of four letters or more, sorted by hash."""
    keys = array("q")
    owners = array("i")
    for token_id, token in enumerate(tokens):
        if len(token) < 4 or token.isdigit():
            continue
        for variant in _variants(token):
            keys.append(hash(variant))
            owners.append(token_id)
    return _sorted_table(keys, owners)


def _sound_table(tokens: list[str]) -> tuple[_Keys, _Owners]:
    """Hashed Metaphone keys of every token of three letters or more, sorted by hash."""
    keys = array("q")
    owners = array("i")
    for token_id, token in enumerate(tokens):
        if len(token) < 3 or token.isdigit():
            continue
        key = metaphone(token)
        if key:
            keys.append(hash(key))
            owners.append(token_id)
    return _sorted_table(keys, owners)


def _sorted_table(keys: array[int], owners: array[int]) -> tuple[_Keys, _Owners]:
    key_array = np.frombuffer(keys, dtype=np.int64) if keys else np.zeros(0, dtype=np.int64)
    owner_array = np.frombuffer(owners, dtype=np.int32) if owners else np.zeros(0, dtype=np.int32)
    order = np.argsort(key_array, kind="stable")
    return key_array[order], owner_array[order]

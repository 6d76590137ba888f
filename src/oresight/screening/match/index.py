"""Candidate generation: find the few entities worth scoring among a million, without pairs.

Every name of every entity is normalised (:mod:`oresight.screening.names`) and its tokens go into
an inverted index: the vocabulary of distinct tokens, and for each token the sorted rows of the
entities that carry it, as numpy arrays (CSR: one array of offsets, one of rows): the postings
of a million entities take tens of megabytes, not a Python object each. Each entity's matchable
values are kept packed in one string (:class:`~oresight.screening.match.profile.Profile`).

A query token finds the vocabulary tokens it could pair with (the same, a typo away, sounding
alike: :mod:`~oresight.screening.match.vocabulary`); two adjacent query tokens may find the one
token an entity writes them as (``Good Will``, ``goodwill``), and a query token the vocabulary
lacks the two it may join (``Munsan``: ``mun``, ``san``). Each found token votes for its entities
with its inverse document frequency (IDF) times its similarity times the query token's weight,
so common tokens (``trading``, ``company``, ``mohammed``) count little and the rarest tokens are
read first: the postings read per query are capped, the commonest tokens left out when the cap
is reached. The best-voted entities of a compatible schema are then scored in full
(:mod:`~oresight.screening.match.scoring`), except those whose dates and countries already keep
them below the threshold, whatever their names.

The vocabulary hashes strings with Python's own hash, so an index lives in the process that
built it (and those forked from it). ``numpy`` holds the postings and the vocabulary's tables: a
posting costs four bytes in an array where it would cost a hundred as a Python object, and the
votes of a token's postings are added in one vectorised step.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise

import numpy as np
import numpy.typing as npt
from followthemoney import EntityProxy, model

from oresight.core.errors import InvalidInput
from oresight.screening.match.name_tokens import DEFAULT_SCORING, NameScoring, token_weight
from oresight.screening.match.profile import Profile, profile_of
from oresight.screening.match.scoring import (
    DEFAULT_THRESHOLD,
    Evaluation,
    Match,
    evaluate_from,
)
from oresight.screening.match.vocabulary import Vocabulary
from oresight.screening.names import name_kind, normalise_name

POSTINGS_PER_QUERY = 200_000
"""At most this many postings are read for one query; the commonest tokens give way first."""

RESCORE_EXTRA = 5
"""Candidates scored in full per query: the limit and this many more."""

SIMILARITY_JOINED = 0.9
"""The vote of a token the query writes in two (or two it writes as one), as a similarity."""

_IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class IndexStats:
    """The size of an index: entities, distinct tokens, postings and hashed token variants."""

    entities: int
    skipped: int
    tokens: int
    postings: int
    variants: int
    nbytes: int


class MatchIndex:
    """An index of FtM entities to screen queries against (see the module docstring).

    Build it with :meth:`build`; query it with :meth:`search`. An index answers one search at a
    time: it counts votes in one array that it keeps between searches.
    """

    def __init__(
        self,
        *,
        records: list[str],
        rows: dict[str, int],
        schema_codes: npt.NDArray[np.uint8],
        schemata: list[str],
        vocabulary: dict[str, int],
        tokens: list[str],
        offsets: _IntArray,
        postings: npt.NDArray[np.int32],
        skipped: int,
        scoring: NameScoring,
    ) -> None:
        self._records = records
        self._rows = rows
        self._schema_codes = schema_codes
        self._schemata = schemata
        self._offsets = offsets
        # The same offsets as Python ints: a query reads a few dozen, one at a time, where a
        # numpy scalar costs ten times a list item.
        self._starts: list[int] = offsets.tolist()
        self._postings = postings
        self._skipped = skipped
        self._scoring = scoring
        frequency = np.diff(offsets)
        self._vocabulary = Vocabulary(
            tokens, vocabulary, frequency, sounds_alike=scoring.similarity_sounds_alike
        )
        self._idf = np.log1p(len(records) / np.maximum(frequency.astype(np.float64), 1.0))
        self._votes = np.zeros(len(records), dtype=np.float32)
        self._compatible: dict[str, npt.NDArray[np.bool_]] = {}

    @classmethod
    def build(
        cls, entities: Iterable[EntityProxy], *, scoring: NameScoring = DEFAULT_SCORING
    ) -> MatchIndex:
        """Index the entities that have a name; the others (Sanction, Ownership) are skipped.

        Entities that share an id are fragments of one entity and are indexed as one.
        """
        records: list[str] = []
        rows: dict[str, int] = {}
        schemata: list[str] = []
        schema_index: dict[str, int] = {}
        codes = array("B")
        vocabulary: dict[str, int] = {}
        tokens: list[str] = []
        posting_tokens = array("i")
        posting_rows = array("i")
        skipped = 0
        for profile in _profiles(entities):
            if profile is None:
                skipped += 1
                continue
            row = rows.get(profile.id)
            if row is not None:
                profile = _merged(Profile.unpack(records[row]), profile)
                records[row] = profile.pack()
            else:
                row = len(records)
                rows[profile.id] = row
                records.append(profile.pack())
                code = schema_index.get(profile.schema)
                if code is None:
                    code = schema_index[profile.schema] = len(schemata)
                    schemata.append(profile.schema)
                codes.append(code)
            kind = name_kind(profile.schema)
            seen: set[int] = set()
            for name in profile.names:
                for token in normalise_name(name, kind).tokens:
                    token_id = vocabulary.get(token)
                    if token_id is None:
                        token_id = vocabulary[token] = len(tokens)
                        tokens.append(token)
                    if token_id not in seen:
                        seen.add(token_id)
                        posting_tokens.append(token_id)
                        posting_rows.append(row)
        token_ids = np.frombuffer(posting_tokens, dtype=np.int32)
        order = np.argsort(token_ids, kind="stable")
        counts = np.bincount(token_ids, minlength=len(tokens))
        offsets = np.zeros(len(tokens) + 1, dtype=np.int64)
        np.cumsum(counts, out=offsets[1:])
        postings = np.frombuffer(posting_rows, dtype=np.int32)[order]
        if len(schemata) > 255:
            raise InvalidInput(f"more than 255 FtM schemata to index ({len(schemata)})")
        return cls(
            records=records,
            rows=rows,
            schema_codes=np.frombuffer(codes, dtype=np.uint8).copy(),
            schemata=schemata,
            vocabulary=vocabulary,
            tokens=tokens,
            offsets=offsets,
            postings=postings,
            skipped=skipped,
            scoring=scoring,
        )

    def __len__(self) -> int:
        return len(self._records)

    def __contains__(self, entity_id: object) -> bool:
        return entity_id in self._rows

    def profile(self, entity_id: str) -> Profile:
        """The indexed profile of an entity, by id."""
        row = self._rows.get(entity_id)
        if row is None:
            raise KeyError(entity_id)
        return Profile.unpack(self._records[row])

    def stats(self) -> IndexStats:
        """How big the index is (numpy arrays counted in ``nbytes``; Python strings not)."""
        arrays = (self._offsets, self._postings, self._schema_codes, self._idf, self._votes)
        return IndexStats(
            entities=len(self._records),
            skipped=self._skipped,
            tokens=len(self._vocabulary),
            postings=int(self._postings.size),
            variants=self._vocabulary.variants,
            nbytes=sum(int(item.nbytes) for item in arrays) + self._vocabulary.nbytes,
        )

    def search(
        self,
        query: EntityProxy | Profile,
        *,
        limit: int = 10,
        threshold: float = DEFAULT_THRESHOLD,
    ) -> list[Match]:
        """The best matches for a query entity, best first: at most ``limit``, each scoring at
        least ``threshold`` (pass 0 to see the nearest candidates whatever their score)."""
        if limit < 1:
            raise InvalidInput(f"the limit must be at least 1, found {limit}", field="limit")
        profile = query if isinstance(query, Profile) else Profile.from_entity(query)
        found: set[int] = set()
        weights = self._found_tokens(profile, found)
        if not weights:
            return []
        rows = self._best_rows(weights, profile.schema, limit + RESCORE_EXTRA)
        found.update(weights)
        reach = {self._vocabulary.token(token_id) for token_id in found}
        scoring = self._scoring
        kept: list[Evaluation] = []
        for row in rows:
            candidate = _unpacked(self._records[row])
            scored = evaluate_from(profile, candidate, threshold, scoring=scoring, reach=reach)
            if scored is not None and scored.score >= threshold:
                kept.append(scored)
        kept.sort(key=lambda scored: (-scored.score, scored.candidate.id))
        return [scored.match() for scored in kept[:limit]]

    def candidate_rows(self, profile: Profile, count: int) -> list[int]:
        """The rows of the ``count`` best-voted entities of a schema the query can match."""
        weights = self._found_tokens(profile)
        if not weights:
            return []
        return self._best_rows(weights, profile.schema, count)

    def _found_tokens(self, profile: Profile, reach: set[int] | None = None) -> dict[int, float]:
        """The vocabulary tokens the query's names find, each with its vote (``reach`` receives
        the ids of every token found, those left out of the vote included)."""
        kind = name_kind(profile.schema)
        weights: dict[int, float] = {}
        for name in profile.names:
            normal = normalise_name(name, kind).tokens
            for token in normal:
                weight = token_weight(token, kind, self._scoring)
                for token_id, similarity in self._vocabulary.expand(token, reach):
                    vote = weight * similarity * float(self._idf[token_id])
                    if vote > weights.get(token_id, 0.0):
                        weights[token_id] = vote
            for left, right in pairwise(normal):
                self._vote(weights, self._vocabulary.id(left + right), SIMILARITY_JOINED)
            for token in normal:
                if len(token) >= 4 and token not in self._vocabulary:
                    for left_id, right_id in self._vocabulary.splits(token):
                        self._vote(weights, left_id, SIMILARITY_JOINED)
                        self._vote(weights, right_id, SIMILARITY_JOINED)
        return weights

    def _vote(self, weights: dict[int, float], token_id: int | None, similarity: float) -> None:
        if token_id is not None:
            vote = similarity * float(self._idf[token_id])
            weights[token_id] = max(weights.get(token_id, 0.0), vote)

    def _frequency(self, token_id: int) -> int:
        return self._starts[token_id + 1] - self._starts[token_id]

    def _best_rows(self, weights: dict[int, float], schema: str, count: int) -> list[int]:
        """Vote with the postings of the found tokens, rarest first, and keep the best rows."""
        ordered = sorted(weights.items(), key=lambda item: self._frequency(item[0]))
        slices: list[npt.NDArray[np.int32]] = []
        read = 0
        votes = self._votes
        for token_id, weight in ordered:
            start, end = self._starts[token_id], self._starts[token_id + 1]
            if read and read + (end - start) > POSTINGS_PER_QUERY:
                break
            rows = self._postings[start:end]
            votes[rows] += weight
            slices.append(rows)
            read += end - start
        touched = np.concatenate(slices) if len(slices) > 1 else slices[0]
        scores = votes[touched]
        votes[touched] = 0.0
        scores[~self._compatible_rows(schema)[self._schema_codes[touched]]] = -1.0
        wanted = min(len(touched), count * 4)
        if wanted < len(touched):
            top = np.argpartition(-scores, wanted - 1)[:wanted]
        else:
            top = np.arange(len(touched))
        best: dict[int, float] = {}
        for row, score in zip(touched[top].tolist(), scores[top].tolist(), strict=True):
            if score > 0:
                best[row] = score
        ranked = sorted(best.items(), key=lambda item: (-item[1], item[0]))
        return [row for row, _score in ranked[:count]]

    def _compatible_rows(self, schema: str) -> npt.NDArray[np.bool_]:
        """For each schema code of the index, whether a query of this schema can match it."""
        found = self._compatible.get(schema)
        if found is None:
            query = model.get(schema)
            found = np.array(
                [
                    query is not None
                    and (other := model.get(name)) is not None
                    and query.can_match(other)
                    for name in self._schemata
                ],
                dtype=np.bool_,
            )
            self._compatible[schema] = found
        return found


@lru_cache(maxsize=16384)
def _unpacked(packed: str) -> Profile:
    """A packed profile, unpacked once while it keeps coming up as a candidate."""
    return Profile.unpack(packed)


def _profiles(entities: Iterable[EntityProxy]) -> Iterator[Profile | None]:
    for entity in entities:
        yield profile_of(entity)


def _merged(first: Profile, second: Profile) -> Profile:
    """Two fragments of one entity as one profile (the first fragment's schema is kept)."""

    def union(a: tuple[str, ...], b: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(dict.fromkeys((*a, *b)))

    return Profile(
        id=first.id,
        schema=first.schema,
        names=union(first.names, second.names),
        countries=union(first.countries, second.countries),
        dates=union(first.dates, second.dates),
        identifiers=union(first.identifiers, second.identifiers),
        addresses=union(first.addresses, second.addresses),
    )

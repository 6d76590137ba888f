"""Screening by example: match FtM entities against lists of FtM entities, with reasons.

A query is an FtM entity (a Person, a Company, a LegalEntity, a Vessel, ...) with whatever is
known about it; the candidates are the entities of sanctions or other lists, indexed once::

    index = MatchIndex.build(entities)              # any iterable of EntityProxy
    for match in index.search(query, limit=10):     # best first, score >= DEFAULT_THRESHOLD
        print(match.candidate_id, match.score, match.explanation())

    score_pair(query, candidate)                    # one pair, no index
    search_many(index, queries, processes=2)        # many queries, on two cores

Every :class:`Match` carries the :class:`Feature` list that produced its score: the best pair of
names and how their tokens agree, then identifiers, dates, countries and addresses, each with the
amount it moved the score. How names are normalised is in :mod:`oresight.screening.names`, how
they are compared in :mod:`oresight.screening.match.name_similarity`, how the features add up in
:mod:`oresight.screening.match.scoring`, and how candidates are found in
:mod:`oresight.screening.match.index`.
"""

from __future__ import annotations

from followthemoney import EntityProxy

from oresight.screening.match.batch import search_many
from oresight.screening.match.index import IndexStats, MatchIndex
from oresight.screening.match.name_similarity import (
    DEFAULT_SCORING,
    NameComparison,
    NameScoring,
    TokenMatch,
    compare_names,
)
from oresight.screening.match.profile import Profile
from oresight.screening.match.scoring import (
    DEFAULT_THRESHOLD,
    Feature,
    FeatureKind,
    Match,
    score_profiles,
)
from oresight.screening.names import NameKind, NormalName, normalise_name

__all__ = [
    "DEFAULT_SCORING",
    "DEFAULT_THRESHOLD",
    "Feature",
    "FeatureKind",
    "IndexStats",
    "Match",
    "MatchIndex",
    "NameComparison",
    "NameKind",
    "NameScoring",
    "NormalName",
    "Profile",
    "TokenMatch",
    "compare_names",
    "normalise_name",
    "score_pair",
    "search_many",
]


def score_pair(
    query: EntityProxy, candidate: EntityProxy, *, scoring: NameScoring = DEFAULT_SCORING
) -> Match:
    """Score one candidate entity against a query entity, with the features that explain it.

    Both need an id and a name; :class:`~oresight.core.errors.InvalidInput` says which lacks one.
    """
    return score_profiles(
        Profile.from_entity(query), Profile.from_entity(candidate), scoring=scoring
    )

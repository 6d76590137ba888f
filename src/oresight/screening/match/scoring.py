"""The score of a candidate against a query, built from features that explain it.

The name decides: the best pair of names (any name or alias of the query against any of the
candidate's) gives the base score. The other features move it, each by a stated amount, so an
investigator reads what each piece of evidence did:

* **schema** — a Person never matches a Company (FtM's ``can_match``: a LegalEntity can be
  either); an impossible pair scores 0 whatever its names;
* **identifier** — a registration, passport, tax or IMO number on both sides is strong evidence:
  it closes 80 % of the gap between the name score and 1;
* **date** — birth, incorporation or build dates: the same full date closes 40 % of the gap, a
  year that agrees with a full date (``1965`` and ``1965-03-02``) 15 %; dates that cannot be the
  same take 30 % off the score, a different day in the same year 10 %;
* **country** — a country in common closes 15 % of the gap, no country in common takes 10 % off;
* **address** — addresses that rigour's address comparison scores 0.5 or more close 15 % of the
  gap.

Bonuses close a share of the gap to 1 rather than add, so no feature pushes a score past 1 and
a weak name needs several pieces of evidence to reach the threshold.
"""

from __future__ import annotations

from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

from followthemoney import model
from followthemoney.exc import InvalidData
from followthemoney.schema import Schema
from rigour.addresses import match_addresses

from oresight.screening.match.name_similarity import (
    DEFAULT_SCORING,
    Alignment,
    NameComparison,
    NameScoring,
    best_alignment,
)
from oresight.screening.match.profile import Profile
from oresight.screening.names import NameKind, NormalName, name_kind, normalise_name

DEFAULT_THRESHOLD = 0.70
"""The score from which a candidate is reported as a match: where the name score's F1 on the
nomenklatura name benchmark is at its best, within 0.01 (see benchmarks/screening_quality.py)."""

IDENTIFIER_BONUS = 0.8
DATE_FULL_BONUS = 0.4
DATE_YEAR_BONUS = 0.15
DATE_MISMATCH_PENALTY = 0.3
DATE_SAME_YEAR_PENALTY = 0.1
COUNTRY_BONUS = 0.15
COUNTRY_MISMATCH_PENALTY = 0.1
ADDRESS_BONUS = 0.15
ADDRESS_AGREEMENT = 0.5


class FeatureKind(StrEnum):
    """What a feature of a match compares."""

    SCHEMA = "schema"
    NAME = "name"
    IDENTIFIER = "identifier"
    DATE = "date"
    COUNTRY = "country"
    ADDRESS = "address"


@dataclass(frozen=True, slots=True)
class Feature:
    """One piece of evidence: what it compared, what it found, and how it moved the score.

    ``effect`` is the change this feature made to the score (for the name: the base score).
    """

    kind: FeatureKind
    effect: float
    detail: str

    def describe(self) -> str:
        """``country CD = CD: +0.05``, or for the name ``name '...' ~ '...': 0.91 (...)``."""
        if self.kind is FeatureKind.NAME or self.effect == 0:
            return self.detail
        return f"{self.detail}: {self.effect:+.2f}"


@dataclass(frozen=True, slots=True)
class Match:
    """A candidate scored against a query: the score in [0, 1] and the features behind it."""

    candidate_id: str
    score: float
    features: tuple[Feature, ...]
    candidate_schema: str = ""
    candidate_name: str = ""

    def explanation(self) -> str:
        """The features in words, one after the other, and the score they add up to."""
        return "; ".join(feature.describe() for feature in self.features) + f" => {self.score:.2f}"

    def feature(self, kind: FeatureKind) -> Feature | None:
        """The feature of a kind, if this match has one."""
        return next((feature for feature in self.features if feature.kind is kind), None)


def score_profiles(
    query: Profile, candidate: Profile, *, scoring: NameScoring = DEFAULT_SCORING
) -> Match:
    """Score a candidate profile against a query profile (see the module docstring)."""
    return evaluate(query, candidate, scoring=scoring).match()


@dataclass(slots=True)
class Evaluation:
    """A candidate's score with what it rests on, before it is put in words (:meth:`match`).

    Scoring many candidates to keep a few, an index words only the few it keeps.
    """

    candidate: Profile
    score: float
    alignment: Alignment | None = None
    schema_note: str | None = None
    evidence: tuple[tuple[FeatureKind, float, str], ...] = ()

    def match(self) -> Match:
        """The scored candidate as a :class:`Match`, each feature in words."""
        features: list[Feature] = []
        if self.schema_note is not None:
            features.append(Feature(FeatureKind.SCHEMA, 0.0, self.schema_note))
        name = self.candidate.names[0] if self.candidate.names else ""
        if self.alignment is not None:
            comparison = self.alignment.comparison()
            name = comparison.candidate.original
            detail = _describe_names(comparison)
            features.append(Feature(FeatureKind.NAME, comparison.score, detail))
        features.extend(Feature(kind, effect, detail) for kind, effect, detail in self.evidence)
        return Match(
            candidate_id=self.candidate.id,
            score=self.score,
            features=tuple(features),
            candidate_schema=self.candidate.schema,
            candidate_name=name,
        )


def evaluate(
    query: Profile,
    candidate: Profile,
    *,
    scoring: NameScoring = DEFAULT_SCORING,
    reach: AbstractSet[str] | None = None,
) -> Evaluation:
    """Score a candidate profile against a query profile, without putting it in words yet.

    ``reach``: the candidate tokens an index found for the query (see :func:`best_alignment`).
    """
    found = evaluate_from(query, candidate, 0.0, scoring=scoring, reach=reach)
    assert found is not None, "no candidate scores below 0"
    return found


def evaluate_from(
    query: Profile,
    candidate: Profile,
    threshold: float,
    *,
    scoring: NameScoring = DEFAULT_SCORING,
    reach: AbstractSet[str] | None = None,
) -> Evaluation | None:
    """:func:`evaluate`, or None when the candidate cannot score ``threshold`` whatever its names.

    The other features are read first: dates and countries that disagree take a share off
    the name score, so when they would keep even a perfect name below the threshold, the
    names are not compared (a quarter of an index's candidates, on benchmark queries).
    """
    common = _common_schema(query.schema, candidate.schema)
    if common is None:
        if threshold > 0:
            return None
        impossible = f"schema {query.schema} cannot be {candidate.schema}"
        return Evaluation(candidate, 0.0, schema_note=impossible)
    found = [
        piece
        for read in (_identifiers, _dates, _countries, _addresses)
        if (piece := read(query, candidate)) is not None
    ]
    if threshold > 0 and found and _with_evidence(1.0, found) < threshold:
        return None
    note = None
    if query.schema != candidate.schema:
        note = f"schema {query.schema} ~ {candidate.schema}"
    kind = name_kind(common)
    alignment = best_alignment(
        _normal_names(query.names, kind),
        _normal_names(candidate.names, kind),
        scoring,
        reach=reach,
    )
    if alignment is None:
        return Evaluation(candidate, 0.0, schema_note=note)
    score = alignment.score
    evidence: list[tuple[FeatureKind, float, str]] = []
    for change, detail, feature_kind in found:
        updated = _moved(score, change)
        evidence.append((feature_kind, updated - score, detail))
        score = updated
    return Evaluation(candidate, _final(score), alignment, note, tuple(evidence))


def _moved(score: float, change: float) -> float:
    """A score moved by a piece of evidence: a bonus closes that share of the gap to 1, a
    penalty takes that share off (both keep a higher score higher)."""
    return score + (1.0 - score) * change if change > 0 else score * (1.0 + change)


def _with_evidence(score: float, found: list[_Evidence]) -> float:
    """The final score a name score would reach with this evidence."""
    for change, _detail, _kind in found:
        score = _moved(score, change)
    return _final(score)


def _final(score: float) -> float:
    return round(max(0.0, min(1.0, score)), 4)


@lru_cache(maxsize=4096)
def _common_schema(left: str, right: str) -> Schema | None:
    """The more specific of two schemata that can match, or None when they cannot."""
    query, candidate = model.get(left), model.get(right)
    if query is None or candidate is None or not query.can_match(candidate):
        return None
    try:
        return model.common_schema(query, candidate)
    except InvalidData:
        # LegalEntity against Person: they can match, and the person's names are a person's.
        return candidate if candidate.is_a(query) else query


@lru_cache(maxsize=32768)
def _normal_names(names: tuple[str, ...], kind: NameKind) -> tuple[NormalName, ...]:
    """The names with tokens, normalised (remembered: a query is compared with many
    candidates, and a listed party comes up for many queries)."""
    normal = [normalise_name(name, kind) for name in names]
    return tuple(name for name in normal if name.tokens)


def _describe_names(comparison: NameComparison) -> str:
    query, candidate = comparison.query.original, comparison.candidate.original
    relation = "=" if comparison.score >= 1.0 else "~"
    return (
        f"name '{query}' {relation} '{candidate}': {comparison.score:.2f} ({comparison.summary()})"
    )


_Evidence = tuple[float, str, FeatureKind]


def _identifiers(query: Profile, candidate: Profile) -> _Evidence | None:
    if not query.identifiers or not candidate.identifiers:
        return None
    shared = sorted(set(query.identifiers) & set(candidate.identifiers))
    if not shared:
        return None
    return IDENTIFIER_BONUS, f"identifier {shared[0]} on both", FeatureKind.IDENTIFIER


def _dates(query: Profile, candidate: Profile) -> _Evidence | None:
    if not query.dates or not candidate.dates:
        return None
    left = [parsed for value in query.dates if (parsed := _date_parts(value))]
    right = [parsed for value in candidate.dates if (parsed := _date_parts(value))]
    if not left or not right:
        return None
    best: tuple[int, str] | None = None
    for a in left:
        for b in right:
            rank, detail = _compare_date(a, b)
            if best is None or rank > best[0]:
                best = (rank, detail)
    assert best is not None
    rank, detail = best
    change = {3: DATE_FULL_BONUS, 2: DATE_YEAR_BONUS, 1: -DATE_SAME_YEAR_PENALTY}.get(
        rank, -DATE_MISMATCH_PENALTY
    )
    return change, detail, FeatureKind.DATE


_DateParts = tuple[str, str | None, str | None]


@lru_cache(maxsize=65536)
def _date_parts(value: str) -> _DateParts | None:
    """Year, month and day of an ISO date or a prefix of one (FtM's dates are such)."""
    parts = value[:10].split("-")
    if not parts[0].isdigit() or len(parts[0]) != 4:
        return None
    month = parts[1] if len(parts) > 1 and parts[1].isdigit() else None
    day = parts[2] if len(parts) > 2 and parts[2].isdigit() and month else None
    return parts[0], month, day


def _compare_date(a: _DateParts, b: _DateParts) -> tuple[int, str]:
    """Rank how two dates agree: 3 the same, 2 consistent, 1 same year, 0 different."""
    shown_a, shown_b = _show(a), _show(b)
    if a[0] != b[0]:
        return 0, f"date {shown_a} ≠ {shown_b}"
    if a == b and a[2] is not None:
        return 3, f"date {shown_a} = {shown_b}"
    if a[2] is not None and b[2] is not None and (a[1], a[2]) == (b[2], b[1]):
        return 3, f"date {shown_a} = {shown_b} (day and month swapped)"
    if a[1] is None or b[1] is None or (a[1] == b[1] and (a[2] is None or b[2] is None)):
        return 2, f"date {shown_a} fits {shown_b}"
    return 1, f"date {shown_a} ≠ {shown_b} (same year)"


def _show(parts: _DateParts) -> str:
    return "-".join(part for part in parts if part)


def _countries(query: Profile, candidate: Profile) -> _Evidence | None:
    if not query.countries or not candidate.countries:
        return None
    shared = sorted(set(query.countries) & set(candidate.countries))
    if shared:
        code = shared[0].upper()
        return COUNTRY_BONUS, f"country {code} = {code}", FeatureKind.COUNTRY
    left = "/".join(code.upper() for code in query.countries)
    right = "/".join(code.upper() for code in candidate.countries)
    return -COUNTRY_MISMATCH_PENALTY, f"country {left} ≠ {right}", FeatureKind.COUNTRY


def _addresses(query: Profile, candidate: Profile) -> _Evidence | None:
    if not query.addresses or not candidate.addresses:
        return None
    found = match_addresses(list(query.addresses), list(candidate.addresses))
    if found is None or found.score < ADDRESS_AGREEMENT:
        return None
    detail = f"address '{found.query}' ~ '{found.result}' ({found.score:.2f})"
    return ADDRESS_BONUS, detail, FeatureKind.ADDRESS

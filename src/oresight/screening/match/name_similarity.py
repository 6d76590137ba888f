"""How alike two normalised names are, token by token, and why.

The tokens of the two names are paired one to one, order aside (``Putin, Vladimir`` is
``Vladimir Putin``), best pairs first. Two tokens pair when they are the same, when they differ by
a typo's worth of edits (none for tokens of three letters or less, one up to five letters, two
beyond), when one is the initial of the other (people only), or when they sound alike (the same
Metaphone key and first letter: ``Qaddafi``, ``Gaddafi``); two long tokens one edit over the
budget pair weakly (``congocom``, ``congomet``). Tokens that one name writes apart and the other
joins (``Good Will``, ``Goodwill``) pair as one; so does an acronym with the words it abbreviates
(organisations only). Names of the same letters split into words differently (``AREFULLAHA REF``,
``AREFULLAH AREF``) are one name; vessel and aircraft names, often codes (``YK-AB``, ``YK-ATB``),
are also compared as one word, one letter apart at most. Tokens of people's names still unpaired
on both sides are looked up in rigour's database of name variants: ``Барак`` and ``Barack``
share a symbol, as do ``Ted`` and ``Theodore``. Names written in one syllabic script on both
sides (Han, Hangul, kana) are compared in that script, where one character more or less is
another name. The token level is in :mod:`~oresight.screening.match.name_tokens`.

The score weighs what is paired against what is not. Each token carries a weight: particles
(``al``, ``bin``, ``de``, ``of``) and honorifics count little, patronymics and numbers less than a
name; in organisation names, the words that many firms share (``trading``, ``group``) count half.
A name whose tokens all find a partner scores the weighted mean similarity of its pairs; tokens
that only one side has (an added middle name) lower the score mildly for people, whose names
often leave parts out, and more for organisations, where an extra word often names a different
firm (a subsidiary, a fund of a series); a token on each side without a partner (``Daniel Tusk``
against ``Donald Tusk``) is evidence of two different names and lowers it most. A partial match
that rests on fewer than six letters (``HUA`` in a five-part name), each counted at its token's
weight and its pair's similarity (``COMPANY AL`` rests on 3.5, a sound-alike ``SUAREZ`` ~ ``SYRISS``
on 4.8), is scaled down in proportion; one that pairs nothing but
particles, numbers and common words (``INTERNATIONAL`` in ``NPC INTERNATIONAL``) is halved.
In Arabic names, a father and son who change places around ``bin`` (``SALMAN BIN MUHAMMAD``,
``MUHAMMAD BIN SALMAN``) name two people.
"""

from __future__ import annotations

from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

from rapidfuzz.distance import OSA

from oresight.screening.match.name_tokens import (
    COMPANY_WORDS,
    DEFAULT_SCORING,
    PARTICLES,
    NameScoring,
    closest_token,
    kinship_reversed,
    same_dense_script,
    script_tokens,
    token_similarity,
    token_symbols,
    token_weights,
)
from oresight.screening.names import NameKind, NormalName

__all__ = [
    "DEFAULT_SCORING",
    "Alignment",
    "NameComparison",
    "NameScoring",
    "TokenMatch",
    "best_alignment",
    "best_name_comparison",
    "compare_names",
]


@dataclass(frozen=True, slots=True)
class TokenMatch:
    """Tokens of the query name paired with tokens of the candidate's, and how they agree."""

    query: str
    candidate: str
    similarity: float
    reason: str

    def describe(self) -> str:
        """``'congocom' ~ 'congomet' (3 letters differ)``, or ``'putin' = 'putin'``."""
        if self.reason == "same":
            return f"'{self.query}' = '{self.candidate}'"
        return f"'{self.query}' ~ '{self.candidate}' ({self.reason})"


@dataclass(frozen=True, slots=True)
class NameComparison:
    """Two normalised names compared: the score in [0, 1], the token pairs and what is left."""

    score: float
    query: NormalName
    candidate: NormalName
    matches: tuple[TokenMatch, ...]
    query_only: tuple[str, ...]
    candidate_only: tuple[str, ...]
    notes: tuple[str, ...] = ()

    def summary(self) -> str:
        """In words, how the names differ: ``'congocom' ~ 'congomet' (3 letters differ)``."""
        if not self.matches:
            return "no token in common"
        inexact = [match for match in self.matches if match.reason != "same"]
        if not inexact and not self.query_only and not self.candidate_only:
            if self.query.tokens == self.candidate.tokens:
                return "; ".join(self.notes) if self.notes else "same name"
            return "; ".join(("same tokens in another order", *self.notes))
        parts: list[str] = []
        same = len(self.matches) - len(inexact)
        if same:
            parts.append(f"{same} {'token' if same == 1 else 'tokens'} the same")
        parts.extend(match.describe() for match in inexact)
        if self.query_only:
            parts.append("only in query: " + ", ".join(f"'{t}'" for t in self.query_only))
        if self.candidate_only:
            parts.append("only in candidate: " + ", ".join(f"'{t}'" for t in self.candidate_only))
        parts.extend(self.notes)
        return "; ".join(parts)


def compare_names(
    query: NormalName, candidate: NormalName, scoring: NameScoring = DEFAULT_SCORING
) -> NameComparison:
    """Compare two normalised names (see the module docstring for how)."""
    return Alignment(query, candidate, scoring).comparison()


def best_name_comparison(
    queries: Sequence[NormalName],
    candidates: Sequence[NormalName],
    scoring: NameScoring = DEFAULT_SCORING,
) -> NameComparison | None:
    """The best-scoring comparison over every pair of two entities' names, if any."""
    best = best_alignment(queries, candidates, scoring)
    return best.comparison() if best is not None else None


def best_alignment(
    queries: Sequence[NormalName],
    candidates: Sequence[NormalName],
    scoring: NameScoring = DEFAULT_SCORING,
    *,
    reach: AbstractSet[str] | None = None,
) -> Alignment | None:
    """The best-scoring alignment over every pair of two entities' names, if any: its
    :attr:`~Alignment.score` now, its :meth:`~Alignment.comparison` in words when wanted.

    ``reach``, when given, holds the candidate tokens the query's tokens can find in an index
    (the same, a typo or a sound away, written together): the candidate's names with none of
    them are left out, unless that leaves none, and so are names of one token (an acronym) and
    names with initials. A list entry with dozens of aliases is then compared through the few
    that share something with the query; an alias that could pair only through name variants
    or typos the index does not look up is passed over.
    """
    if reach is not None and len(candidates) > 1:
        near = [name for name in candidates if _within_reach(name.tokens, reach)]
        candidates = near or candidates
    best: Alignment | None = None
    for query in queries:
        for candidate in candidates:
            alignment = Alignment(query, candidate, scoring)
            if best is None or alignment.score > best.score:
                best = alignment
                if best.score >= 1.0:
                    return best
    return best


# A pair: the query token indices, the candidate token indices, the similarity, the reason.
_Pair = tuple[tuple[int, ...], tuple[int, ...], float, str]


class Alignment:
    """The pairing of two names' tokens, built stage by stage, and its score.

    Put in words by :meth:`comparison` only when wanted: an index scores many candidates and
    explains the few it keeps.
    """

    __slots__ = (
        "candidate",
        "kind",
        "left",
        "left_used",
        "left_weights",
        "notes",
        "pairs",
        "query",
        "right",
        "right_used",
        "right_weights",
        "score",
        "scoring",
    )

    def __init__(self, query: NormalName, candidate: NormalName, scoring: NameScoring) -> None:
        self.query, self.candidate, self.scoring = query, candidate, scoring
        kind = query.kind if query.kind is candidate.kind else NameKind.OTHER
        if NameKind.PERSON in (query.kind, candidate.kind):
            kind = NameKind.PERSON
        self.kind = kind
        # Latin names (most) need no look at their scripts.
        strict = not (query.original.isascii() or candidate.original.isascii()) and (
            same_dense_script(query.original, candidate.original)
        )
        if strict:
            self.left, self.right = script_tokens(query.original), script_tokens(candidate.original)
        else:
            self.left, self.right = query.tokens, candidate.tokens
        self.left_weights = token_weights(self.left, kind, scoring)
        self.right_weights = token_weights(self.right, kind, scoring)
        self.left_used = [False] * len(self.left)
        self.right_used = [False] * len(self.right)
        self.pairs: list[_Pair] = []
        self.notes: tuple[str, ...] = ()
        self.score = 0.0
        if not self.left or not self.right:
            return
        person = kind is NameKind.PERSON
        self._pair_single_tokens(person, strict)
        left_free, right_free = self.left_used.count(False), self.right_used.count(False)
        if left_free and right_free and not strict:
            if left_free > 1 or right_free > 1:
                self._pair_joined_tokens()  # two free tokens on one side, at least
                left_free, right_free = self.left_used.count(False), self.right_used.count(False)
            if person and 0 < left_free <= 4 and 0 < right_free <= 4:
                self._pair_known_variants()
        if left_free and right_free and not person:
            self._pair_acronym()
        self.score = self._score()
        if person and kinship_reversed(self.left, self.right):
            self.score *= scoring.kinship_reversed
            self.notes = (*self.notes, "father and son change places around 'bin'")
        if not strict and self.score < 1.0:
            self._compare_written_as_one()

    def _compare_written_as_one(self) -> None:
        """The names compared with their word breaks taken out, kept if that scores better.

        The same letters split into words differently (``AREFULLAHA REF``, ``AREFULLAH AREF``)
        are one name. For vessels and aircraft, whose names are often codes (``YK-AB``,
        ``YK-ATB``) or run together (``EVE BRIGHT 88``, ``EVER BRIGHT 88``), the letters may
        also differ by one, the digits not at all.
        """
        left, right = "".join(self.left), "".join(self.right)
        if left == right:
            similarity = self.scoring.similarity_respaced
            reason = "the same letters, split into words differently"
        elif self.kind is NameKind.OBJECT:
            # One letter at most: two letters of a short word (GIVEN, GREEN) are another ship,
            # and so is another number (ZU ZAG BONG 5, 6; VICTORY, VICTORY 3).
            if min(len(left), len(right)) < 4 or _digits(left) != _digits(right):
                return
            if OSA.distance(left, right, score_cutoff=2) > 1:
                return
            similarity = 1.0 - 1 / max(len(left), len(right))
            reason = "1 letter differs, read as one word"
        else:
            return
        if similarity <= self.score:
            return
        every_left, every_right = tuple(range(len(self.left))), tuple(range(len(self.right)))
        self.pairs = [(every_left, every_right, similarity, reason)]
        self.left_used = [True] * len(self.left)
        self.right_used = [True] * len(self.right)
        self.notes = ()
        self.score = similarity

    def comparison(self) -> NameComparison:
        """The alignment as a :class:`NameComparison`, pairs in the query's order."""
        matches = tuple(
            TokenMatch(
                " ".join(self.left[i] for i in left),
                " ".join(self.right[j] for j in right),
                similarity,
                reason,
            )
            for left, right, similarity, reason in sorted(self.pairs)
        )
        return NameComparison(
            score=self.score,
            query=self.query,
            candidate=self.candidate,
            matches=matches,
            query_only=tuple(
                t for t, used in zip(self.left, self.left_used, strict=True) if not used
            ),
            candidate_only=tuple(
                t for t, used in zip(self.right, self.right_used, strict=True) if not used
            ),
            notes=self.notes,
        )

    def _pair(
        self, left: tuple[int, ...], right: tuple[int, ...], similarity: float, reason: str
    ) -> None:
        for i in left:
            self.left_used[i] = True
        for j in right:
            self.right_used[j] = True
        self.pairs.append((left, right, similarity, reason))

    def _pair_single_tokens(self, person: bool, strict: bool) -> None:
        """Pair single tokens one to one, the most similar (then the heaviest) pairs first.

        The same token on both sides is the most similar pair there is, so those pairs are made
        first, and only the tokens they leave free are compared with one another.
        """
        left, right = self.left, self.right
        left_weights, right_weights = self.left_weights, self.right_weights
        places: dict[str, list[int]] = {}
        for j, b in enumerate(right):
            places.setdefault(b, []).append(j)
        same = [
            (-(left_weights[i] + right_weights[j]), i, j)
            for i, a in enumerate(left)
            for j in places.get(a, ())
        ]
        same.sort()
        for _weight, i, j in same:
            if not self.left_used[i] and not self.right_used[j]:
                self._pair((i,), (j,), 1.0, "same")
        if strict:
            return
        scored: list[tuple[float, float, int, int, str]] = []
        scoring, left_used = self.scoring, self.left_used
        free = [(j, b, b[0], len(b)) for j, b in enumerate(right) if not self.right_used[j]]
        if not free:
            return
        for i, a in enumerate(left):
            if left_used[i]:
                continue
            first, length = a[0], len(a)
            for j, b, initial, other in free:
                if initial != first:
                    # A sound-alike and an initial need the same first letter: only a typo or
                    # a near miss could pair these (or two words that both say "company").
                    shorter = length if length < other else other
                    near = shorter > 3 and abs(length - other) <= (2 if shorter <= 5 else 3)
                    if not near and (a not in COMPANY_WORDS or b not in COMPANY_WORDS):
                        continue
                elif a == b:
                    continue
                similarity, reason = token_similarity(a, b, person, scoring)
                if similarity:
                    weight = left_weights[i] + right_weights[j]
                    scored.append((-similarity, -weight, i, j, reason))
        scored.sort()
        for negative, _weight, i, j, reason in scored:
            if not self.left_used[i] and not self.right_used[j]:
                self._pair((i,), (j,), -negative, reason)

    def _pair_joined_tokens(self) -> None:
        """Pair adjacent free tokens written as one on the other side (``good will``,
        ``goodwill``): they must start alike and differ in length within the typo budget."""
        for joined_is_left in (True, False):
            tokens, used = (
                (self.left, self.left_used) if joined_is_left else (self.right, self.right_used)
            )
            others, taken = (
                (self.right, self.right_used) if joined_is_left else (self.left, self.left_used)
            )
            if used.count(False) < 2:
                continue  # nothing to join on this side
            singles = [j for j, token in enumerate(others) if not taken[j] and len(token) >= 4]
            if not singles:
                continue
            initials = {others[j][0] for j in singles}
            for span in (3, 2):
                for start in range(len(tokens) - span + 1):
                    if tokens[start][0] not in initials:
                        continue
                    indices = tuple(range(start, start + span))
                    if any(used[i] for i in indices):
                        continue
                    found = closest_token(
                        "".join(tokens[i] for i in indices), others, taken, singles
                    )
                    if found is None:
                        continue
                    j, similarity = found
                    if joined_is_left:
                        self._pair(indices, (j,), similarity, "written together")
                    else:
                        self._pair((j,), indices, similarity, "written together")

    def _pair_known_variants(self) -> None:
        """Pair free tokens that rigour knows as variants of one name (any script, nicknames)."""
        # The candidate's first: a listed name's words are usually known already (remembered
        # from the lists' load), and without a variant among its free tokens there is nothing
        # to look up on the query's side.
        right_symbols = token_symbols(self.candidate.original)
        if not any(
            right_symbols.get(t)
            for t, used in zip(self.right, self.right_used, strict=True)
            if not used
        ):
            return
        left_symbols = token_symbols(self.query.original)
        if not left_symbols:
            return
        for i, token in enumerate(self.left):
            mine = left_symbols.get(token)
            if self.left_used[i] or not mine:
                continue
            for j, other in enumerate(self.right):
                theirs = right_symbols.get(other)
                if not self.right_used[j] and theirs and mine & theirs:
                    similarity = self.scoring.similarity_known_variant
                    self._pair((i,), (j,), similarity, "known variant")
                    break

    def _pair_acronym(self) -> None:
        """Pair a free acronym with the free words whose initials it spells (``PLA``)."""
        for short_is_left in (True, False):
            short, short_used = (
                (self.left, self.left_used) if short_is_left else (self.right, self.right_used)
            )
            long, long_used = (
                (self.right, self.right_used) if short_is_left else (self.left, self.left_used)
            )
            free = [i for i, used in enumerate(short_used) if not used]
            if len(free) != 1:
                continue
            acronym = short[free[0]]
            words = tuple(
                j for j, used in enumerate(long_used) if not used and long[j] not in PARTICLES
            )
            if len(words) < 2 or acronym != "".join(long[j][0] for j in words):
                continue
            similarity = self.scoring.similarity_acronym
            if short_is_left:
                self._pair((free[0],), words, similarity, "acronym")
            else:
                self._pair(words, (free[0],), similarity, "acronym")
            return

    def _score(self) -> float:
        """The name score: paired weight against one-sided and conflicting weight."""
        if not self.pairs:
            return 0.0
        left_weights, right_weights = self.left_weights, self.right_weights
        paired_weight = paired_similarity = 0.0
        for left, right, similarity, _reason in self.pairs:
            if len(left) == 1 and len(right) == 1:
                weight = left_weights[left[0]] + right_weights[right[0]]
            else:
                weight = sum(left_weights[i] for i in left) + sum(right_weights[j] for j in right)
            paired_weight += weight
            paired_similarity += weight * similarity
        left_share = _free_share(left_weights, self.left_used)
        right_share = _free_share(right_weights, self.right_used)
        conflict = min(left_share, right_share)
        one_sided = max(left_share, right_share) - conflict
        scoring = self.scoring
        penalty = (
            scoring.one_sided_person if self.kind is NameKind.PERSON else scoring.one_sided_other
        )
        score = paired_similarity / paired_weight
        score *= (1.0 - penalty * one_sided) * (1.0 - scoring.conflict * conflict)
        if left_share or right_share:
            # A partial match resting on a few letters ("HUA" in a five-part name) or on common
            # words only ("COMPANY AL") proves little.
            letters = min(self._evidence_letters(True), self._evidence_letters(False))
            if letters < scoring.evidence_letters:
                score *= letters / scoring.evidence_letters
            if not _distinctive(left_weights, self.left_used):
                score *= scoring.common_words_only
                self.notes = (*self.notes, "only common words in common")
        return max(0.0, min(1.0, score))

    def _evidence_letters(self, left_side: bool) -> float:
        """The letters a side's pairs rest on: each paired token's letters times its weight and
        the similarity of its pair (a sound-alike rests on less than the same word)."""
        tokens, weights = (
            (self.left, self.left_weights) if left_side else (self.right, self.right_weights)
        )
        total = 0.0
        for left, right, similarity, _reason in self.pairs:
            for index in left if left_side else right:
                total += len(tokens[index]) * weights[index] * similarity
        return total


def _digits(text: str) -> str:
    return "".join(character for character in text if character.isdigit())


def _free_share(weights: tuple[float, ...], used: list[bool]) -> float:
    """The share of a side's weight that no pair took."""
    free = total = 0.0
    for weight, paired in zip(weights, used, strict=True):
        total += weight
        if not paired:
            free += weight
    return free / total


def _within_reach(tokens: tuple[str, ...], reach: AbstractSet[str]) -> bool:
    """Whether a candidate name shares a token with the reach, or may pair without one: a
    name of one token (an acronym) or with initials."""
    return len(tokens) == 1 or not reach.isdisjoint(tokens) or min(map(len, tokens)) == 1


def _distinctive(weights: tuple[float, ...], used: list[bool]) -> bool:
    """Whether a paired token carries full weight (is not a particle, number or common word)."""
    return any(weight >= 1.0 for weight, paired in zip(weights, used, strict=True) if paired)

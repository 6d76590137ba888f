"""Tokens of names compared one with another: their weight, their similarity, their variants.

This is the token level of :mod:`~oresight.screening.match.name_similarity`, which pairs the
tokens of two names and scores the pairing. A token's weight says how much it tells a name apart
(a particle little, a surname fully); a pair's similarity says how sure the pairing is (the same
token, a typo, an initial, a sound-alike) and why, in words an investigator reads.

The libraries, and why each: ``rapidfuzz`` computes edit distances in C, with a cutoff that stops
as soon as the typo budget is spent (comparisons run millions of times in a screening run);
``rigour`` gives Metaphone keys, Unicode scripts and the database of name variants (Wikidata given
names and surnames in every script, and nicknames), the data OpenSanctions' own matchers use.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz.distance import OSA
from rigour.names import NameTypeTag, analyze_names, tokenize_name
from rigour.text import metaphone
from rigour.text.scripts import text_scripts

from oresight.screening.match.name_words import word_list
from oresight.screening.names import NameKind, latin_tokens

PARTICLES = word_list("particles")
"""Articles, conjunctions and kinship particles: they join a name, they do not tell one apart."""

HONORIFICS = word_list("honorifics")
"""Titles that stand before a person's name (those rigour's prefix list does not take off)."""

COMMON_ORG_WORDS = word_list("common_org_words")
"""Words that many firms share: they count half in an organisation's name."""

COMPANY_WORDS = word_list("company_words")
"""Words that say "a company" in full: one pairs with another (``Corporation``, ``Company``)."""

PATRONYMIC = re.compile(r"(ovich|evich|ovych|evych|ovitch|evitch|ovna|evna|ivna|ogly|oglu|kyzy)$")
"""Slavic and Turkic patronymics, which lists give or leave out at will."""

KINSHIP = frozenset({"bin", "ben", "ibn", "bint", "binti", "ould"})
"""The particle between a person's own name and the father's, in Arabic naming."""

DENSE_SCRIPTS = frozenset({"Han", "Hangul", "Hiragana", "Katakana"})
"""Scripts in which one character is a syllable: one character more or less is another name."""

_VARIANT_CATEGORIES = frozenset({"NAME", "NICK"})


@dataclass(frozen=True, slots=True, eq=False)
class NameScoring:
    """The weights of the name score; the defaults are oresight's (see name_similarity).

    Two scorings are the same only if they are one object: the caches of token comparisons key
    on it, and hashing by identity keeps them cheap.
    """

    weight_particle: float = 0.2
    weight_common_org_word: float = 0.5
    weight_number: float = 0.3
    weight_patronymic: float = 0.5
    similarity_initial: float = 0.7
    similarity_sounds_alike: float = 0.8
    similarity_known_variant: float = 0.9
    similarity_acronym: float = 0.9
    similarity_company_words: float = 0.9
    similarity_respaced: float = 0.95
    """Two names of the same letters split into words differently."""
    near_miss: float = 0.5
    """Share of its similarity a pair of long tokens keeps one edit over the typo budget."""
    one_sided_person: float = 0.25
    """How much the share of a person's name found on one side only lowers the score."""
    one_sided_other: float = 0.4
    """The same for organisations and other names."""
    conflict: float = 2.0
    """How much a share without a partner on each side lowers the score."""
    evidence_letters: float = 6.0
    """Letters a partial match must rest on (paired tokens' letters times their weight)."""
    common_words_only: float = 0.5
    """Factor on a partial match that pairs nothing but particles, numbers and common words."""
    kinship_reversed: float = 0.6
    """Factor on the score when father and son change places around ``bin``."""


DEFAULT_SCORING = NameScoring()


@lru_cache(maxsize=65536)
def token_weights(
    tokens: tuple[str, ...], kind: NameKind, scoring: NameScoring = DEFAULT_SCORING
) -> tuple[float, ...]:
    """The weight of each token of a name (see :func:`token_weight`)."""
    return tuple(token_weight(token, kind, scoring) for token in tokens)


def token_weight(token: str, kind: NameKind, scoring: NameScoring = DEFAULT_SCORING) -> float:
    """How much a token counts in its name: particles and honorifics little, patronymics and
    numbers less than a name, the words many firms share half."""
    if token in PARTICLES:
        return scoring.weight_particle
    if token.isdigit():
        return scoring.weight_number
    if kind is NameKind.PERSON:
        if token in HONORIFICS:
            return scoring.weight_particle
        if len(token) > 6 and PATRONYMIC.search(token):
            return scoring.weight_patronymic
        return 1.0
    if token in COMMON_ORG_WORDS:
        return scoring.weight_common_org_word
    return 1.0


def typo_budget(length: int) -> int:
    """The edits a token of this length may differ by and still be the same token: none up to
    three letters, one up to five, two beyond."""
    if length <= 3:
        return 0
    if length <= 5:
        return 1
    return 2


@lru_cache(maxsize=262144)
def token_similarity(
    left: str, right: str, person: bool, scoring: NameScoring = DEFAULT_SCORING
) -> tuple[float, str]:
    """The similarity of two tokens in [0, 1], with the reason in words (0 when they differ).

    Edits are counted as optimal string alignment: a swap of two neighbouring letters is one.
    """
    if left == right:
        return 1.0, "same"
    if left.isdigit() or right.isdigit():
        return 0.0, ""
    if len(left) == 1 or len(right) == 1:
        initial, full = (left, right) if len(left) == 1 else (right, left)
        if person and full.startswith(initial):
            return scoring.similarity_initial, "initial"
        return 0.0, ""
    if left in COMPANY_WORDS and right in COMPANY_WORDS:
        return scoring.similarity_company_words, "both say company"
    longest = max(len(left), len(right))
    budget = typo_budget(min(len(left), len(right)))
    distance = OSA.distance(left, right, score_cutoff=budget + 1)
    if distance <= budget:
        letters = "1 letter differs" if distance == 1 else f"{distance} letters differ"
        return 1.0 - distance / longest, letters
    if left[0] == right[0] and min(len(left), len(right)) >= 3:
        key = metaphone(left)
        if key and key == metaphone(right):
            return scoring.similarity_sounds_alike, "sounds alike"
    if scoring.near_miss and budget >= 2 and distance == budget + 1:
        return scoring.near_miss * (1.0 - distance / longest), f"{distance} letters differ"
    return 0.0, ""


@lru_cache(maxsize=65536)
def token_symbols(original: str) -> Mapping[str, frozenset[str]]:
    """For each Latin token of a person's name, the name and nickname symbols rigour gives it.

    Each word is looked up on its own, in its own script, and remembered: lists repeat their
    given names and surnames, so the lookups are few. rigour loads its name database on first
    use (a few seconds, once per process). The mapping is shared between callers: read only.
    """
    symbols: dict[str, frozenset[str]] = {}
    for word in _words(original):
        found = _word_symbols(word)
        if found:
            for token in latin_tokens(word):
                symbols[token] = symbols.get(token, frozenset()) | found
    return symbols


def load_name_variants() -> None:
    """Load rigour's database of name variants now rather than at its first use."""
    _lookup_symbols("name")


def remember_symbols(known: Mapping[str, Iterable[str]]) -> None:
    """Take words' name-variant symbols as looked up before (by :func:`looked_up_symbols`, in a
    process with the same rigour version), so that those words need no lookup here: a process
    whose words are all known never loads rigour's name database (5-7 s)."""
    for word, symbols in known.items():
        _KNOWN_SYMBOLS[word] = frozenset(symbols)


def looked_up_symbols(words: Iterable[str] = ()) -> dict[str, list[str]]:
    """The symbols of every word looked up or remembered in this process, and of ``words``
    (each a word as a name's tokenizer gives it), to keep for :func:`remember_symbols`."""
    for word in words:
        _word_symbols(word)
    return {word: sorted(symbols) for word, symbols in sorted(_KNOWN_SYMBOLS.items())}


def name_words(original: str) -> tuple[str, ...]:
    """The words of a name as the variant lookup reads them (its own script, case-folded)."""
    return _words(original)


_KNOWN_SYMBOLS: dict[str, frozenset[str]] = {}
"""Every word's symbols, as looked up in rigour's database or remembered from an earlier run."""


@lru_cache(maxsize=65536)
def _words(original: str) -> tuple[str, ...]:
    return tuple(tokenize_name(original.casefold()))


def _word_symbols(word: str) -> frozenset[str]:
    known = _KNOWN_SYMBOLS.get(word)
    if known is None:
        known = _KNOWN_SYMBOLS[word] = _lookup_symbols(word)
    return known


def _lookup_symbols(word: str) -> frozenset[str]:
    found: set[str] = set()
    for name in analyze_names(NameTypeTag.PER, [word], consolidate=False):
        for span in name.spans:
            category = span.symbol.category.value
            if category in _VARIANT_CATEGORIES:
                found.add(f"{category}:{span.symbol.id}")
    return frozenset(found)


def same_dense_script(left: str, right: str) -> bool:
    """Whether two names are both written in one syllabic script (Han, Hangul, kana)."""
    script = _dense_script(left)
    return script is not None and script == _dense_script(right)


def script_tokens(original: str) -> tuple[str, ...]:
    """A name's words in its own script, case-folded."""
    return _words(original)


@lru_cache(maxsize=65536)
def _dense_script(text: str) -> str | None:
    scripts = text_scripts(text)
    if len(scripts) == 1:
        (script,) = scripts
        if script in DENSE_SCRIPTS:
            return script
    return None


def closest_token(
    joined: str, tokens: tuple[str, ...], taken: list[bool], candidates: list[int]
) -> tuple[int, float] | None:
    """The free token closest to a joined string, within a typo budget, and its similarity."""
    best: tuple[int, float] | None = None
    for j in candidates:
        token = tokens[j]
        if taken[j] or token[0] != joined[0]:
            continue
        budget = typo_budget(min(len(joined), len(token)))
        if abs(len(joined) - len(token)) > budget:
            continue
        distance = OSA.distance(joined, token, score_cutoff=budget + 1)
        if distance <= budget:
            similarity = 1.0 - distance / max(len(joined), len(token))
            if best is None or similarity > best[1]:
                best = (j, similarity)
    return best


def kinship_reversed(left: tuple[str, ...], right: tuple[str, ...]) -> bool:
    """Whether the names around a single ``bin`` on each side swap (father for son)."""
    if KINSHIP.isdisjoint(left) or KINSHIP.isdisjoint(right):
        return False
    left_pair = _around_kinship(left)
    right_pair = _around_kinship(right)
    if left_pair is None or right_pair is None:
        return False
    own, father = left_pair
    return own != father and right_pair == (father, own)


def _around_kinship(tokens: tuple[str, ...]) -> tuple[str, str] | None:
    """The names before and after the one kinship particle of a name, particles skipped."""
    positions = [index for index, token in enumerate(tokens) if token in KINSHIP]
    if len(positions) != 1:
        return None
    (position,) = positions
    before = [t for t in tokens[:position] if t not in PARTICLES]
    after = [t for t in tokens[position + 1 :] if t not in PARTICLES]
    if not before or not after:
        return None
    return before[-1], after[0]

"""Names normalised for matching: one Latin, case-folded, token form for any script.

A name from a sanctions list and the name an investigator types rarely agree letter for letter:
they differ in script (``Владимир Путин``), case, accents, punctuation (``A.B.C.``,
``Jean-Claude``), legal form (``Siemens Aktiengesellschaft`` against ``Siemens AG``), honorifics
(``Dr.``, ``Mr.``) and spelled-out numbers (``Brigade Forty-Four``). :func:`normalise_name`
reduces each of these to one form: the tokens that carry the name, in their original order, and
the legal forms apart.

The libraries, and why each:

* :mod:`unicodedata` (NFKC) folds compatibility characters (full-width letters, ligatures,
  superscripts) into their plain form before anything else looks at the text.
* ``rigour`` (OpenSanctions' name library, which FollowTheMoney itself builds on) holds the
  curated data this would otherwise re-invent: the Unicode-aware name tokeniser, the honorific
  and article prefixes (``Mr``, ``Dr``, ``President``, ``The``, ``M/V``), the database of legal
  forms (ISO 20275 and national forms: ``GmbH``, ``OOO``, ``SARL``, ``SPRL``, ``sp. z o.o.``), each
  mapped to a generic class (``llc``, ``jsc``), and transliteration of any script to ASCII
  (rigour's own tables for Cyrillic, Greek, Armenian, Georgian and Hangul; ICU, through
  ``normality``, for the rest).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

from followthemoney import model
from followthemoney.schema import Schema
from rigour.names import (
    extract_org_types,
    remove_obj_prefixes,
    remove_org_prefixes,
    remove_person_prefixes,
    tokenize_name,
)
from rigour.text import ascii_text


class NameKind(StrEnum):
    """What a name names, which decides how it is normalised and compared."""

    PERSON = "person"
    ORGANIZATION = "organization"
    OBJECT = "object"
    OTHER = "other"


# Quote-like marks inside words are dropped, not split on: Qa'ida = Qaida, 'Ndrangheta = Ndrangheta.
_APOSTROPHES = re.compile("['\u2018\u2019\u02bb\u02bc\u0060\u00b4\u02b9\u02be\u02bf]")
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")

ABBREVIATIONS: dict[str, tuple[str, ...]] = {
    "co": ("company",), "corp": ("corporation",), "inc": ("incorporated",), "ltd": ("limited",),
    "intl": ("international",), "int": ("international",), "bros": ("brothers",),
    "mfg": ("manufacturing",), "natl": ("national",), "assn": ("association",),
    "dept": ("department",), "govt": ("government",), "univ": ("university",),
    "us": ("united", "states"), "usa": ("united", "states"), "uk": ("united", "kingdom"),
}  # fmt: skip
"""Abbreviations in organisation names, written out as the full name writes them."""

# Digits inside words read as the letters they stand in for (Ig0r Sech1n, I9or).
_MIXED = re.compile(r"^(?=.*[a-z])(?=.*[0-9])[a-z0-9]+$")
_LOOK_ALIKE_DIGITS = re.compile("[0134579]")
_DIGIT_LETTERS = {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "9": "g"}


@lru_cache(maxsize=262144)
def _read_digits_as_letters(token: str) -> str:
    """A word with look-alike digits in it, read as letters; numbers and ordinals stay."""
    if not _MIXED.match(token) or _ORDINAL_DIGITS.match(token):
        return token
    return _LOOK_ALIKE_DIGITS.sub(lambda found: _DIGIT_LETTERS[found.group(0)], token)


_UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19,
}  # fmt: skip
_TENS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fourty": 40, "fifty": 50, "sixty": 60,
    "seventy": 70, "eighty": 80, "ninety": 90,
}  # fmt: skip
_ORDINALS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
    "eighth": 8, "ninth": 9, "tenth": 10,
}  # fmt: skip
_ORDINAL_DIGITS = re.compile(r"^(\d+)(?:st|nd|rd|th)$")
# Roman numbers of two letters or more, up to 39 (series of funds and trusts: "Partners VII").
_ROMAN = re.compile(r"^(?=[ivx]{2,}$)x{0,3}(ix|iv|v?i{0,3})$")
_ROMAN_VALUES = {"i": 1, "v": 5, "x": 10}


@dataclass(frozen=True, slots=True)
class NormalName:
    """A name reduced to the tokens that carry it, in their original order.

    ``tokens`` are ASCII, case-folded and free of punctuation; ``legal_forms`` holds the generic
    class of each legal form that was found and taken out (``llc`` for Ltd, GmbH, SARL or OOO;
    ``jsc`` for AG, OAO or S.A.).
    """

    original: str
    kind: NameKind
    tokens: tuple[str, ...]
    legal_forms: frozenset[str] = frozenset()

    @property
    def text(self) -> str:
        """The tokens joined by single spaces."""
        return " ".join(self.tokens)


@lru_cache(maxsize=1024)
def name_kind(schema: Schema | str) -> NameKind:
    """The kind of name an FtM schema carries (a LegalEntity's names count as organisations')."""
    resolved = model.get(schema) if isinstance(schema, str) else schema
    if resolved is None:
        return NameKind.OTHER
    if resolved.is_a("Person"):
        return NameKind.PERSON
    if resolved.is_a("LegalEntity"):
        return NameKind.ORGANIZATION
    if resolved.is_a("Asset") or resolved.is_a("Vessel"):
        return NameKind.OBJECT
    return NameKind.OTHER


def normalise_name(name: str, schema: Schema | str | NameKind) -> NormalName:
    """Normalise a name for matching, as the schema (or name kind) of its entity calls for.

    NFKC, case folding, prefixes (honorifics for people, articles for organisations, vessel
    prefixes for objects) and, for organisations, legal forms come off; every token is
    transliterated to ASCII; digits inside words are read as the letters they look like
    (``Sech1n``); spelled-out and ordinal numbers become digits. For organisations, runs of
    single letters become one acronym (``A.B.C.`` and ``ABC`` both give ``abc``), common
    abbreviations are written out (``Corp.``, ``Int'l``, ``U.S.``) and Roman numbers of two
    letters or more become digits; for people a single letter stays an initial. A name with
    nothing left gives no tokens.
    """
    kind = schema if isinstance(schema, NameKind) else name_kind(schema)
    return _normalise(name, kind)


@lru_cache(maxsize=65536)
def _normalise(name: str, kind: NameKind) -> NormalName:
    text = _APOSTROPHES.sub("", unicodedata.normalize("NFKC", name).casefold())
    legal_forms: frozenset[str] = frozenset()
    if kind is NameKind.PERSON:
        text = remove_person_prefixes(text)
    elif kind is NameKind.OBJECT:
        text = remove_obj_prefixes(text)
    elif kind is NameKind.ORGANIZATION:
        text = remove_org_prefixes(text)
        text, legal_forms = _take_legal_forms(text)
    tokens: list[str] = []
    for raw in tokenize_name(text):
        tokens.extend(latin_tokens(raw))
    tokens = [_read_digits_as_letters(token) for token in tokens]
    if kind is not NameKind.PERSON:
        tokens = _join_initials(tokens)
        tokens = [word for token in tokens for word in ABBREVIATIONS.get(token, (token,))]
    tokens = _numbers(tokens, roman=kind is not NameKind.PERSON)
    return NormalName(original=name, kind=kind, tokens=tuple(tokens), legal_forms=legal_forms)


@lru_cache(maxsize=262144)
def latin_tokens(token: str) -> tuple[str, ...]:
    """One token of any script as Latin tokens: ``Путин`` gives ``putin``, ``习近平`` three.

    Transliteration can split a token (Han characters become syllables) or leave marks that are
    no letter (a katakana middle dot): whatever is not a-z or 0-9 separates tokens.
    """
    latin = token if token.isascii() else ascii_text(token).casefold()
    parts = tuple(part for part in _NOT_ALNUM.split(latin) if part)
    # A script the transliterator does not know (Khmer) keeps its own letters: two names in that
    # script can still be compared with each other.
    return parts or (token,)


def _take_legal_forms(text: str) -> tuple[str, frozenset[str]]:
    """The name without its legal forms, and the generic class of each one found.

    A name that is nothing but a legal form ("Limited Liability Company") keeps its words.
    """
    found = extract_org_types(text, generic=True)
    if not found:
        return text, frozenset()
    rest = text
    for matched, _generic in found:
        rest = re.sub(rf"(?<!\w){re.escape(matched)}(?!\w)", " ", rest, count=1)
    if not tokenize_name(rest):
        return text, frozenset()
    return rest, frozenset(generic for _matched, generic in found)


def _join_initials(tokens: list[str]) -> list[str]:
    """Runs of single letters as one acronym: ``l x c`` gives ``lxc``."""
    joined: list[str] = []
    run: list[str] = []
    for token in [*tokens, ""]:
        if len(token) == 1 and token.isalpha():
            run.append(token)
            continue
        if run:
            joined.append("".join(run))
            run = []
        if token:
            joined.append(token)
    return joined


def _numbers(tokens: list[str], *, roman: bool) -> list[str]:
    """Spelled-out, ordinal and (outside people's names) Roman numbers as digits.

    ``forty four`` gives ``44``, ``1st`` and ``first`` give ``1``, ``viii`` gives ``8``.
    """
    out: list[str] = []
    for token in tokens:
        value = _number_value(token, roman=roman)
        if value is None:
            out.append(token)
            continue
        previous = out[-1] if out else ""
        if token in _UNITS and previous.isdigit() and int(previous) % 10 == 0 and previous != "0":
            tens = int(previous)
            if 20 <= tens <= 90 and 0 < value < 10:
                out[-1] = str(tens + value)
                continue
        out.append(str(value))
    return out


@lru_cache(maxsize=262144)
def _number_value(token: str, *, roman: bool) -> int | None:
    if token in _UNITS:
        return _UNITS[token]
    if token in _TENS:
        return _TENS[token]
    if token in _ORDINALS:
        return _ORDINALS[token]
    ordinal = _ORDINAL_DIGITS.match(token)
    if ordinal:
        return int(ordinal.group(1))
    if roman and _ROMAN.match(token):
        return _roman_value(token)
    return None


def _roman_value(token: str) -> int:
    total = 0
    for index, letter in enumerate(token):
        value = _ROMAN_VALUES[letter]
        following = _ROMAN_VALUES[token[index + 1]] if index + 1 < len(token) else 0
        total += -value if value < following else value
    return total

"""The word lists of name matching, read from the packaged ``name_words.yaml``.

Particles, honorifics and the words that many firms share are data, not code: the YAML file says
what each list is for and where its words come from.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files

import yaml

from oresight.core.errors import InvalidInput

WORDS_FILE = "name_words.yaml"
LISTS = ("particles", "honorifics", "common_org_words", "company_words")


@cache
def word_list(name: str) -> frozenset[str]:
    """One of the packaged word lists (see :data:`LISTS`)."""
    return _lists()[name]


@cache
def _lists() -> dict[str, frozenset[str]]:
    text = (files("oresight.screening.match") / WORDS_FILE).read_text(encoding="utf-8")
    return parse_word_lists(text, file=WORDS_FILE)


def parse_word_lists(text: str, *, file: str | None = None) -> dict[str, frozenset[str]]:
    """Read and check word lists in YAML: each of :data:`LISTS` a list of lower-case words."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InvalidInput(f"malformed YAML: {exc}", file=file) from None
    if not isinstance(data, dict):
        raise InvalidInput("expected a mapping of list names to words", file=file)
    lists: dict[str, frozenset[str]] = {}
    for name in LISTS:
        words = data.get(name)
        if not isinstance(words, list) or not all(
            isinstance(word, str) and word.isascii() and word.isalnum() and word.islower()
            for word in words
        ):
            message = "expected a list of lower-case ASCII words"
            raise InvalidInput(message, file=file, field=name)
        lists[name] = frozenset(words)
    return lists

"""Names normalised for matching: scripts, case, legal forms, honorifics, numbers, initials."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oresight.core.errors import InvalidInput
from oresight.screening.match.name_words import LISTS, parse_word_lists, word_list
from oresight.screening.names import NameKind, latin_tokens, name_kind, normalise_name


def tokens(name: str, schema: str) -> tuple[str, ...]:
    return normalise_name(name, schema).tokens


@pytest.mark.parametrize(
    ("schema", "kind"),
    [
        ("Person", NameKind.PERSON),
        ("Company", NameKind.ORGANIZATION),
        ("Organization", NameKind.ORGANIZATION),
        ("LegalEntity", NameKind.ORGANIZATION),
        ("PublicBody", NameKind.ORGANIZATION),
        ("Vessel", NameKind.OBJECT),
        ("Airplane", NameKind.OBJECT),
        ("Address", NameKind.OTHER),
        ("NoSuchSchema", NameKind.OTHER),
    ],
)
def test_name_kind_follows_the_ftm_schema(schema: str, kind: NameKind) -> None:
    assert name_kind(schema) is kind


def test_case_width_and_accents_fold_away() -> None:
    assert tokens("ＳＩＥＭＥＮＳ Ｈｏｌｄｉｎｇ", "Company") == ("siemens", "holding")
    assert tokens("Société Générale", "Company") == tokens("SOCIETE GENERALE", "Company")
    assert tokens("Recep Tayyip Erdoğan", "Person") == ("recep", "tayyip", "erdogan")
    assert tokens("Straße", "Person") == ("strasse",)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Владимир Путин", ("vladimir", "putin")),
        ("Κυριάκος Μητσοτάκης", ("kyriakos", "mitsotakis")),
        ("习近平", ("xi", "jin", "ping")),
    ],
)
def test_any_script_becomes_latin(name: str, expected: tuple[str, ...]) -> None:
    assert tokens(name, "Person") == expected


def test_arabic_and_hangul_give_latin_letters() -> None:
    for name in ("محمد بن سلمان", "김정은", "ბარაკ ობამა"):
        found = tokens(name, "Person")
        assert found
        assert all(token.isascii() and token.isalnum() for token in found)


def test_a_script_without_transliteration_keeps_its_letters() -> None:
    # ICU has no Khmer-Latin transliterator: the tokens stay comparable with each other.
    assert tokens("ប៉ុល ពត", "Person") == tokens("ប៉ុល ពត", "Person") != ()
    assert latin_tokens("ពត") == ("ពត",)


def test_transliteration_marks_separate_tokens() -> None:
    # The katakana middle dot has no Latin letter: it separates the two names.
    assert tokens("バラク・オバマ", "Person") == ("baraku", "obama")


@pytest.mark.parametrize(
    ("name", "legal_form"),
    [
        ("Siemens Aktiengesellschaft", "jsc"),
        ("Siemens AG", "jsc"),
        ("Kivu Minerals SARL", "llc"),
        ("Kivu Minerals S.A.R.L.", "llc"),
        ("Kivu Minerals SPRL", "llc"),
        ("Kivu Minerals Ltd", "llc"),
        ("Kivu Minerals Limited Liability Company", "llc"),
        ("Kivu Minerals GmbH", "llc"),
        ("OOO Kivu Minerals", "llc"),
        ("Kivu Minerals L.L.C.", "llc"),
        ("Kivu Minerals S.A.", "jsc"),
    ],
)
def test_legal_forms_come_off_organisation_names(name: str, legal_form: str) -> None:
    normal = normalise_name(name, "Company")
    assert normal.tokens in (("siemens",), ("kivu", "minerals"))
    assert legal_form in normal.legal_forms


def test_legal_forms_in_cyrillic_come_off_before_transliteration() -> None:
    normal = normalise_name('ОБЩЕСТВО С ОГРАНИЧЕННОЙ ОТВЕТСТВЕННОСТЬЮ "БАЙКАЛ"', "Company")
    assert normal.tokens == ("baikal",)
    assert normal.legal_forms == frozenset({"llc"})


def test_a_name_that_is_only_a_legal_form_keeps_its_words() -> None:
    assert tokens("Limited Liability Company", "Company") == ("limited", "liability", "company")


def test_legal_forms_stay_in_person_names() -> None:
    # "AG" or "SA" in a person's name is more likely initials than a legal form.
    assert tokens("Ali AG Hassan", "Person") == ("ali", "ag", "hassan")


def test_honorific_prefixes_come_off_person_names() -> None:
    assert tokens("Mr. Recep Tayyip Erdoğan", "Person") == ("recep", "tayyip", "erdogan")
    assert tokens("Dr. Rami Makhlouf", "Person") == ("rami", "makhlouf")
    assert tokens("President Erdoğan", "Person") == ("erdogan",)


def test_articles_and_vessel_prefixes_come_off() -> None:
    assert tokens("The Coca-Cola Company", "Company") == ("coca", "cola", "company")
    assert tokens("MV Hellenic Spirit", "Vessel") == ("hellenic", "spirit")
    assert tokens("M/V Hellenic Spirit", "Vessel") == ("hellenic", "spirit")


def test_punctuation_splits_and_apostrophes_join() -> None:
    assert tokens("Jean-Claude Juncker", "Person") == ("jean", "claude", "juncker")
    assert tokens("Al Qa'ida", "Organization") == ("al", "qaida")
    assert tokens("'Ndrangheta", "Organization") == ("ndrangheta",)
    assert tokens("Smith, John", "Person") == ("smith", "john")


def test_initials_join_into_acronyms_for_organisations_only() -> None:
    assert tokens("A.B.C. Company", "Company") == tokens("ABC Company", "Company")
    assert tokens("L.X.C Aviation", "Company") == ("lxc", "aviation")
    assert tokens("J. Smith", "Person") == ("j", "smith")
    assert tokens("J.-C. Juncker", "Person") == ("j", "c", "juncker")


def test_organisation_abbreviations_are_written_out() -> None:
    assert tokens("Microsoft Corp.", "Company") == tokens("Microsoft Corporation", "Company")
    assert tokens("First Bank Int'l", "Company") == ("1", "bank", "international")
    assert tokens("U.S. Department of State", "Organization") == (
        "united",
        "states",
        "department",
        "of",
        "state",
    )


@pytest.mark.parametrize(
    ("name", "schema", "expected"),
    [
        ("Brigade Forty-Four", "Organization", ("brigade", "44")),
        ("Brigade Fourty-four", "Organization", ("brigade", "44")),
        ("Brigade 44", "Organization", ("brigade", "44")),
        ("1st International Bank", "Company", ("1", "international", "bank")),
        ("First International Bank", "Company", ("1", "international", "bank")),
        ("Three Percenters", "Organization", ("3", "percenters")),
        ("Carlyle Partners VIII L.P.", "Company", ("carlyle", "partners", "8")),
        ("Citigroup Capital Trust XV", "Company", ("citigroup", "capital", "trust", "15")),
    ],
)
def test_numbers_become_digits(name: str, schema: str, expected: tuple[str, ...]) -> None:
    assert tokens(name, schema) == expected


def test_roman_numbers_stay_letters_in_person_names() -> None:
    assert tokens("John Smith III", "Person") == ("john", "smith", "iii")


def test_look_alike_digits_in_words_read_as_letters() -> None:
    assert tokens("Ig0r Sech1n", "Person") == ("igor", "sechin")
    assert tokens("I9or", "Person") == ("igor",)
    # Numbers and ordinals are not words with digits in them.
    assert tokens("Yard No. 9918779", "Vessel") == ("yard", "no", "9918779")


def test_an_empty_or_punctuation_name_has_no_tokens() -> None:
    assert tokens("", "Person") == ()
    assert tokens(" -- ", "Company") == ()


def test_the_original_is_kept() -> None:
    normal = normalise_name("Kivu Minerals SARL", "Company")
    assert normal.original == "Kivu Minerals SARL"
    assert normal.text == "kivu minerals"
    assert normal.kind is NameKind.ORGANIZATION


_KINDS = st.sampled_from(list(NameKind))


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=40), kind=_KINDS)
def test_any_text_normalises_to_clean_tokens(text: str, kind: NameKind) -> None:
    for token in normalise_name(text, kind).tokens:
        assert token
        assert not any(character.isspace() for character in token)
        if token.isascii():
            assert token.isalnum() and token == token.lower()


@settings(max_examples=300, deadline=None)
@given(
    text=st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=40),
    kind=_KINDS,
)
def test_case_does_not_matter(text: str, kind: NameKind) -> None:
    assert normalise_name(text.upper(), kind).tokens == normalise_name(text.lower(), kind).tokens


def test_the_packaged_word_lists_are_clean() -> None:
    for name in LISTS:
        words = word_list(name)
        assert words
        assert all(word == normalise_name(word, "Company").text or word.isdigit() for word in words)
    assert "trading" in word_list("common_org_words")
    assert "on" in word_list("particles")  # quoted in YAML, where on is a boolean


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("particles: [al, Bin]", "particles"),
        ("particles: [al]\nhonorifics: haji", "honorifics"),
        ("- al\n- bin", None),
        (
            "particles: [al, on]\nhonorifics: [haji]\ncommon_org_words: [co]\ncompany_words: []",
            "particles",
        ),
    ],
)
def test_word_lists_are_checked(text: str, field: str | None) -> None:
    with pytest.raises(InvalidInput) as error:
        parse_word_lists(text, file="words.yaml")
    assert error.value.field == field
    assert error.value.file == "words.yaml"

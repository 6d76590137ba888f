"""The matching engine: name comparison, features that explain a score, and the index."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from followthemoney import EntityProxy, model
from hypothesis import given, settings
from hypothesis import strategies as st

from oresight.core.errors import InvalidInput
from oresight.screening.match.name_tokens import token_similarity
from oresight.screening.match.scoring import evaluate, evaluate_from
from oresight.screening.matching import (
    DEFAULT_SCORING,
    DEFAULT_THRESHOLD,
    FeatureKind,
    MatchIndex,
    Profile,
    compare_names,
    normalise_name,
    score_pair,
    search_many,
)


def entity(schema: str, entity_id: str, **properties: Any) -> EntityProxy:
    proxy = model.make_entity(schema)
    proxy.id = entity_id
    for prop, values in properties.items():
        proxy.add(prop, values)
    return proxy


def name_score(left: str, right: str, schema: str = "Person") -> float:
    return compare_names(normalise_name(left, schema), normalise_name(right, schema)).score


# --- names ----------------------------------------------------------------------------------


def test_the_same_name_scores_one_whatever_the_order_and_form() -> None:
    assert name_score("Vladimir Putin", "PUTIN, Vladimir") == 1.0
    assert name_score("Siemens AG", "Siemens Aktiengesellschaft", "Company") == 1.0
    assert name_score("Владимир Путин", "Vladimir Putin") == 1.0


def test_typos_cost_in_proportion_to_the_token() -> None:
    one = name_score("Olaf Scholze", "Olaf Scholz")
    two = name_score("Alexandr Lukashnko", "Alexander Lukashenko")
    assert DEFAULT_THRESHOLD < two < one < 1.0
    # A swap of two letters is one edit, not two.
    assert name_score("Donlad Trump", "Donald Trump") == name_score("Donakd Trump", "Donald Trump")


def test_short_tokens_allow_no_typo() -> None:
    assert token_similarity("kim", "kin", True, DEFAULT_SCORING)[0] == 0.0
    assert token_similarity("kima", "kina", True, DEFAULT_SCORING) == (0.75, "1 letter differs")
    # Unless they sound alike: Metaphone reads both as "AL".
    assert token_similarity("ali", "aly", True, DEFAULT_SCORING) == (0.8, "sounds alike")


def test_a_different_token_on_each_side_weighs_more_than_an_extra_one() -> None:
    extra = name_score("Sergey Viktorovich Lavrov", "Sergey Lavrov")
    different = name_score("Sergey Ivanov", "Sergey Lavrov")
    assert extra >= DEFAULT_THRESHOLD > different
    assert name_score("Donald Tusk", "Daniel Tusk") < DEFAULT_THRESHOLD


def test_extra_words_count_more_against_organisations_than_people() -> None:
    person = name_score("Anjem Choudary", "Anjem Mahmood Choudary", "Person")
    company = name_score("Kivu Gold", "Kivu Gold Mahmood", "Company")
    assert person > company


def test_initials_match_their_names_in_people_only() -> None:
    initial = name_score("J. Smith", "John Smith")
    assert initial >= DEFAULT_THRESHOLD
    assert name_score("J. Smith", "Peter Smith") < DEFAULT_THRESHOLD
    assert name_score("J Trading", "Jupiter Trading", "Company") < initial


def test_common_words_of_firm_names_count_half() -> None:
    shared_common = name_score("Kivu Trading Company", "Goma Trading Company", "Company")
    shared_rare = name_score("Kivu Minerals Trading", "Kivu Minerals Exports", "Company")
    assert shared_common < DEFAULT_THRESHOLD
    assert shared_rare > shared_common


def test_joined_tokens_pair_with_their_parts() -> None:
    comparison = compare_names(
        normalise_name("Good Will Company", "Company"),
        normalise_name("Goodwill Company", "Company"),
    )
    assert comparison.score > 0.9
    assert comparison.matches[0].reason == "written together"
    assert name_score("RamiMakhlouf", "Rami Makhlouf") > 0.9


def test_the_same_letters_split_differently_are_one_name() -> None:
    comparison = compare_names(
        normalise_name("AREFULLAHA REF", "Person"), normalise_name("AREFULLAH AREF", "Person")
    )
    assert comparison.score == DEFAULT_SCORING.similarity_respaced
    assert comparison.summary() == (
        "'arefullaha ref' ~ 'arefullah aref' (the same letters, split into words differently)"
    )
    # Read as one word, people's names may not differ by a letter: "Kim" is not "Kin".
    assert name_score("Kim Lee Park", "Kin Lee Park") < DEFAULT_THRESHOLD


def test_vessel_and_aircraft_codes_compare_as_one_word() -> None:
    registration = compare_names(
        normalise_name("YK-AB", "Airplane"), normalise_name("YK-ATB", "Airplane")
    )
    assert registration.score == pytest.approx(0.8)
    assert registration.summary() == "'yk ab' ~ 'yk atb' (1 letter differs, read as one word)"
    assert name_score("EVE BRIGHT 88", "EVER BRIGHT 88", "Vessel") > 0.9
    assert name_score("EVER GIVEN", "EVER GREEN", "Vessel") < DEFAULT_THRESHOLD
    # Organisations keep their words: one letter apart in a short word is another firm.
    assert name_score("YK AB", "YK ATB", "Company") < DEFAULT_THRESHOLD


def test_a_partial_match_on_a_sound_alike_rests_on_less_than_on_the_same_word() -> None:
    # From yente's synthetic negatives: one word sounding like a one-word firm. The pair rests on
    # 6 letters at 0.8 similarity, 4.8 of the 6 a partial match needs: the score is scaled so.
    sound = name_score("Olivia Suarez", "SYRISS", "Organization")
    same = name_score("Olivia Suarez", "SUAREZ", "Organization")
    assert sound == pytest.approx(same * 0.8 * (4.8 / DEFAULT_SCORING.evidence_letters))
    assert same >= DEFAULT_THRESHOLD > sound


def test_acronyms_pair_with_the_words_they_abbreviate() -> None:
    comparison = compare_names(
        normalise_name("PLA", "Organization"),
        normalise_name("People's Liberation Army", "Organization"),
    )
    assert comparison.score >= DEFAULT_THRESHOLD
    assert comparison.matches[0].reason == "acronym"


def test_sounds_alike_pairs_tokens_beyond_the_typo_budget() -> None:
    similarity, reason = token_similarity("qaddafi", "gaddafi", True, DEFAULT_SCORING)
    assert reason == "1 letter differs" and similarity > 0.8
    similarity, reason = token_similarity("marcos", "marquez", True, DEFAULT_SCORING)
    assert reason == "sounds alike"


def test_known_name_variants_pair_nicknames_and_spellings() -> None:
    nickname = compare_names(
        normalise_name("Ted Doe", "Person"), normalise_name("Theodore Doe", "Person")
    )
    assert nickname.summary() == "1 token the same; 'ted' ~ 'theodore' (known variant)"
    assert nickname.score >= DEFAULT_THRESHOLD
    assert name_score("Ted Doe", "Tom Doe") < DEFAULT_THRESHOLD


def test_syllabic_scripts_compare_character_for_character() -> None:
    # 近朋 and 近平 transliterate one letter apart (peng, ping) but are different names.
    assert name_score("习近朋", "习近平") == 0.0
    assert name_score("习近平", "习近平") == 1.0


def test_father_and_son_changing_places_is_another_person() -> None:
    reversed_ = compare_names(
        normalise_name("SALMAN BIN MUHAMMAD AL-RAWI", "Person"),
        normalise_name("MUHAMMAD BIN SALMAN AL-RAWI", "Person"),
    )
    assert reversed_.score < DEFAULT_THRESHOLD
    assert "father and son" in reversed_.summary()


def test_the_summary_says_how_the_names_differ() -> None:
    comparison = compare_names(
        normalise_name("CONGOCOM TRADING HOUSE", "Company"),
        normalise_name("CONGOMET TRADING HOUSE", "Company"),
    )
    assert comparison.summary() == "2 tokens the same; 'congocom' ~ 'congomet' (3 letters differ)"
    extra = compare_names(
        normalise_name("Janan Agha", "Person"), normalise_name("Janan Mohammad Agha", "Person")
    )
    assert extra.summary() == "2 tokens the same; only in candidate: 'mohammad'"
    assert extra.candidate_only == ("mohammad",)


def test_names_without_tokens_score_zero() -> None:
    assert name_score("--", "Vladimir Putin") == 0.0


_NAME = st.text(alphabet="abcdefghij -", min_size=1, max_size=30)


@settings(max_examples=200, deadline=None)
@given(left=_NAME, right=_NAME, schema=st.sampled_from(["Person", "Company"]))
def test_name_scores_are_bounded_and_a_name_matches_itself(
    left: str, right: str, schema: str
) -> None:
    assert 0.0 <= name_score(left, right, schema) <= 1.0
    if normalise_name(left, schema).tokens:
        assert name_score(left, left, schema) == 1.0


# --- entities: features and explanations -----------------------------------------------------


def test_person_never_matches_company() -> None:
    match = score_pair(
        entity("Person", "p", name="Kivu Minerals"), entity("Company", "c", name="Kivu Minerals")
    )
    assert match.score == 0.0
    assert match.explanation() == "schema Person cannot be Company => 0.00"


def test_legal_entity_matches_company_and_person() -> None:
    query = entity("LegalEntity", "q", name="Kivu Minerals SARL")
    assert score_pair(query, entity("Company", "c", name="Kivu Minerals")).score == 1.0
    person = score_pair(
        entity("LegalEntity", "q", name="John Smith"), entity("Person", "p", name="Smith, John")
    )
    assert person.score == 1.0
    assert person.features[0].detail == "schema LegalEntity ~ Person"


def test_features_add_up_to_the_score() -> None:
    query = entity(
        "Person",
        "q",
        name="Wladimir Putin",
        birthDate="1952",
        nationality="ru",
        passportNumber="AB-123456",
    )
    candidate = entity(
        "Person",
        "c",
        name="Vladimir Vladimirovich Putin",
        alias="Putin",
        birthDate="1952-10-07",
        nationality="ru",
        passportNumber="ab 123456",
    )
    match = score_pair(query, candidate)
    kinds = [feature.kind for feature in match.features]
    assert kinds == [
        FeatureKind.NAME,
        FeatureKind.IDENTIFIER,
        FeatureKind.DATE,
        FeatureKind.COUNTRY,
    ]
    assert sum(feature.effect for feature in match.features) == pytest.approx(match.score, abs=1e-3)
    assert match.feature(FeatureKind.IDENTIFIER) is not None
    assert "identifier AB123456 on both" in match.explanation()
    assert "date 1952 fits 1952-10-07" in match.explanation()


def test_an_identifier_lifts_a_weak_name() -> None:
    weak = score_pair(
        entity("Company", "q", name="Kivu Gold"), entity("Company", "c", name="Great Lakes Gold")
    )
    same_number = score_pair(
        entity("Company", "q", name="Kivu Gold", registrationNumber="CD/RCCM/14-B-1234"),
        entity("Company", "c", name="Great Lakes Gold", registrationNumber="CD RCCM 14 B 1234"),
    )
    assert weak.score < DEFAULT_THRESHOLD <= same_number.score


@pytest.mark.parametrize(
    ("query_date", "candidate_date", "effect", "detail"),
    [
        ("1965-03-02", "1965-03-02", "up", "date 1965-03-02 = 1965-03-02"),
        ("1965-03-02", "1965-02-03", "up", "date 1965-03-02 = 1965-02-03 (day and month swapped)"),
        ("1965", "1965-03-02", "up", "date 1965 fits 1965-03-02"),
        ("1965-03", "1965-03-02", "up", "date 1965-03 fits 1965-03-02"),
        ("1965-03-02", "1965-07-21", "down", "date 1965-03-02 ≠ 1965-07-21 (same year)"),
        ("1971", "1965-03-02", "down", "date 1971 ≠ 1965-03-02"),
    ],
)
def test_dates_agree_down_to_what_both_sides_know(
    query_date: str, candidate_date: str, effect: str, detail: str
) -> None:
    match = score_pair(
        entity("Person", "q", name="Abdulhai Salek", birthDate=query_date),
        entity("Person", "c", name="Abdulhai Salek", birthDate=candidate_date),
    )
    feature = match.feature(FeatureKind.DATE)
    assert feature is not None and feature.detail == detail
    # The name alone scores 1: a bonus has no room left, a mismatch takes its share off.
    assert (feature.effect == 0) if effect == "up" else (feature.effect < 0)
    weaker = score_pair(
        entity("Person", "q", name="Abdulhai Salk", birthDate=query_date),
        entity("Person", "c", name="Abdulhai Salek", birthDate=candidate_date),
    )
    weak_feature = weaker.feature(FeatureKind.DATE)
    assert weak_feature is not None
    assert (weak_feature.effect > 0) if effect == "up" else (weak_feature.effect < 0)


def test_countries_agree_or_disagree() -> None:
    same = score_pair(
        entity("Company", "q", name="Kivu Gold Trading", country="cd"),
        entity("Company", "c", name="Kivu Gold Tradng", country="cd"),
    )
    other = score_pair(
        entity("Company", "q", name="Kivu Gold Trading", country="cd"),
        entity("Company", "c", name="Kivu Gold Tradng", country="ug"),
    )
    assert "country CD = CD" in same.explanation()
    assert "country CD ≠ UG" in other.explanation()
    assert same.score > other.score


def test_an_entity_without_a_name_is_refused() -> None:
    with pytest.raises(InvalidInput) as error:
        score_pair(entity("Person", "q", nationality="cd"), entity("Person", "c", name="A B"))
    assert error.value.record == "q"
    assert error.value.field == "properties.name"


def test_a_person_with_name_parts_only_is_matched_on_them() -> None:
    match = score_pair(
        entity("Person", "q", firstName="Abdulhai", lastName="Salek"),
        entity("Person", "c", name="SALEK, Abdulhai"),
    )
    assert match.score == 1.0


def test_a_profile_keeps_the_names_in_the_order_the_entity_gives_them() -> None:
    proxy = entity(
        "Person",
        "p",
        name=["Zed Alpha", "Abel Omega"],
        alias="Mike Kilo",
        firstName="Unused",
        idNumber=["AB-123456", "12"],
        nationality=["rw", "cd"],
    )
    profile = Profile.from_entity(proxy)
    assert profile.names == ("Zed Alpha", "Abel Omega", "Mike Kilo")
    assert profile.identifiers == ("AB123456",)
    assert profile.countries == ("cd", "rw")


@settings(max_examples=100, deadline=None)
@given(
    names=st.lists(st.text(min_size=1, max_size=20), min_size=1, max_size=3),
    countries=st.lists(st.sampled_from(["cd", "rw", "ug"]), max_size=2),
    dates=st.lists(st.sampled_from(["1965", "1965-03-02", "1971-12"]), max_size=2),
)
def test_profiles_pack_and_unpack(names: list[str], countries: list[str], dates: list[str]) -> None:
    profile = Profile(
        id="x",
        schema="Person",
        names=tuple(names),
        countries=tuple(countries),
        dates=tuple(dates),
        identifiers=("AB123456",),
        addresses=("Butembo, North Kivu",),
    )
    unpacked = Profile.unpack(profile.pack())
    assert unpacked.countries == profile.countries
    assert unpacked.dates == profile.dates
    assert len(unpacked.names) == len(profile.names)
    assert unpacked.id == "x"


# --- the index ------------------------------------------------------------------------------


LISTED = [
    entity("Person", "un-1", name="Abdulhai Salek", birthDate="1965", nationality="af"),
    entity("Person", "un-2", name="Abdulhai Motmaen", birthDate="1973", nationality="af"),
    entity("Person", "un-3", name="Vladimir Vladimirovich Putin", birthDate="1952-10-07"),
    entity("LegalEntity", "un-4", name="CONGOMET TRADING HOUSE", address="Butembo, North Kivu"),
    entity("Company", "un-5", name="Machanga Ltd", country="ug"),
    entity("Vessel", "un-6", name="MV Hellenic Spirit", imoNumber="9218234"),
    entity("Sanction", "s-1", program="DRC"),
]


@pytest.fixture(scope="module")
def index() -> MatchIndex:
    return MatchIndex.build(LISTED)


def test_the_index_skips_entities_without_names(index: MatchIndex) -> None:
    stats = index.stats()
    assert (len(index), stats.entities, stats.skipped) == (6, 6, 1)
    assert "un-1" in index and "s-1" not in index
    assert index.profile("un-5").names == ("Machanga Ltd",)


def test_search_finds_names_with_typos_and_reordering(index: MatchIndex) -> None:
    (match,) = index.search(entity("Person", "q", name="SALEK, Abdulhaj"))
    assert match.candidate_id == "un-1"
    assert match.score >= DEFAULT_THRESHOLD
    (match,) = index.search(entity("Person", "q", name="Wladimir Putin"))
    assert match.candidate_id == "un-3"


def test_search_returns_the_best_first_within_limit_and_threshold(index: MatchIndex) -> None:
    query = entity("Person", "q", name="Abdulhai Salek", birthDate="1965")
    nearest = index.search(query, limit=10, threshold=0.0)
    assert [m.candidate_id for m in nearest][:2] == ["un-1", "un-2"]
    assert nearest[0].score > nearest[1].score
    assert [m.candidate_id for m in index.search(query)] == ["un-1"]
    assert len(index.search(query, limit=1, threshold=0.0)) == 1


def test_search_never_offers_a_schema_that_cannot_match(index: MatchIndex) -> None:
    found = index.search(entity("Person", "q", name="Machanga"), threshold=0.0)
    assert all(match.candidate_id != "un-5" for match in found)
    found = index.search(entity("Company", "q", name="Machanga Limited"), threshold=0.0)
    assert found[0].candidate_id == "un-5"


def test_search_explains_each_match(index: MatchIndex) -> None:
    query = entity("Company", "q", name="Congocom Trading House")
    (match,) = index.search(query, threshold=0.5)
    assert match.candidate_id == "un-4"
    assert match.candidate_name == "CONGOMET TRADING HOUSE"
    assert "'congocom' ~ 'congomet' (3 letters differ)" in match.explanation()


def test_search_takes_profiles_and_refuses_a_bad_limit(index: MatchIndex) -> None:
    profile = Profile(id="q", schema="Vessel", names=("Hellenic Spirit",))
    assert index.search(profile)[0].candidate_id == "un-6"
    with pytest.raises(InvalidInput):
        index.search(profile, limit=0)


def test_fragments_of_one_entity_are_indexed_as_one() -> None:
    index = MatchIndex.build(
        [
            entity("Person", "x", name="Abdulhai Salek"),
            entity("Person", "x", alias="Abdul Hai Salik", birthDate="1965"),
        ]
    )
    assert len(index) == 1
    assert index.profile("x").names == ("Abdulhai Salek", "Abdul Hai Salik")
    assert index.search(entity("Person", "q", name="Abdul Hai Salik"))[0].candidate_id == "x"


def test_a_candidate_is_compared_through_its_aliases_near_the_query() -> None:
    aliases = [f"Zarathustra Holding {n}" for n in range(30)]
    index = MatchIndex.build(
        [
            entity("Organization", "bif", name="Benevolence International Foundation", alias="BIF"),
            entity("Organization", "many", name="Kivu Gold Traders", alias=aliases),
        ]
    )
    # The acronym alias shares no token with the query and is still compared.
    (match,) = index.search(entity("Organization", "q", name="Benevolnce International Fund"))
    assert match.candidate_id == "bif"
    assert "(acronym)" in match.explanation()
    (match,) = index.search(entity("Organization", "q", name="Kivu Gold Trader"))
    assert match.candidate_name == "Kivu Gold Traders"


def test_common_tokens_do_not_flood_the_candidates() -> None:
    crowd = [entity("Company", f"c{n}", name=f"Firm{n} Trading Company") for n in range(300)]
    index = MatchIndex.build([*crowd, entity("Company", "kivu", name="Kivu Trading Company")])
    found = index.search(entity("Company", "q", name="Kivu Trading"), limit=3, threshold=0.0)
    assert found[0].candidate_id == "kivu"
    assert found[0].score > found[1].score


def test_candidates_come_from_typos_sounds_and_joined_words() -> None:
    index = MatchIndex.build(
        [
            entity("Person", "a", name="Muammar Gaddafi"),
            entity("Person", "b", name="Rami Makhlouf"),
            entity("Company", "c", name="Goodwill Minerals"),
        ]
    )
    assert index.candidate_rows(Profile(id="q", schema="Person", names=("Qaddafi",)), 5) == [0]
    assert index.candidate_rows(Profile(id="q", schema="Person", names=("Makhluf",)), 5) == [1]
    joined = Profile(id="q", schema="Company", names=("Good Will Minerals",))
    assert index.candidate_rows(joined, 5) == [2]


def test_search_many_answers_in_order_on_one_process_or_two(index: MatchIndex) -> None:
    names = ["Abdulhai Salek", "Wladimir Putin", "Nobody Atall", "Abdulhai Motmaen"]
    queries = [entity("Person", f"q{n}", name=names[n % 4]) for n in range(600)]
    alone = search_many(index, queries, limit=2)
    assert [bool(matches) for matches in alone[:4]] == [True, True, False, True]
    assert alone[0][0].candidate_id == "un-1" and alone[3][0].candidate_id == "un-2"
    assert search_many(index, queries, limit=2, processes=2) == alone


def test_search_many_reports_progress_on_one_process_or_two(index: MatchIndex) -> None:
    queries = [entity("Person", f"q{n}", name="Abdulhai Salek") for n in range(600)]
    for processes in (1, 2):
        heard: list[tuple[int, int]] = []
        search_many(index, queries, processes=processes, progress=_collect(heard))
        assert heard[-1] == (600, 600)
        assert [done for done, _total in heard] == sorted(done for done, _total in heard)
        assert len(heard) >= 3, heard


def _collect(heard: list[tuple[int, int]]) -> Callable[[int, int], None]:
    return lambda done, total: heard.append((done, total))


def test_search_many_reads_every_query_first(index: MatchIndex) -> None:
    queries = [entity("Person", "q1", name="Abdulhai Salek"), entity("Person", "q2")]
    with pytest.raises(InvalidInput) as error:
        search_many(index, queries)
    assert error.value.record == "q2"
    with pytest.raises(InvalidInput):
        search_many(index, queries[:1], processes=0)


def test_candidates_whose_evidence_caps_them_below_the_threshold_are_not_compared() -> None:
    query = Profile.from_entity(
        entity("Person", "q", name="Abdulhai Salek", birthDate="1965-03-02", country="af")
    )
    capped = Profile.from_entity(
        entity("Person", "c1", name="Abdulhai Salek", birthDate="1971-01-01", country="ir")
    )
    open_ = Profile.from_entity(
        entity("Person", "c2", name="Abdulhai Salk", birthDate="1971-01-01", country="af")
    )
    # Another birth date and another country keep even the same name below the threshold.
    full = evaluate(query, capped)
    assert full.score < DEFAULT_THRESHOLD
    assert evaluate_from(query, capped, DEFAULT_THRESHOLD) is None
    unbounded = evaluate_from(query, capped, 0.0)
    assert unbounded is not None and unbounded.match() == full.match()
    # A shared country leaves room: the names decide, as a full evaluation does.
    compared = evaluate_from(query, open_, DEFAULT_THRESHOLD)
    assert compared is not None and compared.match() == evaluate(query, open_).match()


def test_skipping_capped_candidates_leaves_every_search_unchanged(index: MatchIndex) -> None:
    matched = capped = 0
    for name, country, date in [
        ("Kivu Gold Trading", "cd", None),
        ("Abdulhai Salek", "ir", None),
        ("Abdulhai Salek", "ir", "1971-01-01"),
        ("Mohammed Salik", "af", "1965"),
    ]:
        query = entity("LegalEntity", "q", name=name, country=country)
        if date:
            query.add("incorporationDate", date)
        nearest = index.search(query, threshold=0.0, limit=50)
        found = index.search(query, limit=50)
        expected = [match for match in nearest if match.score >= DEFAULT_THRESHOLD]
        assert found == expected
        matched += len(found)
        capped += len(nearest) - len(found)
    assert matched and capped

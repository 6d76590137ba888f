"""The critical-mineral HS table: it validates, covers every mineral, looks codes up by longest
prefix, agrees with core.minerals and stoichiometry, refuses bad entries, and conforms to the real
HS nomenclature."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest

from oresight.core.errors import InvalidInput
from oresight.core.minerals import MINERALS, Mineral
from oresight.trade.hs import (
    EDITIONS,
    FORMS,
    HsCode,
    critical_minerals_hs,
    hs_codes_of,
    mineral_of,
    parse_hs_table,
)

OTHER_MINERALS = (
    "gallium",
    "germanium",
    "manganese",
    "niobium",
    "antimony",
    "platinum_group_metals",
)


def test_the_packaged_table_validates() -> None:
    codes = critical_minerals_hs()
    assert len(codes) >= 60
    assert len({code.hs for code in codes}) == len(codes)
    for code in codes:
        assert len(code.hs) in (4, 6) and code.hs.isdigit()
        assert code.form in FORMS
        assert code.editions and set(code.editions) <= set(EDITIONS)
        assert code.sources
    assert critical_minerals_hs() is critical_minerals_hs()  # cached


@pytest.mark.parametrize("mineral", [*Mineral, *OTHER_MINERALS])
def test_every_mineral_has_codes(mineral: str) -> None:
    codes = hs_codes_of(mineral)
    assert codes
    assert {code.mineral for code in codes} == {str(mineral)}


def test_an_unlisted_mineral_has_no_codes() -> None:
    assert hs_codes_of("unobtainium") == ()
    assert hs_codes_of("rare earths") == ()  # the name is rare_earths


def test_the_ten_core_minerals_keep_their_core_names() -> None:
    named = {code.mineral for code in critical_minerals_hs()}
    assert named == {mineral.value for mineral in Mineral} | set(OTHER_MINERALS)


@pytest.mark.parametrize(
    ("query", "listed"),
    [
        ("810520", "810520"),  # listed itself: the subheading wins over heading 8105
        ("810590", "8105"),  # not listed: falls back to the heading
        ("8105", "8105"),
        ("260500", "2605"),
        ("26050000", "2605"),  # a national tariff line
        ("8105.30", "810530"),
        ("7108 12", "710812"),
        ("710899", "7108"),
    ],
)
def test_longest_prefix(query: str, listed: str) -> None:
    found = mineral_of(query)
    assert found is not None
    assert found.hs == listed


@pytest.mark.parametrize("query", ["010121", "2606", "811299", "2601"])
def test_codes_of_no_critical_mineral_find_nothing(query: str) -> None:
    assert mineral_of(query) is None


@pytest.mark.parametrize("query", ["", "81", "TOTAL", "81x5", "1234567890123"])
def test_malformed_queries_are_refused(query: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        mineral_of(query)
    assert caught.value.field == "hs"


def test_core_mineral_codes_resolve_to_the_same_mineral() -> None:
    # oresight.core.minerals lists HS codes per mineral; the trade table must agree with it.
    checked = 0
    for mineral, info in MINERALS.items():
        for hs in info.hs_codes:
            found = mineral_of(hs)
            assert found is not None, hs
            assert found.mineral == mineral.value, hs
            checked += 1
    assert checked == sum(len(info.hs_codes) for info in MINERALS.values())


# IUPAC 2021 standard atomic weights (abridged values), to recompute the stoichiometric shares.
ATOMIC_WEIGHT = {
    "H": 1.008,
    "Li": 6.94,
    "C": 12.011,
    "O": 15.999,
    "S": 32.06,
    "Mn": 54.938,
    "Ni": 58.693,
    "Sb": 121.760,
}
FORMULAS: dict[str, tuple[str, dict[str, int]]] = {
    "282520": ("Li", {"Li": 1, "O": 2, "H": 3}),  # LiOH·H2O
    "283691": ("Li", {"Li": 2, "C": 1, "O": 3}),  # Li2CO3
    "283324": ("Ni", {"Ni": 1, "S": 1, "O": 10, "H": 12}),  # NiSO4·6H2O
    "282010": ("Mn", {"Mn": 1, "O": 2}),  # MnO2
    "282580": ("Sb", {"Sb": 2, "O": 3}),  # Sb2O3
}


def test_element_shares_are_the_stoichiometric_ones() -> None:
    with_share = {code.hs: code for code in critical_minerals_hs() if code.element_share}
    assert set(with_share) == set(FORMULAS)
    for hs, (element, atoms) in FORMULAS.items():
        mass = sum(ATOMIC_WEIGHT[symbol] * count for symbol, count in atoms.items())
        expected = ATOMIC_WEIGHT[element] * atoms[element] / mass
        assert with_share[hs].element_share == pytest.approx(expected, abs=0.001), hs


def test_codes_that_changed_between_editions_say_how() -> None:
    noted = {code.hs for code in critical_minerals_hs() if code.edition_note}
    assert {"811292", "8103"} <= noted
    gallium = mineral_of("811292")
    assert gallium is not None and gallium.edition_note is not None
    assert "8112.31" in gallium.edition_note and "8112.41" in gallium.edition_note


# --- the table's checks --------------------------------------------------------------------------


def _table(**changes: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "hs": "2605",
        "mineral": "cobalt",
        "form": "concentrate",
        "description": "Cobalt ores",
        "editions": ["HS2022", "HS2012"],
        "sources": ["WCO"],
    }
    row.update(changes)
    return {
        "version": 1,
        "sources": [{"name": "WCO", "citation": "WCO HS 2022"}],
        "other_minerals": ["gallium"],
        "codes": [row],
    }


def test_a_valid_table_parses_with_editions_oldest_first() -> None:
    (code,) = parse_hs_table(_table(), file="t.yaml")
    assert code == HsCode(
        hs="2605",
        mineral="cobalt",
        form="concentrate",
        description="Cobalt ores",
        element_share=None,
        editions=("HS2012", "HS2022"),
        sources=("WCO",),
    )


@pytest.mark.parametrize(
    ("changes", "field", "says"),
    [
        ({"hs": 2605}, "hs", "string"),
        ({"hs": "26050"}, "hs", "4 or 6 digits"),
        ({"hs": "26.05"}, "hs", "4 or 6 digits"),
        ({"mineral": "Cobalt"}, "mineral", "lower-case"),
        ({"mineral": "rare_earth"}, "mineral", "neither a mineral"),
        ({"form": "hydroxide"}, "form", "Input should be"),
        ({"element_share": 18.8}, "element_share", "less than or equal to 1"),
        ({"element_share": 0}, "element_share", "greater than 0"),
        ({"editions": []}, "editions", "at least 1 item"),
        ({"editions": ["HS2007"]}, "editions.0", "Input should be"),
        ({"sources": ["USGS"]}, "sources", "not declared"),
        ({"description": ""}, "description", "at least 1 character"),
        ({"grade": 0.2}, "grade", "Extra inputs"),
    ],
)
def test_bad_entries_name_file_entry_and_field(
    changes: dict[str, Any], field: str, says: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_hs_table(_table(**changes), file="t.yaml")
    assert caught.value.file == "t.yaml"
    assert caught.value.record is not None and str(caught.value.record).startswith("codes[0]")
    assert caught.value.field == field
    assert says in caught.value.message


def test_a_code_listed_twice_is_refused() -> None:
    document = _table()
    document["codes"].append(dict(document["codes"][0]))
    with pytest.raises(InvalidInput, match="listed twice") as caught:
        parse_hs_table(document, file="t.yaml")
    assert (caught.value.record, caught.value.field) == ("codes[1] (hs 2605)", "hs")


def test_a_table_without_version_is_refused() -> None:
    document = _table()
    del document["version"]
    with pytest.raises(InvalidInput, match="version") as caught:
        parse_hs_table(document, file="t.yaml")
    assert caught.value.file == "t.yaml"


# --- conformance with the real nomenclature ------------------------------------------------------

# The shared nomenclature is the HS 2022 edition (it has 8112.31, new in 2022). Codes of the table
# that it lacks, with the reason; empty because every code listed exists in HS 2022.
MISSING_FROM_NOMENCLATURE: dict[str, str] = {}


def test_every_code_exists_in_the_real_nomenclature(shared_data: Path) -> None:
    path = shared_data / "trade" / "hs_nomenclature" / "harmonized-system.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        levels = {row["hscode"]: row["level"] for row in csv.DictReader(handle)}
    assert levels.get("811231") == "6"  # hafnium, a subheading new in HS 2022
    codes = critical_minerals_hs()
    missing = {code.hs for code in codes if code.hs not in levels}
    assert missing == set(MISSING_FROM_NOMENCLATURE)
    for code in codes:
        if code.hs in levels:
            assert levels[code.hs] == str(len(code.hs)), code.hs
            assert "HS2022" in code.editions, code.hs
        else:
            assert "HS2022" not in code.editions, code.hs

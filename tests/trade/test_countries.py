"""Comtrade/BACI reporter and partner codes: the known exceptions, plain ISO codes, unknown codes,
the packaged table's checks, and conformance with a real code list and real Comtrade rows."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pycountry
import pytest

from oresight.core.errors import InvalidInput
from oresight.trade.countries import (
    Area,
    AreaKind,
    area,
    exception_areas,
    iso3,
    parse_areas,
    unknown_codes,
)

# Codes where Comtrade/BACI part from ISO 3166-1 numeric, with the alpha-3 each must give.
COUNTRY_EXCEPTIONS = {
    842: "USA",
    757: "CHE",
    699: "IND",
    251: "FRA",
    579: "NOR",
    381: "ITA",
}
HISTORICAL = {
    200: "CSK",
    278: "DDR",
    810: "SUN",
    890: "YUG",
    891: "SCG",
    720: "YMD",
    530: "ANT",
    536: "NTZ",
    849: "PUS",
    280: None,
    886: None,
    230: None,
    736: None,
}
GROUPS = (97, 58, 711, 830)
NES_AREAS = (490, 492, 697, 899, 839, 838, 837, 568, 527, 577, 636, 637, 473, 290, 879, 129, 221)

COLLISIONS = {492: "MCO"}
"""ISO 3166-1 numeric codes that Comtrade uses for something else: 492 is Monaco in ISO but
"Europe EU, nes" in Comtrade (Monaco's trade is inside 251 France)."""


@pytest.mark.parametrize(("code", "expected"), sorted(COUNTRY_EXCEPTIONS.items()))
def test_trade_territory_codes_map_to_the_iso_country(code: int, expected: str) -> None:
    found = area(code)
    assert found is not None
    assert (found.iso3, found.kind) == (expected, AreaKind.COUNTRY)


def test_trade_territory_and_iso_code_name_the_same_country() -> None:
    assert iso3(842) == iso3(840) == "USA"
    assert iso3(757) == iso3(756) == "CHE"
    assert iso3(699) == iso3(356) == "IND"
    assert iso3(251) == iso3(250) == "FRA"
    assert iso3(579) == iso3(578) == "NOR"


def test_world_is_wld() -> None:
    assert area(0) == Area(code=0, iso3="WLD", name="World", kind=AreaKind.WORLD)


@pytest.mark.parametrize("code", GROUPS)
def test_groups_have_no_alpha3(code: int) -> None:
    found = area(code)
    assert found is not None
    assert (found.kind, found.iso3) == (AreaKind.GROUP, None)


@pytest.mark.parametrize("code", NES_AREAS)
def test_nes_areas_have_no_alpha3(code: int) -> None:
    found = area(code)
    assert found is not None
    assert (found.kind, found.iso3) == (AreaKind.AREA_NES, None)


def test_other_asia_nes_is_not_silently_taiwan() -> None:
    # Partners report Taiwan's trade as 490; joining it to TWN is an analyst's decision.
    assert iso3(490) is None
    assert iso3(158) == "TWN"


@pytest.mark.parametrize(("code", "expected"), sorted(HISTORICAL.items()))
def test_historical_entities(code: int, expected: str | None) -> None:
    found = area(code)
    assert found is not None
    assert (found.kind, found.iso3) == (AreaKind.HISTORICAL, expected)


def test_every_iso_numeric_country_maps_to_itself() -> None:
    checked = 0
    for country in pycountry.countries:
        code = int(country.numeric)
        if code in COLLISIONS:
            assert COLLISIONS[code] == country.alpha_3
            continue
        found = area(code)
        assert found is not None, country.name
        assert (found.iso3, found.kind) == (country.alpha_3, AreaKind.COUNTRY)
        checked += 1
    assert checked == len(pycountry.countries) - len(COLLISIONS)


def test_only_the_known_collision_overrides_an_iso_code() -> None:
    iso_numbers = {int(country.numeric) for country in pycountry.countries}
    assert set(exception_areas()) & iso_numbers == set(COLLISIONS)


@pytest.mark.parametrize("code", [-1, 1, 999, 1000, 123456])
def test_unknown_codes_map_to_nothing(code: int) -> None:
    assert area(code) is None
    assert iso3(code) is None


def test_unknown_codes_are_counted_not_dropped() -> None:
    codes = [156, 842, 999, 0, 999, 1, 490]
    assert unknown_codes(codes) == {1: 1, 999: 2}
    assert unknown_codes([156, 0, 842]) == {}


# --- the packaged table's checks ---------------------------------------------------------------


def _table(**changes: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "code": 842,
        "name": "USA",
        "kind": "country",
        "iso3": "USA",
        "note": "trade territory",
        "source": "UN Comtrade",
    }
    row.update(changes)
    return {"version": 1, "sources": {"comtrade": "UN Comtrade"}, "areas": [row]}


def test_a_valid_table_parses() -> None:
    assert parse_areas(_table(), file="t.yaml") == {
        842: Area(code=842, iso3="USA", name="USA", kind=AreaKind.COUNTRY)
    }


@pytest.mark.parametrize(
    ("changes", "field", "says"),
    [
        ({"iso3": "usa"}, "iso3", "three capital letters"),
        ({"iso3": "XYZ"}, "iso3", "not an ISO 3166-1"),
        ({"kind": "historical", "iso3": "USA"}, "iso3", "not an ISO 3166-3"),
        ({"kind": "area_nes"}, "iso3", "has no ISO alpha-3"),
        ({"kind": "world", "iso3": "WOR"}, "iso3", "must be WLD"),
        ({"kind": "state"}, "kind", "Input should be"),
        ({"code": 1000}, "code", "less than or equal to 999"),
        ({"note": ""}, "note", "at least 1 character"),
        ({"extra": 1}, "extra", "Extra inputs"),
    ],
)
def test_bad_entries_name_file_entry_and_field(
    changes: dict[str, Any], field: str, says: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_areas(_table(**changes), file="t.yaml")
    assert caught.value.file == "t.yaml"
    assert caught.value.record is not None and str(caught.value.record).startswith("areas[0]")
    assert caught.value.field == field
    assert says in caught.value.message


def test_a_code_listed_twice_is_refused() -> None:
    document = _table()
    document["areas"].append(dict(document["areas"][0]))
    with pytest.raises(InvalidInput, match="listed twice") as caught:
        parse_areas(document, file="t.yaml")
    assert caught.value.record == "areas[1] (code 842)"


def test_a_table_without_areas_is_refused() -> None:
    with pytest.raises(InvalidInput, match="areas") as caught:
        parse_areas({"version": 1, "sources": {}, "areas": []}, file="t.yaml")
    assert caught.value.file == "t.yaml"


# --- conformance with real data ------------------------------------------------------------------


def _is_iso_alpha3(value: str) -> bool:
    """Whether ``value`` is an alpha-3 that ISO 3166-1 assigns or ISO 3166-3 keeps."""
    return (
        len(value) == 3
        and value.isalpha()
        and value.isupper()
        and (
            pycountry.countries.get(alpha_3=value) is not None
            or pycountry.historic_countries.get(alpha_3=value) is not None
        )
    )


# Where the reference list and oresight disagree, and why oresight is right.
EXPECTED_DISAGREEMENTS = {
    # The list gives 492 "Europe EU, nes" the alpha-3 of Monaco (MCO), which owns 492 in ISO
    # 3166-1; in Comtrade data 492 is the unspecified-EU area, and Monaco's trade is inside 251
    # France ("France, Monaco" in the same list), so mapping 492 to MCO would invent flows.
    492: ("MCO", None),
}


def test_conformance_with_a_real_comtrade_code_list(shared_data: Path) -> None:
    path = shared_data / "trade" / "reference_misinvoicing" / "reporter_codes.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    checked = [row for row in rows if _is_iso_alpha3(row["isoalpha_3"].strip())]
    disagreements = {
        int(row["iso_code"]): (row["isoalpha_3"].strip(), iso3(int(row["iso_code"])))
        for row in checked
        if iso3(int(row["iso_code"])) != row["isoalpha_3"].strip()
    }
    assert disagreements == EXPECTED_DISAGREEMENTS
    agreeing = len(checked) - len(disagreements)
    # Counts recomputed from the file; the list has 274 rows, 251 of them with a real alpha-3.
    assert (len(rows), len(checked), agreeing) == (274, 251, 250)
    # Every code of the list names something: none would be reported unknown.
    assert unknown_codes(int(row["iso_code"]) for row in rows) == {}


def test_every_code_of_real_comtrade_rows_maps(shared_data: Path) -> None:
    files = sorted((shared_data / "trade" / "comtrade_cmm_data").glob("*.csv"))
    assert len(files) == 8
    codes: list[int] = []
    for path in files:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            for row in csv.DictReader(handle):
                codes += [int(row["reporterCode"]), int(row["partnerCode"])]
    assert len(codes) > 1000
    assert unknown_codes(codes) == {}
    assert {iso3(code) for code in set(codes)} == {"WLD", "AUS", "CHN", "COD", "IDN", "USA"}

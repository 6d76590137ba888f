"""OFAC SDN legacy CSV: every row of the published file, parsed remarks, companions, bad input."""

from __future__ import annotations

import csv
import hashlib
from collections import Counter
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from oresight.core.errors import InvalidInput
from oresight.screening.lists import SanctionsList, parse_ofac_sdn, read_ofac_sdn
from oresight.screening.lists.ofac import sdn_programmes
from oresight.screening.lists.ofac_remarks import ofac_dates, parse_remarks

SDN_FILE = "ofac_sdn_2024-05-03.csv"
SCHEMA_OF_TYPE = {"individual": "Person", "vessel": "Vessel", "aircraft": "Airplane"}

# A small list in OFAC's dialect: CRLF, "-0- " nulls, bracketed programmes, the 0x1A end byte.
SDN = (
    '501,"KIVU ALLUVIAL TRADING SPRL",-0- ,"DRCONGO",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,'
    '"Website www.kivu-alluvial.example; Email Address info@kivu-alluvial.example; '
    "Registration ID CD/GOM/RCCM/12-B-345 (Congo, Democratic Republic of the); "
    "a.k.a. 'KAT'; Linked To: MWENGE, Jean-Baptiste.\"\r\n"
    '502,"MWENGE, Jean-Baptiste","individual","DRCONGO] [GLOMAG","Director",-0- ,-0- ,-0- ,'
    '-0- ,-0- ,-0- ,"DOB circa 1971; alt. DOB 1972 to 1974; POB Bukavu, South Kivu, Congo, '
    "Democratic Republic of the; nationality Rwanda; citizen Congo, Democratic Republic of the; "
    'Passport OB0123456 (Rwanda) issued 02 Mar 2015 expires 01 Mar 2025; Gender Male."\r\n'
    '503,"LAKE TANGANYIKA",vessel,"DRCONGO",-0- ,"9QAB2","Cargo","1,200","950","Tanzania",'
    '"Lake Freight Ltd","Vessel Registration Identification IMO 9123453; MMSI 677012345."\r\n'
    "\x1a"
)
ALT = (
    '501,9001,"aka","KIVU ALLUVIAL",-0- \r\n'
    '501,9002,"fka","GRANDS LACS ALLUVIAL SPRL",-0- \r\n'
    '502,9003,"aka","MWENGE, J.B.",-0- \r\n'
)
ADD = (
    '501,8001,"12 Avenue du Lac","Goma, North Kivu","Congo, Democratic Republic of the",-0- \r\n'
    '503,8002,-0- ,"Kigoma","Tanzania",-0- \r\n'
)


@pytest.fixture(scope="module")
def sdn_path(shared_data: Path) -> Path:
    path = shared_data / "screening" / "sanctions" / SDN_FILE
    if not path.is_file():
        pytest.skip(f"the OFAC SDN file is not in the shared data ({path})")
    return path


@pytest.fixture(scope="module")
def sdn(sdn_path: Path) -> SanctionsList:
    return read_ofac_sdn(sdn_path)


@pytest.fixture(scope="module")
def rows(sdn_path: Path) -> list[list[str]]:
    """The file's rows, read with the csv module alone, the end-of-file byte left out."""
    with sdn_path.open(encoding="latin-1", newline="") as handle:
        return [row for row in csv.reader(handle) if row != ["\x1a"]]


def programmes_of(field: str) -> set[str]:
    return {part.strip(" []") for part in field.split("] [")} - {"-0-"}


def test_every_row_of_the_published_file_is_read(
    sdn: SanctionsList, rows: list[list[str]], sdn_path: Path
) -> None:
    assert all(len(row) == 12 for row in rows)
    assert len(rows) == 14_965  # the count given in the data's PROVENANCE.md
    assert len(sdn.entries) == len(rows)
    expected = Counter(SCHEMA_OF_TYPE.get(row[2].strip(), "LegalEntity") for row in rows)
    assert Counter(entry.entity.schema.name for entry in sdn.entries) == expected
    for row, entry in zip(rows, sdn.entries, strict=True):
        assert entry.entity.id == f"ofac-sdn-{row[0]}"
        assert entry.record_id == row[0]
        assert entry.entity.get("name") == [" ".join(row[1].split())]
        assert set(entry.programmes) == programmes_of(row[3])
        assert entry.source_record.startswith(f'{row[0]},"')
        assert entry.listed_on is None
    assert sdn.list_id == "us_ofac_sdn"
    assert sdn.published == date(2024, 5, 3)  # from the file name
    assert sdn.sha256 == hashlib.sha256(sdn_path.read_bytes()).hexdigest()


def test_drcongo_programme_of_the_published_file(sdn: SanctionsList, rows: list[list[str]]) -> None:
    expected = {row[1] for row in rows if "DRCONGO" in programmes_of(row[3])}
    listed = {entry.entity.first("name") for entry in sdn.by_programme("DRCONGO")}
    assert listed == expected
    assert len(listed) == 74  # the count given in the data's PROVENANCE.md
    for name in ("CONGOCOM TRADING HOUSE", "MACHANGA LTD.", "UGANDA COMMERCIAL IMPEX"):
        (entry,) = [e for e in sdn.entries if e.entity.first("name") == name]
        assert entry.entity.schema.name == "LegalEntity"
        assert entry.programmes == ("DRCONGO",)
        assert entry.entity.get("topics") == ["sanction"]
        assert entry.remarks is None


def test_remarks_of_published_entries_are_parsed(sdn: SanctionsList) -> None:
    by_id = {entry.record_id: entry for entry in sdn.entries}
    bout = by_id["8279"].entity
    assert bout.get("lastName") == ["BOUT"]
    assert bout.get("firstName") == ["Viktor Anatolijevitch"]
    assert bout.get("birthDate") == ["1967-01-13", "1970-01-13"]
    assert bout.get("birthPlace") == ["Dushanbe, Tajikistan"]
    assert bout.get("birthCountry") == ["tj"]
    assert bout.get("weakAlias") == ["BONT", "BOUTOV", "BUTT", "BUTTE"]
    assert bout.get("notes")[0].startswith("DOB 13 Jan 1967; alt. DOB 13 Jan 1970;")
    ruprah = by_id["8294"].entity
    assert ruprah.get("passportNumber") == ["D-001829-00", "790015037"]
    assert ruprah.get("nationality") == ["ke"]
    vessel = by_id["4243"].entity
    assert vessel.schema.name == "Vessel"
    assert vessel.get("imoNumber") == ["IMO7406784"]
    assert vessel.get("flag") == ["pa"]
    assert vessel.get("weakAlias") == ["ANA I", "SAND SWAN"]
    shipping = by_id["23510"].entity  # "Company Number IMO 5055293": LegalEntity has no imoNumber
    assert shipping.get("registrationNumber") == ["IMO5055293"]
    aircraft = by_id["15431"]
    assert aircraft.entity.schema.name == "Airplane"
    assert aircraft.entity.get("model") == ["IL76-TD"]
    assert aircraft.entity.get("serialNumber") == ["1023409321"]
    assert aircraft.entity.get("buildDate") == ["1992"]
    assert aircraft.linked_names == ("YAS AIR", "POUYA AIR")


def test_small_list_with_companion_files() -> None:
    sdn = parse_ofac_sdn(
        SDN.encode("latin-1"),
        file="sdn.csv",
        alt=ALT.encode("latin-1"),
        alt_file="alt.csv",
        add=ADD.encode("latin-1"),
        add_file="add.csv",
        published=date(2026, 1, 5),
    )
    assert sdn.published == date(2026, 1, 5)
    trader, director, vessel = sdn.entries
    assert trader.entity.id == "ofac-sdn-501"
    assert trader.entity.schema.name == "LegalEntity"
    assert trader.entity.get("website") == ["http://www.kivu-alluvial.example/"]
    assert trader.entity.get("email") == ["info@kivu-alluvial.example"]
    assert trader.entity.get("registrationNumber") == ["CD/GOM/RCCM/12-B-345"]
    assert trader.entity.get("weakAlias") == ["KAT"]
    assert trader.entity.get("alias") == ["KIVU ALLUVIAL"]
    assert trader.entity.get("previousName") == ["GRANDS LACS ALLUVIAL SPRL"]
    assert trader.entity.get("address") == [
        "12 Avenue du Lac, Goma, North Kivu, Congo, Democratic Republic of the"
    ]
    assert trader.entity.get("country") == ["cd"]
    assert trader.linked_names == ("MWENGE, Jean-Baptiste",)
    person = director.entity
    assert director.programmes == ("DRCONGO", "GLOMAG")
    assert person.get("position") == ["Director"]
    assert person.get("birthDate") == ["1971", "1972", "1973", "1974"]
    assert person.get("birthPlace") == ["Bukavu, South Kivu, Congo, Democratic Republic of the"]
    assert person.get("birthCountry") == ["cd"]
    assert person.get("nationality") == ["rw"]
    assert person.get("citizenship") == ["cd"]
    assert person.get("passportNumber") == ["OB0123456"]
    assert person.get("gender") == ["male"]
    assert person.get("alias") == ["MWENGE, J.B."]
    assert vessel.entity.get("callSign") == ["9QAB2"]
    assert vessel.entity.get("tonnage") == ["1200"]
    assert vessel.entity.get("imoNumber") == ["IMO9123453"]
    assert vessel.entity.get("mmsi") == ["677012345"]
    assert vessel.entity.get("country") == ["tz"]
    assert vessel.linked_names == ("Lake Freight Ltd",)


def test_programme_field_forms() -> None:
    assert sdn_programmes("DRCONGO") == ("DRCONGO",)
    assert sdn_programmes("SDGT] [NPWMD] [IFSR") == ("SDGT", "NPWMD", "IFSR")
    assert sdn_programmes("[NPWMD] [CAATSA - RUSSIA]") == ("NPWMD", "CAATSA - RUSSIA")
    assert sdn_programmes("-0- ") == ()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("01 Jan 1960", ["1960-01-01"]),
        ("Sep 1958", ["1958-09"]),
        ("1960", ["1960"]),
        ("circa 1955", ["1955"]),
        ("01 Jan 1961 to 31 Dec 1962", ["1961", "1962"]),
        ("26 Sep 1946 to 07 Dec 1946.", ["1946"]),
        ("30 Feb 1960", []),
        ("unknown", []),
    ],
)
def test_ofac_dates(text: str, expected: list[str]) -> None:
    assert ofac_dates(text) == expected


def test_remarks_keep_aliases_that_hold_semicolons() -> None:
    remarks = parse_remarks("a.k.a. 'NORTH; SOUTH'; a.k.a. 'EAST'; Tax ID No. 7701234567 (Russia).")
    assert remarks.values == (
        ("weakAlias", "NORTH; SOUTH"),
        ("weakAlias", "EAST"),
        ("taxNumber", "7701234567"),
    )


def test_individual_name_without_one_clear_comma_is_not_split() -> None:
    row = '7,"DELA CRUZ, Juan Santos, Jr.","individual","SDGT",' + "-0- ," * 7 + "-0- \r\n"
    (entry,) = parse_ofac_sdn(row.encode(), file="sdn.csv").entries
    assert entry.entity.get("name") == ["DELA CRUZ, Juan Santos, Jr."]
    assert not entry.entity.has("firstName")
    assert not entry.entity.has("lastName")


def test_published_date_from_argument_file_name_or_none() -> None:
    data = SDN.encode("latin-1")
    assert parse_ofac_sdn(data, file="lists/sdn_2025-11-30.csv").published == date(2025, 11, 30)
    assert parse_ofac_sdn(data, file="sdn.csv").published is None
    given = parse_ofac_sdn(data, file="sdn_2025-11-30.csv", published=date(2025, 12, 1))
    assert given.published == date(2025, 12, 1)


def test_row_with_the_wrong_column_count_names_file_and_row() -> None:
    lines = SDN.split("\r\n")
    lines[1] = lines[1].replace("-0- ,", "", 1)  # row 2 loses its Call_Sign column
    with pytest.raises(InvalidInput) as caught:
        parse_ofac_sdn("\r\n".join(lines).encode("latin-1"), file="sdn.csv")
    assert caught.value.file == "sdn.csv"
    assert caught.value.record == "row 2"
    assert "wrong column count" in caught.value.message
    assert "expected 12 columns" in caught.value.message
    assert "found 11" in caught.value.message


def test_a_bad_last_row_refuses_the_whole_file() -> None:
    data = SDN.replace("\x1a", '504,"LAST ONE","person","DRCONGO"' + ",-0- " * 8 + "\r\n")
    with pytest.raises(InvalidInput) as caught:
        parse_ofac_sdn(data.encode("latin-1"), file="sdn.csv")
    assert caught.value.record == "row 4"
    assert caught.value.field == "SDN_Type"


def test_utf16_file_is_refused() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_ofac_sdn(SDN.encode("utf-16"), file="sdn.csv")
    assert caught.value.file == "sdn.csv"
    assert "NUL bytes" in caught.value.message


def test_binary_junk_is_refused() -> None:
    junk = bytes(range(1, 32)) * 20
    with pytest.raises(InvalidInput) as caught:
        parse_ofac_sdn(junk, file="sdn.csv")
    assert "control character" in caught.value.message


@pytest.mark.parametrize(
    ("edit", "field"),
    [
        (lambda text: text.replace("502,", "50x,", 1), "ent_num"),
        (lambda text: text.replace("503,", "501,", 1), "ent_num"),
        (lambda text: text.replace('"LAKE TANGANYIKA"', "-0- "), "SDN_Name"),
    ],
)
def test_bad_fields_are_named(edit: Callable[[str], str], field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_ofac_sdn(edit(SDN).encode("latin-1"), file="sdn.csv")
    assert caught.value.field == field
    assert caught.value.record is not None


def test_companion_rows_must_point_at_an_entry() -> None:
    alt = ALT + '999,9004,"aka","NOBODY",-0- \r\n'
    with pytest.raises(InvalidInput) as caught:
        parse_ofac_sdn(SDN.encode(), file="sdn.csv", alt=alt.encode(), alt_file="alt.csv")
    assert (caught.value.file, caught.value.record, caught.value.field) == (
        "alt.csv",
        "row 4",
        "ent_num",
    )
    bad_type = ALT.replace('"fka"', '"xyz"')
    with pytest.raises(InvalidInput) as caught:
        parse_ofac_sdn(SDN.encode(), file="sdn.csv", alt=bad_type.encode(), alt_file="alt.csv")
    assert caught.value.field == "alt_type"
    short = ADD.replace(',"Tanzania",-0- ', "")
    with pytest.raises(InvalidInput) as caught:
        parse_ofac_sdn(SDN.encode(), file="sdn.csv", add=short.encode(), add_file="add.csv")
    assert (caught.value.file, caught.value.record) == ("add.csv", "row 2")

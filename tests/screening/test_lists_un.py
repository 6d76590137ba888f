"""UN Security Council consolidated XML: every record of the published file, and hostile XML."""

from __future__ import annotations

import hashlib
import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path

import pytest

from oresight.core.errors import InvalidInput
from oresight.screening.lists import SanctionsList, parse_un_sc, read_un_sc

UN_FILE = "un_sc_consolidated_2018-10-29.xml"

SMALL = """<?xml version="1.0" encoding="UTF-8"?>
<CONSOLIDATED_LIST dateGenerated="2026-02-03T10:00:00.000-05:00">
  <INDIVIDUALS>
    <INDIVIDUAL><DATAID>900001</DATAID><VERSIONNUM>1</VERSIONNUM><FIRST_NAME>AMANI </FIRST_NAME>
      <SECOND_NAME>KABILA  MUTOMBO</SECOND_NAME><UN_LIST_TYPE>DRC</UN_LIST_TYPE>
      <REFERENCE_NUMBER>CDi.901</REFERENCE_NUMBER><LISTED_ON>2024-06-30</LISTED_ON>
      <GENDER>Male</GENDER><COMMENTS1>Leader of an armed group taxing
        cassiterite at Bisie.</COMMENTS1>
      <DESIGNATION><VALUE>Commander</VALUE></DESIGNATION>
      <NATIONALITY><VALUE>Democratic Republic of the Congo</VALUE></NATIONALITY>
      <LIST_TYPE><VALUE>UN List</VALUE></LIST_TYPE>
      <INDIVIDUAL_ALIAS><QUALITY>Good</QUALITY><ALIAS_NAME>Amani Mutombo</ALIAS_NAME>
      </INDIVIDUAL_ALIAS>
      <INDIVIDUAL_ALIAS><QUALITY>Low</QUALITY><ALIAS_NAME>Le Patron</ALIAS_NAME></INDIVIDUAL_ALIAS>
      <INDIVIDUAL_ALIAS><QUALITY>f.k.a.</QUALITY><ALIAS_NAME>Amani Kabila</ALIAS_NAME>
      </INDIVIDUAL_ALIAS>
      <INDIVIDUAL_ADDRESS><CITY>Walikale</CITY><COUNTRY>Democratic Republic of the Congo</COUNTRY>
      </INDIVIDUAL_ADDRESS>
      <INDIVIDUAL_DATE_OF_BIRTH><TYPE_OF_DATE>BETWEEN</TYPE_OF_DATE><FROM_YEAR>1975</FROM_YEAR>
        <TO_YEAR>1977</TO_YEAR></INDIVIDUAL_DATE_OF_BIRTH>
      <INDIVIDUAL_DATE_OF_BIRTH><TYPE_OF_DATE>EXACT</TYPE_OF_DATE><DATE>1976-03-14</DATE>
      </INDIVIDUAL_DATE_OF_BIRTH>
      <INDIVIDUAL_PLACE_OF_BIRTH><CITY>Goma</CITY>
        <COUNTRY>Democratic Republic of the Congo</COUNTRY></INDIVIDUAL_PLACE_OF_BIRTH>
      <INDIVIDUAL_DOCUMENT><TYPE_OF_DOCUMENT>Numéro de passeport</TYPE_OF_DOCUMENT>
        <NUMBER> OB1234567</NUMBER></INDIVIDUAL_DOCUMENT>
      <INDIVIDUAL_DOCUMENT><TYPE_OF_DOCUMENT>National Identification Number</TYPE_OF_DOCUMENT>
        <NUMBER>1-7608-00912</NUMBER></INDIVIDUAL_DOCUMENT>
      <SORT_KEY/><SORT_KEY_LAST_MOD/></INDIVIDUAL>
  </INDIVIDUALS>
  <ENTITIES>
    <ENTITY><DATAID>900002</DATAID><VERSIONNUM>1</VERSIONNUM><FIRST_NAME>BISIE TIN
        COMPTOIR</FIRST_NAME><UN_LIST_TYPE>DRC</UN_LIST_TYPE><REFERENCE_NUMBER>CDe.902</REFERENCE_NUMBER>
      <LISTED_ON>2024-07-01</LISTED_ON><COMMENTS1/><LIST_TYPE><VALUE>UN List</VALUE></LIST_TYPE>
      <ENTITY_ALIAS><QUALITY>a.k.a.</QUALITY><ALIAS_NAME>BTC</ALIAS_NAME></ENTITY_ALIAS>
      <ENTITY_ADDRESS><STREET>Avenue Mobutu 4</STREET><CITY>Goma</CITY>
        <COUNTRY>Democratic Republic of the Congo</COUNTRY></ENTITY_ADDRESS>
      <SORT_KEY/><SORT_KEY_LAST_MOD/><DELISTED_ON>2025-01-15</DELISTED_ON></ENTITY>
  </ENTITIES>
</CONSOLIDATED_LIST>
"""


@pytest.fixture(scope="module")
def un_path(shared_data: Path) -> Path:
    path = shared_data / "screening" / "sanctions" / UN_FILE
    if not path.is_file():
        pytest.skip(f"the UN consolidated list is not in the shared data ({path})")
    return path


@pytest.fixture(scope="module")
def un(un_path: Path) -> SanctionsList:
    return read_un_sc(un_path)


def words(text: str | None) -> str:
    return " ".join((text or "").split())


def test_every_record_of_the_published_file_is_read(un: SanctionsList, un_path: Path) -> None:
    root = ET.parse(un_path).getroot()
    individuals = root.findall("INDIVIDUALS/INDIVIDUAL")
    entities = root.findall("ENTITIES/ENTITY")
    assert (len(individuals), len(entities)) == (703, 390)  # as PROVENANCE.md says
    assert len(un.entries) == len(individuals) + len(entities)
    people = [e for e in un.entries if e.entity.schema.name == "Person"]
    assert len(people) == len(individuals)
    assert sum(e.entity.schema.name == "LegalEntity" for e in un.entries) == len(entities)
    for element, entry in zip([*individuals, *entities], un.entries, strict=True):
        data_id = words(element.findtext("DATAID"))
        assert entry.entity.id == f"un-sc-{data_id}"
        assert entry.programmes == (words(element.findtext("UN_LIST_TYPE")),)
        # xs:date may carry a time zone (2015-04-14-04:00): the date is its first ten characters
        assert entry.listed_on == date.fromisoformat(words(element.findtext("LISTED_ON"))[:10])
        assert entry.reference == words(element.findtext("REFERENCE_NUMBER"))
        weak = {
            words(alias.findtext("ALIAS_NAME"))
            for alias in element.iter()
            if alias.tag.endswith("_ALIAS") and words(alias.findtext("QUALITY")) == "Low"
        }
        assert weak <= set(entry.entity.get("weakAlias"))
        assert f"DATAID={data_id}" in entry.source_record
    assert un.published == date(2018, 10, 29)
    assert un.sha256 == hashlib.sha256(un_path.read_bytes()).hexdigest()


def test_drc_regime_of_the_published_file(un: SanctionsList, un_path: Path) -> None:
    root = ET.parse(un_path).getroot()
    expected = {
        words(element.findtext("DATAID"))
        for element in root.iter()
        if element.tag in {"INDIVIDUAL", "ENTITY"}
        and words(element.findtext("UN_LIST_TYPE")) == "DRC"
    }
    assert {entry.record_id for entry in un.by_programme("DRC")} == expected
    assert len(expected) == 44  # as PROVENANCE.md says
    names = {entry.entity.first("name") for entry in un.by_programme("DRC")}
    assert {"CONGOMET TRADING HOUSE", "MACHANGA LTD", "UGANDA COMMERCIAL IMPEX (UCI) LTD"} <= names
    (uci,) = [e for e in un.entries if e.reference == "CDe.009"]
    assert uci.entity.get("address") == [
        "Plot 22, Kanjokya Street, Kamwokya, Kampala, Uganda",
        "PO BOX 22709, Kampala, Uganda",
    ]
    assert uci.entity.get("country") == ["ug"]
    assert uci.listed_on == date(2007, 3, 29)
    assert uci.remarks is not None and uci.remarks.startswith("Gold export company.")
    (ntaganda,) = [e for e in un.entries if e.reference == "CDi.030"]
    assert ntaganda.entity.get("name") == ["BOSCO TAGANDA"]
    assert ntaganda.entity.get("birthDate") == ["1973", "1974"]
    assert set(ntaganda.entity.get("weakAlias")) == {
        "Lydia",
        "Terminator",
        "Tango Romeo",
        "Romeo",
        "Major",
    }
    assert "Bosco Ntaganda" in ntaganda.entity.get("alias")
    assert ntaganda.entity.get("birthPlace") == ["Bigogwe, Rwanda"]
    assert ntaganda.entity.get("nationality") == ["cd"]


def test_small_list_fields() -> None:
    un = parse_un_sc(SMALL.encode(), file="consolidated.xml")
    assert un.published == date(2026, 2, 3)
    person, company = un.entries
    entity = person.entity
    assert entity.id == "un-sc-900001"
    assert entity.get("name") == ["AMANI KABILA MUTOMBO"]
    assert entity.get("alias") == ["Amani Mutombo"]
    assert entity.get("weakAlias") == ["Le Patron"]
    assert entity.get("previousName") == ["Amani Kabila"]
    assert entity.get("gender") == ["male"]
    assert entity.get("position") == ["Commander"]
    assert entity.get("nationality") == ["cd"]
    assert entity.get("birthDate") == ["1975", "1976", "1977", "1976-03-14"]
    assert entity.get("birthPlace") == ["Goma, Democratic Republic of the Congo"]
    assert entity.get("passportNumber") == ["OB1234567"]
    assert entity.get("idNumber") == ["1-7608-00912"]
    assert entity.get("address") == ["Walikale, Democratic Republic of the Congo"]
    assert person.remarks == "Leader of an armed group taxing cassiterite at Bisie."
    assert person.reference == "CDi.901"
    assert person.listed_on == date(2024, 6, 30)
    assert person.source_record.startswith("INDIVIDUAL at line 4: DATAID=900001;")
    assert company.entity.get("name") == ["BISIE TIN COMPTOIR"]
    assert company.entity.get("alias") == ["BTC"]
    assert company.delisted_on == date(2025, 1, 15)


def test_utf16_with_byte_order_mark_is_read() -> None:
    data = SMALL.replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16")
    assert len(parse_un_sc(data, file="consolidated.xml").entries) == 2


def test_truncated_xml_names_file_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "consolidated.xml"
    path.write_bytes(SMALL.encode()[: SMALL.index("<ENTITY_ADDRESS>")])
    with pytest.raises(InvalidInput) as caught:
        read_un_sc(path)
    assert caught.value.file == str(path)
    assert caught.value.record == "ENTITY 1"
    assert "malformed XML at line" in caught.value.message
    assert ", column " in caught.value.message


def test_truncated_published_file_is_refused(un_path: Path) -> None:
    data = un_path.read_bytes()
    cut = data.index(b"<INDIVIDUAL>", len(data) // 3) + 100  # inside an individual's record
    with pytest.raises(InvalidInput) as caught:
        parse_un_sc(data[:cut], file=UN_FILE)
    assert caught.value.record == f"INDIVIDUAL {data[:cut].count(b'<INDIVIDUAL>')}"
    last_line = data[:cut].count(b"\n") + 1
    assert f"malformed XML at line {last_line}," in caught.value.message


def test_doctype_is_refused() -> None:
    laughs = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
        '<CONSOLIDATED_LIST dateGenerated="2026-01-01T00:00:00">&lol2;</CONSOLIDATED_LIST>'
    )
    with pytest.raises(InvalidInput) as caught:
        parse_un_sc(laughs.encode(), file="lolz.xml")
    assert "DOCTYPE" in caught.value.message
    assert "line 1" in caught.value.message


def test_undeclared_entity_is_refused() -> None:
    data = SMALL.replace("Le Patron", "&ext;").encode()
    with pytest.raises(InvalidInput) as caught:
        parse_un_sc(data, file="consolidated.xml")
    assert "undefined entity" in caught.value.message


def test_utf16_without_byte_order_mark_is_refused() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_un_sc(SMALL.encode("utf-16-le"), file="consolidated.xml")
    assert caught.value.file == "consolidated.xml"
    assert "NUL bytes" in caught.value.message


def test_binary_junk_is_refused() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_un_sc(bytes(range(128, 256)) * 4, file="consolidated.xml")
    assert "malformed XML at line 1, column 1" in caught.value.message


@pytest.mark.parametrize(
    ("old", "new", "record", "field"),
    [
        ("<DATAID>900002</DATAID>", "<DATAID>x</DATAID>", "ENTITY 1 (line 32)", "DATAID"),
        ("2024-06-30", "30/06/2024", "INDIVIDUAL 1 (line 4)", "LISTED_ON"),
        ("<DATAID>900002", "<DATAID>900001", "ENTITY 1 (line 32)", "DATAID"),
    ],
)
def test_bad_fields_are_named(old: str, new: str, record: str, field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_un_sc(SMALL.replace(old, new).encode(), file="consolidated.xml")
    assert (caught.value.record, caught.value.field) == (record, field)


def test_another_root_is_refused() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_un_sc(b"<export><sanctionEntity/></export>", file="export.xml")
    assert "not a UN consolidated list" in caught.value.message

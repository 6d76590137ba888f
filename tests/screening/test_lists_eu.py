"""EU Financial Sanctions Files XML (schema 1.1): a hand-written export, checked against the XSD."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path

import pytest

from oresight.core.errors import InvalidInput
from oresight.screening.lists import parse_eu_fsf, read_eu_fsf
from oresight.screening.lists.eu import EU_FSF_NAMESPACE

XSD_FILE = "eu_fsf_schema_1_1.xsd"
XS = "{http://www.w3.org/2001/XMLSchema}"

# Two listings in the shape of the Commission's export: a person listed under the DRC regime
# with names in two languages, and an enterprise whose listing date comes from its regulation.
EXPORT = f"""<?xml version="1.0" encoding="UTF-8"?>
<export xmlns="{EU_FSF_NAMESPACE}" generationDate="2026-03-02T17:05:11.123+01:00"
        globalFileId="170001">
  <sanctionEntity designationDate="2022-12-08" unitedNationId="CDi.950"
                  euReferenceNumber="EU.9001.12" logicalId="139001">
    <remark>Commander of an armed group that controls artisanal gold sites in Ituri.</remark>
    <regulation regulationType="regulation" organisationType="commission"
                publicationDate="2022-12-09" entryIntoForceDate="2022-12-09"
                numberTitle="2022/2401 (OJ L 317)" programme="COD" logicalId="160001">
      <publicationUrl>https://eur-lex.europa.eu/example/2022-2401</publicationUrl>
    </regulation>
    <subjectType code="person" classificationCode="P"/>
    <nameAlias firstName="Jean-Pierre" middleName="" lastName="Lomami Bakanda"
               wholeName="Jean-Pierre Lomami Bakanda" function="Commander" gender="M"
               title="General" nameLanguage="" strong="true" regulationLanguage="en"
               logicalId="170011">
      <regulationSummary regulationType="regulation" publicationDate="2022-12-09"
                         numberTitle="2022/2401 (OJ L 317)"/>
    </nameAlias>
    <nameAlias wholeName="Жан-Пьер Ломами Баканда" nameLanguage="RU" strong="true"
               regulationLanguage="en" logicalId="170012">
      <regulationSummary regulationType="regulation" publicationDate="2022-12-09"
                         numberTitle="2022/2401 (OJ L 317)"/>
    </nameAlias>
    <nameAlias wholeName="Colonel Or" strong="false" regulationLanguage="en" logicalId="170013">
      <regulationSummary regulationType="regulation" publicationDate="2022-12-09"
                         numberTitle="2022/2401 (OJ L 317)"/>
    </nameAlias>
    <citizenship region="" countryIso2Code="CD" countryDescription="CONGO, DEMOCRATIC REPUBLIC OF"
                 regulationLanguage="en" logicalId="170014">
      <regulationSummary regulationType="regulation" publicationDate="2022-12-09"
                         numberTitle="2022/2401 (OJ L 317)"/>
    </citizenship>
    <birthdate circa="false" calendarType="GREGORIAN" city="Bunia" birthdate="1979-05-21"
               countryIso2Code="CD" countryDescription="CONGO, DEMOCRATIC REPUBLIC OF"
               regulationLanguage="en" logicalId="170015">
      <regulationSummary regulationType="regulation" publicationDate="2022-12-09"
                         numberTitle="2022/2401 (OJ L 317)"/>
    </birthdate>
    <birthdate circa="true" calendarType="GREGORIAN" yearRangeFrom="1977" yearRangeTo="1978"
               countryIso2Code="00" countryDescription="UNKNOWN" regulationLanguage="en"
               logicalId="170016">
      <regulationSummary regulationType="regulation" publicationDate="2022-12-09"
                         numberTitle="2022/2401 (OJ L 317)"/>
    </birthdate>
    <address city="Bunia" street="Avenue de la Paix 12" poBox="" zipCode="" region="Ituri"
             place="" asAtListingTime="true" countryIso2Code="CD"
             countryDescription="CONGO, DEMOCRATIC REPUBLIC OF" regulationLanguage="en"
             logicalId="170017">
      <regulationSummary regulationType="regulation" publicationDate="2022-12-09"
                         numberTitle="2022/2401 (OJ L 317)"/>
      <contactInfo key="EMAIL" value="jp.lomami@example.org"/>
      <contactInfo key="PHONE" value="+243 81 000 0000"/>
    </address>
    <identification diplomatic="false" knownExpired="false" knownFalse="false"
                    reportedLost="false" revokedByIssuer="false" issueDate="2018-01-10"
                    issuedBy="DRC" number="OP0099123" identificationTypeCode="passport"
                    identificationTypeDescription="National passport" countryIso2Code="CD"
                    countryDescription="CONGO, DEMOCRATIC REPUBLIC OF" regulationLanguage="en"
                    logicalId="170018">
      <regulationSummary regulationType="regulation" publicationDate="2022-12-09"
                         numberTitle="2022/2401 (OJ L 317)"/>
    </identification>
  </sanctionEntity>
  <sanctionEntity euReferenceNumber="EU.9002.40" logicalId="139002"
                  delistingDate="2025-06-30">
    <regulation regulationType="regulation" organisationType="council"
                publicationDate="2023-07-20" entryIntoForceDate="2023-07-21"
                numberTitle="2023/1500 (OJ L 180)" programme="COD" logicalId="160002"/>
    <subjectType code="enterprise" classificationCode="E"/>
    <nameAlias wholeName="Ituri Gold Export SARL" strong="true" regulationLanguage="en"
               logicalId="170021">
      <regulationSummary regulationType="regulation" publicationDate="2023-07-20"
                         numberTitle="2023/1500 (OJ L 180)"/>
    </nameAlias>
    <address city="Kampala" street="Plot 7, Industrial Area" countryIso2Code="UG"
             countryDescription="UGANDA" regulationLanguage="en" logicalId="170022">
      <regulationSummary regulationType="regulation" publicationDate="2023-07-20"
                         numberTitle="2023/1500 (OJ L 180)"/>
      <contactInfo key="WEB" value="www.ituri-gold.example.org"/>
    </address>
    <identification number="80020001234" identificationTypeCode="regnumber"
                    identificationTypeDescription="Registration Number" countryIso2Code="UG"
                    countryDescription="UGANDA" regulationLanguage="en" logicalId="170023">
      <regulationSummary regulationType="regulation" publicationDate="2023-07-20"
                         numberTitle="2023/1500 (OJ L 180)"/>
    </identification>
  </sanctionEntity>
</export>
"""


def declared_names(xsd: Path) -> tuple[set[str], set[str]]:
    """The element and attribute names that the schema declares."""
    schema = ET.parse(xsd).getroot()
    elements = {node.get("name", "") for node in schema.iter(f"{XS}element")}
    attributes = {node.get("name", "") for node in schema.iter(f"{XS}attribute")}
    return elements - {""}, attributes - {""}


def test_fixture_uses_only_names_of_the_published_schema(shared_data: Path) -> None:
    xsd = shared_data / "screening" / "sanctions" / XSD_FILE
    if not xsd.is_file():
        pytest.skip(f"the EU FSF schema is not in the shared data ({xsd})")
    elements, attributes = declared_names(xsd)
    root = ET.fromstring(EXPORT.encode())
    namespace = f"{{{EU_FSF_NAMESPACE}}}"
    for node in root.iter():
        assert node.tag.startswith(namespace)
        assert node.tag.removeprefix(namespace) in elements
        assert set(node.attrib) <= attributes, node.tag
    assert ET.parse(xsd).getroot().get("targetNamespace") == EU_FSF_NAMESPACE


def test_export_is_read(tmp_path: Path) -> None:
    path = tmp_path / "fsf.xml"
    path.write_text(EXPORT, encoding="utf-8")
    eu = read_eu_fsf(path)
    assert (eu.list_id, eu.published, eu.source_file) == ("eu_fsf", date(2026, 3, 2), str(path))
    person, company = eu.entries
    entity = person.entity
    assert entity.id == "eu-fsf-139001"
    assert entity.schema.name == "Person"
    assert entity.get("name") == ["Jean-Pierre Lomami Bakanda"]
    assert entity.get("alias") == ["Жан-Пьер Ломами Баканда"]
    assert entity.get("weakAlias") == ["Colonel Or"]
    assert entity.get("firstName") == ["Jean-Pierre"]
    assert entity.get("lastName") == ["Lomami Bakanda"]
    assert entity.get("gender") == ["male"]
    assert entity.get("position") == ["Commander"]
    assert entity.get("title") == ["General"]
    assert entity.get("nationality") == ["cd"]
    assert entity.get("birthDate") == ["1979-05-21", "1977", "1978"]
    assert entity.get("birthPlace") == ["Bunia, CONGO, DEMOCRATIC REPUBLIC OF"]
    assert entity.get("birthCountry") == ["cd"]
    assert entity.get("address") == [
        "Avenue de la Paix 12, Bunia, Ituri, CONGO, DEMOCRATIC REPUBLIC OF"
    ]
    assert entity.get("email") == ["jp.lomami@example.org"]
    assert entity.get("phone") == ["+243810000000"]
    assert entity.get("passportNumber") == ["OP0099123"]
    assert person.programmes == ("COD",)
    assert person.listed_on == date(2022, 12, 8)  # the designation date
    assert person.reference == "EU.9001.12"
    assert person.remarks == (
        "Commander of an armed group that controls artisanal gold sites in Ituri."
    )
    assert "unitedNationId=CDi.950" in person.source_record
    assert "regulation=2022/2401 (OJ L 317) (COD)" in person.source_record
    assert company.entity.schema.name == "LegalEntity"
    assert company.entity.get("name") == ["Ituri Gold Export SARL"]
    assert company.entity.get("registrationNumber") == ["80020001234"]
    assert company.entity.get("country") == ["ug"]
    assert company.entity.get("website") == ["http://www.ituri-gold.example.org/"]
    assert company.listed_on == date(2023, 7, 20)  # no designation date: the regulation's
    assert company.delisted_on == date(2025, 6, 30)
    assert eu.by_programme("COD") == eu.entries


def test_wrong_namespace_is_refused() -> None:
    data = EXPORT.replace(EU_FSF_NAMESPACE, "http://example.org/other").encode()
    with pytest.raises(InvalidInput) as caught:
        parse_eu_fsf(data, file="fsf.xml")
    assert caught.value.file == "fsf.xml"
    assert "not an EU FSF export" in caught.value.message


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ('<subjectType code="enterprise" classificationCode="E"/>', "", "subjectType"),
        ('classificationCode="E"', 'classificationCode="X"', "subjectType"),
        ('logicalId="139002"', 'logicalId="abc"', "logicalId"),
        ('logicalId="139002"', 'logicalId="139001"', "logicalId"),
        ('delistingDate="2025-06-30"', 'delistingDate="30.06.2025"', "delistingDate"),
        ('wholeName="Ituri Gold Export SARL"', 'wholeName=""', "nameAlias"),
    ],
)
def test_bad_entity_names_record_and_field(old: str, new: str, field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_eu_fsf(EXPORT.replace(old, new).encode(), file="fsf.xml")
    assert caught.value.file == "fsf.xml"
    assert str(caught.value.record).startswith("sanctionEntity 2 (line ")
    assert caught.value.field == field


def test_truncated_export_is_refused() -> None:
    data = EXPORT.encode()
    with pytest.raises(InvalidInput) as caught:
        parse_eu_fsf(data[: len(data) - 200], file="fsf.xml")
    assert caught.value.record == "sanctionEntity 2"
    assert "malformed XML at line" in caught.value.message

"""Reader of the UN Security Council Consolidated List, XML (``consolidated.xml``).

The format's quirks, as the UN publishes it (schema ``sc-sanctions.xsd``):

- the root ``CONSOLIDATED_LIST`` has no namespace and a ``dateGenerated`` date-time with offset;
  ``INDIVIDUALS/INDIVIDUAL`` come first, then ``ENTITIES/ENTITY``;
- an individual's name is cut into ``FIRST_NAME`` ... ``FOURTH_NAME`` in the order it is written,
  not into given and family names (in ``RI WON HO``, ``RI`` is the family name), so only the whole
  name is kept; an entity's name is its ``FIRST_NAME``;
- text carries stray spaces and hard line wraps, and empty placeholders are everywhere
  (``<INDIVIDUAL_ALIAS><QUALITY/><ALIAS_NAME/></INDIVIDUAL_ALIAS>``);
- alias ``QUALITY`` is ``Good`` or ``a.k.a.`` (an alias), ``Low`` (a weak alias, FtM
  ``weakAlias``) or ``f.k.a.`` (a former name, FtM ``previousName``);
- a date of birth is ``EXACT`` or ``APPROXIMATELY`` with a ``DATE`` or a ``YEAR``, or ``BETWEEN``
  a ``FROM_YEAR`` and a ``TO_YEAR`` (every year in between is kept); Hijri dates appear only in a
  ``NOTE`` and are left there;
- document types are mostly English, sometimes French or Spanish (``Numéro de passeport``);
- countries are names (``Iran (Islamic Republic of)``), cleaned to ISO codes by FtM;
- the programme is ``UN_LIST_TYPE`` (the sanctions regime: ``DRC``, ``Al-Qaida``), the listing
  date ``LISTED_ON``, and ``REFERENCE_NUMBER`` the UN's permanent reference (``CDe.009``).

Listed entities are FtM ``LegalEntity``: the list does not say company or organisation.
"""

from __future__ import annotations

from pathlib import Path
from xml.etree.ElementTree import Element

from followthemoney import EntityProxy

from oresight.core.errors import InvalidInput
from oresight.screening.lists.entries import (
    ListEntry,
    ListKind,
    SanctionsList,
    file_bytes,
    iso_date,
    keyed_entries,
    sha256_hex,
    unique,
)
from oresight.screening.lists.proxies import new_entity, put, year_span
from oresight.screening.lists.xml_records import XmlRecord, parse_xml_records, text_of

__all__ = ["parse_un_sc", "read_un_sc"]

TITLE = "United Nations Security Council Consolidated List"
PUBLISHER = "United Nations Security Council"
ROOT = "CONSOLIDATED_LIST"

_NAME_PARTS = ("FIRST_NAME", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME")
_ALIAS_PROPS = {"good": "alias", "a.k.a.": "alias", "": "alias", "low": "weakAlias",
                "f.k.a.": "previousName"}  # fmt: skip
_PASSPORT_WORDS = ("passport", "passeport", "pasaporte")


def read_un_sc(path: Path) -> SanctionsList:
    """Read a UN Security Council consolidated list XML file."""
    return parse_un_sc(file_bytes(path), file=str(path))


def parse_un_sc(data: bytes, *, file: str | None = None) -> SanctionsList:
    """Read the bytes of a UN Security Council consolidated list into a sanctions list."""
    document = parse_xml_records(data, file=file, record_tags=("INDIVIDUAL", "ENTITY"))
    if document.root.tag != ROOT or document.namespace is not None:
        message = f"not a UN consolidated list: the root element is {document.root.tag!r}"
        raise InvalidInput(message, file=file)
    generated = document.root.get("dateGenerated")
    published = iso_date(generated, file=file, record=None, field="dateGenerated")
    entries = keyed_entries(
        document.records,
        lambda record: _entry(record, file),
        where=_where,
        file=file,
        field="DATAID",
    )
    return SanctionsList(
        list_id=ListKind.UN_SC_CONSOLIDATED.value,
        title=TITLE,
        publisher=PUBLISHER,
        published=published,
        entries=entries,
        source_file=file,
        sha256=sha256_hex(data),
    )


def _entry(record: XmlRecord, file: str | None) -> ListEntry:
    element, where = record.element, _where(record)
    data_id = text_of(element, "DATAID")
    if not data_id.isdigit():
        message = f"expected the record's DATAID, a whole number, found {data_id!r}"
        raise InvalidInput(message, file=file, record=where, field="DATAID")
    is_person = element.tag == "INDIVIDUAL"
    parts = _NAME_PARTS if is_person else _NAME_PARTS[:1]
    name = " ".join(part for part in (text_of(element, tag) for tag in parts) if part)
    if not name:
        raise InvalidInput("the record has no name", file=file, record=where, field="FIRST_NAME")
    programmes = unique([text_of(element, "UN_LIST_TYPE")])
    reference = text_of(element, "REFERENCE_NUMBER") or None
    listed_on = iso_date(text_of(element, "LISTED_ON"), file=file, record=where, field="LISTED_ON")
    delisted = iso_date(
        text_of(element, "DELISTED_ON"), file=file, record=where, field="DELISTED_ON"
    )
    proxy = new_entity("Person" if is_person else "LegalEntity", f"un-sc-{int(data_id)}")
    put(proxy, "name", name)
    put(proxy, "alias", text_of(element, "NAME_ORIGINAL_SCRIPT"))
    prefix = "INDIVIDUAL" if is_person else "ENTITY"
    for alias in element.iter(f"{prefix}_ALIAS"):
        quality = text_of(alias, "QUALITY").lower()
        put(proxy, _ALIAS_PROPS.get(quality, "alias"), text_of(alias, "ALIAS_NAME"))
    for address in element.iter(f"{prefix}_ADDRESS"):
        tags = ("STREET", "CITY", "STATE_PROVINCE", "ZIP_CODE", "COUNTRY")
        put(proxy, "address", _joined(address, tags))
        put(proxy, "country", text_of(address, "COUNTRY"))
    if is_person:
        _person(proxy, element)
    remarks = text_of(element, "COMMENTS1") or None
    put(proxy, "notes", remarks)
    put(proxy, "topics", "sanction", cleaned=True)
    put(proxy, "programId", programmes, cleaned=True)
    return ListEntry(
        entity=proxy,
        list_id=ListKind.UN_SC_CONSOLIDATED.value,
        record_id=str(int(data_id)),
        programmes=programmes,
        listed_on=listed_on,
        source_record=_identity(record, data_id),
        remarks=remarks,
        reference=reference,
        delisted_on=delisted,
    )


def _person(proxy: EntityProxy, element: Element) -> None:
    """The properties only individuals have: gender, titles, birth, documents."""
    gender = text_of(element, "GENDER").lower()
    put(proxy, "gender", gender if gender in {"male", "female"} else None)
    put(proxy, "title", [text_of(value) for value in element.iterfind("TITLE/VALUE")])
    put(proxy, "position", [text_of(value) for value in element.iterfind("DESIGNATION/VALUE")])
    put(proxy, "nationality", [text_of(value) for value in element.iterfind("NATIONALITY/VALUE")])
    put(proxy, "nationality", text_of(element, "NATIONALITY2"))
    for birth in element.iter("INDIVIDUAL_DATE_OF_BIRTH"):
        put(proxy, "birthDate", _birth_dates(birth))
    for place in element.iter("INDIVIDUAL_PLACE_OF_BIRTH"):
        put(proxy, "birthPlace", _joined(place, ("CITY", "STATE_PROVINCE", "COUNTRY")))
        put(proxy, "birthCountry", text_of(place, "COUNTRY"))
    for document in element.iter("INDIVIDUAL_DOCUMENT"):
        number = text_of(document, "NUMBER")
        kind = " ".join(text_of(document, tag) for tag in ("TYPE_OF_DOCUMENT", "TYPE_OF_DOCUMENT2"))
        is_passport = any(word in kind.lower() for word in _PASSPORT_WORDS)
        put(proxy, "passportNumber" if is_passport else "idNumber", number)


def _birth_dates(birth: Element) -> list[str]:
    """The ISO dates of one date of birth: a date, a year, or every year of a range."""
    exact = text_of(birth, "DATE")
    if exact:
        return [exact[:10]]
    year = text_of(birth, "YEAR")
    if year:
        return [year]
    first, last = text_of(birth, "FROM_YEAR"), text_of(birth, "TO_YEAR")
    if first.isdigit() and last.isdigit():
        return year_span(int(first), int(last))
    return [value for value in (first, last) if value]


def _joined(element: Element, tags: tuple[str, ...]) -> str:
    return ", ".join(part for part in (text_of(element, tag) for tag in tags) if part)


def _where(record: XmlRecord) -> str:
    return f"{record.label} (line {record.line})"


def _identity(record: XmlRecord, data_id: str) -> str:
    """The record's identifying fields, as read: enough to find it again in the file."""
    fields = [f"DATAID={data_id}"]
    for tag in ("VERSIONNUM", "REFERENCE_NUMBER", "UN_LIST_TYPE", "LISTED_ON"):
        value = text_of(record.element, tag)
        if value:
            fields.append(f"{tag}={value}")
    return f"{record.element.tag} at line {record.line}: {'; '.join(fields)}"

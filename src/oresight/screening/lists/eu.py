"""Reader of the EU Financial Sanctions Files (FSF) consolidated list, XML schema 1.1.

The format's quirks, as the European Commission publishes it (``xmlFullSanctionsList_1_1``):

- every element is in the namespace ``http://eu.europa.ec/fpi/fsd/export``; the root ``export``
  has a ``generationDate`` date-time and a ``globalFileId``;
- almost everything is in attributes; each ``sanctionEntity`` has a ``logicalId`` (the record
  id), an ``euReferenceNumber`` (``EU.27.28``) and optional ``designationDate`` and
  ``delistingDate``, then its ``remark``\\s, a ``regulation`` (``programme`` code such as
  ``COD``, ``publicationDate``, ``numberTitle``), a ``subjectType`` (``classificationCode`` ``P``
  for a person, ``E`` for an enterprise), and repeated ``nameAlias``, ``citizenship``,
  ``birthdate``, ``address`` and ``identification`` details, each with its own
  ``regulationSummary``;
- ``nameAlias`` carries ``wholeName`` and, for people, ``firstName``/``middleName``/``lastName``;
  ``strong="false"`` marks a weak alias (FtM ``weakAlias``); many strong aliases are the same
  name in the official languages, kept as names and aliases;
- countries are ISO codes (``countryIso2Code``), ``00`` meaning unknown;
- a birth date is a full ``birthdate``, or ``year``/``monthOfYear``/``dayOfMonth`` parts, or a
  ``yearRangeFrom``..``yearRangeTo`` range (every year in between is kept).

The listing date is ``designationDate`` where given; else the publication date of the regulation
that listed the entity, the date the listing became public. Enterprises are FtM ``LegalEntity``.
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
from oresight.screening.lists.proxies import collapse, new_entity, put, year_span
from oresight.screening.lists.xml_records import XmlRecord, parse_xml_records, text_of

__all__ = ["EU_FSF_NAMESPACE", "parse_eu_fsf", "read_eu_fsf"]

EU_FSF_NAMESPACE = "http://eu.europa.ec/fpi/fsd/export"
TITLE = "EU Financial Sanctions Files: consolidated list of persons, groups and entities"
PUBLISHER = "European Commission"

_SCHEMAS = {"P": "Person", "E": "LegalEntity"}
_UNKNOWN_COUNTRY = "00"
_IDENTIFIER_PROPS = {
    "passport": "passportNumber",
    "regnumber": "registrationNumber",
    "fiscalcode": "taxNumber",
    "swiftbic": "swiftBic",
}
_CONTACT_PROPS = {"email": "email", "phone": "phone", "fax": "phone", "web": "website"}


def read_eu_fsf(path: Path) -> SanctionsList:
    """Read an EU Financial Sanctions Files XML file (schema 1.1)."""
    return parse_eu_fsf(file_bytes(path), file=str(path))


def parse_eu_fsf(data: bytes, *, file: str | None = None) -> SanctionsList:
    """Read the bytes of an EU Financial Sanctions Files XML document into a sanctions list."""
    document = parse_xml_records(data, file=file, record_tags=("sanctionEntity",))
    if document.root.tag != "export" or document.namespace != EU_FSF_NAMESPACE:
        found = f"{{{document.namespace}}}{document.root.tag}" if document.namespace else None
        message = (
            f"not an EU FSF export: expected the root element {{{EU_FSF_NAMESPACE}}}export, "
            f"found {found or document.root.tag!r}"
        )
        raise InvalidInput(message, file=file)
    published = iso_date(
        document.root.get("generationDate"), file=file, record=None, field="generationDate"
    )
    entries = keyed_entries(
        document.records,
        lambda record: _entry(record, file),
        where=_where,
        file=file,
        field="logicalId",
    )
    return SanctionsList(
        list_id=ListKind.EU_FSF.value,
        title=TITLE,
        publisher=PUBLISHER,
        published=published,
        entries=entries,
        source_file=file,
        sha256=sha256_hex(data),
    )


def _entry(record: XmlRecord, file: str | None) -> ListEntry:
    element, where = record.element, _where(record)
    logical_id = (element.get("logicalId") or "").strip()
    if not logical_id.isdigit():
        message = f"expected the entity's logicalId, a whole number, found {logical_id!r}"
        raise InvalidInput(message, file=file, record=where, field="logicalId")
    subject = element.find("subjectType")
    classification = (subject.get("classificationCode") or "") if subject is not None else ""
    schema = _SCHEMAS.get(classification.strip())
    if schema is None:
        message = f"expected a subject type classified P or E, found {classification!r}"
        raise InvalidInput(message, file=file, record=where, field="subjectType")
    regulations = element.findall("regulation")
    programmes = unique(regulation.get("programme") or "" for regulation in regulations)
    listed_on = iso_date(
        element.get("designationDate"), file=file, record=where, field="designationDate"
    )
    if listed_on is None:
        published = [
            iso_date(r.get("publicationDate"), file=file, record=where, field="publicationDate")
            for r in regulations
        ]
        listed_on = min((day for day in published if day is not None), default=None)
    delisted = iso_date(
        element.get("delistingDate"), file=file, record=where, field="delistingDate"
    )
    proxy = new_entity(schema, f"eu-fsf-{int(logical_id)}")
    if not _names(proxy, element):
        raise InvalidInput("the entity has no name", file=file, record=where, field="nameAlias")
    for citizenship in element.findall("citizenship"):
        put(proxy, "nationality", _country(citizenship))
    for birth in element.findall("birthdate"):
        _birth(proxy, birth)
    for address in element.findall("address"):
        _address(proxy, address)
    for identification in element.findall("identification"):
        code = (identification.get("identificationTypeCode") or "").strip().lower()
        numbers = [identification.get("number"), identification.get("latinNumber")]
        put(proxy, _IDENTIFIER_PROPS.get(code, "idNumber"), [n for n in numbers if n])
    remarks = [text_of(remark) for remark in element.findall("remark")]
    put(proxy, "notes", remarks)
    put(proxy, "topics", "sanction", cleaned=True)
    put(proxy, "programId", programmes, cleaned=True)
    return ListEntry(
        entity=proxy,
        list_id=ListKind.EU_FSF.value,
        record_id=str(int(logical_id)),
        programmes=programmes,
        listed_on=listed_on,
        source_record=_identity(record, regulations),
        remarks="\n".join(remark for remark in remarks if remark) or None,
        reference=(element.get("euReferenceNumber") or "").strip() or None,
        delisted_on=delisted,
    )


def _names(proxy: EntityProxy, element: Element) -> bool:
    """Put the name aliases on the entity; whether any name was found."""
    named = False
    for alias in element.findall("nameAlias"):
        parts = [alias.get(key) or "" for key in ("firstName", "middleName", "lastName")]
        whole = collapse(alias.get("wholeName")) or " ".join(collapse(p) for p in parts if p)
        if not whole:
            continue
        weak = (alias.get("strong") or "").strip().lower() == "false"
        put(proxy, "weakAlias" if weak else ("alias" if named else "name"), whole)
        named = named or not weak
        put(proxy, "firstName", parts[0])
        put(proxy, "middleName", parts[1])
        put(proxy, "lastName", parts[2])
        gender = {"M": "male", "F": "female"}.get((alias.get("gender") or "").strip())
        put(proxy, "gender", gender)
        put(proxy, "position", alias.get("function"))
        put(proxy, "title", alias.get("title"))
    if not named and proxy.has("weakAlias"):
        # Only weak names: the first is still the best name the list gives.
        put(proxy, "name", proxy.first("weakAlias"))
        named = True
    return named


def _birth(proxy: EntityProxy, birth: Element) -> None:
    full = (birth.get("birthdate") or "").strip()
    year, month, day = (
        (birth.get(key) or "").strip() for key in ("year", "monthOfYear", "dayOfMonth")
    )
    first, last = ((birth.get(key) or "").strip() for key in ("yearRangeFrom", "yearRangeTo"))
    if full:
        put(proxy, "birthDate", full[:10])
    elif year.isdigit():
        parts = [year.zfill(4)]
        if month.isdigit():
            parts.append(month.zfill(2))
            if day.isdigit():
                parts.append(day.zfill(2))
        put(proxy, "birthDate", "-".join(parts))
    elif first.isdigit() and last.isdigit():
        put(proxy, "birthDate", year_span(int(first), int(last)))
    place_keys = ("place", "city", "zipCode", "region")
    place = [collapse(birth.get(key)) for key in place_keys]
    description = _country_description(birth)
    put(proxy, "birthPlace", ", ".join(part for part in [*place, description] if part))
    put(proxy, "birthCountry", _country(birth))


def _address(proxy: EntityProxy, address: Element) -> None:
    keys = ("street", "poBox", "zipCode", "city", "place", "region")
    parts = [collapse(address.get(key)) for key in keys]
    parts.append(_country_description(address))
    put(proxy, "address", ", ".join(part for part in parts if part))
    put(proxy, "country", _country(address))
    for contact in address.findall("contactInfo"):
        prop = _CONTACT_PROPS.get((contact.get("key") or "").strip().lower())
        if prop is not None:
            put(proxy, prop, contact.get("value"))


def _country(element: Element) -> str | None:
    """The ISO code of a detail's country, ``None`` when the list says it is unknown."""
    code = (element.get("countryIso2Code") or "").strip()
    return None if code in {"", _UNKNOWN_COUNTRY} else code


def _country_description(element: Element) -> str:
    if _country(element) is None:
        return ""
    return collapse(element.get("countryDescription"))


def _where(record: XmlRecord) -> str:
    logical_id = record.element.get("logicalId")
    suffix = f", logicalId {logical_id}" if logical_id else ""
    return f"{record.label} (line {record.line}{suffix})"


def _identity(record: XmlRecord, regulations: list[Element]) -> str:
    """The entity's identifying attributes, as read: enough to find it again in the file."""
    fields = [
        f"{key}={value.strip()}"
        for key in ("logicalId", "euReferenceNumber", "unitedNationId", "designationDate")
        if (value := record.element.get(key))
    ]
    for regulation in regulations:
        title = collapse(regulation.get("numberTitle"))
        fields.append(f"regulation={title} ({regulation.get('programme') or ''})")
    return f"sanctionEntity at line {record.line}: {'; '.join(fields)}"

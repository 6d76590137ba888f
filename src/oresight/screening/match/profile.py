"""What matching reads from an FtM entity, kept small enough to hold a million of them.

A :class:`Profile` holds the matchable values of an entity as FtM cleaned them: names (``name``,
``alias``, ``previousName``, or the name parts of a person who has no full name), countries
(nationality, jurisdiction, flag, ...), birth, incorporation or build dates, identifiers
(registration, passport, tax, IMO numbers, ...) and addresses. An index keeps each profile packed
into one string (:meth:`Profile.pack`), which costs a fraction of the entity proxy it came from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from followthemoney import EntityProxy
from followthemoney.types import registry

from oresight.core.errors import InvalidInput

DATE_PROPERTIES = ("birthDate", "incorporationDate", "buildDate")
"""The dates that say when a party began: compared between query and candidate."""

NAME_PART_PROPERTIES = ("firstName", "secondName", "middleName", "fatherName", "lastName")
"""A person's name parts, in the order a full name is written when only the parts are given."""

_FIELD = "\x1e"
_VALUE = "\x1f"
_NOT_ALNUM = re.compile(r"[\W_]+")
_DATE_NAMES = frozenset(DATE_PROPERTIES)
_PART_NAMES = frozenset(NAME_PART_PROPERTIES)
MIN_IDENTIFIER_LENGTH = 4
"""Identifiers shorter than this (a stray "1", "N/A") match too much to count."""


@dataclass(frozen=True, slots=True)
class Profile:
    """The matchable values of one entity (see the module docstring)."""

    id: str
    schema: str
    names: tuple[str, ...]
    countries: tuple[str, ...] = ()
    dates: tuple[str, ...] = ()
    identifiers: tuple[str, ...] = ()
    addresses: tuple[str, ...] = ()

    @classmethod
    def from_entity(cls, entity: EntityProxy) -> Profile:
        """The profile of an FtM entity; its id and at least one name are required."""
        if not entity.id:
            raise InvalidInput(f"the {entity.schema.name} entity has no id", field="id")
        profile = profile_of(entity)
        if profile is None:
            raise InvalidInput(
                f"the {entity.schema.name} has no name to match on",
                record=str(entity.id),
                field="properties.name",
            )
        return profile

    def pack(self) -> str:
        """The profile as one string, read back by :meth:`unpack`."""
        fields = (
            (self.id,),
            (self.schema,),
            self.names,
            self.countries,
            self.dates,
            self.identifiers,
            self.addresses,
        )
        packed = _FIELD.join([_VALUE.join(field) for field in fields])
        # Six field separators, and one value separator fewer than values in each field.
        values = len(self.names) + len(self.countries) + len(self.dates)
        values += len(self.identifiers) + len(self.addresses)
        empty = (not self.names) + (not self.countries) + (not self.dates)
        empty += (not self.identifiers) + (not self.addresses)
        if packed.count(_VALUE) + packed.count(_FIELD) == 6 + values + empty - 5:
            return packed
        # A value holds a separator (FtM's cleaning removes them; be sure anyway).
        return _FIELD.join(_VALUE.join(_plain(value) for value in field) for field in fields)

    @classmethod
    def unpack(cls, packed: str) -> Profile:
        """A profile from the string :meth:`pack` made."""
        fields = [tuple(field.split(_VALUE)) if field else () for field in packed.split(_FIELD)]
        entity_id, schema, names, countries, dates, identifiers, addresses = fields
        return cls(
            id=entity_id[0],
            schema=schema[0],
            names=names,
            countries=countries,
            dates=dates,
            identifiers=identifiers,
            addresses=addresses,
        )


def profile_of(entity: EntityProxy) -> Profile | None:
    """The profile of an entity with an id and a name, or None for one without (a Sanction).

    The entity's values are read in one pass, names in the order the entity gives them.
    """
    if not entity.id or not entity.schema.matchable:
        return None
    names: dict[str, None] = {}
    parts: dict[str, list[str]] = {}
    countries: set[str] = set()
    dates: set[str] = set()
    identifiers: set[str] = set()
    addresses: dict[str, None] = {}
    name_type, country_type = registry.name, registry.country
    identifier_type, address_type = registry.identifier, registry.address
    for prop, value in entity.itervalues():
        kind = prop.type
        if prop.name in _DATE_NAMES:
            dates.add(value)
        elif prop.name in _PART_NAMES:
            parts.setdefault(prop.name, []).append(value)
        if kind is name_type:
            if prop.matchable:
                names[value] = None
        elif kind is country_type:
            if prop.matchable:
                countries.add(value)
        elif kind is identifier_type:
            if prop.matchable:
                clean = normalise_identifier(value)
                if len(clean) >= MIN_IDENTIFIER_LENGTH:
                    identifiers.add(clean)
        elif kind is address_type:
            addresses[value] = None
    if not names:
        joined = " ".join(value for prop in NAME_PART_PROPERTIES for value in parts.get(prop, ()))
        if joined:
            names[joined] = None
    if not names:
        return None
    return Profile(
        id=str(entity.id),
        schema=entity.schema.name,
        names=tuple(names),
        countries=tuple(sorted(countries)),
        dates=tuple(sorted(dates)),
        identifiers=tuple(sorted(identifiers)),
        addresses=tuple(addresses),
    )


def normalise_identifier(value: str) -> str:
    """An identifier as letters and digits only, upper case: ``CD/KIN/RCCM/14-B-1234``
    gives ``CDKINRCCM14B1234``."""
    return _NOT_ALNUM.sub("", value).upper()


def _plain(value: str) -> str:
    return value.replace(_FIELD, " ").replace(_VALUE, " ")

"""One site feature, its properties and geometry, read into a :class:`Site`.

The GeoJSON reader (:mod:`oresight.custody.sites`) and the GeoPackage reader
(:mod:`oresight.custody.geopackage`) both come here once they have a feature's id, properties
and geometry, so that a site reads the same from either format. Errors name the file, the record
(a feature index or GeoPackage fid, with the site id once known) and the field.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import shapely
from pydantic import ValidationError

from oresight.core.errors import InvalidInput
from oresight.core.minerals import Mineral
from oresight.core.sites import GEOMETRY_TYPES, Licence, Site, SiteKind

SITE_FIELDS = (
    "id",
    "name",
    "kind",
    "country",
    "operator",
    "minerals",
    "licence_number",
    "licence_valid_from",
    "licence_valid_to",
    "capacity_t_per_year",
    "capacity_basis",
    "rmi_smelter_id",
)
"""Feature properties that map onto :class:`Site` fields; all others go to ``properties``."""

GEOMETRY_TYPE_NAMES = ", ".join(sorted(GEOMETRY_TYPES))
"""The geometry types a site may have, as error messages list them."""

_COUNTRY = re.compile(r"[A-Z]{2}")


@dataclass(frozen=True)
class SourceRecord:
    """Where in the input a reader is, to locate its errors: the file and the record."""

    file: str | None
    record: str | None = None

    def with_id(self, site_id: str) -> SourceRecord:
        """The same record, named also by the site id read from it."""
        return SourceRecord(self.file, f"{self.record} ({site_id})")

    def error(self, message: str, field: str | None = None) -> InvalidInput:
        """An :class:`InvalidInput` located at this record and ``field``."""
        return InvalidInput(message, file=self.file, record=self.record, field=field)


class UniqueSites:
    """Collects the sites of one file; a repeated id is dropped if identical, refused otherwise."""

    def __init__(self) -> None:
        self._sites: dict[str, tuple[Site, SourceRecord]] = {}

    def add(self, site: Site, at: SourceRecord) -> None:
        """Add a site read at ``at``; InvalidInput when its id came before with other content."""
        seen = self._sites.get(site.id)
        if seen is None:
            self._sites[site.id] = (site, at)
        elif seen[0] != site:
            message = f"duplicate id {site.id!r} with different content (first at {seen[1].record})"
            raise at.error(message, "id")

    def collected(self) -> list[Site]:
        """The sites in the order their ids first came."""
        return [site for site, _ in self._sites.values()]


def feature_site_id(feature_id: Any, property_id: Any, at: SourceRecord) -> str:
    """The site id of a feature: its feature id or ``properties.id``, which must agree if both."""
    found = [i for i in (_text(feature_id, "id", at), _text(property_id, "id", at)) if i]
    if not found:
        raise at.error('the feature has no id (neither a feature "id" nor properties.id)', "id")
    if len(found) == 2 and found[0] != found[1]:
        raise at.error(f"feature id {found[0]!r} and properties.id {found[1]!r} differ", "id")
    return found[0]


def site_from_properties(
    site_id: str, properties: Mapping[str, Any], geometry: dict[str, Any] | None, at: SourceRecord
) -> Site:
    """A :class:`Site` from a feature's properties (see :data:`SITE_FIELDS`) and geometry."""

    def text(name: str) -> str | None:
        return _text(properties.get(name), name, at)

    kind_text = text("kind")
    if kind_text is None:
        raise at.error(f"the site has no kind; expected one of {_choices(SiteKind)}", "kind")
    try:
        kind = SiteKind(kind_text.lower())
    except ValueError:
        message = f"unknown kind {kind_text!r}; expected one of {_choices(SiteKind)}"
        raise at.error(message, "kind") from None
    country = text("country")
    if country is not None:
        if not _COUNTRY.fullmatch(country.upper()):
            message = f"{country!r} is not an ISO 3166-1 alpha-2 country code (such as 'CD')"
            raise at.error(message, "country")
        country = country.upper()
    try:
        return Site(
            id=site_id,
            name=text("name"),
            kind=kind,
            country=country,
            operator=text("operator"),
            minerals=_minerals(properties.get("minerals"), at),
            licence=_licence(properties, at),
            capacity_t_per_year=_capacity(properties.get("capacity_t_per_year"), at),
            capacity_basis=text("capacity_basis"),
            rmi_smelter_id=text("rmi_smelter_id"),
            geometry=geometry,
            properties={k: v for k, v in properties.items() if k not in SITE_FIELDS},
        )
    except ValidationError as exc:
        error = exc.errors()[0]
        raise at.error(error["msg"], ".".join(str(part) for part in error["loc"]) or None) from None


def _text(value: Any, field: str, at: SourceRecord) -> str | None:
    """A text property: absent, null and blank are None; integers (common ids) become text."""
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        raise at.error(f"expected text, found {type(value).__name__}", field)
    return value.strip() or None


def _minerals(value: Any, at: SourceRecord) -> tuple[Mineral, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        # GeoPackage has no list type: GDAL writes lists as JSON arrays, people write "tin, gold".
        value = value.strip()
        if value.startswith("["):
            try:
                value = json.loads(value)
            except ValueError:
                raise at.error("looks like a JSON array but is not one", "minerals") from None
        else:
            value = value.split(",")
    if not isinstance(value, list | tuple):
        raise at.error(f"expected a list of minerals, found {type(value).__name__}", "minerals")
    minerals: list[Mineral] = []
    for item in value:
        name = _text(item, "minerals", at)
        if name is None:
            continue
        try:
            minerals.append(Mineral(name.lower()))
        except ValueError:
            message = f"unknown mineral {name!r}; expected one of {_choices(Mineral)}"
            raise at.error(message, "minerals") from None
    return tuple(minerals)


def _licence(properties: Mapping[str, Any], at: SourceRecord) -> Licence | None:
    number = _text(properties.get("licence_number"), "licence_number", at)
    valid_from = _date(properties.get("licence_valid_from"), "licence_valid_from", at)
    valid_to = _date(properties.get("licence_valid_to"), "licence_valid_to", at)
    if number is None:
        if valid_from is not None or valid_to is not None:
            raise at.error("licence dates are given without a licence_number", "licence_number")
        return None
    try:
        return Licence(number=number, valid_from=valid_from, valid_to=valid_to)
    except ValidationError as exc:
        message = exc.errors()[0]["msg"].removeprefix("Value error, ")
        raise at.error(message, "licence_valid_to") from None


def _date(value: Any, field: str, at: SourceRecord) -> date | None:
    text = _text(value, field, at)
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise at.error(f"expected an ISO date (YYYY-MM-DD), found {text!r}", field) from None


def _capacity(value: Any, at: SourceRecord) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    number: float | None = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            number = None
    if number is None or not math.isfinite(number) or number < 0:
        message = f"expected a finite number of tonnes per year, zero or more, found {value!r}"
        raise at.error(message, "capacity_t_per_year")
    return number


def checked_geometry(shape: Any, at: SourceRecord) -> dict[str, Any]:
    """Check a shapely geometry for use as a site, and return it as a GeoJSON mapping."""
    if shape.geom_type not in GEOMETRY_TYPES:
        message = f"geometry type {shape.geom_type!r} is not one of {GEOMETRY_TYPE_NAMES}"
        raise at.error(message, "geometry")
    if shape.is_empty:
        raise at.error("the geometry is empty", "geometry")
    if not np.isfinite(shapely.get_coordinates(shape, include_z=shape.has_z)).all():
        raise at.error("coordinates must be finite numbers", "geometry")
    west, south, east, north = shape.bounds
    if west < -180 or east > 180 or south < -90 or north > 90:
        message = (
            f"coordinates out of WGS 84 range (bounds {west}, {south}, {east}, {north}; "
            "longitude must be within [-180, 180] and latitude within [-90, 90])"
        )
        raise at.error(message, "geometry")
    if not shape.is_valid:
        raise at.error(f"invalid geometry: {shapely.is_valid_reason(shape)}", "geometry")
    mapping: dict[str, Any] = json.loads(shapely.to_geojson(shape))
    return mapping


def _choices(values: Iterable[Any]) -> str:
    return ", ".join(str(value.value) for value in values)

"""Sites read from and written to GeoJSON and GeoPackage features.

The feature properties are those of DESIGN.md ("Site properties"): ``id``, ``name``, ``kind``,
``country``, ``operator``, ``minerals``, ``licence_number``, ``licence_valid_from``,
``licence_valid_to``, ``capacity_t_per_year``, ``capacity_basis`` and ``rmi_smelter_id``; any other
property is kept as it came in :attr:`Site.properties`. Geometries are Points, MultiPoints,
Polygons or MultiPolygons in WGS 84, checked with shapely and kept as GeoJSON mappings.
"""

from __future__ import annotations

import base64
import copy
import json
import math
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pyogrio
import shapely
from pydantic import ValidationError
from pyogrio import raw
from shapely.errors import ShapelyError
from shapely.geometry import shape as to_shape

from oresight.core.errors import InvalidInput, UnknownFormat
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

GEOJSON_SUFFIXES = frozenset({".geojson", ".json"})
GEOPACKAGE_SUFFIXES = frozenset({".gpkg"})

# Both name WGS 84 with longitude stored first in a GeoPackage, so neither needs reprojection.
WGS84_CRS_NAMES = frozenset({"EPSG:4326", "OGC:CRS84"})

_COUNTRY = re.compile(r"[A-Z]{2}")
_GEOMETRY_TYPES = ", ".join(sorted(GEOMETRY_TYPES))


def read_sites(path: Path, *, layer: str | None = None) -> list[Site]:
    """Read the sites of a GeoJSON (``.geojson``, ``.json``) or GeoPackage (``.gpkg``) file.

    ``layer`` names one GeoPackage layer; without it every layer is read.
    """
    at = _At(str(path))
    suffix = path.suffix.lower()
    if suffix in GEOPACKAGE_SUFFIXES:
        return read_geopackage_sites(path, layer=layer)
    if suffix not in GEOJSON_SUFFIXES:
        raise UnknownFormat(
            f"cannot tell the format of a sites file with suffix {suffix!r}: "
            "expected .geojson or .json (GeoJSON) or .gpkg (GeoPackage)",
            file=at.file,
        )
    if layer is not None:
        raise at.error(f"a GeoJSON file has no layers, but layer {layer!r} was asked for")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise at.error(f"cannot read the file: {exc.strerror or exc}") from None
    return read_geojson_sites(data, file=at.file)


def looks_like_site_collection(data: Mapping[str, Any]) -> bool:
    """Whether a parsed JSON document is a GeoJSON FeatureCollection or Feature (for sniffing)."""
    kind = data.get("type")
    if kind == "FeatureCollection":
        return isinstance(data.get("features"), list)
    return kind == "Feature"


def read_geojson_sites(
    data: bytes | str | Mapping[str, Any], *, file: str | None = None
) -> list[Site]:
    """Read sites from a GeoJSON FeatureCollection (or a single Feature).

    ``data`` is the document's text, its bytes (UTF-8) or the parsed object; ``file`` names it in
    errors. Raises :class:`InvalidInput` naming the feature (index, and id once known) and field.
    """
    at = _At(file)
    document = _parse_json(data, at) if isinstance(data, bytes | str) else data
    if not isinstance(document, Mapping):
        raise at.error(f"expected a GeoJSON object, found a JSON {type(document).__name__}")
    _check_geojson_crs(document, at)
    kind = document.get("type")
    if kind == "FeatureCollection":
        features = document.get("features")
        if not isinstance(features, list):
            raise at.error("a FeatureCollection needs a 'features' list", "features")
    elif kind == "Feature":
        features = [document]
    else:
        raise at.error(f"expected a GeoJSON FeatureCollection or Feature, found {kind!r}", "type")
    sites = _UniqueSites()
    for index, feature in enumerate(features):
        at = _At(file, f"feature {index}")
        if not isinstance(feature, Mapping) or feature.get("type") != "Feature":
            raise at.error("expected a GeoJSON Feature object", "type")
        properties = feature.get("properties")
        if properties is None:
            properties = {}
        if not isinstance(properties, Mapping):
            raise at.error("expected an object or null", "properties")
        site_id = _feature_id(feature.get("id"), properties.get("id"), at)
        at = at.with_id(site_id)
        geometry = _geojson_geometry(feature.get("geometry"), at)
        sites.add(_site(site_id, properties, geometry, at), at)
    return sites.collected()


def read_geopackage_sites(path: Path, *, layer: str | None = None) -> list[Site]:
    """Read sites from a GeoPackage: the layer named ``layer``, or every layer when it is None.

    Each layer needs ``id`` and ``kind`` columns and, if it has geometries, the CRS EPSG:4326;
    ``minerals`` may be a comma-separated string or a JSON array. Records are named by fid.
    """
    at = _At(str(path))
    if not path.is_file():
        raise at.error("no such file")
    with at.gdal_errors():
        # Layers are always named: pyogrio warns when it has to pick a default one.
        names = [layer] if layer is not None else [str(row[0]) for row in pyogrio.list_layers(path)]
    sites = _UniqueSites()
    for name in names:
        for site, site_at in _geopackage_layer(path, _At(at.file, f"layer {name!r}"), name):
            sites.add(site, site_at)
    return sites.collected()


def sites_to_geojson(sites: Iterable[Site]) -> dict[str, Any]:
    """Write sites as a GeoJSON FeatureCollection that :func:`read_geojson_sites` reads back.

    The id is written both as the feature id and as ``properties.id``, because some tools drop
    feature-level ids. Raises :class:`InvalidInput` when an extra property shadows a site field.
    """
    features: list[dict[str, Any]] = []
    for site in sites:
        licence = site.licence
        fields: dict[str, Any] = {
            "id": site.id,
            "name": site.name,
            "kind": site.kind.value,
            "country": site.country,
            "operator": site.operator,
            "minerals": [mineral.value for mineral in site.minerals] or None,
            "licence_number": licence.number if licence else None,
            "licence_valid_from": _iso(licence.valid_from) if licence else None,
            "licence_valid_to": _iso(licence.valid_to) if licence else None,
            "capacity_t_per_year": site.capacity_t_per_year,
            "capacity_basis": site.capacity_basis,
            "rmi_smelter_id": site.rmi_smelter_id,
        }
        properties = {key: value for key, value in fields.items() if value is not None}
        for key, value in site.properties.items():
            if key in SITE_FIELDS:
                raise _At(None, site.id).error("an extra property has a site field's name", key)
            properties[key] = copy.deepcopy(value)
        geometry = copy.deepcopy(site.geometry)
        features.append(
            {"type": "Feature", "id": site.id, "geometry": geometry, "properties": properties}
        )
    return {"type": "FeatureCollection", "features": features}


@dataclass(frozen=True)
class _At:
    """Where in the input we are, to locate errors: the file and the record."""

    file: str | None
    record: str | None = None

    def with_id(self, site_id: str) -> _At:
        return _At(self.file, f"{self.record} ({site_id})")

    def error(self, message: str, field: str | None = None) -> InvalidInput:
        return InvalidInput(message, file=self.file, record=self.record, field=field)

    def gdal_errors(self) -> _GdalErrors:
        return _GdalErrors(self)


class _GdalErrors:
    """Context manager that turns pyogrio's and GDAL's errors into InvalidInput."""

    def __init__(self, at: _At) -> None:
        self._at = at

    def __enter__(self) -> None:
        return None

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: Any
    ) -> None:
        # pyogrio's errors derive from RuntimeError; OSError covers unreadable files.
        if isinstance(exc, RuntimeError | OSError):
            raise self._at.error(f"GDAL cannot read it: {exc}") from None


class _UniqueSites:
    """Collects the sites of one file; a repeated id is dropped if identical, refused otherwise."""

    def __init__(self) -> None:
        self._sites: dict[str, tuple[Site, _At]] = {}

    def add(self, site: Site, at: _At) -> None:
        seen = self._sites.get(site.id)
        if seen is None:
            self._sites[site.id] = (site, at)
        elif seen[0] != site:
            message = f"duplicate id {site.id!r} with different content (first at {seen[1].record})"
            raise at.error(message, "id")

    def collected(self) -> list[Site]:
        return [site for site, _ in self._sites.values()]


def _parse_json(data: bytes | str, at: _At) -> Any:
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise at.error(f"not UTF-8 text (byte {exc.start})") from None
    try:
        return json.loads(data, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        raise at.error(
            f"malformed JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from None
    except ValueError as exc:
        raise at.error(f"malformed JSON: {exc}") from None


def _refuse_constant(name: str) -> Any:
    # Python's json accepts NaN and Infinity, which are not JSON and not valid coordinates.
    raise ValueError(f"{name} is not a JSON value")


def _check_geojson_crs(document: Mapping[str, Any], at: _At) -> None:
    # RFC 7946 dropped "crs", but older files still name one; refuse any that is not WGS 84.
    crs = document.get("crs")
    if crs is None:
        return
    name = crs.get("properties", {}).get("name") if isinstance(crs, Mapping) else None
    if not isinstance(name, str) or not name.endswith(("CRS84", "4326")):
        raise at.error(f"the document names CRS {name!r}; sites must be in WGS 84", "crs")


def _feature_id(feature_id: Any, property_id: Any, at: _At) -> str:
    found = [i for i in (_text(feature_id, "id", at), _text(property_id, "id", at)) if i]
    if not found:
        raise at.error('the feature has no id (neither a feature "id" nor properties.id)', "id")
    if len(found) == 2 and found[0] != found[1]:
        raise at.error(f"feature id {found[0]!r} and properties.id {found[1]!r} differ", "id")
    return found[0]


def _site(
    site_id: str, properties: Mapping[str, Any], geometry: dict[str, Any] | None, at: _At
) -> Site:
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


def _text(value: Any, field: str, at: _At) -> str | None:
    """A text property: absent, null and blank are None; integers (common ids) become text."""
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        raise at.error(f"expected text, found {type(value).__name__}", field)
    return value.strip() or None


def _minerals(value: Any, at: _At) -> tuple[Mineral, ...]:
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


def _licence(properties: Mapping[str, Any], at: _At) -> Licence | None:
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


def _date(value: Any, field: str, at: _At) -> date | None:
    text = _text(value, field, at)
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise at.error(f"expected an ISO date (YYYY-MM-DD), found {text!r}", field) from None


def _capacity(value: Any, at: _At) -> float | None:
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


def _geojson_geometry(value: Any, at: _At) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise at.error("expected a GeoJSON geometry object or null", "geometry")
    kind = value.get("type")
    if kind not in GEOMETRY_TYPES:
        raise at.error(f"geometry type {kind!r} is not one of {_GEOMETRY_TYPES}", "geometry")
    if not _numeric_leaves(value.get("coordinates")):
        raise at.error("coordinates must be nested arrays of numbers", "geometry")
    try:
        shape = to_shape(value)
    except (ShapelyError, ValueError, TypeError, KeyError, IndexError) as exc:
        raise at.error(f"not a valid {kind}: {exc}", "geometry") from None
    return _checked_geometry(shape, at)


def _numeric_leaves(value: Any) -> bool:
    if isinstance(value, list | tuple):
        return all(_numeric_leaves(item) for item in value)
    return isinstance(value, int | float) and not isinstance(value, bool)


def _checked_geometry(shape: Any, at: _At) -> dict[str, Any]:
    """Check a shapely geometry for use as a site, and return it as a GeoJSON mapping."""
    if shape.geom_type not in GEOMETRY_TYPES:
        message = f"geometry type {shape.geom_type!r} is not one of {_GEOMETRY_TYPES}"
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


def _geopackage_layer(path: Path, at: _At, name: str) -> Iterator[tuple[Site, _At]]:
    with at.gdal_errors():
        driver = pyogrio.read_info(path, layer=name).get("driver")
        if driver != "GPKG":
            raise _At(at.file).error(f"not a GeoPackage (GDAL reads it as {driver!r})")
        meta, fids, geometries, columns = raw.read(
            path, layer=name, return_fids=True, datetime_as_string=True
        )
    crs = meta.get("crs")
    if geometries is not None and crs not in WGS84_CRS_NAMES:
        message = (
            f"the layer's CRS is {crs or 'undefined'}; sites must be in WGS 84 (EPSG:4326): "
            "reproject the layer first, e.g. with ogr2ogr -t_srs EPSG:4326"
        )
        raise at.error(message, "crs")
    fields = [str(field) for field in meta["fields"]]
    missing = [field for field in ("id", "kind") if field not in fields]
    if missing:
        message = (
            f"the layer has no {' or '.join(map(repr, missing))} column; a site layer needs "
            f"'id' and 'kind' (columns found: {', '.join(fields) or 'none'})"
        )
        raise at.error(message, missing[0])
    for index, fid in enumerate(fids):
        feature_at = _At(at.file, f"{at.record} fid {int(fid)}")
        values = {
            field: _plain(column[index]) for field, column in zip(fields, columns, strict=True)
        }
        site_id = _feature_id(None, values.get("id"), feature_at)
        feature_at = feature_at.with_id(site_id)
        geometry = None
        if geometries is not None and geometries[index] is not None:
            try:
                shape = shapely.from_wkb(geometries[index])
            except ShapelyError as exc:
                raise feature_at.error(f"unreadable geometry: {exc}", "geometry") from None
            geometry = _checked_geometry(shape, feature_at)
        yield _site(site_id, values, geometry, feature_at), feature_at


def _plain(value: Any) -> Any:
    """A column value as a plain JSON-friendly Python value (a null float becomes None)."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, bytes):
        # Blob columns cannot go into JSON as they are; base64 keeps them without loss.
        return base64.b64encode(value).decode("ascii")
    return value


def _choices(values: Iterable[Any]) -> str:
    return ", ".join(str(value.value) for value in values)


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day is not None else None

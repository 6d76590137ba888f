"""Sites read from and written to GeoJSON and GeoPackage features.

The feature properties are those of DESIGN.md ("Site properties"): ``id``, ``name``, ``kind``,
``country``, ``operator``, ``minerals``, ``licence_number``, ``licence_valid_from``,
``licence_valid_to``, ``capacity_t_per_year``, ``capacity_basis`` and ``rmi_smelter_id``; any other
property is kept as it came in :attr:`Site.properties`. Geometries are Points, MultiPoints,
Polygons or MultiPolygons in WGS 84, checked with shapely and kept as GeoJSON mappings.

GeoJSON is read and written here; GeoPackage layers are read by
:mod:`oresight.custody.geopackage` (:func:`read_geopackage_sites` is importable from here too),
and both read each feature into a :class:`Site` through :mod:`oresight.custody.site_features`.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Mapping
from datetime import date
from pathlib import Path
from typing import Any

from shapely.errors import ShapelyError
from shapely.geometry import shape as to_shape

from oresight.core.errors import UnknownFormat
from oresight.core.sites import GEOMETRY_TYPES, Site
from oresight.custody.geopackage import (
    GEOPACKAGE_SUFFIXES,
    WGS84_CRS_NAMES,
    read_geopackage_sites,
)
from oresight.custody.site_features import (
    GEOMETRY_TYPE_NAMES,
    SITE_FIELDS,
    SourceRecord,
    UniqueSites,
    checked_geometry,
    feature_site_id,
    site_from_properties,
)

__all__ = [
    "GEOJSON_SUFFIXES",
    "GEOPACKAGE_SUFFIXES",
    "SITE_FIELDS",
    "WGS84_CRS_NAMES",
    "looks_like_site_collection",
    "read_geojson_sites",
    "read_geopackage_sites",
    "read_sites",
    "sites_to_geojson",
]

GEOJSON_SUFFIXES = frozenset({".geojson", ".json"})


def read_sites(path: Path, *, layer: str | None = None) -> list[Site]:
    """Read the sites of a GeoJSON (``.geojson``, ``.json``) or GeoPackage (``.gpkg``) file.

    ``layer`` names one GeoPackage layer; without it every layer is read.
    """
    at = SourceRecord(str(path))
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
    """Whether a parsed JSON document is a GeoJSON FeatureCollection or Feature (for sniffing).

    STAC items and item collections are GeoJSON too, but describe imagery, not sites: they are
    not taken for sites (a folder holding a catalog is passed over)."""
    kind = data.get("type")
    if "stac_version" in data:
        return False
    if kind == "FeatureCollection":
        features = data.get("features")
        if not isinstance(features, list):
            return False
        return not any(isinstance(f, Mapping) and "stac_version" in f for f in features)
    return kind == "Feature"


def read_geojson_sites(
    data: bytes | str | Mapping[str, Any], *, file: str | None = None
) -> list[Site]:
    """Read sites from a GeoJSON FeatureCollection (or a single Feature).

    ``data`` is the document's text, its bytes (UTF-8) or the parsed object; ``file`` names it in
    errors. Raises :class:`InvalidInput` naming the feature (index, and id once known) and field.
    """
    at = SourceRecord(file)
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
    sites = UniqueSites()
    for index, feature in enumerate(features):
        at = SourceRecord(file, f"feature {index}")
        if not isinstance(feature, Mapping) or feature.get("type") != "Feature":
            raise at.error("expected a GeoJSON Feature object", "type")
        properties = feature.get("properties")
        if properties is None:
            properties = {}
        if not isinstance(properties, Mapping):
            raise at.error("expected an object or null", "properties")
        site_id = feature_site_id(feature.get("id"), properties.get("id"), at)
        at = at.with_id(site_id)
        geometry = _geojson_geometry(feature.get("geometry"), at)
        sites.add(site_from_properties(site_id, properties, geometry, at), at)
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
                raise SourceRecord(None, site.id).error(
                    "an extra property has a site field's name", key
                )
            properties[key] = copy.deepcopy(value)
        geometry = copy.deepcopy(site.geometry)
        features.append(
            {"type": "Feature", "id": site.id, "geometry": geometry, "properties": properties}
        )
    return {"type": "FeatureCollection", "features": features}


def _parse_json(data: bytes | str, at: SourceRecord) -> Any:
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


def _check_geojson_crs(document: Mapping[str, Any], at: SourceRecord) -> None:
    # RFC 7946 dropped "crs", but older files still name one; refuse any that is not WGS 84.
    crs = document.get("crs")
    if crs is None:
        return
    name = crs.get("properties", {}).get("name") if isinstance(crs, Mapping) else None
    if not isinstance(name, str) or not name.endswith(("CRS84", "4326")):
        raise at.error(f"the document names CRS {name!r}; sites must be in WGS 84", "crs")


def _geojson_geometry(value: Any, at: SourceRecord) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise at.error("expected a GeoJSON geometry object or null", "geometry")
    kind = value.get("type")
    if kind not in GEOMETRY_TYPES:
        raise at.error(f"geometry type {kind!r} is not one of {GEOMETRY_TYPE_NAMES}", "geometry")
    if not _numeric_leaves(value.get("coordinates")):
        raise at.error("coordinates must be nested arrays of numbers", "geometry")
    try:
        shape = to_shape(value)
    except (ShapelyError, ValueError, TypeError, KeyError, IndexError) as exc:
        raise at.error(f"not a valid {kind}: {exc}", "geometry") from None
    return checked_geometry(shape, at)


def _numeric_leaves(value: Any) -> bool:
    if isinstance(value, list | tuple):
        return all(_numeric_leaves(item) for item in value)
    return isinstance(value, int | float) and not isinstance(value, bool)


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day is not None else None

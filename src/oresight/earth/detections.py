"""Mining detections as evidence: footprints found by oresight's own scans or published by others.

A detection layer is a set of (Multi)Polygons of mining disturbance, each seen in a period, from
one source: a scan of Sentinel-2/Landsat composites, or a product such as Amazon Mining Watch's
yearly footprints (``Mined area (ha)``, ``year`` = ``201800``) and its raw detector patches
(``pred``, the ensemble's score). Every check of the pillar reads layers the same way, whoever made
them.

A layer may say which area it covers (``coverage``): where the imagery was clear and scanned.
Only inside it can an absence of detections mean "no mining"; outside it, nothing is known.

Reading is strict: a file that is not a FeatureCollection of polygons, coordinates that are not
longitude/latitude, a CRS PROJ does not know, or a feature without a period is refused with the
file, the feature and the field. Self-intersecting polygons, common in products vectorised from
rasters, are repaired (``make_valid``, polygonal parts kept) and counted, never dropped.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyproj
import shapely
from shapely.geometry import MultiPolygon, Polygon, shape
from shapely.geometry.base import BaseGeometry

from oresight.core.errors import InvalidInput
from oresight.core.findings import DataGap
from oresight.earth.geodesy import area_ha
from oresight.earth.periods import ObservationPeriod, period_in_name, period_of_value

PERIOD_PROPERTIES = ("period", "year", "date")
"""Feature properties read as the feature's period, first found first."""
SCORE_PROPERTIES = ("score", "pred", "confidence", "probability")
"""Feature properties read as the detector's score (0-1), first found first."""
STATED_AREA_PROPERTIES = ("Mined area (ha)", "mined_area_ha")
"""Feature properties read as the mined area the source states (hectares), first found first:
a patch footprint is larger than the disturbed ground inside it. (``area_ha``, which scans write,
is the footprint's own area, not a statement of mined ground, and is not read.)"""
LONLAT_CRS_NAMES = frozenset(
    {
        "urn:ogc:def:crs:OGC:1.3:CRS84",
        "urn:ogc:def:crs:OGC::CRS84",
        "urn:ogc:def:crs:EPSG::4326",
        "EPSG:4326",
        "CRS84",
        "OGC:CRS84",
    }
)
AREA_TYPES = ("Polygon", "MultiPolygon")
NO_DETECTIONS = "mining detections (scans or published footprints)"
"""What the earth rules name as missing when no layer is loaded."""


def no_detections(rule: str, unchecked: str) -> DataGap:
    """The data gap of an earth rule run without any detection layer; ``unchecked`` says what
    could not be checked (``"no declared mine was checked for activity"``)."""
    return DataGap(
        rule=rule,
        missing=NO_DETECTIONS,
        explanation=(
            f"No mining detections are loaded, so {unchecked}. Scan imagery with `oresight "
            "earth scan`, or load published footprints with `oresight earth load-detections "
            "FILE` (with `--coverage AREA` for an absence of mining to count)."
        ),
    )


@dataclass(frozen=True)
class Detection:
    """One footprint of mining disturbance seen in one period."""

    index: int
    """The feature's position in its file (0-based)."""
    geometry: BaseGeometry
    period: ObservationPeriod
    area_ha: float
    score: float | None = None
    stated_area_ha: float | None = None
    """The disturbed area inside the footprint as the source states it, where it does."""
    layer: str = ""
    """The id of the layer (file) it was read from."""


@dataclass(frozen=True)
class DetectionLayer:
    """The detections of one file, from one source."""

    id: str
    source: str
    file: str
    detections: tuple[Detection, ...]
    coverage: BaseGeometry | None = None
    """The area the source looked at (clear, scanned); None when the source does not say."""
    repaired: int = 0
    """Invalid polygons repaired on reading."""
    parts: tuple[DetectionLayer, ...] = ()
    """The layers (files) merged into this one, when it is a source's merged view."""
    declared: tuple[ObservationPeriod, ...] = ()
    """Periods the source looked at whether or not it found anything: a scan of a period with
    no mining is a layer with no detections, and still an observation."""
    scenes: tuple[str, ...] = ()
    """The ids of the scenes a scan composited (none for others' products)."""
    quicklook: tuple[str, tuple[float, float, float, float]] | None = None
    """A scan's true-colour picture: the PNG's path and its lon/lat bounds."""

    @property
    def periods(self) -> list[ObservationPeriod]:
        """The periods the layer looked at (its detections' and the declared ones), earliest
        first."""
        found = {d.period for d in self.detections} | set(self.declared)
        for part in self.parts:
            found.update(part.periods)
        return sorted(found)

    def in_period(self, period: ObservationPeriod) -> list[Detection]:
        """The detections seen in ``period``."""
        return [d for d in self.detections if d.period == period]

    def covers(self, place: BaseGeometry, period: ObservationPeriod | None = None) -> bool:
        """Whether the layer says it looked at all of ``place`` (in ``period``, for a merged
        layer: the coverage of the file holding that period)."""
        if self.parts:
            return any(
                part.covers(place)
                for part in self.parts
                if period is None or period in part.periods
            )
        return self.coverage is not None and self.coverage.covers(place)

    def part_of(
        self, period: ObservationPeriod, place: BaseGeometry | None = None
    ) -> DetectionLayer:
        """The layer (file) holding ``period`` (and, of several, the one that looked at
        ``place``): itself, unless it is a merged view."""
        holding = [part for part in self.parts if period in part.periods]
        if place is not None:
            looked = [p for p in holding if p.coverage is not None and p.coverage.intersects(place)]
            holding = looked or holding
        return holding[0] if holding else self

    def reference(self, detection: Detection) -> str:
        """How evidence names a detection: its layer (file) and the feature's index."""
        return f"{detection.layer or self.id}#{detection.index}"


def by_source(layers: Sequence[DetectionLayer]) -> list[DetectionLayer]:
    """The layers of each source merged into one, so that a product's yearly files compare as
    periods of one layer; a source with one file keeps it as it is."""
    grouped: dict[str, list[DetectionLayer]] = {}
    for layer in layers:
        grouped.setdefault(layer.source, []).append(layer)
    merged: list[DetectionLayer] = []
    for source, group in grouped.items():
        if len(group) == 1:
            merged.append(group[0])
            continue
        merged.append(
            DetectionLayer(
                id="+".join(layer.id for layer in group),
                source=source,
                file=", ".join(layer.file for layer in group),
                detections=tuple(d for layer in group for d in layer.detections),
                repaired=sum(layer.repaired for layer in group),
                parts=tuple(group),
            )
        )
    return merged


def read_detections(
    path: Path,
    *,
    layer_id: str,
    source: str | None = None,
    period: ObservationPeriod | None = None,
    coverage: BaseGeometry | None = None,
) -> DetectionLayer:
    """Read a GeoJSON FeatureCollection of mining footprints (see the module docstring).

    A feature's period is its own (``period``, ``year`` or ``date`` property), else ``period``,
    else the two dates in the file's name; a feature with none is refused.
    """
    name = str(path)
    document = _json_document(path)
    if not isinstance(document, Mapping) or document.get("type") != "FeatureCollection":
        raise InvalidInput("expected a GeoJSON FeatureCollection", file=name, field="type")
    features = document.get("features")
    if not isinstance(features, list):
        raise InvalidInput("expected a list of features", file=name, field="features")
    to_lonlat = _transformer(document.get("crs"), name)
    fallback = period or period_in_name(path.name)
    detections: list[Detection] = []
    repaired = 0
    # The period given stands for the whole file when no feature states its own (and for an
    # empty file: the source looked and found nothing).
    declared = () if fallback is None else (fallback,)
    for index, feature in enumerate(features):
        geometry, was_repaired = _geometry(feature, to_lonlat, name, index)
        repaired += was_repaired
        properties = feature.get("properties") or {}
        if not isinstance(properties, Mapping):
            raise InvalidInput(
                "expected an object or null", file=name, record=index, field="properties"
            )
        detections.append(
            Detection(
                index=index,
                geometry=geometry,
                period=_period(properties, fallback, name, index),
                area_ha=area_ha(geometry),
                score=_score(properties, name, index),
                stated_area_ha=_stated_area(properties, name, index),
                layer=layer_id,
            )
        )
    if any(d.period != fallback for d in detections):
        declared = ()
    return DetectionLayer(
        id=layer_id,
        source=source or path.stem,
        file=name,
        detections=tuple(detections),
        coverage=coverage,
        repaired=repaired,
        declared=declared,
    )


def read_area(path: Path) -> BaseGeometry:
    """The union of the polygons of a GeoJSON file (a FeatureCollection, a Feature or a bare
    geometry): an area of interest or a layer's coverage."""
    name = str(path)
    document = _json_document(path)
    if not isinstance(document, Mapping):
        raise InvalidInput("expected a GeoJSON object", file=name, field="type")
    to_lonlat = _transformer(document.get("crs"), name)
    if document.get("type") == "FeatureCollection":
        features = document.get("features")
        if not isinstance(features, list) or not features:
            raise InvalidInput("expected a non-empty list of features", file=name, field="features")
    elif document.get("type") == "Feature":
        features = [document]
    else:
        features = [{"type": "Feature", "geometry": document, "properties": None}]
    parts = [
        _geometry(feature, to_lonlat, name, index)[0] for index, feature in enumerate(features)
    ]
    return shapely.union_all(parts)


def _json_document(path: Path) -> Any:
    try:
        return json.loads(path.read_bytes())
    except OSError as exc:
        raise InvalidInput(f"cannot read file: {exc.strerror}", file=str(path)) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInput(f"not a JSON document: {exc}", file=str(path)) from None


def _transformer(crs: Any, file: str) -> pyproj.Transformer | None:
    """The transformation to lon/lat of a GeoJSON 2008 ``crs`` member (None: already lon/lat)."""
    if crs is None:
        return None
    crs_name = crs.get("properties", {}).get("name") if isinstance(crs, Mapping) else None
    if not isinstance(crs_name, str):
        raise InvalidInput(
            "expected {'type': 'name', 'properties': {'name': ...}}", file=file, field="crs"
        )
    if crs_name in LONLAT_CRS_NAMES:
        return None
    try:
        given = pyproj.CRS.from_user_input(crs_name)
    except pyproj.exceptions.CRSError:
        raise InvalidInput(
            f"unknown coordinate reference system {crs_name!r}", file=file, field="crs"
        ) from None
    return pyproj.Transformer.from_crs(given, "OGC:CRS84", always_xy=True)


def _geometry(
    feature: Any, to_lonlat: pyproj.Transformer | None, file: str, index: int
) -> tuple[BaseGeometry, int]:
    """A feature's (Multi)Polygon in lon/lat, and 1 if it had to be repaired."""
    if not isinstance(feature, Mapping) or feature.get("type") != "Feature":
        raise InvalidInput(
            "expected a GeoJSON Feature object", file=file, record=index, field="type"
        )
    geometry = feature.get("geometry")
    kind = geometry.get("type") if isinstance(geometry, Mapping) else geometry
    if kind not in AREA_TYPES:
        raise InvalidInput(
            f"expected a Polygon or MultiPolygon (an area of disturbance), found {kind!r}",
            file=file,
            record=index,
            field="geometry",
        )
    try:
        with np.errstate(invalid="ignore"):
            found = shape(geometry)
    except (shapely.errors.ShapelyError, ValueError, TypeError, KeyError, IndexError) as exc:
        raise InvalidInput(
            f"not a valid geometry: {exc}", file=file, record=index, field="geometry"
        ) from None
    coordinates = shapely.get_coordinates(found)
    if found.is_empty or not np.isfinite(coordinates).all():
        raise InvalidInput(
            "the geometry is empty or not finite", file=file, record=index, field="geometry"
        )
    if to_lonlat is not None:
        found = shapely.transform(found, _moved(to_lonlat))
    west, south, east, north = found.bounds
    if west < -180 or east > 180 or south < -90 or north > 90:
        raise InvalidInput(
            f"coordinates ({west:.6g}, {south:.6g}) .. ({east:.6g}, {north:.6g}) are not "
            "longitude/latitude: GeoJSON is WGS 84; reproject the file, or name its CRS in a "
            "'crs' member",
            file=file,
            record=index,
            field="geometry",
        )
    if found.is_valid:
        return found, 0
    fixed = _polygonal(shapely.make_valid(found))
    if fixed.is_empty:
        reason = shapely.is_valid_reason(found)
        raise InvalidInput(
            f"invalid polygon with no area once repaired ({reason})",
            file=file,
            record=index,
            field="geometry",
        )
    return fixed, 1


def _polygonal(geometry: BaseGeometry) -> BaseGeometry:
    parts = [p for p in shapely.get_parts(geometry) if isinstance(p, Polygon | MultiPolygon)]
    return shapely.union_all(parts) if parts else Polygon()


def _moved(transformer: pyproj.Transformer) -> Any:
    def move(xy: np.ndarray) -> np.ndarray:
        x, y = transformer.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    return move


def _period(
    properties: Mapping[str, Any], fallback: ObservationPeriod | None, file: str, index: int
) -> ObservationPeriod:
    for key in PERIOD_PROPERTIES:
        value = properties.get(key)
        if value is None:
            continue
        try:
            return period_of_value(value)
        except ValueError as exc:
            raise InvalidInput(str(exc), file=file, record=index, field=key) from None
    if fallback is None:
        raise InvalidInput(
            "the feature has no period (no 'period', 'year' or 'date' property) and none was "
            "given for the file: pass one, e.g. --period 2024",
            file=file,
            record=index,
            field="period",
        )
    return fallback


def _score(properties: Mapping[str, Any], file: str, index: int) -> float | None:
    return _number(properties, SCORE_PROPERTIES, 0.0, 1.0, "a score between 0 and 1", file, index)


def _stated_area(properties: Mapping[str, Any], file: str, index: int) -> float | None:
    found = _number(
        properties,
        STATED_AREA_PROPERTIES,
        0.0,
        math.inf,
        "an area of 0 or more hectares",
        file,
        index,
    )
    return found


def _number(
    properties: Mapping[str, Any],
    keys: Sequence[str],
    low: float,
    high: float,
    expected: str,
    file: str,
    index: int,
) -> float | None:
    """The first of ``keys`` the feature has, as a finite number from ``low`` to ``high``."""
    for key in keys:
        value = properties.get(key)
        if value is None:
            continue
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
            or not low <= value <= high
        ):
            raise InvalidInput(
                f"expected {expected}, found {value!r}", file=file, record=index, field=key
            )
        return float(value)
    return None

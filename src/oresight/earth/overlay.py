"""Detections laid over places: what each layer saw, in each period, inside a site or an area.

The checks of the pillar all ask the same question in different words: how much of a place did a
source see disturbed in a period, through which detections? :class:`Snapshot` answers it for one
layer and one period, with a spatial index so that a country's worth of footprints is not
intersected polygon by polygon. Overlapping footprints count once.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

import numpy as np
import shapely
from shapely.geometry import Polygon, shape
from shapely.geometry.base import BaseGeometry

from oresight.core.findings import Evidence, EvidenceKind, Period
from oresight.core.sites import Site
from oresight.earth.detections import Detection, DetectionLayer
from oresight.earth.geodesy import area_ha, buffered
from oresight.earth.periods import ObservationPeriod

MAP_KEY = "map"
"""The evidence data key holding a map of the place (see :func:`map_data`)."""
MAP_DETAIL = 1000
MAX_LISTED_DETECTIONS = 20
"""Detections cited one by one in a finding's evidence (largest first); the rest are counted."""


@dataclass(frozen=True)
class Overlap:
    """What one layer saw of a place in one period."""

    detections: tuple[Detection, ...]
    geometry: BaseGeometry
    """The disturbed ground inside the place (the footprints' union clipped to it)."""
    area_ha: float
    stated_ha: float | None
    """The disturbed area the source states for these detections, each taken pro rata to the
    share of its footprint inside the place; None where the source states none."""
    place: BaseGeometry | None = None
    """The place looked at."""

    @property
    def empty(self) -> bool:
        """Whether nothing was seen."""
        return not self.detections


class Snapshot:
    """The detections of one layer in one period, indexed for overlay."""

    def __init__(self, layer: DetectionLayer, period: ObservationPeriod) -> None:
        self.layer = layer
        self.period = period
        self.detections = layer.in_period(period)
        self._geometries = np.array([d.geometry for d in self.detections], dtype=object)
        self._tree = shapely.STRtree(self._geometries)

    def over(self, place: BaseGeometry) -> Overlap:
        """What the layer saw inside ``place`` in the period."""
        hits = self._tree.query(place, predicate="intersects")
        if len(hits) == 0:
            return Overlap((), Polygon(), 0.0, None, place)
        hits.sort()
        shapely.prepare(place)
        geometries = self._geometries[hits]
        whole = shapely.contains_properly(place, geometries)
        # Only the footprints crossing the place's edge are cut: the others are inside whole.
        clipped = geometries.copy()
        clipped[~whole] = shapely.intersection(geometries[~whole], place)
        geometry = shapely.union_all(clipped)
        detections = tuple(self.detections[i] for i in hits)
        return Overlap(
            detections=detections,
            geometry=geometry,
            area_ha=area_ha(geometry),
            stated_ha=_stated(detections, clipped),
            place=place,
        )

    def evidence(self, overlap: Overlap, *, note: str) -> list[Evidence]:
        """The layer's view of a place for a finding: one summary, then the largest detections."""
        part = self.layer.part_of(self.period, overlap.place)
        summary = Evidence(
            kind=EvidenceKind.IMAGE,
            id=f"{part.id}@{self.period.label}",
            note=note,
            data={
                "source": self.layer.source,
                "file": part.file,
                "period": self.period.label,
                "detections": len(overlap.detections),
                "area_ha": round(overlap.area_ha, 2),
                **({"stated_area_ha": round(overlap.stated_ha, 2)} if overlap.stated_ha else {}),
                **({"scenes": list(part.scenes)} if part.scenes else {}),
                **(
                    {MAP_KEY: map_data(overlap, self.period, part.quicklook)}
                    if overlap.place is not None
                    else {}
                ),
            },
        )
        largest = sorted(overlap.detections, key=lambda d: (-d.area_ha, d.index))
        listed = [
            Evidence(
                kind=EvidenceKind.IMAGE,
                id=self.layer.reference(detection),
                note=f"footprint of {detection.area_ha:,.1f} ha seen by {self.layer.source} "
                f"in {self.period.label}",
                data=_detection_data(detection),
            )
            for detection in largest[:MAX_LISTED_DETECTIONS]
        ]
        return [summary, *listed]


def map_data(
    overlap: Overlap,
    period: ObservationPeriod,
    picture: tuple[str, tuple[float, float, float, float]] | None = None,
) -> dict[str, Any]:
    """What a report draws of a place in a period: the place's outline and the footprints in it,
    simplified to about a thousandth of the place's extent (a picture, not a survey), over the
    scan's quick-look where there is one (its PNG file and lon/lat bounds)."""
    place = overlap.place if overlap.place is not None else overlap.geometry
    west, south, east, north = place.bounds
    tolerance = max(east - west, north - south) / MAP_DETAIL
    footprints = overlap.geometry.simplify(tolerance, preserve_topology=True)
    if footprints.is_empty and not overlap.geometry.is_empty:
        footprints = overlap.geometry.envelope
    return {
        "label": period.label,
        "frame": [round(value, 6) for value in (west, south, east, north)],
        "place": _rounded_geojson(place.simplify(tolerance, preserve_topology=True)),
        "footprints": _rounded_geojson(footprints),
        **({"image": {"href": picture[0], "bounds": list(picture[1])}} if picture else {}),
    }


def _rounded_geojson(geometry: BaseGeometry) -> dict[str, Any] | None:
    if geometry.is_empty:
        return None
    mapping: dict[str, Any] = json.loads(shapely.to_geojson(shapely.set_precision(geometry, 1e-6)))
    return mapping


def site_shape(site: Site) -> BaseGeometry | None:
    """A site's geometry as a shape (None when it has none)."""
    return None if site.geometry is None else shape(site.geometry)


def site_area(site: Site) -> BaseGeometry | None:
    """A site's area, when its geometry is a (Multi)Polygon."""
    found = site_shape(site)
    return found if found is not None and found.geom_type in ("Polygon", "MultiPolygon") else None


def footprint(site: Site, buffer_m: float) -> BaseGeometry | None:
    """Where a site's mining would show: its geometry grown by ``buffer_m`` (a point becomes a
    disc). None when the site has no geometry."""
    found = site_shape(site)
    return None if found is None else buffered(found, buffer_m)


def finding_period(periods: Sequence[ObservationPeriod]) -> Period:
    """The span of a finding over observation periods."""
    return Period(
        start=_start(min(p.start for p in periods)), end=_end(max(p.end for p in periods))
    )


def site_evidence(site: Site, note: str, **data: Any) -> Evidence:
    """A site cited as evidence."""
    return Evidence(kind=EvidenceKind.SITE, id=site.id, note=note, data=data)


def _detection_data(detection: Detection) -> dict[str, Any]:
    centre = detection.geometry.representative_point()
    data: dict[str, Any] = {
        "period": detection.period.label,
        "area_ha": round(detection.area_ha, 2),
        "lon": round(centre.x, 5),
        "lat": round(centre.y, 5),
        "bbox": [round(value, 5) for value in detection.geometry.bounds],
    }
    if detection.score is not None:
        data["score"] = round(detection.score, 3)
    if detection.stated_area_ha is not None:
        data["stated_area_ha"] = round(detection.stated_area_ha, 2)
    return data


def _stated(detections: Sequence[Detection], clipped: np.ndarray) -> float | None:
    if any(d.stated_area_ha is None for d in detections):
        return None
    total = 0.0
    for detection, inside in zip(detections, clipped, strict=True):
        share = area_ha(inside) / detection.area_ha if detection.area_ha > 0 else 0.0
        total += (detection.stated_area_ha or 0.0) * min(share, 1.0)
    return total


def _start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _end(day: date) -> datetime:
    return datetime.combine(day, time.max, tzinfo=UTC)

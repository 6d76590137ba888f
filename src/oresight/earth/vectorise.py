"""Disturbance masks as polygons: detections in lon/lat with their area, score and period.

A mask (True = disturbed, or True = observed for coverage) becomes polygons with
``rasterio.features.shapes``: one polygon per group of pixels that share an edge
(4-connectivity, so that every polygon is valid; pixels touching at a corner only are separate
polygons). Outlines follow the pixels' edges exactly, in the raster's CRS, and are then moved to
WGS 84 longitude/latitude with PROJ (``shapely.transform`` with a ``pyproj`` transformer). Areas
are geodesic (:func:`oresight.earth.geodesy.area_ha`); a polygon's score is the mean score of its
pixels.

Dask-backed masks are vectorised block by block (one task per chunk, on whatever scheduler is
active, a ``dask.distributed`` cluster included), in pixel coordinates, which are integers and so
exact; pieces that share an edge across a block boundary are then merged, so the polygons are the
same as from the whole array at once (their mean scores agree up to the order of the sums).

:func:`detection_layer` turns a :class:`~oresight.earth.disturbance.DisturbanceScan` into the
pillar's evidence, a :class:`~oresight.earth.detections.DetectionLayer` whose coverage is the
ground observed (``clear_count > 0``), simplified to the pixel size. :func:`detections_geojson`
writes its detections as a FeatureCollection (``area_ha``, ``period``, ``score``) that
``oresight earth load-detections`` reads back, and :func:`coverage_geojson` its coverage, for
``--coverage``.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyproj
import shapely
from numpy.typing import NDArray
from shapely import affinity
from shapely.geometry import Polygon, mapping, shape
from shapely.geometry.base import BaseGeometry

from oresight.core.errors import InvalidInput
from oresight.earth.detections import Detection, DetectionLayer
from oresight.earth.disturbance import DisturbanceScan
from oresight.earth.extra import require_extra
from oresight.earth.geodesy import area_ha
from oresight.earth.periods import ObservationPeriod, parse_period

if TYPE_CHECKING:
    import xarray as xr

DEFAULT_MIN_AREA_HA = 0.1
"""Smallest detection kept in a layer (10 pixels of 10 m)."""

_SHAPES_LOCK = threading.Lock()

Piece = tuple[BaseGeometry, int, float, int]
"""A polygon in pixel coordinates, its pixels, the sum of their finite scores and how many."""


@dataclass(frozen=True)
class RasterGrid:
    """Where a raster's pixels lie: its CRS and affine transform (rasterio's a, b, c, d, e, f:
    ``x = a * column + b * row + c``, ``y = d * column + e * row + f``)."""

    crs: pyproj.CRS
    transform: tuple[float, float, float, float, float, float]

    @classmethod
    def of(cls, raster: xr.DataArray | xr.Dataset) -> RasterGrid:
        """The grid of a georeferenced xarray object (``.rio.crs``, ``.rio.transform()``)."""
        require_extra("rioxarray")
        crs = raster.rio.crs
        if crs is None:
            raise InvalidInput(
                "the raster has no CRS; write one with .rio.write_crs(...)", field="crs"
            )
        a, b, c, d, e, f = (float(v) for v in tuple(raster.rio.transform())[:6])
        return cls(pyproj.CRS.from_user_input(crs.to_wkt()), (a, b, c, d, e, f))

    @property
    def pixel_size(self) -> float:
        """The side of a square pixel of the same area, in CRS units."""
        a, b, _, d, e, _ = self.transform
        return float(abs(a * e - b * d) ** 0.5)

    def to_crs(self, pixels: BaseGeometry) -> BaseGeometry:
        """A geometry in (column, row) pixel coordinates moved to the raster's CRS."""
        a, b, c, d, e, f = self.transform
        return affinity.affine_transform(pixels, [a, b, d, e, c, f])

    def to_lonlat(self, geometry: BaseGeometry) -> BaseGeometry:
        """A geometry in the raster's CRS moved to WGS 84 longitude/latitude."""
        transformer = pyproj.Transformer.from_crs(self.crs, "OGC:CRS84", always_xy=True)

        def move(xy: NDArray[np.float64]) -> NDArray[np.float64]:
            lon, lat = transformer.transform(xy[:, 0], xy[:, 1])
            return np.column_stack([lon, lat])

        return shapely.transform(geometry, move)


@dataclass(frozen=True)
class Footprint:
    """One polygon of a mask."""

    geometry: BaseGeometry
    """In WGS 84 longitude/latitude."""
    native: BaseGeometry
    """In the raster's CRS."""
    pixels: int
    area_ha: float
    """Geodesic, of ``geometry``."""
    score: float | None
    """The mean score of its pixels (None without a score, or none finite)."""


def footprints(
    mask: xr.DataArray, *, score: xr.DataArray | None = None, grid: RasterGrid | None = None
) -> list[Footprint]:
    """The polygons of the True pixels of ``mask`` (largest first), with the mean of ``score``
    over each. ``grid`` defaults to the mask's own (``.rio``)."""
    grid = grid or RasterGrid.of(mask)
    if score is not None and score.shape != mask.shape:
        raise InvalidInput(
            f"score {score.shape} and mask {mask.shape} differ in shape", field="score"
        )
    found: list[Footprint] = []
    for outline, pixels, score_sum, scored in _merged(_pieces_of(mask, score)):
        native = grid.to_crs(_canonical(outline))
        lonlat = grid.to_lonlat(native)
        mean = score_sum / scored if scored else None
        found.append(Footprint(lonlat, native, pixels, area_ha(lonlat), mean))
    return sorted(found, key=lambda f: (-f.pixels, f.native.bounds[0], -f.native.bounds[3]))


def coverage(observed: xr.DataArray, *, grid: RasterGrid | None = None) -> BaseGeometry:
    """The union of the True pixels of ``observed`` in lon/lat, simplified to the pixel size
    (its outline stays within a pixel of the pixels' edges); empty when nothing is True."""
    grid = grid or RasterGrid.of(observed)
    parts = [grid.to_crs(outline) for outline, *_ in _merged(_pieces_of(observed, None))]
    if not parts:
        return Polygon()
    union = _canonical(shapely.union_all(parts))
    native = union.simplify(grid.pixel_size, preserve_topology=True)
    lonlat = grid.to_lonlat(native)
    return lonlat if lonlat.is_valid else shapely.make_valid(lonlat)


def detection_layer(
    scan: DisturbanceScan,
    *,
    layer_id: str,
    source: str,
    min_area_ha: float = DEFAULT_MIN_AREA_HA,
    file: str = "",
) -> DetectionLayer:
    """The scan's disturbed polygons of at least ``min_area_ha`` as a detection layer, whose
    coverage is the ground the composite observed."""
    period = _period(scan.period)
    grid = RasterGrid.of(scan.score)
    kept = [
        f
        for f in footprints(scan.disturbed, score=scan.score, grid=grid)
        if f.area_ha >= min_area_ha
    ]
    detections = tuple(
        Detection(
            index=index,
            geometry=f.geometry,
            period=period,
            area_ha=f.area_ha,
            score=f.score,
            layer=layer_id,
        )
        for index, f in enumerate(kept)
    )
    return DetectionLayer(
        id=layer_id,
        source=source,
        file=file,
        detections=detections,
        coverage=coverage(scan.observed, grid=grid),
        declared=(period,),
    )


def detections_geojson(layer: DetectionLayer) -> dict[str, Any]:
    """The layer's detections as a GeoJSON FeatureCollection (lon/lat, RFC 7946) with the
    properties ``area_ha``, ``period`` and ``score`` that :func:`read_detections` reads."""
    features = [
        {
            "type": "Feature",
            "id": detection.index,
            "geometry": mapping(detection.geometry),
            "properties": {
                "area_ha": round(detection.area_ha, 4),
                "period": detection.period.label,
                "score": None if detection.score is None else round(detection.score, 4),
                "source": layer.source,
            },
        }
        for detection in layer.detections
    ]
    return {"type": "FeatureCollection", "features": features}


def coverage_geojson(layer: DetectionLayer) -> dict[str, Any]:
    """The layer's coverage as a GeoJSON FeatureCollection of one feature (for
    ``load-detections --coverage``); an error when the layer states none."""
    if layer.coverage is None or layer.coverage.is_empty:
        raise InvalidInput(f"layer '{layer.id}' states no coverage", field="coverage")
    feature = {
        "type": "Feature",
        "geometry": mapping(layer.coverage),
        "properties": {"layer": layer.id, "source": layer.source},
    }
    return {"type": "FeatureCollection", "features": [feature]}


def write_geojson(document: dict[str, Any], path: Path) -> None:
    """Write a GeoJSON document (UTF-8, compact)."""
    try:
        path.write_text(json.dumps(document, separators=(",", ":")), encoding="utf-8")
    except OSError as exc:
        raise InvalidInput(f"cannot write file: {exc.strerror}", file=str(path)) from None


def _canonical(outline: BaseGeometry) -> BaseGeometry:
    """``outline`` without collinear vertices (a merged polygon keeps those of the block seams),
    rings starting at a fixed vertex: the same polygon whichever blocks it came from."""
    return shapely.normalize(outline.simplify(0, preserve_topology=True))


def _period(label: str) -> ObservationPeriod:
    try:
        return parse_period(label)
    except ValueError as exc:
        raise InvalidInput(
            f"the composite's period {label!r} cannot be read: {exc}", field="period"
        ) from None


# --- block-wise vectorisation ------------------------------------------------------------------


def _pieces_of(mask: xr.DataArray, score: xr.DataArray | None) -> list[list[Piece]]:
    """The polygons of each block of ``mask`` (one list per block), in whole-raster pixel
    coordinates."""
    if mask.ndim != 2:
        raise InvalidInput(f"expected a 2-D mask, found dims {mask.dims}", field="mask")
    if mask.chunks is None:
        values = None if score is None else np.asarray(score.values)
        return [_block_pieces(np.asarray(mask.values), values, 0, 0)]
    dask = require_extra("dask")
    data = mask.data
    scores = None
    if score is not None:
        scores = require_extra("dask.array").asarray(score.data).rechunk(data.chunks)
    row_starts = np.concatenate([[0], np.cumsum(data.chunks[0])[:-1]])
    col_starts = np.concatenate([[0], np.cumsum(data.chunks[1])[:-1]])
    blocks = data.to_delayed()
    score_blocks = None if scores is None else scores.to_delayed()
    tasks = [
        dask.delayed(_block_pieces)(
            blocks[i, j],
            None if score_blocks is None else score_blocks[i, j],
            int(row_starts[i]),
            int(col_starts[j]),
        )
        for i in range(blocks.shape[0])
        for j in range(blocks.shape[1])
    ]
    return list(dask.compute(*tasks))


def _block_pieces(
    mask: NDArray[Any], score: NDArray[Any] | None, row: int, column: int
) -> list[Piece]:
    """The edge-connected groups of True pixels of one block as polygons, with their pixel
    counts and score sums; coordinates are (column, row) of the whole raster."""
    features = require_extra("rasterio.features")
    ndimage = require_extra("scipy.ndimage")
    affine = require_extra("affine")
    selected = np.asarray(mask, dtype=bool)
    labels, count = ndimage.label(selected)  # 4-connectivity, as shapes() below
    if count == 0:
        return []
    pixels = np.bincount(labels.ravel(), minlength=count + 1)
    if score is None:
        sums = np.zeros(count + 1)
        scored = np.zeros(count + 1, dtype=np.int64)
    else:
        finite = np.isfinite(score)
        sums = np.bincount(labels.ravel(), weights=np.where(finite, score, 0.0).ravel())
        scored = np.bincount(labels[finite], minlength=count + 1)
    # rasterio's polygoniser silences a warning of its own with warnings.catch_warnings, which
    # is not thread-safe: two Dask threads inside it at once can let the warning out. One at a
    # time, then (labelling, the heavier part, still runs in parallel).
    origin = affine.Affine.translation(column, row)
    with _SHAPES_LOCK:
        outlines = list(
            features.shapes(
                labels.astype(np.int32), mask=selected, connectivity=4, transform=origin
            )
        )
    return [
        (
            shape(outline),
            int(pixels[int(v)]),
            float(sums[int(v)]),
            int(scored[int(v)]),
        )
        for outline, v in outlines
    ]


def _merged(blocks: Sequence[list[Piece]]) -> list[Piece]:
    """Pieces of neighbouring blocks that share an edge, merged into one."""
    pieces = [piece for block in blocks for piece in block]
    if len(blocks) <= 1 or len(pieces) <= 1:
        return pieces
    outlines = [piece[0] for piece in pieces]
    tree = shapely.STRtree(outlines)
    left, right = tree.query(outlines, predicate="touches")
    parent = list(range(len(pieces)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, j in zip(left.tolist(), right.tolist(), strict=True):
        # Touching at a corner only is two groups (4-connectivity); sharing an edge is one.
        if i < j and shapely.intersection(outlines[i], outlines[j]).length > 0:
            parent[root(j)] = root(i)
    groups: dict[int, list[int]] = {}
    for i in range(len(pieces)):
        groups.setdefault(root(i), []).append(i)
    merged: list[Piece] = []
    for members in groups.values():
        if len(members) == 1:
            merged.append(pieces[members[0]])
            continue
        merged.append(
            (
                shapely.union_all([outlines[i] for i in members]),
                sum(pieces[i][1] for i in members),
                sum(pieces[i][2] for i in members),
                sum(pieces[i][3] for i in members),
            )
        )
    return merged

"""Sites read from GeoPackage layers, through GDAL (pyogrio).

A layer's columns are the site feature properties of :mod:`oresight.custody.sites`; it needs
``id`` and ``kind`` columns and, if it has geometries, a WGS 84 CRS. GDAL's errors become
:class:`InvalidInput` naming the file; records are named by layer and fid.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyogrio
import shapely
from pyogrio import raw
from shapely.errors import ShapelyError

from oresight.core.sites import Site
from oresight.custody.site_features import (
    SourceRecord,
    UniqueSites,
    checked_geometry,
    feature_site_id,
    site_from_properties,
)

GEOPACKAGE_SUFFIXES = frozenset({".gpkg"})

# Both name WGS 84 with longitude stored first in a GeoPackage, so neither needs reprojection.
WGS84_CRS_NAMES = frozenset({"EPSG:4326", "OGC:CRS84"})


def read_geopackage_sites(path: Path, *, layer: str | None = None) -> list[Site]:
    """Read sites from a GeoPackage: the layer named ``layer``, or every layer when it is None.

    Each layer needs ``id`` and ``kind`` columns and, if it has geometries, the CRS EPSG:4326;
    ``minerals`` may be a comma-separated string or a JSON array. Records are named by fid.
    """
    at = SourceRecord(str(path))
    if not path.is_file():
        raise at.error("no such file")
    with _GdalErrors(at):
        # Layers are always named: pyogrio warns when it has to pick a default one.
        names = [layer] if layer is not None else [str(row[0]) for row in pyogrio.list_layers(path)]
    sites = UniqueSites()
    for name in names:
        for site, site_at in _geopackage_layer(
            path, SourceRecord(at.file, f"layer {name!r}"), name
        ):
            sites.add(site, site_at)
    return sites.collected()


class _GdalErrors:
    """Context manager that turns pyogrio's and GDAL's errors into InvalidInput."""

    def __init__(self, at: SourceRecord) -> None:
        self._at = at

    def __enter__(self) -> None:
        return None

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: Any
    ) -> None:
        # pyogrio's errors derive from RuntimeError; OSError covers unreadable files.
        if isinstance(exc, RuntimeError | OSError):
            raise self._at.error(f"GDAL cannot read it: {exc}") from None


def _geopackage_layer(
    path: Path, at: SourceRecord, name: str
) -> Iterator[tuple[Site, SourceRecord]]:
    with _GdalErrors(at):
        driver = pyogrio.read_info(path, layer=name).get("driver")
        if driver != "GPKG":
            raise SourceRecord(at.file).error(f"not a GeoPackage (GDAL reads it as {driver!r})")
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
        feature_at = SourceRecord(at.file, f"{at.record} fid {int(fid)}")
        values = {
            field: _plain(column[index]) for field, column in zip(fields, columns, strict=True)
        }
        site_id = feature_site_id(None, values.get("id"), feature_at)
        feature_at = feature_at.with_id(site_id)
        geometry = None
        if geometries is not None and geometries[index] is not None:
            try:
                shape = shapely.from_wkb(geometries[index])
            except ShapelyError as exc:
                raise feature_at.error(f"unreadable geometry: {exc}", "geometry") from None
            geometry = checked_geometry(shape, feature_at)
        yield site_from_properties(site_id, values, geometry, feature_at), feature_at


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

"""Median composites of the clear observations of a place, per period, from STAC scenes.

Two steps. :func:`load_observations` reads the scenes with odc-stac onto one pixel grid (a CRS
and resolution asked for, over an area of interest; scenes in other CRSs are reprojected) as
surface reflectance per acquisition, with a ``clear`` mask from each scene's quality band. Then
:func:`median_composite` (or :func:`composite_periods` for several periods, e.g. 2023 and 2024 or
four quarters) takes, per pixel, the median of the clear observations in a period.

**The composite** is an xarray Dataset with dims (y, x) and a CRS readable with rioxarray
(``.rio.crs``, ``.rio.transform()``) holding:

* float32 surface reflectance named by common band name (``blue``, ``green``, ``red``, ``nir``,
  ``swir16``, ``swir22`` by default; those asked for), NaN where no observation was clear.
  Landsat's one near-infrared band (``nir08``) is named ``nir`` when asked for as ``nir`` (as
  by default), so that a composite of either sensor has the same variables;
* ``clear_count`` (int16): the clear observations per pixel, 0 where none was;
* attrs ``period`` (the period's label), ``scenes`` (ids of the scenes acquired in the period),
  ``sensor`` (:class:`~oresight.earth.bands.Sensor` value).

Given ``chunks``, everything stays Dask-backed until computed, so the same code runs on a
``dask.distributed`` cluster over a whole country.

Choices, and why:

* Scenes acquired on the same local solar day are fused into one observation (the first valid
  pixel wins, as odc-stac does), so the overlap of adjacent tiles of one pass counts once.
  Scenes of one day with different Sentinel-2 reflectance offsets stay apart, each converted
  with its own offset (:func:`oresight.earth.stac.item_boa_offset`).
* An observation is clear where its quality band says so (Sentinel-2 SCL, Landsat ``QA_PIXEL``,
  :mod:`oresight.earth.masks`) *and* every band asked for has data; the median is taken over
  exactly the observations ``clear_count`` counts.
* A period is matched on the solar day of each observation, both ends included.
* A period with no clear observation (clouds throughout, or no scene at all) still gives a
  composite on the grid, all NaN with ``clear_count`` 0; :func:`clear_observation_gap` turns it
  into the data-gap sentence a report needs, never a silent "no change".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from shapely.geometry import mapping
from shapely.geometry.base import BaseGeometry

from oresight.core.errors import InvalidInput
from oresight.earth.bands import (
    Sensor,
    band_named,
    landsat_c2_surface_reflectance,
    sentinel2_l2a_reflectance,
)
from oresight.earth.extra import require_extra
from oresight.earth.masks import landsat_c2_qa_clear, sentinel2_scl_clear
from oresight.earth.periods import ObservationPeriod
from oresight.earth.stac import (
    QUALITY_BAND,
    SceneSearch,
    acquired,
    asset_keys,
    item_boa_offset,
    sensor_of,
    solar_day,
)

if TYPE_CHECKING:
    import pystac
    import xarray as xr

Chunks = int | Mapping[str, int] | None
"""Dask chunking of the y/x dimensions (``1024`` or ``{"x": 1024, "y": 1024}``); None loads
into memory."""

DEFAULT_BANDS: tuple[str, ...] = ("blue", "green", "red", "nir", "swir16", "swir22")
"""The bands of a composite unless others are asked for, with either sensor."""
BAND_ALIASES: dict[Sensor, dict[str, str]] = {
    # Landsat has one near-infrared band (OLI band 5, STAC's nir08). Asked for as "nir", it is
    # named so in the composite, as Sentinel-2's B08 is: indices and the disturbance model then
    # read a composite of either sensor.
    Sensor.LANDSAT_C2_L2: {"nir": "nir08"},
}
"""Band names a sensor lacks, and the band that stands in for them."""
DEFAULT_RESOLUTION_M: dict[Sensor, float] = {
    Sensor.SENTINEL2_L2A: 10.0,
    Sensor.LANDSAT_C2_L2: 30.0,
}
DEFAULT_ANCHOR: dict[Sensor, str] = {
    # Sentinel-2 tiles start on multiples of 60 m: pixel edges on multiples of the pixel size.
    Sensor.SENTINEL2_L2A: "edge",
    # Landsat Collection 2 corners lie 15 m off the 30 m lattice (pixel centres on it); snapping
    # edges instead would resample every scene by half a pixel.
    Sensor.LANDSAT_C2_L2: "center",
}

# How the products store their pixels. Given to odc-stac for every item, because STAC items do
# not always carry the raster extension, and a quality band read as floats loses its bits.
_STORAGE: dict[Sensor, tuple[tuple[str, int], tuple[str, int]]] = {
    # (spectral data type, nodata), (quality data type, nodata)
    Sensor.SENTINEL2_L2A: (("uint16", 0), ("uint8", 0)),  # SCL 0 is "no data"
    Sensor.LANDSAT_C2_L2: (("uint16", 0), ("uint16", 1)),  # QA_PIXEL bit 0 is "fill"
}
CLEAR = "clear"
CLEAR_COUNT = "clear_count"


def load_observations(
    items: SceneSearch | Iterable[pystac.Item],
    *,
    bands: Sequence[str] | None = None,
    crs: str = "utm",
    resolution: float | None = None,
    aoi: BaseGeometry | None = None,
    chunks: Chunks = None,
    resampling: str = "nearest",
    anchor: str | None = None,
    patch_url: Callable[[str], str] | None = None,
) -> xr.Dataset:
    """Load scenes of one sensor as reflectance per observation, on one grid.

    ``crs`` is any CRS odc-stac reads (``"EPSG:32735"``) or ``"utm"`` for the UTM zone of the
    area; ``resolution`` in its units (default 10 m for Sentinel-2, 30 m for Landsat);
    ``aoi`` (lon/lat) limits the grid to its bounding box, otherwise the scenes' footprints
    make it. ``resampling`` applies to the spectral bands (quality bands are always resampled
    nearest). ``anchor`` snaps the grid (``"edge"``: pixel edges on multiples of the
    resolution, ``"center"``: pixel centres; by default each sensor's own lattice, see
    :data:`DEFAULT_ANCHOR`). ``patch_url`` rewrites asset URLs before reading (e.g. signing).

    Returns a Dataset with dims (time, y, x): float32 reflectance per band, the boolean ``clear``
    mask, and per observation the coordinates ``solar_day``, ``scenes`` (the ids fused into it)
    and, for Sentinel-2, ``boa_add_offset``. An empty search is refused with its data-gap text.
    """
    scenes = _scenes(items)
    sensor = _one_sensor(scenes)
    wanted = _band_names(sensor, bands)
    quality = QUALITY_BAND[sensor]
    keys = _asset_keys(scenes, sensor, [*dict.fromkeys(wanted.values()), quality])
    offsets = [item_boa_offset(item) if sensor is Sensor.SENTINEL2_L2A else 0 for item in scenes]
    group_keys = [(solar_day(item), offset) for item, offset in zip(scenes, offsets, strict=True)]
    groups = _groups(scenes, group_keys)

    dn = _odc_load(
        scenes,
        sensor=sensor,
        keys=keys,
        quality=quality,
        group_keys=group_keys,
        crs=crs,
        resolution=resolution or DEFAULT_RESOLUTION_M[sensor],
        anchor=anchor or DEFAULT_ANCHOR[sensor],
        aoi=aoi,
        chunks=chunks,
        resampling=resampling,
        patch_url=patch_url,
    )
    if dn.sizes["time"] != len(groups):
        raise InvalidInput(
            f"odc-stac grouped {len(scenes)} scenes into {dn.sizes['time']} observations, "
            f"expected {len(groups)}",
            field="items",
        )
    slice_offsets = [offset for (_day, offset) in groups]
    reflectance = {
        name: _reflectance(dn[band], sensor, slice_offsets) for name, band in wanted.items()
    }
    clear = _quality_clear(dn[quality], sensor)
    for values in reflectance.values():
        # Not the DN's nodata 0: a reflectance of 0 is a value, missing ones are NaN.
        values.attrs = {"units": "1"}
        clear = clear & values.notnull()
    scene_ids = np.empty(len(groups), dtype=object)
    for index, ids in enumerate(groups.values()):
        scene_ids[index] = tuple(ids)  # one tuple per cell, never spread into a 2-D array
    coords: dict[str, Any] = {
        "solar_day": ("time", np.array([day for (day, _o) in groups], dtype="datetime64[ns]")),
        "scenes": ("time", scene_ids),
    }
    if sensor is Sensor.SENTINEL2_L2A:
        coords["boa_add_offset"] = ("time", np.array(slice_offsets, dtype=np.int16))
    xarray = require_extra("xarray")
    observations: xr.Dataset = xarray.Dataset({**reflectance, CLEAR: clear}).assign_coords(coords)
    observations.attrs = {"sensor": str(sensor), "scenes": [item.id for item in scenes]}
    located: xr.Dataset = observations.rio.write_crs(dn.rio.crs)
    return located


def median_composite(observations: xr.Dataset, period: ObservationPeriod) -> xr.Dataset:
    """The per-pixel median of the clear observations of ``period`` (see the module docstring
    for what the composite holds). Lazy when ``observations`` is Dask-backed."""
    _check_observations(observations)
    days = observations["solar_day"].values.astype("datetime64[D]")
    in_period = (days >= np.datetime64(period.start)) & (days <= np.datetime64(period.end))
    picked = observations.isel(time=np.flatnonzero(in_period))
    bands = [str(name) for name in observations.data_vars if name != CLEAR]
    template = _without_time(observations[bands[0]].isel(time=0))
    xarray = require_extra("xarray")
    variables: dict[str, Any] = {}
    if picked.sizes["time"] == 0:
        for name in bands:
            variables[name] = xarray.full_like(template, np.nan, dtype=np.float32)
        variables[CLEAR_COUNT] = xarray.full_like(template, 0, dtype=np.int16)
    else:
        if picked[CLEAR].chunks is not None:
            # The median needs every observation of a pixel in one block.
            picked = picked.chunk({"time": -1})
        clear = picked[CLEAR]
        ever_clear = clear.any("time")
        for name in bands:
            # A pixel never clear would make nanmedian warn ("All-NaN slice") at compute time,
            # wherever that happens; give it zeros instead and blank it after the median.
            values = picked[name].where(clear, 0).where(clear | ~ever_clear)
            median = values.median("time", skipna=True).where(ever_clear)
            variables[name] = _without_time(median.astype(np.float32)).assign_attrs(units="1")
        variables[CLEAR_COUNT] = _without_time(clear.sum("time").astype(np.int16))
    composite: xr.Dataset = xarray.Dataset(variables)
    composite[CLEAR_COUNT].attrs = {"long_name": "clear observations in the period"}
    composite.attrs = {
        "period": period.label,
        "scenes": [scene for ids in picked["scenes"].values for scene in ids],
        "sensor": observations.attrs.get("sensor"),
    }
    result: xr.Dataset = composite.rio.write_crs(observations.rio.crs)
    return result


def composite_periods(
    observations: xr.Dataset, periods: Iterable[ObservationPeriod]
) -> dict[str, xr.Dataset]:
    """:func:`median_composite` of each period, keyed by the period's label, in the order
    given."""
    composites: dict[str, xr.Dataset] = {}
    for period in periods:
        if period.label in composites:
            raise InvalidInput(f"period {period.label} is given twice", field="periods")
        composites[period.label] = median_composite(observations, period)
    return composites


def clear_fraction(composite: xr.Dataset) -> float:
    """The share of the composite's pixels with at least one clear observation (computes a
    Dask-backed composite's ``clear_count``)."""
    count = composite[CLEAR_COUNT]
    return float((count > 0).sum()) / count.size if count.size else 0.0


def clear_observation_gap(
    composite: xr.Dataset, *, place: str, min_clear_fraction: float = 0.0
) -> str | None:
    """A data-gap sentence when the composite shows too little of ``place`` (None otherwise):
    ``"no clear observation of <place> in <period>"`` when no pixel was ever clear, or when
    ``min_clear_fraction`` is given, a sentence naming the share seen when it is below that."""
    if not 0 <= min_clear_fraction <= 1:
        raise InvalidInput(
            f"min_clear_fraction is between 0 and 1, found {min_clear_fraction}",
            field="min_clear_fraction",
        )
    period = composite.attrs.get("period", "the period")
    scenes = list(composite.attrs.get("scenes", []))
    fraction = clear_fraction(composite)
    if fraction == 0:
        why = (
            f"{len(scenes)} scene(s) in the period, none clear over it (cloud, cloud shadow, "
            "cirrus or no data)"
            if scenes
            else "no scene in the period"
        )
        return f"no clear observation of {place} in {period}: {why}"
    if fraction < min_clear_fraction:
        return (
            f"only {fraction:.1%} of {place} observed clear in {period} "
            f"(at least {min_clear_fraction:.0%} wanted; {len(scenes)} scene(s))"
        )
    return None


# --- internals ------------------------------------------------------------------------------------


def _scenes(items: SceneSearch | Iterable[Any]) -> list[Any]:
    """The items to load; an empty search or list is refused."""
    if isinstance(items, SceneSearch):
        if items.is_empty:
            raise InvalidInput(f"nothing to load: {items.data_gap()}", field="items")
        return list(items.items)
    scenes = sorted(items, key=lambda item: (acquired(item), item.id))
    if not scenes:
        raise InvalidInput("no scenes to load: report the period as a data gap", field="items")
    return scenes


def _one_sensor(scenes: Sequence[Any]) -> Sensor:
    sensors = {sensor_of(item) for item in scenes}
    if len(sensors) > 1:
        raise InvalidInput(
            f"the scenes come from several sensors ({', '.join(sorted(sensors))}); load one "
            "sensor at a time",
            field="items",
        )
    sensor = sensors.pop()
    if sensor not in QUALITY_BAND:
        raise InvalidInput(f"no composites of {sensor} scenes", field="items")
    return sensor


def _band_names(sensor: Sensor, bands: Sequence[str] | None) -> dict[str, str]:
    """{variable name: common name of the band read} for the spectral bands asked for (the
    quality band is loaded anyway). Variables take the common name (``B04`` gives ``red``), or
    the alias asked for (:data:`BAND_ALIASES`)."""
    aliases = BAND_ALIASES.get(sensor, {})
    names: dict[str, str] = {}
    for name in bands if bands is not None else DEFAULT_BANDS:
        band = band_named(sensor, aliases.get(name, name))
        if band.is_quality:
            raise InvalidInput(
                f"'{name}' is a quality band; ask for spectral bands, the clear mask comes "
                "with them",
                field="bands",
            )
        names.setdefault(name if name in aliases else band.common_name, band.common_name)
    if not names:
        raise InvalidInput("no bands asked for", field="bands")
    return names


def _asset_keys(scenes: Sequence[Any], sensor: Sensor, bands: list[str]) -> dict[str, str]:
    """The one asset naming every scene shares, as {common name: asset key}."""
    first: dict[str, str] | None = None
    for item in scenes:
        keys = asset_keys(item, sensor, bands)
        if first is None:
            first = keys
        elif keys != first:
            raise InvalidInput(
                f"names its assets {', '.join(keys.values())} where other scenes use "
                f"{', '.join(first.values())}; load scenes of one service at a time",
                record=item.id,
                field="assets",
            )
    assert first is not None
    return first


def _groups(
    scenes: Sequence[Any], group_keys: Sequence[tuple[Any, int]]
) -> dict[tuple[Any, int], list[str]]:
    """Scene ids per observation, in odc-stac's order: by key, then by time and id."""
    ordered = sorted(
        range(len(scenes)),
        key=lambda i: (group_keys[i], acquired(scenes[i]), scenes[i].id),
    )
    groups: dict[tuple[Any, int], list[str]] = {}
    for index in ordered:
        groups.setdefault(group_keys[index], []).append(scenes[index].id)
    return groups


def _odc_load(
    scenes: list[Any],
    *,
    sensor: Sensor,
    keys: dict[str, str],
    quality: str,
    group_keys: list[tuple[Any, int]],
    crs: str,
    resolution: float,
    anchor: str,
    aoi: BaseGeometry | None,
    chunks: Chunks,
    resampling: str,
    patch_url: Callable[[str], str] | None,
) -> Any:
    """The scenes' DN through ``odc.stac.load``, variables renamed to common names."""
    odc_stac = require_extra("odc.stac")
    require_extra("rioxarray")  # registers the .rio accessor that callers read the CRS with
    (spectral_type, spectral_nodata), (quality_type, quality_nodata) = _STORAGE[sensor]
    assets = {
        key: {"data_type": spectral_type, "nodata": spectral_nodata}
        for name, key in keys.items()
        if name != quality
    }
    assets[keys[quality]] = {"data_type": quality_type, "nodata": quality_nodata}
    sampling = {key: resampling for key in assets}
    sampling[keys[quality]] = "nearest"
    if isinstance(chunks, int):
        chunks = {"x": chunks, "y": chunks}
    try:
        dn = odc_stac.load(
            scenes,
            bands=list(keys.values()),
            groupby=lambda _item, _parsed, index: group_keys[index],
            crs=crs,
            resolution=resolution,
            anchor=anchor,
            geopolygon=mapping(aoi) if aoi is not None else None,
            chunks=dict(chunks) if chunks is not None else None,
            resampling=sampling,
            stac_cfg={"assets": assets},
            patch_url=patch_url,
        )
    except (ValueError, KeyError, OSError, require_extra("rasterio.errors").RasterioError) as exc:
        raise InvalidInput(f"odc-stac could not load the scenes: {exc}", field="items") from exc
    return dn.rename({key: name for name, key in keys.items()})


def _reflectance(dn: Any, sensor: Sensor, offsets: list[int]) -> Any:
    """Surface reflectance of one band's DN, each observation with its own offset."""
    if sensor is Sensor.LANDSAT_C2_L2:
        return landsat_c2_surface_reflectance(dn)
    distinct = sorted(set(offsets))
    if len(distinct) == 1:
        return sentinel2_l2a_reflectance(dn, boa_add_offset=distinct[0])
    positions = [[i for i, o in enumerate(offsets) if o == offset] for offset in distinct]
    parts = [
        sentinel2_l2a_reflectance(dn.isel(time=where), boa_add_offset=offset)
        for offset, where in zip(distinct, positions, strict=True)
    ]
    concatenated = require_extra("xarray").concat(parts, dim="time")
    # Back to the observations' order: slot k of the concatenation holds observation order[k].
    order = [i for where in positions for i in where]
    return concatenated.isel(time=np.argsort(order))


def _quality_clear(quality: Any, sensor: Sensor) -> Any:
    if sensor is Sensor.SENTINEL2_L2A:
        return sentinel2_scl_clear(quality)
    return landsat_c2_qa_clear(quality)


def _without_time(array: Any) -> Any:
    """``array`` without the per-observation coordinates left behind by a reduction or isel."""
    leftovers = [c for c in ("time", "solar_day", "scenes", "boa_add_offset") if c in array.coords]
    return array.drop_vars(leftovers)


def _check_observations(observations: xr.Dataset) -> None:
    missing = [n for n in (CLEAR, "solar_day", "scenes") if n not in observations.variables]
    if missing or len(observations.data_vars) < 2:
        raise InvalidInput(
            f"not observations from load_observations (missing {', '.join(missing) or 'bands'})",
            field="observations",
        )

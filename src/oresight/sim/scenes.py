"""Synthetic Sentinel-2-like composites of a mining landscape, with their answer key.

A scene is what :mod:`oresight.earth` expects of a composite: an xarray Dataset on dims
``(y, x)`` in a UTM CRS (10 m pixels), float32 surface reflectance named by common band name
(``blue``, ``green``, ``red``, ``nir``, ``swir16``, ``swir22``), ``clear_count`` (clear
observations per pixel, 0 = never seen clear) and ``attrs["period"]``. Beside it come the truth:
the land cover of every pixel, the mask of mining disturbance, the planted mining scars (irregular
polygons of pits, turbid ponds and bare laterite, 0.5 to 40 ha) and the hard negatives (natural
bare soil, sandbars, farm clearings, aquaculture ponds), each in the scene CRS and in lon/lat.

Everything is drawn from the seed: the same seed gives the same scene, byte for byte. A later
period of the same place (:func:`later_scene`) keeps the land and draws new clouds and sensor
noise; some scars grow, new ones open and some are revegetated.

**Spectra.** :data:`SPECTRA` holds one surface-reflectance value per band for each cover,
chosen by hand for this simulator and only approximate. They follow the shapes that spectral
libraries show in general terms (the USGS Spectral Library version 7, Kokaly et al. 2017, and
the ASTER/ECOSTRESS library, Baldridge et al. 2009; Meerdink et al. 2019): green vegetation dark
in the visible with a chlorophyll bump in green, a bright NIR plateau and water absorption in
the SWIR; iron-rich laterite rising steeply from blue to red (ferric iron absorbs blue) with clay
(kaolinite) absorption near 2.2 um, so ``swir16 > swir22``; quartz sand bright and flat in the
SWIR; clear water dark everywhere and darkest in the SWIR; sediment-laden water brighter in red
than in green. No table was copied from those libraries. Clouds are bright and nearly white.

**Texture.** Covers are drawn from smooth noise fields (value noise: random coarse grids
interpolated bilinearly, several octaves), brightness varies smoothly within each cover, the
inside of a mine is a fine mosaic of its three covers, and a small point-spread blur mixes the
pixels at every edge. Sensor noise shrinks with the number of clear observations, as a median
composite's does. Pixels never seen clear hold cloud, as a composite that falls back to its
least cloudy observation would: only ``clear_count`` says they are not ground.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from enum import IntEnum
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np
import pyproj
import shapely
from numpy.typing import NDArray
from shapely import affinity
from shapely.geometry import LineString, Point, Polygon, box
from shapely.geometry.base import BaseGeometry

from oresight.core.errors import InvalidInput
from oresight.earth.extra import require_extra
from oresight.earth.geodesy import area_ha

if TYPE_CHECKING:
    import xarray as xr

BANDS = ("blue", "green", "red", "nir", "swir16", "swir22")


class Cover(IntEnum):
    """The land cover of a pixel."""

    FOREST = 0
    GRASSLAND = 1
    LATERITE = 2
    """Bare laterite soil of a mine: stripped, iron-red ground."""
    PIT = 3
    """Open pit walls and tailings: bright saprolite and kaolinitic sand."""
    MINING_POND = 4
    """Sediment-laden water of a pit lake or tailings pond."""
    RIVER = 5
    CLOUD = 6
    NATURAL_SOIL = 7
    """Natural bare soil with sparse cover (white-sand savanna, campina)."""
    SANDBAR = 8
    TILLED_SOIL = 9
    PASTURE = 10
    AQUACULTURE = 11
    """Eutrophic, algae-green water of fish ponds."""
    REGROWTH = 12
    """Secondary vegetation on a revegetated scar."""


MINING_COVERS = frozenset({Cover.LATERITE, Cover.PIT, Cover.MINING_POND})
"""The covers a mine scar is made of."""

SPECTRA: dict[Cover, tuple[float, float, float, float, float, float]] = {
    # blue, green, red, nir, swir16, swir22 (surface reflectance, approximate, chosen here)
    Cover.FOREST: (0.020, 0.045, 0.025, 0.320, 0.150, 0.065),
    Cover.GRASSLAND: (0.035, 0.065, 0.055, 0.300, 0.240, 0.130),
    Cover.LATERITE: (0.060, 0.100, 0.170, 0.230, 0.330, 0.260),
    Cover.PIT: (0.140, 0.180, 0.230, 0.280, 0.360, 0.270),
    Cover.MINING_POND: (0.060, 0.095, 0.120, 0.070, 0.020, 0.012),
    Cover.RIVER: (0.040, 0.050, 0.030, 0.015, 0.008, 0.005),
    Cover.CLOUD: (0.450, 0.440, 0.440, 0.460, 0.320, 0.220),
    Cover.NATURAL_SOIL: (0.100, 0.130, 0.160, 0.260, 0.300, 0.240),
    Cover.SANDBAR: (0.120, 0.150, 0.180, 0.220, 0.270, 0.240),
    Cover.TILLED_SOIL: (0.070, 0.100, 0.140, 0.220, 0.300, 0.240),
    Cover.PASTURE: (0.035, 0.070, 0.050, 0.280, 0.220, 0.110),
    Cover.AQUACULTURE: (0.040, 0.070, 0.045, 0.040, 0.012, 0.008),
    Cover.REGROWTH: (0.030, 0.060, 0.040, 0.300, 0.190, 0.090),
}
"""Surface reflectance per cover at the Sentinel-2 band centres (see the module docstring)."""

BRIGHTNESS_VARIATION: dict[Cover, float] = {
    Cover.FOREST: 0.12,
    Cover.GRASSLAND: 0.15,
    Cover.LATERITE: 0.12,
    Cover.PIT: 0.10,
    Cover.MINING_POND: 0.15,
    Cover.RIVER: 0.10,
    Cover.NATURAL_SOIL: 0.08,
    Cover.SANDBAR: 0.08,
    Cover.TILLED_SOIL: 0.05,
    Cover.PASTURE: 0.05,
    Cover.AQUACULTURE: 0.10,
    Cover.REGROWTH: 0.12,
}
"""Relative amplitude of the smooth brightness field within each cover (fields are even)."""

MIXING: dict[Cover, tuple[Cover, float, float]] = {
    Cover.LATERITE: (Cover.GRASSLAND, 0.0, 0.35),
    Cover.PIT: (Cover.GRASSLAND, 0.0, 0.25),
    Cover.MINING_POND: (Cover.RIVER, 0.0, 0.6),
    Cover.NATURAL_SOIL: (Cover.GRASSLAND, 0.0, 0.4),
    Cover.SANDBAR: (Cover.GRASSLAND, 0.0, 0.2),
    Cover.TILLED_SOIL: (Cover.GRASSLAND, 0.0, 0.3),
    Cover.AQUACULTURE: (Cover.MINING_POND, 0.0, 0.4),
}
"""Per-object spectral variety: each object mixes each of its covers with a partner cover, in a
share drawn for that object between the two bounds (varying ±30 % over its pixels). Grass
creeps over older workings and natural soils; some mining ponds settle and clear, some fish
ponds are stirred up. The river stays clear."""

SCAR_STYLES: dict[str, tuple[float, float]] = {
    "pit": (0.10, 0.45),
    "alluvial": (0.30, 0.20),
    "tailings_pond": (0.55, 0.30),
}
"""Share of turbid pond and of pit/tailings inside a scar of each style; laterite is the rest."""

SIZE_CLASSES: tuple[tuple[str, float, float], ...] = (
    ("0.5-1 ha", 0.5, 1.0),
    ("1-5 ha", 1.0, 5.0),
    ("5-20 ha", 5.0, 20.0),
    ("20-40 ha", 20.0, 40.0),
)
"""Size classes of planted scars (hectares, lower bound included); sizes cycle through them."""

NEGATIVE_KINDS = ("natural_bare_soil", "sandbar", "farm_clearing", "aquaculture")
SENSOR_NOISE = 0.012
"""Standard deviation of the additive noise of one observation (reflectance); a composite of
``n`` clear observations carries ``SENSOR_NOISE / sqrt(n)``."""
GAP_M = 40.0
"""The least distance between two planted objects."""


@dataclass(frozen=True)
class SceneSpec:
    """Where a scene lies and what it holds; the seed decides everything else."""

    seed: int
    height: int = 1000
    width: int = 1000
    pixel_m: float = 10.0
    epsg: int = 32735
    """UTM 35S by default: with the default corner, near Kolwezi on the Central African
    Copperbelt (25.2 E, 10.7 S). Any projected CRS in metres works (32618, 32719, ...)."""
    west: float = 300_000.0
    north: float = 8_820_000.0
    scars: int | None = None
    """Planted scars; None: one per 8 km², at least 4."""
    negatives_per_kind: int | None = None
    """Hard negatives of each kind; None: one per 20 km², at least 2."""
    cloud_fraction: float = 0.04
    """Share of pixels never seen clear."""

    def __post_init__(self) -> None:
        if self.height < 16 or self.width < 16 or self.pixel_m <= 0:
            raise InvalidInput(
                f"a scene needs at least 16 x 16 pixels of positive size, found "
                f"{self.height} x {self.width} of {self.pixel_m} m",
                field="height",
            )
        if not 0 <= self.cloud_fraction < 1:
            raise InvalidInput(
                f"expected a cloud fraction in [0, 1), found {self.cloud_fraction}",
                field="cloud_fraction",
            )

    @property
    def transform(self) -> tuple[float, float, float, float, float, float]:
        """The affine pixel-to-CRS transform (a, b, c, d, e, f), north up."""
        return (self.pixel_m, 0.0, self.west, 0.0, -self.pixel_m, self.north)

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """West, south, east, north in the scene CRS."""
        east = self.west + self.width * self.pixel_m
        south = self.north - self.height * self.pixel_m
        return self.west, south, east, self.north


@dataclass(frozen=True)
class PlantedScar:
    """A mining scar drawn into a scene."""

    id: str
    style: str
    """A key of :data:`SCAR_STYLES`."""
    geometry: BaseGeometry
    """In the scene CRS (metres)."""
    lonlat: BaseGeometry
    area_ha: float
    """Of ``lonlat``, on the WGS 84 ellipsoid."""
    pixels: int = 0
    """Pixels whose centre lies inside it."""
    change: str = "planted"
    """``planted`` in a first scene; ``unchanged``, ``grown``, ``new`` or ``revegetated`` later."""

    @property
    def disturbed(self) -> bool:
        """Whether the scar is bare in its scene (a revegetated one is not)."""
        return self.change != "revegetated"

    @property
    def size_class(self) -> str:
        """The label of its :data:`SIZE_CLASSES` entry."""
        return size_class(self.area_ha)


@dataclass(frozen=True)
class HardNegative:
    """Ground that looks like mining in some way and is not."""

    id: str
    kind: str
    """One of :data:`NEGATIVE_KINDS`."""
    geometry: BaseGeometry
    lonlat: BaseGeometry
    area_ha: float
    parts: tuple[tuple[BaseGeometry, Cover], ...]
    """What is drawn inside it, in order: geometry (scene CRS) and cover."""
    pixels: int = 0


@dataclass(frozen=True)
class SyntheticScene:
    """A composite and its answer key."""

    spec: SceneSpec
    period: str
    noise_seed: int
    composite: xr.Dataset
    cover: NDArray[np.uint8]
    """The :class:`Cover` of the ground at each pixel (clouds are in the composite only)."""
    truth: NDArray[np.bool_]
    """Mining disturbance: pixels of the scars that are bare in this scene."""
    scar_labels: NDArray[np.int32]
    """0 outside scars, ``i + 1`` inside ``scars[i]`` (revegetated ones too)."""
    negative_labels: NDArray[np.int32]
    """0 outside hard negatives, ``i + 1`` inside ``negatives[i]``."""
    scars: tuple[PlantedScar, ...]
    negatives: tuple[HardNegative, ...]
    river: BaseGeometry
    """The river's water, in the scene CRS."""
    river_centreline: LineString
    river_half_width_m: float

    @property
    def crs(self) -> pyproj.CRS:
        """The scene's coordinate reference system."""
        return pyproj.CRS.from_epsg(self.spec.epsg)

    @property
    def observed(self) -> NDArray[np.bool_]:
        """Pixels seen clear at least once."""
        observed: NDArray[np.bool_] = self.composite["clear_count"].values > 0
        return observed

    def truth_lonlat(self) -> BaseGeometry:
        """The union of the bare scars in lon/lat."""
        return shapely.union_all([scar.lonlat for scar in self.scars if scar.disturbed])


@dataclass(frozen=True)
class _Layout:
    river: BaseGeometry
    centreline: LineString
    half_width_m: float
    scars: tuple[PlantedScar, ...]
    negatives: tuple[HardNegative, ...]


def size_class(hectares: float) -> str:
    """The label of the :data:`SIZE_CLASSES` entry holding ``hectares`` (the nearest end one
    outside them)."""
    for label, low, high in SIZE_CLASSES:
        if low <= hectares < high:
            return label
    return SIZE_CLASSES[0][0] if hectares < SIZE_CLASSES[0][1] else SIZE_CLASSES[-1][0]


def synthetic_scene(spec: SceneSpec, *, period: str = "2023") -> SyntheticScene:
    """Draw the scene of ``spec`` (land, river, scars, hard negatives, clouds) for ``period``."""
    rng = np.random.default_rng([spec.seed, 0])
    layout = _Layout(*_river(rng, spec), scars=(), negatives=())
    area_km2 = spec.height * spec.width * spec.pixel_m**2 / 1e6
    occupied: list[BaseGeometry] = [layout.river]
    negatives: list[HardNegative] = []
    per_kind = spec.negatives_per_kind
    if per_kind is None:
        per_kind = max(2, round(area_km2 / 20))
    for kind in NEGATIVE_KINDS:
        for _ in range(per_kind):
            drawn = _negative(rng, spec, layout, kind, occupied, len(negatives))
            if drawn is not None:
                negatives.append(drawn)
                occupied.append(drawn.geometry)
    count = max(4, round(area_km2 / 8)) if spec.scars is None else spec.scars
    scars = _new_scars(rng, spec, layout, count, occupied, first=0, change="planted")
    layout = replace(layout, scars=tuple(scars), negatives=tuple(negatives))
    return _render(spec, layout, noise_seed=0, period=period)


def planned_scene(
    spec: SceneSpec,
    scars: Sequence[tuple[str, BaseGeometry]],
    *,
    period: str,
    noise_seed: int,
    style: str = "pit",
) -> SyntheticScene:
    """A scene of ``spec``'s land with exactly the scars given (id and outline in lon/lat), no
    river and no hard negatives: a place drawn to order (the demo's mines, a front mine with
    nothing at it). The land is the same for every call with the same spec; ``noise_seed``
    draws the period's clouds and sensor noise."""
    to_scene = pyproj.Transformer.from_crs("EPSG:4326", spec.epsg, always_xy=True)
    planted = tuple(
        _scar(id_, style, shapely.ops.transform(to_scene.transform, outline), spec, "planted")
        for id_, outline in scars
    )
    nowhere = Polygon()
    layout = _Layout(nowhere, LineString(), 0.0, scars=planted, negatives=())
    return _render(spec, layout, noise_seed=noise_seed, period=period)


def later_scene(
    scene: SyntheticScene,
    *,
    seed: int,
    period: str = "2024",
    grow: float = 0.35,
    revegetate: float = 0.15,
    new_scars: int | None = None,
) -> SyntheticScene:
    """The same place in a later period, with new clouds and sensor noise drawn from ``seed``
    (0 would repeat the first period's sky).

    Each bare scar grows (a lobe of 30-100 % of its area at its edge) with chance ``grow``, is
    revegetated with chance ``revegetate``, and is otherwise unchanged; ``new_scars`` open
    (None: a third of the scars, at least 2). Hard negatives stay as they were.
    """
    spec = scene.spec
    rng = np.random.default_rng([spec.seed, seed, 1])
    fixed: list[BaseGeometry] = [scene.river, *(n.geometry for n in scene.negatives)]
    outlines = {scar.id: scar.geometry for scar in scene.scars}
    scars: list[PlantedScar] = []
    for scar in scene.scars:
        roll = rng.uniform()
        if not scar.disturbed:
            scars.append(scar)
        elif roll < revegetate:
            scars.append(replace(scar, change="revegetated"))
        elif roll < revegetate + grow and (
            grown := _grown(rng, spec, scar.geometry, fixed + _others(outlines, scar.id))
        ):
            outlines[scar.id] = grown
            scars.append(_scar(scar.id, scar.style, grown, spec, "grown"))
        else:
            scars.append(replace(scar, change="unchanged"))
    layout = _Layout(scene.river, scene.river_centreline, scene.river_half_width_m, (), ())
    count = max(2, round(len(scene.scars) / 3)) if new_scars is None else new_scars
    occupied = fixed + list(outlines.values())
    scars += _new_scars(rng, spec, layout, count, occupied, first=len(scars), change="new")
    layout = replace(layout, scars=tuple(scars), negatives=scene.negatives)
    return _render(spec, layout, noise_seed=seed, period=period)


def _others(outlines: dict[str, BaseGeometry], but: str) -> list[BaseGeometry]:
    return [outline for id_, outline in outlines.items() if id_ != but]


# --- drawing objects ------------------------------------------------------------------------------


def _river(rng: np.random.Generator, spec: SceneSpec) -> tuple[BaseGeometry, LineString, float]:
    """A meandering river across the scene: its water, centreline and half width."""
    west, south, east, north = spec.bounds
    height, width = north - south, east - west
    x = np.linspace(west - 200, east + 200, 400)
    y = south + height * rng.uniform(0.3, 0.7) + np.zeros_like(x)
    for _ in range(3):
        wavelength = rng.uniform(0.4, 1.5) * width
        phase = rng.uniform(0, 2 * np.pi)
        y += rng.uniform(0.03, 0.09) * height * np.sin(2 * np.pi * x / wavelength + phase)
    centreline = LineString(np.column_stack([x, y]))
    if rng.uniform() < 0.5:  # running north-south instead
        centreline = affinity.rotate(
            centreline, 90, origin=((west + east) / 2, (south + north) / 2)
        )
    half_width = float(rng.uniform(30.0, 60.0))
    water = centreline.buffer(half_width, quad_segs=4).intersection(box(*spec.bounds))
    return water, centreline, half_width


def _beside_river(
    rng: np.random.Generator, layout: _Layout, distance: float
) -> tuple[Point, float]:
    """A point ``distance`` from the centreline on either side, and the river's heading there."""
    along = rng.uniform(0.15, 0.85)
    at = layout.centreline.interpolate(along, normalized=True)
    ahead = layout.centreline.interpolate(along + 0.005, normalized=True)
    heading = math.atan2(ahead.y - at.y, ahead.x - at.x)
    normal = heading + math.pi / 2 * float(rng.choice([-1.0, 1.0]))
    point = Point(at.x + distance * math.cos(normal), at.y + distance * math.sin(normal))
    return point, math.degrees(heading)


def _blob(rng: np.random.Generator, centre: Point, hectares: float) -> Polygon:
    """An irregular star-shaped polygon of ``hectares`` around ``centre``."""
    corners = int(rng.integers(14, 26))
    angles = np.linspace(0, 2 * np.pi, corners, endpoint=False)
    angles = angles + rng.uniform(0, 0.2, corners)
    log_radius = np.zeros(corners)
    for harmonic in range(1, 7):
        amplitude = rng.normal(0, 0.3 / harmonic**0.8)
        log_radius += amplitude * np.cos(harmonic * angles + rng.uniform(0, 2 * np.pi))
    radius = np.exp(log_radius)
    stretch = rng.uniform(1.0, 1.8)
    ring = np.column_stack([radius * np.cos(angles) * stretch, radius * np.sin(angles) / stretch])
    outline = affinity.rotate(Polygon(ring), rng.uniform(0, 180), origin=(0, 0))
    factor = math.sqrt(hectares * 10_000 / outline.area)
    outline = affinity.scale(outline, factor, factor, origin=(0, 0))
    return affinity.translate(outline, centre.x, centre.y)


def _anywhere(rng: np.random.Generator, spec: SceneSpec, margin: float) -> Point:
    west, south, east, north = spec.bounds
    margin = min(margin, (east - west) / 3, (north - south) / 3)
    x = rng.uniform(west + margin, east - margin)
    return Point(x, rng.uniform(south + margin, north - margin))


def _fits(candidate: BaseGeometry, spec: SceneSpec, occupied: Iterable[BaseGeometry]) -> bool:
    """Inside the scene, and at least :data:`GAP_M` from everything ``occupied``."""
    if not isinstance(candidate, Polygon) or candidate.is_empty:
        return False
    if not box(*spec.bounds).buffer(-2 * spec.pixel_m).contains(candidate):
        return False
    around = candidate.buffer(GAP_M, quad_segs=2)
    return not any(around.intersects(other) for other in occupied)


def _new_scars(
    rng: np.random.Generator,
    spec: SceneSpec,
    layout: _Layout,
    count: int,
    occupied: list[BaseGeometry],
    *,
    first: int,
    change: str,
) -> list[PlantedScar]:
    """Up to ``count`` scars where there is room, sizes cycling through :data:`SIZE_CLASSES`."""
    scars: list[PlantedScar] = []
    styles = list(SCAR_STYLES)
    for number in range(first, first + count):
        _, low, high = SIZE_CLASSES[number % len(SIZE_CLASSES)]
        hectares = math.exp(rng.uniform(math.log(low), math.log(high)))
        style = styles[int(rng.integers(len(styles)))]
        radius = math.sqrt(hectares * 10_000 / math.pi)
        for _ in range(200):
            if style == "alluvial":  # alluvial workings line the river
                distance = layout.half_width_m + GAP_M + radius * rng.uniform(1.2, 2.5)
                centre, _ = _beside_river(rng, layout, distance)
            else:
                centre = _anywhere(rng, spec, 2 * radius)
            outline = _blob(rng, centre, hectares)
            if _fits(outline, spec, occupied):
                scars.append(_scar(f"scar-{number:02d}", style, outline, spec, change))
                occupied.append(outline)
                break
    return scars


def _grown(
    rng: np.random.Generator, spec: SceneSpec, outline: BaseGeometry, others: list[BaseGeometry]
) -> BaseGeometry | None:
    """``outline`` with a lobe of 30-100 % of its area at its edge, if one fits."""
    hectares = outline.area / 10_000
    for _ in range(50):
        edge = outline.exterior.interpolate(rng.uniform(0, 1), normalized=True)
        grown = shapely.union(outline, _blob(rng, edge, hectares * rng.uniform(0.3, 1.0)))
        if _fits(grown, spec, others):
            return grown
    return None


def _scar(id_: str, style: str, outline: BaseGeometry, spec: SceneSpec, change: str) -> PlantedScar:
    lonlat = _to_lonlat(outline, spec.epsg)
    return PlantedScar(id_, style, outline, lonlat, area_ha(lonlat), change=change)


def _negative(
    rng: np.random.Generator,
    spec: SceneSpec,
    layout: _Layout,
    kind: str,
    occupied: list[BaseGeometry],
    number: int,
) -> HardNegative | None:
    """A hard negative of ``kind`` where there is room, or None."""
    for _ in range(200):
        blocking = occupied
        if kind == "natural_bare_soil":
            outline: BaseGeometry = _blob(rng, _anywhere(rng, spec, 300), rng.uniform(1.0, 15.0))
            parts: list[tuple[BaseGeometry, Cover]] = [(outline, Cover.NATURAL_SOIL)]
        elif kind == "sandbar":
            # An ellipse centred on the bank, cut by the water: a bar along the river's edge.
            centre, heading = _beside_river(rng, layout, layout.half_width_m)
            ellipse = affinity.scale(
                centre.buffer(1.0, quad_segs=8), rng.uniform(60, 160), rng.uniform(20, 45)
            )
            outline = affinity.rotate(ellipse, heading, origin=centre).difference(layout.river)
            parts = [(outline, Cover.SANDBAR)]
            blocking = [other for other in occupied if other is not layout.river]
        elif kind == "farm_clearing":
            outline = _field(rng, _anywhere(rng, spec, 400), rng.uniform(2.0, 20.0))
            crop = Cover.TILLED_SOIL if rng.uniform() < 0.5 else Cover.PASTURE
            parts = [(outline, crop)]
        else:
            outline, parts = _fish_farm(rng, _anywhere(rng, spec, 300))
        if _fits(outline, spec, blocking):
            lonlat = _to_lonlat(outline, spec.epsg)
            return HardNegative(
                f"{kind}-{number:02d}", kind, outline, lonlat, area_ha(lonlat), tuple(parts)
            )
    return None


def _field(rng: np.random.Generator, centre: Point, hectares: float) -> BaseGeometry:
    """A rotated rectangle of ``hectares``, 1 to 3 times as long as wide."""
    aspect = rng.uniform(1.0, 3.0)
    short = math.sqrt(hectares * 10_000 / aspect)
    half_x, half_y = short * aspect / 2, short / 2
    rectangle = box(centre.x - half_x, centre.y - half_y, centre.x + half_x, centre.y + half_y)
    return affinity.rotate(rectangle, rng.uniform(0, 90), origin=centre)


def _fish_farm(
    rng: np.random.Generator, centre: Point
) -> tuple[BaseGeometry, list[tuple[BaseGeometry, Cover]]]:
    """Rectangular ponds between grassy dikes on cleared pasture; the farm and its parts."""
    rows, columns = int(rng.integers(1, 3)), int(rng.integers(2, 5))
    pond_x, pond_y, dike = rng.uniform(40, 70), rng.uniform(30, 50), rng.uniform(10, 20)
    x0 = centre.x - (columns * (pond_x + dike) + dike) / 2
    y0 = centre.y - (rows * (pond_y + dike) + dike) / 2
    farm = box(x0, y0, x0 + columns * (pond_x + dike) + dike, y0 + rows * (pond_y + dike) + dike)
    ponds = [
        box(
            x0 + dike + column * (pond_x + dike),
            y0 + dike + row * (pond_y + dike),
            x0 + (column + 1) * (pond_x + dike),
            y0 + (row + 1) * (pond_y + dike),
        )
        for row in range(rows)
        for column in range(columns)
    ]
    angle = rng.uniform(0, 90)
    parts = [(farm, Cover.PASTURE)] + [(pond, Cover.AQUACULTURE) for pond in ponds]
    turned = [(affinity.rotate(part, angle, origin=centre), cover) for part, cover in parts]
    return turned[0][0], turned


def _to_lonlat(geometry: BaseGeometry, epsg: int) -> BaseGeometry:
    transformer = _lonlat_transformer(epsg)

    def move(xy: NDArray[np.float64]) -> NDArray[np.float64]:
        lon, lat = transformer.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([lon, lat])

    return shapely.transform(geometry, move)


@lru_cache(maxsize=16)
def _lonlat_transformer(epsg: int) -> pyproj.Transformer:
    return pyproj.Transformer.from_crs(epsg, "OGC:CRS84", always_xy=True)


# --- rendering ------------------------------------------------------------------------------------


def _render(spec: SceneSpec, layout: _Layout, *, noise_seed: int, period: str) -> SyntheticScene:
    """Rasterise the layout into covers, then covers into reflectance with clouds and noise."""
    shape = (spec.height, spec.width)
    land = np.random.default_rng([spec.seed, 2])  # the land is the same in every period
    openness = _noise(land, shape, cell=1500 / spec.pixel_m)
    cover = np.where(openness > np.quantile(openness, 0.8), Cover.GRASSLAND, Cover.FOREST)
    cover = cover.astype(np.uint8)
    brightness = _noise(land, shape, cell=300 / spec.pixel_m)
    mosaic = _noise(land, shape, cell=50 / spec.pixel_m, octaves=2)
    burn = _burner(spec)
    drawn = burn([(layout.river, Cover.RIVER + 1)] if not layout.river.is_empty else [])
    drawn = burn([(g, c + 1) for n in layout.negatives for g, c in n.parts], out=drawn)
    cover = np.where(drawn > 0, drawn - 1, cover).astype(np.uint8)
    negative_labels = burn([(n.geometry, i + 1) for i, n in enumerate(layout.negatives)])
    scar_labels = burn([(s.geometry, i + 1) for i, s in enumerate(layout.scars)])
    truth = np.zeros(shape, dtype=bool)
    share = np.zeros(shape, dtype=np.float32)
    for index, scar in enumerate(layout.scars):
        rows, cols = _window(spec, scar.geometry)
        inside = scar_labels[rows, cols] == index + 1
        if not scar.disturbed:
            cover[rows, cols][inside] = Cover.REGROWTH
            continue
        truth[rows, cols] |= inside
        pond, pit = SCAR_STYLES[scar.style]
        values = mosaic[rows, cols][inside]
        low, high = np.quantile(values, [pond, pond + pit]) if values.size else (0.0, 0.0)
        cover[rows, cols][inside] = np.where(
            values <= low, Cover.MINING_POND, np.where(values <= high, Cover.PIT, Cover.LATERITE)
        )
        _tint(share[rows, cols], cover[rows, cols], inside, [spec.seed, 5, _number(scar.id)])
    for index, negative in enumerate(layout.negatives):
        rows, cols = _window(spec, negative.geometry)
        inside = negative_labels[rows, cols] == index + 1
        _tint(share[rows, cols], cover[rows, cols], inside, [spec.seed, 6, index])
    sky = np.random.default_rng([spec.seed, noise_seed, 3])
    composite = _composite(spec, cover, share * (1 + 0.3 * mosaic), brightness, sky, period)
    scars = _counted(layout.scars, scar_labels)
    negatives = _counted(layout.negatives, negative_labels)
    return SyntheticScene(
        spec=spec,
        period=period,
        noise_seed=noise_seed,
        composite=composite,
        cover=cover,
        truth=truth,
        scar_labels=scar_labels,
        negative_labels=negative_labels,
        scars=scars,
        negatives=negatives,
        river=layout.river,
        river_centreline=layout.centreline,
        river_half_width_m=layout.half_width_m,
    )


def _composite(
    spec: SceneSpec,
    cover: NDArray[np.uint8],
    share: NDArray[np.float32],
    brightness: NDArray[np.float32],
    sky: np.random.Generator,
    period: str,
) -> xr.Dataset:
    """Reflectance of every band, ``clear_count`` and clouds, as a georeferenced Dataset."""
    xarray = require_extra("xarray")
    require_extra("rioxarray")  # registers the .rio accessor
    shape = cover.shape
    cloudiness = _noise(sky, shape, cell=800 / spec.pixel_m)
    unobserved = cloudiness > (
        np.quantile(cloudiness, 1 - spec.cloud_fraction) if spec.cloud_fraction > 0 else np.inf
    )
    clear_count = sky.poisson(np.clip(12 - 4 * cloudiness, 1, None)).clip(1, None)
    clear_count[unobserved] = 0
    table = np.array([SPECTRA[c] for c in Cover], dtype=np.float32)
    partner = np.array([MIXING.get(c, (c, 0.0, 0.0))[0] for c in Cover])
    share = np.clip(share, 0.0, 0.95)
    variation = np.array([BRIGHTNESS_VARIATION.get(c, 0.0) for c in Cover], dtype=np.float32)
    shade = (1 + variation[cover] * brightness) * (1 + 0.03 * _normal(sky, shape))
    sigma = SENSOR_NOISE / np.sqrt(np.maximum(clear_count, 1)).astype(np.float32)
    cloud = 1 + 0.1 * cloudiness[unobserved]
    variables: dict[str, Any] = {}
    for index, name in enumerate(BANDS):
        pure = table[cover, index]
        band = _blur((pure + share * (table[partner[cover], index] - pure)) * shade)
        band += sigma * _normal(sky, shape)
        band[unobserved] = SPECTRA[Cover.CLOUD][index] * cloud
        variables[name] = (("y", "x"), band.astype(np.float32))
    variables["clear_count"] = (("y", "x"), clear_count.astype(np.uint16))
    coords = {
        "y": spec.north - (np.arange(spec.height) + 0.5) * spec.pixel_m,
        "x": spec.west + (np.arange(spec.width) + 0.5) * spec.pixel_m,
    }
    dataset: xr.Dataset = xarray.Dataset(variables, coords=coords, attrs={"period": period})
    dataset.rio.write_crs(f"EPSG:{spec.epsg}", inplace=True)
    dataset.rio.write_transform(require_extra("affine").Affine(*spec.transform), inplace=True)
    return dataset


def _tint(
    share: NDArray[np.float32], cover: NDArray[np.uint8], inside: NDArray[np.bool_], key: list[int]
) -> None:
    """Draw one object's :data:`MIXING` shares (from its own ``key``) into ``share``."""
    draws = np.random.default_rng(key)
    for mixed, (_, low, high) in MIXING.items():
        amount = draws.uniform(low, high)
        share[inside & (cover == mixed)] = amount


def _window(spec: SceneSpec, geometry: BaseGeometry) -> tuple[slice, slice]:
    """The rows and columns of the pixels that ``geometry``'s bounds cover."""
    west, south, east, north = geometry.bounds
    top = max(int((spec.north - north) / spec.pixel_m) - 1, 0)
    bottom = min(int((spec.north - south) / spec.pixel_m) + 2, spec.height)
    left = max(int((west - spec.west) / spec.pixel_m) - 1, 0)
    right = min(int((east - spec.west) / spec.pixel_m) + 2, spec.width)
    return slice(top, bottom), slice(left, right)


def _number(id_: str) -> int:
    """The number ending an id (``scar-07``: 7), else a stable number drawn from the id."""
    tail = id_.rsplit("-", 1)[-1]
    return int(tail) if tail.isdigit() else zlib.crc32(id_.encode())


def _counted(objects: Sequence[Any], labels: NDArray[np.int32]) -> tuple[Any, ...]:
    """``objects`` with their pixel counts from the label raster."""
    counts = np.bincount(labels.ravel(), minlength=len(objects) + 1)
    return tuple(replace(item, pixels=int(counts[i + 1])) for i, item in enumerate(objects))


def _burner(spec: SceneSpec) -> Any:
    features = require_extra("rasterio.features")
    affine = require_extra("affine")
    transform = affine.Affine(*spec.transform)
    shape = (spec.height, spec.width)

    def burn(
        shapes: list[tuple[BaseGeometry, int]], out: NDArray[np.int32] | None = None
    ) -> NDArray[np.int32]:
        if out is None:
            out = np.zeros(shape, dtype=np.int32)
        if shapes:
            # Later shapes burn over earlier ones; a pixel belongs to a shape when its centre does.
            features.rasterize(shapes, out=out, transform=transform)
        return out

    return burn


def _noise(
    rng: np.random.Generator, shape: tuple[int, ...], cell: float, octaves: int = 3
) -> NDArray[np.float32]:
    """Smooth value noise: random grids of ``cell`` pixels (halving per octave), interpolated
    with smoothstep weights; about zero mean and unit spread."""
    height, width = shape
    total = np.zeros(shape, dtype=np.float32)
    weights = 0.0
    for octave in range(octaves):
        size = max(cell / 2**octave, 1.0)
        weight = 0.5**octave
        grid = _normal(rng, (int(height / size) + 2, int(width / size) + 2))
        rows, row_frac = _cells(height, size)
        cols, col_frac = _cells(width, size)
        along = grid[rows] * (1 - row_frac[:, None]) + grid[rows + 1] * row_frac[:, None]
        total += weight * (along[:, cols] * (1 - col_frac) + along[:, cols + 1] * col_frac)
        weights += weight**2
    noise: NDArray[np.float32] = total / np.float32(math.sqrt(weights) * 0.6)
    return noise


def _cells(length: int, size: float) -> tuple[NDArray[np.intp], NDArray[np.float32]]:
    position = np.arange(length, dtype=np.float32) / np.float32(size)
    index = position.astype(np.intp)
    fraction = position - index
    return index, (fraction * fraction * (3 - 2 * fraction)).astype(np.float32)


def _normal(rng: np.random.Generator, shape: tuple[int, ...]) -> NDArray[np.float32]:
    return rng.standard_normal(shape, dtype=np.float32)


def _blur(band: NDArray[np.float32]) -> NDArray[np.float32]:
    """A 3x3 point-spread blur (0.2, 0.6, 0.2 in each direction), edges repeated; in place."""
    for axis in (0, 1):
        lines = band if axis == 0 else band.T
        side = lines * np.float32(0.2)
        lines *= np.float32(0.6)
        lines[1:] += side[:-1]
        lines[:-1] += side[1:]
        lines[0] += side[0]
        lines[-1] += side[-1]
    return band

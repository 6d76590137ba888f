"""Scan imagery of an area for mining, period by period, into the workspace's detection store.

For each period: find the scenes (a STAC API, a local STAC catalog, or a folder of plain band
files read once for the whole scan), load them as xarray on Dask with their cloud masks, take the
median of the clear observations, score every pixel for mining disturbance, and turn the
disturbed ground into polygons. Each period becomes one stored detection layer whose coverage
is the ground seen clear, so that the checks know where an absence of mining means something; a
period with no scene or no clear pixel is reported as a data gap and stores nothing. Layers of
one scan share a source, so the checks compare their periods (new disturbance) like any
product's yearly files.

With ``scheduler`` (a ``dask.distributed`` address) the work runs on that cluster, unchanged.
"""

from __future__ import annotations

import contextlib
import dataclasses
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from oresight.core.errors import InvalidInput, OresightError
from oresight.core.sites import EXTRACTION_KINDS, SiteKind
from oresight.earth import composites, disturbance, scene_files, stac, vectorise
from oresight.earth.detections import DetectionLayer, read_area
from oresight.earth.extra import require_extra
from oresight.earth.geodesy import area_ha, buffered
from oresight.earth.periods import ObservationPeriod, parse_period
from oresight.earth.quicklook import QuickLook, quicklook
from oresight.earth.storage import NewLayer, StoredLayer, slug
from oresight.store import repository
from oresight.store.database import Workspace
from oresight.workflows.earth import earth_store
from oresight.workflows.progress import Progress, no_progress

SERVICES = {
    "earth-search": stac.EARTH_SEARCH_SENTINEL2,
    "earth-search-landsat": stac.EARTH_SEARCH_LANDSAT,
    "planetary-computer": stac.PLANETARY_COMPUTER_SENTINEL2,
    "planetary-computer-landsat": stac.PLANETARY_COMPUTER_LANDSAT,
}
"""The STAC services ``--stac`` names."""
SITE_MARGIN_M = 2_000.0
"""Around the workspace's sites when they make the area to scan."""
CHUNK = 1024
"""Dask chunks of the observations a scan loads and composites, pixels a side; the scan itself
then works in strips of 1024 rows of whole width (:func:`oresight.earth.disturbance.scan`
rechunks the composite to them)."""


@dataclass(frozen=True)
class ScanRequest:
    """What to scan, where the scenes come from, and how."""

    periods: tuple[str, ...]
    aoi: Path | None = None
    """GeoJSON of the area; None: the workspace's extraction sites and protected areas."""
    items: Path | None = None
    """A local STAC catalog or ItemCollection (instead of a search)."""
    images: Path | None = None
    """A folder of plain band files (GeoTIFF, JPEG 2000) of Sentinel-2 L2A or Landsat
    Collection 2 Level-2 scenes, without a catalog (instead of a search; not with ``items``)."""
    service: str = "earth-search"
    max_cloud_cover: float = 30.0
    source: str = "oresight scan"
    scheduler: str | None = None
    min_area_ha: float = vectorise.DEFAULT_MIN_AREA_HA


@dataclass(frozen=True)
class PeriodScan:
    """What the scan of one place in one period found (``stored`` is None when it stored
    nothing)."""

    period: str
    scenes: int
    detections: int
    disturbed_ha: float
    observed_share: float
    stored: StoredLayer | None
    gap: str | None = None
    place: str = ""


@dataclass
class ScanOutcome:
    """Every period's scan."""

    area_ha: float
    periods: list[PeriodScan] = field(default_factory=list)

    @property
    def gaps(self) -> list[str]:
        """The periods that could not be observed, as sentences."""
        return [p.gap for p in self.periods if p.gap]


def scan_imagery(
    workspace: Workspace, request: ScanRequest, *, progress: Progress = no_progress
) -> ScanOutcome:
    """Scan the area in each period and store the detections (see the module docstring)."""
    _periods(request)  # a bad period or source is refused before anything is read
    _check_source(request)
    if request.aoi is not None:
        places = area_places(request.aoi.stem, read_area(request.aoi))
    else:
        places = _workspace_places(workspace)
    outcome = ScanOutcome(area_ha=sum(area_ha(area) for _, area in places))
    scanned = scan_places(request, places, progress=progress)
    with tempfile.TemporaryDirectory() as scratch:
        # Every period's layer is stored with one write of the store's manifest.
        new: list[NewLayer] = []
        for summary, layer, look in scanned:
            if layer is None:
                continue
            name = f"{slug(request.source)}-{slug(summary.place)}-{slug(summary.period)}"
            path = Path(scratch) / f"{name}.geojson"
            vectorise.write_geojson(vectorise.detections_geojson(layer), path)
            new.append(
                NewLayer(
                    path,
                    source=request.source,
                    period=parse_period(summary.period),
                    coverage=layer.coverage,
                    scenes=layer.scenes,
                    quicklook=None if look is None else (look.png, look.bounds),
                )
            )
        stored = iter(earth_store(workspace).add_all(new))
    for summary, layer, _ in scanned:
        kept = dataclasses.replace(summary, stored=next(stored)[0]) if layer else summary
        outcome.periods.append(kept)
    return outcome


def area_places(name: str, area: BaseGeometry) -> list[tuple[str, BaseGeometry]]:
    """The separate parts of an area, each its own place to scan (``name``, ``name #2``, ...):
    places far apart are scanned one at a time, each on its own grid, since one grid over all
    of them would be mostly empty pixels."""
    parts = list(shapely.get_parts(area))
    return [
        (name if index == 0 else f"{name} #{index + 1}", part) for index, part in enumerate(parts)
    ]


def scan_places(
    request: ScanRequest,
    places: Sequence[tuple[str, BaseGeometry]],
    *,
    progress: Progress = no_progress,
) -> list[tuple[PeriodScan, DetectionLayer | None, QuickLook | None]]:
    """Every place scanned in every period of the request; the detection layer and quick-look
    of each scan that saw the ground (None where a period could not be observed). Nothing is
    stored."""
    periods = _periods(request)
    find = _scene_finder(request)
    steps = len(periods) * len(places)
    done: list[tuple[PeriodScan, DetectionLayer | None, QuickLook | None]] = []
    with _cluster(request.scheduler):
        for period in periods:
            for place, area in places:
                progress(f"scanning {place}, {period.label}", len(done), steps)
                found = find(area, place, period)
                done.append(_scan_period(request, found, area, place, period))
        progress("scanned", steps, steps)
    return done


def _scan_period(
    request: ScanRequest,
    found: stac.SceneSearch,
    area: BaseGeometry,
    place: str,
    period: ObservationPeriod,
) -> tuple[PeriodScan, DetectionLayer | None, QuickLook | None]:
    gap = found.data_gap()
    if gap is not None:
        return PeriodScan(period.label, 0, 0, 0.0, 0.0, None, gap, place), None, None
    observations = composites.load_observations(found, aoi=area, chunks={"x": CHUNK, "y": CHUNK})
    composite = composites.median_composite(observations, period).persist()
    gap = composites.clear_observation_gap(composite, place=place)
    seen = composites.clear_fraction(composite)
    if gap is not None:
        empty = PeriodScan(period.label, len(found.items), 0, 0.0, seen, None, gap, place)
        return empty, None, None
    scanned = disturbance.scan(composite)
    layer_id = f"{slug(request.source)}-{slug(place)}-{slug(period.label)}"
    layer = vectorise.detection_layer(
        scanned, layer_id=layer_id, source=request.source, min_area_ha=request.min_area_ha
    )
    look = quicklook(composite)
    layer = dataclasses.replace(
        layer, scenes=tuple(str(scene) for scene in composite.attrs.get("scenes", []))
    )
    summary = PeriodScan(
        period=period.label,
        scenes=len(found.items),
        detections=len(layer.detections),
        disturbed_ha=sum(d.area_ha for d in layer.detections),
        observed_share=seen,
        stored=None,
        place=place,
    )
    return summary, layer, look


SceneFinder = Callable[[BaseGeometry, str, ObservationPeriod], stac.SceneSearch]
"""The scenes of one place (area, name) in one period."""


def _check_source(request: ScanRequest) -> None:
    if request.items is not None and request.images is not None:
        raise InvalidInput(
            "give the scenes either as a STAC catalog (--items) or as a folder of band files "
            "(--images), not both",
            field="--images",
        )


def _scene_finder(request: ScanRequest) -> SceneFinder:
    """Where each period's scenes come from. A folder of band files is read once, here, and its
    scenes filtered per place and period: its items are built from every file's header and
    quality band, work not worth repeating per period."""
    _check_source(request)
    folder = request.images
    if folder is None:
        return lambda area, place, period: _scenes(request, area, place, period)
    found = scene_files.find_scenes(folder)
    return lambda area, place, period: stac.scene_search(
        found,
        source=str(folder),
        aoi=area,
        period=period,
        max_cloud_cover=request.max_cloud_cover,
        place=place,
    )


def _scenes(
    request: ScanRequest, area: BaseGeometry, place: str, period: ObservationPeriod
) -> stac.SceneSearch:
    if request.items is not None:
        return stac.read_scenes(
            request.items,
            aoi=area,
            period=period,
            max_cloud_cover=request.max_cloud_cover,
            place=place,
        )
    service = SERVICES.get(request.service)
    if service is None:
        raise InvalidInput(
            f"unknown STAC service {request.service!r}: one of {', '.join(SERVICES)}",
            field="--stac",
        )
    return stac.search_scenes(
        service, area, period, place=place, max_cloud_cover=request.max_cloud_cover
    )


def _workspace_places(workspace: Workspace) -> list[tuple[str, BaseGeometry]]:
    """The workspace's extraction sites and protected areas, each grown by a margin, grouped
    into places that touch (named after the first site of each)."""
    with workspace.transaction() as session:
        sites = repository.load_sites(session)
    grown = [
        (site, buffered(shape(site.geometry), SITE_MARGIN_M))
        for site in sorted(sites, key=lambda s: s.id)
        if site.geometry is not None
        and (site.kind in EXTRACTION_KINDS or site.kind is SiteKind.PROTECTED_AREA)
    ]
    if not grown:
        raise InvalidInput(
            "the workspace has no mine, concession or protected area with a location to scan: "
            "give the area with --aoi FILE",
            field="--aoi",
        )
    places: list[tuple[str, BaseGeometry]] = []
    for part in shapely.get_parts(shapely.union_all([area for _, area in grown])):
        first = next(site for site, area in grown if area.intersects(part))
        places.append((first.name or first.id, part))
    return places


@contextlib.contextmanager
def _cluster(address: str | None) -> Iterator[None]:
    """Run Dask work on the cluster at ``address`` (none: this process's threads)."""
    if address is None:
        yield
        return
    distributed = require_extra("distributed")
    try:
        client = distributed.Client(address, timeout="10s")
    except (OSError, TimeoutError, ValueError) as exc:
        raise OresightError(f"cannot reach the Dask scheduler at {address}: {exc}") from None
    try:
        yield
    finally:
        client.close()


def _periods(request: ScanRequest) -> list[ObservationPeriod]:
    if not request.periods:
        raise InvalidInput("give at least one period to scan", field="--period")
    return [_period(text) for text in request.periods]


def _period(text: str) -> ObservationPeriod:
    try:
        return parse_period(text)
    except ValueError as exc:
        raise InvalidInput(str(exc), field="--period") from None


def scan_summary(outcome: ScanOutcome) -> list[str]:
    """One line per period, for people."""
    lines = []
    for period in outcome.periods:
        if period.gap is not None:
            lines.append(f"{period.place}, {period.period}: nothing stored: {period.gap}")
        else:
            lines.append(
                f"{period.place}, {period.period}: {period.scenes} scene(s), "
                f"{period.observed_share:.0%} of the "
                f"area seen clear, {period.detections} disturbed patch(es), "
                f"{period.disturbed_ha:,.1f} ha"
                + (f"; stored as {period.stored.id}" if period.stored else "")
            )
    return lines


__all__: Sequence[str] = (
    "ScanOutcome",
    "ScanRequest",
    "area_places",
    "scan_imagery",
    "scan_places",
    "scan_summary",
)

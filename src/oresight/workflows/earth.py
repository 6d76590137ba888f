"""Earth observation in a workspace: load mining detections and area boundaries, run the checks.

``load_detections`` reads every file first and stores them only when all read, with one write
of the store's manifest, so a bad file stores nothing. ``load_areas`` turns third-party boundary
files (indigenous territories, parks) into protected-area sites of the workspace, in one
transaction. ``check_earth`` runs the four checks of the earth pillar over the workspace's layers,
sites and custody events; an assessment runs them too.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from oresight.core.custody import CustodyEvent
from oresight.core.errors import InvalidInput
from oresight.core.findings import DataGap, Finding, RuleOutcome
from oresight.core.sites import Site
from oresight.custody.protected_area import protected_areas_from_geojson
from oresight.earth import activity, concessions, protected
from oresight.earth.detections import DetectionLayer, by_source, read_area
from oresight.earth.periods import ObservationPeriod, parse_period
from oresight.earth.storage import DetectionStore, NewLayer, StoredLayer
from oresight.store import repository
from oresight.store.database import Workspace
from oresight.workflows.progress import Progress, no_progress

__all__ = [
    "EarthOutcome",
    "check_earth",
    "earth_store",
    "load_areas",
    "load_detections",
    "run_earth_checks",
    "workspace_layers",
]


@dataclass(frozen=True)
class EarthOutcome:
    """The earth checks' findings and the checks they could not make."""

    findings: list[Finding]
    gaps: list[DataGap]

    def of_rule(self, rule: str) -> RuleOutcome:
        """One rule's part of the outcome."""
        return RuleOutcome(
            findings=tuple(f for f in self.findings if f.rule == rule),
            gaps=tuple(g for g in self.gaps if g.rule == rule),
        )


def earth_store(workspace: Workspace) -> DetectionStore:
    """The workspace's detection store (``<workspace>/earth``)."""
    return DetectionStore(workspace.path / "earth")


def workspace_layers(workspace: Workspace) -> list[DetectionLayer]:
    """The detection layers loaded into the workspace, a source's files merged into one layer
    (their periods compared)."""
    return by_source(earth_store(workspace).layers())


def load_detections(
    workspace: Workspace,
    paths: Sequence[Path],
    *,
    source: str | None = None,
    period: str | None = None,
    coverage: Path | None = None,
    progress: Progress = no_progress,
) -> list[tuple[StoredLayer, bool]]:
    """Read every file as a detection layer, then store them (see the module docstring)."""
    if not paths:
        raise InvalidInput("no detection files given")
    given = _period(period)
    covered = read_area(coverage) if coverage is not None else None
    progress("reading", 0, len(paths))
    stored = earth_store(workspace).add_all(
        [NewLayer(path, source, given, covered) for path in paths]
    )
    progress("stored", len(paths), len(paths))
    return stored


def load_areas(
    workspace: Workspace, paths: Sequence[Path], *, designation: str, name_property: str = "name"
) -> list[Site]:
    """Read boundary files as protected-area sites, then store them all in one transaction."""
    if not paths:
        raise InvalidInput("no boundary files given")
    read = [
        (
            path,
            protected_areas_from_geojson(
                path, designation=designation, name_property=name_property
            ),
        )
        for path in paths
    ]
    with workspace.transaction() as session:
        for path, areas in read:
            ingest = repository.record_ingest(
                session,
                source=str(path),
                sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
                format="geojson",
            )
            counts = repository.upsert_sites(session, areas, ingest=ingest)
            ingest.added, ingest.unchanged, ingest.updated = (
                counts.added,
                counts.unchanged,
                counts.updated,
            )
    return [area for _, areas in read for area in areas]


def run_earth_checks(
    layers: Sequence[DetectionLayer],
    sites: Mapping[str, Site],
    events: Iterable[CustodyEvent],
) -> EarthOutcome:
    """The four earth checks over layers, sites and the custody events."""
    outcomes = [
        protected.find_mining_in_protected_areas(layers, sites),
        concessions.find_mining_outside_concessions(layers, sites),
        activity.find_new_disturbance(layers, sites),
        activity.find_no_activity(layers, sites, events),
    ]
    return EarthOutcome(
        findings=[f for o in outcomes for f in o.findings],
        gaps=[g for o in outcomes for g in o.gaps],
    )


def check_earth(workspace: Workspace) -> EarthOutcome:
    """The earth checks over the workspace."""
    with workspace.transaction() as session:
        sites = {site.id: site for site in repository.load_sites(session)}
        events = repository.load_events(session)
    return run_earth_checks(workspace_layers(workspace), sites, events)


def _period(text: str | None) -> ObservationPeriod | None:
    if text is None:
        return None
    try:
        return parse_period(text)
    except ValueError as exc:
        raise InvalidInput(str(exc), field="--period") from None

"""The demo: build the demo world's files, ingest them into a workspace, assess, report."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from oresight.sim.demo import DemoManifest, build_demo_world
from oresight.store.database import Workspace
from oresight.workflows.assess import AssessmentResult, assess_workspace
from oresight.workflows.ingest import IngestSummary, ingest_files
from oresight.workflows.progress import Progress, no_progress
from oresight.workflows.report import write_html_report

DEMO_DATA_DIR = "demo-data"


@dataclass(frozen=True)
class DemoResult:
    """Where the demo put everything, and what it found."""

    manifest: DemoManifest
    ingested: IngestSummary
    assessment: AssessmentResult
    report: Path


def run_demo(
    workspace: Workspace, *, seed: int = 7, progress: Progress = no_progress
) -> DemoResult:
    """Build the demo world into the workspace folder and run the main flow over it."""
    manifest = build_demo_world(workspace.path / DEMO_DATA_DIR, seed=seed)
    ingested = ingest_files(workspace, list(manifest.files), progress=progress)
    assessment = assess_workspace(workspace, progress=progress)
    report = write_html_report(workspace, title="oresight demo: cobalt and 3T supply chains")
    return DemoResult(manifest=manifest, ingested=ingested, assessment=assessment, report=report)

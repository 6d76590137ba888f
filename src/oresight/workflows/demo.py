"""The demo: build the demo world's files, ingest them into a workspace, assess, report."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from oresight.core.findings import EvidenceKind
from oresight.ledger.log import CustodyLog
from oresight.sim import demo_earth
from oresight.sim.demo import DemoManifest, build_demo_world
from oresight.store import repository
from oresight.store.database import Workspace
from oresight.workflows import ledger
from oresight.workflows.analyses import ReferenceData
from oresight.workflows.assess import AssessmentResult, assess_workspace
from oresight.workflows.earth_scan import ScanRequest, scan_imagery
from oresight.workflows.ingest import IngestSummary, ingest_files
from oresight.workflows.progress import Progress, no_progress
from oresight.workflows.report import write_html_report
from oresight.workflows.screening import load_lists
from oresight.workflows.trade import load_trade

DEMO_DATA_DIR = "demo-data"
DEMO_LOG_ORIGIN = "oresight.local/demo"


@dataclass(frozen=True)
class DemoResult:
    """Where the demo put everything, and what it found."""

    manifest: DemoManifest
    ingested: IngestSummary
    assessment: AssessmentResult
    report: Path
    ledger_size: int
    """Entries in the custody ledger, each event signed by its owning party."""
    sample_proof: Path | None
    """An offline inclusion proof bundle of one flagged event."""
    log_public_key: Path


def run_demo(
    workspace: Workspace, *, seed: int = 7, progress: Progress = no_progress
) -> DemoResult:
    """Build the demo world into the workspace folder and run the main flow over it.

    The assessment checks declared origins against the production tables the demo wrote, and
    conflict-affected areas against oresight's bundled CAHRA list, as the manifest expects.
    """
    manifest = build_demo_world(workspace.path / DEMO_DATA_DIR, seed=seed)
    ingested = ingest_files(workspace, list(manifest.files), progress=progress)
    # The demo runs once: its few listed names are looked up only if a comparison needs them.
    load_lists(workspace, list(manifest.sanctions), name_variants=False, progress=progress)
    load_trade(workspace, list(manifest.trade), progress=progress)
    if manifest.imagery is not None:
        scan_imagery(workspace, demo_scan(manifest), progress=progress)
    reference = ReferenceData.load(production=manifest.production_dir)
    assessment = assess_workspace(workspace, reference=reference, progress=progress)
    report = write_html_report(workspace, title="oresight demo: cobalt and 3T supply chains")
    log, proof = _demo_ledger(workspace, assessment, progress)
    return DemoResult(
        manifest=manifest,
        ingested=ingested,
        assessment=assessment,
        report=report,
        ledger_size=log.size(),
        sample_proof=proof,
        log_public_key=ledger.ledger_paths(workspace).log_pub,
    )


def demo_scan(manifest: DemoManifest) -> ScanRequest:
    """The scan of the demo's imagery: both years, over the ground its scenes cover."""
    return ScanRequest(
        periods=tuple(label for label, _ in demo_earth.PERIODS),
        aoi=manifest.imagery_areas,
        items=manifest.imagery,
        source=demo_earth.SOURCE,
    )


def _demo_ledger(
    workspace: Workspace, assessment: AssessmentResult, progress: Progress
) -> tuple[CustodyLog, Path | None]:
    """Put every event in the custody ledger, signed by its owner; prove one flagged event."""
    ledger.init_ledger(workspace, origin=DEMO_LOG_ORIGIN)
    with workspace.transaction() as session:
        events = repository.load_events(session)
    registry = ledger.load_registry(workspace)
    operators = ledger.site_operators(workspace)
    for owner in sorted({ledger.event_owner(e, operators) for e in events}):
        if not registry.keys_of(owner):
            ledger.add_party_key(workspace, owner)
    ledger.submit_events(workspace, party_id=None, progress=progress)
    log = ledger.open_log(workspace)
    flagged = [
        e.id for f in assessment.findings for e in f.evidence if e.kind is EvidenceKind.EVENT
    ]
    if not flagged:
        return log, None
    path = ledger.ledger_paths(workspace).root / "proofs" / ledger.receipt_file_name(flagged[0])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(log.proof_bundle(flagged[0]))
    return log, path

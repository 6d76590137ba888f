"""Run every available analysis over a workspace and store the findings.

Each analysis is a pillar function over core types; this module loads what they need from the
store once, calls them, and saves the combined findings as the workspace's current findings.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from oresight.core.custody import CustodyEvent
from oresight.core.findings import Finding, Severity
from oresight.core.parties import Party
from oresight.core.sites import Site
from oresight.custody import broken_chain, unlicensed_origin
from oresight.store import repository
from oresight.store.database import Workspace
from oresight.workflows.progress import Progress, no_progress


@dataclass(frozen=True)
class WorkspaceData:
    """Everything the analyses read, loaded from the store once."""

    events: Sequence[CustodyEvent]
    sites: Mapping[str, Site]
    parties: Mapping[str, Party]


@dataclass(frozen=True)
class Analysis:
    """One analysis: the rule it applies and how to run it over the workspace data."""

    rule: str
    rule_version: str
    description: str
    run: Callable[[WorkspaceData], list[Finding]]


ANALYSES: tuple[Analysis, ...] = (
    Analysis(
        rule=broken_chain.RULE,
        rule_version=broken_chain.RULE_VERSION,
        description="lots that move with no upstream record of their origin",
        run=lambda data: broken_chain.find_broken_chains(data.events, sites=data.sites),
    ),
    Analysis(
        rule=unlicensed_origin.RULE,
        rule_version=unlicensed_origin.RULE_VERSION,
        description="extraction without a valid licence or outside every licensed area",
        run=lambda data: unlicensed_origin.find_unlicensed_origins(data.events, sites=data.sites),
    ),
)


@dataclass(frozen=True)
class AssessmentResult:
    """The findings of one assessment, and what it looked at."""

    findings: list[Finding]
    analyses: tuple[Analysis, ...]
    counts: Mapping[str, int]
    started_at: datetime


def load_workspace_data(workspace: Workspace) -> WorkspaceData:
    """Load events, sites and parties from the workspace."""
    with workspace.transaction() as session:
        events = repository.load_events(session)
        sites = {site.id: site for site in repository.load_sites(session)}
        parties = {party.id: party for party in repository.load_parties(session)}
    return WorkspaceData(events=events, sites=sites, parties=parties)


def assess_workspace(
    workspace: Workspace,
    *,
    analyses: Sequence[Analysis] = ANALYSES,
    progress: Progress = no_progress,
) -> AssessmentResult:
    """Run ``analyses`` over the workspace, store their findings, and return them."""
    started_at = datetime.now(UTC)
    data = load_workspace_data(workspace)
    findings: list[Finding] = []
    for index, analysis in enumerate(analyses):
        progress(analysis.rule, index, len(analyses))
        findings.extend(analysis.run(data))
    progress("analyses", len(analyses), len(analyses))
    findings.sort(key=lambda f: (-f.severity.rank, f.code.value, f.subject.id, f.id))
    with workspace.transaction() as session:
        repository.replace_findings(
            session,
            findings,
            analyses=[f"{a.rule}@{a.rule_version}" for a in analyses],
            started_at=started_at,
        )
        counts = repository.counts(session)
    return AssessmentResult(
        findings=findings, analyses=tuple(analyses), counts=counts, started_at=started_at
    )


def stored_findings(
    workspace: Workspace,
    *,
    min_severity: Severity | None = None,
    codes: Sequence[str] = (),
    subject_id: str | None = None,
) -> list[Finding]:
    """The findings the last assessment stored, most severe first, optionally filtered."""
    with workspace.transaction() as session:
        return repository.load_findings(
            session, min_severity=min_severity, codes=codes, subject_id=subject_id
        )

"""Assess a workspace: run every analysis, score the findings under a risk profile, store both.

The analyses themselves are in :mod:`oresight.workflows.analyses` (pure functions over loaded
data); this module loads what they need from the store once, scores what they find with the risk
engine, and saves findings, data gaps and scores as the workspace's current assessment.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from oresight.core.findings import DataGap, Finding, Severity
from oresight.risk.catalogue import load_catalogue
from oresight.risk.profiles import Profile, bundled_profiles, load_profile
from oresight.risk.scoring import RiskAssessment, score_findings
from oresight.store import repository
from oresight.store.database import Workspace
from oresight.workflows.analyses import (
    ANALYSES,
    Analysis,
    AnalysisInputs,
    ReferenceData,
    run_analyses,
)
from oresight.workflows.choices import DEFAULT_PROFILE
from oresight.workflows.earth import workspace_layers
from oresight.workflows.progress import Progress, no_progress
from oresight.workflows.screening import dismissals, keep_name_symbols, screening_lists
from oresight.workflows.trade import open_workspace_tables

__all__ = [
    "ANALYSES",
    "DEFAULT_PROFILE",
    "Analysis",
    "AssessmentResult",
    "ReferenceData",
    "assess_workspace",
    "bundled_profile_titles",
    "describe_risk",
    "latest_risk",
    "load_inputs",
    "stored_findings",
]


@dataclass(frozen=True)
class AssessmentResult:
    """The findings of one assessment, what it could not check, and their scores."""

    findings: list[Finding]
    gaps: list[DataGap]
    risk: RiskAssessment
    analyses: tuple[Analysis, ...]
    counts: Mapping[str, int]
    started_at: datetime


def load_inputs(
    workspace: Workspace,
    *,
    reference: ReferenceData | None = None,
    profile: Profile | None = None,
) -> AnalysisInputs:
    """Load events, sites and parties from the workspace, with the reference data given."""
    with workspace.transaction() as session:
        events = repository.load_events(session)
        sites = {site.id: site for site in repository.load_sites(session)}
        parties = {party.id: party for party in repository.load_parties(session)}
    lists = screening_lists(workspace)
    return AnalysisInputs(
        events=events,
        sites=sites,
        parties=parties,
        reference=reference or ReferenceData(),
        profile=profile,
        lists=lists if lists.versions else None,
        dismissed=dismissals(workspace, lists),
        trade=open_workspace_tables(workspace),
        earth=workspace_layers(workspace),
    )


def assess_workspace(
    workspace: Workspace,
    *,
    profile: str | Path | Profile = DEFAULT_PROFILE,
    reference: ReferenceData | None = None,
    analyses: Sequence[Analysis] = ANALYSES,
    progress: Progress = no_progress,
) -> AssessmentResult:
    """Run ``analyses`` over the workspace, score the findings under ``profile`` (a bundled
    profile's name, a profile file, or a loaded profile), store everything, and return it."""
    started_at = datetime.now(UTC)
    chosen = profile if isinstance(profile, Profile) else load_profile(profile)
    catalogue = load_catalogue()
    inputs = load_inputs(workspace, reference=reference, profile=chosen)
    run = run_analyses(inputs, analyses, progress=progress)
    if inputs.lists is not None:
        keep_name_symbols(workspace)  # the parties' words, for the next assessment
    risk = score_findings(run.findings, chosen, catalogue=catalogue)
    with workspace.transaction() as session:
        repository.replace_findings(
            session,
            run.findings,
            analyses=[f"{a.rule}@{a.rule_version}" for a in analyses],
            started_at=started_at,
            gaps=run.gaps,
            profile=chosen.name,
            risk_json=risk.model_dump_json(),
        )
        counts = repository.counts(session)
    return AssessmentResult(
        findings=run.findings,
        gaps=run.gaps,
        risk=risk,
        analyses=tuple(analyses),
        counts=counts,
        started_at=started_at,
    )


def latest_risk(workspace: Workspace) -> tuple[RiskAssessment | None, list[DataGap]]:
    """The scores and data gaps of the workspace's last assessment (none if never assessed)."""
    with workspace.transaction() as session:
        stored = repository.latest_assessment(session)
    if stored is None:
        return None, []
    risk = (
        None if stored.risk_json is None else RiskAssessment.model_validate_json(stored.risk_json)
    )
    return risk, stored.gaps


def describe_risk(risk: RiskAssessment, gaps: Sequence[DataGap]) -> str:
    """Two lines on an assessment's outcome: the supply chain's score and band under the
    profile with the strongest recommended response, and how many checks could not be made."""
    chain = risk.supply_chain
    response = (
        risk.strongest_response.value.replace("_", " ") if risk.strongest_response else "none"
    )
    lines = [
        f"Risk under profile {risk.profile}: supply chain score {chain.score:g}, band "
        f"{chain.band.value}; strongest recommended response: {response}."
    ]
    if gaps:
        rules = sorted({gap.rule for gap in gaps})
        lines.append(
            f"{len(gaps)} check(s) could not be made for lack of data ({', '.join(rules)}): "
            "see `data_gaps` in the JSON output or the report."
        )
    return "\n".join(lines)


def bundled_profile_titles() -> list[tuple[str, str]]:
    """``(name, title)`` of each risk profile shipped with oresight."""
    return [(name, load_profile(name).title) for name in bundled_profiles()]


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

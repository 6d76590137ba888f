"""Risk scores per subject and for the whole supply chain, and a recommendation per finding.

Each finding the profile keeps brings **points**::

    points = weight × severity_factor × confidence

where ``weight`` is the profile's weight for the finding's code, ``severity_factor`` the profile's
factor for the finding's severity (after any severity override of the profile) and ``confidence``
the rule's confidence in the finding (0 to 1). Points are rounded to 6 decimals.

A subject's **score** (a lot, party, site, facility, country, trade flow or event) is the sum of
the points of the findings about it; the **supply chain**'s score is the sum over every finding
kept. Every score lists its contributions, so the sum can be checked by hand. A score falls in the
highest **band** whose threshold it reaches (the profile's ``bands``); an escalation of the profile
that fires can raise a band (never lower it), and the score says which escalation did.

Each finding gets the step-3 **response** its catalogue entry gives for its severity, raised by any
fired escalation that picked it, with the entry's mitigation measures. Findings whose code the
profile disables are listed as excluded, never silently dropped. The same finding given twice (same
id) counts once.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict

from oresight.core.findings import Finding, FindingCode, Severity, Subject
from oresight.risk.catalogue import AnnexIIRisk, Catalogue, RiskResponse
from oresight.risk.profiles import BandThresholds, Escalation, Profile, RiskBand

SCORE_FORMULA = (
    "points = weight × severity factor × confidence; a score is the sum of its findings' points"
)
POINT_DECIMALS = 6


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Contribution(_Frozen):
    """What one finding adds to a score, with every factor shown."""

    finding_id: str
    code: FindingCode
    subject: Subject
    severity: Severity
    """The severity scored: the profile's override where it sets one, else the rule's."""
    rule_severity: Severity
    """The severity the rule gave."""
    confidence: float
    weight: float
    severity_factor: float
    points: float


class Score(_Frozen):
    """A score, the band it falls in, and the findings that make it up."""

    score: float
    score_band: RiskBand
    """The band of the score alone."""
    band: RiskBand
    """The band after escalations: ``score_band`` or higher."""
    escalated_by: tuple[str, ...] = ()
    """The escalations that raised the band above ``score_band``."""
    contributions: tuple[Contribution, ...] = ()


class SubjectScore(Score):
    """The score of one subject."""

    subject: Subject


class Recommendation(_Frozen):
    """The step-3 response to one finding, and how to mitigate it."""

    finding_id: str
    code: FindingCode
    subject: Subject
    severity: Severity
    title: str
    """The catalogue's title for the code."""
    oecd_step: int
    oecd_annex_ii_risk: tuple[AnnexIIRisk, ...]
    catalogue_response: RiskResponse
    """What the catalogue recommends for this code at this severity."""
    response: RiskResponse
    """The recommendation: ``catalogue_response`` or stronger."""
    escalated_by: tuple[str, ...] = ()
    """The escalations that made ``response`` stronger than ``catalogue_response``."""
    mitigation: tuple[str, ...]


class ExcludedFinding(_Frozen):
    """A finding the profile leaves out of scores and recommendations, and why."""

    finding_id: str
    code: FindingCode
    subject: Subject
    reason: str


class FiredEscalation(_Frozen):
    """An escalation whose rule picked findings."""

    name: str
    description: str
    rule: str
    """The rule, in words."""
    finding_ids: tuple[str, ...]


class RiskAssessment(_Frozen):
    """The scores, bands and recommendations of one set of findings under one profile."""

    profile: str
    profile_title: str
    profile_source: str
    catalogue_source: str
    formula: str = SCORE_FORMULA
    supply_chain: Score
    subjects: tuple[SubjectScore, ...]
    """Most serious first: by band, then score."""
    recommendations: tuple[Recommendation, ...]
    """Strongest response first, then most severe."""
    escalations: tuple[FiredEscalation, ...]
    excluded: tuple[ExcludedFinding, ...]
    strongest_response: RiskResponse | None
    """The strongest response recommended for any finding; none without findings."""


@dataclass(frozen=True, slots=True)
class _Scored:
    finding: Finding
    """With the profile's severity override applied."""
    contribution: Contribution


def score_findings(
    findings: Iterable[Finding], profile: Profile, *, catalogue: Catalogue
) -> RiskAssessment:
    """Score ``findings`` under ``profile``, with recommendations from ``catalogue``."""
    scored, excluded = _apply_profile(_unique(findings), profile, catalogue)
    kept = [item.finding for item in scored]
    fired = [(escalation, escalation.when.select(kept)) for escalation in profile.escalations]
    fired = [(escalation, picked) for escalation, picked in fired if picked]
    recommendations = [_recommend(item.finding, fired, catalogue) for item in scored]
    return RiskAssessment(
        profile=profile.name,
        profile_title=profile.title,
        profile_source=profile.source,
        catalogue_source=catalogue.source,
        supply_chain=_supply_chain_score(scored, fired, profile.bands.supply_chain),
        subjects=_subject_scores(scored, fired, profile.bands.subject),
        recommendations=tuple(sorted(recommendations, key=_recommendation_order)),
        escalations=tuple(
            FiredEscalation(
                name=escalation.name,
                description=escalation.description,
                rule=escalation.when.describe(),
                finding_ids=tuple(f.id for f in picked),
            )
            for escalation, picked in fired
        ),
        excluded=tuple(sorted(excluded, key=lambda e: (e.code.value, e.subject.id, e.finding_id))),
        strongest_response=max(
            (r.response for r in recommendations), key=lambda r: r.rank, default=None
        ),
    )


def _unique(findings: Iterable[Finding]) -> list[Finding]:
    seen: dict[str, Finding] = {}
    for finding in findings:
        seen.setdefault(finding.id, finding)
    return list(seen.values())


def _apply_profile(
    findings: Sequence[Finding], profile: Profile, catalogue: Catalogue
) -> tuple[list[_Scored], list[ExcludedFinding]]:
    scored: list[_Scored] = []
    excluded: list[ExcludedFinding] = []
    for finding in findings:
        setting = profile.setting_for(finding.code)
        if not setting.enabled:
            reason = f"code {finding.code.value} is disabled by profile {profile.name}"
            note = profile.codes[finding.code].note
            excluded.append(
                ExcludedFinding(
                    finding_id=finding.id,
                    code=finding.code,
                    subject=finding.subject,
                    reason=f"{reason}: {note}" if note else reason,
                )
            )
            continue
        catalogue.entry(finding.code)  # a catalogue without the code is refused here, by name
        severity = setting.severity or finding.severity
        effective = finding.model_copy(update={"severity": severity})
        factor = profile.severity_factors.factor(severity)
        contribution = Contribution(
            finding_id=finding.id,
            code=finding.code,
            subject=finding.subject,
            severity=severity,
            rule_severity=finding.severity,
            confidence=finding.confidence,
            weight=setting.weight,
            severity_factor=factor,
            points=round(setting.weight * factor * finding.confidence, POINT_DECIMALS),
        )
        scored.append(_Scored(effective, contribution))
    return scored, excluded


def _recommend(
    finding: Finding,
    fired: Sequence[tuple[Escalation, tuple[Finding, ...]]],
    catalogue: Catalogue,
) -> Recommendation:
    entry = catalogue.entry(finding.code)
    base = entry.recommendation.response_for(finding.severity)
    response = base
    raised_by: list[str] = []
    for escalation, picked in fired:
        if escalation.response is None or finding.id not in {f.id for f in picked}:
            continue
        if escalation.response.rank > base.rank:
            raised_by.append(escalation.name)
        response = response.at_least(escalation.response)
    return Recommendation(
        finding_id=finding.id,
        code=finding.code,
        subject=finding.subject,
        severity=finding.severity,
        title=entry.title,
        oecd_step=entry.oecd_step,
        oecd_annex_ii_risk=entry.oecd_annex_ii_risk,
        catalogue_response=base,
        response=response,
        escalated_by=tuple(raised_by),
        mitigation=entry.recommendation.mitigation,
    )


def _banded(
    contributions: Sequence[Contribution],
    thresholds: BandThresholds,
    floors: Sequence[tuple[str, RiskBand]],
) -> tuple[float, RiskBand, RiskBand, tuple[str, ...]]:
    score = round(math.fsum(c.points for c in contributions), POINT_DECIMALS)
    score_band = thresholds.band_for(score)
    band = score_band
    for _, floor in floors:
        band = band.at_least(floor)
    raised_by = tuple(name for name, floor in floors if floor.rank > score_band.rank)
    return score, score_band, band, raised_by


def _ordered(contributions: Iterable[Contribution]) -> tuple[Contribution, ...]:
    return tuple(sorted(contributions, key=lambda c: (-c.points, c.code.value, c.finding_id)))


def _supply_chain_score(
    scored: Sequence[_Scored],
    fired: Sequence[tuple[Escalation, tuple[Finding, ...]]],
    thresholds: BandThresholds,
) -> Score:
    contributions = _ordered(item.contribution for item in scored)
    floors = [(e.name, e.supply_chain_band) for e, _ in fired if e.supply_chain_band is not None]
    score, score_band, band, raised_by = _banded(contributions, thresholds, floors)
    return Score(
        score=score,
        score_band=score_band,
        band=band,
        escalated_by=raised_by,
        contributions=contributions,
    )


def _subject_scores(
    scored: Sequence[_Scored],
    fired: Sequence[tuple[Escalation, tuple[Finding, ...]]],
    thresholds: BandThresholds,
) -> tuple[SubjectScore, ...]:
    groups: dict[tuple[str, str], list[_Scored]] = {}
    for item in scored:
        groups.setdefault(_key(item.finding.subject), []).append(item)
    results: list[SubjectScore] = []
    for key, items in groups.items():
        floors = [
            (escalation.name, escalation.subject_band)
            for escalation, picked in fired
            if escalation.subject_band is not None and any(_key(f.subject) == key for f in picked)
        ]
        contributions = _ordered(item.contribution for item in items)
        score, score_band, band, raised_by = _banded(contributions, thresholds, floors)
        results.append(
            SubjectScore(
                subject=_labelled(items),
                score=score,
                score_band=score_band,
                band=band,
                escalated_by=raised_by,
                contributions=contributions,
            )
        )
    results.sort(key=lambda s: (-s.band.rank, -s.score, s.subject.type.value, s.subject.id))
    return tuple(results)


def _key(subject: Subject) -> tuple[str, str]:
    return (subject.type.value, subject.id)


def _labelled(items: Sequence[_Scored]) -> Subject:
    subject = items[0].finding.subject
    label = next((i.finding.subject.label for i in items if i.finding.subject.label), None)
    return Subject(type=subject.type, id=subject.id, label=label)


def _recommendation_order(recommendation: Recommendation) -> tuple[int, int, str, str, str]:
    return (
        -recommendation.response.rank,
        -recommendation.severity.rank,
        recommendation.code.value,
        recommendation.subject.id,
        recommendation.finding_id,
    )


__all__ = [
    "POINT_DECIMALS",
    "SCORE_FORMULA",
    "Contribution",
    "ExcludedFinding",
    "FiredEscalation",
    "Recommendation",
    "RiskAssessment",
    "Score",
    "SubjectScore",
    "score_findings",
]

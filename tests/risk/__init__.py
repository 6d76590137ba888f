"""Tests of the risk engine: catalogue, rules, profiles and scoring.

The builders below make the smallest findings and profiles a test needs; each test states the
numbers that matter to it.
"""

from __future__ import annotations

from typing import Any

from oresight.core.findings import (
    Evidence,
    EvidenceKind,
    Finding,
    FindingCode,
    Severity,
    Subject,
    SubjectType,
)
from oresight.risk.profiles import Profile


def finding(
    code: FindingCode,
    subject_id: str = "lot:1",
    *,
    subject_type: SubjectType = SubjectType.LOT,
    severity: Severity = Severity.HIGH,
    confidence: float = 1.0,
    evidence_id: str = "e1",
    label: str | None = None,
) -> Finding:
    """A finding about one subject; its id differs with code, subject and evidence id."""
    return Finding(
        code=code,
        subject=Subject(type=subject_type, id=subject_id, label=label),
        severity=severity,
        confidence=confidence,
        title=f"{code.value} on {subject_id}",
        explanation=f"Test finding {code.value} about {subject_id}.",
        evidence=(Evidence(kind=EvidenceKind.EVENT, id=evidence_id),),
        rule="test.rule",
        rule_version="1",
    )


def profile_data(**fields: Any) -> dict[str, Any]:
    """The raw form of a minimal profile, with ``fields`` set on top."""
    data: dict[str, Any] = {
        "format": "oresight.risk-profile",
        "version": 1,
        "name": "test-profile",
        "title": "Test profile",
        "description": "A profile for tests.",
    }
    data.update(fields)
    return data


def profile(**fields: Any) -> Profile:
    """A minimal valid profile (default weights, factors 1/2/4/8, default bands) plus ``fields``."""
    return Profile.model_validate(profile_data(**fields))

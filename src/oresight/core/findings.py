"""Findings: one red flag about one subject, with the evidence and the rule that raised it.

A finding's codes are stable (see docs/findings.md). Its id is derived from the code, the subject,
the rule and the evidence, so that assessing the same data twice yields the same findings.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, computed_field, field_validator


class FindingCode(StrEnum):
    """The stable finding codes of DESIGN.md."""

    CUSTODY_BROKEN_CHAIN = "CUSTODY.BROKEN_CHAIN"
    CUSTODY_MASS_BALANCE = "CUSTODY.MASS_BALANCE"
    CUSTODY_TAG_REUSE = "CUSTODY.TAG_REUSE"
    CUSTODY_IMPOSSIBLE_TRAVEL = "CUSTODY.IMPOSSIBLE_TRAVEL"
    CUSTODY_ORIGIN_OVERPRODUCTION = "CUSTODY.ORIGIN_OVERPRODUCTION"
    CUSTODY_UNLICENSED_ORIGIN = "CUSTODY.UNLICENSED_ORIGIN"
    SITE_PROTECTED_AREA_ORIGIN = "SITE.PROTECTED_AREA_ORIGIN"
    ORIGIN_CAHRA = "ORIGIN.CAHRA"
    ORIGIN_TRANSIT_COUNTRY = "ORIGIN.TRANSIT_COUNTRY"
    PARTY_SANCTIONED = "PARTY.SANCTIONED"
    PARTY_SANCTIONED_OWNER = "PARTY.SANCTIONED_OWNER"
    PARTY_RED_FLAG_LOCATION_INTEREST = "PARTY.RED_FLAG_LOCATION_INTEREST"
    TRADE_MIRROR_GAP = "TRADE.MIRROR_GAP"
    TRADE_PRICE_ANOMALY = "TRADE.PRICE_ANOMALY"
    TRADE_EXPORTS_EXCEED_PRODUCTION = "TRADE.EXPORTS_EXCEED_PRODUCTION"
    TRADE_ROUTE_SHIFT = "TRADE.ROUTE_SHIFT"
    SITE_NO_ACTIVITY = "SITE.NO_ACTIVITY"
    SITE_MINING_OUTSIDE_CONCESSION = "SITE.MINING_OUTSIDE_CONCESSION"
    SITE_MINING_IN_PROTECTED_AREA = "SITE.MINING_IN_PROTECTED_AREA"
    SITE_NEW_DISTURBANCE = "SITE.NEW_DISTURBANCE"


class Severity(StrEnum):
    """How serious a finding is; ordered low < medium < high < critical."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        """0 for low up to 3 for critical."""
        return list(Severity).index(self)

    def at_least(self, other: Severity) -> bool:
        """Whether this severity is ``other`` or more serious."""
        return self.rank >= other.rank


class SubjectType(StrEnum):
    """What a finding is about."""

    LOT = "lot"
    PARTY = "party"
    SITE = "site"
    FACILITY = "facility"
    COUNTRY = "country"
    TRADE_FLOW = "trade_flow"
    EVENT = "event"


class Subject(BaseModel):
    """The one thing a finding is about."""

    model_config = ConfigDict(frozen=True)

    type: SubjectType
    id: str = Field(min_length=1)
    label: str | None = None


class EvidenceKind(StrEnum):
    """What a piece of evidence points at."""

    EVENT = "event"
    SITE = "site"
    PARTY = "party"
    LIST_ENTRY = "list_entry"
    TRADE_ROW = "trade_row"
    IMAGE = "image"
    LOT = "lot"


class Evidence(BaseModel):
    """A reference to the record that supports a finding, with what it shows."""

    model_config = ConfigDict(frozen=True)

    kind: EvidenceKind
    id: str = Field(min_length=1)
    note: str = ""
    """What this record shows, in a sentence."""
    data: dict[str, Any] = Field(default_factory=dict)
    """The figures taken from the record (times, quantities, licence dates, scores)."""


class Period(BaseModel):
    """The time span a finding covers."""

    model_config = ConfigDict(frozen=True)

    start: datetime | None = None
    end: datetime | None = None

    @field_validator("start", "end")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("a finding's period must carry a UTC offset")
        return value


class Finding(BaseModel):
    """One red flag about one subject, explained, with its evidence."""

    model_config = ConfigDict(frozen=True)

    code: FindingCode
    subject: Subject
    severity: Severity
    confidence: float = Field(ge=0, le=1)
    title: str = Field(min_length=1)
    explanation: str = Field(min_length=1)
    evidence: tuple[Evidence, ...] = Field(min_length=1)
    rule: str = Field(min_length=1)
    rule_version: str = Field(min_length=1)
    period: Period = Field(default_factory=Period)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def id(self) -> str:
        """A stable id: the same code, subject, rule and evidence always give the same id."""
        key = {
            "code": self.code.value,
            "subject": [self.subject.type.value, self.subject.id],
            "rule": [self.rule, self.rule_version],
            "evidence": sorted(f"{e.kind.value}:{e.id}" for e in self.evidence),
        }
        digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()
        return f"f-{digest[:20]}"


class DataGap(BaseModel):
    """A check a rule could not make for lack of data: reported, never a silent pass."""

    model_config = ConfigDict(frozen=True)

    rule: str = Field(min_length=1)
    missing: str = Field(min_length=1)
    """The data that was missing, named as the user would look for it (a field, a table, a file)."""
    explanation: str = Field(min_length=1)
    """What could not be checked, and what to supply so that it can be."""
    subject: Subject | None = None


class RuleOutcome(BaseModel):
    """What one rule produced over the data it was given: findings, and checks it could not make."""

    model_config = ConfigDict(frozen=True)

    findings: tuple[Finding, ...] = ()
    gaps: tuple[DataGap, ...] = ()

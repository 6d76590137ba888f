"""Composable risk rules: which findings of an assessment a profile's escalation applies to.

A rule picks findings out of a collection (``select``); it *fires* when it picks at least one.
Simple rules test one finding at a time (its code, code family, severity, subject type,
confidence); ``CountAtLeast`` looks at groups ("at least 2 distinct custody codes on one subject");
``OnSubjectsWith`` widens a selection to every finding about the same subjects; ``AllOf``,
``AnyOf`` and ``Not`` combine rules as set operations on the findings they pick:

- ``AllOf`` picks the findings that every one of its rules picks (each rule sees all findings);
- ``AnyOf`` picks the findings that at least one of its rules picks;
- ``Not`` picks the findings its rule does not pick.

An empty ``AllOf`` would pick every finding and an empty ``AnyOf`` none, silently; both are refused.

Rules are written in profiles as YAML mappings with one key naming the kind (``code``,
``code_family``, ``severity_at_least``, ``subject_type``, ``confidence_at_least``, ``all_of``,
``any_of``, ``not``, ``on_subjects_with``, ``count_at_least``);
:func:`oresight.risk.rule_specs.parse_rule` reads them and ``to_spec`` writes them back (both
``parse_rule`` and ``RULE_KINDS`` can still be imported from here). Selections keep the order of
the findings given.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from oresight.core.errors import InvalidInput
from oresight.core.findings import Finding, FindingCode, Severity, SubjectType

if TYPE_CHECKING:
    from oresight.risk.rule_specs import RULE_KINDS, parse_rule

CODE_FAMILIES = frozenset(code.value.split(".", 1)[0] for code in FindingCode)
"""The families of finding codes: the part before the first dot (``CUSTODY``, ``PARTY``, ...)."""


@runtime_checkable
class RiskRule(Protocol):
    """A rule that picks the findings it applies to."""

    def select(self, findings: Sequence[Finding]) -> tuple[Finding, ...]:
        """The findings this rule picks, in their given order; empty when it does not fire."""
        ...

    def describe(self) -> str:
        """The rule in a short sentence, for reports."""
        ...

    def to_spec(self) -> dict[str, Any]:
        """The rule as written in a profile (a JSON-able mapping)."""
        ...


def fires(rule: RiskRule, findings: Sequence[Finding]) -> bool:
    """Whether ``rule`` picks at least one of ``findings``."""
    return bool(rule.select(findings))


def _keep(findings: Sequence[Finding], test: Callable[[Finding], bool]) -> tuple[Finding, ...]:
    return tuple(finding for finding in findings if test(finding))


@dataclass(frozen=True, slots=True)
class CodeIs:
    """Findings with this code."""

    code: FindingCode

    def select(self, findings: Sequence[Finding]) -> tuple[Finding, ...]:
        """The findings with this code."""
        return _keep(findings, lambda f: f.code is self.code)

    def describe(self) -> str:
        """The rule in words."""
        return f"code is {self.code.value}"

    def to_spec(self) -> dict[str, Any]:
        """The rule as written in a profile."""
        return {"code": self.code.value}


@dataclass(frozen=True, slots=True)
class CodeFamilyIs:
    """Findings whose code is of this family (``CUSTODY`` takes every ``CUSTODY.*`` code)."""

    family: str

    def __post_init__(self) -> None:
        if self.family not in CODE_FAMILIES:
            raise InvalidInput(
                f"unknown code family {self.family!r}; families are "
                f"{', '.join(sorted(CODE_FAMILIES))}"
            )

    def select(self, findings: Sequence[Finding]) -> tuple[Finding, ...]:
        """The findings whose code is of this family."""
        prefix = self.family + "."
        return _keep(findings, lambda f: f.code.value.startswith(prefix))

    def describe(self) -> str:
        """The rule in words."""
        return f"code is a {self.family}.* code"

    def to_spec(self) -> dict[str, Any]:
        """The rule as written in a profile."""
        return {"code_family": self.family}


@dataclass(frozen=True, slots=True)
class SeverityAtLeast:
    """Findings of this severity or more serious."""

    severity: Severity

    def select(self, findings: Sequence[Finding]) -> tuple[Finding, ...]:
        """The findings at least this severe."""
        return _keep(findings, lambda f: f.severity.at_least(self.severity))

    def describe(self) -> str:
        """The rule in words."""
        return f"severity is {self.severity.value} or more"

    def to_spec(self) -> dict[str, Any]:
        """The rule as written in a profile."""
        return {"severity_at_least": self.severity.value}


@dataclass(frozen=True, slots=True)
class SubjectTypeIs:
    """Findings about this kind of subject."""

    subject_type: SubjectType

    def select(self, findings: Sequence[Finding]) -> tuple[Finding, ...]:
        """The findings about this kind of subject."""
        return _keep(findings, lambda f: f.subject.type is self.subject_type)

    def describe(self) -> str:
        """The rule in words."""
        return f"subject is a {self.subject_type.value}"

    def to_spec(self) -> dict[str, Any]:
        """The rule as written in a profile."""
        return {"subject_type": self.subject_type.value}


@dataclass(frozen=True, slots=True)
class ConfidenceAtLeast:
    """Findings whose rule is at least this sure of them (0 to 1)."""

    confidence: float

    def __post_init__(self) -> None:
        if not 0 <= self.confidence <= 1:
            raise InvalidInput(f"a confidence lies between 0 and 1, found {self.confidence}")

    def select(self, findings: Sequence[Finding]) -> tuple[Finding, ...]:
        """The findings at least this confident."""
        return _keep(findings, lambda f: f.confidence >= self.confidence)

    def describe(self) -> str:
        """The rule in words."""
        return f"confidence is {self.confidence:g} or more"

    def to_spec(self) -> dict[str, Any]:
        """The rule as written in a profile."""
        return {"confidence_at_least": self.confidence}


def _refuse_empty(kind: str, rules: tuple[RiskRule, ...]) -> None:
    if not rules:
        effect = "every finding" if kind == "all_of" else "no finding"
        raise InvalidInput(
            f"{kind} needs at least one rule: an empty {kind} would silently match {effect}",
            field=kind,
        )


@dataclass(frozen=True, slots=True)
class AllOf:
    """The findings that every one of ``rules`` picks; refuses an empty list."""

    rules: tuple[RiskRule, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "rules", tuple(self.rules))
        _refuse_empty("all_of", self.rules)

    def select(self, findings: Sequence[Finding]) -> tuple[Finding, ...]:
        """The findings every rule picks."""
        picked = [{f.id for f in rule.select(findings)} for rule in self.rules]
        common = set.intersection(*picked)
        return _keep(findings, lambda f: f.id in common)

    def describe(self) -> str:
        """The rule in words."""
        return "all of (" + "; ".join(rule.describe() for rule in self.rules) + ")"

    def to_spec(self) -> dict[str, Any]:
        """The rule as written in a profile."""
        return {"all_of": [rule.to_spec() for rule in self.rules]}


@dataclass(frozen=True, slots=True)
class AnyOf:
    """The findings that at least one of ``rules`` picks; refuses an empty list."""

    rules: tuple[RiskRule, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "rules", tuple(self.rules))
        _refuse_empty("any_of", self.rules)

    def select(self, findings: Sequence[Finding]) -> tuple[Finding, ...]:
        """The findings some rule picks."""
        picked = set().union(*({f.id for f in rule.select(findings)} for rule in self.rules))
        return _keep(findings, lambda f: f.id in picked)

    def describe(self) -> str:
        """The rule in words."""
        return "any of (" + "; ".join(rule.describe() for rule in self.rules) + ")"

    def to_spec(self) -> dict[str, Any]:
        """The rule as written in a profile."""
        return {"any_of": [rule.to_spec() for rule in self.rules]}


@dataclass(frozen=True, slots=True)
class Not:
    """The findings that ``rule`` does not pick."""

    rule: RiskRule

    def select(self, findings: Sequence[Finding]) -> tuple[Finding, ...]:
        """The findings the inner rule leaves out."""
        picked = {f.id for f in self.rule.select(findings)}
        return _keep(findings, lambda f: f.id not in picked)

    def describe(self) -> str:
        """The rule in words."""
        return f"not ({self.rule.describe()})"

    def to_spec(self) -> dict[str, Any]:
        """The rule as written in a profile."""
        return {"not": self.rule.to_spec()}


@dataclass(frozen=True, slots=True)
class OnSubjectsWith:
    """Every finding about a subject for which ``rule`` picks at least one finding.

    It widens a selection to whole subjects, so that ``AllOf`` can ask for subjects that carry
    two different red flags (a lot with both a CAHRA origin and a custody breach).
    """

    rule: RiskRule

    def select(self, findings: Sequence[Finding]) -> tuple[Finding, ...]:
        """The findings of the subjects the inner rule picks something about."""
        subjects = {_subject_key(f) for f in self.rule.select(findings)}
        return _keep(findings, lambda f: _subject_key(f) in subjects)

    def describe(self) -> str:
        """The rule in words."""
        return f"about a subject with a finding where {self.rule.describe()}"

    def to_spec(self) -> dict[str, Any]:
        """The rule as written in a profile."""
        return {"on_subjects_with": self.rule.to_spec()}


def _subject_key(finding: Finding) -> tuple[str, str]:
    return (finding.subject.type.value, finding.subject.id)


class Distinct(StrEnum):
    """What ``CountAtLeast`` counts among the findings its rule picks."""

    FINDINGS = "findings"
    CODES = "codes"
    SUBJECTS = "subjects"


class Per(StrEnum):
    """Where ``CountAtLeast`` counts: over the whole assessment, or within each subject."""

    ASSESSMENT = "assessment"
    SUBJECT = "subject"


@dataclass(frozen=True, slots=True)
class CountAtLeast:
    """At least ``count`` findings (or distinct codes, or subjects) among those ``of`` picks.

    With ``per=subject`` the count is made within each subject separately, and the findings of
    the subjects that reach it are picked; with ``per=assessment`` over all of them together.
    """

    count: int
    of: RiskRule
    distinct: Distinct = Distinct.FINDINGS
    per: Per = Per.ASSESSMENT

    def __post_init__(self) -> None:
        if isinstance(self.count, bool) or not isinstance(self.count, int) or self.count < 1:
            raise InvalidInput(
                f"count_at_least takes a whole number of 1 or more, found {self.count!r}",
                field="count_at_least",
            )

    def select(self, findings: Sequence[Finding]) -> tuple[Finding, ...]:
        """The picked findings of every group that reaches the count."""
        picked = self.of.select(findings)
        groups: dict[tuple[str, str], list[Finding]] = defaultdict(list)
        for finding in picked:
            key = _subject_key(finding) if self.per is Per.SUBJECT else ("", "")
            groups[key].append(finding)
        chosen = {f.id for group in groups.values() if self._reaches(group) for f in group}
        return _keep(findings, lambda f: f.id in chosen)

    def _reaches(self, group: list[Finding]) -> bool:
        if self.distinct is Distinct.CODES:
            counted = len({f.code for f in group})
        elif self.distinct is Distinct.SUBJECTS:
            counted = len({_subject_key(f) for f in group})
        else:
            counted = len({f.id for f in group})
        return counted >= self.count

    def describe(self) -> str:
        """The rule in words."""
        where = " on one subject" if self.per is Per.SUBJECT else ""
        what = {"findings": "findings", "codes": "distinct codes", "subjects": "subjects"}
        return (
            f"at least {self.count} {what[self.distinct.value]}{where} "
            f"among findings where {self.of.describe()}"
        )

    def to_spec(self) -> dict[str, Any]:
        """The rule as written in a profile."""
        return {
            "count_at_least": self.count,
            "distinct": self.distinct.value,
            "per": self.per.value,
            "of": self.of.to_spec(),
        }


# -- reading rules from profiles ------------------------------------------------------------------

_MOVED_TO_RULE_SPECS = frozenset({"RULE_KINDS", "parse_rule"})


def __getattr__(name: str) -> Any:
    """``parse_rule`` and ``RULE_KINDS``, which now live in :mod:`oresight.risk.rule_specs`.

    They are fetched on first use instead of imported above: ``rule_specs`` builds on the rules
    of this module, so importing it here would make the two modules import each other.
    """
    if name in _MOVED_TO_RULE_SPECS:
        from oresight.risk import rule_specs

        return getattr(rule_specs, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "CODE_FAMILIES",
    "RULE_KINDS",
    "AllOf",
    "AnyOf",
    "CodeFamilyIs",
    "CodeIs",
    "ConfidenceAtLeast",
    "CountAtLeast",
    "Distinct",
    "Not",
    "OnSubjectsWith",
    "Per",
    "RiskRule",
    "SeverityAtLeast",
    "SubjectTypeIs",
    "fires",
    "parse_rule",
]

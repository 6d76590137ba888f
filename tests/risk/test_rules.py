"""Composable risk rules: what each picks, how they combine, and how profiles write them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from oresight.core.errors import InvalidInput
from oresight.core.findings import FindingCode, Severity, SubjectType
from oresight.risk.rules import (
    RULE_KINDS,
    AllOf,
    AnyOf,
    CodeFamilyIs,
    CodeIs,
    ConfidenceAtLeast,
    CountAtLeast,
    Distinct,
    Not,
    OnSubjectsWith,
    Per,
    SeverityAtLeast,
    SubjectTypeIs,
    fires,
    parse_rule,
)
from tests.risk import finding

BROKEN = finding(FindingCode.CUSTODY_BROKEN_CHAIN, "lot:a", severity=Severity.HIGH)
TRAVEL = finding(FindingCode.CUSTODY_IMPOSSIBLE_TRAVEL, "lot:a", severity=Severity.MEDIUM)
TRAVEL_AGAIN = finding(
    FindingCode.CUSTODY_IMPOSSIBLE_TRAVEL, "lot:a", severity=Severity.MEDIUM, evidence_id="e2"
)
REUSE_B = finding(FindingCode.CUSTODY_TAG_REUSE, "lot:b", severity=Severity.CRITICAL)
CAHRA_A = finding(FindingCode.ORIGIN_CAHRA, "lot:a", severity=Severity.MEDIUM, confidence=0.6)
CAHRA_C = finding(FindingCode.ORIGIN_CAHRA, "lot:c", severity=Severity.MEDIUM)
SANCTIONED = finding(
    FindingCode.PARTY_SANCTIONED,
    "party:x",
    subject_type=SubjectType.PARTY,
    severity=Severity.CRITICAL,
    confidence=0.9,
)
ALL = (BROKEN, TRAVEL, REUSE_B, CAHRA_A, CAHRA_C, SANCTIONED)


def _codes(rule: Any, findings: Any = ALL) -> list[str]:
    return [f"{f.code.value}@{f.subject.id}" for f in rule.select(findings)]


# -- simple rules -----------------------------------------------------------------------------


def test_simple_rules_pick_the_findings_that_pass_in_the_order_given() -> None:
    assert _codes(CodeIs(FindingCode.ORIGIN_CAHRA)) == ["ORIGIN.CAHRA@lot:a", "ORIGIN.CAHRA@lot:c"]
    assert _codes(CodeFamilyIs("CUSTODY")) == [
        "CUSTODY.BROKEN_CHAIN@lot:a",
        "CUSTODY.IMPOSSIBLE_TRAVEL@lot:a",
        "CUSTODY.TAG_REUSE@lot:b",
    ]
    assert _codes(SeverityAtLeast(Severity.HIGH)) == [
        "CUSTODY.BROKEN_CHAIN@lot:a",
        "CUSTODY.TAG_REUSE@lot:b",
        "PARTY.SANCTIONED@party:x",
    ]
    assert _codes(SubjectTypeIs(SubjectType.PARTY)) == ["PARTY.SANCTIONED@party:x"]
    assert _codes(ConfidenceAtLeast(0.9)) == [
        "CUSTODY.BROKEN_CHAIN@lot:a",
        "CUSTODY.IMPOSSIBLE_TRAVEL@lot:a",
        "CUSTODY.TAG_REUSE@lot:b",
        "ORIGIN.CAHRA@lot:c",
        "PARTY.SANCTIONED@party:x",
    ]


def test_a_rule_that_picks_nothing_does_not_fire() -> None:
    assert not fires(CodeIs(FindingCode.TRADE_MIRROR_GAP), ALL)
    assert fires(CodeIs(FindingCode.PARTY_SANCTIONED), ALL)
    assert not fires(SeverityAtLeast(Severity.LOW), [])


def test_an_unknown_code_family_is_refused_listing_the_families() -> None:
    with pytest.raises(InvalidInput, match="CUSTODY, ORIGIN, PARTY, SITE, TRADE"):
        CodeFamilyIs("CUST")


@pytest.mark.parametrize("confidence", [-0.1, 1.5])
def test_a_confidence_outside_0_to_1_is_refused(confidence: float) -> None:
    with pytest.raises(InvalidInput, match="between 0 and 1"):
        ConfidenceAtLeast(confidence)


# -- combinations -----------------------------------------------------------------------------


def test_all_of_picks_what_every_rule_picks() -> None:
    rule = AllOf((CodeFamilyIs("CUSTODY"), SeverityAtLeast(Severity.HIGH)))
    assert _codes(rule) == ["CUSTODY.BROKEN_CHAIN@lot:a", "CUSTODY.TAG_REUSE@lot:b"]


def test_any_of_picks_what_some_rule_picks() -> None:
    rule = AnyOf((CodeIs(FindingCode.PARTY_SANCTIONED), CodeIs(FindingCode.CUSTODY_TAG_REUSE)))
    assert _codes(rule) == ["CUSTODY.TAG_REUSE@lot:b", "PARTY.SANCTIONED@party:x"]


def test_not_picks_what_its_rule_leaves() -> None:
    assert _codes(Not(SubjectTypeIs(SubjectType.LOT))) == ["PARTY.SANCTIONED@party:x"]


@pytest.mark.parametrize(("kind", "effect"), [(AllOf, "every finding"), (AnyOf, "no finding")])
def test_an_empty_combination_is_refused_saying_what_it_would_do(kind: Any, effect: str) -> None:
    with pytest.raises(InvalidInput, match=f"at least one rule.*silently match {effect}"):
        kind(())


def test_on_subjects_with_finds_subjects_carrying_two_different_red_flags() -> None:
    rule = AllOf(
        (OnSubjectsWith(CodeIs(FindingCode.ORIGIN_CAHRA)), OnSubjectsWith(CodeFamilyIs("CUSTODY")))
    )
    # lot:a has both a CAHRA origin and custody breaches; lot:b only a breach, lot:c only CAHRA.
    assert _codes(rule) == [
        "CUSTODY.BROKEN_CHAIN@lot:a",
        "CUSTODY.IMPOSSIBLE_TRAVEL@lot:a",
        "ORIGIN.CAHRA@lot:a",
    ]


# -- counting ---------------------------------------------------------------------------------


def test_count_of_distinct_codes_per_subject_picks_only_subjects_that_reach_it() -> None:
    rule = CountAtLeast(2, CodeFamilyIs("CUSTODY"), Distinct.CODES, Per.SUBJECT)
    assert _codes(rule) == ["CUSTODY.BROKEN_CHAIN@lot:a", "CUSTODY.IMPOSSIBLE_TRAVEL@lot:a"]
    assert _codes(rule, [REUSE_B, TRAVEL, TRAVEL_AGAIN]) == []


def test_count_over_the_assessment_counts_across_subjects() -> None:
    rule = CountAtLeast(3, CodeFamilyIs("CUSTODY"), Distinct.CODES, Per.ASSESSMENT)
    assert len(rule.select(ALL)) == 3
    assert CountAtLeast(4, CodeFamilyIs("CUSTODY"), Distinct.CODES).select(ALL) == ()


def test_count_of_findings_codes_and_subjects_differ() -> None:
    twice = [TRAVEL, TRAVEL_AGAIN]
    travel = CodeIs(FindingCode.CUSTODY_IMPOSSIBLE_TRAVEL)
    assert fires(CountAtLeast(2, travel, Distinct.FINDINGS), twice)
    assert not fires(CountAtLeast(2, travel, Distinct.CODES), twice)
    assert not fires(CountAtLeast(2, travel, Distinct.SUBJECTS), twice)
    assert fires(CountAtLeast(2, CodeIs(FindingCode.ORIGIN_CAHRA), Distinct.SUBJECTS), ALL)


@pytest.mark.parametrize("count", [0, -1, True, 1.5])
def test_a_count_must_be_a_whole_number_from_1(count: Any) -> None:
    with pytest.raises(InvalidInput, match="whole number of 1 or more"):
        CountAtLeast(count, CodeFamilyIs("CUSTODY"))


# -- rules as profiles write them -------------------------------------------------------------

SPEC: dict[str, Any] = {
    "any_of": [
        {"all_of": [{"code": "PARTY.SANCTIONED"}, {"severity_at_least": "high"}]},
        {
            "count_at_least": 2,
            "distinct": "codes",
            "per": "subject",
            "of": {"all_of": [{"code_family": "CUSTODY"}, {"subject_type": "lot"}]},
        },
        {"not": {"confidence_at_least": 0.5}},
        {"on_subjects_with": {"code": "ORIGIN.CAHRA"}},
    ]
}


def test_a_written_rule_reads_back_to_the_same_rule_and_spec() -> None:
    rule = parse_rule(SPEC)
    assert rule.to_spec() == SPEC
    assert parse_rule(rule.to_spec()) == rule
    assert "at least 2 distinct codes on one subject" in rule.describe()


def test_a_written_rule_picks_as_its_objects_do() -> None:
    rule = parse_rule({"all_of": [{"code_family": "CUSTODY"}, {"severity_at_least": "high"}]})
    assert rule == AllOf((CodeFamilyIs("CUSTODY"), SeverityAtLeast(Severity.HIGH)))
    assert _codes(rule) == ["CUSTODY.BROKEN_CHAIN@lot:a", "CUSTODY.TAG_REUSE@lot:b"]


@pytest.mark.parametrize(
    ("spec", "field", "message"),
    [
        ({"all_of": []}, "when.all_of", "at least one rule"),
        (
            {"any_of": [{"code": "PARTY.SANCTIONED"}, {"any_of": []}]},
            "when.any_of[1].any_of",
            "at least one rule",
        ),
        (
            {"any_of": [{"code": "PARTY.SANCTIONED"}, {"code": "PARTY.SANCTIONS"}]},
            "when.any_of[1].code",
            "did you mean PARTY.SANCTIONED?",
        ),
        ({"serverity_at_least": "high"}, "when", "did you mean severity_at_least?"),
        ({"code": "PARTY.SANCTIONED", "severity_at_least": "high"}, "when", "exactly one of"),
        ({"code": "PARTY.SANCTIONED", "weight": 2}, "when", "takes no other keys, found weight"),
        ({"severity_at_least": "severe"}, "when.severity_at_least", "not one of low, medium"),
        ({"subject_type": "mine"}, "when.subject_type", "not one of lot, party"),
        ({"code_family": "MINING"}, "when.code_family", "unknown code family"),
        ({"confidence_at_least": "high"}, "when.confidence_at_least", "number from 0 to 1"),
        ({"confidence_at_least": 2}, "when.confidence_at_least", "between 0 and 1"),
        ({"count_at_least": 2}, "when", "needs 'of'"),
        ({"count_at_least": 0, "of": {"code_family": "TRADE"}}, "when.count_at_least", "1 or more"),
        (
            {"count_at_least": 2, "of": {"code_family": "TRADE"}, "per": "lot"},
            "when.per",
            "assessment, subject",
        ),
        ({"all_of": {"code": "PARTY.SANCTIONED"}}, "when.all_of", "expected a list of rules"),
        ({"not": "PARTY.SANCTIONED"}, "when.not", "a rule is a mapping"),
        ("PARTY.SANCTIONED", "when", "a rule is a mapping"),
        (None, "when", "found nothing"),
    ],
)
def test_a_malformed_rule_is_refused_naming_the_path(spec: Any, field: str, message: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_rule(spec)
    assert caught.value.field == field
    assert message in caught.value.message


def test_every_rule_kind_is_documented() -> None:
    docs = (Path(__file__).resolve().parents[2] / "docs" / "risk.md").read_text(encoding="utf-8")
    for kind in RULE_KINDS:
        assert f"`{{{kind}: " in docs, f"rule kind {kind} missing from docs/risk.md"

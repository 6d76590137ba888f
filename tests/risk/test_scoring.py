"""Risk scores add up from their findings, fall in bands, and come with recommendations."""

from __future__ import annotations

import json
import math

import pytest

from oresight.core.errors import InvalidInput
from oresight.core.findings import FindingCode, Severity, SubjectType
from oresight.risk.catalogue import Catalogue, RiskResponse, load_catalogue
from oresight.risk.profiles import RiskBand, load_profile
from oresight.risk.scoring import RiskAssessment, score_findings
from tests.risk import finding, profile

CATALOGUE = load_catalogue()
PARTY = SubjectType.PARTY

MIXED = [
    finding(FindingCode.CUSTODY_BROKEN_CHAIN, "lot:a", severity=Severity.HIGH, confidence=0.9),
    finding(FindingCode.ORIGIN_CAHRA, "lot:a", severity=Severity.MEDIUM, confidence=0.7),
    finding(FindingCode.CUSTODY_TAG_REUSE, "lot:b", severity=Severity.CRITICAL, confidence=0.95),
    finding(
        FindingCode.PARTY_SANCTIONED,
        "party:x",
        severity=Severity.LOW,
        confidence=0.35,
        subject_type=PARTY,
    ),
    finding(
        FindingCode.TRADE_ROUTE_SHIFT,
        "flow:cd-rw",
        subject_type=SubjectType.TRADE_FLOW,
        severity=Severity.LOW,
        confidence=0.5,
    ),
]


def test_a_finding_brings_weight_times_severity_factor_times_confidence() -> None:
    weighted = profile(codes={"ORIGIN.CAHRA": {"weight": 1.5}})
    cahra = finding(FindingCode.ORIGIN_CAHRA, severity=Severity.HIGH, confidence=0.5)
    result = score_findings([cahra], weighted, catalogue=CATALOGUE)
    (contribution,) = result.supply_chain.contributions
    assert (contribution.weight, contribution.severity_factor, contribution.confidence) == (
        1.5,
        4.0,
        0.5,
    )
    assert contribution.points == 3.0
    assert contribution.finding_id == cahra.id
    assert result.subjects[0].score == 3.0
    assert result.formula.startswith("points = weight × severity factor × confidence")


@pytest.mark.parametrize("name", ["oecd-3tg", "oecd-gold", "eu-2017-821", "eu-battery-2023-1542"])
def test_contributions_add_up_to_every_score(name: str) -> None:
    result = score_findings(MIXED, load_profile(name), catalogue=CATALOGUE)
    chain = result.supply_chain
    assert math.isclose(sum(c.points for c in chain.contributions), chain.score, abs_tol=1e-9)
    assert len(chain.contributions) == len(MIXED)
    for subject in result.subjects:
        total = sum(c.points for c in subject.contributions)
        assert math.isclose(total, subject.score, abs_tol=1e-9)
        assert {c.subject.id for c in subject.contributions} == {subject.subject.id}
    assert math.isclose(sum(s.score for s in result.subjects), chain.score, abs_tol=1e-9)


def test_findings_are_grouped_by_subject_most_serious_first() -> None:
    result = score_findings(MIXED, profile(), catalogue=CATALOGUE)
    # lot:b 8 x 0.95 = 7.6 (critical); lot:a 4 x 0.9 + 2 x 0.7 = 5.0 (high);
    # flow 1 x 0.5 = 0.5 (low); party:x, a weak low-severity name match, 1 x 0.35 = 0.35 (low).
    assert [(s.subject.id, s.score, s.band) for s in result.subjects] == [
        ("lot:b", 7.6, RiskBand.CRITICAL),
        ("lot:a", 5.0, RiskBand.HIGH),
        ("flow:cd-rw", 0.5, RiskBand.LOW),
        ("party:x", 0.35, RiskBand.LOW),
    ]
    lot_a = result.subjects[1]
    assert [c.code for c in lot_a.contributions] == [
        FindingCode.CUSTODY_BROKEN_CHAIN,
        FindingCode.ORIGIN_CAHRA,
    ]
    assert result.supply_chain.score == 13.45
    assert result.supply_chain.band is RiskBand.HIGH


@pytest.mark.parametrize(
    ("confidence", "band"),
    [(0.1, RiskBand.LOW), (0.375, RiskBand.MEDIUM), (0.75, RiskBand.HIGH), (1.0, RiskBand.HIGH)],
)
def test_a_score_falls_in_the_highest_band_it_reaches(confidence: float, band: RiskBand) -> None:
    # One high finding: 4 x confidence against thresholds 1.5 / 3 / 6; reaching one counts.
    result = score_findings(
        [finding(FindingCode.CUSTODY_BROKEN_CHAIN, confidence=confidence)],
        profile(),
        catalogue=CATALOGUE,
    )
    assert result.subjects[0].band is band
    assert result.subjects[0].score_band is band


def test_bands_follow_the_profile_thresholds() -> None:
    strict = profile(bands={"subject": {"medium": 0.2, "high": 0.5, "critical": 1}})
    result = score_findings(
        [finding(FindingCode.TRADE_ROUTE_SHIFT, severity=Severity.LOW)], strict, catalogue=CATALOGUE
    )
    assert result.subjects[0].band is RiskBand.CRITICAL


def test_each_finding_gets_the_catalogue_response_for_its_severity_with_measures() -> None:
    result = score_findings(MIXED, profile(), catalogue=CATALOGUE)
    by_code = {r.code: r for r in result.recommendations}
    assert by_code[FindingCode.PARTY_SANCTIONED].response is RiskResponse.TEMPORARY_SUSPENSION
    assert by_code[FindingCode.ORIGIN_CAHRA].response is RiskResponse.CONTINUE_WITH_MITIGATION
    assert by_code[FindingCode.CUSTODY_TAG_REUSE].response is RiskResponse.TEMPORARY_SUSPENSION
    reuse = by_code[FindingCode.CUSTODY_TAG_REUSE]
    entry = CATALOGUE.entry(FindingCode.CUSTODY_TAG_REUSE)
    assert reuse.mitigation == entry.recommendation.mitigation
    assert (reuse.title, reuse.oecd_step) == (entry.title, entry.oecd_step)
    assert reuse.escalated_by == ()
    assert [r.response for r in result.recommendations][:2] == [
        RiskResponse.TEMPORARY_SUSPENSION,
        RiskResponse.TEMPORARY_SUSPENSION,
    ]
    assert result.recommendations[0].severity is Severity.CRITICAL
    assert result.strongest_response is RiskResponse.TEMPORARY_SUSPENSION


def test_an_escalation_raises_response_and_bands_and_names_itself() -> None:
    sanctioned = finding(
        FindingCode.PARTY_SANCTIONED,
        "party:x",
        severity=Severity.HIGH,
        confidence=0.3,
        subject_type=PARTY,
    )
    result = score_findings([sanctioned], load_profile("oecd-3tg"), catalogue=CATALOGUE)
    (recommendation,) = result.recommendations
    assert recommendation.catalogue_response is RiskResponse.DISENGAGE
    assert recommendation.response is RiskResponse.DISENGAGE
    assert recommendation.escalated_by == ()  # the catalogue already said disengage
    (party,) = result.subjects
    assert (party.score, party.score_band, party.band) == (1.2, RiskBand.LOW, RiskBand.CRITICAL)
    assert party.escalated_by == ("sanctioned-party",)
    assert result.supply_chain.band is RiskBand.CRITICAL
    (fired,) = result.escalations
    assert fired.name == "sanctioned-party"
    assert fired.finding_ids == (sanctioned.id,)
    assert "PARTY.SANCTIONED" in fired.rule


def test_an_escalation_never_lowers_a_response() -> None:
    mild = profile(
        escalations=[
            {
                "name": "mild",
                "description": "Asks only for mitigation.",
                "when": {"code": "CUSTODY.TAG_REUSE"},
                "response": "continue_with_mitigation",
                "subject_band": "low",
            }
        ]
    )
    reuse = finding(FindingCode.CUSTODY_TAG_REUSE, severity=Severity.CRITICAL)
    result = score_findings([reuse], mild, catalogue=CATALOGUE)
    assert result.recommendations[0].response is RiskResponse.TEMPORARY_SUSPENSION
    assert result.recommendations[0].escalated_by == ()
    assert result.subjects[0].band is RiskBand.CRITICAL
    assert result.subjects[0].escalated_by == ()
    assert [e.name for e in result.escalations] == ["mild"]


def test_custody_breaches_on_one_lot_raise_the_supply_chain() -> None:
    lot = [
        finding(FindingCode.CUSTODY_BROKEN_CHAIN, "lot:a", severity=Severity.MEDIUM),
        finding(FindingCode.CUSTODY_IMPOSSIBLE_TRAVEL, "lot:a", severity=Severity.MEDIUM),
    ]
    result = score_findings(lot, load_profile("oecd-3tg"), catalogue=CATALOGUE)
    assert result.supply_chain.score_band is RiskBand.MEDIUM
    assert result.supply_chain.band is RiskBand.HIGH
    assert result.supply_chain.escalated_by == ("custody-breaches-on-one-lot",)
    assert {r.response for r in result.recommendations} == {RiskResponse.TEMPORARY_SUSPENSION}
    assert {r.catalogue_response for r in result.recommendations} == {
        RiskResponse.CONTINUE_WITH_MITIGATION
    }


def test_the_same_finding_twice_counts_once() -> None:
    cahra = finding(FindingCode.ORIGIN_CAHRA)
    result = score_findings([cahra, cahra], profile(), catalogue=CATALOGUE)
    assert len(result.supply_chain.contributions) == 1
    assert len(result.recommendations) == 1


def test_no_findings_give_a_zero_low_assessment() -> None:
    result = score_findings([], load_profile("oecd-gold"), catalogue=CATALOGUE)
    assert (result.supply_chain.score, result.supply_chain.band) == (0.0, RiskBand.LOW)
    assert result.subjects == () and result.recommendations == ()
    assert result.strongest_response is None


def test_an_assessment_serializes_to_json_and_back() -> None:
    result = score_findings(MIXED, load_profile("eu-2017-821"), catalogue=CATALOGUE)
    text = result.model_dump_json()
    document = json.loads(text)
    assert document["profile"] == "eu-2017-821"
    assert document["profile_source"] == "bundled:eu-2017-821"
    assert document["subjects"][0]["contributions"][0]["points"] > 0
    assert document["recommendations"][0]["response"] in {r.value for r in RiskResponse}
    assert RiskAssessment.model_validate_json(text) == result


def test_a_catalogue_without_the_code_is_refused_naming_it() -> None:
    entries = {k: v for k, v in CATALOGUE.entries.items() if k != "ORIGIN.CAHRA"}
    partial = Catalogue.model_validate({**CATALOGUE.model_dump(), "entries": entries})
    with pytest.raises(InvalidInput) as caught:
        score_findings([finding(FindingCode.ORIGIN_CAHRA)], profile(), catalogue=partial)
    assert caught.value.record == "entry ORIGIN.CAHRA"


def test_the_worked_example_of_the_docs() -> None:
    findings = [
        finding(FindingCode.CUSTODY_BROKEN_CHAIN, "lot:a", severity=Severity.HIGH, confidence=0.9),
        finding(FindingCode.ORIGIN_CAHRA, "lot:a", severity=Severity.MEDIUM, confidence=0.7),
    ]
    result = score_findings(findings, load_profile("oecd-3tg"), catalogue=CATALOGUE)
    (lot,) = result.subjects
    assert [c.points for c in lot.contributions] == [3.6, 2.1]
    assert (lot.score, lot.score_band, lot.band) == (5.7, RiskBand.HIGH, RiskBand.CRITICAL)
    chain = result.supply_chain
    assert (chain.score, chain.score_band, chain.band) == (5.7, RiskBand.MEDIUM, RiskBand.HIGH)
    assert lot.escalated_by == chain.escalated_by == ("cahra-lot-without-traceable-origin",)
    by_code = {r.code: r for r in result.recommendations}
    assert by_code[FindingCode.CUSTODY_BROKEN_CHAIN].response is RiskResponse.TEMPORARY_SUSPENSION
    cahra = by_code[FindingCode.ORIGIN_CAHRA]
    assert cahra.catalogue_response is RiskResponse.CONTINUE_WITH_MITIGATION
    assert cahra.response is RiskResponse.TEMPORARY_SUSPENSION

"""Risk profiles: bundled ones load, bad ones are refused by field, and profiles change results."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml

from oresight.core.errors import InvalidInput
from oresight.core.findings import FindingCode, Severity, SubjectType
from oresight.risk.catalogue import RiskResponse, load_catalogue
from oresight.risk.profiles import (
    Profile,
    RiskBand,
    bundled_profiles,
    load_profile,
    merge_profiles,
)
from oresight.risk.rules import CodeIs
from oresight.risk.scoring import RiskAssessment, score_findings
from tests.risk import finding, profile, profile_data

BUNDLED = ["eu-2017-821", "eu-battery-2023-1542", "oecd-3tg", "oecd-gold"]


def _write(tmp_path: Path, data: object, name: str = "profile.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def _refused(tmp_path: Path, data: object) -> InvalidInput:
    path = _write(tmp_path, data)
    with pytest.raises(InvalidInput) as caught:
        load_profile(path)
    assert caught.value.file == str(path)
    return caught.value


# -- bundled profiles -------------------------------------------------------------------------


def test_the_four_profiles_are_bundled() -> None:
    assert bundled_profiles() == BUNDLED


@pytest.mark.parametrize("name", BUNDLED)
def test_each_bundled_profile_loads_under_its_own_name(name: str) -> None:
    loaded = load_profile(name)
    assert loaded.name == name
    assert loaded.source == f"bundled:{name}"
    assert loaded.minerals, "a bundled profile says which minerals it is for"
    assert loaded.references, "a bundled profile cites what it follows"
    names = [escalation.name for escalation in loaded.escalations]
    assert "sanctioned-party" in names
    sanctioned = next(e for e in loaded.escalations if e.name == "sanctioned-party")
    assert sanctioned.response is RiskResponse.DISENGAGE
    tolerance = loaded.params_for("custody.mass_balance")["relative_tolerance"]
    assert isinstance(tolerance, float) and 0 < tolerance < 0.1


def test_settings_fall_back_to_the_profile_defaults() -> None:
    loaded = load_profile("eu-2017-821")
    cahra = loaded.setting_for(FindingCode.ORIGIN_CAHRA)
    assert (cahra.enabled, cahra.weight, cahra.severity) == (True, 1.5, None)
    untouched = loaded.setting_for(FindingCode.TRADE_ROUTE_SHIFT)
    assert (untouched.enabled, untouched.weight) == (True, loaded.default_weight)
    assert loaded.setting_for(FindingCode.SITE_NEW_DISTURBANCE).enabled is False
    assert loaded.params_for("screening.nothing") == {}


def test_an_unknown_name_is_refused_listing_the_bundled_profiles() -> None:
    with pytest.raises(InvalidInput) as caught:
        load_profile("oecd-3t")
    message = caught.value.message
    assert "unknown risk profile 'oecd-3t'" in message
    assert "did you mean oecd-3tg?" in message
    assert ", ".join(BUNDLED) in message


def test_a_profile_file_is_loaded_by_path_as_text_or_path(tmp_path: Path) -> None:
    path = _write(tmp_path, profile_data(codes={"ORIGIN.CAHRA": {"weight": 3}}))
    for given in (path, str(path)):
        loaded = load_profile(given)
        assert loaded.source == str(path)
        assert loaded.setting_for(FindingCode.ORIGIN_CAHRA).weight == 3


def test_a_profile_serializes_its_rules_as_written() -> None:
    loaded = load_profile("oecd-3tg")
    dumped = loaded.model_dump(mode="json")
    again = Profile.model_validate(dumped)
    assert again.escalations == loaded.escalations
    assert again.model_dump(mode="json") == dumped
    assert dumped["escalations"][0]["when"]["all_of"][1] == {"severity_at_least": "high"}


# -- malformed profiles -----------------------------------------------------------------------


def test_a_weight_that_is_not_a_number_is_named_with_its_code(tmp_path: Path) -> None:
    error = _refused(tmp_path, profile_data(codes={"ORIGIN.CAHRA": {"weight": "heavy"}}))
    assert (error.record, error.field) == ("code ORIGIN.CAHRA", "weight")
    assert "'heavy'" in error.message


def test_a_negative_weight_is_refused(tmp_path: Path) -> None:
    error = _refused(tmp_path, profile_data(codes={"ORIGIN.CAHRA": {"weight": -1}}))
    assert (error.record, error.field) == ("code ORIGIN.CAHRA", "weight")


def test_an_unknown_code_is_refused_with_a_suggestion(tmp_path: Path) -> None:
    error = _refused(tmp_path, profile_data(codes={"PARTY.SANCTIONS": {"weight": 2}}))
    assert error.record == "code PARTY.SANCTIONS"
    assert "did you mean PARTY.SANCTIONED?" in error.message


def test_a_misspelt_field_is_refused(tmp_path: Path) -> None:
    error = _refused(tmp_path, profile_data(escalation=[]))
    assert error.field == "escalation"
    assert "not a known field" in error.message


def test_a_missing_field_is_named(tmp_path: Path) -> None:
    data = profile_data()
    del data["title"]
    error = _refused(tmp_path, data)
    assert error.field == "title"
    assert "required but missing" in error.message


def test_a_bad_escalation_rule_is_named_with_the_escalation_and_rule_path(tmp_path: Path) -> None:
    escalation = {
        "name": "everything",
        "description": "Escalates on an empty list.",
        "when": {"any_of": [{"code": "PARTY.SANCTIONED"}, {"all_of": []}]},
        "response": "disengage",
    }
    error = _refused(tmp_path, profile_data(escalations=[escalation]))
    assert error.record == "escalation 1 (everything)"
    assert error.field == "when.any_of[1].all_of"
    assert "all_of needs at least one rule" in error.message


def test_an_escalation_without_effect_is_refused(tmp_path: Path) -> None:
    escalation = {"name": "idle", "description": "Does nothing.", "when": {"code": "ORIGIN.CAHRA"}}
    error = _refused(tmp_path, profile_data(escalations=[escalation]))
    assert error.record == "escalation 1 (idle)"
    assert "at least one of response, subject_band, supply_chain_band" in error.message


def test_escalation_names_must_be_unique(tmp_path: Path) -> None:
    escalation = {
        "name": "twice",
        "description": "Same name.",
        "when": {"code": "ORIGIN.CAHRA"},
        "response": "temporary_suspension",
    }
    error = _refused(tmp_path, profile_data(escalations=[escalation, escalation]))
    assert "given twice: twice" in error.message


def test_band_thresholds_must_rise(tmp_path: Path) -> None:
    bands = {"subject": {"medium": 4, "high": 3, "critical": 6}}
    error = _refused(tmp_path, profile_data(bands=bands))
    assert error.field == "bands.subject"
    assert "medium < high < critical" in error.message


def test_severity_factors_must_not_fall(tmp_path: Path) -> None:
    error = _refused(tmp_path, profile_data(severity_factors={"high": 1, "critical": 0.5}))
    assert error.field == "severity_factors"


def test_rule_parameters_must_be_plain_values(tmp_path: Path) -> None:
    params = {"custody.mass_balance": {"relative_tolerance": [1, 2]}}
    error = _refused(tmp_path, profile_data(rule_params=params))
    assert (error.record, error.field) == ("rule custody.mass_balance", "relative_tolerance")
    assert "found list [1, 2]" in error.message


def test_a_missing_profile_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput) as caught:
        load_profile(tmp_path / "mine.yaml")
    assert caught.value.file == str(tmp_path / "mine.yaml")
    assert "not found" in caught.value.message


# -- extending a bundled profile --------------------------------------------------------------


def test_a_short_profile_extends_a_bundled_one_changing_only_what_it_sets(tmp_path: Path) -> None:
    child = {
        "extends": "oecd-3tg",
        "name": "acme-tin",
        "title": "ACME tin policy",
        "codes": {"ORIGIN.CAHRA": {"weight": 2.5}, "SITE.NEW_DISTURBANCE": {"enabled": False}},
        "rule_params": {"custody.mass_balance": {"relative_tolerance": 0.01}},
        "escalations": [
            {
                "name": "custody-breaches-on-one-lot",
                "description": "Our policy: one lot, two breaches, disengage.",
                "when": {
                    "count_at_least": 2,
                    "distinct": "codes",
                    "per": "subject",
                    "of": {"code_family": "CUSTODY"},
                },
                "response": "disengage",
            },
            {
                "name": "any-price-anomaly",
                "description": "Price anomalies suspend.",
                "when": {"code": "TRADE.PRICE_ANOMALY"},
                "response": "temporary_suspension",
            },
        ],
    }
    loaded = load_profile(_write(tmp_path, child))
    base = load_profile("oecd-3tg")
    assert (loaded.name, loaded.extends, loaded.description) == (
        "acme-tin",
        "oecd-3tg",
        base.description,
    )
    assert loaded.setting_for(FindingCode.ORIGIN_CAHRA).weight == 2.5
    assert loaded.setting_for(FindingCode.CUSTODY_TAG_REUSE).weight == 1.5  # inherited
    assert loaded.codes[FindingCode.ORIGIN_CAHRA].note == base.codes[FindingCode.ORIGIN_CAHRA].note
    assert loaded.params_for("custody.mass_balance") == {
        "relative_tolerance": 0.01,  # set here; the rest inherited parameter by parameter
        "absolute_tolerance_kg": 0.1,
        "period": "quarter",
    }
    assert loaded.params_for("custody.impossible_travel") == base.params_for(
        "custody.impossible_travel"
    )
    names = [e.name for e in loaded.escalations]
    assert names == [*(e.name for e in base.escalations), "any-price-anomaly"]
    replaced = loaded.escalations[names.index("custody-breaches-on-one-lot")]
    assert replaced.response is RiskResponse.DISENGAGE


def test_extending_needs_a_bundled_base_and_a_name_of_its_own(tmp_path: Path) -> None:
    error = _refused(tmp_path, {"extends": "oecd-silver", "name": "x"})
    assert error.field == "extends"
    assert "oecd-gold" in error.message
    error = _refused(tmp_path, {"extends": "oecd-gold", "title": "Mine"})
    assert error.field == "name"


def test_merging_replaces_what_is_not_a_mapping() -> None:
    merged = merge_profiles(
        {"minerals": ["tin"], "codes": {"ORIGIN.CAHRA": {"weight": 1, "note": "n"}}},
        {"minerals": ["gold"], "codes": {"ORIGIN.CAHRA": {"weight": 2}}},
    )
    assert merged == {"minerals": ["gold"], "codes": {"ORIGIN.CAHRA": {"weight": 2, "note": "n"}}}


# -- profiles change results ------------------------------------------------------------------


def _assess(name: str, findings: list[Any]) -> RiskAssessment:
    return score_findings(findings, load_profile(name), catalogue=load_catalogue())


def test_protected_area_mining_weighs_more_under_the_battery_regulation() -> None:
    mining = finding(
        FindingCode.SITE_MINING_IN_PROTECTED_AREA,
        "site:pit-7",
        subject_type=SubjectType.SITE,
        severity=Severity.HIGH,
        confidence=0.8,
    )
    three_t = _assess("oecd-3tg", [mining])
    battery = _assess("eu-battery-2023-1542", [mining])
    # 0.75 x 4 x 0.8 = 2.4 under oecd-3tg; 2.0 x 4 x 0.8 = 6.4 under the battery profile, whose
    # protected-area escalation also lifts the chain from medium (by score) to high.
    assert (three_t.subjects[0].score, three_t.subjects[0].band) == (2.4, RiskBand.MEDIUM)
    assert (battery.subjects[0].score, battery.subjects[0].band) == (6.4, RiskBand.CRITICAL)
    assert three_t.supply_chain.band is RiskBand.LOW
    assert battery.supply_chain.score_band is RiskBand.MEDIUM
    assert battery.supply_chain.band is RiskBand.HIGH
    assert battery.supply_chain.escalated_by == ("protected-area-mining",)
    assert three_t.escalations == ()


def test_a_trade_laundering_pattern_suspends_under_the_gold_profile_only() -> None:
    findings = [
        finding(
            code, "flow:ae-ch-7108", subject_type=SubjectType.TRADE_FLOW, severity=Severity.MEDIUM
        )
        for code in (FindingCode.TRADE_PRICE_ANOMALY, FindingCode.TRADE_MIRROR_GAP)
    ]
    gold = _assess("oecd-gold", findings)
    three_t = _assess("oecd-3tg", findings)
    assert {r.response for r in three_t.recommendations} == {RiskResponse.CONTINUE_WITH_MITIGATION}
    assert {r.response for r in gold.recommendations} == {RiskResponse.TEMPORARY_SUSPENSION}
    assert all(r.escalated_by == ("trade-laundering-pattern",) for r in gold.recommendations)
    # Trade codes weigh 1.5 for gold: 2 x (1.5 x 2 x 1) = 6, critical; 2 x (1 x 2 x 1) = 4 for 3T.
    assert (gold.subjects[0].score, gold.subjects[0].band) == (6.0, RiskBand.CRITICAL)
    assert (three_t.subjects[0].score, three_t.subjects[0].band) == (4.0, RiskBand.HIGH)
    assert gold.supply_chain.band is RiskBand.HIGH  # raised from medium by the escalation
    assert three_t.supply_chain.band is RiskBand.MEDIUM


def test_a_disabled_code_is_excluded_and_said_so() -> None:
    disturbance = finding(FindingCode.SITE_NEW_DISTURBANCE, "site:x", subject_type=SubjectType.SITE)
    eu = _assess("eu-2017-821", [disturbance])
    battery = _assess("eu-battery-2023-1542", [disturbance])
    assert eu.subjects == () and eu.recommendations == ()
    (excluded,) = eu.excluded
    assert excluded.finding_id == disturbance.id
    assert "disabled by profile eu-2017-821" in excluded.reason
    assert battery.excluded == ()
    assert battery.subjects[0].score == 4.0


def test_a_severity_override_changes_points_and_response() -> None:
    cahra = finding(FindingCode.ORIGIN_CAHRA, severity=Severity.MEDIUM)
    stern = profile(codes={"ORIGIN.CAHRA": {"severity": "critical"}})
    result = score_findings([cahra], stern, catalogue=load_catalogue())
    (contribution,) = result.supply_chain.contributions
    assert (contribution.severity, contribution.rule_severity) == (
        Severity.CRITICAL,
        Severity.MEDIUM,
    )
    assert contribution.points == 8.0
    assert result.recommendations[0].response is RiskResponse.TEMPORARY_SUSPENSION


def test_escalations_can_be_built_in_code_too() -> None:
    built = profile(
        escalations=[
            {
                "name": "cahra",
                "description": "CAHRA lots go critical.",
                "when": CodeIs(FindingCode.ORIGIN_CAHRA),
                "subject_band": "critical",
            }
        ]
    )
    assert built.escalations[0].when == CodeIs(FindingCode.ORIGIN_CAHRA)
    result = score_findings(
        [finding(FindingCode.ORIGIN_CAHRA, severity=Severity.LOW)],
        built,
        catalogue=load_catalogue(),
    )
    assert result.subjects[0].band is RiskBand.CRITICAL


def _documented_profiles() -> list[str]:
    docs = (Path(__file__).resolve().parents[2] / "docs" / "risk.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```yaml\n(.*?)```", docs, flags=re.DOTALL)
    return [textwrap.dedent(b) for b in blocks if "format: oresight.risk-profile" in b]


def test_the_profiles_shown_in_the_docs_load(tmp_path: Path) -> None:
    documented = _documented_profiles()
    assert len(documented) == 2
    names = []
    for index, text in enumerate(documented):
        path = tmp_path / f"doc-{index}.yaml"
        path.write_text(text, encoding="utf-8")
        names.append(load_profile(path).name)
    assert names == ["ministry-of-mines-cobalt", "acme-tin"]


def test_the_bundled_profiles_are_the_ones_documented() -> None:
    docs = (Path(__file__).resolve().parents[2] / "docs" / "risk.md").read_text(encoding="utf-8")
    for name in bundled_profiles():
        assert f"| `{name}` |" in docs, f"profile {name} missing from docs/risk.md"


def _codes_in(spec: object) -> set[str]:
    if isinstance(spec, dict):
        found = {spec["code"]} if "code" in spec else set()
        return found.union(*(_codes_in(value) for value in spec.values()))
    if isinstance(spec, list):
        return set().union(*(_codes_in(item) for item in spec))
    return set()


@pytest.mark.parametrize("name", BUNDLED)
def test_every_code_a_bundled_profile_uses_is_in_the_catalogue(name: str) -> None:
    loaded = load_profile(name)
    used = {code.value for code in loaded.codes}
    for escalation in loaded.escalations:
        used |= _codes_in(escalation.when.to_spec())
    assert used, "the profile uses codes"
    assert used <= set(load_catalogue().entries)

"""The red-flag catalogue: complete against the finding codes, consistent, and strict when read."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml

from oresight.core.errors import InvalidInput
from oresight.core.findings import FindingCode, Severity
from oresight.risk.catalogue import (
    AnnexIIRisk,
    Catalogue,
    RiskResponse,
    lint_catalogue,
    load_catalogue,
)

ALL_CODES = [code.value for code in FindingCode]


def _bundled_data() -> dict[str, Any]:
    text = resources.files("oresight.risk").joinpath("catalogue.yaml").read_text("utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


def _write(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "catalogue.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def _refused(tmp_path: Path, data: object) -> InvalidInput:
    path = _write(tmp_path, data)
    with pytest.raises(InvalidInput) as caught:
        load_catalogue(path)
    assert caught.value.file == str(path)
    return caught.value


# -- the bundled catalogue --------------------------------------------------------------------


def test_every_finding_code_has_an_entry_and_every_entry_is_a_code() -> None:
    catalogue = load_catalogue()
    assert set(catalogue.entries) == set(ALL_CODES)
    assert lint_catalogue(catalogue, ALL_CODES) == []


def test_the_bundled_catalogue_names_its_source_and_its_documents() -> None:
    catalogue = load_catalogue()
    assert catalogue.source == "oresight/risk/catalogue.yaml"
    assert {"oecd_ddg", "eu_2017_821", "eu_2023_1542", "dodd_frank_1502"} <= set(catalogue.sources)


def test_entries_map_to_the_annex_ii_risks_they_indicate() -> None:
    catalogue = load_catalogue()
    sanctioned = catalogue.entry(FindingCode.PARTY_SANCTIONED)
    assert AnnexIIRisk.MONEY_LAUNDERING in sanctioned.oecd_annex_ii_risk
    cahra = catalogue.entry(FindingCode.ORIGIN_CAHRA)
    assert cahra.oecd_annex_ii_risk[0] is AnnexIIRisk.NON_STATE_ARMED_GROUPS
    assert any("Covered Countries" in ref for ref in cahra.regulations.dodd_frank_1502)
    protected = catalogue.entry(FindingCode.SITE_MINING_IN_PROTECTED_AREA)
    assert "biodiversity" in protected.regulations.eu_2023_1542
    assert all(1 <= entry.oecd_step <= 5 for entry in catalogue.entries.values())


def test_the_response_follows_the_severity_where_the_entry_says_so() -> None:
    guidance = load_catalogue().entry(FindingCode.PARTY_SANCTIONED).recommendation
    assert guidance.response_for(Severity.CRITICAL) is RiskResponse.DISENGAGE
    assert guidance.response_for(Severity.HIGH) is RiskResponse.DISENGAGE
    assert guidance.response_for(Severity.LOW) is RiskResponse.TEMPORARY_SUSPENSION
    cahra = load_catalogue().entry(FindingCode.ORIGIN_CAHRA).recommendation
    assert cahra.response_for(Severity.MEDIUM) is RiskResponse.CONTINUE_WITH_MITIGATION
    assert cahra.response_for(Severity.CRITICAL) is RiskResponse.TEMPORARY_SUSPENSION


def test_an_unknown_code_is_refused_naming_the_code_and_the_catalogue() -> None:
    catalogue = load_catalogue()
    with pytest.raises(InvalidInput) as caught:
        catalogue.entry("CUSTODY.TELEPORT")
    assert caught.value.record == "entry CUSTODY.TELEPORT"
    assert caught.value.file == "oresight/risk/catalogue.yaml"


def test_responses_are_ordered_and_only_ever_raised() -> None:
    mild, middle, strong = list(RiskResponse)
    assert mild.at_least(strong) is strong
    assert strong.at_least(mild) is strong
    assert middle.at_least(middle) is middle


# -- the linter -------------------------------------------------------------------------------


def test_lint_reports_a_code_without_entry_and_an_entry_without_code() -> None:
    catalogue = load_catalogue()
    entries = dict(catalogue.entries)
    moved = entries.pop(FindingCode.TRADE_ROUTE_SHIFT.value)
    entries["TRADE.ROUTE_SHIFTS"] = moved
    problems = lint_catalogue(
        Catalogue.model_validate({**_bundled_data(), "entries": entries}), ALL_CODES
    )
    assert problems == [
        "finding code TRADE.ROUTE_SHIFT has no catalogue entry",
        "entry TRADE.ROUTE_SHIFTS is not a finding code the code base raises "
        "(did you mean TRADE.ROUTE_SHIFT?)",
    ]


def test_lint_reports_thin_guidance_and_guidance_against_annex_ii() -> None:
    data = _bundled_data()
    entry = data["entries"]["ORIGIN.CAHRA"]
    entry["recommendation"]["by_severity"] = {"critical": "continue_with_mitigation"}
    entry["recommendation"]["mitigation"] = ["Ask the supplier."]
    entry["regulations"] = {}
    problems = lint_catalogue(Catalogue.model_validate(data), ALL_CODES)
    assert problems == [
        "entry ORIGIN.CAHRA: regulations cites no regulation at all",
        "entry ORIGIN.CAHRA: recommendation.mitigation has 1 measure(s); give 2 to 4 concrete ones",
        "entry ORIGIN.CAHRA: indicates non_state_armed_groups, serious_abuses but recommends "
        "continue_with_mitigation at critical severity; OECD Annex II asks to suspend or disengage",
    ]


# -- malformed catalogues ---------------------------------------------------------------------


def test_a_missing_field_is_named_with_its_entry(tmp_path: Path) -> None:
    data = _bundled_data()
    del data["entries"]["CUSTODY.BROKEN_CHAIN"]["title"]
    error = _refused(tmp_path, data)
    assert error.record == "entry CUSTODY.BROKEN_CHAIN"
    assert error.field == "title"
    assert "required but missing" in error.message
    assert "entry CUSTODY.BROKEN_CHAIN: field 'title'" in str(error)


def test_an_unknown_response_is_named_with_what_was_found(tmp_path: Path) -> None:
    data = _bundled_data()
    data["entries"]["PARTY.SANCTIONED"]["recommendation"]["response"] = "stop_buying"
    error = _refused(tmp_path, data)
    assert error.record == "entry PARTY.SANCTIONED"
    assert error.field == "recommendation.response"
    assert "'stop_buying'" in error.message
    assert "disengage" in error.message


def test_a_misspelt_field_is_refused_not_ignored(tmp_path: Path) -> None:
    data = _bundled_data()
    recommendation = data["entries"]["SITE.NO_ACTIVITY"]["recommendation"]
    recommendation["mitigations"] = recommendation.pop("mitigation")
    error = _refused(tmp_path, data)
    assert error.record == "entry SITE.NO_ACTIVITY"
    assert error.field == "recommendation.mitigation"
    assert "also entry SITE.NO_ACTIVITY recommendation.mitigations: is not a known field" in (
        error.message
    )


@pytest.mark.parametrize("step", ["2", 7, 0, True])
def test_the_oecd_step_is_a_whole_number_from_1_to_5(tmp_path: Path, step: object) -> None:
    data = _bundled_data()
    data["entries"]["ORIGIN.CAHRA"]["oecd_step"] = step
    error = _refused(tmp_path, data)
    assert (error.record, error.field) == ("entry ORIGIN.CAHRA", "oecd_step")


def test_an_entry_key_that_is_not_code_shaped_is_refused(tmp_path: Path) -> None:
    data = _bundled_data()
    data["entries"]["custody broken"] = data["entries"].pop("CUSTODY.BROKEN_CHAIN")
    error = _refused(tmp_path, data)
    assert error.record == "entry custody broken"
    assert "key 'custody broken'" in error.message


def test_an_annex_ii_risk_outside_the_model_policy_is_refused(tmp_path: Path) -> None:
    data = _bundled_data()
    data["entries"]["TRADE.MIRROR_GAP"]["oecd_annex_ii_risk"] = ["tax_evasion"]
    error = _refused(tmp_path, data)
    assert (error.record, error.field) == ("entry TRADE.MIRROR_GAP", "oecd_annex_ii_risk.0")


def test_a_document_of_another_format_is_refused(tmp_path: Path) -> None:
    error = _refused(tmp_path, {**_bundled_data(), "format": "oresight.risk-profile"})
    assert error.field == "format"


def test_a_code_given_twice_is_refused_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "catalogue.yaml"
    text = resources.files("oresight.risk").joinpath("catalogue.yaml").read_text("utf-8")
    path.write_text(text + "\n  ORIGIN.CAHRA:\n    title: again\n", encoding="utf-8")
    with pytest.raises(InvalidInput) as caught:
        load_catalogue(path)
    assert "key 'ORIGIN.CAHRA' is given twice" in caught.value.message
    assert "at line" in caught.value.message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("entries: [unclosed", "is not valid YAML at line 1"),
        ("- a\n- b\n", "must be a YAML mapping, found a list"),
        ("", "must be a YAML mapping, found an empty document"),
    ],
)
def test_text_that_is_not_a_yaml_mapping_is_refused(
    tmp_path: Path, text: str, expected: str
) -> None:
    path = tmp_path / "catalogue.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InvalidInput, match=expected):
        load_catalogue(path)


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput) as caught:
        load_catalogue(tmp_path / "nowhere.yaml")
    assert caught.value.file == str(tmp_path / "nowhere.yaml")
    assert "not found" in caught.value.message

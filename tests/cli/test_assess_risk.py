"""`oresight assess` with risk profiles and reference data; scores and data gaps in the outputs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from oresight.reports.findings_io import validate_findings_document
from tests.cli.test_cli import commissioning, epcis, invoke, write_json


def _receiving(event_id: str, lot: str) -> dict[str, object]:
    return {
        "type": "ObjectEvent",
        "eventID": event_id,
        "eventTime": "2024-03-02T10:00:00Z",
        "eventTimeZoneOffset": "+00:00",
        "action": "OBSERVE",
        "bizStep": "receiving",
        "quantityList": [{"epcClass": lot, "quantity": 2, "uom": "TNE"}],
    }


@pytest.fixture
def assessed(tmp_path: Path) -> Path:
    """A workspace with one lot received that nobody ever commissioned (a broken chain)."""
    path = tmp_path / "ws"
    assert invoke("init", str(path)).exit_code == 0
    doc = write_json(
        tmp_path / "events.jsonld",
        epcis(
            commissioning("urn:uuid:c-1", "urn:epc:class:lgtin:4012345.012345.A1"),
            _receiving("urn:uuid:r-1", "urn:epc:class:lgtin:4012345.012345.ORPHAN"),
        ),
    )
    assert invoke("ingest", "-w", str(path), str(doc)).exit_code == 0
    return path


def _assess(path: Path, *options: str) -> dict[str, object]:
    result = invoke("assess", "-w", str(path), "--format", "json", *options)
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    validate_findings_document(document)
    assert "Risk under profile" in result.stderr
    return dict(document)


def test_profiles_change_the_scores(assessed: Path, tmp_path: Path) -> None:
    default = _assess(assessed)
    risk = default["risk"]
    assert isinstance(risk, dict) and risk["profile"] == "oecd-3tg"
    codes = {f["code"] for f in default["findings"]}  # type: ignore[union-attr]
    assert "CUSTODY.BROKEN_CHAIN" in codes
    points = [c["points"] for c in risk["supply_chain"]["contributions"]]
    assert risk["supply_chain"]["score"] == pytest.approx(sum(points))
    heavier = tmp_path / "heavier.yaml"
    heavier.write_text(
        "format: oresight.risk-profile\nversion: 1\nextends: oecd-3tg\nname: heavier\n"
        "title: Broken chains weigh triple\ncodes:\n  CUSTODY.BROKEN_CHAIN:\n    weight: 3\n",
        encoding="utf-8",
    )
    tailored = _assess(assessed, "--profile", str(heavier))
    tailored_risk = tailored["risk"]
    assert isinstance(tailored_risk, dict) and tailored_risk["profile"] == "heavier"
    assert tailored_risk["supply_chain"]["score"] > risk["supply_chain"]["score"]


def test_data_gaps_are_reported_not_passed(assessed: Path) -> None:
    document = _assess(assessed)
    gaps = document["data_gaps"]
    assert isinstance(gaps, list)
    assert any(
        g["rule"] == "origin.transit_country" and "--production" in g["explanation"] for g in gaps
    )
    listed = invoke("findings", "-w", str(assessed), "--format", "json")
    assert json.loads(listed.stdout)["data_gaps"] == gaps
    filtered = invoke("findings", "-w", str(assessed), "--format", "json", "--code", "X")
    assert "risk" not in json.loads(filtered.stdout)


def test_the_report_shows_scores_measures_and_gaps(assessed: Path) -> None:
    _assess(assessed)
    assert invoke("report", "-w", str(assessed)).exit_code == 0
    html = (assessed / "reports" / "report.html").read_text(encoding="utf-8")
    for section in ('id="risk"', 'id="scores"', 'id="recommendations"', 'id="data-gaps"'):
        assert section in html
    assert "origin.transit_country" in html and "OECD step" in html


def test_bad_profile_and_reference_data_exit_2(assessed: Path, tmp_path: Path) -> None:
    unknown = invoke("assess", "-w", str(assessed), "--profile", "no-such-profile")
    assert unknown.exit_code == 2 and "oecd-3tg" in unknown.stderr
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        "format: oresight.risk-profile\nversion: 1\nextends: oecd-3tg\nname: broken\ntitle: t\n"
        "rule_params:\n  custody.impossible_travel:\n    warp_speed: 9\n",
        encoding="utf-8",
    )
    refused = invoke("assess", "-w", str(assessed), "--profile", str(broken))
    assert refused.exit_code == 2 and "warp_speed" in refused.stderr
    assert "broken.yaml" in refused.stderr and "Traceback" not in refused.stderr
    missing = invoke("assess", "-w", str(assessed), "--production", str(tmp_path / "none"))
    assert missing.exit_code == 2 and "USGS" in missing.stderr


def test_profiles_lists_the_bundled_ones() -> None:
    result = invoke("profiles")
    assert result.exit_code == 0
    for name in ("oecd-3tg", "oecd-gold", "eu-2017-821", "eu-battery-2023-1542"):
        assert name in result.stdout

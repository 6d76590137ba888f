"""The demo's answer key against oresight's own analyses, and its production tables against USGS.

Every analysis an assessment runs is run over the demo files, with the reference data the demo
wrote (its USGS production tables) and oresight's bundled CAHRA list: every finding the manifest
expects must be raised, nothing else, and a clean lot may be the subject of context findings
only.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Sequence
from pathlib import Path

import pytest

from oresight.core.findings import EvidenceKind, Finding
from oresight.core.minerals import Mineral
from oresight.custody.epcis_read import read_epcis_file
from oresight.custody.production import ValueFlag, read_usgs_production_folder
from oresight.custody.sites import read_sites
from oresight.earth.detections import DetectionLayer, by_source, read_area
from oresight.risk.profiles import load_profile
from oresight.screening.ftm import read_ftm_file
from oresight.screening.lists.sniff import read_list
from oresight.sim import DemoManifest, build_demo_world
from oresight.sim.production_tables import TABLES
from oresight.workflows.analyses import AnalysisInputs, ReferenceData, run_analyses
from oresight.workflows.assess import DEFAULT_PROFILE
from oresight.workflows.demo import demo_scan
from oresight.workflows.earth_scan import area_places, scan_places
from oresight.workflows.screening import ScreeningLists
from oresight.workflows.trade import tables_from_files


def assess_files(manifest: DemoManifest) -> tuple[list[Finding], list[str]]:
    """Every analysis over the demo's files, as the demo assesses them: findings and gaps."""
    root = manifest.root
    trade = tables_from_files(list(manifest.trade), root / "scratch-trade-store")
    events = [e for p in manifest.files if p.suffix == ".jsonld" for e in read_epcis_file(p).events]
    inputs = AnalysisInputs(
        events=events,
        sites={site.id: site for site in read_sites(root / "sites.geojson")},
        parties={party.id: party for party in read_ftm_file(root / "parties.ftm.json")},
        reference=ReferenceData.load(production=manifest.production_dir),
        profile=load_profile(DEFAULT_PROFILE),
        lists=ScreeningLists(
            versions=(),
            entries=tuple(e for path in manifest.sanctions for e in read_list(path).entries),
            related=(),
        ),
        trade=trade,
        earth=demo_layers(manifest),
    )
    run = run_analyses(inputs)
    return run.findings, [f"{gap.rule}: {gap.missing}" for gap in run.gaps]


_SCANNED: dict[str, list[DetectionLayer]] = {}


def demo_layers(manifest: DemoManifest) -> list[DetectionLayer]:
    """The demo's imagery scanned as the demo scans it. The scenes do not depend on the seed,
    so one scan serves every seed (keyed by the catalog's content, so a change is rescanned)."""
    assert manifest.imagery is not None and manifest.imagery_areas is not None
    key = hashlib.sha256(manifest.imagery.read_bytes()).hexdigest()
    if key not in _SCANNED:
        request = demo_scan(manifest)
        places = area_places("demo", read_area(manifest.imagery_areas))
        scanned = scan_places(request, places)
        _SCANNED[key] = by_source([layer for _, layer, _ in scanned if layer is not None])
    return _SCANNED[key]


def keys(findings: Sequence[Finding]) -> set[tuple[str, str, str]]:
    return {(f.code.value, f.subject.type.value, f.subject.id) for f in findings}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[DemoManifest, list[Finding]]:
    manifest = build_demo_world(tmp_path_factory.mktemp("demo"), seed=7)
    findings, _ = assess_files(manifest)
    return manifest, findings


def test_every_expected_finding_is_raised_and_nothing_else(
    demo: tuple[DemoManifest, list[Finding]],
) -> None:
    manifest, findings = demo
    expected = {(p.code, p.subject_type, p.subject_id) for p in manifest.expected}
    assert len(expected) == len(manifest.expected)
    assert keys(findings) == expected
    # One of each new code at least, and the consequences of the laundered lot.
    assert {p.code for p in manifest.planted} == {
        "CUSTODY.BROKEN_CHAIN",
        "CUSTODY.UNLICENSED_ORIGIN",
        "CUSTODY.MASS_BALANCE",
        "CUSTODY.TAG_REUSE",
        "CUSTODY.IMPOSSIBLE_TRAVEL",
        "CUSTODY.ORIGIN_OVERPRODUCTION",
        "SITE.PROTECTED_AREA_ORIGIN",
        "ORIGIN.TRANSIT_COUNTRY",
        "PARTY.SANCTIONED",
        "TRADE.EXPORTS_EXCEED_PRODUCTION",
        "SITE.NO_ACTIVITY",
        "SITE.MINING_IN_PROTECTED_AREA",
        "SITE.MINING_OUTSIDE_CONCESSION",
    }
    assert {(p.code, p.subject_type) for p in manifest.consequences} == {
        ("CUSTODY.MASS_BALANCE", "facility"),
        ("PARTY.SANCTIONED_OWNER", "party"),
        ("SITE.NEW_DISTURBANCE", "site"),
    }


def test_clean_lots_get_context_findings_only(demo: tuple[DemoManifest, list[Finding]]) -> None:
    manifest, findings = demo
    clean = set(manifest.clean_lots)
    context_codes = {p.code for p in manifest.context}
    for finding in findings:
        if finding.subject.id in clean:
            assert finding.code.value in context_codes, finding.explanation
    assert any(f.subject.id in clean for f in findings)
    # No finding other than a context one cites a clean lot in its evidence either.
    for finding in findings:
        if finding.code.value not in context_codes:
            cited = {e.id for e in finding.evidence if e.kind is EvidenceKind.LOT}
            assert not cited & clean, finding.explanation


def test_planted_findings_carry_the_numbers_of_the_description(
    demo: tuple[DemoManifest, list[Finding]],
) -> None:
    manifest, findings = demo
    by_key = {(f.code.value, f.subject.id): f for f in findings}
    transit = next(p for p in manifest.planted if p.code == "ORIGIN.TRANSIT_COUNTRY")
    finding = by_key[(transit.code, transit.subject_id)]
    assert "36 t" in finding.explanation and "Burundi" in finding.explanation
    park = next(p for p in manifest.planted if p.code == "SITE.PROTECTED_AREA_ORIGIN")
    assert "Lufupa Hills National Park" in by_key[(park.code, park.subject_id)].explanation


def test_only_the_laundered_lot_leaves_its_data_gaps(tmp_path: Path) -> None:
    manifest = build_demo_world(tmp_path, seed=7)
    _, gaps = assess_files(manifest)
    # Every subdivision, protected area and production figure the checks need is there; what
    # is missing is what the laundered lot never recorded.
    # Every declared origin is in the demo's imagery: the earth rules lack nothing.
    assert gaps and all(gap.startswith("custody.mass_balance") for gap in gaps)


@pytest.mark.parametrize("seed", [0, 1, 2, 99, 2024])
def test_the_answer_key_holds_for_every_seed(tmp_path: Path, seed: int) -> None:
    manifest = build_demo_world(tmp_path, seed=seed)
    findings, _ = assess_files(manifest)
    assert keys(findings) == {(p.code, p.subject_type, p.subject_id) for p in manifest.expected}


# -- the production tables ----------------------------------------------------------------------


def test_production_tables_read_with_the_usgs_reader(tmp_path: Path) -> None:
    manifest = build_demo_world(tmp_path, seed=7)
    folder = manifest.production_dir
    assert sorted(p.name for p in manifest.production) == [
        "mcs2024-cobal_world.csv",
        "mcs2024-tanta_world.csv",
        "mcs2024-tin_world.csv",
    ]
    raw = (folder / "mcs2024-tanta_world.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfSource,Country,Type,Prod_t_2022,Prod_t_est_2023")
    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")
    assert "EXCERPT" in (folder / "README.md").read_text(encoding="utf-8")
    table = read_usgs_production_folder(folder)
    assert table.unmapped_countries == ()
    burundi = table.mine_production("BI", Mineral.TANTALUM, 2023)
    assert burundi is not None and burundi.tonnes == 36.0
    assert ValueFlag.ESTIMATED in burundi.flags and burundi.edition == "MCS2024"
    congo = table.mine_production("CD", Mineral.COBALT, 2023)
    assert congo is not None and congo.tonnes == 170_000.0


def _usgs_rows(path: Path) -> dict[str, dict[str, str]]:
    text = path.read_bytes().decode("utf-8-sig")
    return {row["Country"]: row for row in csv.DictReader(io.StringIO(text)) if row.get("Country")}


def test_production_figures_are_those_usgs_published(shared_data: Path) -> None:
    folder = shared_data / "trade" / "usgs_mcs2024_world"
    if not folder.is_dir():
        pytest.skip(f"USGS MCS 2024 world tables not found at {folder}")
    for table in TABLES:
        published = _usgs_rows(folder / table.file_name)
        for row in table.rows:
            real = published[row.country]
            assert real["Type"] == table.measure, (table.code, row.country)
            figures = tuple(int(real[column].replace(",", "")) for column in table.columns)
            assert figures == row.production, (table.code, row.country)
            assert real["Reserves_t"].strip() == row.reserves, (table.code, row.country)

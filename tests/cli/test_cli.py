"""The CLI end to end: the main flow on the demo world, exit codes, and bad input.

These tests drive ``oresight`` as a user would (through Click's runner, in-process), on small
files written by the test or on the demo world built into a temporary folder.
"""

from __future__ import annotations

import copy
import html as html_lib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import shapely
from typer.testing import CliRunner

from oresight.cli.app import app
from oresight.custody.untp import load_public_key, verify_enveloped_credential
from oresight.reports.findings_io import validate_findings_document
from oresight.sim.demo import DemoManifest, build_demo_world
from oresight.store import repository
from oresight.store.database import open_workspace
from tests.conftest import fresh_postgres_schema, needs_postgres
from tests.custody.test_sites import text_column, write_layer

runner = CliRunner()

CONTEXT = [
    "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
    {"ore": "https://w3id.org/oresight/epcis#"},
]
MINE = "https://id.oresight.example/site/test-mine"


def invoke(*args: str) -> Any:
    """Run ``oresight`` with ``args``; the result carries exit_code, stdout and stderr."""
    return runner.invoke(app, list(args))


def epcis(*events: dict[str, Any]) -> dict[str, Any]:
    """A minimal EPCIS 2.0 document holding ``events``."""
    return {
        "@context": CONTEXT,
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2024-05-01T00:00:00Z",
        "epcisBody": {"eventList": list(events)},
    }


def commissioning(event_id: str, lot: str, uom: str = "TNE") -> dict[str, Any]:
    """A commissioning ObjectEvent of an ore lot at the test mine."""
    return {
        "type": "ObjectEvent",
        "eventID": event_id,
        "eventTime": "2024-04-02T08:00:00+02:00",
        "eventTimeZoneOffset": "+02:00",
        "action": "ADD",
        "bizStep": "commissioning",
        "bizLocation": {"id": MINE},
        "quantityList": [{"epcClass": lot, "quantity": 12.5, "uom": uom}],
        "ilmd": {"ore:mineral": "cobalt", "ore:form": "ore", "ore:gradePercent": 2.2},
    }


def write_json(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """An initialised, empty workspace."""
    path = tmp_path / "ws"
    result = invoke("init", str(path))
    assert result.exit_code == 0, result.stderr
    return path


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, DemoManifest]]:
    """A workspace on which `oresight demo` has run."""
    path = tmp_path_factory.mktemp("demo") / "ws"
    result = invoke("demo", "--workspace", str(path))
    assert result.exit_code == 0, result.stderr
    manifest = build_demo_world(path / "demo-data-again", seed=7)
    yield path, manifest


def stored_counts(workspace: Path) -> dict[str, int]:
    ws = open_workspace(workspace)
    try:
        with ws.transaction() as session:
            return repository.counts(session)
    finally:
        ws.close()


def test_demo_writes_workspace_report_and_prints_where(demo: tuple[Path, DemoManifest]) -> None:
    path, _ = demo
    assert (path / "oresight.db").is_file()
    assert (path / "reports" / "report.html").is_file()
    assert (path / "demo-data" / "manifest.json").is_file()
    assert (path / "demo-data" / "production" / "mcs2024-tanta_world.csv").is_file()
    counts = stored_counts(path)
    assert counts["events"] > 100 and counts["sites"] > 20 and counts["parties"] > 20


def test_assess_json_lists_the_planted_problems_and_no_clean_lot(
    demo: tuple[Path, DemoManifest],
) -> None:
    path, manifest = demo
    production = path / "demo-data" / "production"
    result = invoke(
        "assess", "--workspace", str(path), "--production", str(production), "--format", "json"
    )
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    validate_findings_document(document)
    raised = {(f["code"], f["subject"]["type"], f["subject"]["id"]) for f in document["findings"]}
    # Every finding of the answer key: the planted problems, their consequences, and the
    # context (CAHRA exposure of lots from the Kivus); nothing else.
    expected = {(p.code, p.subject_type, p.subject_id) for p in manifest.expected}
    assert raised == expected
    assert {p.code for p in manifest.planted} <= {code for code, _, _ in raised}
    context = {p.code for p in manifest.context}
    clean = set(manifest.clean_lots)
    for finding in document["findings"]:
        assert finding["explanation"] and finding["rule"] and finding["evidence"]
        if finding["code"] in context:
            continue
        assert finding["subject"]["id"] not in clean
        assert not {e["id"] for e in finding["evidence"]} & clean
    # Declared origins were checked against the production tables: no gap says otherwise.
    assert not [g for g in document["data_gaps"] if g["rule"] == "origin.transit_country"]


def test_report_shows_each_finding_with_its_explanation(demo: tuple[Path, DemoManifest]) -> None:
    path, _ = demo
    out = path / "custom-report.html"
    result = invoke("report", "--workspace", str(path), "--out", str(out), "--title", "Q3 review")
    assert result.exit_code == 0, result.stderr
    html = out.read_text(encoding="utf-8")
    ws = open_workspace(path)
    with ws.transaction() as session:
        findings = repository.load_findings(session)
    ws.close()
    assert findings
    shown = html_lib.unescape(html)  # the text as a reader sees it (&#39; is an apostrophe)
    for finding in findings:
        assert finding.explanation in shown
        assert finding.subject.id in html
    assert "Q3 review" in html and "Kasumbalesa" in html


def test_findings_filters_and_formats(demo: tuple[Path, DemoManifest], tmp_path: Path) -> None:
    path, _ = demo
    result = invoke(
        "findings", "-w", str(path), "--code", "CUSTODY.UNLICENSED_ORIGIN", "--format", "csv"
    )
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines[0].startswith("id,code,severity")
    assert len(lines) == 3 and all("CUSTODY.UNLICENSED_ORIGIN" in line for line in lines[1:])
    out = tmp_path / "high.json"
    result = invoke(
        "findings", "-w", str(path), "--severity", "critical", "-f", "json", "-o", str(out)
    )
    assert result.exit_code == 0
    # The only critical findings are the sanctioned parties, the front company they own, and
    # the mining spreading inside the national park.
    critical = json.loads(out.read_text())["findings"]
    assert {(f["code"], f["subject"]["id"]) for f in critical} == {
        ("PARTY.SANCTIONED", "demo-lac-kivu-comptoir"),
        ("PARTY.SANCTIONED", "demo-p-kaze"),
        ("PARTY.SANCTIONED_OWNER", "demo-mugamba-metals"),
        ("SITE.MINING_IN_PROTECTED_AREA", "https://id.oresight.example/site/pa-lufupa"),
    }


def test_fail_on_sets_exit_code_1(demo: tuple[Path, DemoManifest], tmp_path: Path) -> None:
    path, manifest = demo
    assert invoke("assess", "-w", str(path), "--fail-on", "high").exit_code == 1
    assert invoke("assess", "-w", str(path), "--fail-on", "critical").exit_code == 1
    # Without the sanctions list, nothing in the demo world is critical.
    bare = tmp_path / "bare"
    assert invoke("init", str(bare)).exit_code == 0
    assert invoke("ingest", "-w", str(bare), *map(str, manifest.files)).exit_code == 0
    production = str(manifest.production_dir)
    result = invoke("assess", "-w", str(bare), "--production", production, "--fail-on", "critical")
    assert result.exit_code == 0


def test_ingest_is_idempotent(workspace: Path, tmp_path: Path) -> None:
    doc = write_json(tmp_path / "events.jsonld", epcis(commissioning("urn:uuid:1", "urn:lot:1")))
    first = invoke("ingest", "-w", str(workspace), str(doc))
    second = invoke("ingest", "-w", str(workspace), str(doc))
    assert first.exit_code == second.exit_code == 0
    assert stored_counts(workspace)["events"] == 1


def test_commands_on_a_folder_that_is_not_a_workspace(tmp_path: Path) -> None:
    result = invoke("assess", "-w", str(tmp_path / "nowhere"))
    assert result.exit_code == 2
    assert "oresight init" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_usage_errors_exit_2(workspace: Path) -> None:
    assert invoke("assess", "-w", str(workspace), "--fail-on", "extreme").exit_code == 2
    assert invoke("ingest", "-w", str(workspace)).exit_code == 2


def _bad_event_cases() -> dict[str, tuple[Any, list[str]]]:
    good = commissioning("urn:uuid:bad-1", "urn:lot:9")
    unknown_type = copy.deepcopy(good) | {"type": "TeleportEvent"}
    unknown_unit = commissioning("urn:uuid:bad-1", "urn:lot:9", uom="KGX")
    missing_time = {k: v for k, v in good.items() if k != "eventTime"}
    conflicting = copy.deepcopy(good)
    conflicting["quantityList"][0]["quantity"] = 99
    return {
        "unknown event type": (epcis(unknown_type), ["event 1", "type", "TeleportEvent"]),
        "unknown unit": (epcis(unknown_unit), ["urn:uuid:bad-1", "uom", "KGX"]),
        "missing field": (epcis(missing_time), ["urn:uuid:bad-1", "eventTime"]),
        "duplicate eventID": (epcis(good, conflicting), ["urn:uuid:bad-1", "eventID"]),
    }


@pytest.mark.parametrize("case", sorted(_bad_event_cases()))
def test_bad_epcis_exits_2_names_file_record_field_and_writes_nothing(
    case: str, workspace: Path, tmp_path: Path
) -> None:
    document, expected = _bad_event_cases()[case]
    good = write_json(tmp_path / "good.jsonld", epcis(commissioning("urn:uuid:ok", "urn:lot:1")))
    bad = write_json(tmp_path / "bad.jsonld", document)
    result = invoke("ingest", "-w", str(workspace), str(good), str(bad))
    assert result.exit_code == 2, result.stdout
    message = " ".join(result.stderr.split())
    assert "bad.jsonld" in message
    for fragment in expected:
        assert fragment in message, (fragment, message)
    assert "Traceback" not in result.stderr
    assert stored_counts(workspace)["events"] == 0


def test_malformed_json_names_the_line(workspace: Path, tmp_path: Path) -> None:
    bad = tmp_path / "broken.jsonld"
    bad.write_text('{"type": "EPCISDocument",\n "epcisBody": {', encoding="utf-8")
    result = invoke("ingest", "-w", str(workspace), str(bad))
    assert result.exit_code == 2
    message = " ".join(result.stderr.split())
    assert "broken.jsonld" in message and "line 2" in message


def test_event_conflicting_with_the_workspace_is_refused(workspace: Path, tmp_path: Path) -> None:
    first = write_json(tmp_path / "a.jsonld", epcis(commissioning("urn:uuid:x", "urn:lot:1")))
    assert invoke("ingest", "-w", str(workspace), str(first)).exit_code == 0
    changed = commissioning("urn:uuid:x", "urn:lot:1")
    changed["quantityList"][0]["quantity"] = 1.0
    second = write_json(tmp_path / "b.jsonld", epcis(changed))
    result = invoke("ingest", "-w", str(workspace), str(second))
    assert result.exit_code == 2
    message = " ".join(result.stderr.split())
    assert "b.jsonld" in message and "urn:uuid:x" in message and "eventID" in message
    assert "event 1 (" in message  # events are counted from 1, as the reader counts them


def test_geojson_feature_without_id_is_refused(workspace: Path, tmp_path: Path) -> None:
    sites = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"name": "Nameless pit", "kind": "mine", "country": "CD"},
                "geometry": {"type": "Point", "coordinates": [25.4, -10.7]},
            }
        ],
    }
    bad = write_json(tmp_path / "sites.geojson", sites)
    result = invoke("ingest", "-w", str(workspace), str(bad))
    assert result.exit_code == 2
    message = " ".join(result.stderr.split())
    assert "sites.geojson" in message and "feature 0" in message and "id" in message
    assert stored_counts(workspace)["sites"] == 0


def test_unknown_format_is_refused_with_a_hint(workspace: Path, tmp_path: Path) -> None:
    bad = write_json(tmp_path / "other.json", {"hello": "world"})
    result = invoke("ingest", "-w", str(workspace), str(bad))
    assert result.exit_code == 2
    assert "--format" in result.stderr


@pytest.mark.postgres
@needs_postgres
def test_demo_runs_on_postgresql(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with fresh_postgres_schema() as url:
        monkeypatch.setenv("ORESIGHT_DATABASE_URL", url)
        path = tmp_path / "ws"
        assert invoke("demo", "-w", str(path)).exit_code == 0
        again = invoke("ingest", "-w", str(path), str(path / "demo-data"))
        assert again.exit_code == 0, again.stderr
        result = invoke("findings", "-w", str(path), "-f", "json")
        assert result.exit_code == 0, result.stderr
        manifest = json.loads((path / "demo-data" / "manifest.json").read_text(encoding="utf-8"))
        expected = sum(len(manifest[kind]) for kind in ("planted", "consequences", "context"))
        assert len(json.loads(result.stdout)["findings"]) == expected
        assert not (path / "oresight.db").exists()


def test_reingesting_the_demo_folder_adds_nothing_and_passes_over_the_manifest(
    demo: tuple[Path, DemoManifest],
) -> None:
    path, _ = demo
    before = stored_counts(path)
    result = invoke("ingest", "-w", str(path), str(path / "demo-data"))
    assert result.exit_code == 0, result.stderr
    assert "manifest.json" in result.stderr and "passed over" in result.stderr
    after = stored_counts(path)
    assert {k: after[k] for k in ("events", "sites", "parties")} == {
        k: before[k] for k in ("events", "sites", "parties")
    }


def test_export_round_trips_into_a_new_workspace(
    demo: tuple[Path, DemoManifest], tmp_path: Path
) -> None:
    path, _ = demo
    files = []
    for kind, name in (("sites", "s.geojson"), ("parties", "p.ftm.json"), ("epcis", "e.jsonld")):
        out = tmp_path / name
        result = invoke("export", kind, "-w", str(path), "--out", str(out))
        assert result.exit_code == 0, result.stderr
        files.append(str(out))
    fresh = tmp_path / "copy"
    assert invoke("init", str(fresh)).exit_code == 0
    assert invoke("ingest", "-w", str(fresh), *files).exit_code == 0
    copied, original = stored_counts(fresh), stored_counts(path)
    for key in ("events", "sites", "parties", "identifiers"):
        assert copied[key] == original[key], key
    # the same events again, from the original demo files, add nothing
    again = invoke("ingest", "-w", str(fresh), str(path / "demo-data"))
    assert again.exit_code == 0, again.stderr
    assert stored_counts(fresh)["events"] == original["events"]


def test_geopackage_sites_are_sniffed_and_ingested(workspace: Path, tmp_path: Path) -> None:
    gpkg = tmp_path / "mines.gpkg"
    write_layer(
        gpkg,
        "mines",
        {
            "id": text_column("https://id.example/site/gp-1"),
            "name": text_column("GeoPackage pit"),
            "kind": text_column("mine"),
            "country": text_column("CD"),
        },
        [shapely.Point(25.47, -10.71)],
    )
    result = invoke("ingest", "-w", str(workspace), str(gpkg))
    assert result.exit_code == 0, result.stderr
    assert "gpkg" in result.stderr
    assert stored_counts(workspace)["sites"] == 1


def test_untp_dte_export_is_a_signed_credential_our_verifier_accepts(
    demo: tuple[Path, DemoManifest], tmp_path: Path
) -> None:
    path, _ = demo
    out = tmp_path / "events.jwt"
    result = invoke(
        "export",
        "untp-dte",
        "-w",
        str(path),
        "--out",
        str(out),
        "--issuer-id",
        "https://operator.example/oresight",
        "--issuer-name",
        "Demo operator",
    )
    assert result.exit_code == 0, result.stderr
    public = load_public_key((tmp_path / "events.jwt.pub.pem").read_bytes())
    credential = verify_enveloped_credential(out.read_text().strip(), public_key=public)
    assert "DigitalTraceabilityEvent" in credential["type"]
    assert len(credential["credentialSubject"]) == stored_counts(path)["events"]
    missing = invoke("export", "untp-dte", "-w", str(path), "--out", str(out))
    assert missing.exit_code == 2

"""Generated detection scenarios: deterministic, keyed truthfully, noisy within bounds, detectable.

The answer key is checked against the written files with the problems restated in a few lines
each, independently of the custody rules; the end-to-end test then runs the real analyses.
"""

from __future__ import annotations

import itertools
import json
from collections import Counter, defaultdict
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from shapely.geometry import Point, shape

from oresight.core.errors import InvalidInput
from oresight.core.findings import (
    Evidence,
    EvidenceKind,
    Finding,
    FindingCode,
    Severity,
    Subject,
    SubjectType,
)
from oresight.core.minerals import MaterialForm, Mineral
from oresight.custody.geodesy import haversine_km
from oresight.custody.mass_balance import default_recovery_table
from oresight.custody.production import read_usgs_production_folder
from oresight.sim import world
from oresight.sim.scenario_key import CUSTODY_PROBLEMS, KEY_FILE, AnswerKey, load_answer_key
from oresight.sim.scenario_noise import OPTIONAL_EVENT_FIELDS, Noise, event_location
from oresight.sim.scenario_places import registered
from oresight.sim.scenario_scoring import score_detection
from oresight.sim.scenarios import ProblemKind, generate_scenario
from oresight.workflows.analyses import AnalysisInputs, ReferenceData, run_analyses
from oresight.workflows.choices import FileFormat
from oresight.workflows.ingest import parse_file

EXTRACTION = {"mine", "artisanal_site", "concession"}
CAHRA_SUBDIVISIONS = {"CD-NK", "CD-SK"}
ROAD_KMH = 130.0
QUANTITY_LISTS = ("quantityList", "childQuantityList", "inputQuantityList", "outputQuantityList")


@dataclass(frozen=True)
class Files:
    """A written scenario, parsed as plain JSON."""

    key: AnswerKey
    events: dict[str, dict[str, Any]]
    sites: dict[str, dict[str, Any]]
    parties: dict[str, dict[str, Any]]


def _load(key: AnswerKey) -> Files:
    events: dict[str, dict[str, Any]] = {}
    for path in key.files:
        if path.suffix == ".jsonld":
            document = json.loads(path.read_text(encoding="utf-8"))
            events.update((e["eventID"], e) for e in document["epcisBody"]["eventList"])
    features = json.loads((key.root / "sites.geojson").read_text(encoding="utf-8"))["features"]
    lines = (key.root / "parties.ftm.json").read_text(encoding="utf-8").splitlines()
    return Files(
        key,
        events,
        {f["id"]: f for f in features},
        {p["id"]: p for p in map(json.loads, lines)},
    )


@pytest.fixture(scope="module")
def exact(tmp_path_factory: pytest.TempPathFactory) -> Files:
    """A scenario without noise, every kind planted at least twice."""
    root = tmp_path_factory.mktemp("exact")
    return _load(generate_scenario(root, chains=48, problem_rate=0.5, seed=21, noise=Noise.none()))


@pytest.fixture(scope="module")
def noisy(tmp_path_factory: pytest.TempPathFactory) -> Files:
    """The same scenario with the default noise."""
    root = tmp_path_factory.mktemp("noisy")
    return _load(generate_scenario(root, chains=48, problem_rate=0.5, seed=21))


# -- the problems, restated ---------------------------------------------------------------------


def _time(event: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(event["eventTime"])


def _classes(event: dict[str, Any], *lists: str) -> list[str]:
    return [q["epcClass"] for name in lists for q in event.get(name, ())]


def _created(event: dict[str, Any]) -> list[str]:
    if event["type"] == "TransformationEvent":
        return _classes(event, "outputQuantityList")
    if event["type"] == "ObjectEvent" and event["action"] == "ADD":
        return _classes(event, "quantityList")
    return []


def _timeline(files: Files, lot: str) -> list[dict[str, Any]]:
    listed = [e for e in files.events.values() if lot in _classes(e, *QUANTITY_LISTS)]
    return sorted(listed, key=_time)


def _point(files: Files, event: dict[str, Any]) -> Point:
    return shape(files.sites[event_location(event) or ""]["geometry"]).representative_point()


def _valid(props: dict[str, Any], day: date) -> bool:
    start, end = props.get("licence_valid_from"), props.get("licence_valid_to")
    return bool(props.get("licence_number")) and not (
        (start and day < date.fromisoformat(start)) or (end and day > date.fromisoformat(end))
    )


def broken(files: Files, lot: str) -> bool:
    timeline = _timeline(files, lot)
    uses = [e for e in timeline if lot not in _created(e)]
    origins = [e for e in timeline if lot in _created(e)]
    return bool(uses) and not any(_time(o) <= _time(uses[0]) for o in origins)


def reused(files: Files, lot: str) -> bool:
    timeline = _timeline(files, lot)
    consumed = [e for e in timeline if lot in _classes(e, "inputQuantityList")]
    later = consumed and [e for e in timeline if _time(e) > _time(consumed[0])]
    return sum(lot in _created(e) for e in timeline) > 1 or bool(later)


def impossible(files: Files, lot: str) -> bool:
    timeline = _timeline(files, lot)
    for a, b in itertools.pairwise(timeline):
        hours = (_time(b) - _time(a)).total_seconds() / 3600
        if haversine_km(_point(files, a), _point(files, b)) > ROAD_KMH * (hours + 0.5):
            return True
    return False


def in_cahra(files: Files, lot: str) -> bool:
    subdivisions = {
        files.sites[event_location(e) or ""]["properties"].get("subdivision")
        for e in _timeline(files, lot)
    }
    return bool(subdivisions & CAHRA_SUBDIVISIONS)


def unlicensed(files: Files, event_id: str) -> bool:
    event = files.events[event_id]
    site = files.sites[event_location(event) or ""]
    day = _time(event).date()  # written in the site's local time
    areas = [
        shape(f["geometry"])
        for f in files.sites.values()
        if f["properties"]["kind"] in EXTRACTION
        and f["geometry"]["type"] == "Polygon"
        and _valid(f["properties"], day)
    ]
    inside = any(area.covers(shape(site["geometry"])) for area in areas)
    return not _valid(site["properties"], day) or not inside


def overproducing(files: Files, site_id: str) -> bool:
    props = files.sites[site_id]["properties"]
    tonnes: Counter[str] = Counter()
    for event in files.events.values():
        if event_location(event) == site_id and _created(event):
            day = _time(event).date()
            for entry in event["quantityList"]:
                unit = 1.0 if entry["uom"] == "TNE" else 0.001
                tonnes[f"{day.year}-Q{(day.month - 1) // 3 + 1}"] += entry["quantity"] * unit
    return max(tonnes.values()) > props["capacity_t_per_year"] / 4 * 1.1


def protected(files: Files, site_id: str) -> bool:
    point = shape(files.sites[site_id]["geometry"])
    return any(
        shape(f["geometry"]).covers(point)
        for f in files.sites.values()
        if f["properties"]["kind"] == "protected_area"
    )


def excess(files: Files, event_id: str) -> bool:
    event = files.events[event_id]
    master = event["ilmd"]
    mineral, form = Mineral(master["ore:mineral"]), MaterialForm(master["ore:form"])
    allowed = 0.0
    for entry in event["inputQuantityList"]:
        origin = next(e for e in _timeline(files, entry["epcClass"]) if _created(e))["ilmd"]
        bound = default_recovery_table().max_recovery(
            mineral, MaterialForm(origin["ore:form"]), form
        )
        allowed += entry["quantity"] * origin["ore:gradePercent"] * bound.value
    out = sum(q["quantity"] * master["ore:gradePercent"] for q in event["outputQuantityList"])
    return out > allowed * 1.02


CHECKS = {
    ProblemKind.BROKEN_CHAIN: broken,
    ProblemKind.TAG_REUSE: reused,
    ProblemKind.IMPOSSIBLE_TRAVEL: impossible,
    ProblemKind.CAHRA: in_cahra,
    ProblemKind.UNLICENSED_ORIGIN: unlicensed,
    ProblemKind.ORIGIN_OVERPRODUCTION: overproducing,
    ProblemKind.PROTECTED_AREA_ORIGIN: protected,
    ProblemKind.MASS_BALANCE: excess,
}
LOT_CHECKS = (broken, reused, impossible, in_cahra)


# -- the answer key -----------------------------------------------------------------------------


def test_every_planted_problem_is_in_the_files(exact: Files) -> None:
    planted = {ProblemKind(entry.problem) for entry in exact.key.planted}
    assert planted == set(ProblemKind)
    for entry in exact.key.planted:
        kind = ProblemKind(entry.problem)
        assert entry.code == kind.code.value
        if kind is ProblemKind.TRANSIT_COUNTRY:
            assert entry.subject_id == "TZ"
            assert any(s["properties"]["country"] == "TZ" for s in exact.sites.values())
        else:
            assert CHECKS[kind](exact, entry.subject_id), entry


def test_clean_controls_show_none_of_the_problems(exact: Files) -> None:
    clean = [chain for chain in exact.key.chains if chain.problem is None]
    assert clean and exact.key.clean_lots
    for lot in exact.key.clean_lots:
        assert not any(check(exact, lot) for check in LOT_CHECKS), lot
    for chain in clean:
        for site_id in chain.sites:
            if exact.sites[site_id]["properties"]["kind"] in ("mine", "artisanal_site"):
                assert not overproducing(exact, site_id) and not protected(exact, site_id)
        commissioning = [
            e["eventID"]
            for e in exact.events.values()
            if event_location(e) in chain.sites and e.get("action") == "ADD"
        ]
        assert commissioning and not any(unlicensed(exact, e) for e in commissioning)


def test_problems_are_dealt_at_the_rate_and_evenly(exact: Files) -> None:
    kinds = Counter(chain.problem for chain in exact.key.chains)
    assert kinds.pop(None) == 24
    assert sum(kinds.values()) == 24
    assert max(kinds.values()) - min(kinds.values()) <= 1
    sizes = {len(chain.lots) for chain in exact.key.chains}
    assert len(sizes) > 3  # chains vary in size


def test_related_findings_name_the_facilities_downstream(exact: Files) -> None:
    kinds = {entry.problem for entry in exact.key.related}
    assert kinds <= {ProblemKind.BROKEN_CHAIN.value, ProblemKind.MASS_BALANCE.value}
    for entry in exact.key.related:
        assert entry.subject_type == SubjectType.FACILITY.value
        chain = next(c for c in exact.key.chains if c.id == entry.chain)
        assert entry.subject_id in chain.sites
        assert exact.sites[entry.subject_id]["properties"]["kind"] not in EXTRACTION


def test_answer_key_file_reads_back(exact: Files) -> None:
    assert load_answer_key(exact.key.root / KEY_FILE) == exact.key


def test_broken_answer_key_is_refused_with_its_file(tmp_path: Path) -> None:
    path = tmp_path / KEY_FILE
    path.write_text('{"version": 1, "params": {}}', encoding="utf-8")
    with pytest.raises(InvalidInput) as caught:
        load_answer_key(path)
    assert caught.value.file == str(path) and caught.value.field == "'chains'"


# -- determinism and noise ----------------------------------------------------------------------


def _contents(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_same_seed_gives_identical_files(tmp_path: Path) -> None:
    generate_scenario(tmp_path / "a", chains=10, problem_rate=0.5, seed=3)
    generate_scenario(tmp_path / "b", chains=10, problem_rate=0.5, seed=3)
    generate_scenario(tmp_path / "c", chains=10, problem_rate=0.5, seed=4)
    first, second = _contents(tmp_path / "a"), _contents(tmp_path / "b")
    assert first == second and KEY_FILE in first
    other = _contents(tmp_path / "c")
    assert other.keys() == first.keys()
    assert other["events/scenario-extraction.jsonld"] != first["events/scenario-extraction.jsonld"]


def test_noise_leaves_the_chains_and_the_key_alone(exact: Files, noisy: Files) -> None:
    assert noisy.events.keys() == exact.events.keys()
    assert noisy.sites.keys() == exact.sites.keys()
    assert noisy.key.planted == exact.key.planted
    assert noisy.key.clean_lots == exact.key.clean_lots


def test_weights_and_clocks_stay_within_the_bounds(exact: Files, noisy: Files) -> None:
    bound, skew = Noise().weighing_error, Noise().clock_skew_minutes * 60
    offsets: dict[str, set[float]] = defaultdict(set)
    changed = 0
    for event_id, truth in exact.events.items():
        blurred = noisy.events[event_id]
        shift = (_time(blurred) - _time(truth)).total_seconds()
        assert abs(shift) <= skew
        offsets[event_location(truth) or ""].add(shift)
        for name in QUANTITY_LISTS:
            for a, b in zip(truth.get(name, ()), blurred.get(name, ()), strict=True):
                rounding = 0.05 if a["uom"] == "KGM" else 0.0005
                assert abs(b["quantity"] - a["quantity"]) <= a["quantity"] * bound + rounding
                changed += b["quantity"] != a["quantity"]
    assert changed > len(exact.events) / 2
    assert all(len(shifts) == 1 for shifts in offsets.values())  # one clock per site
    assert len({s for shifts in offsets.values() for s in shifts}) > 10


def test_a_site_weighs_a_lot_once(noisy: Files) -> None:
    weighed: dict[tuple[str, str], set[float]] = defaultdict(set)
    for event in noisy.events.values():
        location = event_location(event) or ""
        if noisy.sites[location]["properties"]["kind"] != "border_post":
            for name in ("quantityList", "childQuantityList", "inputQuantityList"):
                for q in event.get(name, ()):
                    weighed[(q["epcClass"], location)].add(q["quantity"])
    reweighed = [key for key, figures in weighed.items() if len(figures) > 1]
    # Only a tag commissioned again on other material has two weights at one site.
    reused_lots = {e.subject_id for e in noisy.key.planted if e.problem == "tag_reuse"}
    assert {lot for lot, _ in reweighed} <= reused_lots


def test_only_optional_fields_go_missing(exact: Files, noisy: Files) -> None:
    optional = {name for group in OPTIONAL_EVENT_FIELDS for name in group}
    dropped: Counter[str] = Counter()
    for event_id, truth in exact.events.items():
        dropped.update(set(truth) - set(noisy.events[event_id]))
    assert dropped and set(dropped) <= optional
    for site_id, feature in exact.sites.items():
        gone = set(feature["properties"]) - set(noisy.sites[site_id]["properties"])
        assert gone <= {"name", "operator", "rmi_smelter_id"}
    for party_id, entity in exact.parties.items():
        assert noisy.parties[party_id]["properties"]["name"] == entity["properties"]["name"]


@pytest.mark.parametrize(
    ("settings", "field"),
    [
        ({"weighing_error": -0.01}, "weighing_error"),
        ({"weighing_spread": "triangular"}, "weighing_spread"),
        ({"clock_skew_minutes": float("nan")}, "clock_skew_minutes"),
        ({"missing_optional_rate": 1.5}, "missing_optional_rate"),
    ],
)
def test_impossible_noise_is_refused(settings: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        Noise(**settings)
    assert caught.value.field == field


@pytest.mark.parametrize(
    ("arguments", "field"),
    [({"chains": 0}, "chains"), ({"problem_rate": 1.2}, "problem_rate"), ({"kinds": ()}, "kinds")],
)
def test_impossible_scenarios_are_refused(
    tmp_path: Path, arguments: dict[str, Any], field: str
) -> None:
    settings: dict[str, Any] = {"chains": 5, "problem_rate": 0.5, "seed": 1} | arguments
    with pytest.raises(InvalidInput) as caught:
        generate_scenario(tmp_path, **settings)
    assert caught.value.field == field
    assert not any(key.startswith("scn-") for key in world.SITE_BY_KEY)


def test_registration_is_undone_and_refuses_clashes() -> None:
    before = dict(world.SITE_BY_KEY)
    port = world.SITE_BY_KEY["p-dar"]
    with pytest.raises(ValueError, match="p-dar"), registered([], [port]):
        pass
    with registered([], [replace(port, key="scn-test-port")]):
        assert "scn-test-port" in world.SITE_BY_KEY
    assert before == world.SITE_BY_KEY


# -- the files through oresight's readers, and the analyses -------------------------------------


def _inputs(key: AnswerKey) -> AnalysisInputs:
    parsed = [parse_file(path) for path in key.files]
    formats = Counter(p.format for p in parsed)
    assert formats == {FileFormat.GEOJSON: 1, FileFormat.FTM: 1, FileFormat.EPCIS: 5}
    return AnalysisInputs(
        events=[e for p in parsed for e in p.events],
        sites={s.id: s for p in parsed for s in p.sites},
        parties={party.id: party for p in parsed for party in p.parties},
        reference=ReferenceData(production=read_usgs_production_folder(key.production_dir)),
    )


def test_files_read_through_the_readers(noisy: Files) -> None:
    inputs = _inputs(noisy.key)
    assert len(inputs.events) == len(noisy.events)
    assert inputs.sites.keys() == noisy.sites.keys()
    assert inputs.parties.keys() == noisy.parties.keys()
    production = inputs.reference.production
    assert production is not None
    for mineral in (Mineral.COBALT, Mineral.TIN, Mineral.TANTALUM):
        assert production.years(mineral) == [2022, 2023]


def test_analyses_find_what_was_planted(noisy: Files) -> None:
    run = run_analyses(_inputs(noisy.key))
    score = score_detection(run.findings, noisy.key)
    assert not score.clean_lots_flagged
    for kind in ProblemKind:
        code = score.codes[kind.code.value]
        assert code.planted > 0
        assert code.recall == 1.0, code
    for kind in CUSTODY_PROBLEMS:
        assert score.codes[kind.code.value].meets(precision=0.95, recall=0.95)


# -- scoring ------------------------------------------------------------------------------------


def _finding(code: FindingCode, subject_type: SubjectType, subject_id: str) -> Finding:
    return Finding(
        code=code,
        subject=Subject(type=subject_type, id=subject_id),
        severity=Severity.HIGH,
        confidence=0.9,
        title="t",
        explanation="e",
        evidence=(Evidence(kind=EvidenceKind.EVENT, id="urn:uuid:x"),),
        rule="r",
        rule_version="1",
    )


def test_scoring_counts_hits_misses_related_and_false_alarms(exact: Files) -> None:
    key = exact.key
    mass = FindingCode.CUSTODY_MASS_BALANCE
    planted = [e for e in key.planted if e.code == mass.value]
    related = [
        e
        for e in key.related
        if e.code == mass.value and e.subject_id not in {p.subject_id for p in planted}
    ]
    findings = [_finding(mass, SubjectType.EVENT, e.subject_id) for e in planted[1:]]
    findings += [_finding(mass, SubjectType.EVENT, planted[1].subject_id)]  # counted once
    findings += [_finding(mass, SubjectType.FACILITY, related[0].subject_id)]
    findings += [_finding(mass, SubjectType.LOT, key.clean_lots[0])]
    score = score_detection(findings, key)
    code = score.codes[mass.value]
    assert (code.true_positives, code.false_negatives) == (len(planted) - 1, 1)
    assert (code.related, code.false_positives) == (1, 1)
    assert code.missed == (planted[0].subject_id,)
    assert code.precision == pytest.approx((len(planted) - 1) / len(planted))
    assert score.clean_lots_flagged == (key.clean_lots[0],)
    assert score.codes[FindingCode.CUSTODY_TAG_REUSE.value].recall == 0.0

"""Bulk worlds: deterministic files oresight reads, keyed truthfully, clean where not planted.

One small world (45 chains, two problems of each kind) is written once per module; the shape of
its chains is checked from the raw JSON, and oresight's analyses are run over it to show that
every planted problem is found and nothing else is.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from shapely.geometry import Point, shape

from oresight.core.errors import InvalidInput
from oresight.core.findings import SubjectType
from oresight.custody.production import read_usgs_production_folder
from oresight.sim.bulk import KEY_FILE, PLANTED_KINDS, BulkKey, generate_bulk, main
from oresight.workflows.analyses import AnalysisInputs, ReferenceData, run_analyses
from oresight.workflows.choices import FileFormat
from oresight.workflows.ingest import parse_file

CHAINS = 45
PER_KIND = 2


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> BulkKey:
    return generate_bulk(
        tmp_path_factory.mktemp("bulk"),
        chains=CHAINS,
        seed=3,
        planted_per_kind=PER_KIND,
        events_per_file=400,
    )


@pytest.fixture(scope="module")
def events(world: BulkKey) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for path in world.event_files:
        found.extend(json.loads(path.read_text(encoding="utf-8"))["epcisBody"]["eventList"])
    return found


def test_same_arguments_give_the_same_files(world: BulkKey, tmp_path: Path) -> None:
    again = generate_bulk(
        tmp_path, chains=CHAINS, seed=3, planted_per_kind=PER_KIND, events_per_file=400
    )
    assert [p.name for p in again.files] == [p.name for p in world.files]
    for mine, theirs in zip(world.files, again.files, strict=True):
        assert mine.read_bytes() == theirs.read_bytes(), mine.name
    assert (tmp_path / KEY_FILE).read_bytes() == (world.root / KEY_FILE).read_bytes()


def test_another_seed_gives_another_world(world: BulkKey, tmp_path: Path) -> None:
    other = generate_bulk(tmp_path, chains=CHAINS, seed=4, planted_per_kind=PER_KIND)
    assert other.event_files[0].read_bytes() != world.event_files[0].read_bytes()


def test_the_key_counts_what_the_files_hold(world: BulkKey, events: list[dict[str, Any]]) -> None:
    assert world.events == len(events)
    assert len({event["eventID"] for event in events}) == len(events)
    created = {
        entry["epcClass"]
        for event in events
        for entry in [*event.get("quantityList", ()), *event.get("outputQuantityList", ())]
        if event.get("action") == "ADD" or event["type"] == "TransformationEvent"
    }
    # Untraced lots (broken_chain) are never created; every other lot is, once (or twice when
    # its tag is reused).
    assert world.lots == len(created) + PER_KIND
    sites = json.loads(world.sites_file.read_text(encoding="utf-8"))["features"]
    assert world.sites == len(sites)
    assert world.parties == len(world.parties_file.read_text(encoding="utf-8").splitlines())
    key = json.loads((world.root / KEY_FILE).read_text(encoding="utf-8"))
    assert key["events"] == world.events
    assert len(key["planted"]) == len(world.planted)


def test_files_are_split_at_chain_ends(world: BulkKey, events: list[dict[str, Any]]) -> None:
    assert len(world.event_files) > 1
    sizes = [
        len(json.loads(p.read_text(encoding="utf-8"))["epcisBody"]["eventList"])
        for p in world.event_files
    ]
    assert all(size >= 400 for size in sizes[:-1])
    assert all(size < 400 + 49 for size in sizes)  # a chain has at most 10 x 3 + 19 events


def test_each_chain_has_ten_events_per_ore_lot_and_nineteen_more(
    world: BulkKey, events: list[dict[str, Any]]
) -> None:
    transformations = [e for e in events if e["type"] == "TransformationEvent"]
    assert len(transformations) == 2 * CHAINS  # at the plant, then at the refinery
    ore_lots = sum(
        len(e["inputQuantityList"])
        for e in transformations
        if e["inputQuantityList"][0]["epcClass"].split(".")[1] == "010001"
    )
    reused = PER_KIND  # a reused tag's second commissioning and weighing
    assert len(events) == 10 * ore_lots + 19 * CHAINS - 2 * PER_KIND + 2 * reused


def test_every_move_declares_a_transport_mode(events: list[dict[str, Any]]) -> None:
    steps = Counter(e.get("bizStep") for e in events)
    assert set(steps) == {
        "commissioning", "inspecting", "loading", "shipping", "receiving", "storing",
        "departing", "arriving", "unloading",
    }  # fmt: skip
    moving = {"loading", "shipping", "receiving", "departing", "arriving", "unloading"}
    assert all(
        e.get("ore:transportMode") in ("road", "sea") for e in events if e.get("bizStep") in moving
    )


def test_extractions_lie_in_their_own_mine_unless_planted_outside(
    world: BulkKey, events: list[dict[str, Any]]
) -> None:
    sites = {
        f["id"]: f for f in json.loads(world.sites_file.read_text(encoding="utf-8"))["features"]
    }
    extraction = ("mine", "artisanal_site")
    mines = {
        k: shape(f["geometry"]) for k, f in sites.items() if f["properties"]["kind"] in extraction
    }
    outside = {p.subject_id for p in world.planted if p.kind == "unlicensed_outside"}
    commissioned = [e for e in events if e.get("action") == "ADD"]
    for event in commissioned:
        lat, lon = map(float, event["readPoint"]["id"][4:].split(","))
        point = Point(lon, lat)
        holders = [k for k, polygon in mines.items() if polygon.covers(point)]
        if event["eventID"] in outside:
            assert holders == []
        else:
            assert holders == [event["bizLocation"]["id"]]
    assert len(outside) == PER_KIND


def test_oresight_reads_every_file(world: BulkKey) -> None:
    formats = [parse_file(path).format for path in world.files]
    assert formats[:2] == [FileFormat.GEOJSON, FileFormat.FTM]
    assert set(formats[2:]) == {FileFormat.EPCIS}


def test_analyses_find_what_was_planted_and_nothing_else(world: BulkKey) -> None:
    parsed = [parse_file(path) for path in world.files]
    inputs = AnalysisInputs(
        events=[e for p in parsed for e in p.events],
        sites={s.id: s for p in parsed for s in p.sites},
        parties={x.id: x for p in parsed for x in p.parties},
        reference=ReferenceData(production=read_usgs_production_folder(world.production_dir)),
    )
    run = run_analyses(inputs)
    found = {(f.code.value, f.subject.id) for f in run.findings}
    planted = {(p.code, p.subject_id) for p in world.planted}
    assert planted <= found
    # An untraced lot also fails the UNTP mass balance of the plant that used it: allowed.
    unexpected = {
        (f.code.value, f.subject.id)
        for f in run.findings
        if (f.code.value, f.subject.id) not in planted
        and not (f.code.value == "CUSTODY.MASS_BALANCE" and f.subject.type is SubjectType.FACILITY)
    }
    assert unexpected == set()
    assert {p.kind for p in world.planted} == set(PLANTED_KINDS)


def test_too_few_chains_for_the_planted_problems_are_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput) as caught:
        generate_bulk(tmp_path, chains=10, planted_per_kind=2)
    assert caught.value.field == "chains"
    assert "at least 18 chains" in caught.value.message
    with pytest.raises(InvalidInput) as caught:
        generate_bulk(tmp_path, chains=10, planted_per_kind=0, events_per_file=0)
    assert caught.value.field == "events_per_file"


def test_command_line_writes_a_world(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(tmp_path), "--chains", "9", "--planted-per-kind", "1"]) == 0
    assert "9 chains" in capsys.readouterr().out
    key = json.loads((tmp_path / KEY_FILE).read_text(encoding="utf-8"))
    assert key["chains"] == 9
    assert {p["kind"] for p in key["planted"]} == set(PLANTED_KINDS)

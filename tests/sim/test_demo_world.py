"""The demo world: deterministic files, valid formats, and exactly the problems it says it plants.

Each planted problem is checked against the rule it breaks, restated in a few lines in
:mod:`tests.sim.demo_files` independently of the custody pillar; oresight's own analyses are run
over the same files in ``test_demo_answer_key.py``.
"""

from __future__ import annotations

import csv
import importlib
import io
import json
import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from followthemoney import model
from shapely.geometry import shape

from oresight.sim import ExpectedKind, build_demo_world
from oresight.sim.manifest import PlantedProblem
from tests.sim.demo_files import (
    EXTRACTION_KINDS,
    KIVU,
    KM_PER_DEGREE,
    World,
    classes,
    declared_beyond_production,
    element_creating_transformations,
    event_time,
    exports_beyond_production,
    index,
    inside_licensed_area,
    licence_valid,
    load_world,
    local_date,
    lots_through_the_kivus,
    origins_in_protected_areas,
    origins_of,
    overproducing_sites,
    protected_areas,
    restated_findings,
    reused_tags,
    too_fast_lots,
    uses_of,
)

CONTEXT = [
    "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
    {"ore": "https://w3id.org/oresight/epcis#"},
]
ISO_3166_2 = re.compile(r"(?P<country>[A-Z]{2})-[A-Z0-9]{1,3}")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return load_world(tmp_path_factory.mktemp("demo"), 7)


# -- determinism --------------------------------------------------------------------------------


def _contents(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_same_seed_gives_identical_bytes(tmp_path: Path) -> None:
    build_demo_world(tmp_path / "a", seed=11)
    build_demo_world(tmp_path / "b", seed=11)
    first, second = _contents(tmp_path / "a"), _contents(tmp_path / "b")
    assert first == second
    assert "manifest.json" in first and "events/cobalt-extraction.jsonld" in first
    assert "production/mcs2024-tanta_world.csv" in first


def test_different_seed_gives_different_events(tmp_path: Path) -> None:
    build_demo_world(tmp_path / "a", seed=11)
    build_demo_world(tmp_path / "b", seed=12)
    first, second = _contents(tmp_path / "a"), _contents(tmp_path / "b")
    assert first.keys() == second.keys()
    assert first["events/3t-trading.jsonld"] != second["events/3t-trading.jsonld"]
    # The world itself (places, parties, national production) does not depend on the seed.
    assert first["sites.geojson"] == second["sites.geojson"]
    assert (
        first["production/mcs2024-cobal_world.csv"] == second["production/mcs2024-cobal_world.csv"]
    )


def test_manifest_file_matches_returned_manifest(world: World) -> None:
    manifest = world.manifest
    root = manifest.root
    written = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    assert written["seed"] == 7
    assert [root / f for f in written["files"]] == list(manifest.files)
    assert [root / f for f in written["reference"]["production"]] == list(manifest.production)
    assert written["reference"]["cahra_list"] == manifest.cahra_list
    for key, problems in (
        ("planted", manifest.planted),
        ("consequences", manifest.consequences),
        ("context", manifest.context),
    ):
        entries = [
            (p["code"], p["kind"], p["subject_type"], p["subject_id"], p["description"])
            for p in written[key]
        ]
        assert entries == [
            (p.code, p.kind.value, p.subject_type, p.subject_id, p.description) for p in problems
        ]
        assert [tuple(p["follows_from"]) for p in written[key]] == [
            p.follows_from for p in problems
        ]
    assert {p["kind"] for p in written["planted"]} == {"planted"}
    assert {p["kind"] for p in written["consequences"]} == {"consequence"}
    assert {p["kind"] for p in written["context"]} == {"context"}
    assert written["clean_lots"] == list(manifest.clean_lots)
    assert all(path.is_file() for path in manifest.files + manifest.production)


# -- formats ------------------------------------------------------------------------------------


def test_every_document_is_an_epcis_2_document(world: World) -> None:
    assert len(world.documents) >= 8
    for name, document in world.documents.items():
        assert document["@context"] == CONTEXT, name
        assert document["type"] == "EPCISDocument"
        assert document["schemaVersion"] == "2.0"
        created = datetime.fromisoformat(document["creationDate"])
        events = document["epcisBody"]["eventList"]
        assert events, name
        assert created >= max(map(event_time, events))


def test_every_event_has_the_required_epcis_fields(world: World) -> None:
    ids = [e["eventID"] for e in world.events]
    assert len(ids) == len(set(ids)) >= 250
    kinds = {e["type"] for e in world.events}
    assert kinds == {"ObjectEvent", "TransformationEvent", "AggregationEvent"}
    for event in world.events:
        assert event["eventID"].startswith("urn:uuid:")
        when = event_time(event)
        assert when.tzinfo is not None
        assert event["eventTime"].endswith(event["eventTimeZoneOffset"])
        # One year of extraction (the year of the USGS figures), its products into the next.
        assert date(2023, 1, 1) <= when.date() <= date(2024, 12, 31)
        assert event["readPoint"]["id"] == event["bizLocation"]["id"]
        if event["type"] == "ObjectEvent":
            assert event["action"] in ("ADD", "OBSERVE")
            assert event["quantityList"]
        elif event["type"] == "AggregationEvent":
            assert event["action"] in ("ADD", "DELETE") and event["parentID"].startswith(
                "urn:epc:id:sscc:"
            )
        else:
            assert event["inputQuantityList"] and event["outputQuantityList"]
        for entry in classes(event.get("quantityList")) + origins_of(event) + uses_of(event):
            assert entry.startswith("urn:epc:class:lgtin:")


def test_extraction_falls_in_the_year_of_the_production_figures(world: World) -> None:
    extraction = [e for e in world.events if origins_of(e) and e["type"] == "ObjectEvent"]
    assert {local_date(e).year for e in extraction} == {2023}


def test_commissioning_and_outputs_carry_mineral_master_data(world: World) -> None:
    for event in world.events:
        if origins_of(event):
            ilmd = event["ilmd"]
            assert ilmd["ore:mineral"] in ("cobalt", "tin", "tantalum")
            assert ilmd["ore:form"] in ("ore", "concentrate", "hydroxide", "compound", "metal",
                                        "intermediate")  # fmt: skip
            assert 0 < ilmd["ore:gradePercent"] <= 100


def test_events_use_local_offsets(world: World) -> None:
    expected = {"CD": {"+02:00"}, "RW": {"+02:00"}, "BI": {"+02:00"}, "TZ": {"+03:00"},
                "CN": {"+08:00"}, "MY": {"+08:00"}, "KR": {"+09:00"},
                "HU": {"+01:00", "+02:00"}}  # fmt: skip
    for event in world.events:
        assert event["eventTimeZoneOffset"] in expected[world.props(event)["country"]]


def test_movements_declare_their_transport_mode(world: World) -> None:
    modes: dict[str, int] = defaultdict(int)
    undeclared = []
    for event in world.events:
        if event.get("bizStep") in ("shipping", "receiving", "departing", "arriving"):
            if "ore:transportMode" in event:
                modes[event["ore:transportMode"]] += 1
            else:
                undeclared.append(event)
        else:
            assert "ore:transportMode" not in event
    assert set(modes) == {"road", "sea"} and modes["sea"] >= 10
    # Only the laundered lot's purchase from a négociant says nothing of how it came.
    (informal,) = undeclared
    assert informal["bizStep"] == "receiving" and "bizTransactionList" not in informal


def test_documents_validate_against_the_gs1_schema(world: World, shared_data: Path) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    path = shared_data / "traceability" / "epcis2" / "gs1-EPCIS" / "EPCIS-JSON-Schema.json"
    if not path.is_file():
        pytest.skip(f"GS1 EPCIS JSON schema not found at {path}")
    schema = json.loads(path.read_text(encoding="utf-8"))
    validator = jsonschema.validators.validator_for(schema)(schema)
    for name, document in world.documents.items():
        errors = [e.message for e in validator.iter_errors(document)]
        assert errors == [], name


def test_sites_are_a_feature_collection_with_site_properties(world: World) -> None:
    kinds = defaultdict(list)
    for site_id, feature in world.sites.items():
        props = feature["properties"]
        assert feature["id"] == site_id
        assert props["name"] and len(props["country"]) == 2
        kinds[props["kind"]].append(props)
        geometry = shape(feature["geometry"])
        assert geometry.is_valid
        if props["kind"] in EXTRACTION_KINDS:
            assert props["licence_number"]
            assert date.fromisoformat(props["licence_valid_from"]) <= date.fromisoformat(
                props["licence_valid_to"]
            )
    assert len(kinds["mine"]) >= 3 and len(kinds["artisanal_site"]) >= 6
    assert len(kinds["border_post"]) >= 3 and kinds["port"]
    assert all(p["rmi_smelter_id"].startswith("CID") for p in kinds["refiner"] + kinds["smelter"])


def test_every_site_is_placed_in_its_iso_3166_2_subdivision(world: World) -> None:
    by_name = {f["properties"]["name"]: f["properties"] for f in world.sites.values()}
    for props in by_name.values():
        match = ISO_3166_2.fullmatch(props["subdivision"])
        assert match is not None and match["country"] == props["country"], props["name"]
    expected = {
        "Kanyama Hill open pit": "CD-LU",  # Kolwezi, Lualaba
        "Mukoma artisanal site": "CD-HK",  # near Likasi, Haut-Katanga
        "Kasumbalesa border post": "CD-HK",
        "Kalehe-Nord cassiterite site": "CD-SK",  # Kalehe, South Kivu
        "Comptoir Minier du Lac Kivu, Bukavu": "CD-SK",
        "Ngungu coltan site": "CD-NK",  # Masisi, North Kivu
        "Grands Lacs Minerais, Goma": "CD-NK",
        "Nyabarongo Minerals export warehouse, Kigali": "RW-01",
        "Kabarore coltan mine": "BI-KY",  # Kayanza, Burundi
        "Port of Dar es Salaam, Msasani bulk terminal": "TZ-02",
        "Lushan tantalum refinery, Jiujiang": "CN-JX",
        "Perai tin smelter, Butterworth": "MY-07",
    }
    assert {name: by_name[name]["subdivision"] for name in expected} == expected


def test_parties_are_valid_ftm_entities(world: World) -> None:
    schemata: dict[str, int] = defaultdict(int)
    for entity_id, entity in world.parties.items():
        proxy = model.get_proxy(entity, cleaned=False)
        assert proxy.id == entity_id
        schemata[proxy.schema.name] += 1
        for prop, values in entity["properties"].items():
            # Values that FtM would clean away (bad ids, bad countries) are not there.
            assert proxy.get(prop) == values, (entity_id, prop)
    assert schemata["Company"] >= 10 and schemata["Organization"] >= 3 and schemata["Person"] >= 2
    assert schemata["Ownership"] >= 2 and schemata["Directorship"] >= 2


def test_every_referenced_site_and_party_exists(world: World) -> None:
    for event in world.events:
        assert event["bizLocation"]["id"] in world.sites
        for entry in event.get("sourceList", []) + event.get("destinationList", []):
            assert entry.get("source", entry.get("destination")) in world.parties
    for feature in world.sites.values():
        operator = feature["properties"].get("operator")
        assert operator is None or operator in world.parties
    for entity in world.parties.values():
        for prop in ("owner", "asset", "director", "organization"):
            for target in entity["properties"].get(prop, ()):
                assert target in world.parties


# -- planted problems ---------------------------------------------------------------------------


def test_planted_problems_are_the_sixteen_described(world: World) -> None:
    codes = sorted((p.code, p.subject_type) for p in world.manifest.planted)
    assert codes == [
        ("CUSTODY.BROKEN_CHAIN", "lot"),
        ("CUSTODY.BROKEN_CHAIN", "lot"),
        ("CUSTODY.IMPOSSIBLE_TRAVEL", "lot"),
        ("CUSTODY.MASS_BALANCE", "event"),
        ("CUSTODY.ORIGIN_OVERPRODUCTION", "site"),
        ("CUSTODY.TAG_REUSE", "lot"),
        ("CUSTODY.UNLICENSED_ORIGIN", "event"),
        ("CUSTODY.UNLICENSED_ORIGIN", "event"),
        ("ORIGIN.TRANSIT_COUNTRY", "country"),
        ("PARTY.SANCTIONED", "party"),
        ("PARTY.SANCTIONED", "party"),
        ("SITE.MINING_IN_PROTECTED_AREA", "site"),
        ("SITE.MINING_OUTSIDE_CONCESSION", "site"),
        ("SITE.NO_ACTIVITY", "site"),
        ("SITE.PROTECTED_AREA_ORIGIN", "site"),
        ("TRADE.EXPORTS_EXCEED_PRODUCTION", "country"),
    ]
    assert all(p.kind is ExpectedKind.PLANTED and p.description for p in world.manifest.planted)
    # Each description gives the numbers that make the problem.
    assert all(re.search(r"\d", p.description) for p in world.manifest.planted)


def test_laundered_lot_has_no_origin_and_is_blended_with_clean_lots(world: World) -> None:
    origins, uses = index(world.events)
    laundered = [p.subject_id for p in world.planted("CUSTODY.BROKEN_CHAIN")
                 if p.subject_id not in origins]  # fmt: skip
    assert len(laundered) == 1
    lot = laundered[0]
    steps = [e.get("bizStep") for e in sorted(uses[lot], key=event_time)]
    assert steps[0] == "receiving" and "shipping" in steps
    received = sorted(uses[lot], key=event_time)[0]
    assert world.props(received)["kind"] == "trader"
    blends = [e for e in uses[lot] if e["type"] == "TransformationEvent"]
    assert len(blends) == 1
    others = [c for c in classes(blends[0]["inputQuantityList"]) if c != lot]
    assert others and all(c in origins for c in others)


def test_backdated_lot_moved_days_before_its_commissioning(world: World) -> None:
    origins, uses = index(world.events)
    backdated = [p for p in world.planted("CUSTODY.BROKEN_CHAIN") if p.subject_id in origins]
    assert len(backdated) == 1
    lot = backdated[0].subject_id
    (origin,) = origins[lot]
    assert origin["type"] == "ObjectEvent" and origin["bizStep"] == "commissioning"
    first_shipping = min(event_time(e) for e in uses[lot] if e["bizStep"] == "shipping")
    assert event_time(origin) - first_shipping >= timedelta(days=3)
    shipper = next(e for e in uses[lot] if event_time(e) == first_shipping)
    assert world.props(shipper)["kind"] == "trader"
    assert origin["ilmd"]["ore:mineral"] == "cobalt"


def test_expired_licence_lapsed_months_before_extraction(world: World) -> None:
    expired = [
        p for p in world.planted("CUSTODY.UNLICENSED_ORIGIN")
        if world.event(p.subject_id)["bizLocation"]["id"] in p.description
        and "expired" in p.description
    ]  # fmt: skip
    assert len(expired) == 1
    event = world.event(expired[0].subject_id)
    site = world.sites[event["bizLocation"]["id"]]
    props = site["properties"]
    assert props["kind"] == "artisanal_site" and event["action"] == "ADD"
    assert local_date(event) - date.fromisoformat(props["licence_valid_to"]) > timedelta(days=90)
    # Only the licence is wrong: the site lies inside a licensed zone.
    assert inside_licensed_area(world, shape(site["geometry"]), local_date(event))


def test_outside_point_claims_a_valid_licence_but_lies_outside_every_area(world: World) -> None:
    outside = [p for p in world.planted("CUSTODY.UNLICENSED_ORIGIN") if "outside" in p.description]
    assert len(outside) == 1
    event = world.event(outside[0].subject_id)
    site = world.sites[event["bizLocation"]["id"]]
    day = local_date(event)
    assert site["properties"]["kind"] == "artisanal_site" and event["action"] == "ADD"
    assert site["geometry"]["type"] == "Point"
    assert licence_valid(site["properties"], day)
    point = shape(site["geometry"])
    areas = [shape(f["geometry"]) for f in world.sites.values()
             if f["geometry"]["type"] == "Polygon"]  # fmt: skip
    assert not any(area.covers(point) for area in areas)
    nearest_km = min(area.distance(point) for area in areas) * KM_PER_DEGREE
    assert 10 <= nearest_km <= 20


def test_only_the_inflated_smelting_creates_metal(world: World) -> None:
    (planted,) = world.planted("CUSTODY.MASS_BALANCE")
    assert element_creating_transformations(world) == {planted.subject_id}
    event = world.event(planted.subject_id)
    origins, _ = index(world.events)
    (entry,) = event["inputQuantityList"]
    (output,) = event["outputQuantityList"]
    tin_in = entry["quantity"] * float(origins[entry["epcClass"]][0]["ilmd"]["ore:gradePercent"])
    tin_out = output["quantity"] * float(event["ilmd"]["ore:gradePercent"])
    assert world.props(event)["kind"] == "smelter" and event["ilmd"]["ore:form"] == "metal"
    # Far beyond any smelting loss or weighing error: more than a quarter more tin came out.
    assert 1.25 < tin_out / tin_in < 1.45


def test_the_reused_tag_was_commissioned_again_elsewhere_after_its_lot_was_blended(
    world: World,
) -> None:
    (planted,) = world.planted("CUSTODY.TAG_REUSE")
    assert reused_tags(world) == {planted.subject_id}
    origins, uses = index(world.events)
    first, again = sorted(origins[planted.subject_id], key=event_time)
    assert first["type"] == again["type"] == "ObjectEvent"
    assert first["bizLocation"] != again["bizLocation"]
    assert {world.props(e)["kind"] for e in (first, again)} == {"artisanal_site"}
    # Presented as the same lot: the same weight and grade, under the first site's GS1 prefix.
    assert first["quantityList"] == again["quantityList"] and first["ilmd"] == again["ilmd"]
    (consumed,) = [e for e in uses[planted.subject_id] if e["type"] == "TransformationEvent"]
    assert event_time(consumed) + timedelta(days=5) < event_time(again)


def test_only_the_planted_leg_is_faster_than_its_declared_mode(world: World) -> None:
    (planted,) = world.planted("CUSTODY.IMPOSSIBLE_TRAVEL")
    fast = too_fast_lots(world)
    assert set(fast) == {planted.subject_id}
    assert fast[planted.subject_id] > 150  # km/h, by road


def test_only_the_front_site_ships_beyond_its_capacity(world: World) -> None:
    (planted,) = world.planted("CUSTODY.ORIGIN_OVERPRODUCTION")
    ratios = overproducing_sites(world)
    assert set(ratios) == {planted.subject_id}
    assert ratios[planted.subject_id] > 1.5
    assert world.sites[planted.subject_id]["properties"]["kind"] == "artisanal_site"


def test_the_origin_in_the_park_is_licensed_and_inside_a_licensed_zone(world: World) -> None:
    (planted,) = world.planted("SITE.PROTECTED_AREA_ORIGIN")
    assert origins_in_protected_areas(world) == {planted.subject_id}
    (park,) = protected_areas(world)
    assert park["properties"]["designation"] == "national_park"
    assert "fictitious" in park["properties"]["name"] and "invented" in park["properties"]["notes"]
    assert park["geometry"]["type"] == "Polygon"
    site = world.sites[planted.subject_id]
    commissioned = [e for e in world.events if e["bizLocation"]["id"] == planted.subject_id]
    assert commissioned
    for event in commissioned:
        day = local_date(event)
        assert licence_valid(site["properties"], day)
        assert inside_licensed_area(world, shape(site["geometry"]), day)


def test_declared_burundian_tantalum_exceeds_burundis_production(world: World) -> None:
    (planted,) = world.planted("ORIGIN.TRANSIT_COUNTRY")
    ratios = declared_beyond_production(world)
    assert set(ratios) == {planted.subject_id} == {"BI"}
    assert ratios["BI"] > 1.2
    assert "36 t" in planted.description


def test_burundis_declared_exports_exceed_its_production_and_imports(world: World) -> None:
    (planted,) = world.planted("TRADE.EXPORTS_EXCEED_PRODUCTION")
    ratios = exports_beyond_production(world)
    assert set(ratios) == {planted.subject_id} == {"BDI"}
    assert ratios["BDI"] > 5  # US$38.4 M of exports against US$5.4 M of production (36 t)
    assert "US$38.4 M" in planted.description and "36 t" in planted.description


def _custody(problems: Iterable[PlantedProblem]) -> set[tuple[str, str]]:
    """The planted problems about the physical chain (the sanctions ones are checked apart)."""
    return {(p.code, p.subject_id) for p in problems if not p.code.startswith("PARTY.")}


def test_the_restated_rules_flag_exactly_the_planted_problems(world: World) -> None:
    assert restated_findings(world) == _custody(world.manifest.planted)


@pytest.mark.parametrize("seed", [0, 1, 2, 99, 2024])
def test_every_seed_plants_exactly_the_same_kinds_of_problems(tmp_path: Path, seed: int) -> None:
    other = load_world(tmp_path, seed)
    planted = _custody(other.manifest.planted)
    assert restated_findings(other) == planted and len(planted) == 14
    assert len(other.manifest.planted) == 16


# -- consequences, context and clean lots -------------------------------------------------------


def test_consequences_follow_from_planted_problems(world: World) -> None:
    planted = {p.subject_id for p in world.manifest.planted}
    assert world.manifest.consequences
    for problem in world.manifest.consequences:
        assert problem.kind is ExpectedKind.CONSEQUENCE
        assert problem.follows_from and set(problem.follows_from) <= planted
        if problem.code.startswith("PARTY."):
            assert problem.subject_id in world.parties
        else:
            assert problem.subject_id in world.sites


def test_context_is_every_lot_that_passed_through_the_kivus(world: World) -> None:
    lots = {p.subject_id for p in world.manifest.context if p.code == "ORIGIN.CAHRA"}
    assert {(p.code, p.kind) for p in world.manifest.context} == {
        ("ORIGIN.CAHRA", ExpectedKind.CONTEXT),
        ("PARTY.RED_FLAG_LOCATION_INTEREST", ExpectedKind.CONTEXT),
    }
    assert lots == lots_through_the_kivus(world)
    # Clean lots from the Kivus among them: the red flag is right about them too.
    assert lots & set(world.manifest.clean_lots)


def test_a_stake_in_a_kivu_comptoir_is_a_supplier_red_flag(world: World) -> None:
    # The Kigali exporter holds 40 % of a comptoir that operates in South Kivu.
    interests = [p for p in world.manifest.context if p.code == "PARTY.RED_FLAG_LOCATION_INTEREST"]
    assert [(p.subject_id, p.description) for p in interests] == [
        (
            "demo-nyabarongo-minerals",
            "Nyabarongo Minerals Trading Ltd holds 40 % of Grands Lacs Minerais SARL, which "
            "operates a site in a listed area.",
        )
    ]


def test_the_kivus_are_on_the_bundled_cahra_list(world: World) -> None:
    load_cahra_list = _function(("oresight.custody.cahra_list",), "load_cahra_list")
    listing = load_cahra_list()
    assert world.manifest.cahra_list == listing.name
    assert {e.subdivision for e in listing.entries if e.country == "CD"} >= KIVU


def _ancestry(lot: str, origins: dict[str, list[Any]]) -> Iterator[str]:
    yield lot
    for event in origins.get(lot, ()):
        if event["type"] == "TransformationEvent":
            for parent in classes(event["inputQuantityList"]):
                yield from _ancestry(parent, origins)


def test_clean_lots_are_traced_end_to_end(world: World) -> None:
    clean = world.manifest.clean_lots
    assert len(clean) >= 6 and len(set(clean)) == len(clean)
    origins, uses = index(world.events)
    planted_lots = {p.subject_id for p in world.manifest.planted if p.subject_type == "lot"}
    planted_events = {p.subject_id for p in world.manifest.planted if p.subject_type == "event"}
    planted_sites = {p.subject_id for p in world.manifest.planted if p.subject_type == "site"}
    extracted = 0
    for lot in clean:
        assert len(origins[lot]) == 1, lot
        origin = origins[lot][0]
        assert all(event_time(origin) < event_time(use) for use in uses.get(lot, ())), lot
        if origin["type"] == "ObjectEvent":
            extracted += 1
            site = world.sites[origin["bizLocation"]["id"]]
            day = local_date(origin)
            assert licence_valid(site["properties"], day)
            assert inside_licensed_area(world, shape(site["geometry"]), day)
            assert site["properties"]["country"] != "BI"
        for ancestor in _ancestry(lot, origins):
            assert ancestor not in planted_lots
            for event in origins.get(ancestor, ()):
                assert event["eventID"] not in planted_events
                assert event["bizLocation"]["id"] not in planted_sites
    assert extracted >= 6


# -- oresight's own readers, where they are installed -------------------------------------------


def _function(modules: tuple[str, ...], name: str) -> Callable[..., Any]:
    for module_name in modules:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError:
            continue
        if hasattr(module, name):
            function: Callable[..., Any] = getattr(module, name)
            return function
    pytest.skip(f"{name} is not available in any of {', '.join(modules)}")


EPCIS_READERS = ("oresight.custody.epcis", "oresight.custody.epcis_read")


def test_events_read_with_the_epcis_reader(world: World) -> None:
    read_epcis_file = _function(EPCIS_READERS, "read_epcis_file")
    count = 0
    for path in world.manifest.files:
        if path.suffix == ".jsonld":
            document = read_epcis_file(path)
            assert len(document.events) == len(world.documents[path.name]["epcisBody"]["eventList"])
            count += len(document.events)
            masters = [e.lot_master for e in document.events if e.ilmd]
            assert all(m is not None and m.mineral is not None for m in masters)
    assert count == len(world.events)


def test_sites_read_with_the_sites_reader(world: World) -> None:
    read_sites = _function(("oresight.custody.sites",), "read_sites")
    sites = read_sites(world.manifest.root / "sites.geojson")
    assert {s.id for s in sites} == set(world.sites)
    assert sum(1 for s in sites if s.licence is not None) >= 10
    assert all(s.properties["subdivision"] for s in sites)
    assert [s.kind.value for s in sites].count("protected_area") == 1


def test_parties_read_with_the_ftm_reader(world: World) -> None:
    read_ftm_file = _function(("oresight.screening.ftm",), "read_ftm_file")
    parties = read_ftm_file(world.manifest.root / "parties.ftm.json")
    assert {p.id for p in parties} == set(world.parties)


# -- the sanctions list ------------------------------------------------------------------------


def _folded(name: str) -> list[str]:
    """A name's words without accents, case, punctuation, articles or legal form, sorted."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    words = re.findall(r"[a-z]+", plain)
    return sorted(w for w in words if w not in {"du", "de", "la", "sarl", "surl", "sprl", "ltd"})


def test_the_sanctions_list_names_two_parties_under_variants_and_the_owner_holds_90(
    world: World,
) -> None:
    (path,) = world.manifest.sanctions
    rows = list(csv.reader(io.StringIO(path.read_bytes().decode("latin-1"))))
    assert all(len(row) == 12 for row in rows) and path.name.endswith("2024-05-03.csv")
    names = {row[0]: row[1] for row in rows}
    parties = {pid: e["properties"]["name"][0] for pid, e in world.parties.items()
               if e["schema"] in {"Company", "Person", "Organization"}}  # fmt: skip
    matched = {
        pid for pid, name in parties.items()
        for listed in names.values() if _folded(name) == _folded(listed)
    }  # fmt: skip
    assert matched == {"demo-lac-kivu-comptoir", "demo-p-kaze"}
    assert names["90001"] != parties["demo-lac-kivu-comptoir"].upper()  # a variant, not a copy
    holdings = [
        e["properties"] for e in world.parties.values()
        if e["schema"] == "Ownership" and e["properties"]["owner"] == ["demo-p-kaze"]
    ]  # fmt: skip
    assert [(h["asset"], h["percentage"]) for h in holdings] == [(["demo-mugamba-metals"], ["90"])]
    sanctioned = {(p.code, p.subject_id) for p in world.manifest.expected
                  if p.code.startswith("PARTY.SANCTIONED")}  # fmt: skip
    assert sanctioned == {
        ("PARTY.SANCTIONED", "demo-lac-kivu-comptoir"),
        ("PARTY.SANCTIONED", "demo-p-kaze"),
        ("PARTY.SANCTIONED_OWNER", "demo-mugamba-metals"),
    }

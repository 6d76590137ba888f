"""Sites from GeoJSON and GeoPackage: mapping, round trips, hostile inputs, real public files."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import shapely
from pyogrio import raw

from oresight.core.errors import InvalidInput, UnknownFormat
from oresight.core.minerals import Mineral
from oresight.core.sites import Licence, Site, SiteKind
from oresight.custody.sites import (
    looks_like_site_collection,
    read_geojson_sites,
    read_geopackage_sites,
    read_sites,
    sites_to_geojson,
)

FILE = "sites.geojson"
MINE_POLYGON = {
    "type": "Polygon",
    "coordinates": [[[27.40, -10.70], [27.50, -10.70], [27.50, -10.60], [27.40, -10.70]]],
}


def feature(site_id: str | None = "urn:site:kolwezi-1", **properties: Any) -> dict[str, Any]:
    """A valid mine feature; keyword arguments override or add properties (None removes one)."""
    props: dict[str, Any] = {"kind": "mine", "name": "Kolwezi pit 1", "country": "CD"}
    props.update(properties)
    result: dict[str, Any] = {
        "type": "Feature",
        "properties": {k: v for k, v in props.items() if v is not None},
        "geometry": {"type": "Point", "coordinates": [25.47, -10.71]},
    }
    if site_id is not None:
        result["id"] = site_id
    return result


def collection(*features: dict[str, Any]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": list(features)}


def test_maps_every_site_property() -> None:
    full = feature(
        operator="NK-operator-1",
        minerals=["cobalt", "Copper"],
        licence_number="PE 330",
        licence_valid_from="2015-03-01",
        licence_valid_to="2030-02-28",
        capacity_t_per_year=120000,
        capacity_basis="ore",
        rmi_smelter_id="CID001234",
        source="cadastre 2024",
        depth_m=85.5,
    )
    full["geometry"] = MINE_POLYGON
    (site,) = read_geojson_sites(collection(full), file=FILE)
    assert site == Site(
        id="urn:site:kolwezi-1",
        name="Kolwezi pit 1",
        kind=SiteKind.MINE,
        country="CD",
        operator="NK-operator-1",
        minerals=(Mineral.COBALT, Mineral.COPPER),
        licence=Licence(number="PE 330", valid_from=date(2015, 3, 1), valid_to=date(2030, 2, 28)),
        capacity_t_per_year=120000.0,
        capacity_basis="ore",
        rmi_smelter_id="CID001234",
        geometry=MINE_POLYGON,
        properties={"source": "cadastre 2024", "depth_m": 85.5},
    )


def test_normalises_kind_and_country_case_and_accepts_a_lone_feature() -> None:
    (site,) = read_geojson_sites(feature(kind="Artisanal_Site", country="cd"))
    assert site.kind is SiteKind.ARTISANAL_SITE
    assert site.country == "CD"


def test_takes_the_id_from_properties_or_a_numeric_feature_id() -> None:
    from_props = feature(None, id="urn:site:a")
    numeric = feature(None)
    numeric["id"] = 7
    sites = read_geojson_sites(collection(from_props, numeric))
    assert [site.id for site in sites] == ["urn:site:a", "7"]


def test_null_geometry_and_null_properties_mean_absent() -> None:
    trader = feature("urn:site:trader", kind="trader", name=None)
    trader["geometry"] = None
    trader["properties"]["licence_number"] = None
    (site,) = read_geojson_sites(collection(trader))
    assert site.geometry is None
    assert site.name is None
    assert site.licence is None


def test_an_identical_repeated_feature_is_read_once() -> None:
    sites = read_geojson_sites(collection(feature(), feature()))
    assert len(sites) == 1


@pytest.mark.parametrize(
    "geometry",
    [
        {"type": "Point", "coordinates": [-180.0, 90.0]},
        {"type": "MultiPoint", "coordinates": [[1.0, 2.0], [3.0, 4.0]]},
        MINE_POLYGON,
        {"type": "MultiPolygon", "coordinates": [MINE_POLYGON["coordinates"]]},
        {"type": "Point", "coordinates": [25.0, -10.0, 1400.0]},
        None,
    ],
)
def test_geojson_round_trip(geometry: dict[str, Any] | None) -> None:
    original = feature(minerals=["tin"], licence_number="L-1", licence_valid_to="2026-01-01")
    original["geometry"] = geometry
    original["properties"]["nested"] = {"survey": [1, 2, 3]}
    sites = read_geojson_sites(collection(original), file=FILE)
    written = json.dumps(sites_to_geojson(sites))
    assert read_geojson_sites(written, file=FILE) == sites
    assert json.loads(written)["features"][0]["properties"]["licence_valid_to"] == "2026-01-01"


def test_writer_refuses_an_extra_property_that_shadows_a_site_field() -> None:
    site = Site(id="urn:site:x", kind=SiteKind.PORT, properties={"kind": "harbour"})
    with pytest.raises(InvalidInput) as caught:
        sites_to_geojson([site])
    assert (caught.value.record, caught.value.field) == ("urn:site:x", "kind")


def test_read_sites_sniffs_geojson_by_suffix(tmp_path: Path) -> None:
    path = tmp_path / "sites.json"
    path.write_text(json.dumps(collection(feature())), encoding="utf-8")
    assert [site.id for site in read_sites(path)] == ["urn:site:kolwezi-1"]
    with pytest.raises(InvalidInput, match="no layers"):
        read_sites(path, layer="sites")


def test_read_sites_refuses_an_unknown_suffix_and_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(UnknownFormat, match=r"\.csv"):
        read_sites(tmp_path / "sites.csv")
    with pytest.raises(InvalidInput, match="cannot read the file") as caught:
        read_sites(tmp_path / "absent.geojson")
    assert caught.value.file == str(tmp_path / "absent.geojson")


def test_looks_like_site_collection() -> None:
    assert looks_like_site_collection(collection())
    assert looks_like_site_collection(feature())
    assert not looks_like_site_collection({"type": "FeatureCollection", "features": {}})
    assert not looks_like_site_collection({"type": "EPCISDocument", "epcisBody": {}})


def _with(**changes: Any) -> dict[str, Any]:
    return feature("urn:site:bad", **changes)


def _geometry(geometry: Any) -> dict[str, Any]:
    bad = feature("urn:site:bad")
    bad["geometry"] = geometry
    return bad


def _differing_ids() -> dict[str, Any]:
    bad = feature("urn:site:bad")
    bad["properties"]["id"] = "urn:site:other"
    return bad


BOWTIE = {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}

HOSTILE_FEATURES = {
    "no id": (feature(None), "id", "no id"),
    "ids differ": (_differing_ids(), "id", "differ"),
    "id not text": (feature(None, id={"a": 1}), "id", "expected text"),
    "properties not object": ({**feature("urn:site:bad"), "properties": [1]}, "properties", ""),
    "not a feature": ({"type": "Point", "coordinates": [0, 0]}, "type", "Feature"),
    "no kind": (_with(kind=None), "kind", "mine, artisanal_site, concession"),
    "unknown kind": (_with(kind="quarry"), "kind", "'quarry'; expected one of mine"),
    "bad date": (_with(licence_number="L", licence_valid_from="2024-13-01"), "licence_valid_from",
                 "ISO date"),
    "dates without number": (_with(licence_valid_to="2030-01-01"), "licence_number", "without"),
    "dates reversed": (_with(licence_number="L", licence_valid_from="2030-01-01",
                             licence_valid_to="2020-01-01"), "licence_valid_to", "before"),
    "country name": (_with(country="Brazil"), "country", "'Brazil'"),
    "country digits": (_with(country="C1"), "country", "alpha-2"),
    "unknown mineral": (_with(minerals=["unobtainium"]), "minerals", "cobalt, lithium"),
    "minerals not list": (_with(minerals={"tin": 1}), "minerals", "list"),
    "negative capacity": (_with(capacity_t_per_year=-1), "capacity_t_per_year", "zero or more"),
    "capacity text": (_with(capacity_t_per_year="lots"), "capacity_t_per_year", "'lots'"),
    "capacity bool": (_with(capacity_t_per_year=True), "capacity_t_per_year", "True"),
    "name not text": (_with(name=["a"]), "name", "expected text"),
    "line string": (_geometry({"type": "LineString", "coordinates": [[0, 0], [1, 1]]}),
                    "geometry", "MultiPoint"),
    "longitude 200": (_geometry({"type": "Point", "coordinates": [200, 0]}), "geometry",
                      "[-180, 180]"),
    "latitude -95": (_geometry({"type": "Point", "coordinates": [0, -95]}), "geometry",
                     "[-90, 90]"),
    "self-intersection": (_geometry(BOWTIE), "geometry", "Self-intersection"),
    "unclosed ring": (_geometry({"type": "Polygon", "coordinates": [[[0, 0], [1, 1]]]}),
                      "geometry", "not a valid Polygon"),
    "empty point": (_geometry({"type": "Point", "coordinates": []}), "geometry", "empty"),
    "text coordinates": (_geometry({"type": "Point", "coordinates": ["1", "2"]}), "geometry",
                         "numbers"),
    "no coordinates": (_geometry({"type": "Point"}), "geometry", "numbers"),
    "geometry not object": (_geometry("POINT (0 0)"), "geometry", "geometry object"),
}  # fmt: skip


@pytest.mark.parametrize("case", HOSTILE_FEATURES.values(), ids=HOSTILE_FEATURES.keys())
def test_hostile_feature_is_located(case: tuple[dict[str, Any], str, str]) -> None:
    bad, field, fragment = case
    with pytest.raises(InvalidInput) as caught:
        read_geojson_sites(json.dumps(collection(feature("urn:site:good"), bad)), file=FILE)
    error = caught.value
    assert error.file == FILE
    assert isinstance(error.record, str) and error.record.startswith("feature 1")
    assert error.field == field
    assert fragment in error.message
    assert str(error).startswith(f"{FILE}: feature 1")
    assert f"field '{field}'" in str(error)


def test_id_is_named_in_the_record_once_known() -> None:
    with pytest.raises(InvalidInput) as caught:
        read_geojson_sites(collection(_with(kind="quarry")), file=FILE)
    assert caught.value.record == "feature 0 (urn:site:bad)"


def test_duplicate_ids_with_different_content_are_refused() -> None:
    with pytest.raises(InvalidInput, match=r"first at feature 0") as caught:
        read_geojson_sites(collection(feature(), feature(name="Other name")), file=FILE)
    assert (caught.value.record, caught.value.field) == ("feature 1 (urn:site:kolwezi-1)", "id")


@pytest.mark.parametrize(
    ("data", "fragment", "field"),
    [
        (b'{"type": "FeatureCollection", "features": [', "malformed JSON at line 1", None),
        (b'{"type": "Feature", "id": "x", "n": NaN}', "NaN is not a JSON value", None),
        (b"\xff\xfe{}", "not UTF-8", None),
        (b"[]", "found a JSON list", None),
        (b'{"type": "Topology"}', "found 'Topology'", "type"),
        (b'{"type": "FeatureCollection", "features": {}}', "'features' list", "features"),
        (
            b'{"type": "FeatureCollection", "features": [], "crs": '
            b'{"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::3857"}}}',
            "WGS 84",
            "crs",
        ),
    ],
)
def test_hostile_document_names_the_file(data: bytes, fragment: str, field: str | None) -> None:
    with pytest.raises(InvalidInput) as caught:
        read_geojson_sites(data, file=FILE)
    assert caught.value.file == FILE
    assert caught.value.field == field
    assert fragment in caught.value.message


def test_old_crs_member_naming_wgs84_is_accepted() -> None:
    document = collection(feature())
    document["crs"] = {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}}
    assert len(read_geojson_sites(document)) == 1


# --- GeoPackage -----------------------------------------------------------------------------


def write_layer(
    path: Path,
    layer: str,
    columns: dict[str, np.ndarray[Any, Any]],
    geometries: list[Any],
    *,
    crs: str = "EPSG:4326",
    geometry_type: str = "Point",
) -> None:
    """Write one layer of a GeoPackage with pyogrio (WKB geometries, None for a null geometry)."""
    wkb = np.array([None if g is None else shapely.to_wkb(g) for g in geometries], dtype=object)
    raw.write(
        path,
        wkb,
        list(columns.values()),
        list(columns),
        layer=layer,
        driver="GPKG",
        geometry_type=geometry_type,
        crs=crs,
        append=path.exists(),
    )


def text_column(*values: str | None) -> np.ndarray[Any, Any]:
    return np.array(values, dtype=object)


@pytest.fixture
def geopackage(tmp_path: Path) -> Path:
    path = tmp_path / "sites.gpkg"
    write_layer(
        path,
        "mines",
        {
            "id": text_column("urn:site:m1", "urn:site:m2"),
            "name": text_column("Pit 1", None),
            "kind": text_column("mine", "artisanal_site"),
            "country": text_column("CD", "rw"),
            "minerals": text_column("cobalt, copper", '["tin", "tantalum"]'),
            "licence_number": text_column("PE 1", None),
            "licence_valid_from": np.array(["2015-03-01", "NaT"], dtype="datetime64[D]"),
            "capacity_t_per_year": np.array([5000.0, np.nan]),
            "workers": np.array([120, 35]),
            "surveyed": np.array(["2024-05-01T10:30:00", "NaT"], dtype="datetime64[ms]"),
        },
        [shapely.Point(25.47, -10.71), None],
    )
    write_layer(
        path,
        "smelters",
        {"id": text_column("urn:site:s1"), "kind": text_column("smelter")},
        [shapely.box(29.0, -1.7, 29.1, -1.6)],
        geometry_type="Polygon",
    )
    return path


def test_reads_every_layer_of_a_geopackage(geopackage: Path) -> None:
    m1, m2, s1 = read_sites(geopackage)
    assert (m1.id, m1.name, m1.kind, m1.country) == ("urn:site:m1", "Pit 1", SiteKind.MINE, "CD")
    assert m1.minerals == (Mineral.COBALT, Mineral.COPPER)
    assert m1.licence == Licence(number="PE 1", valid_from=date(2015, 3, 1))
    assert m1.capacity_t_per_year == 5000.0
    assert m1.geometry == {"type": "Point", "coordinates": [25.47, -10.71]}
    assert m1.properties["workers"] == 120
    assert m1.properties["surveyed"].startswith("2024-05-01T10:30:00")
    assert (m2.name, m2.country, m2.licence, m2.geometry) == (None, "RW", None, None)
    assert m2.minerals == (Mineral.TIN, Mineral.TANTALUM)
    assert m2.capacity_t_per_year is None
    assert (s1.kind, s1.geometry and s1.geometry["type"]) == (SiteKind.SMELTER, "Polygon")


def test_reads_one_named_layer_and_round_trips_to_geojson(geopackage: Path) -> None:
    sites = read_geopackage_sites(geopackage, layer="smelters")
    assert [site.id for site in sites] == ["urn:site:s1"]
    everything = read_sites(geopackage)
    assert read_geojson_sites(json.dumps(sites_to_geojson(everything))) == everything


def test_reads_a_geopackage_attribute_table_as_sites_without_geometry(tmp_path: Path) -> None:
    path = tmp_path / "traders.gpkg"
    columns = [text_column("urn:site:t1"), text_column("trader"), text_column("gold")]
    raw.write(path, None, columns, ["id", "kind", "minerals"], layer="traders", driver="GPKG")
    (site,) = read_sites(path)
    assert (site.kind, site.minerals, site.geometry) == (SiteKind.TRADER, (Mineral.GOLD,), None)


def test_geopackage_layer_in_another_crs_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "mercator.gpkg"
    columns = {"id": text_column("urn:site:x"), "kind": text_column("mine")}
    write_layer(path, "mines", columns, [shapely.Point(2_800_000, -1_200_000)], crs="EPSG:3857")
    with pytest.raises(InvalidInput, match=r"EPSG:3857.*reproject") as caught:
        read_sites(path)
    error = caught.value
    assert (error.file, error.record, error.field) == (str(path), "layer 'mines'", "crs")


def test_geopackage_layer_without_site_columns_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "tiles.gpkg"
    write_layer(path, "tiles", {"tile_id": text_column("t1")}, [shapely.Point(0, 0)])
    with pytest.raises(InvalidInput, match=r"no 'id' or 'kind' column.*tile_id") as caught:
        read_sites(path)
    assert (caught.value.record, caught.value.field) == ("layer 'tiles'", "id")


def test_geopackage_feature_errors_name_layer_fid_and_field(tmp_path: Path) -> None:
    path = tmp_path / "bad.gpkg"
    columns = {"id": text_column("urn:site:a", "urn:site:b"), "kind": text_column("mine", "pit")}
    write_layer(path, "mines", columns, [shapely.Point(0, 0), shapely.Point(1, 1)])
    with pytest.raises(InvalidInput, match="'pit'") as caught:
        read_sites(path)
    error = caught.value
    assert (error.record, error.field) == ("layer 'mines' fid 2 (urn:site:b)", "kind")


def test_geopackage_geometry_out_of_range_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "range.gpkg"
    columns = {"id": text_column("urn:site:a"), "kind": text_column("mine")}
    write_layer(path, "mines", columns, [shapely.Point(25.0, 100.0)])
    with pytest.raises(InvalidInput, match=r"\[-90, 90\]") as caught:
        read_sites(path)
    assert caught.value.field == "geometry"


def test_geopackage_duplicate_ids_across_layers_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "dupes.gpkg"
    for layer, kind in (("a", "mine"), ("b", "smelter")):
        columns = {"id": text_column("urn:site:same"), "kind": text_column(kind)}
        write_layer(path, layer, columns, [shapely.Point(0, 0)])
    with pytest.raises(InvalidInput, match="first at layer 'a' fid 1") as caught:
        read_sites(path)
    assert caught.value.record == "layer 'b' fid 1 (urn:site:same)"


def test_unreadable_geopackages_are_refused_without_leaking_gdal_errors(
    tmp_path: Path, geopackage: Path
) -> None:
    garbage = tmp_path / "garbage.gpkg"
    garbage.write_bytes(b"this is not a database")
    disguised = tmp_path / "disguised.gpkg"
    disguised.write_text(json.dumps(collection(feature())), encoding="utf-8")
    with pytest.raises(InvalidInput, match="GDAL cannot read it") as caught:
        read_sites(garbage)
    assert caught.value.file == str(garbage)
    with pytest.raises(InvalidInput, match="not a GeoPackage"):
        read_sites(disguised)
    with pytest.raises(InvalidInput, match="no such file"):
        read_sites(tmp_path / "absent.gpkg")
    with pytest.raises(InvalidInput, match="GDAL cannot read it") as caught:
        read_sites(geopackage, layer="nope")
    assert caught.value.record == "layer 'nope'"


# --- real public files (../shared/data) --------------------------------------------------------

JASANSKY = "earth/mine_segmentation_jasansky/mining_tiles_test_annotations.gpkg"
AMW = "earth/amw_earthgenome"


@pytest.mark.parametrize("layer", [None, "tiles", "polygons_original", "polygons_annotated"])
def test_labelled_mine_tiles_lack_site_columns(shared_data: Path, layer: str | None) -> None:
    # Segmentation labels are not sites: the reader names the missing columns instead of guessing.
    with pytest.raises(InvalidInput, match="needs 'id' and 'kind'") as caught:
        read_sites(shared_data / JASANSKY, layer=layer)
    assert caught.value.file == str(shared_data / JASANSKY)
    assert caught.value.record == f"layer '{layer or 'tiles'}'"
    assert caught.value.field == "id"


def test_amw_territories_lack_ids_then_have_country_names(shared_data: Path) -> None:
    path = shared_data / AMW / "yanomami_and_munduruku.geojson"
    with pytest.raises(InvalidInput) as caught:
        read_sites(path)
    assert (caught.value.file, caught.value.record, caught.value.field) == (
        str(path),
        "feature 0",
        "id",
    )
    document = json.loads(path.read_bytes())
    for index, item in enumerate(document["features"]):
        item["id"] = f"urn:territory:{index}"
        item["properties"]["kind"] = "protected_area"
    with pytest.raises(InvalidInput, match="'Brazil' is not an ISO") as caught:
        read_geojson_sites(document, file=str(path))
    assert caught.value.field == "country"
    for item in document["features"]:
        item["properties"]["country"] = "BR"
    territories = read_geojson_sites(document, file=str(path))
    assert [site.name for site in territories] == ["Munduruku", "Yanomami"]
    assert all(site.geometry and site.geometry["type"] == "Polygon" for site in territories)


def test_amw_detection_with_a_self_intersecting_ring_is_located(shared_data: Path) -> None:
    name = "ghana_48px_v3.2-3.7ensemble_0.50_2024-01-01_2024-11-15-dissolved-0.6.geojson"
    document = json.loads((shared_data / AMW / name).read_bytes())
    for index, item in enumerate(document["features"]):
        item["id"] = f"urn:detection:{index}"
        item["properties"] = {"kind": "artisanal_site"}
    with pytest.raises(InvalidInput, match="Ring Self-intersection") as caught:
        read_geojson_sites(document, file=name)
    assert (caught.value.record, caught.value.field) == (
        "feature 63 (urn:detection:63)",
        "geometry",
    )

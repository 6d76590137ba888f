"""Reading detection layers and areas: hostile files refused by file, feature and field; CRSs,
repairs and periods handled as the module promises."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pyproj
import pytest
from shapely.geometry import Polygon

from oresight.core.errors import InvalidInput
from oresight.earth.detections import read_area, read_detections
from oresight.earth.geodesy import area_ha
from oresight.earth.overlay import Snapshot
from oresight.earth.periods import ObservationPeriod, parse_period

GEOD = pyproj.Geod(ellps="WGS84")


def ring(west: float, south: float, size: float = 0.01) -> list[list[float]]:
    """A closed square ring, counter-clockwise, ``size`` degrees a side."""
    east, north = west + size, south + size
    return [[west, south], [east, south], [east, north], [west, north], [west, south]]


def polygon(*rings: Sequence[Sequence[float]]) -> dict[str, Any]:
    return {"type": "Polygon", "coordinates": list(rings)}


def feature(geometry: Any, properties: Any = None) -> dict[str, Any]:
    return {"type": "Feature", "properties": properties, "geometry": geometry}


def collection(*features: Any, crs: str | None = None) -> dict[str, Any]:
    document: dict[str, Any] = {"type": "FeatureCollection", "features": list(features)}
    if crs is not None:
        document["crs"] = {"type": "name", "properties": {"name": crs}}
    return document


def write(tmp_path: Path, document: Any, name: str = "detections.geojson") -> Path:
    path = tmp_path / name
    text = document if isinstance(document, str) else json.dumps(document)
    path.write_text(text, encoding="utf-8")
    return path


def geodesic_ha(coordinates: Sequence[Sequence[float]]) -> float:
    """The area of one ring on WGS 84, computed with PROJ's geodesic directly."""
    lons = [x for x, _ in coordinates]
    lats = [y for _, y in coordinates]
    area, _ = GEOD.polygon_area_perimeter(lons, lats)
    return abs(area) / 10_000


def refused(path: Path, **kwargs: Any) -> InvalidInput:
    kwargs.setdefault("layer_id", "scan")
    with pytest.raises(InvalidInput) as raised:
        read_detections(path, **kwargs)
    return raised.value


def good(year: int = 2024) -> dict[str, Any]:
    return feature(polygon(ring(-1.6, 6.7)), {"year": year})


def test_a_layer_reads_periods_scores_and_stated_areas(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        collection(
            feature(polygon(ring(-1.6, 6.7)), {"year": 201800, "Mined area (ha)": 3.19}),
            feature(polygon(ring(-1.5, 6.7, 0.02)), {"date": "2017-01-01T00:00:00", "pred": 0.8}),
            feature(polygon(ring(-1.4, 6.7)), {"period": "2024-Q2", "score": 1}),
        ),
    )
    layer = read_detections(path, layer_id="amw", source="Amazon Mining Watch")
    assert (layer.id, layer.source, layer.file) == ("amw", "Amazon Mining Watch", str(path))
    assert [d.index for d in layer.detections] == [0, 1, 2]
    assert [d.period.label for d in layer.detections] == ["2018", "2017", "2024-Q2"]
    assert [d.score for d in layer.detections] == [None, 0.8, 1.0]
    assert [d.stated_area_ha for d in layer.detections] == [3.19, None, None]
    assert [p.label for p in layer.periods] == ["2017", "2018", "2024-Q2"]
    assert [d.index for d in layer.in_period(ObservationPeriod.year(2018))] == [0]
    assert layer.reference(layer.detections[1]) == "amw#1"
    assert layer.repaired == 0 and layer.coverage is None
    expected = [geodesic_ha(ring(-1.6, 6.7)), geodesic_ha(ring(-1.5, 6.7, 0.02))]
    assert layer.detections[0].area_ha == pytest.approx(expected[0], rel=1e-9)
    assert layer.detections[1].area_ha == pytest.approx(expected[1], rel=1e-9)
    # 0.01° a side near 6.7° N: about 1.106 km by 1.101 km.
    assert layer.detections[0].area_ha == pytest.approx(121.8, rel=0.005)


def test_the_source_defaults_to_the_file_name(tmp_path: Path) -> None:
    path = write(tmp_path, collection(good()), name="ashanti_scan.geojson")
    assert read_detections(path, layer_id="x").source == "ashanti_scan"


def test_a_multipolygon_with_a_hole_is_an_area(tmp_path: Path) -> None:
    holed = [ring(10.0, 0.0, 0.1), ring(10.02, 0.02, 0.02)[::-1]]
    geometry = {"type": "MultiPolygon", "coordinates": [holed, [ring(11.0, 0.0)]]}
    layer = read_detections(
        write(tmp_path, collection(feature(geometry, {"year": 2024}))), layer_id="s"
    )
    expected = geodesic_ha(holed[0]) - geodesic_ha(holed[1]) + geodesic_ha(ring(11.0, 0.0))
    assert layer.detections[0].area_ha == pytest.approx(expected, rel=1e-9)


def test_text_that_is_not_json_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, '{"type": "FeatureCollection", "features": [')
    error = refused(path)
    assert "not a JSON document" in error.message
    assert (error.file, error.record, error.field) == (str(path), None, None)


def test_bytes_that_are_not_text_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "detections.geojson"
    path.write_bytes(b"\xff\xfe\x00garbage")
    error = refused(path)
    assert "not a JSON document" in error.message and error.file == str(path)


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.geojson"
    error = refused(path)
    assert "cannot read file" in error.message and error.file == str(path)


@pytest.mark.parametrize(
    "document",
    [
        good(),  # a Feature, not a collection
        polygon(ring(0, 0)),
        [good()],
        {"type": "featurecollection", "features": []},
    ],
)
def test_anything_but_a_feature_collection_is_refused(tmp_path: Path, document: Any) -> None:
    path = write(tmp_path, document)
    error = refused(path)
    assert error.message == "expected a GeoJSON FeatureCollection"
    assert (error.file, error.record, error.field) == (str(path), None, "type")


def test_features_that_are_not_a_list_are_refused(tmp_path: Path) -> None:
    path = write(tmp_path, {"type": "FeatureCollection", "features": {"0": good()}})
    error = refused(path)
    assert (error.file, error.record, error.field) == (str(path), None, "features")


def test_an_empty_collection_is_an_empty_layer(tmp_path: Path) -> None:
    layer = read_detections(
        write(tmp_path, collection()), layer_id="s", period=parse_period("2024")
    )
    # The source looked in 2024 and found nothing: the period is still an observation.
    assert layer.detections == () and layer.periods == [parse_period("2024")]
    unstated = read_detections(write(tmp_path, collection()), layer_id="s")
    assert unstated.periods == []


def test_a_labelled_point_is_not_an_area(tmp_path: Path) -> None:
    point = feature({"type": "Point", "coordinates": [-1.6, 6.7]}, {"year": 2024, "label": "pit"})
    path = write(tmp_path, collection(good(), point))
    error = refused(path)
    assert "expected a Polygon or MultiPolygon" in error.message and "'Point'" in error.message
    assert (error.file, error.record, error.field) == (str(path), 1, "geometry")


@pytest.mark.parametrize(
    ("bad", "field", "words"),
    [
        (polygon(ring(0, 0)), "type", "expected a GeoJSON Feature object"),
        ("a string", "type", "expected a GeoJSON Feature object"),
        (feature(None, {"year": 2024}), "geometry", "found None"),
        (
            feature({"type": "LineString", "coordinates": [[0, 0], [1, 1]]}, {"year": 2024}),
            "geometry",
            "'LineString'",
        ),
        (feature(polygon(ring(0, 0)), [2024]), "properties", "expected an object or null"),
        (feature({"type": "Polygon", "coordinates": "none"}, {"year": 2024}), "geometry", ""),
        (feature(polygon([]), {"year": 2024}), "geometry", "empty"),
    ],
)
def test_a_bad_feature_is_refused_naming_its_index_and_field(
    tmp_path: Path, bad: Any, field: str, words: str
) -> None:
    path = write(tmp_path, collection(good(), good(), bad))
    error = refused(path)
    assert words in error.message
    assert (error.file, error.record, error.field) == (str(path), 2, field)


def test_coordinates_that_are_not_finite_are_refused(tmp_path: Path) -> None:
    nan_ring = ring(0, 0)
    nan_ring[1][0] = float("nan")  # json writes NaN, and Python's json reads it back
    path = write(tmp_path, collection(feature(polygon(nan_ring), {"year": 2024})))
    error = refused(path)
    assert "not finite" in error.message
    assert (error.record, error.field) == (0, "geometry")


def test_metres_without_a_crs_are_not_longitude_latitude(tmp_path: Path) -> None:
    utm = [[500_000, 4_500_000], [501_000, 4_500_000], [501_000, 4_501_000], [500_000, 4_500_000]]
    path = write(tmp_path, collection(good(), feature(polygon(utm), {"year": 2024})))
    error = refused(path)
    assert "not longitude/latitude" in error.message and "'crs'" in error.message
    assert "500000" in error.message
    assert (error.file, error.record, error.field) == (str(path), 1, "geometry")


def test_a_named_utm_crs_is_reprojected_to_longitude_latitude(tmp_path: Path) -> None:
    # A kilometre square on the central meridian of UTM zone 18 N (75° W).
    west, south = 500_000.0, 4_500_000.0
    utm = [[west, south], [west + 1000, south], [west + 1000, south + 1000], [west, south + 1000]]
    utm.append(utm[0])
    path = write(tmp_path, collection(feature(polygon(utm), {"year": 2024}), crs="EPSG:32618"))
    detection = read_detections(path, layer_id="utm").detections[0]
    to_lonlat = pyproj.Transformer.from_crs("EPSG:32618", "EPSG:4326", always_xy=True)
    lons, lats = to_lonlat.transform([x for x, _ in utm], [y for _, y in utm])
    found = np.asarray(detection.geometry.exterior.coords)
    assert np.allclose(found[:, 0], lons, atol=1e-9) and np.allclose(found[:, 1], lats, atol=1e-9)
    assert found[0, 0] == pytest.approx(-75.0, abs=1e-9)  # the false easting is the meridian
    assert -75 < found[:, 0].max() < -74.98 and 40.6 < found[:, 1].min() < 40.7
    # On the central meridian UTM shrinks lengths by k0 = 0.9996, areas by k0².
    assert detection.area_ha == pytest.approx(100 / 0.9996**2, rel=1e-4)


@pytest.mark.parametrize("name", ["urn:ogc:def:crs:OGC:1.3:CRS84", "EPSG:4326", "OGC:CRS84"])
def test_a_crs_naming_longitude_latitude_leaves_coordinates_alone(
    tmp_path: Path, name: str
) -> None:
    path = write(tmp_path, collection(good(), crs=name))
    detection = read_detections(path, layer_id="s").detections[0]
    assert list(detection.geometry.exterior.coords) == [tuple(p) for p in ring(-1.6, 6.7)]


def test_an_unknown_crs_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, collection(good(), crs="EPSG:999999"))
    error = refused(path)
    assert "unknown coordinate reference system 'EPSG:999999'" in error.message
    assert (error.file, error.record, error.field) == (str(path), None, "crs")


@pytest.mark.parametrize("crs", [{"type": "name"}, "EPSG:4326", {"properties": {"name": 4326}}])
def test_a_crs_member_of_the_wrong_shape_is_refused(tmp_path: Path, crs: Any) -> None:
    document = collection(good())
    document["crs"] = crs
    path = write(tmp_path, document)
    error = refused(path)
    assert (error.file, error.record, error.field) == (str(path), None, "crs")


def test_a_feature_without_a_period_needs_one_given(tmp_path: Path) -> None:
    path = write(tmp_path, collection(good(), feature(polygon(ring(0, 0)), {"name": "pit"})))
    error = refused(path)
    assert "--period" in error.message and "no period" in error.message
    assert (error.file, error.record, error.field) == (str(path), 1, "period")


@pytest.mark.parametrize(
    ("properties", "field", "words"),
    [
        ({"year": "last year"}, "year", "'last year' is not a period"),
        ({"year": True}, "year", "True is not a period"),
        ({"year": 2024.5}, "year", "is not a period"),
        ({"year": 202413}, "year", "bad month number 13"),
        ({"period": "2024-11-15/2024-01-01"}, "period", "ends before it starts"),
        ({"date": "someday"}, "date", "is not a period"),
    ],
)
def test_a_bad_period_value_is_refused(
    tmp_path: Path, properties: dict[str, Any], field: str, words: str
) -> None:
    path = write(tmp_path, collection(good(), feature(polygon(ring(0, 0)), properties)))
    # A period given for the file does not excuse a feature's own bad one.
    error = refused(path, period=parse_period("2024"))
    assert words in error.message
    assert (error.file, error.record, error.field) == (str(path), 1, field)


@pytest.mark.parametrize(
    ("properties", "field", "words"),
    [
        ({"pred": 1.5}, "pred", "between 0 and 1, found 1.5"),
        ({"score": -0.1}, "score", "between 0 and 1"),
        ({"confidence": "high"}, "confidence", "between 0 and 1, found 'high'"),
        ({"probability": True}, "probability", "between 0 and 1, found True"),
        ({"score": float("nan")}, "score", "between 0 and 1, found nan"),
        ({"Mined area (ha)": -3.5}, "Mined area (ha)", "0 or more hectares, found -3.5"),
        ({"mined_area_ha": "12"}, "mined_area_ha", "0 or more hectares"),
        ({"mined_area_ha": float("inf")}, "mined_area_ha", "0 or more hectares"),
    ],
)
def test_a_bad_score_or_stated_area_is_refused(
    tmp_path: Path, properties: dict[str, Any], field: str, words: str
) -> None:
    path = write(tmp_path, collection(good(), feature(polygon(ring(0, 0)), properties)))
    error = refused(path, period=parse_period("2024"))
    assert words in error.message
    assert (error.file, error.record, error.field) == (str(path), 1, field)


def test_a_bow_tie_is_repaired_into_its_two_triangles(tmp_path: Path) -> None:
    s = 0.01
    bow_tie: list[list[float]] = [[0, 0], [s, s], [s, 0], [0, s], [0, 0]]  # crossing at s/2
    path = write(tmp_path, collection(good(), feature(polygon(bow_tie), {"year": 2024})))
    layer = read_detections(path, layer_id="s")
    assert layer.repaired == 1 and len(layer.detections) == 2
    repaired = layer.detections[1]
    assert repaired.geometry.is_valid and repaired.geometry.geom_type == "MultiPolygon"
    assert len(repaired.geometry.geoms) == 2
    left = [(0, 0), (s / 2, s / 2), (0, s), (0, 0)]
    right = [(s, 0), (s, s), (s / 2, s / 2), (s, 0)]
    expected = geodesic_ha(left) + geodesic_ha(right)
    assert repaired.area_ha == pytest.approx(expected, rel=1e-9)
    assert repaired.area_ha == pytest.approx(geodesic_ha(ring(0, 0)) / 2, rel=1e-3)


def test_a_polygon_with_no_area_once_repaired_is_refused(tmp_path: Path) -> None:
    flat = [[0, 0], [1, 0], [2, 0], [0, 0]]
    path = write(tmp_path, collection(good(), feature(polygon(flat), {"year": 2024})))
    error = refused(path)
    assert "no area once repaired" in error.message
    assert (error.file, error.record, error.field) == (str(path), 1, "geometry")


def test_the_given_period_is_for_features_without_their_own(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        collection(
            feature(polygon(ring(0, 0)), {"name": "a"}),
            feature(polygon(ring(1, 0)), {"year": 2023}),
            feature(polygon(ring(2, 0)), None),
        ),
        name="scan_2022-01-01_2022-06-30.geojson",
    )
    layer = read_detections(path, layer_id="s", period=parse_period("2024-Q2"))
    assert [d.period.label for d in layer.detections] == ["2024-Q2", "2023", "2024-Q2"]
    assert layer.detections[0].period == ObservationPeriod(
        date(2024, 4, 1), date(2024, 6, 30), "2024-Q2"
    )


def test_without_a_given_period_the_file_name_states_it(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        collection(feature(polygon(ring(0, 0)), {}), feature(polygon(ring(1, 0)), {"year": 2019})),
        name="ghana_0.50_2024-01-01_2024-11-15-dissolved-0.6.geojson",
    )
    layer = read_detections(path, layer_id="s")
    first, second = layer.detections
    assert (first.period.start, first.period.end) == (date(2024, 1, 1), date(2024, 11, 15))
    assert second.period == ObservationPeriod.year(2019)


def test_a_coverage_is_kept_and_answers_what_it_covers(tmp_path: Path) -> None:
    covered = Polygon(ring(-2, 6, 1))
    layer = read_detections(write(tmp_path, collection(good())), layer_id="s", coverage=covered)
    assert layer.coverage is covered
    assert layer.covers(Polygon(ring(-1.6, 6.7)))
    assert not layer.covers(Polygon(ring(-1.01, 6.5, 0.1)))  # reaches past its east edge


def test_overlapping_detections_count_once_over_a_place(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        collection(
            feature(polygon(ring(0, 0, 0.02)), {"year": 2024}),
            feature(polygon(ring(0.01, 0, 0.02)), {"year": 2024}),
        ),
    )
    layer = read_detections(path, layer_id="s")
    union: list[list[float]] = [[0, 0], [0.03, 0], [0.03, 0.02], [0, 0.02], [0, 0]]
    seen = Snapshot(layer, parse_period("2024")).over(Polygon(ring(-1, -1, 2)))
    # The union has extra vertices on its edges, so its geodesic edges differ by a hair.
    assert seen.area_ha == pytest.approx(geodesic_ha(union), rel=1e-6)
    assert seen.area_ha < sum(d.area_ha for d in layer.detections)


def test_an_area_reads_from_a_collection_a_feature_or_a_bare_geometry(tmp_path: Path) -> None:
    west, east = polygon(ring(0, 0)), polygon(ring(0.01, 0))  # side by side
    union: list[list[float]] = [[0, 0], [0.02, 0], [0.02, 0.01], [0, 0.01], [0, 0]]
    from_collection = read_area(write(tmp_path, collection(feature(west), feature(east)), "a.json"))
    assert from_collection.area == pytest.approx(0.0002)
    from_feature = read_area(write(tmp_path, feature(west, {"name": "x"}), "b.json"))
    from_geometry = read_area(write(tmp_path, west, "c.json"))
    assert from_feature.equals(Polygon(ring(0, 0))) and from_geometry.equals(Polygon(ring(0, 0)))
    assert area_ha(from_collection) == pytest.approx(geodesic_ha(union), rel=1e-6)


def test_an_area_in_a_named_crs_is_reprojected(tmp_path: Path) -> None:
    utm = [[500_000, 0], [501_000, 0], [501_000, 1000], [500_000, 1000], [500_000, 0]]
    area = read_area(write(tmp_path, collection(feature(polygon(utm)), crs="EPSG:32618")))
    west, south, _, _ = area.bounds
    assert west == pytest.approx(-75.0, abs=1e-9) and south == pytest.approx(0.0, abs=1e-9)


@pytest.mark.parametrize(
    ("document", "record", "field"),
    [
        (collection(), None, "features"),
        ({"type": "FeatureCollection", "features": "all"}, None, "features"),
        ([1, 2], None, "type"),
        ({"type": "Point", "coordinates": [0, 0]}, 0, "geometry"),
        (collection(feature(polygon(ring(0, 0))), feature({"type": "Point"})), 1, "geometry"),
    ],
)
def test_an_area_that_is_not_polygons_is_refused(
    tmp_path: Path, document: Any, record: int | None, field: str
) -> None:
    path = write(tmp_path, document)
    with pytest.raises(InvalidInput) as raised:
        read_area(path)
    assert (raised.value.file, raised.value.record, raised.value.field) == (
        str(path),
        record,
        field,
    )


def test_an_area_that_is_not_json_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "not json at all")
    with pytest.raises(InvalidInput, match="not a JSON document") as raised:
        read_area(path)
    assert raised.value.file == str(path)

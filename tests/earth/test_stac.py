"""STAC searches without a network: pystac-client talks to a stub HTTP layer that answers with
recorded pages (tests/earth/data/stac, Earth Search style, paged with a ``next`` link); static
STAC files; what each item says about its sensor, asset names and reflectance offset."""

from __future__ import annotations

import json
import shutil
import sys
from copy import deepcopy
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from shapely.geometry import box, shape

from oresight.core.errors import InvalidInput, OresightError
from oresight.earth.bands import Sensor
from oresight.earth.periods import ObservationPeriod, parse_period

pystac = pytest.importorskip("pystac")
pytest.importorskip("pystac_client")
pytest.importorskip("rasterio")
from pystac_client.exceptions import APIError  # noqa: E402  (only after the skips above)
from pystac_client.stac_api_io import StacApiIO  # noqa: E402

from oresight.earth.stac import (  # noqa: E402
    ASSET_KEYS,
    AssetNaming,
    SceneSearch,
    StacSearchError,
    StacSource,
    acquired,
    asset_keys,
    item_boa_offset,
    read_scenes,
    search_scenes,
    sensor_of,
    solar_day,
)
from tests.earth.data.stac import synthetic as syn  # noqa: E402

pytestmark = [
    # odc-geo reprojects footprints with shapely.ops.transform, which shapely 2.1 deprecates.
    pytest.mark.filterwarnings(
        "ignore:The 'shapely.ops.transform\\(\\)' function is deprecated:DeprecationWarning"
    ),
]

SOURCE = StacSource("Synthetic Search", syn.API_URL, "sentinel-2-l2a", Sensor.SENTINEL2_L2A)
SEARCH_URL = f"{syn.API_URL}/search"
PERIOD = parse_period("2021-07-01/2023-03-31")
AOI = box(25.466, -10.716, 25.472, -10.710)  # inside the synthetic chip
PLACE = "Kolwezi pit"


class RecordedApi(StacApiIO):
    """pystac-client's HTTP layer answering from the recorded JSON files; keeps every request."""

    def __init__(
        self, *, first_page: str = "search-page-1.json", fail: Exception | None = None
    ) -> None:
        super().__init__(max_retries=None)
        self.first_page = first_page
        self.fail = fail
        self.requests: list[tuple[str, str, dict[str, Any]]] = []

    def request(
        self,
        href: str,
        method: str | None = None,
        headers: dict[str, str] | None = None,
        parameters: dict[str, Any] | None = None,
    ) -> str:
        self.requests.append(((method or "GET").upper(), href, deepcopy(parameters or {})))
        if self.fail is not None:
            raise self.fail
        if href.rstrip("/") == syn.API_URL:
            return recorded("landing.json")
        if href == SEARCH_URL:
            token = (parameters or {}).get("next")
            return recorded("search-page-2.json" if token == "page-2-token" else self.first_page)
        raise AssertionError(f"no recording for {method} {href}")


def recorded(name: str) -> str:
    return (syn.HERE / name).read_text(encoding="utf-8")


def test_search_pages_through_and_sends_the_filters() -> None:
    api = RecordedApi()
    found = search_scenes(SOURCE, AOI, PERIOD, place=PLACE, max_cloud_cover=30, stac_io=api)
    # Page 1 holds 3 items, page 2 three more; the 87 % cloudy one is dropped here even though
    # the server sent it.
    assert found.ids == [
        "S2A_35LLC_20210705_0_L2A",
        "S2B_35LLC_20220710_0_L2A",
        "S2A_35LLC_20220804_0_L2A",
        "S2B_35LLC_20220829_0_L2A",
        "S2B_35LLC_20230210_0_L2A",
    ]
    assert found.sensor is Sensor.SENTINEL2_L2A and found.source == "Synthetic Search"
    assert not found.is_empty and found.data_gap() is None
    assert [(method, href) for method, href, _ in api.requests] == [
        ("GET", syn.API_URL),
        ("POST", SEARCH_URL),
        ("POST", SEARCH_URL),
    ]
    body = api.requests[1][2]
    assert list(body["collections"]) == ["sentinel-2-l2a"]
    assert body["datetime"] == "2021-07-01T00:00:00Z/2023-03-31T23:59:59Z"
    assert body["query"] == {"eo:cloud_cover": {"lte": 30}}
    assert shape(body["intersects"]).equals(AOI)
    # The next link's body is merged into the search, as the STAC API spec says.
    assert api.requests[2][2]["next"] == "page-2-token"
    assert list(api.requests[2][2]["collections"]) == ["sentinel-2-l2a"]
    # Items keep what the API said: baseline, cloud cover, projection.
    second = found.items[1]
    assert second.properties["s2:processing_baseline"] == "04.00"
    assert second.properties["eo:cloud_cover"] == pytest.approx(9.4)


def test_an_empty_search_is_an_explicit_data_gap() -> None:
    from oresight.earth.composites import load_observations

    api = RecordedApi(first_page="search-empty.json")
    period = parse_period("2024-Q2")
    found = search_scenes(SOURCE, AOI, period, place=PLACE, stac_io=api)
    assert found.is_empty and found.items == () and found.ids == []
    assert found.data_gap() == (
        "no Sentinel-2 L2A scenes of Kolwezi pit in 2024-Q2 with at most 30 % cloud cover "
        "(Synthetic Search)"
    )
    assert len(api.requests) == 2  # landing page, one search; no next link followed
    with pytest.raises(InvalidInput, match="nothing to load: no Sentinel-2 L2A scenes of Kolwezi"):
        load_observations(found)


@pytest.mark.parametrize(
    ("failure", "expected"),
    [
        (APIError("Max retries exceeded: connection refused"), "connection refused"),
        (ValueError("Expecting value: line 1 column 1 (char 0)"), "Expecting value"),
    ],
)
def test_network_failures_name_the_url(failure: Exception, expected: str) -> None:
    with pytest.raises(StacSearchError) as caught:
        search_scenes(SOURCE, AOI, PERIOD, stac_io=RecordedApi(fail=failure))
    assert isinstance(caught.value, OresightError)
    assert caught.value.url == syn.API_URL
    assert syn.API_URL in str(caught.value) and expected in str(caught.value)


def test_a_server_error_while_paging_names_the_status() -> None:
    class FailingSecondPage(RecordedApi):
        def request(self, href: str, method: str | None = None, **kwargs: Any) -> str:
            if (kwargs.get("parameters") or {}).get("next"):
                error = APIError("Bad Gateway")
                error.status_code = 502
                raise error
            return super().request(href, method, **kwargs)

    with pytest.raises(StacSearchError, match="HTTP 502: Bad Gateway"):
        search_scenes(SOURCE, AOI, PERIOD, stac_io=FailingSecondPage())


def test_an_answer_that_is_not_stac_is_an_error() -> None:
    class NotStac(RecordedApi):
        def request(self, href: str, method: str | None = None, **kwargs: Any) -> str:
            return "<html><body>Service unavailable</body></html>"

    with pytest.raises(StacSearchError, match=syn.API_URL):
        search_scenes(SOURCE, AOI, PERIOD, stac_io=NotStac())

    class NoSearch(RecordedApi):
        def request(self, href: str, method: str | None = None, **kwargs: Any) -> str:
            landing = json.loads(recorded("landing.json"))
            landing["links"] = [link for link in landing["links"] if link["rel"] != "search"]
            landing["conformsTo"] = ["https://api.stacspec.org/v1.0.0/core"]
            return json.dumps(landing)

    with pytest.raises(StacSearchError, match=syn.API_URL):
        search_scenes(SOURCE, AOI, PERIOD, stac_io=NoSearch())


def test_bad_search_arguments_are_refused() -> None:
    with pytest.raises(InvalidInput, match="percentage from 0 to 100"):
        search_scenes(SOURCE, AOI, PERIOD, max_cloud_cover=120, stac_io=RecordedApi())
    with pytest.raises(InvalidInput, match="empty"):
        search_scenes(SOURCE, box(0, 0, 0, 0).buffer(0), PERIOD, stac_io=RecordedApi())


def test_search_then_composite_end_to_end(tmp_path: Path) -> None:
    from oresight.earth.composites import (
        clear_observation_gap,
        load_observations,
        median_composite,
    )

    for spec in syn.RECORDED_SCENES:
        syn.write_scene(spec, tmp_path, bands=["red"])
    found = search_scenes(SOURCE, AOI, PERIOD, place=PLACE, stac_io=RecordedApi())

    def local(href: str) -> str:  # what signing or a mirror would do to the asset URLs
        return href.replace(syn.ASSET_URL, str(tmp_path))

    observations = load_observations(
        found, bands=["red"], crs="EPSG:32735", resolution=20, patch_url=local
    )
    composite = median_composite(observations, parse_period("2022"))
    specs = [s for s in syn.RECORDED_SCENES if s.scene_id in composite.attrs["scenes"]]
    assert [s.scene_id for s in specs] == [
        "S2B_35LLC_20220710_0_L2A",
        "S2A_35LLC_20220804_0_L2A",
        "S2B_35LLC_20220829_0_L2A",
    ]
    expected_count = sum(spec.clear().astype(int) for spec in specs)
    # The grid is the AOI's box snapped to 20 m: compare the part of the chip it covers.
    transform = composite.rio.transform()
    row, col = round((syn.ORIGIN[1] - transform.f) / 20), round((transform.c - syn.ORIGIN[0]) / 20)
    rows, cols = composite["clear_count"].shape
    np.testing.assert_array_equal(
        composite["clear_count"].values, expected_count[row : row + rows, col : col + cols]
    )
    assert clear_observation_gap(composite, place=PLACE) is None


# --- static files ---------------------------------------------------------------------------------


@pytest.fixture
def catalog_folder(tmp_path: Path) -> Path:
    shutil.copy(syn.HERE / "items.json", tmp_path / "items.json")
    return tmp_path


def test_a_static_item_collection_is_read_with_relative_hrefs_resolved(
    catalog_folder: Path,
) -> None:
    found = read_scenes(
        catalog_folder / "items.json",
        period=parse_period("2022"),
        max_cloud_cover=30,
        place=PLACE,
    )
    assert found.ids == [
        "S2B_35LLC_20220710_0_L2A",
        "S2A_35LLC_20220804_0_L2A",
        "S2B_35LLC_20220829_0_L2A",
    ]
    assert found.sensor is Sensor.SENTINEL2_L2A
    red = found.items[0].assets["red"].href
    assert red == str(catalog_folder.resolve() / "S2B_35LLC_20220710_0_L2A" / "red.tif")
    everything = read_scenes(catalog_folder / "items.json")
    assert len(everything.items) == len(syn.RECORDED_SCENES)
    assert everything.period is None and everything.data_gap() is None


def test_a_static_file_with_nothing_over_the_place_is_a_data_gap(catalog_folder: Path) -> None:
    far_away = box(30.0, -5.0, 30.1, -4.9)
    found = read_scenes(
        catalog_folder / "items.json", aoi=far_away, period=parse_period("2022"), place="Site 7"
    )
    assert found.is_empty
    assert found.data_gap() == (
        f"no Sentinel-2 L2A scenes of Site 7 in 2022 ({catalog_folder / 'items.json'})"
    )
    assert read_scenes(catalog_folder / "items.json", aoi=AOI).ids  # the chip itself: found


def test_a_catalog_tree_and_a_single_item_are_read(tmp_path: Path) -> None:
    spec = syn.RECORDED_SCENES[0]
    document = syn.item_dict(spec, {"red": "red.tif", "scl": "scl.tif"})
    item = pystac.Item.from_dict(document)
    catalog = pystac.Catalog("scenes", "Synthetic scenes")
    catalog.add_item(item)
    catalog.normalize_hrefs(str(tmp_path / "catalog"))
    catalog.save(catalog_type=pystac.CatalogType.SELF_CONTAINED)
    from_tree = read_scenes(tmp_path / "catalog" / "catalog.json")
    assert from_tree.ids == [spec.scene_id]
    # Relative hrefs are relative to the item's own file, not to the catalog's.
    item_folder = (tmp_path / "catalog" / spec.scene_id).resolve()
    assert from_tree.items[0].assets["red"].href == str(item_folder / "red.tif")

    single = tmp_path / "one" / "item.json"
    single.parent.mkdir()
    single.write_text(json.dumps(document), encoding="utf-8")
    found = read_scenes(single)
    assert found.ids == [spec.scene_id]
    assert found.items[0].assets["scl"].href == str(single.parent.resolve() / "scl.tif")


def write_json(path: Path, document: Any) -> Path:
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def test_hostile_static_files_are_refused_naming_file_and_item(tmp_path: Path) -> None:
    good = syn.item_dict(syn.RECORDED_SCENES[0], {"red": "red.tif"})
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    with pytest.raises(InvalidInput, match="not a readable STAC JSON") as caught:
        read_scenes(broken)
    assert caught.value.file == str(broken)
    with pytest.raises(InvalidInput, match="JSON object"):
        read_scenes(write_json(tmp_path / "list.json", [good]))
    with pytest.raises(InvalidInput, match="found type 'Topology'"):
        read_scenes(write_json(tmp_path / "topo.json", {"type": "Topology"}))
    with pytest.raises(InvalidInput, match="must be a list"):
        read_scenes(write_json(tmp_path / "f.json", {"type": "FeatureCollection", "features": 3}))

    undated = deepcopy(good)
    undated["id"] = "no-date"
    undated["properties"].pop("datetime")
    collection = {"type": "FeatureCollection", "features": [good, undated]}
    with pytest.raises(InvalidInput) as caught:
        read_scenes(write_json(tmp_path / "undated.json", collection))
    assert caught.value.record == "no-date" and caught.value.file == str(tmp_path / "undated.json")

    unknown = deepcopy(good)
    unknown["id"] = "modis-1"
    unknown["collection"] = "modis-09A1-061"
    unknown["properties"]["platform"] = "terra"
    unknown["properties"]["constellation"] = "terra"
    collection = {"type": "FeatureCollection", "features": [good, unknown]}
    with pytest.raises(InvalidInput, match="not a Sentinel-2 L2A or Landsat") as caught:
        read_scenes(write_json(tmp_path / "modis.json", collection))
    assert caught.value.record == "modis-1"

    landsat = deepcopy(good)
    landsat["id"] = "LC09_1"
    landsat["collection"] = "landsat-c2-l2"
    collection = {"type": "FeatureCollection", "features": [good, landsat]}
    with pytest.raises(InvalidInput, match="several sensors"):
        read_scenes(write_json(tmp_path / "mixed.json", collection))
    with pytest.raises(InvalidInput, match="not a readable"):
        read_scenes(tmp_path / "missing.json")


# --- what an item says ----------------------------------------------------------------------------


def s2_item(when: datetime, properties: dict[str, Any] | None = None, *, lon: float = 25.47) -> Any:
    return pystac.Item(
        id=f"S2_{when:%Y%m%dT%H%M}",
        geometry=box(lon - 0.5, -11.0, lon + 0.5, -10.0).__geo_interface__,
        bbox=[lon - 0.5, -11.0, lon + 0.5, -10.0],
        datetime=when,
        properties=properties or {},
        collection="sentinel-2-l2a",
    )


BASELINE_4 = {"s2:processing_baseline": "04.00"}


@pytest.mark.parametrize(
    ("when", "properties", "offset"),
    [
        ("2021-07-05", {"s2:processing_baseline": "03.01"}, 0),
        ("2022-07-10", {"s2:processing_baseline": "04.00"}, -1000),
        ("2022-01-24", {}, 0),  # the day before baseline 04.00: by date
        ("2022-01-25", {}, -1000),
        ("2018-03-01", {"s2:processing_baseline": "05.00"}, -1000),  # reprocessed archive
        ("2022-07-10", {"s2:processing_baseline": 4.0}, -1000),  # a number, as some write it
        # Earth Search took the offset out of the COGs already (or, when false, did not).
        ("2022-07-10", {**BASELINE_4, "earthsearch:boa_offset_applied": True}, 0),
        ("2022-07-10", {**BASELINE_4, "sentinel:boa_offset_applied": True}, 0),
        ("2022-07-10", {**BASELINE_4, "earthsearch:boa_offset_applied": False}, -1000),
    ],
)
def test_the_reflectance_offset_of_an_item(
    when: str, properties: dict[str, Any], offset: int
) -> None:
    day = datetime.fromisoformat(when).replace(hour=8, tzinfo=UTC)
    assert item_boa_offset(s2_item(day, properties)) == offset


def test_a_malformed_baseline_names_the_item() -> None:
    item = s2_item(datetime(2022, 7, 10, tzinfo=UTC), {"s2:processing_baseline": "four"})
    with pytest.raises(InvalidInput, match=r"looks like '04\.00'") as caught:
        item_boa_offset(item)
    assert caught.value.record == item.id and caught.value.field == "s2:processing_baseline"


def test_asset_keys_follow_each_services_naming() -> None:
    spec = syn.RECORDED_SCENES[0]
    earth_search = pystac.Item.from_dict(
        syn.item_dict(spec, {"red": "r.tif", "nir": "n.tif", "scl": "s.tif", "nir08": "a.tif"})
    )
    planetary = pystac.Item.from_dict(
        syn.item_dict(spec, {"B04": "r.tif", "B08": "n.tif", "B8A": "a.tif", "SCL": "s.tif"})
    )
    wanted = ["red", "nir", "nir08", "scl"]
    assert asset_keys(earth_search, Sensor.SENTINEL2_L2A, wanted) == {
        "red": "red",
        "nir": "nir",
        "nir08": "nir08",
        "scl": "scl",
    }
    assert asset_keys(planetary, Sensor.SENTINEL2_L2A, wanted) == {
        "red": "B04",
        "nir": "B08",
        "nir08": "B8A",
        "scl": "SCL",
    }
    # Asking by product name gives the same.
    assert asset_keys(planetary, Sensor.SENTINEL2_L2A, ["B04"]) == {"red": "B04"}
    table = ASSET_KEYS[(Sensor.SENTINEL2_L2A, AssetNaming.PRODUCT_NAME)]
    assert table["swir16"] == "B11" and table["swir22"] == "B12" and table["blue"] == "B02"
    landsat = ASSET_KEYS[(Sensor.LANDSAT_C2_L2, AssetNaming.COMMON_NAME)]
    assert landsat["nir08"] == "nir08" and landsat["qa_pixel"] == "qa_pixel"
    with pytest.raises(InvalidInput, match="no assets for bands swir16") as caught:
        asset_keys(earth_search, Sensor.SENTINEL2_L2A, ["swir16"])
    assert caught.value.record == earth_search.id
    assert "nir08, red, scl" in str(caught.value)


def test_sensor_of_an_item() -> None:
    when = datetime(2022, 7, 10, tzinfo=UTC)
    assert sensor_of(s2_item(when)) is Sensor.SENTINEL2_L2A
    landsat = s2_item(when)
    landsat.collection_id = "landsat-c2-l2"
    assert sensor_of(landsat) is Sensor.LANDSAT_C2_L2
    by_platform = s2_item(when, {"platform": "landsat-9"})
    by_platform.collection_id = None
    assert sensor_of(by_platform) is Sensor.LANDSAT_C2_L2
    other = s2_item(when, {"platform": "terra"})
    other.collection_id = "modis"
    with pytest.raises(InvalidInput, match="collection 'modis', platform 'terra'"):
        sensor_of(other)
    level1 = s2_item(when, {"platform": "landsat-8"})
    level1.collection_id = "landsat-c2-l1"  # other numbers than Level-2: never read as such
    with pytest.raises(InvalidInput, match="collection 'landsat-c2-l1'"):
        sensor_of(level1)


def test_solar_day_and_acquisition_time() -> None:
    # 23:30 UTC at 150.5 E is 09:30 the next morning there (10 whole hours east).
    late = s2_item(datetime(2022, 7, 9, 23, 30, tzinfo=UTC), lon=150.5)
    assert solar_day(late) == date(2022, 7, 10)
    # 03:00 UTC at 120.5 W is 19:00 the day before (8 whole hours west).
    early = s2_item(datetime(2022, 7, 10, 3, 0, tzinfo=UTC), lon=-120.5)
    assert solar_day(early) == date(2022, 7, 9)
    assert solar_day(s2_item(datetime(2022, 7, 10, 8, 30, tzinfo=UTC))) == date(2022, 7, 10)
    ranged = s2_item(datetime(2022, 7, 10, tzinfo=UTC))
    ranged.datetime = None
    ranged.properties["start_datetime"] = "2022-07-11T08:00:00Z"
    assert acquired(ranged) == datetime(2022, 7, 11, 8, tzinfo=UTC)


def test_an_empty_scene_search_reads_well() -> None:
    period = ObservationPeriod(date(2024, 1, 1), date(2024, 3, 31), "2024-Q1")
    gap = SceneSearch(
        items=(),
        period=period,
        place="Site 3",
        source="Planetary Computer",
        sensor=Sensor.LANDSAT_C2_L2,
        max_cloud_cover=20,
    ).data_gap()
    assert gap == (
        "no Landsat Collection 2 Level-2 scenes of Site 3 in 2024-Q1 with at most 20 % cloud "
        "cover (Planetary Computer)"
    )


def test_without_the_extra_the_error_names_it(monkeypatch: pytest.MonkeyPatch) -> None:
    from oresight.earth.extra import EarthUnavailable

    monkeypatch.setitem(sys.modules, "pystac_client", None)  # import now fails
    with pytest.raises(EarthUnavailable, match=r"oresight\[earth\]"):
        search_scenes(SOURCE, AOI, PERIOD, stac_io=None)

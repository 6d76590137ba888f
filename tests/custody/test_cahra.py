"""ORIGIN.CAHRA and the CAHRA list formats: the bundled list, user lists, hostile lists."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from oresight.core.errors import InvalidInput
from oresight.core.findings import EvidenceKind, FindingCode, Severity, SubjectType
from oresight.core.sites import Site, SiteKind
from oresight.custody.cahra import CahraParams, find_cahra_exposure
from oresight.custody.cahra_list import CahraEntry, CahraList, load_cahra_list
from tests.custody.chain_builders import commission, move, square, transform

TODAY = date(2024, 6, 1)
LIST = CahraList(
    name="test list",
    list_date=date(2024, 1, 15),
    source="https://example.org/cahra",
    entries=(
        CahraEntry(country="CD", subdivision="CD-NK", area="Nord-Kivu", reason="armed groups"),
        CahraEntry(country="CF", reason="UN sanctions"),
    ),
)
CURRENT = CahraParams(as_of=TODAY)


def _site(site_id: str, kind: SiteKind, country: str | None, **properties: str) -> Site:
    name = site_id.rsplit(":", 1)[-1]
    return Site(id=site_id, name=name, kind=kind, country=country, properties=properties)


RUBAYA = _site("urn:site:mine:rubaya", SiteKind.ARTISANAL_SITE, "CD", subdivision="CD-NK")
KOLWEZI = _site("urn:site:mine:kolwezi", SiteKind.MINE, "CD", subdivision="CD-LU")
GOMA = _site("urn:site:trader:goma", SiteKind.TRADER, "CD", subdivision_name="Nord Kivu")
BANGUI = _site("urn:site:trader:bangui", SiteKind.TRADER, "CF")
UNPLACED = _site("urn:site:mine:unplaced", SiteKind.MINE, "CD")
SMELTER = _site("urn:site:smelter:cn", SiteKind.SMELTER, "CN")
SITES = {s.id: s for s in (RUBAYA, KOLWEZI, GOMA, BANGUI, UNPLACED, SMELTER)}


def test_extraction_in_a_listed_area_is_high_and_cites_the_list_entry() -> None:
    events = [commission("e1", "lot:1", RUBAYA.id, 0), move("e2", "lot:1", SMELTER.id, 5)]
    outcome = find_cahra_exposure(events, sites=SITES, cahra=LIST, params=CURRENT)
    (finding,) = outcome.findings
    assert outcome.gaps == ()
    assert finding.code is FindingCode.ORIGIN_CAHRA
    assert finding.subject.type is SubjectType.LOT and finding.subject.id == "lot:1"
    assert finding.severity is Severity.HIGH and finding.confidence == 0.85
    assert "extracted at rubaya (urn:site:mine:rubaya) on 2024-03-01, in Nord-Kivu (CD-NK)" in (
        finding.explanation
    )
    assert "CAHRA list 'test list' dated 2024-01-15" in finding.explanation
    (entry,) = [e for e in finding.evidence if e.kind is EvidenceKind.LIST_ENTRY]
    assert entry.id == "test list#CD-NK"
    assert entry.data["list_date"] == "2024-01-15" and entry.data["matched_by"] == "subdivision"
    assert entry.data["reason"] == "armed groups" and entry.data["list_out_of_date"] is False
    assert [e.id for e in finding.evidence if e.kind is EvidenceKind.EVENT] == ["e1"]


def test_transit_through_a_listed_area_is_medium_and_downstream_lots_are_named() -> None:
    events = [
        commission("e1", "lot:1", KOLWEZI.id, 0),
        move("e2", "lot:1", GOMA.id, 2, "receiving"),
        move("e3", "lot:1", BANGUI.id, 4, "shipping"),
        transform("e4", ["lot:1"], "lot:2", SMELTER.id, 9),
    ]
    outcome = find_cahra_exposure(events, sites=SITES, cahra=LIST, params=CURRENT)
    (finding,) = outcome.findings
    assert finding.severity is Severity.MEDIUM
    assert finding.confidence == 0.75  # Goma is placed by the name of its area only
    assert "handled (receiving) at goma" in finding.explanation
    bangui = (
        "handled (shipping) at bangui (urn:site:trader:bangui) on 2024-03-05, in the whole of CF"
    )
    assert bangui in finding.explanation
    assert "1 downstream lot(s) were made from it" in finding.explanation
    assert [e.id for e in finding.evidence if e.kind is EvidenceKind.LOT] == ["lot:2"]
    matched_by = {e.id: e.data["matched_by"] for e in finding.evidence if e.data.get("list")}
    assert matched_by == {"test list#CD-NK": "subdivision name", "test list#CF": "country"}
    assert finding.period.start is not None and finding.period.start.day == 3


def test_a_site_the_list_cannot_place_is_a_gap_not_a_pass() -> None:
    events = [
        commission("e1", "lot:1", UNPLACED.id, 0),
        move("e2", "lot:1", "urn:site:nowhere", 1),
        commission("e3", "lot:3", _site("urn:x", SiteKind.MINE, None).id, 0),
    ]
    stateless = _site("urn:x", SiteKind.MINE, None)
    outcome = find_cahra_exposure(
        events, sites={**SITES, stateless.id: stateless}, cahra=LIST, params=CURRENT
    )
    assert outcome.findings == ()
    gaps = {(gap.subject.id if gap.subject else None): gap for gap in outcome.gaps}
    assert gaps[UNPLACED.id].missing == "site subdivision"
    assert "names areas of CD (Nord-Kivu (CD-NK))" in gaps[UNPLACED.id].explanation
    assert gaps["urn:site:nowhere"].missing == "site record"
    assert gaps["urn:x"].missing == "site country"


def test_sites_outside_every_listed_area_are_clean() -> None:
    events = [commission("e1", "lot:1", KOLWEZI.id, 0), move("e2", "lot:1", SMELTER.id, 2)]
    outcome = find_cahra_exposure(events, sites=SITES, cahra=LIST, params=CURRENT)
    assert outcome.findings == () and outcome.gaps == ()


def test_an_old_list_is_flagged_in_the_finding_and_as_a_gap() -> None:
    events = [commission("e1", "lot:1", RUBAYA.id, 0)]
    params = CahraParams(as_of=date(2025, 3, 1), max_list_age_months=12)
    outcome = find_cahra_exposure(events, sites=SITES, cahra=LIST, params=params)
    (finding,) = outcome.findings
    assert "The list is 13 months old on 2025-03-01" in finding.explanation
    assert finding.confidence == 0.7
    (gap,) = outcome.gaps
    assert gap.missing == "current CAHRA list" and "dated 2024-01-15, 13 months" in gap.explanation
    fresh = CahraParams(as_of=date(2025, 1, 14), max_list_age_months=12)  # 11 full months
    assert find_cahra_exposure(events, sites=SITES, cahra=LIST, params=fresh).gaps == ()


def test_a_polygon_entry_places_sites_by_their_geometry(tmp_path: Path) -> None:
    polygons = tmp_path / "areas.geojson"
    feature = {"type": "Feature", "id": "rubaya-zone", "geometry": square(28.9, -1.6, 0.1)}
    polygons.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}))
    listed = tmp_path / "list.yaml"
    listed.write_text(
        "name: zones\nlist_date: 2024-05-01\npolygons: areas.geojson\n"
        "entries:\n  - country: CD\n    area: Rubaya zone\n    polygon: rubaya-zone\n"
    )
    cahra = load_cahra_list(listed)
    point = {"type": "Point", "coordinates": [28.92, -1.58]}
    inside = Site(id="urn:in", kind=SiteKind.MINE, country="CD", geometry=point)
    far = Site(id="urn:far", kind=SiteKind.MINE, country="CD", geometry=square(25, -10, 0.1))
    sites = {s.id: s for s in (inside, far)}
    events = [commission("e1", "lot:1", inside.id, 0), commission("e2", "lot:2", far.id, 0)]
    outcome = find_cahra_exposure(events, sites=sites, cahra=cahra, params=CURRENT)
    assert [f.subject.id for f in outcome.findings] == ["lot:1"]
    assert outcome.gaps == ()


def test_the_bundled_list_is_labelled_illustrative_and_every_entry_says_why() -> None:
    default = load_cahra_list()
    assert default.illustrative and "not an official list" in default.name
    assert default.list_date == date(2026, 11, 26) and default.source
    assert {"CD-NK", "CD-SK", "CD-IT", "CF", "SD", "MM-11", "VE-F"} <= {
        e.key for e in default.entries
    }
    assert all(entry.reason for entry in default.entries)
    events = [commission("e1", "lot:1", RUBAYA.id, 0)]
    params = CahraParams(as_of=date(2026, 12, 1))
    (finding,) = find_cahra_exposure(events, sites=SITES, cahra=default, params=params).findings
    assert finding.confidence == 0.6 and "illustrative default" in finding.explanation


# -- user lists -----------------------------------------------------------------------------------


def _yaml(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "cahra.yaml"
    path.write_text(text, encoding="utf-8")
    return path


GOOD_ENTRY = "entries:\n  - country: cd\n    subdivision: cd-nk\n"


def test_a_yaml_list_reads_with_codes_made_upper_case(tmp_path: Path) -> None:
    cahra = load_cahra_list(_yaml(tmp_path, f"name: mine\nlist_date: 2024-02-01\n{GOOD_ENTRY}"))
    assert (cahra.name, cahra.list_date, cahra.illustrative) == ("mine", date(2024, 2, 1), False)
    assert cahra.entries == (CahraEntry(country="CD", subdivision="CD-NK"),)


@pytest.mark.parametrize(
    ("text", "record", "field", "message"),
    [
        (f"name: x\nlist_date: 2024-02-01\nlist: y\n{GOOD_ENTRY}", None, "list", "unknown key"),
        (f"name: x\n{GOOD_ENTRY}", None, "list_date", "expected an ISO date"),
        ("name: x\nlist_date: 2024-02-01\nentries: []\n", None, "entries", "non-empty"),
        (
            "name: x\nlist_date: 2024-02-01\nentries:\n  - country: COD\n",
            "entry 0",
            "country",
            "ISO 3166-1 alpha-2",
        ),
        (
            "name: x\nlist_date: 2024-02-01\nentries:\n  - country: CD\n    subdivision: RW-01\n",
            "entry 0",
            "subdivision",
            "not an area of country CD",
        ),
        (
            "name: x\nlist_date: 2024-02-01\nentries:\n  - country: CD\n    province: Ituri\n",
            "entry 0",
            "province",
            "unknown field",
        ),
        (
            "name: x\nlist_date: 2024-02-01\nentries:\n  - country: CD\n    polygon: z\n",
            "entry 0",
            "polygon",
            "names no polygons file",
        ),
        (
            "name: x\nlist_date: 2024-02-01\nentries:\n  - country: CF\n  - country: CF\n",
            "entry 1",
            None,
            r"CF is listed twice \(first at entry 0\)",
        ),
    ],
)
def test_a_bad_yaml_list_is_refused_with_its_place(
    tmp_path: Path, text: str, record: str | None, field: str | None, message: str
) -> None:
    path = _yaml(tmp_path, text)
    with pytest.raises(InvalidInput, match=message) as caught:
        load_cahra_list(path)
    assert (caught.value.file, caught.value.record, caught.value.field) == (
        str(path),
        record,
        field,
    )


def test_a_key_given_twice_in_yaml_is_refused(tmp_path: Path) -> None:
    path = _yaml(tmp_path, f"name: x\nname: y\nlist_date: 2024-02-01\n{GOOD_ENTRY}")
    with pytest.raises(InvalidInput, match="'name' is given twice"):
        load_cahra_list(path)


def test_a_csv_list_with_mapped_columns(tmp_path: Path) -> None:
    path = tmp_path / "eu.csv"
    path.write_text(
        "Country code,Region,ISO 3166-2,Notes,,\nCD,Ituri,CD-IT,x,,\nSD,,,y,,\n", encoding="utf-8"
    )
    columns = {"Country code": "country", "Region": "area", "ISO 3166-2": "subdivision"}
    cahra = load_cahra_list(
        path,
        name="EU indicative list",
        list_date=date(2024, 3, 1),
        source="https://example.org",
        columns={**columns, "Notes": None},
    )
    assert cahra.entries == (
        CahraEntry(country="CD", subdivision="CD-IT", area="Ituri"),
        CahraEntry(country="SD"),
    )
    assert cahra.file == str(path) and cahra.source == "https://example.org"


def test_a_bad_csv_list_is_refused_with_its_place(tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    path.write_text("country,area\nCD,Ituri\n\nCongo,\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match="needs a name and a list_date"):
        load_cahra_list(path)
    with pytest.raises(InvalidInput) as caught:
        load_cahra_list(path, name="x", list_date=TODAY)
    assert (caught.value.record, caught.value.field) == ("row 4", "country")
    path.write_text("country,region\nCD,Ituri\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match="unknown column") as caught:
        load_cahra_list(path, name="x", list_date=TODAY)
    assert caught.value.field == "region"
    path.write_text("country,Country code\nCD,CD\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match="a second column gives 'country'") as caught:
        load_cahra_list(path, name="x", list_date=TODAY, columns={"Country code": "country"})
    assert caught.value.field == "Country code"
    with pytest.raises(InvalidInput, match="gives its own name"):
        load_cahra_list(_yaml(tmp_path, "name: x"), name="y")
    with pytest.raises(InvalidInput, match=r"suffix '\.xlsx'"):
        load_cahra_list(tmp_path / "list.xlsx")

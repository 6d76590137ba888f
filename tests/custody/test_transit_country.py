"""ORIGIN.TRANSIT_COUNTRY: declared extraction against USGS national mine production."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from oresight.core.custody import Action, CustodyEvent, EventType, LotMasterData, QuantityElement
from oresight.core.errors import InvalidInput
from oresight.core.findings import EvidenceKind, FindingCode, Severity, SubjectType
from oresight.core.minerals import MaterialForm, Mineral
from oresight.core.sites import Site, SiteKind
from oresight.custody.production import (
    ProductionRow,
    ProductionTable,
    ValueFlag,
    read_usgs_world_production,
)
from oresight.custody.transit_country import TransitCountryParams, find_transit_country_origins


def _site(site_id: str, country: str | None, kind: SiteKind = SiteKind.ARTISANAL_SITE) -> Site:
    return Site(id=site_id, name=site_id.rsplit(":", 1)[-1], kind=kind, country=country)


RWANDA = _site("urn:site:mine:rw", "RW")
CONGO = _site("urn:site:mine:cd", "CD")
NOWHERE = _site("urn:site:mine:none", None)
TRADER = _site("urn:site:trader:rw", "RW", SiteKind.TRADER)
SITES = {s.id: s for s in (RWANDA, CONGO, NOWHERE, TRADER)}


def _extraction(
    event_id: str,
    site: Site,
    tonnes: float,
    *,
    grade: float | None = 35.0,
    mineral: Mineral | None = Mineral.TANTALUM,
    year: int = 2023,
    uom: str | None = "TNE",
) -> CustodyEvent:
    return CustodyEvent(
        event_id=event_id,
        type=EventType.OBJECT,
        action=Action.ADD,
        biz_step="commissioning",
        event_time=datetime(year, 6, 1, 8, 0, tzinfo=UTC),
        event_time_zone_offset="+02:00",
        biz_location=site.id,
        quantity_list=(QuantityElement(epc_class=f"lot:{event_id}", quantity=tonnes, uom=uom),),
        lot_master=LotMasterData(
            mineral=mineral, form=MaterialForm.CONCENTRATE, grade_percent=grade
        ),
    )


def _row(
    country: str,
    code: str | None,
    value: float | None,
    *,
    year: int = 2023,
    flags: frozenset[ValueFlag] = frozenset(),
    aggregate: bool = False,
    line: int = 2,
) -> ProductionRow:
    return ProductionRow(
        edition="MCS2024",
        country=country,
        country_code=code,
        aggregate=aggregate,
        commodity="tanta",
        mineral=Mineral.TANTALUM,
        measure="Mine production, tantalum content",
        year=year,
        value=value,
        unit="t",
        flags=flags,
        qualifier=None,
        footnote=None,
        source_file="tanta.csv",
        source_row=line,
    )


@pytest.fixture(scope="module")
def tantalum_2024(shared_data: Path) -> ProductionTable:
    return read_usgs_world_production(
        shared_data / "trade" / "usgs_mcs2024_world" / "mcs2024-tanta_world.csv"
    )


def test_more_coltan_declared_in_rwanda_than_usgs_says_it_mines(
    tantalum_2024: ProductionTable,
) -> None:
    # 20 lots of 100 t of coltan at 35 % Ta: 700 t of tantalum against 520 t (MCS2024, 2023 est.).
    events = [_extraction(f"e{i}", RWANDA, 100.0) for i in range(20)]
    outcome = find_transit_country_origins(events, sites=SITES, production=tantalum_2024)
    (finding,) = outcome.findings
    assert finding.code is FindingCode.ORIGIN_TRANSIT_COUNTRY
    assert finding.subject.type is SubjectType.COUNTRY and finding.subject.id == "RW"
    assert finding.severity is Severity.HIGH and finding.confidence == 0.85
    assert (
        "700.0 t of tantalum mined in RW in 2023, in 20 lot(s) at 1 site(s)" in finding.explanation
    )
    assert "520 t (MCS2024, estimated) (135% of it)" in finding.explanation
    row = finding.evidence[0]
    assert row.kind is EvidenceKind.TRADE_ROW and row.id == "mcs2024-tanta_world.csv#row10"
    assert row.data["tonnes"] == 520.0 and row.data["flags"] == ["estimated"]
    assert sum(e.kind is EvidenceKind.EVENT for e in finding.evidence) == 20
    assert outcome.gaps == ()


def test_volumes_within_production_and_tolerance_are_clean(tantalum_2024: ProductionTable) -> None:
    within = [_extraction(f"e{i}", RWANDA, 100.0) for i in range(16)]  # 560 t <= 520 t x 1.1
    assert (
        find_transit_country_origins(within, sites=SITES, production=tantalum_2024).findings == ()
    )
    strict = TransitCountryParams(tolerance=0.0)
    outcome = find_transit_country_origins(
        within, sites=SITES, production=tantalum_2024, params=strict
    )
    assert len(outcome.findings) == 1


def test_an_optional_share_threshold_flags_a_large_share_low(
    tantalum_2024: ProductionTable,
) -> None:
    events = [_extraction(f"e{i}", RWANDA, 100.0) for i in range(10)]  # 350 t of 520 t
    params = TransitCountryParams(share_threshold=0.5)
    outcome = find_transit_country_origins(
        events, sites=SITES, production=tantalum_2024, params=params
    )
    (finding,) = outcome.findings
    assert finding.severity is Severity.LOW and "67% of the country's whole" in finding.explanation
    assert (
        find_transit_country_origins(events, sites=SITES, production=tantalum_2024).findings == ()
    )


def test_lots_without_grade_count_at_gross_mass_with_less_confidence(
    tantalum_2024: ProductionTable,
) -> None:
    graded = [_extraction(f"g{i}", RWANDA, 100.0) for i in range(10)]  # 350 t content
    ungraded = [_extraction(f"u{i}", RWANDA, 50.0, grade=None) for i in range(5)]  # 250 t gross
    outcome = find_transit_country_origins(graded + ungraded, sites=SITES, production=tantalum_2024)
    (finding,) = outcome.findings
    assert finding.confidence == 0.5
    assert "5 lot(s) declare no grade" in finding.explanation
    assert "(250.0 t), an upper bound" in finding.explanation


def test_a_country_usgs_lists_with_zero_production(tantalum_2024: ProductionTable) -> None:
    us_mine = _site("urn:site:mine:us", "US")
    events = [_extraction("e1", us_mine, 2.0)]
    (finding,) = find_transit_country_origins(
        events, sites={us_mine.id: us_mine}, production=tantalum_2024
    ).findings
    assert (
        finding.severity is Severity.HIGH and "as 0 t (MCS2024, estimated)" in finding.explanation
    )


def test_a_country_usgs_does_not_list_is_compared_with_other_countries(
    shared_data: Path,
) -> None:
    gold = read_usgs_world_production(
        shared_data / "trade" / "usgs_mcs2024_world" / "mcs2024-gold_world.csv"
    )
    small = [_extraction("e1", RWANDA, 2.0, grade=90.0, mineral=Mineral.GOLD)]
    (low,) = find_transit_country_origins(small, sites=SITES, production=gold).findings
    assert low.severity is Severity.LOW and "not a listed producer" in low.title
    assert "other countries (700 t (MCS2024, estimated) together)" in low.explanation
    assert low.evidence[0].id == "mcs2024-gold_world.csv#row18"
    huge = [_extraction("e1", RWANDA, 1000.0, grade=90.0, mineral=Mineral.GOLD)]
    (high,) = find_transit_country_origins(huge, sites=SITES, production=gold).findings
    assert high.severity is Severity.HIGH and "less than declared here" in high.explanation


def test_a_table_without_an_other_countries_line_names_every_producer(shared_data: Path) -> None:
    tantalum_2023 = read_usgs_world_production(
        shared_data / "trade" / "usgs_mcs2023_world" / "mcs2023-tanta_world.csv"
    )
    zimbabwe = _site("urn:site:mine:zw", "ZW")
    events = [_extraction("e1", zimbabwe, 10.0, year=2022)]
    (finding,) = find_transit_country_origins(
        events, sites={zimbabwe.id: zimbabwe}, production=tantalum_2023
    ).findings
    assert finding.severity is Severity.MEDIUM and "names every producer" in finding.explanation


def test_withheld_and_unavailable_figures_are_data_gaps() -> None:
    table = ProductionTable(
        rows=(
            _row("Rwanda", "RW", None, flags=frozenset({ValueFlag.WITHHELD})),
            _row("Congo (Kinshasa)", "CD", None, flags=frozenset({ValueFlag.NOT_AVAILABLE})),
        )
    )
    events = [_extraction("e1", RWANDA, 100.0), _extraction("e2", CONGO, 100.0)]
    outcome = find_transit_country_origins(events, sites=SITES, production=table)
    assert outcome.findings == ()
    gaps = {gap.subject.id: gap for gap in outcome.gaps if gap.subject}
    assert "withheld (W) (tanta.csv#row2)" in gaps["RW"].explanation
    assert "not available (NA)" in gaps["CD"].explanation


def test_a_year_no_table_covers_is_a_data_gap(tantalum_2024: ProductionTable) -> None:
    events = [_extraction("e1", RWANDA, 100.0, year=2025)]
    outcome = find_transit_country_origins(events, sites=SITES, production=tantalum_2024)
    (gap,) = outcome.gaps
    assert gap.missing == "USGS mine production of tantalum for 2025"
    assert "these years only: 2022, 2023" in gap.explanation


def test_unmapped_country_names_make_a_missing_row_a_gap_not_a_finding() -> None:
    table = ProductionTable(rows=(_row("Atlantis", None, 50.0),), unmapped_countries=("Atlantis",))
    outcome = find_transit_country_origins(
        [_extraction("e1", RWANDA, 100.0)], sites=SITES, production=table
    )
    assert outcome.findings == ()
    assert [gap.missing for gap in outcome.gaps] == ["ISO codes of USGS country names"]


def test_what_cannot_be_counted_is_reported(tantalum_2024: ProductionTable) -> None:
    events = [
        _extraction("e1", NOWHERE, 100.0),
        _extraction("e2", RWANDA, 100.0, mineral=None),
        _extraction("e3", RWANDA, 3.0, uom=None),
        _extraction("e4", TRADER, 1000.0),  # not an extraction site: ignored
    ]
    outcome = find_transit_country_origins(events, sites=SITES, production=tantalum_2024)
    assert outcome.findings == ()
    assert sorted(gap.missing for gap in outcome.gaps) == [
        "mass quantity",
        "ore:mineral",
        "site country",
    ]


def test_the_site_s_single_mineral_stands_in_for_a_missing_ore_mineral(
    tantalum_2024: ProductionTable,
) -> None:
    coltan_mine = RWANDA.model_copy(update={"minerals": (Mineral.TANTALUM,)})
    events = [_extraction(f"e{i}", coltan_mine, 100.0, mineral=None) for i in range(20)]
    outcome = find_transit_country_origins(
        events, sites={coltan_mine.id: coltan_mine}, production=tantalum_2024
    )
    assert len(outcome.findings) == 1 and outcome.gaps == ()


def test_thresholds_are_checked() -> None:
    with pytest.raises(InvalidInput) as caught:
        TransitCountryParams(tolerance=-0.1)
    assert caught.value.field == "tolerance"
    with pytest.raises(InvalidInput):
        TransitCountryParams(share_threshold=1.5)

"""CUSTODY.ORIGIN_OVERPRODUCTION over small hand-built sites and extractions, and the demo world."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from random import Random
from typing import Any

import pytest

from oresight.core.custody import Action, CustodyEvent, EventType, LotMasterData, QuantityElement
from oresight.core.errors import InvalidInput
from oresight.core.findings import EvidenceKind, FindingCode, Severity, SubjectType
from oresight.core.minerals import MaterialForm, Mineral
from oresight.core.sites import EXTRACTION_KINDS, Site, SiteKind
from oresight.custody.epcis import read_epcis_file
from oresight.custody.overproduction import (
    RULE,
    OverproductionParams,
    PeriodLength,
    find_origin_overproduction,
    load_output_ceilings,
)
from oresight.custody.sites import read_sites
from oresight.sim import build_demo_world

JAN_1 = datetime(2024, 1, 1, 8, tzinfo=UTC)
Q1_SHARE = 91 / 366  # January to March of a leap year


def extraction_site(
    site_id: str,
    kind: SiteKind = SiteKind.ARTISANAL_SITE,
    *,
    capacity: float | None = 1200.0,
    basis: str | None = "ore",
    minerals: tuple[Mineral, ...] = (Mineral.COBALT,),
) -> Site:
    return Site(
        id=site_id,
        name=site_id.rsplit(":", 1)[-1].capitalize(),
        kind=kind,
        country="CD",
        minerals=minerals,
        capacity_t_per_year=capacity,
        capacity_basis=basis,
        geometry={"type": "Point", "coordinates": [25.5, -10.8]},
    )


ASM = extraction_site("urn:site:kasanza")  # 1,200 t of ore a year: 298.4 t in 2024-Q1
MINE = extraction_site("urn:site:kanyama", SiteKind.MINE, capacity=None)
BARE = extraction_site("urn:site:bare", capacity=None)
LITHIUM = extraction_site("urn:site:pegmatite", capacity=None, minerals=(Mineral.LITHIUM,))
TRADER = Site(id="urn:site:trader", kind=SiteKind.TRADER)
SITES = {s.id: s for s in (ASM, MINE, BARE, LITHIUM, TRADER)}


def extraction(
    event_id: str,
    site_id: str,
    when: datetime,
    tonnes: float | None,
    *,
    grade: float | None = 2.5,
    form: MaterialForm | None = MaterialForm.ORE,
    mineral: Mineral | None = Mineral.COBALT,
    uom: str | None = "TNE",
    offset: str = "+02:00",
) -> CustodyEvent:
    """A lot of ``tonnes`` commissioned at a site."""
    return CustodyEvent(
        event_id=event_id,
        type=EventType.OBJECT,
        action=Action.ADD,
        biz_step="commissioning",
        event_time=when,
        event_time_zone_offset=offset,
        biz_location=site_id,
        quantity_list=(QuantityElement(epc_class=f"lot:{event_id}", quantity=tonnes, uom=uom),),
        lot_master=LotMasterData(mineral=mineral, form=form, grade_percent=grade),
    )


def lots(site: Site, total_t: float, count: int = 10, **kwargs: Any) -> list[CustodyEvent]:
    """``count`` equal lots summing to ``total_t``, one a week from 1 January."""
    return [
        extraction(
            f"{site.id}-{i}", site.id, JAN_1 + timedelta(days=7 * i), total_t / count, **kwargs
        )
        for i in range(count)
    ]


def test_output_within_capacity_raises_nothing() -> None:
    outcome = find_origin_overproduction(lots(ASM, 250), sites=SITES)
    assert outcome.findings == () and outcome.gaps == ()


def weighed(event: CustodyEvent, factor: float) -> CustodyEvent:
    """The same extraction with its weight off by ``factor``."""
    (entry,) = event.quantity_list
    heavier = entry.model_copy(update={"quantity": (entry.quantity or 0.0) * factor})
    return event.model_copy(update={"quantity_list": (heavier,)})


@pytest.mark.parametrize("seed", range(5))
def test_weighing_noise_of_two_percent_at_exactly_capacity_is_not_overproduction(seed: int) -> None:
    rng = Random(seed)
    exact = lots(ASM, 1200 * Q1_SHARE)
    noisy = [weighed(event, rng.uniform(0.98, 1.02)) for event in exact]
    all_heavy = [weighed(event, 1.02) for event in exact]
    assert find_origin_overproduction(noisy, sites=SITES).findings == ()
    assert find_origin_overproduction(all_heavy, sites=SITES).findings == ()
    # The tolerance, not luck, is what keeps them quiet: 12 % over is flagged.
    over = [weighed(event, 1.12) for event in exact]
    assert len(find_origin_overproduction(over, sites=SITES).findings) == 1


def test_output_above_capacity_is_flagged_with_the_figures() -> None:
    (finding,) = find_origin_overproduction(lots(ASM, 388), sites=SITES).findings
    assert finding.code is FindingCode.CUSTODY_ORIGIN_OVERPRODUCTION and finding.rule == RULE
    assert finding.subject.type is SubjectType.SITE and finding.subject.id == ASM.id
    assert finding.severity is Severity.MEDIUM and finding.confidence == 0.8
    site_evidence = finding.evidence[0]
    assert site_evidence.kind is EvidenceKind.SITE and site_evidence.id == ASM.id
    data = site_evidence.data
    assert data["period"] == "2024-Q1" and data["lots"] == 10
    assert data["recorded_t"] == 388.0 and data["capacity_for_period_t"] == round(
        1200 * Q1_SHARE, 3
    )
    assert data["capacity_ratio"] == pytest.approx(1.30, abs=0.005)
    assert "recorded the extraction of 388.0 t in 2024-Q1 (25 % of the year)" in finding.explanation
    assert "capacity of 1,200 t a year (ore) allows 298.4 t" in finding.explanation
    assert "1.30 times that" in finding.explanation
    assert [e.kind for e in finding.evidence[1:]] == [EvidenceKind.EVENT] * 10


def test_output_of_more_than_twice_capacity_is_severe() -> None:
    (finding,) = find_origin_overproduction(lots(ASM, 750), sites=SITES).findings
    assert finding.severity is Severity.HIGH


def test_the_period_is_configurable() -> None:
    january = [extraction(f"e{i}", ASM.id, JAN_1 + timedelta(days=3 * i), 20) for i in range(10)]
    monthly = OverproductionParams(period=PeriodLength.MONTH)
    (finding,) = find_origin_overproduction(january, sites=SITES, params=monthly).findings
    assert finding.evidence[0].data["period"] == "2024-01"
    assert finding.evidence[0].data["capacity_for_period_t"] == round(1200 * 31 / 366, 3)
    assert find_origin_overproduction(january, sites=SITES).findings == ()
    yearly = OverproductionParams(period=PeriodLength.YEAR)
    assert find_origin_overproduction(january, sites=SITES, params=yearly).findings == ()


def test_periods_follow_the_local_date_of_the_event() -> None:
    # 23:30 UTC on 31 March is already 1 April in Kolwezi (UTC+2).
    late = extraction("e1", ASM.id, datetime(2024, 3, 31, 23, 30, tzinfo=UTC), 400)
    (finding,) = find_origin_overproduction([late], sites=SITES).findings
    assert finding.evidence[0].data["period"] == "2024-Q2"
    assert finding.evidence[1].data["local_date"] == "2024-04-01"


def test_a_capacity_is_compared_with_lots_of_its_own_basis() -> None:
    in_concentrate = extraction_site("urn:site:conc", basis="concentrate")
    sites = {**SITES, in_concentrate.id: in_concentrate}
    ore = lots(in_concentrate, 5000, grade=0.5)
    outcome = find_origin_overproduction(ore, sites=sites)
    assert outcome.findings == ()
    (gap,) = outcome.gaps
    assert gap.missing == f"capacity_basis of site {in_concentrate.id} matching the lots it ships"
    # Concentrate weighs less than the ore it came from: an ore capacity bounds it too.
    concentrate = lots(ASM, 400, form=MaterialForm.CONCENTRATE, grade=0.5)
    assert len(find_origin_overproduction(concentrate, sites=SITES).findings) == 1
    # A lot whose form is not recorded is taken to be in the site's own basis.
    formless = lots(in_concentrate, 400, form=None, grade=0.5)
    assert len(find_origin_overproduction(formless, sites=sites).findings) == 1


def test_a_capacity_of_zero_makes_any_output_overproduction() -> None:
    closed = extraction_site("urn:site:closed", capacity=0.0)
    (finding,) = find_origin_overproduction(lots(closed, 5), sites={closed.id: closed}).findings
    assert finding.severity is Severity.HIGH
    assert finding.evidence[0].data["capacity_ratio"] is None
    assert "infinitely more than" in finding.explanation


def test_an_artisanal_site_shipping_like_a_mine_is_flagged_without_a_capacity() -> None:
    # 10 x 2,500 t of 2.5 % ore: 625 t of cobalt in a quarter; the ceiling is 2,000 t a year.
    (finding,) = find_origin_overproduction(lots(BARE, 25_000), sites=SITES).findings
    assert finding.title == "Artisanal site ships like an industrial mine"
    assert finding.severity is Severity.MEDIUM and finding.confidence == 0.7
    data = finding.evidence[0].data
    assert data["cobalt_contained_t"] == 625.0 and data["cobalt_ceiling_t_per_year"] == 2000
    assert data["cobalt_ceiling_ratio"] == pytest.approx(625 / (2000 * Q1_SHARE), abs=0.001)
    assert any("Gulley" in source for source in data["cobalt_ceiling_sources"])
    assert "hold 625.0 t of contained cobalt" in finding.explanation
    # The same output from an industrial mine is ordinary.
    assert find_origin_overproduction(lots(MINE, 25_000), sites=SITES).findings == ()
    assert find_origin_overproduction(lots(BARE, 10_000), sites=SITES).findings == ()


def test_a_site_with_neither_capacity_nor_ceiling_is_a_data_gap() -> None:
    spodumene = lots(LITHIUM, 100, mineral=Mineral.LITHIUM, grade=2.8)
    outcome = find_origin_overproduction(spodumene, sites=SITES)
    assert outcome.findings == ()
    (gap,) = outcome.gaps
    assert gap.rule == RULE and gap.missing == f"capacity_t_per_year of site {LITHIUM.id}"
    assert gap.subject is not None and gap.subject.id == LITHIUM.id
    assert "no plausibility ceiling for an artisanal site producing lithium" in gap.explanation


def test_lots_that_cannot_be_summed_are_data_gaps() -> None:
    massless = [
        extraction("e1", ASM.id, JAN_1, 100),
        extraction("e2", ASM.id, JAN_1, None),
        extraction("e3", ASM.id, JAN_1, 40, uom="XBG"),
    ]
    outcome = find_origin_overproduction(massless, sites=SITES)
    assert outcome.findings == ()
    (gap,) = outcome.gaps
    assert "2 lot(s) with no mass" in gap.explanation and "2024-Q1" in gap.explanation
    gradeless = lots(BARE, 100, grade=None)
    (gap,) = find_origin_overproduction(gradeless, sites=SITES).gaps
    assert "10 lot(s) with no ore:gradePercent" in gap.explanation


def test_extractions_elsewhere_are_gaps_and_other_sites_are_ignored() -> None:
    events = [
        extraction("e1", "urn:site:nowhere", JAN_1, 100),
        extraction("e2", TRADER.id, JAN_1, 10_000),
        extraction("e3", "urn:site:pallets", JAN_1, 5, form=MaterialForm.METAL),
    ]
    outcome = find_origin_overproduction(events, sites=SITES)
    assert outcome.findings == ()
    assert [g.missing for g in outcome.gaps] == ["site record for location urn:site:nowhere"]


def test_an_event_given_twice_is_counted_once() -> None:
    events = lots(ASM, 280)
    assert find_origin_overproduction(events + events, sites=SITES).findings == ()


def test_the_ceiling_table_explains_every_figure() -> None:
    table = load_output_ceilings()
    assert all(kind in EXTRACTION_KINDS for kind, _ in table)
    assert all(c.reasoning.strip() and c.sources for c in table.values())
    artisanal = {m for k, m in table if k is SiteKind.ARTISANAL_SITE}
    assert {Mineral.COBALT, Mineral.TANTALUM, Mineral.TIN} <= artisanal
    for (kind, mineral), ceiling in table.items():
        if kind is SiteKind.ARTISANAL_SITE and (SiteKind.MINE, mineral) in table:
            assert ceiling.max_t_per_year < table[(SiteKind.MINE, mineral)].max_t_per_year


def test_a_ceiling_file_can_be_supplied_and_a_broken_one_is_named(tmp_path: Path) -> None:
    entry = (
        "  - kinds: [artisanal_site]\n    mineral: lithium\n    max_t_per_year: 1\n"
        "    reasoning: tiny\n    sources: [field survey]\n"
    )
    good = tmp_path / "ceilings.yaml"
    good.write_text("ceilings:\n" + entry, encoding="utf-8")
    params = OverproductionParams(ceilings=load_output_ceilings(good))
    spodumene = lots(LITHIUM, 100, mineral=Mineral.LITHIUM, grade=2.8)
    (finding,) = find_origin_overproduction(spodumene, sites=SITES, params=params).findings
    assert finding.evidence[0].data["lithium_ceiling_t_per_year"] == 1
    twice = tmp_path / "twice.yaml"
    twice.write_text("ceilings:\n" + entry + entry, encoding="utf-8")
    with pytest.raises(InvalidInput) as raised:
        load_output_ceilings(twice)
    assert raised.value.file == str(twice) and raised.value.record == "ceiling 2"
    wrong_kind = tmp_path / "kind.yaml"
    wrong_kind.write_text(
        "ceilings:\n" + entry.replace("artisanal_site", "trader"), encoding="utf-8"
    )
    with pytest.raises(InvalidInput, match="not a kind of extraction site"):
        load_output_ceilings(wrong_kind)


def test_params_refuse_a_negative_tolerance() -> None:
    with pytest.raises(InvalidInput) as raised:
        OverproductionParams(tolerance=-0.1)
    assert raised.value.field == "tolerance"


def test_the_demo_world_sites_produce_within_their_means_but_one(tmp_path: Path) -> None:
    """The planted artisanal site ships a quarter's worth many times over in one quarter: caught
    per month and per quarter; over the whole year its total stays under its capacity."""
    manifest = build_demo_world(tmp_path)
    sites = {s.id: s for s in read_sites(tmp_path / "sites.geojson")}
    events = [e for p in manifest.files if p.suffix == ".jsonld" for e in read_epcis_file(p).events]
    planted = {
        p.subject_id
        for p in manifest.planted
        if p.code == FindingCode.CUSTODY_ORIGIN_OVERPRODUCTION
    }
    assert len(planted) == 1
    for period in PeriodLength:
        params = OverproductionParams(period=period)
        outcome = find_origin_overproduction(events, sites=sites, params=params)
        expected = set() if period is PeriodLength.YEAR else planted
        assert {f.subject.id for f in outcome.findings} == expected and outcome.gaps == ()

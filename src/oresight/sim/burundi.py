"""Coltan declared as Burundian: more in one quarter than Burundi's mines produce in a year.

Minerals smuggled out of the Kivus often re-enter the traced trade as the production of a
neighbouring country. Here a Bujumbura exporter declares six convoys of coltan concentrate, one a
fortnight in the last quarter of 2023, as mined at its own small-scale permit in Kayanza
province, blends them and sells the export lot to the Chinese refiner through Dar es Salaam. Each
record is in order; the planted problem is the total, which the national production figures of
the USGS cannot explain.
"""

from __future__ import annotations

from datetime import date, datetime

from oresight.core.findings import FindingCode, SubjectType
from oresight.sim.epcis_builder import EventLog, local_day
from oresight.sim.flows import ROAD, SEA, Crossing, blend, extract, move, sea
from oresight.sim.manifest import PlantedProblem
from oresight.sim.production_tables import figure
from oresight.sim.world import PARTY_BY_KEY, SITE_BY_KEY, site_id

MINE = "m-kabarore"
WAREHOUSE = "t-bujumbura"
EXPORTER = "mugamba-metals"
HAULIER = "kirimiro-transport"
KOBERO = Crossing("b-kobero", hours_before=(5, 9), queue_hours=(3, 12))


def declared_burundian(log: EventLog, start: datetime) -> PlantedProblem:
    """Record the Burundian convoys and their export; return the planted problem."""
    # A convoy a fortnight, so that no month's output exceeds the mine's declared capacity: the
    # mine's own record is in order, only the country's total is not.
    lots = []
    for index in range(6):
        lot = extract(
            log,
            MINE,
            when=log.after(start, index * 360, index * 360 + 24),
            product=("026159", "KBR"),
            mineral="tantalum",
            form="concentrate",
            grade=(24.0, 28.0),
            amount=(34_000, 40_000),
            uom="KGM",
        )
        move(log, [lot], WAREHOUSE, buyer=EXPORTER, carrier=HAULIER, days=(0.2, 0.5), mode=ROAD)
        lots.append(lot)
    export_lot = blend(log, lots, product=("026159", "BJM"), wait_hours=(24, 96))
    move(
        log,
        [export_lot],
        "p-dar",
        buyer="lushan-rare-metals",
        carrier=HAULIER,
        days=(3.5, 6),
        wait_hours=(24, 96),
        via=KOBERO,
        mode=ROAD,
    )
    sea(log, [export_lot], "r-lushan", days=(30, 40), mode=SEA)

    days = [
        date.fromisoformat(local_day(MINE, log.first_time(lot.epc_class, "commissioning")))
        for lot in (lots[0], lots[-1])
    ]
    produced = figure("tanta", "Burundi", days[0].year)
    concentrate_t = sum(lot.kg() for lot in lots) / 1000
    tantalum_t = sum(lot.element_kg() for lot in lots) / 1000
    mine = SITE_BY_KEY[MINE]
    return PlantedProblem(
        code=FindingCode.ORIGIN_TRANSIT_COUNTRY.value,
        subject_type=SubjectType.COUNTRY.value,
        subject_id="BI",
        description=(
            f"{PARTY_BY_KEY[EXPORTER].name} declared {len(lots)} lots of coltan concentrate, "
            f"{concentrate_t:,.1f} t holding {tantalum_t:,.1f} t of tantalum, as mined at "
            f"{mine.name} ({site_id(mine)}) in Burundi between {days[0]} and {days[1]}. The USGS "
            f"Mineral Commodity Summaries 2024 estimate Burundi's whole mine production of "
            f"tantalum in {days[0].year} at {produced:,.0f} t: the declared volume is "
            f"{tantalum_t / produced:.1f} times it, from one mine in "
            f"{(days[1] - days[0]).days + 1} days. Material mined "
            "elsewhere, such as in the neighbouring Kivus, is being passed off as Burundian."
        ),
    )

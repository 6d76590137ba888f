"""The steps of the cobalt chain: ore from mines and artisanal sites, and its way downstream.

Ore goes to a cobalt hydroxide plant near Kolwezi; the hydroxide travels by road through Kasumbalesa
to Dar es Salaam, by sea to a refinery in China (cobalt sulphate), then to a cathode maker in Korea
and a cell maker in Hungary.
"""

from __future__ import annotations

from datetime import datetime

from oresight.sim.epcis_builder import EventLog, Lot
from oresight.sim.flows import ROAD, SEA, Crossing, extract, move, sea, transform
from oresight.sim.world import SITE_BY_KEY

LOCAL_HAULIER = "lualaba-express"
CORRIDOR_HAULIER = "copperbelt-freight"
PLANT = "f-hydromet"
PLANT_OWNER = "kolwezi-hydromet"

# Road time from each extraction site to the hydroxide plant near Kolwezi, in days.
TO_PLANT_DAYS = {
    "m-kanyama": (0.15, 0.4),
    "m-mwilu": (0.3, 0.8),
    "m-lupoto": (0.6, 1.5),
    "t-musompo": (0.1, 0.4),
    "t-likasi": (0.6, 1.5),
    "a-kanzenze": (0.15, 0.5),
}
SITE_CODES = {
    "m-kanyama": "KNY",
    "m-lupoto": "LPT",
    "m-mwilu": "MWL",
    "a-kasanza": "KSZ",
    "a-mukoma": "MKM",
    "a-lwilu": "LWL",
    "a-kanzenze": "KZZ",
    "a-lufupa": "LFP",
}


def ore_lot(log: EventLog, site: str, when: datetime, *, artisanal: bool) -> Lot:
    """Commission a lot of cobalt ore at an extraction site."""
    # Industrial mines ship truck convoys of a few hundred tonnes; artisanal lots are one truck.
    return extract(
        log,
        site,
        when=when,
        product=("026050", SITE_CODES[site]),
        mineral="cobalt",
        form="ore",
        grade=(1.8, 3.0) if artisanal else (1.2, 2.6),
        amount=(22, 38) if artisanal else (250, 600),
        uom="TNE",
    )


def mine_lots(log: EventLog, mine: str, count: int, start: datetime) -> list[Lot]:
    """Convoys of ore from a mine, two days apart, each driven straight to the plant."""
    lots = []
    for index in range(count):
        lot = ore_lot(log, mine, log.after(start, index * 48, index * 48 + 20), artisanal=False)
        move(
            log,
            [lot],
            PLANT,
            buyer=PLANT_OWNER,
            carrier=LOCAL_HAULIER,
            days=TO_PLANT_DAYS[mine],
            mode=ROAD,
        )
        lots.append(lot)
    return lots


def artisanal_lots(log: EventLog, site: str, trader: str, count: int, start: datetime) -> list[Lot]:
    """Artisanal lots bought one by one by a trader's depot, then sent to the plant together."""
    owner = SITE_BY_KEY[trader].operator or ""
    lots = []
    for index in range(count):
        lot = ore_lot(log, site, log.after(start, index * 30, index * 30 + 20), artisanal=True)
        move(log, [lot], trader, buyer=owner, carrier=LOCAL_HAULIER, days=(0.1, 0.5), mode=ROAD)
        lots.append(lot)
    move(
        log,
        lots,
        PLANT,
        buyer=PLANT_OWNER,
        carrier=LOCAL_HAULIER,
        days=TO_PLANT_DAYS[trader],
        wait_hours=(24, 96),
        mode=ROAD,
    )
    return lots


def downstream(log: EventLog, inputs: list[Lot]) -> list[Lot]:
    """Hydroxide at the plant, then refinery, cathode maker and cell maker; every product lot."""
    hydroxide = transform(
        log,
        inputs,
        product=("028220", "HYD"),
        form="hydroxide",
        grade=(30.0, 35.0),
        recovery=(0.82, 0.9),
        wait_hours=(72, 240),
        uom="TNE",
    )
    move(
        log,
        [hydroxide],
        "p-dar",
        buyer="qiantang-cobalt",
        carrier=CORRIDOR_HAULIER,
        days=(7, 11),
        wait_hours=(24, 72),
        via=Crossing("b-kasumbalesa", hours_before=(14, 30), queue_hours=(8, 36)),
        mode=ROAD,
    )
    sea(log, [hydroxide], "r-qiantang", days=(32, 42), mode=SEA)
    sulphate = transform(
        log,
        [hydroxide],
        product=("028330", "CSH"),
        form="compound",
        grade=(20.5, 20.9),
        recovery=(0.95, 0.98),
        wait_hours=(240, 480),
        uom="TNE",
    )
    move(
        log,
        [sulphate],
        "f-hanbit",
        buyer="hanbit-cathode",
        carrier="indigo-lines",
        days=(8, 14),
        wait_hours=(24, 96),
        mode=SEA,
    )
    cathode = transform(
        log,
        [sulphate],
        product=("038240", "CAM"),
        form="compound",
        grade=(11.8, 12.2),
        recovery=(0.97, 0.99),
        wait_hours=(240, 480),
        uom="TNE",
    )
    move(
        log,
        [cathode],
        "f-pannonia",
        buyer="pannonia-cells",
        carrier="indigo-lines",
        days=(38, 48),
        wait_hours=(24, 96),
        mode=SEA,
    )
    cells = transform(
        log,
        [cathode],
        product=("085076", "CEL"),
        form="intermediate",
        grade=(3.8, 4.4),
        recovery=(0.97, 0.99),
        wait_hours=(168, 360),
        uom="TNE",
    )
    return [hydroxide, sulphate, cathode, cells]

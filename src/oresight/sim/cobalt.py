"""The cobalt chain: Copperbelt mines and artisanal sites to a battery-cell factory in Hungary.

Three batches of ore become three lots of cobalt hydroxide near Kolwezi, which travel by road
through Kasumbalesa to Dar es Salaam, by sea to a refinery in China (cobalt sulphate), then to a
cathode maker in Korea and a cell maker in Hungary. Batches A and B are clean. Batch C carries two
planted problems: ore from an artisanal site whose licence had lapsed, and a lot that a trader
shipped days before anyone recorded where it was dug (a backdated origin).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from oresight.core.findings import FindingCode, SubjectType
from oresight.sim.epcis_builder import EventLog, Lot, local_day
from oresight.sim.flows import Crossing, extract, move, new_lot, sea, transform
from oresight.sim.manifest import ChainOutcome, PlantedProblem
from oresight.sim.world import PARTY_BY_KEY, SITE_BY_KEY, site_id

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
}
SITE_CODES = {
    "m-kanyama": "KNY",
    "m-lupoto": "LPT",
    "m-mwilu": "MWL",
    "a-kasanza": "KSZ",
    "a-mukoma": "MKM",
    "a-lwilu": "LWL",
}


def _ore(log: EventLog, site: str, when: datetime, *, artisanal: bool) -> Lot:
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


def _mine_lots(log: EventLog, mine: str, count: int, start: datetime) -> list[Lot]:
    lots = []
    for index in range(count):
        lot = _ore(log, mine, log.after(start, index * 48, index * 48 + 20), artisanal=False)
        move(log, [lot], PLANT, buyer=PLANT_OWNER, carrier=LOCAL_HAULIER, days=TO_PLANT_DAYS[mine])
        lots.append(lot)
    return lots


def _artisanal_lots(
    log: EventLog, site: str, trader: str, count: int, start: datetime
) -> list[Lot]:
    """Artisanal lots bought one by one by a trader's depot, then sent to the plant together."""
    owner = SITE_BY_KEY[trader].operator or ""
    lots = []
    for index in range(count):
        lot = _ore(log, site, log.after(start, index * 30, index * 30 + 20), artisanal=True)
        move(log, [lot], trader, buyer=owner, carrier=LOCAL_HAULIER, days=(0.1, 0.5))
        lots.append(lot)
    move(
        log,
        lots,
        PLANT,
        buyer=PLANT_OWNER,
        carrier=LOCAL_HAULIER,
        days=TO_PLANT_DAYS[trader],
        wait_hours=(24, 96),
    )
    return lots


def _downstream(log: EventLog, inputs: list[Lot]) -> list[Lot]:
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
    )
    sea(log, [hydroxide], "r-qiantang", days=(32, 42))
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


def _start(log: EventLog, year: int, month: int, day: int, spread_days: int) -> datetime:
    return datetime(year, month, day, 5, tzinfo=UTC) + timedelta(
        days=log.rng.randint(0, spread_days), minutes=log.rng.randint(0, 180)
    )


def build_cobalt(log: EventLog) -> ChainOutcome:
    """Record the whole cobalt chain; return its planted problems and clean lots."""
    outcome = ChainOutcome()

    start = _start(log, 2024, 2, 1, 25)
    batch_a = _mine_lots(log, "m-kanyama", 3, start)
    batch_a += _artisanal_lots(log, "a-kasanza", "t-musompo", 2, start)
    outcome.clean_lots += [lot.epc_class for lot in batch_a + _downstream(log, batch_a)]

    start = _start(log, 2024, 4, 15, 25)
    batch_b = _mine_lots(log, "m-lupoto", 2, start)
    batch_b += _mine_lots(log, "m-mwilu", 2, start)
    batch_b += _artisanal_lots(log, "a-mukoma", "t-likasi", 2, start)
    outcome.clean_lots += [lot.epc_class for lot in batch_b + _downstream(log, batch_b)]

    start = _start(log, 2024, 8, 20, 20)
    batch_c, planted = _problem_batch(log, start)
    _downstream(log, batch_c)
    outcome.planted += planted
    return outcome


def _problem_batch(log: EventLog, start: datetime) -> tuple[list[Lot], list[PlantedProblem]]:
    trader = "t-musompo"
    trader_owner = "lualaba-negoce"
    lapsed = _ore(log, "a-lwilu", start, artisanal=True)
    lapsed_event = log.last_event_id
    move(log, [lapsed], trader, buyer=trader_owner, carrier=LOCAL_HAULIER, days=(0.1, 0.5))

    # The backdated lot: already in the trader's depot, labelled as Kasanza cooperative ore, with
    # no record of how it got there. Its "commissioning" is entered days after it left.
    site = SITE_BY_KEY["a-kasanza"]
    backdated = new_lot(
        log,
        "comika",
        ("026050", SITE_CODES["a-kasanza"]),
        mineral="cobalt",
        form="ore",
        site=trader,
        when=lapsed.at,
        grade=round(log.rng.uniform(1.8, 3.0), 2),
        amount=log.rng.uniform(22, 38),
        uom="TNE",
    )
    backdated.owner = trader_owner
    move(
        log,
        [lapsed, backdated],
        PLANT,
        buyer=PLANT_OWNER,
        carrier=LOCAL_HAULIER,
        days=TO_PLANT_DAYS[trader],
        wait_hours=(24, 72),
    )
    shipped = _shipped_at(log, backdated)
    commissioned_at = log.after(shipped, 5 * 24, 8 * 24)
    origin = Lot(
        backdated.epc_class,
        "cobalt",
        "ore",
        backdated.grade,
        backdated.amount,
        "TNE",
        "comika",
        "a-kasanza",
        commissioned_at,
    )
    log.commission(origin)
    backdated.at = max(backdated.at, commissioned_at)

    mine_lot = _mine_lots(log, "m-lupoto", 1, start)[0]
    licence = SITE_BY_KEY["a-lwilu"].licence or ("", "", "")
    planted = [
        PlantedProblem(
            code=FindingCode.CUSTODY_BROKEN_CHAIN.value,
            subject_type=SubjectType.LOT.value,
            subject_id=backdated.epc_class,
            description=(
                f"Cobalt ore lot {backdated.epc_class} ({backdated.amount} t) was shipped by "
                f"{PARTY_BY_KEY[trader_owner].name} from {SITE_BY_KEY[trader].name} on "
                f"{local_day(trader, shipped)}, but its commissioning at {site.name} "
                f"({site_id(site)}) is dated {local_day('a-kasanza', commissioned_at)}, "
                f"{(commissioned_at - shipped).days} days later: a backdated origin."
            ),
        ),
        PlantedProblem(
            code=FindingCode.CUSTODY_UNLICENSED_ORIGIN.value,
            subject_type=SubjectType.EVENT.value,
            subject_id=lapsed_event,
            description=(
                f"Cobalt ore lot {lapsed.epc_class} was commissioned on "
                f"{local_day('a-lwilu', start)} at {SITE_BY_KEY['a-lwilu'].name} "
                f"({site_id(SITE_BY_KEY['a-lwilu'])}), whose licence {licence[0]} expired on "
                f"{licence[2]}."
            ),
        ),
    ]
    return [lapsed, backdated, mine_lot], planted


def _shipped_at(log: EventLog, lot: Lot) -> datetime:
    return log.first_time(lot.epc_class, "shipping")

"""The problems planted in the cobalt chain, one batch of ore at a time.

* Batch C: ore from an artisanal site whose licence had lapsed, and a lot that a trader shipped
  days before anyone recorded where it was dug (a backdated origin).
* Batch D: an artisanal site that ships convoys like an industrial mine, far beyond its declared
  capacity; and an artisanal site inside a national park, in a zone that was licensed over the
  park's edge.
* Batch E: a hydroxide lot recorded at Dar es Salaam a few hours after it crossed the border at
  Kasumbalesa, some 1,400 km away by road.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from oresight.core.findings import FindingCode, SubjectType
from oresight.sim.cobalt_steps import (
    CORRIDOR_HAULIER,
    LOCAL_HAULIER,
    PLANT,
    PLANT_OWNER,
    SITE_CODES,
    TO_PLANT_DAYS,
    artisanal_lots,
    mine_lots,
    ore_lot,
)
from oresight.sim.epcis_builder import EventLog, Lot, local_day, local_time
from oresight.sim.flows import ROAD, SEA, Crossing, extract, move, new_lot, sea, transform
from oresight.sim.manifest import PlantedProblem
from oresight.sim.world import PARTY_BY_KEY, SITE_BY_KEY, site_id
from oresight.sim.world_files import km_outside
from oresight.sim.world_specs import great_circle_km

_SITE = SubjectType.SITE.value
_LOT = SubjectType.LOT.value


def backdated_and_lapsed(log: EventLog, start: datetime) -> tuple[list[Lot], list[PlantedProblem]]:
    """Batch C: a lot from a site whose licence lapsed, and a lot with a backdated origin."""
    trader = "t-musompo"
    trader_owner = "lualaba-negoce"
    lapsed = ore_lot(log, "a-lwilu", start, artisanal=True)
    lapsed_event = log.last_event_id
    move(
        log, [lapsed], trader, buyer=trader_owner, carrier=LOCAL_HAULIER, days=(0.1, 0.5), mode=ROAD
    )

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
        mode=ROAD,
    )
    shipped = log.first_time(backdated.epc_class, "shipping")
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

    mine_lot = mine_lots(log, "m-lupoto", 1, start)[0]
    licence = SITE_BY_KEY["a-lwilu"].licence or ("", "", "")
    planted = [
        PlantedProblem(
            code=FindingCode.CUSTODY_BROKEN_CHAIN.value,
            subject_type=_LOT,
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


FRONT_SITE = "a-kanzenze"
PARK_SITE = "a-lufupa"
PARK = "pa-lufupa"


def front_site_and_park(log: EventLog, start: datetime) -> tuple[list[Lot], list[PlantedProblem]]:
    """Batch D: an artisanal site shipping like an industrial mine, and ore from a national park."""
    # The front site: convoys of 400-520 t, every two days, driven straight to the plant as the
    # open pits' are, from a site whose diggers could not move a tenth of that.
    front = []
    for index in range(6):
        lot = extract(
            log,
            FRONT_SITE,
            when=log.after(start, index * 48, index * 48 + 20),
            product=("026050", SITE_CODES[FRONT_SITE]),
            mineral="cobalt",
            form="ore",
            grade=(1.8, 3.0),
            amount=(400, 520),
            uom="TNE",
        )
        move(
            log,
            [lot],
            PLANT,
            buyer=PLANT_OWNER,
            carrier=LOCAL_HAULIER,
            days=TO_PLANT_DAYS[FRONT_SITE],
            mode=ROAD,
        )
        front.append(lot)
    park = artisanal_lots(log, PARK_SITE, "t-musompo", 2, log.after(start, 24, 72))
    return front + park, [_front_site_problem(log, front), _park_problem(log, park)]


def _front_site_problem(log: EventLog, lots: list[Lot]) -> PlantedProblem:
    site = SITE_BY_KEY[FRONT_SITE]
    capacity, basis = site.capacity or (0.0, "")
    days = [date.fromisoformat(local_day(FRONT_SITE, _commissioned_at(log, lot))) for lot in lots]
    quarter_start, quarter_end = _quarter(days[0])
    year_days = date(days[0].year + 1, 1, 1) - date(days[0].year, 1, 1)
    share = (quarter_end - quarter_start) / year_days
    recorded = sum(lot.amount for lot in lots)
    smallest, largest = min(lot.amount for lot in lots), max(lot.amount for lot in lots)
    allowed = capacity * share
    quarter = f"{days[0].year}-Q{(days[0].month - 1) // 3 + 1}"
    return PlantedProblem(
        code=FindingCode.CUSTODY_ORIGIN_OVERPRODUCTION.value,
        subject_type=_SITE,
        subject_id=site_id(site),
        description=(
            f"{site.name} ({site_id(site)}), an artisanal site, recorded {len(lots)} lots of "
            f"cobalt ore between {days[0]} and {days[-1]} ({quarter}), {recorded:,.1f} t in all, "
            f"each of {smallest:,.0f}-{largest:,.0f} t "
            "and driven straight to the hydroxide plant, as the open pits' convoys are. Its "
            f"declared capacity is {capacity:,.0f} t of {basis} a year, {allowed:,.0f} t in the "
            f"quarter: the record is {recorded / allowed:.2f} times that. An artisanal site "
            "shipping like an industrial mine is a front for ore from elsewhere."
        ),
    )


def _park_problem(log: EventLog, lots: list[Lot]) -> PlantedProblem:
    site, park = SITE_BY_KEY[PARK_SITE], SITE_BY_KEY[PARK]
    zone = SITE_BY_KEY["zea-lufupa"]
    licence = zone.licence[0] if zone.licence else ""
    days = ", ".join(local_day(PARK_SITE, _commissioned_at(log, lot)) for lot in lots)
    return PlantedProblem(
        code=FindingCode.SITE_PROTECTED_AREA_ORIGIN.value,
        subject_type=_SITE,
        subject_id=site_id(site),
        description=(
            f"{len(lots)} lots of cobalt ore ({sum(lot.amount for lot in lots):,.1f} t) were "
            f"commissioned on {days} at {site.name} ({site_id(site)}, {site.lat:.5f}, "
            f"{site.lon:.5f}), which lies inside {park.name}, a national park, about "
            f"{km_outside(site, park):.1f} km within its boundary. The site's authorisation and "
            f"its zone, {zone.name} ({licence}), are valid: the zone was "
            "granted over the edge of the park."
        ),
    )


def impossible_corridor_leg(log: EventLog, start: datetime) -> PlantedProblem:
    """Batch E: hydroxide received at Dar es Salaam hours after it crossed at Kasumbalesa."""
    ore = mine_lots(log, "m-mwilu", 2, start)
    hydroxide = transform(
        log,
        ore,
        product=("028220", "HYD"),
        form="hydroxide",
        grade=(30.0, 35.0),
        recovery=(0.82, 0.9),
        wait_hours=(72, 240),
        uom="TNE",
    )
    # The paperwork of the leg: the receipt at the port is dated the same day as the crossing,
    # as when material already at the port is passed off as the lot that left Kolwezi.
    border, port = "b-kasumbalesa", "p-dar"
    received = move(
        log,
        [hydroxide],
        port,
        buyer="qiantang-cobalt",
        carrier=CORRIDOR_HAULIER,
        days=(5 / 24, 8 / 24),
        wait_hours=(24, 72),
        via=Crossing(border, hours_before=(14, 30), queue_hours=(8, 36)),
        mode=ROAD,
    )
    sea(log, [hydroxide], "r-qiantang", days=(32, 42), mode=SEA)
    crossed = log.first_time(hydroxide.epc_class, "arriving")
    hours = (received - crossed) / timedelta(hours=1)
    km = great_circle_km(SITE_BY_KEY[border], SITE_BY_KEY[port])
    return PlantedProblem(
        code=FindingCode.CUSTODY_IMPOSSIBLE_TRAVEL.value,
        subject_type=_LOT,
        subject_id=hydroxide.epc_class,
        description=(
            f"Cobalt hydroxide lot {hydroxide.epc_class} ({hydroxide.amount} t) was recorded "
            f"arriving at {SITE_BY_KEY[border].name} at {local_time(border, crossed)} and "
            f"received at {SITE_BY_KEY[port].name} at {local_time(port, received)}, {hours:.1f} "
            f"hours later, both events declaring ore:transportMode road. The two places are "
            f"{km:,.0f} km apart as the crow flies: an average of {km / hours:,.0f} km/h, which "
            "no truck reaches. The receipt does not describe the lot that crossed the border."
        ),
    )


def _commissioned_at(log: EventLog, lot: Lot) -> datetime:
    return log.first_time(lot.epc_class, "commissioning")


def _quarter(day: date) -> tuple[date, date]:
    first = (day.month - 1) // 3 * 3 + 1
    start = date(day.year, first, 1)
    end = date(day.year + (first == 10), (first + 2) % 12 + 1, 1)
    return start, end

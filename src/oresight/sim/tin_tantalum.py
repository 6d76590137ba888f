"""The tin and tantalum ("3T") chain: Kivu artisanal sites to Asian smelters through Rwanda.

Cassiterite and coltan concentrate from artisanal sites in South and North Kivu is bought by
comptoirs in Bukavu and Goma, blended, driven across the border to an exporter in Kigali, trucked
to Dar es Salaam and shipped to a tin smelter in Malaysia or a tantalum refiner in China.
The tin batch and tantalum batch A are clean. Tantalum batch B carries two planted problems: a
lot that a comptoir buys from a négociant with no record of where it was dug (laundered material),
and a lot from a site that claims a licensed zone but lies ~15 km outside it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from oresight.core.findings import FindingCode, SubjectType
from oresight.sim.epcis_builder import EventLog, Lot, local_day
from oresight.sim.flows import Crossing, blend, extract, move, new_lot, sea, transform
from oresight.sim.manifest import ChainOutcome, PlantedProblem
from oresight.sim.world import PARTY_BY_KEY, SITE_BY_KEY, site_id
from oresight.sim.world_files import km_outside

HAULIER_CD = "kivu-haulage"
HAULIER_RW = "gishushu-freight"
EXPORTER = "nyabarongo-minerals"
RUSIZI = Crossing("b-rusizi", hours_before=(0.5, 2), queue_hours=(2, 6))
GISENYI = Crossing("b-gisenyi", hours_before=(0.3, 1.5), queue_hours=(1, 5))
# Driving time to Kigali once across the border: ~250 km from Rusizi, ~160 km from Gisenyi.
TO_KIGALI_DAYS = {"b-rusizi": (0.3, 0.6), "b-gisenyi": (0.2, 0.4)}
SITE_CODES = {"a-kalehe-sn": "KLS", "a-kalehe-ta": "KLT", "a-ngungu": "NGU", "a-kalungu": "KLG"}
# Road time from each site to the comptoir that buys from it, in days.
TO_COMPTOIR_DAYS = {
    "a-kalehe-sn": (1, 2),
    "a-kalehe-ta": (1, 2),
    "a-ngungu": (0.5, 1.5),
    "a-kalungu": (0.8, 2),
}
COMPTOIR_OF = {
    "a-kalehe-sn": "t-bukavu",
    "a-kalehe-ta": "t-bukavu",
    "a-ngungu": "t-goma",
    "a-kalungu": "t-goma",
}


def _concentrate(log: EventLog, site: str, when: datetime) -> Lot:
    # Artisanal diggers wash ore to concentrate on site; bags are weighed into lots of 1-2.5 t.
    tin = SITE_BY_KEY[site].minerals[0] == "tin"
    lot = extract(
        log,
        site,
        when=when,
        product=("026090" if tin else "026159", SITE_CODES[site]),
        mineral="tin" if tin else "tantalum",
        form="concentrate",
        grade=(62.0, 70.0) if tin else (20.5, 28.5),
        amount=(900, 2400),
        uom="KGM",
    )
    comptoir = COMPTOIR_OF[site]
    move(
        log,
        [lot],
        comptoir,
        buyer=SITE_BY_KEY[comptoir].operator or "",
        carrier=HAULIER_CD,
        days=TO_COMPTOIR_DAYS[site],
    )
    return lot


def _site_lots(log: EventLog, site: str, count: int, start: datetime) -> list[Lot]:
    return [_concentrate(log, site, log.after(start, i * 40, i * 40 + 24)) for i in range(count)]


def _to_kigali(log: EventLog, lots: list[Lot]) -> None:
    crossing = RUSIZI if lots[0].site == "t-bukavu" else GISENYI
    move(
        log,
        lots,
        "t-kigali",
        buyer=EXPORTER,
        carrier=HAULIER_CD,
        days=TO_KIGALI_DAYS[crossing.site],
        wait_hours=(12, 48),
        via=crossing,
    )


def _export(log: EventLog, lot: Lot, *, buyer: str, to: str, sea_days: tuple[float, float]) -> None:
    move(log, [lot], "p-dar", buyer=buyer, carrier=HAULIER_RW, days=(5, 8), wait_hours=(24, 96))
    sea(log, [lot], to, days=sea_days)


def _refine_tantalum(log: EventLog, lot: Lot) -> Lot:
    _export(log, lot, buyer="lushan-rare-metals", to="r-lushan", sea_days=(30, 40))
    return transform(
        log,
        [lot],
        product=("028259", "TAO"),
        form="compound",
        grade=(80.5, 81.5),
        recovery=(0.9, 0.95),
        wait_hours=(240, 600),
        uom="KGM",
    )


def _start(log: EventLog, year: int, month: int, day: int, spread_days: int) -> datetime:
    return datetime(year, month, day, 5, tzinfo=UTC) + timedelta(
        days=log.rng.randint(0, spread_days), minutes=log.rng.randint(0, 180)
    )


def build_tin_tantalum(log: EventLog) -> ChainOutcome:
    """Record the whole 3T chain; return its planted problems and clean lots."""
    outcome = ChainOutcome()

    # Tin: Kalehe cassiterite -> Bukavu -> Kigali -> Dar es Salaam -> Malaysian smelter.
    start = _start(log, 2024, 3, 1, 30)
    cassiterite = _site_lots(log, "a-kalehe-sn", 3, start)
    tin_export = blend(log, cassiterite, product=("026090", "BKV"), wait_hours=(24, 96))
    _to_kigali(log, [tin_export])
    _export(log, tin_export, buyer="perai-tin", to="s-perai", sea_days=(18, 26))
    ingots = transform(
        log,
        [tin_export],
        product=("080011", "SNI"),
        form="metal",
        grade=(99.85, 99.95),
        recovery=(0.96, 0.985),
        wait_hours=(120, 336),
        uom="KGM",
    )
    outcome.clean_lots += [lot.epc_class for lot in [*cassiterite, tin_export, ingots]]

    # Tantalum A: coltan from both Kivus, blended by each comptoir, then again in Kigali.
    start = _start(log, 2024, 5, 1, 30)
    north = _site_lots(log, "a-ngungu", 2, start)
    south = _site_lots(log, "a-kalehe-ta", 2, start)
    goma_blend = blend(log, north, product=("026159", "GOM"), wait_hours=(24, 96))
    bukavu_blend = blend(log, south, product=("026159", "BKV"), wait_hours=(24, 96))
    _to_kigali(log, [goma_blend])
    _to_kigali(log, [bukavu_blend])
    export_lot = blend(
        log, [goma_blend, bukavu_blend], product=("026159", "KGL"), wait_hours=(24, 120)
    )
    oxide = _refine_tantalum(log, export_lot)
    outcome.clean_lots += [
        lot.epc_class for lot in [*north, *south, goma_blend, bukavu_blend, export_lot, oxide]
    ]

    # Tantalum B: the planted problems.
    start = _start(log, 2024, 9, 1, 30)
    outcome.planted += _problem_batch(log, start)
    return outcome


def _problem_batch(log: EventLog, start: datetime) -> list[PlantedProblem]:
    clean = _site_lots(log, "a-ngungu", 2, start)
    goma_blend = blend(log, clean, product=("026159", "GOM"), wait_hours=(24, 96))

    outside_site = SITE_BY_KEY["a-kalungu"]
    outside = _concentrate(log, "a-kalungu", log.after(start, 30, 60))
    outside_event = _commissioning_event(log, outside)

    # The laundered lot: a négociant walks in with bags under a Ngungu-style tag that was never
    # commissioned anywhere. The comptoir books the purchase with no paperwork.
    comptoir = "grands-lacs-minerais"
    received_at = log.after(max(goma_blend.at, outside.at), 6, 48)
    laundered = new_lot(
        log,
        "coeming",
        ("026159", SITE_CODES["a-ngungu"]),
        mineral="tantalum",
        form="concentrate",
        site="t-goma",
        when=received_at,
        grade=round(log.rng.uniform(22.0, 27.0), 2),
        amount=log.rng.uniform(1200, 2200),
        uom="KGM",
    )
    laundered.owner = comptoir
    log.receive(
        [laundered],
        "t-goma",
        when=received_at,
        seller="p-bahati",
        buyer=comptoir,
        carrier="p-bahati",
        transactions=[],
    )

    _to_kigali(log, [goma_blend, outside, laundered])
    export_lot = blend(
        log, [goma_blend, outside, laundered], product=("026159", "KGL"), wait_hours=(24, 120)
    )
    _refine_tantalum(log, export_lot)

    area = SITE_BY_KEY["zea-ngungu"]
    licence = outside_site.licence or ("", "", "")
    return [
        PlantedProblem(
            code=FindingCode.CUSTODY_BROKEN_CHAIN.value,
            subject_type=SubjectType.LOT.value,
            subject_id=laundered.epc_class,
            description=(
                f"Coltan lot {laundered.epc_class} ({laundered.amount} kg) was received by "
                f"{PARTY_BY_KEY[comptoir].name} in Goma on {local_day('t-goma', received_at)} from "
                f"the négociant {PARTY_BY_KEY['p-bahati'].name}, shipped on to Kigali and "
                f"blended into export lot {export_lot.epc_class}; it was never commissioned "
                "at any site nor produced by any transformation."
            ),
        ),
        PlantedProblem(
            code=FindingCode.CUSTODY_UNLICENSED_ORIGIN.value,
            subject_type=SubjectType.EVENT.value,
            subject_id=outside_event,
            description=(
                f"Coltan lot {outside.epc_class} was commissioned at {outside_site.name} "
                f"({site_id(outside_site)}), which claims licence {licence[0]} (valid "
                f"{licence[1]} to {licence[2]}) of {area.name}, but lies about "
                f"{km_outside(outside_site, area):.0f} km outside that zone and outside every "
                "other licensed area."
            ),
        ),
    ]


def _commissioning_event(log: EventLog, lot: Lot) -> str:
    return log.event_ids(lot.epc_class, "commissioning")[0]

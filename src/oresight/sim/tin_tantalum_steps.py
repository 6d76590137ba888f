"""The steps the tin and tantalum ("3T") chain is made of, from Kivu sites to Asian smelters.

Cassiterite and coltan concentrate from artisanal sites in South and North Kivu is bought by
comptoirs in Bukavu and Goma, blended, driven across the border to an exporter in Kigali, trucked
to Dar es Salaam and shipped to a tin smelter in Malaysia or a tantalum refiner in China.
"""

from __future__ import annotations

from datetime import datetime

from oresight.sim.epcis_builder import EventLog, Lot
from oresight.sim.flows import ROAD, SEA, Crossing, extract, move, sea, transform
from oresight.sim.world import SITE_BY_KEY

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


def concentrate_lot(log: EventLog, site: str, when: datetime) -> Lot:
    """Commission a lot of concentrate at a site and send it to the comptoir that buys there."""
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
        mode=ROAD,
    )
    return lot


def site_lots(log: EventLog, site: str, count: int, start: datetime) -> list[Lot]:
    """``count`` lots of a site, a day or two apart, each sent to its comptoir."""
    return [concentrate_lot(log, site, log.after(start, i * 40, i * 40 + 24)) for i in range(count)]


def to_kigali(log: EventLog, lots: list[Lot]) -> None:
    """Drive lots from a comptoir across the Rwandan border to the exporter in Kigali."""
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
        mode=ROAD,
    )


def export(log: EventLog, lot: Lot, *, buyer: str, to: str, sea_days: tuple[float, float]) -> None:
    """Truck an export lot from Kigali to Dar es Salaam and ship it to ``to``."""
    move(
        log,
        [lot],
        "p-dar",
        buyer=buyer,
        carrier=HAULIER_RW,
        days=(5, 8),
        wait_hours=(24, 96),
        mode=ROAD,
    )
    sea(log, [lot], to, days=sea_days, mode=SEA)


def refine_tantalum(log: EventLog, lot: Lot) -> Lot:
    """Export a coltan lot to the Chinese refiner and refine it to tantalum oxide there."""
    export(log, lot, buyer="lushan-rare-metals", to="r-lushan", sea_days=(30, 40))
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


def smelt_tin(log: EventLog, lot: Lot, *, declared_factor: float = 1.0) -> Lot:
    """Export a cassiterite lot to the Malaysian smelter and smelt it to tin ingots there."""
    export(log, lot, buyer="perai-tin", to="s-perai", sea_days=(18, 26))
    return transform(
        log,
        [lot],
        product=("080011", "SNI"),
        form="metal",
        grade=(99.85, 99.95),
        recovery=(0.96, 0.985),
        wait_hours=(120, 336),
        uom="KGM",
        declared_factor=declared_factor,
    )

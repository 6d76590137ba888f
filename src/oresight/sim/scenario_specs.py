"""The figures of scenario chains: how each kind of site produces, and what each plant makes.

Grades, lot sizes, capacities, recoveries and durations follow the demo world's chains
(:mod:`oresight.sim.cobalt`, :mod:`oresight.sim.tin_tantalum`): every clean recovery lies below
the maximum of the mass-balance rule's recovery table, with room for weighing error.
"""

from __future__ import annotations

from dataclasses import dataclass

from oresight.sim.scenario_places import Commodity


@dataclass(frozen=True)
class OriginSpec:
    """How a kind of extraction site produces lots."""

    kind: str
    mineral: str
    form: str
    item_ref: str
    grade: tuple[float, float]
    amount: tuple[float, float]
    uom: str
    spacing_hours: float
    capacity: tuple[float, float]
    capacity_basis: str
    radius_km: tuple[float, float]
    operator: tuple[str, str]
    """FtM schema and name pattern of the party that runs the area."""

    def tonnes(self, amount: float) -> float:
        """An amount in the lot unit, in tonnes."""
        return amount if self.uom == "TNE" else amount / 1000


@dataclass(frozen=True)
class Process:
    """A transformation: what it makes, at what grade, recovering how much, after how long."""

    product: tuple[str, str]
    """(item reference, lot code) of the product."""
    form: str
    grade: tuple[float, float]
    recovery: tuple[float, float]
    wait_hours: tuple[float, float]


@dataclass(frozen=True)
class RefiningSpec:
    """The chain's refinery or smelter: where it is, who runs it, and what it makes."""

    kind: str
    country: str
    box: tuple[tuple[float, float], tuple[float, float]]
    party: str
    process: Process
    sea_days: tuple[float, float]
    capacity: float


# fmt: off
COBALT_MINE = OriginSpec("mine", "cobalt", "ore", "026050", (1.2, 2.6), (250, 600), "TNE", 48,
                         (1_200_000, 2_500_000), "ore", (1.8, 2.5), ("Company", "{} Mining SARL"))
COBALT_ARTISANAL = OriginSpec("artisanal_site", "cobalt", "ore", "026050", (1.8, 3.0), (22, 38),
                              "TNE", 30, (3_000, 6_000), "ore", (1.5, 2.2),
                              ("Organization", "Coopérative minière de {}"))
TIN_SITE = OriginSpec("artisanal_site", "tin", "concentrate", "026090", (62.0, 70.0), (900, 2400),
                      "KGM", 40, (120, 300), "concentrate", (0.8, 1.2),
                      ("Company", "{} Mining Ltd"))
TANTALUM_SITE = OriginSpec("artisanal_site", "tantalum", "concentrate", "026159", (20.5, 28.5),
                           (500, 1500), "KGM", 40, (100, 250), "concentrate", (0.8, 1.2),
                           ("Company", "{} Mining Ltd"))
REFINING = {
    Commodity.COBALT: RefiningSpec("refiner", "CN", ((117.0, 121.0), (27.0, 31.0)),
                                   "{} Cobalt Materials Co., Ltd.",
                                   Process(("028330", "CSH"), "compound", (20.5, 20.9),
                                           (0.94, 0.97), (240, 480)), (32, 42), 25_000),
    Commodity.TIN: RefiningSpec("smelter", "MY", ((100.3, 101.5), (3.0, 5.5)),
                                "{} Tin Works Sdn. Bhd.",
                                Process(("080011", "SNI"), "metal", (99.85, 99.95),
                                        (0.95, 0.975), (120, 336)), (18, 26), 30_000),
    Commodity.TANTALUM: RefiningSpec("refiner", "CN", ((115.0, 117.5), (28.0, 30.5)),
                                     "{} Rare Metals Co., Ltd.",
                                     Process(("028259", "TAO"), "compound", (80.5, 81.5),
                                             (0.90, 0.95), (240, 600)), (30, 40), 1_500),
}
# fmt: on

HYDROXIDE = Process(("028220", "HYD"), "hydroxide", (30.0, 35.0), (0.82, 0.90), (72.0, 240.0))
"""The cobalt chain's first transformation: ore to hydroxide at the chain's plant."""

PLANT_BOX = ((25.3, 27.0), (-11.2, -10.6))
KIGALI_BOX = ((30.0, 30.15), (-2.0, -1.9))
DAR_BOX = ((39.15, 39.3), (-6.9, -6.75))
COMPTOIRS = {"south": (28.84, -2.50), "north": (29.22, -1.67)}
"""Bukavu and Goma, where Kivu comptoirs buy."""

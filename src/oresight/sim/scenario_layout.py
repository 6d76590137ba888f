"""The plan of one scenario chain and the places it is laid out on.

A :class:`ChainPlan` says what a chain carries, how big it is, when it starts and which problem it
hides; :func:`lay_out_chain` gives it a licensed area on its region's grid, extraction sites inside
it (or one outside, or all inside a protected area, as the problem wants), its buyer, processor and
refiner, and the fictitious parties that run them. The figures are in
:mod:`oresight.sim.scenario_specs`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from oresight.sim.scenario_key import ProblemKind
from oresight.sim.scenario_places import (
    COPPERBELT,
    NORTH_KIVU,
    RWANDA,
    SOUTH_KIVU,
    TANZANIA,
    Commodity,
    Region,
    ScenarioPlaces,
    capacity_figure,
    site_extra,
)
from oresight.sim.scenario_specs import (
    COBALT_ARTISANAL,
    COBALT_MINE,
    COMPTOIRS,
    DAR_BOX,
    KIGALI_BOX,
    PLANT_BOX,
    REFINING,
    TANTALUM_SITE,
    TIN_SITE,
    OriginSpec,
    RefiningSpec,
)
from oresight.sim.world import PartySpec, SiteSpec, offset_lonlat

SITE_REACH = 0.45
"""How far from its area's centre an extraction site lies, at most, in radii (always inside)."""
OUTSIDE_MARGIN_KM = (1.2, 2.0)
"""How far beyond its area's farthest vertex a site planted outside it lies."""
CLEAN_CAPACITY_HEADROOM = 2.5
"""A clean site's capacity allows at least this many times the most it can ship in a quarter."""
OVERPRODUCTION_RATIO = (2.5, 4.0)
"""A site planted with overproduction ships this many times its quarterly capacity, at least."""


@dataclass(frozen=True)
class ChainPlan:
    """What one chain carries, how big it is, when it starts and what it hides."""

    id: str
    commodity: Commodity
    problem: ProblemKind | None
    variant: str | None
    industrial: bool
    """Cobalt only: industrial mines (else artisanal sites selling to a buying depot)."""
    lots_per_site: tuple[int, ...]
    start: datetime

    @property
    def key(self) -> str:
        """The chain's prefix of site and party keys."""
        return f"scn-{self.id.lower()}"

    def origin(self) -> OriginSpec:
        """How the chain's extraction sites produce lots."""
        if self.commodity is Commodity.COBALT:
            return COBALT_MINE if self.industrial else COBALT_ARTISANAL
        return TIN_SITE if self.commodity is Commodity.TIN else TANTALUM_SITE

    def region(self) -> Region:
        """Where the chain's licensed area lies."""
        if self.problem is ProblemKind.CAHRA:
            return NORTH_KIVU if self.variant == "north" else SOUTH_KIVU
        if self.problem is ProblemKind.TRANSIT_COUNTRY:
            return TANZANIA
        return COPPERBELT if self.commodity is Commodity.COBALT else RWANDA


@dataclass(frozen=True)
class ChainSites:
    """The places and parties of one chain."""

    region: Region
    origin: OriginSpec
    refining: RefiningSpec
    miner: PartySpec
    concession: SiteSpec
    origins: tuple[SiteSpec, ...]
    buyer: SiteSpec
    """Where the extracted lots go first: a depot, a comptoir, an exporter or the plant."""
    plant: SiteSpec | None
    exporter: SiteSpec | None
    """A Kivu chain's exporter in Kigali, after the comptoir."""
    refinery: SiteSpec
    refiner: PartySpec
    negociant: PartySpec | None
    protected_area: SiteSpec | None
    expired: frozenset[str]
    """Keys of the extraction sites whose licence had lapsed when the chain started."""


def lay_out_chain(places: ScenarioPlaces, plan: ChainPlan) -> ChainSites:
    """Create the chain's parties and sites in ``places``."""
    return _Layout(places, plan).build()


class _Layout:
    def __init__(self, places: ScenarioPlaces, plan: ChainPlan) -> None:
        self.places = places
        self.plan = plan
        self.rng = places.rng
        self.origin = plan.origin()
        self.region = plan.region()
        self.key = plan.key

    def build(self) -> ChainSites:
        plan, origin, region = self.plan, self.origin, self.region
        lon, lat = self.places.cell(region)
        radius = round(self.rng.uniform(*origin.radius_km), 2)
        miner = self._party("miner", *origin.operator, region.country)
        start = plan.start.date()
        lapsed = plan.problem is ProblemKind.UNLICENSED_ORIGIN and plan.variant == "expired"
        area_licence = self._licence("PE", start, lapsed=lapsed and plan.industrial)
        extra: dict[str, Any] = {"zone_type": "ZEA"} if origin.kind == "artisanal_site" else {}
        concession = self.places.site(
            SiteSpec(
                f"{self.key}-area",
                f"{self.places.name()} licensed area",
                "concession",
                region.country,
                lon,
                lat,
                "extraction",
                miner.key,
                (origin.mineral,),
                area_licence,
                outline_km=self.places.outline(radius),
                extra=site_extra(region, lon, **extra),
            )
        )
        origins, expired = self._origins(concession, radius, miner, area_licence)
        protected = None
        if plan.problem is ProblemKind.PROTECTED_AREA_ORIGIN:
            protected = self._protected_area(concession, radius)
        buyer, plant, exporter = self._buyers(concession, miner)
        refiner, refinery = self._refinery()
        negociant = None
        if plan.problem is ProblemKind.BROKEN_CHAIN:
            surname = self.places.name()
            negociant = self.places.party(
                f"{self.key}-negociant", "Person", "{} " + surname, buyer.country, gs1=False
            )
        return ChainSites(
            region,
            origin,
            REFINING[plan.commodity],
            miner,
            concession,
            origins,
            buyer,
            plant,
            exporter,
            refinery,
            refiner,
            negociant,
            protected,
            expired,
        )

    def _party(self, role: str, schema: str, pattern: str, country: str) -> PartySpec:
        return self.places.party(f"{self.key}-{role}", schema, pattern, country)

    def _licence(self, kind: str, start: date, *, lapsed: bool) -> tuple[str, str, str]:
        number = f"{kind} {self.rng.randint(1000, 19999)}"
        if lapsed:
            valid_to = start - timedelta(days=self.rng.randint(30, 200))
            valid_from = valid_to - timedelta(days=364)
        else:
            valid_from = start - timedelta(days=self.rng.randint(200, 3000))
            valid_to = start + timedelta(days=self.rng.randint(400, 6000))
        return number, valid_from.isoformat(), valid_to.isoformat()

    def _origins(
        self,
        area: SiteSpec,
        radius: float,
        miner: PartySpec,
        area_licence: tuple[str, str, str],
    ) -> tuple[tuple[SiteSpec, ...], frozenset[str]]:
        plan, origin = self.plan, self.origin
        sites: list[SiteSpec] = []
        expired: set[str] = set()
        for index, lots in enumerate(plan.lots_per_site):
            planted = index == 0 and plan.problem is not None
            outside = planted and plan.problem is ProblemKind.UNLICENSED_ORIGIN
            outside = outside and plan.variant == "outside"
            angle = self.rng.uniform(0, 2 * math.pi)
            reach = (
                radius * 1.1 + self.rng.uniform(*OUTSIDE_MARGIN_KM)
                if outside
                else radius * self.rng.uniform(0, SITE_REACH)
            )
            lon, lat = offset_lonlat(
                area.lon, area.lat, reach * math.cos(angle), reach * math.sin(angle)
            )
            licence = area_licence
            if origin.kind == "artisanal_site":
                lapsed = planted and plan.problem is ProblemKind.UNLICENSED_ORIGIN
                lapsed = lapsed and plan.variant == "expired"
                licence = self._licence("AUT-ART", plan.start.date(), lapsed=lapsed)
            most_t = origin.tonnes(origin.amount[1]) * (lots + 1)
            capacity = max(self.rng.uniform(*origin.capacity), most_t * 4 * CLEAN_CAPACITY_HEADROOM)
            if planted and plan.problem is ProblemKind.ORIGIN_OVERPRODUCTION:
                least_t = origin.tonnes(origin.amount[0]) * lots
                capacity = least_t * 4 / self.rng.uniform(*OVERPRODUCTION_RATIO)
            extra: dict[str, Any] = {"declared_zone": area.name} if outside else {}
            key = f"{self.key}-site{index + 1}"
            name = f"{self.places.name()} {origin.kind.replace('_', ' ')}"
            sites.append(
                self.places.site(
                    SiteSpec(
                        key,
                        name,
                        origin.kind,
                        area.country,
                        lon,
                        lat,
                        "extraction",
                        miner.key,
                        (origin.mineral,),
                        licence,
                        (capacity_figure(capacity), origin.capacity_basis),
                        extra=site_extra(self.region, lon, **extra),
                    )
                )
            )
            if date.fromisoformat(licence[2]) < plan.start.date():
                expired.add(key)
        return tuple(sites), frozenset(expired)

    def _protected_area(self, area: SiteSpec, radius: float) -> SiteSpec:
        designation = self.rng.choice(("forest_reserve", "national_park", "hunting_reserve"))
        words = designation.replace("_", " ").capitalize()
        outline = tuple(
            (east * 1.3, north * 1.3) for east, north in self.places.outline(radius * 1.05)
        )
        return self.places.site(
            SiteSpec(
                f"{self.key}-protected",
                f"{words} of {self.places.name()}",
                "protected_area",
                area.country,
                area.lon,
                area.lat,
                "extraction",
                outline_km=outline,
                extra=site_extra(self.region, area.lon, designation=designation),
            )
        )

    def _facility(
        self,
        role: str,
        kind: str,
        operator: PartySpec,
        where: tuple[float, float],
        tier: str,
        region: Region | None,
        **fields: Any,
    ) -> SiteSpec:
        lon, lat = where
        country = operator.country.upper()
        extra = site_extra(region, lon) if region is not None else {}
        name = f"{operator.name}, {kind.replace('_', ' ')}"
        return self.places.site(
            SiteSpec(
                f"{self.key}-{role}",
                name,
                kind,
                country,
                lon,
                lat,
                tier,
                operator.key,
                (self.origin.mineral,),
                gln_location="00011",
                extra=extra,
                **fields,
            )
        )

    def _buyers(
        self, area: SiteSpec, miner: PartySpec
    ) -> tuple[SiteSpec, SiteSpec | None, SiteSpec | None]:
        plan, region = self.plan, self.region
        if plan.commodity is Commodity.COBALT:
            processor = self._party("processor", "Company", "{} Hydromet SAS", "CD")
            where = self._in_box(PLANT_BOX)
            plant = self._facility(
                "plant",
                "processing_facility",
                processor,
                where,
                "processing",
                region,
                capacity=(30_000, "product"),
            )
            if plan.industrial:
                return plant, plant, None
            trader = self._party("trader", "Company", "Maison d'achat {} SARL", "CD")
            depot = self.places.scatter(area.lon, area.lat, (0.15, 0.15))
            buyer = self._facility("depot", "trader", trader, depot, "trading", region)
            return buyer, plant, None
        if plan.problem is ProblemKind.CAHRA:
            comptoir = self._party("comptoir", "Company", "Comptoir {} SARL", "CD")
            where = self.places.scatter(*COMPTOIRS[plan.variant or "south"], (0.02, 0.02))
            buyer = self._facility("comptoir", "trader", comptoir, where, "trading", region)
            exporter = self._party("exporter", "Company", "{} Minerals Trading Ltd", "RW")
            kigali = self._in_box(KIGALI_BOX)
            export = self._facility("exporter", "trader", exporter, kigali, "export", None)
            return buyer, None, export
        country, box = ("TZ", DAR_BOX) if region is TANZANIA else ("RW", KIGALI_BOX)
        exporter = self._party("exporter", "Company", "{} Minerals Trading Ltd", country)
        buyer = self._facility("exporter", "trader", exporter, self._in_box(box), "trading", None)
        return buyer, None, None

    def _refinery(self) -> tuple[PartySpec, SiteSpec]:
        spec = REFINING[self.plan.commodity]
        refiner = self._party("refiner", "Company", spec.party, spec.country)
        smelter_id = f"CID{int(refiner.gs1_prefix or 0) % 1_000_000:06d}"
        site = self._facility(
            "refinery",
            spec.kind,
            refiner,
            self._in_box(spec.box),
            "refining",
            None,
            capacity=(spec.capacity, "product"),
            rmi_smelter_id=smelter_id,
        )
        return refiner, site

    def _in_box(self, box: tuple[tuple[float, float], tuple[float, float]]) -> tuple[float, float]:
        (west, east), (south, north) = box
        return round(self.rng.uniform(west, east), 6), round(self.rng.uniform(south, north), 6)

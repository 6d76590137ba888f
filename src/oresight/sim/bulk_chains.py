"""The chains of a bulk world, from the mine to the refinery's customer, and the problems some hide.

A chain: 1-3 lots of ore are commissioned at a mine (a ``geo:`` read point inside its licensed
square) and weighed; each is loaded, trucked to a trader, weighed and stored, trucked on to a
processing plant; one transformation there turns them into an export lot at 82-92 % of the
process's maximum recovery (``custody/data/recovery.yaml``). The export lot crosses a border, is
received, weighed and stored at Dar es Salaam, loaded and shipped by sea to Asia, unloaded,
trucked to a refinery and refined; the product is weighed and trucked to a customer, who stores
it. Every move declares its transport mode, every receiving site weighs the lot anew (within
±1 %), and every leg is given at least the time a truck at 40 km/h would need. A chain has
``10 x ore lots + 19`` events.

A planted problem (:data:`PLANTED_KINDS`) changes one thing of one chain; the finding it must
raise is recorded as a :class:`PlantedFinding`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from random import Random

from oresight.sim.bulk_events import (
    BulkLot,
    EventWriter,
    inspection,
    master_data,
    movement,
    parties,
    quantity,
)
from oresight.sim.bulk_places import (
    COPPERBELT,
    LICENCE,
    MARKETS,
    RWANDA,
    BulkPlaces,
    Place,
    Region,
    lonlat_at,
    subdivision_of,
)

PLANTED_KINDS: dict[str, tuple[str, str]] = {
    "broken_chain": ("CUSTODY.BROKEN_CHAIN", "lot"),
    "unlicensed_expired": ("CUSTODY.UNLICENSED_ORIGIN", "event"),
    "unlicensed_outside": ("CUSTODY.UNLICENSED_ORIGIN", "event"),
    "mass_balance": ("CUSTODY.MASS_BALANCE", "event"),
    "tag_reuse": ("CUSTODY.TAG_REUSE", "lot"),
    "impossible_travel": ("CUSTODY.IMPOSSIBLE_TRAVEL", "lot"),
    "origin_overproduction": ("CUSTODY.ORIGIN_OVERPRODUCTION", "site"),
    "protected_area": ("SITE.PROTECTED_AREA_ORIGIN", "site"),
    "cahra": ("ORIGIN.CAHRA", "lot"),
}
"""Each kind of planted problem: the finding code it raises and the type of its subject.

``broken_chain``: the first ore lot has no commissioning (it is first seen being loaded);
``unlicensed_expired``: the mine's licence lapsed 30-200 days before (every extraction there);
``unlicensed_outside``: the first lot is dug 0.6-1.5 square-widths east of its mine's square;
``mass_balance``: the plant puts out 1.3 x what the maximum recovery allows;
``tag_reuse``: 5-20 days after the plant consumed it, the last ore lot's tag is commissioned
again at the mine; ``impossible_travel``: the export lot reaches Dar es Salaam 30-90 minutes
after the border, hundreds of km away; ``origin_overproduction``: three lots from a mine of
2 t (50 t for cobalt) a year; ``protected_area``: the mine lies in a forest reserve;
``cahra``: tin or tantalum from a mine in Sud-Kivu.
"""

OWN_MINE = frozenset({"unlicensed_expired", "origin_overproduction", "protected_area", "cahra"})
"""Problems planted on a mine of the chain's own, so that no other chain shares the finding."""

START = datetime(2022, 1, 3)
SPAN_MINUTES = 640 * 1440
"""Chains start over 2022 and most of 2023 (times are UTC while building)."""


@dataclass(frozen=True)
class Commodity:
    """How one mineral moves: its share of chains, lot sizes, grades, forms and recoveries."""

    share: float
    ore_tonnes: tuple[float, float]
    ore_grade: tuple[float, float]
    export_form: str
    export_grade: tuple[float, float]
    export_recovery: float
    """The maximum recovery from ore to the export form."""
    product_form: str
    product_grade: tuple[float, float]
    product_recovery: float
    mine_capacity_t: float
    """Declared capacity of a mine, tonnes of ore a year."""


COMMODITIES = {
    "cobalt": Commodity(
        0.45, (25, 35), (1.5, 3.5), "hydroxide", (30, 40), 0.95, "compound", (20, 21), 0.99, 4e5
    ),
    "tin": Commodity(
        0.30, (0.4, 1.5), (5, 15), "concentrate", (60, 72), 0.90, "metal", (99, 99.9), 0.99, 400
    ),
    "tantalum": Commodity(
        0.25, (0.4, 1.5), (2, 5), "concentrate", (25, 35), 0.90, "compound", (80, 82), 0.98, 400
    ),
}


@dataclass(frozen=True)
class PlantedFinding:
    """A finding that a planted problem must raise."""

    kind: str
    code: str
    subject_type: str
    subject_id: str


class ChainBuilder:
    """Builds chains into a writer, over the sites and parties they share."""

    def __init__(self, writer: EventWriter, places: BulkPlaces, rng: Random, chains: int) -> None:
        self.w, self.places, self.rng = writer, places, rng
        self.planted: list[PlantedFinding] = []
        self._own_mines = 0
        places.add_corridor()
        self.mines: dict[str, list[Place]] = {}
        self.traders: dict[str, list[Place]] = {}
        self.plants: dict[str, list[Place]] = {}
        for region in (COPPERBELT, RWANDA):
            share = sum(COMMODITIES[c].share for c in region.commodities)
            mines = places.mines(
                region,
                max(4, round(chains * share / 4)),
                minerals=list(region.commodities),
                capacity_t=COMMODITIES[region.commodities[0]].mine_capacity_t,
            )
            for mineral in region.commodities:
                self.mines[mineral] = [m for m in mines if m.mineral == mineral]
            where = {
                "country": region.country,
                "subdivision": subdivision_of(region.country, region.hub[0]),
            }
            traders, plants = (
                max(2, round(chains * share / 40)),
                max(2, round(chains * share / 150)),
            )
            self.traders[region.name] = places.around(
                "trader", "Mineral trader", traders, region.hub, 80, **where
            )
            self.plants[region.name] = places.around(
                "processing_facility", "Processing plant", plants, region.hub, 40, **where
            )
        self.refineries: dict[tuple[str, int], list[Place]] = {}
        self.customers: dict[tuple[str, int], list[Place]] = {}
        for mineral, markets in MARKETS.items():
            for index, (_, kind, lon, lat, country) in enumerate(markets):
                name = mineral.capitalize()
                self.refineries[(mineral, index)] = places.around(
                    kind, f"{name} {kind}", max(2, chains // 2000), (lon, lat), 60,
                    country=country, mineral=mineral,
                )  # fmt: skip
                self.customers[(mineral, index)] = places.around(
                    "processing_facility", f"{name} customer", max(2, chains // 1000),
                    (lon + 1.5, lat + 1.0), 150, country=country,
                )  # fmt: skip
        self.hauliers = {
            country: [places.party("haulier", country, "Haulier") for _ in range(8)]
            for country in ("CD", "RW", "CN", "MY")
        }
        self.lines = [places.party("shipping", "SG", "Shipping line") for _ in range(5)]

    def build(self, problem: str | None) -> None:
        """One chain (hiding ``problem``, if any), from the mine to the refinery's customer."""
        rng = self.rng
        mineral = self._mineral(problem)
        spec = COMMODITIES[mineral]
        region = COPPERBELT if mineral == "cobalt" else RWANDA
        start = START + timedelta(minutes=rng.randint(0, SPAN_MINUTES))
        mine = self._mine(problem, mineral, region, start)
        trader = rng.choice(self.traders[region.name])
        plant = rng.choice(self.plants[region.name])
        market = rng.randrange(len(MARKETS[mineral]))
        haulier = rng.choice(self.hauliers[region.country])
        ores: list[BulkLot] = []
        when = arrived = start
        for index in range(3 if problem == "origin_overproduction" else rng.randint(1, 3)):
            lot = BulkLot(
                self.w.lot_id(mine.operator, "10001"),
                mineral,
                "ore",
                round(rng.uniform(*spec.ore_grade), 2),
                round(rng.uniform(*spec.ore_tonnes), 3),
                mine,
                mine.operator,
            )
            untraced = problem == "broken_chain" and index == 0
            outside = problem == "unlicensed_outside" and index == 0
            extraction = self._extract(lot, when, recorded=not untraced, outside=outside)
            if untraced or problem == "cahra":
                self._plant(problem, lot.id)
            elif outside or problem == "unlicensed_expired":
                self._plant(problem, extraction)
            self._haul(lot, trader, when + timedelta(hours=rng.uniform(2, 30)), haulier)
            self._store(lot)
            self._haul(lot, plant, self.w.last + timedelta(hours=rng.uniform(12, 96)), haulier)
            arrived = max(arrived, self.w.last)  # each lot takes its own time on the road
            ores.append(lot)
            when += timedelta(hours=rng.uniform(4, 72))
        made = arrived + timedelta(days=rng.uniform(3, 12))
        inflation = 1.3 if problem == "mass_balance" else rng.uniform(0.82, 0.92)
        export, transformation = self._transform(
            ores, plant, made, spec.export_form, spec.export_grade, spec.export_recovery * inflation
        )
        if problem == "mass_balance":
            self._plant(problem, transformation)
        elif problem == "tag_reuse":
            reused = ores[-1]
            reused.at, reused.owner = mine, mine.operator
            self._extract(reused, made + timedelta(days=rng.uniform(5, 20)), recorded=True)
            self._plant(problem, reused.id)
        elif problem in ("origin_overproduction", "protected_area"):
            self._plant(problem, mine.id)
        self._export(export, region, market, made, haulier, rushed=problem == "impossible_travel")
        if problem == "impossible_travel":
            self._plant(problem, export.id)
        refinery = rng.choice(self.refineries[(mineral, market)])
        self._arrive(export, refinery, rng.choice(self.hauliers[refinery.country]))
        recovery = spec.product_recovery * rng.uniform(0.9, 0.97)
        refined = self.w.last + timedelta(days=rng.uniform(3, 20))
        product, _ = self._transform(
            [export], refinery, refined, spec.product_form, spec.product_grade, recovery
        )
        self.w.emit(refinery, self.w.last + timedelta(hours=6), inspection(product))
        customer = rng.choice(self.customers[(mineral, market)])
        carrier = rng.choice(self.hauliers[customer.country])
        self._haul(product, customer, self.w.last + timedelta(hours=12), carrier)
        self._store(product)

    def _mineral(self, problem: str | None) -> str:
        if problem == "protected_area":
            return "cobalt"
        if problem == "cahra":
            return self.rng.choice(("tin", "tantalum"))
        draw, total = self.rng.random(), 0.0
        for name, spec in COMMODITIES.items():
            total += spec.share
            if draw < total:
                return name
        return "tantalum"

    def _mine(self, problem: str | None, mineral: str, region: Region, start: datetime) -> Place:
        if problem not in OWN_MINE:
            return self.rng.choice(self.mines[mineral])
        # Off the region's grid, 16 km apart: south of it, or in Sud-Kivu for cahra.
        number, self._own_mines = self._own_mines, self._own_mines + 1
        lon = region.west + 0.1 + 0.15 * (number % 8)
        lat = region.south - 0.15 - 0.15 * (number // 8)
        capacity = COMMODITIES[mineral].mine_capacity_t
        licence, country, subdivision = LICENCE, region.country, None
        if problem == "unlicensed_expired":
            lapse = start - timedelta(days=self.rng.randint(30, 200))
            licence = ("2012-01-01", lapse.date().isoformat())
        elif problem == "origin_overproduction":
            capacity = 50.0 if mineral == "cobalt" else 2.0
        elif problem == "protected_area":
            self.places.site(
                "protected_area",
                "Forest reserve",
                region.country,
                lon,
                lat,
                half_km=5.0,
                subdivision=subdivision_of(region.country, lon),
                designation="forest_reserve",
            )
        else:
            lon, lat = 28.5 + 0.03 * (number % 10), -2.3 - 0.03 * (number // 10)
            country, subdivision = "CD", "CD-SK"
        return self.places.mine(
            region,
            lon,
            lat,
            0.4,
            mineral,
            capacity,
            licence=licence,
            country=country,
            subdivision=subdivision,
        )

    def _plant(self, kind: str | None, subject: str) -> None:
        assert kind is not None
        code, subject_type = PLANTED_KINDS[kind]
        self.planted.append(PlantedFinding(kind, code, subject_type, subject))

    # -- steps ---------------------------------------------------------------------------------

    def _extract(
        self, lot: BulkLot, when: datetime, *, recorded: bool, outside: bool = False
    ) -> str:
        """Commission a lot at a point in its mine's square (east of it when ``outside``) and
        weigh it; its commissioning event's id. Not ``recorded``: no event at all."""
        rng, half = self.rng, lot.at.half_km
        if outside:
            east, north = half * rng.uniform(1.6, 2.5), half * rng.uniform(-0.5, 0.5)
        else:
            east, north = half * rng.uniform(-0.8, 0.8), half * rng.uniform(-0.8, 0.8)
        if not recorded:
            return ""
        lon, lat = lonlat_at(lot.at.lon, lot.at.lat, east, north)
        body = {
            "action": "ADD",
            "bizStep": "commissioning",
            "disposition": "active",
            "quantityList": [quantity(lot)],
            "sourceList": parties("source", lot.owner, lot.owner),
            "destinationList": parties("destination", lot.owner, lot.owner),
            "ilmd": master_data(lot),
            "readPoint": f"geo:{lat:.6f},{lon:.6f}",
        }
        event_id = self.w.emit(lot.at, when, body)
        self.w.emit(lot.at, when + timedelta(minutes=rng.randint(20, 240)), inspection(lot))
        return event_id

    def _haul(self, lot: BulkLot, to: Place, when: datetime, carrier: str) -> None:
        """Load, ship and (after the road time) receive the lot at ``to``."""
        self.w.emit(lot.at, when, movement(lot, "loading", "road"))
        shipped = when + timedelta(hours=self.rng.uniform(0.5, 4))
        shipping = movement(
            lot,
            "shipping",
            "road",
            transactions=self.w.transaction(lot.owner),
            sources=parties("source", lot.owner, lot.owner),
            destinations=parties("destination", to.operator, carrier),
        )
        self.w.emit(lot.at, shipped, shipping)
        self._receive(
            lot, to, shipped + timedelta(hours=_road_hours(lot.at, to, self.rng)), carrier
        )

    def _receive(self, lot: BulkLot, to: Place, when: datetime, carrier: str) -> None:
        """The lot is received (and weighed anew) at ``to``, whose operator now owns it."""
        seller = lot.owner
        lot.at, lot.owner = to, to.operator
        lot.tonnes = round(lot.tonnes * self.rng.uniform(0.99, 1.01), 3)
        receiving = movement(
            lot,
            "receiving",
            "road",
            transactions=self.w.transaction(seller),
            sources=parties("source", seller, carrier),
            destinations=parties("destination", to.operator, to.operator),
        )
        self.w.emit(to, when, receiving)

    def _arrive(self, lot: BulkLot, to: Place, carrier: str) -> None:
        """Received at ``to`` after the road time from where the lot is."""
        hours = _road_hours(lot.at, to, self.rng)
        self._receive(lot, to, self.w.last + timedelta(hours=hours), carrier)

    def _store(self, lot: BulkLot) -> None:
        self.w.emit(lot.at, self.w.last + timedelta(hours=self.rng.uniform(1, 8)), inspection(lot))
        stored = self.w.last + timedelta(hours=self.rng.uniform(1, 8))
        self.w.emit(lot.at, stored, movement(lot, "storing"))

    def _transform(
        self,
        inputs: list[BulkLot],
        at: Place,
        when: datetime,
        form: str,
        grades: tuple[float, float],
        recovery: float,
    ) -> tuple[BulkLot, str]:
        """Consume ``inputs`` whole into one new lot holding ``recovery`` of their element."""
        element = sum(lot.tonnes * lot.grade / 100 for lot in inputs) * recovery
        grade = round(self.rng.uniform(*grades), 2)
        out = BulkLot(
            self.w.lot_id(at.operator, "20002"),
            inputs[0].mineral,
            form,
            grade,
            round(element / grade * 100, 3),
            at,
            at.operator,
        )
        body = {
            "type": "TransformationEvent",
            "bizStep": "commissioning",
            "disposition": "active",
            "inputQuantityList": [quantity(lot) for lot in inputs],
            "outputQuantityList": [quantity(out)],
            "ilmd": master_data(out),
        }
        return out, self.w.emit(at, when, body)

    def _export(
        self,
        lot: BulkLot,
        region: Region,
        market: int,
        when: datetime,
        haulier: str,
        *,
        rushed: bool,
    ) -> None:
        """By road over the border to Dar es Salaam, stored, then by sea to Asia and unloaded;
        ``rushed``: received at the port an hour after the border, hundreds of km away."""
        rng, corridor = self.rng, self.places.corridor
        posts = ("b-rusumo-rw", "b-rusumo-tz")
        if region is COPPERBELT:
            posts = ("b-kasumbalesa", "b-tunduma")
        shipping = movement(
            lot,
            "shipping",
            "road",
            transactions=self.w.transaction(lot.owner),
            sources=parties("source", lot.owner, lot.owner),
            destinations=parties("destination", lot.owner, haulier),
        )
        self.w.emit(lot.at, when + timedelta(hours=rng.uniform(6, 48)), shipping)
        for key, step in zip(posts, ("departing", "arriving"), strict=True):
            hours = _road_hours(lot.at, corridor[key], rng)
            lot.at = corridor[key]
            self.w.emit(lot.at, self.w.last + timedelta(hours=hours), movement(lot, step, "road"))
        port = corridor["p-dar"]
        if rushed:
            self._receive(lot, port, self.w.last + timedelta(minutes=rng.randint(30, 90)), haulier)
        else:
            self._arrive(lot, port, haulier)
        self._store(lot)
        loaded = self.w.last + timedelta(days=rng.uniform(2, 12))
        self.w.emit(lot.at, loaded, movement(lot, "loading", "sea"))
        shipping = movement(
            lot,
            "shipping",
            "sea",
            transactions=self.w.transaction(lot.owner),
            sources=parties("source", lot.owner, port.operator),
            destinations=parties("destination", lot.owner, rng.choice(self.lines)),
        )
        self.w.emit(lot.at, self.w.last + timedelta(hours=rng.uniform(6, 48)), shipping)
        lot.at = corridor[MARKETS[lot.mineral][market][0]]
        landed = self.w.last + timedelta(days=rng.uniform(20, 35))
        self.w.emit(lot.at, landed, movement(lot, "arriving", "sea"))
        unloaded = self.w.last + timedelta(hours=rng.uniform(6, 72))
        self.w.emit(lot.at, unloaded, movement(lot, "unloading", "sea"))


def _road_hours(start: Place, end: Place, rng: Random) -> float:
    """Trucking time: the great circle at 40 km/h, plus 2-20 hours of waiting."""
    return _km(start, end) / 40 + rng.uniform(2, 20)


def _km(a: Place, b: Place) -> float:
    lon1, lat1, lon2, lat2 = map(math.radians, (a.lon, a.lat, b.lon, b.lat))
    h = math.sin((lat2 - lat1) / 2) ** 2
    h += math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(h))

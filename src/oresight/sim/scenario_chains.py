"""Record one scenario chain with the demo world's flows, planting its problem.

Every chain runs the same way: lots are dug at its extraction sites and trucked one by one to its
first buyer; a first transformation makes one lot of them (cobalt hydroxide at the plant, or a
blended export lot of tin or coltan concentrate); that lot travels by road to Dar es Salaam and by
sea to the chain's refinery or smelter, which transforms it once more. Timings and recoveries are
the demo world's, well inside what the rules allow, so a clean chain stays clean.

A problem chain differs in one place:

* ``broken_chain``: a lot the buyer takes from a négociant with no origin at all (``laundered``),
  or whose commissioning is entered after it had already reached the buyer (``backdated``);
* ``mass_balance``: the ``first`` or the ``final`` transformation puts out 15-50 % more element
  than its inputs allow at the maximum recovery of the rule's own recovery table;
* ``tag_reuse``: days after a lot was consumed, its tag is commissioned again on other material;
* ``impossible_travel``: the export lot is recorded at the port an hour or so after it left a
  place more than 1,000 km away;
* ``origin_overproduction``: the first extraction site ships 2.5-4 times its quarterly capacity;
* ``unlicensed_origin``: the first site's licence had lapsed (``expired``), or it lies outside
  every licensed area (``outside``);
* ``protected_area_origin``: the licensed area, and every site in it, lies in a protected area;
* ``cahra``: coltan or cassiterite from the Kivus, bought by a comptoir in Bukavu or Goma;
* ``transit_country``: coltan declared as mined in Tanzania, which USGS lists as no producer.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from oresight.core.minerals import MaterialForm, Mineral
from oresight.custody.mass_balance import default_recovery_table
from oresight.sim.epcis_builder import EventLog, Lot
from oresight.sim.flows import Crossing, blend, extract, move, new_lot, sea, transform
from oresight.sim.scenario_key import ProblemKind
from oresight.sim.scenario_layout import ChainPlan, ChainSites
from oresight.sim.scenario_places import (
    CORRIDOR_HAULIER,
    EAST_AFRICA_HAULIER,
    KIVU_HAULIER,
    LOCAL_HAULIER,
    PORT,
    TANZANIA,
    Commodity,
    road_days,
    road_hours,
)
from oresight.sim.scenario_specs import HYDROXIDE
from oresight.sim.world import SITE_BY_KEY, SiteSpec

INFLATION = (1.15, 1.5)
"""How far a planted mass-balance excess goes beyond the maximum recovery."""
PAPER_LEG_DAYS = (0.02, 0.06)
"""How long an impossible export leg takes on paper (about 30-90 minutes)."""
KASUMBALESA = "b-kasumbalesa"
KIVU_CROSSINGS = {
    "south": (Crossing("b-rusizi", hours_before=(1.0, 2.5), queue_hours=(2, 6)), (0.3, 0.6)),
    "north": (Crossing("b-gisenyi", hours_before=(1.0, 2.0), queue_hours=(1, 5)), (0.2, 0.4)),
}
"""The border post from each Kivu comptoir to Kigali, and the days of driving after it."""


@dataclass
class ChainTrace:
    """What recording a chain did: its lots, where it transformed them, and what it planted."""

    plan: ChainPlan
    sites: ChainSites
    origin_lots: list[Lot] = field(default_factory=list)
    """The lots dug at the chain's extraction sites, in order."""
    untraced: Lot | None = None
    """The lot with no origin before it moved (a broken chain)."""
    first: Lot | None = None
    """The output of the first transformation (the lot that is exported)."""
    final: Lot | None = None
    commissioned: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    """Site key -> ids of the commissioning events recorded there."""
    facilities: list[SiteSpec] = field(default_factory=list)
    """Where the chain's transformations happen, in order."""
    inflated_event: str | None = None
    """The transformation planted with a mass-balance excess."""
    reused: Lot | None = None
    """The lot whose tag was commissioned again."""

    def lots(self) -> list[str]:
        """Every lot of the chain, origin to final product."""
        lots = [*self.origin_lots, self.untraced, self.first, self.final]
        return [lot.epc_class for lot in lots if lot is not None]


def build_chain(log: EventLog, plan: ChainPlan, sites: ChainSites) -> ChainTrace:
    """Record the chain's events in ``log``; return what it recorded."""
    return _Chain(log, plan, sites).build()


class _Chain:
    def __init__(self, log: EventLog, plan: ChainPlan, sites: ChainSites) -> None:
        self.log = log
        self.plan = plan
        self.sites = sites
        self.trace = ChainTrace(plan, sites)
        if plan.commodity is Commodity.COBALT:
            self.carrier = LOCAL_HAULIER
        elif plan.problem is ProblemKind.CAHRA:
            self.carrier = KIVU_HAULIER
        else:
            self.carrier = EAST_AFRICA_HAULIER

    def build(self) -> ChainTrace:
        plan, sites, trace = self.plan, self.sites, self.trace
        lots = trace.origin_lots = self._extract()
        if plan.problem is ProblemKind.BROKEN_CHAIN:
            trace.untraced = self._untraced(lots)
        inputs = lots + ([trace.untraced] if trace.untraced is not None else [])
        if sites.plant is not None and sites.plant is not sites.buyer:
            move(
                self.log,
                inputs,
                sites.plant.key,
                buyer=_operator(sites.plant),
                carrier=LOCAL_HAULIER,
                days=road_days(sites.buyer, sites.plant),
                wait_hours=(24, 96),
            )
        first = trace.first = self._first_transformation(inputs)
        if sites.exporter is not None:
            crossing, days = KIVU_CROSSINGS[plan.variant or "south"]
            move(
                self.log,
                [first],
                sites.exporter.key,
                buyer=_operator(sites.exporter),
                carrier=KIVU_HAULIER,
                days=days,
                wait_hours=(12, 48),
                via=crossing,
            )
        if plan.problem is ProblemKind.TAG_REUSE:
            self._reuse_tag(lots, first)
        self._export(first)
        trace.final = self._refine(first)
        return trace

    def _extract(self) -> list[Lot]:
        origin, buyer = self.sites.origin, self.sites.buyer
        lots: list[Lot] = []
        for index, (site, count) in enumerate(
            zip(self.sites.origins, self.plan.lots_per_site, strict=True)
        ):
            site_start = self.log.after(self.plan.start, index * 6, index * 6 + 40)
            for number in range(count):
                spacing = number * origin.spacing_hours
                lot = extract(
                    self.log,
                    site.key,
                    when=self.log.after(site_start, spacing, spacing + 20),
                    product=(origin.item_ref, f"O{chr(65 + index)}"),
                    mineral=origin.mineral,
                    form=origin.form,
                    grade=origin.grade,
                    amount=origin.amount,
                    uom=origin.uom,
                )
                self.trace.commissioned[site.key].append(self.log.last_event_id)
                move(
                    self.log,
                    [lot],
                    buyer.key,
                    buyer=_operator(buyer),
                    carrier=self.carrier,
                    days=road_days(site, buyer),
                )
                lots.append(lot)
        return lots

    def _material(self, site: str, when: datetime, epc_class: str | None = None) -> Lot:
        """A lot of the chain's raw material at ``site``, labelled by the area's operator (under
        a new lot class, or the one given); records nothing."""
        origin, rng = self.sites.origin, self.log.rng
        grade = round(rng.uniform(*origin.grade), 2)
        amount = rng.uniform(*origin.amount)
        if epc_class is None:
            return new_lot(
                self.log,
                self.sites.miner.key,
                (origin.item_ref, "OA"),
                mineral=origin.mineral,
                form=origin.form,
                site=site,
                when=when,
                grade=grade,
                amount=amount,
                uom=origin.uom,
            )
        amount = round(amount, 3) if origin.uom == "TNE" else round(amount, 1)
        return Lot(
            epc_class,
            origin.mineral,
            origin.form,
            grade,
            amount,
            origin.uom,
            self.sites.miner.key,
            site,
            when,
        )

    def _untraced(self, lots: list[Lot]) -> Lot:
        """A lot at the buyer with no origin recorded before it moved (the planted broken chain)."""
        log, buyer, negociant = self.log, self.sites.buyer, self.sites.negociant
        if self.plan.variant == "laundered" and negociant is not None:
            received = log.after(max(lot.at for lot in lots), 6, 48)
            lot = self._material(buyer.key, received)
            lot.owner = _operator(buyer)
            log.receive(
                [lot],
                buyer.key,
                when=received,
                seller=negociant.key,
                buyer=_operator(buyer),
                carrier=negociant.key,
                transactions=[],
                mode="road",
            )
            return lot
        site = self.sites.origins[0]
        lot = self._material(site.key, log.after(self.plan.start, 12, 60))
        move(
            log,
            [lot],
            buyer.key,
            buyer=_operator(buyer),
            carrier=self.carrier,
            days=road_days(site, buyer),
        )
        entered = log.after(lot.at, 12, 48)
        log.commission(
            Lot(
                lot.epc_class,
                lot.mineral,
                lot.form,
                lot.grade,
                lot.amount,
                lot.uom,
                self.sites.miner.key,
                site.key,
                entered,
            )
        )
        lot.at = max(lot.at, entered)
        return lot

    def _first_transformation(self, inputs: list[Lot]) -> Lot:
        planted = self.plan.problem is ProblemKind.MASS_BALANCE and self.plan.variant == "first"
        if self.plan.commodity is Commodity.COBALT:
            facility = self.sites.plant or self.sites.buyer
            recovery = self._inflated("ore", "hydroxide") if planted else HYDROXIDE.recovery
            output = transform(
                self.log,
                inputs,
                product=HYDROXIDE.product,
                form=HYDROXIDE.form,
                grade=HYDROXIDE.grade,
                recovery=recovery,
                wait_hours=HYDROXIDE.wait_hours,
                uom="TNE",
            )
        else:
            facility = self.sites.buyer
            product = (self.sites.origin.item_ref, "EXP")
            if planted:
                grades = [lot.grade for lot in inputs]
                middle = sum(grades) / len(grades)
                output = transform(
                    self.log,
                    inputs,
                    product=product,
                    form="concentrate",
                    grade=(middle - 1, middle + 1),
                    recovery=self._inflated("concentrate", "concentrate"),
                    wait_hours=(24, 96),
                    uom="KGM",
                )
            else:
                output = blend(self.log, inputs, product=product, wait_hours=(24, 96))
        self._transformed(facility, planted)
        return output

    def _refine(self, lot: Lot) -> Lot:
        spec = self.sites.refining.process
        planted = self.plan.problem is ProblemKind.MASS_BALANCE and self.plan.variant == "final"
        recovery = self._inflated(lot.form, spec.form) if planted else spec.recovery
        output = transform(
            self.log,
            [lot],
            product=spec.product,
            form=spec.form,
            grade=spec.grade,
            recovery=recovery,
            wait_hours=spec.wait_hours,
            uom=lot.uom,
        )
        self._transformed(self.sites.refinery, planted)
        return output

    def _transformed(self, facility: SiteSpec, planted: bool) -> None:
        self.trace.facilities.append(facility)
        if planted:
            self.trace.inflated_event = self.log.last_event_id

    def _inflated(self, source: str, target: str) -> tuple[float, float]:
        bound = default_recovery_table().max_recovery(
            Mineral(self.sites.origin.mineral), MaterialForm(source), MaterialForm(target)
        )
        return (bound.value * INFLATION[0], bound.value * INFLATION[1])

    def _reuse_tag(self, lots: list[Lot], consumed_by: Lot) -> None:
        """Commission a consumed lot's tag again on other material, days later."""
        log, origins = self.log, self.sites.origins
        victim = lots[log.rng.randrange(len(lots))]
        site = origins[1] if len(origins) > 1 else origins[0]
        when = log.after(consumed_by.at, 3 * 24, 20 * 24)
        reused = self._material(site.key, when, victim.epc_class)
        log.commission(reused)
        self.trace.commissioned[site.key].append(log.last_event_id)
        move(
            log,
            [reused],
            self.sites.buyer.key,
            buyer=_operator(self.sites.buyer),
            carrier=self.carrier,
            days=road_days(site, self.sites.buyer),
        )
        self.trace.reused = victim

    def _export(self, lot: Lot) -> None:
        sites, log = self.sites, self.log
        here = SITE_BY_KEY[lot.site]
        refiner = sites.refiner.key
        via = None
        if self.plan.problem is ProblemKind.IMPOSSIBLE_TRAVEL:
            days: tuple[float, float] = PAPER_LEG_DAYS
            carrier = EAST_AFRICA_HAULIER
        elif self.plan.commodity is Commodity.COBALT:
            border = SITE_BY_KEY[KASUMBALESA]
            via = Crossing(KASUMBALESA, hours_before=road_hours(here, border), queue_hours=(8, 36))
            days, carrier = (7, 11), CORRIDOR_HAULIER
        elif sites.region is TANZANIA:
            days, carrier = road_days(here, SITE_BY_KEY[PORT]), EAST_AFRICA_HAULIER
        else:
            days, carrier = (4.5, 8), EAST_AFRICA_HAULIER
        move(
            log,
            [lot],
            PORT,
            buyer=refiner,
            carrier=carrier,
            days=days,
            wait_hours=(24, 72),
            via=via,
        )
        sea(log, [lot], sites.refinery.key, days=sites.refining.sea_days)


def _operator(site: SiteSpec) -> str:
    if site.operator is None:
        raise ValueError(f"scenario site {site.key} has no operator")
    return site.operator

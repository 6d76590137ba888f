"""The findings a recorded scenario chain should give: its answer-key entries.

Each planted problem is keyed on the subject its rule reports on, as the rule's docstring says:

* CUSTODY.BROKEN_CHAIN, CUSTODY.TAG_REUSE, CUSTODY.IMPOSSIBLE_TRAVEL and ORIGIN.CAHRA report on
  a **lot**: the untraced lot, the lot whose tag was used again, the export lot recorded too far
  too soon, and every lot extracted or processed in the listed area (each origin lot, and the
  blend the Kivu comptoir made of them);
* CUSTODY.MASS_BALANCE's per-transformation check reports on the transformation's **event**;
* CUSTODY.UNLICENSED_ORIGIN reports on each extraction **event** at the unlicensed site;
* CUSTODY.ORIGIN_OVERPRODUCTION and SITE.PROTECTED_AREA_ORIGIN report on the extraction
  **site**;
* ORIGIN.TRANSIT_COUNTRY reports on the declared origin **country**.

Related entries: material of unverified origin (an untraced lot, or the output of a transformation
that created element) fails the UNTP mass balance of the facilities that process it or what was
made from it, CUSTODY.MASS_BALANCE with the **facility** as subject; a correct rule raises those
too. The facility whose own transformation is flagged is left out of its UNTP balance ("one
excess is reported once"), but it is listed all the same: related entries are accepted, never
required.
"""

from __future__ import annotations

from collections.abc import Callable

from oresight.core.findings import FindingCode, SubjectType
from oresight.sim.epcis_builder import local_day
from oresight.sim.scenario_chains import INFLATION, ChainTrace
from oresight.sim.scenario_key import KeyEntry, ProblemKind
from oresight.sim.world import SITE_BY_KEY, site_id

Expected = list[tuple[SubjectType, str, str]]
"""(subject type, subject id, description) of each finding a problem should give."""


def expected_findings(trace: ChainTrace) -> tuple[list[KeyEntry], list[KeyEntry]]:
    """The planted and the related answer-key entries of a recorded chain (none if clean)."""
    problem = trace.plan.problem
    if problem is None:
        return [], []
    chain = trace.plan.id
    planted = [
        KeyEntry(problem.code.value, subject.value, subject_id, chain, problem.value, text)
        for subject, subject_id, text in _EXPECTED[problem](trace)
    ]
    return planted, _related(trace, problem)


def _related(trace: ChainTrace, problem: ProblemKind) -> list[KeyEntry]:
    if problem is ProblemKind.BROKEN_CHAIN and trace.untraced is not None:
        start, why = 0, f"lot {trace.untraced.epc_class}, which has no verified origin"
    elif problem is ProblemKind.MASS_BALANCE:
        start = 0 if trace.plan.variant == "first" else 1
        why = "material made with more element than its inputs held"
    else:
        return []
    return [
        KeyEntry(
            FindingCode.CUSTODY_MASS_BALANCE.value,
            SubjectType.FACILITY.value,
            site_id(facility),
            trace.plan.id,
            problem.value,
            f"{facility.name} processed {why}; its outputs exceed its inputs of verified origin "
            "(UNTP mass balance).",
        )
        for facility in trace.facilities[start:]
    ]


def _broken_chain(trace: ChainTrace) -> Expected:
    lot, negociant = trace.untraced, trace.sites.negociant
    if lot is None:
        return []
    how = (
        f"bought from {negociant.name if negociant else 'a négociant'} with no record of where "
        "it was dug"
        if trace.plan.variant == "laundered"
        else "commissioned only after it had reached the buyer (a backdated origin)"
    )
    return [(SubjectType.LOT, lot.epc_class, f"Lot {lot.epc_class} was {how}.")]


def _mass_balance(trace: ChainTrace) -> Expected:
    event = trace.inflated_event
    if event is None:
        return []
    facility = trace.facilities[0 if trace.plan.variant == "first" else 1]
    low, high = INFLATION
    return [
        (
            SubjectType.EVENT,
            event,
            f"Transformation {event} at {facility.name} put out {low:.2f}-{high:.2f} times the "
            "element its inputs allow at the maximum recovery.",
        )
    ]


def _tag_reuse(trace: ChainTrace) -> Expected:
    if trace.reused is None:
        return []
    lot = trace.reused.epc_class
    return [
        (
            SubjectType.LOT,
            lot,
            f"Lot {lot} was consumed by the chain's first transformation; days later its tag "
            "was commissioned again on other material.",
        )
    ]


def _impossible_travel(trace: ChainTrace) -> Expected:
    if trace.first is None:
        return []
    lot = trace.first.epc_class
    return [
        (
            SubjectType.LOT,
            lot,
            f"Export lot {lot} was recorded at the port of Dar es Salaam about an hour after it "
            "left a place over 1,000 km away.",
        )
    ]


def _overproduction(trace: ChainTrace) -> Expected:
    site = trace.sites.origins[0]
    capacity, basis = site.capacity or (0.0, "ore")
    return [
        (
            SubjectType.SITE,
            site_id(site),
            f"{site.name} declares {capacity:g} t of {basis} a year but shipped "
            f"{trace.plan.lots_per_site[0]} lots in one quarter, 2.5-4 times its quarterly "
            "capacity.",
        )
    ]


def _unlicensed(trace: ChainTrace) -> Expected:
    sites, expired = trace.sites, trace.plan.variant == "expired"
    keys = sorted(sites.expired) if expired else [sites.origins[0].key]
    found: Expected = []
    for key in keys:
        site = SITE_BY_KEY[key]
        why = (
            f"whose licence {site.licence[0] if site.licence else ''} had lapsed"
            if expired
            else f"outside every licensed area ({sites.concession.name} is the nearest)"
        )
        found += [
            (SubjectType.EVENT, event, f"Extraction event {event} at {site.name}, {why}.")
            for event in trace.commissioned[key]
        ]
    return found


def _protected_area(trace: ChainTrace) -> Expected:
    area = trace.sites.protected_area
    name = area.name if area else "a protected area"
    return [
        (SubjectType.SITE, site_id(site), f"{site.name} lies in {name}.")
        for site in trace.sites.origins
    ]


def _cahra(trace: ChainTrace) -> Expected:
    sites = trace.sites
    area = sites.region.subdivisions[0][2] if sites.region.subdivisions else sites.region.key
    since = local_day(sites.origins[0].key, trace.plan.start)
    lots = [*trace.origin_lots, *([trace.first] if trace.first else [])]
    return [
        (
            SubjectType.LOT,
            lot.epc_class,
            f"Lot {lot.epc_class} was extracted or processed in {area}, on the CAHRA list, "
            f"from {since}.",
        )
        for lot in lots
    ]


def _transit_country(trace: ChainTrace) -> Expected:
    country = trace.sites.region.country
    return [
        (
            SubjectType.COUNTRY,
            country,
            f"Chain {trace.plan.id} declares coltan mined in {country}, which USGS does not "
            "list as a tantalum producer.",
        )
    ]


_EXPECTED: dict[ProblemKind, Callable[[ChainTrace], Expected]] = {
    ProblemKind.BROKEN_CHAIN: _broken_chain,
    ProblemKind.MASS_BALANCE: _mass_balance,
    ProblemKind.TAG_REUSE: _tag_reuse,
    ProblemKind.IMPOSSIBLE_TRAVEL: _impossible_travel,
    ProblemKind.ORIGIN_OVERPRODUCTION: _overproduction,
    ProblemKind.UNLICENSED_ORIGIN: _unlicensed,
    ProblemKind.PROTECTED_AREA_ORIGIN: _protected_area,
    ProblemKind.CAHRA: _cahra,
    ProblemKind.TRANSIT_COUNTRY: _transit_country,
}

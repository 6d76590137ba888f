"""CUSTODY.MASS_BALANCE: outputs holding more of an element than their inputs could have given.

A smelter whose output exceeds its input is laundering material it never recorded. The rule
compares element content, the mass of a lot times its ``ore:gradePercent``, with units converted
to kilograms (KGM, TNE, ...), in three checks over the custody graph:

1. **Per transformation** (subject: the transformation's event). The element in its outputs must
   not exceed the element in its inputs of the same mineral, each times the maximum recovery of
   the process that turns the input's form into the output's form (``data/recovery.yaml``; an
   unlisted transition, such as blending, falls back to 1.0: conservation of mass).
2. **Per facility and period** (subject: the facility). The same balance summed over every
   transformation at a location within a calendar period (month, quarter, year, or fixed windows
   of N days), so that a plant that records consumption and production in separate events (EPCIS
   allows inputs and outputs in different events) is still checked. Consumption recorded without
   outputs carries forward to later periods as work in progress. Transformations already flagged
   on their own are left out, so one excess is reported once.
3. **UNTP mass-balance chain of custody** (subject: the facility; ISO 22095:2020 "mass balance"
   model, which UNTP traceability events adopt). Over an audit period, the element a facility
   sells as of verified origin must not exceed what its *qualifying* inputs allow. A lot is
   qualifying in proportion to its *verified share*: 1 when it was commissioned (ObjectEvent ADD)
   at a known extraction site (mine, artisanal site, concession) no later than its first movement
   or use; 0 when its origin is missing, recorded after it was already moving, at a site that is
   not an extraction site, or it came out of a transformation with no recorded inputs; and for a
   transformation output, the verified element of the inputs times their maximum recoveries,
   divided by the element of the outputs (at most 1). Licence validity is not part of it: that is
   CUSTODY.UNLICENSED_ORIGIN's check. The facility's claimed outputs are the lots it produced that
   leave it (not consumed by its own later transformations); all of them unless
   :attr:`MassBalanceParams.claimed_lots` names the ones the facility claims.

Element content needs a mass unit and a grade. Where a lot's grade is missing and the parameters
allow it, the typical grade of its mineral and form is assumed *in the lot's favour* (the high end
of the range for an input, the low end for an output), and the finding says so. A check that
cannot be made for lack of data is reported as a :class:`DataGap` naming the record and field,
never passed silently: an input with no mineral, grade or mass; an EPC listed with no quantity
(unless it is a container whose contents are recorded); a transformation with outputs but no
inputs (a gap for the per-transformation check; its outputs still count against its facility).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

from oresight.core.collector import paused_gc
from oresight.core.custody import CustodyEvent
from oresight.core.findings import (
    Evidence,
    EvidenceKind,
    Finding,
    FindingCode,
    Period,
    RuleOutcome,
    Subject,
    SubjectType,
)
from oresight.core.minerals import Mineral
from oresight.core.sites import Site
from oresight.custody.graph import build_custody_graph
from oresight.custody.mass_balance_content import (
    Balance,
    ContentReader,
    Places,
    element_name,
    excess_percent,
    group_by_facility,
    kg_text,
    percent_text,
)
from oresight.custody.mass_balance_params import (
    MAX_LISTED,
    RULE,
    RULE_VERSION,
    MassBalanceParams,
    Window,
    calendar_period,
    severity_for,
)
from oresight.custody.recovery_table import (
    RecoveryTable,
    default_recovery_table,
    load_recovery_table,
)
from oresight.custody.untp_mass_balance import VerifiedShares, check_untp

__all__ = [
    "RULE",
    "RULE_VERSION",
    "MassBalanceParams",
    "RecoveryTable",
    "calendar_period",
    "default_recovery_table",
    "find_mass_balance_violations",
    "load_recovery_table",
]


# -- the rule -------------------------------------------------------------------------------------


@paused_gc()  # builds and drops large structures: no collector passes meanwhile
def find_mass_balance_violations(
    events: Iterable[CustodyEvent],
    *,
    sites: Mapping[str, Site],
    params: MassBalanceParams | None = None,
) -> RuleOutcome:
    """Findings where outputs hold more element than inputs allow, and the checks it could not make.

    Runs the per-transformation, per-facility-period and UNTP mass-balance checks described in
    the module's docstring.
    """
    settings = params or MassBalanceParams()
    # Balances need no owners, and of a lot's sightings only its first use.
    graph = build_custody_graph(events, custody=False, sightings=False)
    places = Places(sites)
    reader = ContentReader(graph, settings, places)
    balances = [b for record in graph.transformations.values() for b in reader.balances(record)]
    findings: list[Finding] = []
    flagged: set[str] = set()
    for balance in balances:
        finding = _check_transformation(balance, settings, places, reader)
        if finding is not None:
            findings.append(finding)
            flagged.add(balance.transformation.key)
    kept = [b for b in balances if b.transformation.key not in flagged]
    for balance in kept:
        if balance.transformation.outputs and balance.transformation.location is None:
            event = balance.transformation.main_event
            reader.gap(
                "bizLocation",
                Subject(type=SubjectType.EVENT, id=event.event_id),
                f"Transformation {event.event_id} names no bizLocation or readPoint, so it "
                "cannot be counted in any facility's balance.",
            )
    findings += _check_facilities(kept, settings, places, reader)
    producing = any(b.transformation.outputs for b in balances)
    if not sites and producing:
        reader.gap(
            "sites",
            None,
            "The UNTP mass-balance check could not be made: no sites were given, so no input "
            "can be shown to come from an extraction site. Load the sites (GeoJSON) of the "
            "workspace.",
        )
    elif producing:
        shares = VerifiedShares(graph, sites, balances)
        findings += check_untp(kept, shares, graph, settings, places, reader)
    return RuleOutcome(findings=tuple(findings), gaps=tuple(reader.gaps.values()))


def _figures(allowed: float, output: float, params: MassBalanceParams) -> dict[str, object]:
    excess = output - allowed
    percent = excess_percent(excess, allowed)
    return {
        "allowed_element_kg": round(allowed, 3),
        "output_element_kg": round(output, 3),
        "excess_kg": round(excess, 3),
        "excess_percent": None if math.isinf(percent) else round(percent, 2),
        "relative_tolerance": params.relative_tolerance,
        "absolute_tolerance_kg": params.absolute_tolerance_kg,
    }


def _check_transformation(
    balance: Balance, params: MassBalanceParams, places: Places, reader: ContentReader
) -> Finding | None:
    record = balance.transformation
    if not record.outputs:
        return None  # consumption alone cannot create anything
    event = record.main_event
    if not record.inputs:
        reader.gap(
            "inputEPCList/inputQuantityList",
            Subject(type=SubjectType.EVENT, id=event.event_id),
            f"Transformation {event.event_id} at {places(record.location)} lists outputs but no "
            "inputs, and no other event shares its transformationID, so its outputs cannot be "
            "balanced against what went in. They are still counted in the facility's balance "
            "for the period.",
        )
        return None
    if balance.mineral is None or balance.unresolved_inputs:
        return None  # the reader has recorded what is missing
    allowed, output = balance.allowed_kg, balance.output_kg
    if output <= params.limit(allowed):
        return None
    excess = output - allowed
    percent = excess_percent(excess, allowed)
    processes = sorted({f"{r.process} at most {r.value:g}" for _, r in balance.inputs})
    explanation = (
        f"Transformation {event.event_id} at {places(record.location)} on "
        f"{record.time.date().isoformat()} produced {kg_text(output)} of "
        f"{element_name(balance.mineral)} in {len(balance.outputs)} output lot(s), but its "
        f"{len(balance.inputs)} input lot(s) held {kg_text(balance.input_kg)} of it. At the "
        f"maximum recoveries ({'; '.join(processes)}) they allow at most {kg_text(allowed)}. "
        f"The outputs exceed that by {kg_text(excess)} ({percent_text(percent)}), beyond the "
        f"measurement tolerance of {params.tolerance_text()}."
    )
    confidence = 0.9
    if balance.assumed:
        explanation += (
            f" The grade of {balance.assumed} lot(s) was assumed from typical grades, in the "
            "lots' favour (see evidence)."
        )
        confidence = 0.6
    if balance.ignored:
        explanation += (
            f" {len(balance.ignored)} input lot(s) labelled as another mineral were not counted; "
            "co-products (such as cobalt in copper ore) are not modelled."
        )
        confidence = min(confidence, 0.5)
    data = _figures(allowed, output, params) | {
        "mineral": balance.mineral.value,
        "input_element_kg": round(balance.input_kg, 3),
        "location": record.location,
    }
    evidence = [
        Evidence(kind=EvidenceKind.EVENT, id=event.event_id, note="the transformation", data=data)
    ]
    evidence += [
        Evidence(kind=EvidenceKind.EVENT, id=e.event_id, note="part of the same transformation")
        for e in record.events
        if e.event_id != event.event_id
    ]
    evidence += [
        Evidence(
            kind=EvidenceKind.LOT,
            id=c.identifier,
            note="input",
            data=c.data() | {"max_recovery": r.value, "process": r.process, "source": r.citation},
        )
        for c, r in balance.inputs[:MAX_LISTED]
    ]
    evidence += [
        Evidence(kind=EvidenceKind.LOT, id=c.identifier, note="output", data=c.data())
        for c in balance.outputs[:MAX_LISTED]
    ]
    label = f"transformation at {places(record.location)} on {record.time.date().isoformat()}"
    return Finding(
        code=FindingCode.CUSTODY_MASS_BALANCE,
        subject=Subject(type=SubjectType.EVENT, id=event.event_id, label=label),
        severity=severity_for(percent),
        confidence=confidence,
        title=f"Transformation output holds more {balance.mineral.value} than its inputs allow",
        explanation=explanation,
        evidence=tuple(evidence),
        rule=RULE,
        rule_version=RULE_VERSION,
        period=Period(start=record.started_at, end=record.time),
    )


# -- per facility and period ----------------------------------------------------------------------


def _check_facilities(
    balances: list[Balance], params: MassBalanceParams, places: Places, reader: ContentReader
) -> list[Finding]:
    findings: list[Finding] = []
    for (location, mineral), windows in sorted(group_by_facility(balances, params.period).items()):
        carry = 0.0
        for window in sorted(windows):
            group = windows[window]
            unread = [b for b in group if b.unresolved_inputs]
            if unread:
                reader.gap(
                    f"element content of inputs ({window.label}, {mineral.value})",
                    Subject(type=SubjectType.FACILITY, id=location),
                    f"The {window.label} balance of {mineral.value} at {places(location)} could "
                    f"not be drawn: {len(unread)} transformation(s) there consumed lots whose "
                    "element content is unknown (see the data gaps of those lots).",
                )
                continue
            allowed = sum(b.allowed_kg for b in group)
            output = sum(b.output_kg for b in group)
            carried_in = carry
            consumed_only = sum(b.allowed_kg for b in group if not b.transformation.outputs)
            produced_only = sum(b.output_kg for b in group if not b.transformation.inputs)
            carry = max(0.0, carry + consumed_only - produced_only)
            if output > params.limit(allowed + carried_in, len(group)):
                findings.append(
                    _facility_finding(location, mineral, window, group, carried_in, params, places)
                )
    return findings


def _facility_finding(
    location: str,
    mineral: Mineral,
    window: Window,
    group: list[Balance],
    carried_in: float,
    params: MassBalanceParams,
    places: Places,
) -> Finding:
    allowed = sum(b.allowed_kg for b in group) + carried_in
    output = sum(b.output_kg for b in group)
    excess = output - allowed
    percent = excess_percent(excess, allowed)
    place = places(location)
    no_inputs = sum(1 for b in group if not b.transformation.inputs)
    explanation = (
        f"In {window.label}, {place} produced {kg_text(output)} of {element_name(mineral)} in "
        f"{len(group)} transformation record(s), but the inputs it consumed held "
        f"{kg_text(sum(b.input_kg for b in group))} of it, allowing at most "
        f"{kg_text(allowed - carried_in)} at the maximum recoveries"
    )
    if carried_in > 0:
        explanation += (
            f", plus {kg_text(carried_in)} carried in from consumption recorded without outputs in "
            "earlier periods"
        )
    explanation += (
        f". The output exceeds that by {kg_text(excess)} ({percent_text(percent)}), beyond the "
        f"measurement tolerance of {params.tolerance_text()}."
    )
    if no_inputs:
        explanation += f" {no_inputs} of the records list outputs with no inputs at all."
    data = _figures(allowed, output, params) | {
        "mineral": mineral.value,
        "period": window.label,
        "carried_in_kg": round(carried_in, 3),
    }
    evidence = [Evidence(kind=EvidenceKind.SITE, id=location, note="the facility", data=data)]
    evidence += [
        Evidence(
            kind=EvidenceKind.EVENT,
            id=b.transformation.main_event.event_id,
            note="transformation at the facility in the period",
            data={
                "allowed_element_kg": round(b.allowed_kg, 3),
                "output_element_kg": round(b.output_kg, 3),
                "inputs": len(b.transformation.inputs),
                "outputs": len(b.transformation.outputs),
            },
        )
        for b in group[:MAX_LISTED]
    ]
    assumed = sum(b.assumed for b in group)
    return Finding(
        code=FindingCode.CUSTODY_MASS_BALANCE,
        subject=Subject(type=SubjectType.FACILITY, id=location, label=f"{place}, {window.label}"),
        severity=severity_for(percent),
        confidence=0.6 if assumed else 0.8,
        title=f"Facility output of {mineral.value} exceeds what its inputs allow",
        explanation=explanation,
        evidence=tuple(evidence),
        rule=RULE,
        rule_version=RULE_VERSION,
        period=Period(start=window.start, end=window.end),
    )

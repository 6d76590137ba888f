"""The UNTP mass-balance check of CUSTODY.MASS_BALANCE: claims of verified origin per facility.

Under the mass-balance chain-of-custody model (ISO 22095:2020, adopted by UNTP traceability
events), a facility may pass on as of verified origin no more element than its inputs of verified
origin allow over an audit period. :class:`VerifiedShares` works out which share of each lot's
element is of verified origin, and :func:`check_untp` compares each facility's claimed outputs with
it. The rules for a verified share are set out in :mod:`oresight.custody.mass_balance`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from oresight.core.custody import Action, EventType
from oresight.core.findings import (
    Evidence,
    EvidenceKind,
    Finding,
    FindingCode,
    Period,
    Subject,
    SubjectType,
)
from oresight.core.minerals import Mineral
from oresight.core.sites import Site
from oresight.custody.graph import CustodyGraph
from oresight.custody.mass_balance_content import (
    Balance,
    Content,
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
    severity_for,
)


class VerifiedShares:
    """The share of each lot's element that is of verified origin, as the rule defines it."""

    def __init__(
        self, graph: CustodyGraph, sites: Mapping[str, Site], balances: list[Balance]
    ) -> None:
        self.graph = graph
        self.sites = sites
        self.produced: dict[str, float | None] = {}
        # Balances come in time order, so an input made earlier already has its share.
        for balance in balances:
            if not balance.transformation.outputs:
                continue
            share = self._output_share(balance)
            for identifier in [f.identifier for f in balance.transformation.outputs] + [
                c.identifier for c in balance.outputs
            ]:
                self.produced.setdefault(identifier, share)

    def _output_share(self, balance: Balance) -> float | None:
        if not balance.transformation.inputs:
            return 0.0
        if balance.mineral is None or balance.unresolved_outputs:
            return None
        credit = 0.0
        for content, recovery in balance.inputs:
            share = self.share(content.identifier)
            if share is None:
                return None
            credit += share * content.element_kg * recovery.value
        if any(self.share(i) != 0.0 for i in balance.unresolved_inputs):
            return None  # a verified input of unknown content: its credit is unknown
        output = balance.output_kg
        return 1.0 if output <= 0 else min(1.0, credit / output)

    def share(self, identifier: str) -> float | None:
        """The verified share of a lot's element, ``None`` where it cannot be told."""
        if identifier in self.produced:
            return self.produced[identifier]
        return 1.0 if self.reason(identifier) is None else 0.0

    def reason(self, identifier: str) -> str | None:
        """Why a lot is not (wholly) of verified origin; ``None`` when it is."""
        if identifier in self.produced:
            share = self.produced[identifier]
            if share is None:
                return "made from inputs whose verified share cannot be told"
            if share >= 1.0:
                return None
            return f"made from material only {share * 100:.0f} % of verified origin"
        node = self.graph.lot(identifier)
        origin = node.origin if node else None
        if node is None or origin is None:
            return "no event records its origin"
        if origin.type is not EventType.OBJECT or origin.action is not Action.ADD:
            return f"its origin, event {origin.event_id}, was recorded only after it was used"
        location = origin.location()
        site = self.sites.get(location) if location else None
        if site is None:
            return f"commissioned at {location or 'no location'}, which is not a known site"
        if not site.is_extraction_site:
            return f"commissioned at {site.label()}, a {site.kind.value}, not an extraction site"
        first_use = node.first_use()
        if first_use is not None and origin.event_time > first_use.time:
            return (
                f"its commissioning on {origin.event_time.date().isoformat()} was recorded after "
                f"it was already moving on {first_use.time.date().isoformat()}"
            )
        return None


def _used_at(graph: CustodyGraph, identifier: str, location: str) -> bool:
    node = graph.lot(identifier)
    return node is not None and any(
        graph.transformations[key].location == location for key in node.consumed_by
    )


def check_untp(
    balances: list[Balance],
    shares: VerifiedShares,
    graph: CustodyGraph,
    params: MassBalanceParams,
    places: Places,
    reader: ContentReader,
) -> list[Finding]:
    """One finding per facility, mineral and audit period whose claims exceed verified inputs.

    ``balances`` are those not already flagged per transformation; where the verified share of
    the outputs cannot be told, a data gap is recorded in ``reader`` instead.
    """
    findings: list[Finding] = []
    producing = [b for b in balances if b.transformation.outputs]
    groups = group_by_facility(producing, params.audit_period)
    for (location, mineral), windows in sorted(groups.items()):
        for window in sorted(windows):
            group = windows[window]
            finals = [
                (c, shares.produced.get(c.identifier))
                for b in group
                for c in b.outputs
                if not _used_at(graph, c.identifier, location)
            ]
            if any(share is None for _, share in finals) or any(
                b.unresolved_outputs for b in group
            ):
                reader.gap(
                    f"verified share of outputs ({window.label}, {mineral.value})",
                    Subject(type=SubjectType.FACILITY, id=location),
                    f"The UNTP mass balance of {mineral.value} at {places(location)} for "
                    f"{window.label} could not be drawn: the element content of some of its "
                    "inputs or outputs is unknown (see the data gaps of those lots).",
                )
                continue
            claimed = [
                (c, share)
                for c, share in finals
                if params.claimed_lots is None or c.identifier in params.claimed_lots
            ]
            claimed_kg = sum(c.element_kg for c, _ in claimed)
            qualifying_kg = sum(c.element_kg * (share or 0.0) for c, share in finals)
            if claimed and claimed_kg > params.limit(qualifying_kg, len(finals)):
                findings.append(
                    _untp_finding(
                        location, mineral, window, group, claimed, finals, shares, params, places
                    )
                )
    return findings


def _untp_finding(
    location: str,
    mineral: Mineral,
    window: Window,
    group: list[Balance],
    claimed: list[tuple[Content, float | None]],
    finals: list[tuple[Content, float | None]],
    shares: VerifiedShares,
    params: MassBalanceParams,
    places: Places,
) -> Finding:
    claimed_kg = sum(c.element_kg for c, _ in claimed)
    qualifying_kg = sum(c.element_kg * (share or 0.0) for c, share in finals)
    excess = claimed_kg - qualifying_kg
    percent = excess_percent(excess, qualifying_kg)
    place = places(location)
    unverified: dict[str, str] = {}
    for balance in group:
        inputs = [c.identifier for c, _ in balance.inputs] + balance.unresolved_inputs
        for identifier in inputs:
            reason = shares.reason(identifier)
            if reason is not None:
                unverified.setdefault(identifier, reason)
    whose = (
        "that left it" if params.claimed_lots is None else "that it claims as of verified origin"
    )
    listed = "; ".join(f"{lot} ({why})" for lot, why in list(unverified.items())[:5])
    more = f" and {len(unverified) - 5} more" if len(unverified) > 5 else ""
    explanation = (
        f"Under the UNTP mass-balance model, a facility may pass on as of verified origin no "
        f"more {mineral.value} than its inputs of verified origin allow over the audit period. "
        f"In {window.label}, {place} produced {kg_text(claimed_kg)} of {element_name(mineral)} in "
        f"{len(claimed)} lot(s) {whose}, but its inputs of verified origin allow only "
        f"{kg_text(qualifying_kg)} at the maximum recoveries. {kg_text(excess)} "
        f"({percent_text(percent)}) has no verified origin."
    )
    if unverified:
        explanation += f" Inputs not of verified origin: {listed}{more}."
    data = {
        "mineral": mineral.value,
        "audit_period": window.label,
        "claimed_element_kg": round(claimed_kg, 3),
        "qualifying_element_kg": round(qualifying_kg, 3),
        "excess_kg": round(excess, 3),
        "excess_percent": None if math.isinf(percent) else round(percent, 2),
        "relative_tolerance": params.relative_tolerance,
        "absolute_tolerance_kg": params.absolute_tolerance_kg,
    }
    evidence: dict[tuple[EvidenceKind, str], Evidence] = {}

    def add(item: Evidence) -> None:
        evidence.setdefault((item.kind, item.id), item)

    add(Evidence(kind=EvidenceKind.SITE, id=location, note="the facility", data=data))
    for lot, why in list(unverified.items())[:MAX_LISTED]:
        share = shares.share(lot)
        add(
            Evidence(
                kind=EvidenceKind.LOT,
                id=lot,
                note=f"input not of verified origin: {why}",
                data={"verified_share": share},
            )
        )
    for content, share in finals[:MAX_LISTED]:
        if share is not None and share < 1.0:
            add(
                Evidence(
                    kind=EvidenceKind.LOT,
                    id=content.identifier,
                    note=f"output only {share * 100:.0f} % of verified origin",
                    data=content.data() | {"verified_share": round(share, 4)},
                )
            )
    for balance in group[:MAX_LISTED]:
        event = balance.transformation.main_event
        add(Evidence(kind=EvidenceKind.EVENT, id=event.event_id, note="transformation"))
    assumed = sum(b.assumed for b in group)
    return Finding(
        code=FindingCode.CUSTODY_MASS_BALANCE,
        subject=Subject(
            type=SubjectType.FACILITY,
            id=location,
            label=f"{place}, audit period {window.label} (UNTP mass balance)",
        ),
        severity=severity_for(percent),
        confidence=0.6 if assumed else 0.8,
        title=f"Outputs presented as traced exceed inputs of verified origin ({mineral.value})",
        explanation=explanation,
        evidence=tuple(evidence.values()),
        rule=RULE,
        rule_version=RULE_VERSION,
        period=Period(start=window.start, end=window.end),
    )

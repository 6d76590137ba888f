"""The analyses an assessment runs: each pillar rule, with the data and parameters it needs.

:func:`run_analyses` is pure: it takes events, sites, parties and reference data already loaded
(from a workspace by :mod:`oresight.workflows.assess`, or straight from generated files by the
detection benchmark) and returns every rule's findings and the checks it could not make. A risk
profile tailors the rules' parameters (``rule_params`` in the profile file).
"""

from __future__ import annotations

import dataclasses
import enum
import typing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cached_property
from pathlib import Path

from oresight.core.custody import CustodyEvent
from oresight.core.errors import InvalidInput
from oresight.core.findings import DataGap, Finding, RuleOutcome
from oresight.core.parties import Party
from oresight.core.sites import Site
from oresight.custody import (
    broken_chain,
    cahra,
    mass_balance,
    overproduction,
    protected_area,
    tag_reuse,
    transit_country,
    travel,
    unlicensed_origin,
)
from oresight.custody.cahra import CahraList, load_cahra_list
from oresight.custody.lineage import forget_reading
from oresight.custody.production import ProductionTable, read_usgs_production_folder
from oresight.earth import activity as earth_activity
from oresight.earth import concessions as earth_concessions
from oresight.earth import protected as earth_protected
from oresight.earth.detections import DetectionLayer
from oresight.risk.profiles import Profile
from oresight.screening import findings as screening
from oresight.screening.findings import Dismissed, PartyMatch
from oresight.trade import findings as trade_findings
from oresight.trade.analysis import TradeOutcome, analyse
from oresight.trade.engine import TradeTables
from oresight.workflows.progress import Progress, no_progress
from oresight.workflows.screening import ScreeningLists
from oresight.workflows.trade import workspace_scope


@dataclass(frozen=True)
class ReferenceData:
    """Data an assessment checks claims against that is not part of the supply chain itself."""

    cahra: CahraList = field(default_factory=load_cahra_list)
    """The conflict-affected and high-risk areas list (default: the bundled illustrative one)."""
    production: ProductionTable | None = None
    """National production tables (USGS Mineral Commodity Summaries), if the user supplied them."""
    as_of: date = field(default_factory=lambda: datetime.now(UTC).date())
    """The day of the assessment: what the CAHRA list's age is measured against."""

    @classmethod
    def load(
        cls, *, cahra_list: Path | None = None, production: Path | None = None
    ) -> ReferenceData:
        """Reference data from the user's files (each optional)."""
        table = None
        if production is not None:
            if not production.is_dir():
                raise InvalidInput(
                    "must be a folder of USGS Mineral Commodity Summaries CSV files",
                    file=str(production),
                )
            table = read_usgs_production_folder(production)
        listing = load_cahra_list(cahra_list) if cahra_list is not None else load_cahra_list()
        return cls(cahra=listing, production=table)


@dataclass(frozen=True)
class AnalysisInputs:
    """Everything the analyses read, loaded once."""

    events: Sequence[CustodyEvent]
    sites: Mapping[str, Site]
    parties: Mapping[str, Party]
    reference: ReferenceData = field(default_factory=ReferenceData)
    profile: Profile | None = None
    lists: ScreeningLists | None = None
    """The sanctions lists in force (``None``: none loaded, which the screening rules report)."""
    dismissed: Dismissed | None = None
    """Whether an analyst dismissed a party's match with a list entry (as both are now)."""
    trade: TradeTables | None = None
    """The workspace's trade statistics (``None``: none loaded, which the trade rules report)."""
    earth: Sequence[DetectionLayer] = ()
    """The workspace's mining detections, a source's files merged (none: the rules say so)."""

    @cached_property
    def screened(self) -> tuple[RuleOutcome, list[PartyMatch]]:
        """The parties screened against the lists in force (the sanctions rule's outcome and
        every match), once for the rules that read them: sanctions and ownership."""
        lists = self.lists
        return screening.find_sanctioned_parties(
            self.parties.values(),
            lists.entries if lists else (),
            titles={v.list_id: v.title for v in lists.versions} if lists else None,
            dismissed=self.dismissed,
        )

    @cached_property
    def traded(self) -> TradeOutcome | None:
        """The trade analyses over the countries and minerals of the supply chains, once for
        the four trade rules."""
        if self.trade is None:
            return None
        return analyse(self.trade, workspace_scope(self.sites, self.events))


@dataclass(frozen=True)
class Analysis:
    """One analysis: the rule it applies and how to run it over the inputs."""

    rule: str
    rule_version: str
    description: str
    run: Callable[[AnalysisInputs], RuleOutcome]


@dataclass(frozen=True)
class AnalysisRun:
    """What the analyses produced together."""

    findings: list[Finding]
    gaps: list[DataGap]


def run_analyses(
    inputs: AnalysisInputs,
    analyses: Sequence[Analysis] | None = None,
    *,
    progress: Progress = no_progress,
) -> AnalysisRun:
    """Run each analysis over ``inputs``; findings most severe first, then by code and subject."""
    chosen = ANALYSES if analyses is None else analyses
    findings: list[Finding] = []
    gaps: list[DataGap] = []
    try:
        for index, analysis in enumerate(chosen):
            progress(analysis.rule, index, len(chosen))
            outcome = analysis.run(inputs)
            findings.extend(outcome.findings)
            gaps.extend(outcome.gaps)
    finally:
        forget_reading()  # the rules shared one reading of the events; let it go with them
    progress("analyses", len(chosen), len(chosen))
    findings.sort(key=lambda f: (-f.severity.rank, f.code.value, f.subject.id, f.id))
    return AnalysisRun(findings=findings, gaps=gaps)


_P = typing.TypeVar("_P")


def rule_params(inputs: AnalysisInputs, rule: str, kind: type[_P]) -> _P | None:
    """The parameters the profile sets for ``rule``, as the rule's ``*Params`` class (``None``
    when the profile sets none). Enum-valued parameters may be written as their values."""
    if inputs.profile is None:
        return None
    given: dict[str, object] = dict(inputs.profile.params_for(rule))
    if not given:
        return None
    assert dataclasses.is_dataclass(kind)
    hints = typing.get_type_hints(kind)
    names = {f.name for f in dataclasses.fields(kind)}
    where = inputs.profile.source
    for name, value in given.items():
        if name not in names:
            raise InvalidInput(
                f"{rule} has no parameter {name!r} (it has {', '.join(sorted(names))})",
                file=where,
                record=f"rule_params.{rule}",
                field=name,
            )
        hint = hints[name]
        if isinstance(hint, type) and issubclass(hint, enum.Enum) and not isinstance(value, hint):
            try:
                given[name] = hint(value)
            except ValueError:
                allowed = ", ".join(str(member.value) for member in hint)
                raise InvalidInput(
                    f"must be one of {allowed}, not {value!r}",
                    file=where,
                    record=f"rule_params.{rule}",
                    field=name,
                ) from None
    try:
        return kind(**given)
    except InvalidInput as exc:
        raise InvalidInput(
            exc.message, file=where, record=f"rule_params.{rule}", field=exc.field
        ) from exc
    except (TypeError, ValueError) as exc:
        raise InvalidInput(str(exc), file=where, record=f"rule_params.{rule}") from exc


def _outcome(findings: list[Finding]) -> RuleOutcome:
    return RuleOutcome(findings=tuple(findings))


def _cahra(inputs: AnalysisInputs) -> RuleOutcome:
    params = rule_params(inputs, cahra.RULE, cahra.CahraParams) or cahra.CahraParams()
    if params.as_of is None:
        params = dataclasses.replace(params, as_of=inputs.reference.as_of)
    return cahra.find_cahra_exposure(
        inputs.events, sites=inputs.sites, cahra=inputs.reference.cahra, params=params
    )


def _transit_country(inputs: AnalysisInputs) -> RuleOutcome:
    production = inputs.reference.production
    if production is None:
        gap = DataGap(
            rule=transit_country.RULE,
            missing="national production tables (USGS Mineral Commodity Summaries)",
            explanation=(
                "Declared origin volumes were not compared with what each country produces: "
                "no production tables were given. Pass a folder of USGS MCS world-production "
                "CSV files with `oresight assess --production DIR`."
            ),
        )
        return RuleOutcome(gaps=(gap,))
    return transit_country.find_transit_country_origins(
        inputs.events,
        sites=inputs.sites,
        production=production,
        params=rule_params(inputs, transit_country.RULE, transit_country.TransitCountryParams),
    )


def _sanctions(inputs: AnalysisInputs) -> RuleOutcome:
    return inputs.screened[0]


def _ownership(inputs: AnalysisInputs) -> RuleOutcome:
    lists = inputs.lists
    listed = {
        entry.entity_id: f"listed on {entry.list_id} ({', '.join(entry.programmes) or '-'})"
        for entry in (lists.entries if lists else ())
    }
    return screening.find_sanctioned_owners(
        list(inputs.parties.values()),
        inputs.screened[1],
        related=lists.related if lists else (),
        listed=listed,
        as_of=inputs.reference.as_of,
    )


def _red_flag_interests(inputs: AnalysisInputs) -> RuleOutcome:
    flagged = cahra.sites_in_listed_areas(inputs.sites.values(), inputs.reference.cahra)
    operated: dict[str, list[tuple[str, str]]] = {}
    for site_id, why in flagged.items():
        site = inputs.sites[site_id]
        if site.operator:
            operated.setdefault(site.operator, []).append((site.label(), why))
    return screening.find_red_flag_interests(
        list(inputs.parties.values()), operated, as_of=inputs.reference.as_of
    )


def _trade_rule(rule: str) -> Callable[[AnalysisInputs], RuleOutcome]:
    def run(inputs: AnalysisInputs) -> RuleOutcome:
        outcome = inputs.traded
        if outcome is None:
            gap = DataGap(
                rule=rule,
                missing="trade statistics (UN Comtrade or CEPII BACI)",
                explanation=(
                    "The supply chains' countries and minerals were not checked against trade "
                    "statistics: none are loaded. Load Comtrade or BACI files (and production "
                    "tables) with `oresight trade load FILE...`."
                ),
            )
            return RuleOutcome(gaps=(gap,))
        return RuleOutcome(
            findings=tuple(f for f in outcome.findings if f.rule == rule),
            gaps=tuple(g for g in outcome.gaps if g.rule == rule),
        )

    return run


def _earth_params(inputs: AnalysisInputs, rule: str, kind: type[_P]) -> _P:
    return rule_params(inputs, rule, kind) or kind()


ANALYSES: tuple[Analysis, ...] = (
    Analysis(
        rule=broken_chain.RULE,
        rule_version=broken_chain.RULE_VERSION,
        description="lots that move with no upstream record of their origin",
        run=lambda i: _outcome(broken_chain.find_broken_chains(i.events, sites=i.sites)),
    ),
    Analysis(
        rule=unlicensed_origin.RULE,
        rule_version=unlicensed_origin.RULE_VERSION,
        description="extraction without a valid licence or outside every licensed area",
        run=lambda i: _outcome(unlicensed_origin.find_unlicensed_origins(i.events, sites=i.sites)),
    ),
    Analysis(
        rule=mass_balance.RULE,
        rule_version=mass_balance.RULE_VERSION,
        description="outputs with more metal than their inputs allow",
        run=lambda i: mass_balance.find_mass_balance_violations(
            i.events,
            sites=i.sites,
            params=rule_params(i, mass_balance.RULE, mass_balance.MassBalanceParams),
        ),
    ),
    Analysis(
        rule=tag_reuse.RULE,
        rule_version=tag_reuse.RULE_VERSION,
        description="lot or tag ids created twice or used after they were consumed",
        run=lambda i: tag_reuse.find_tag_reuse(
            i.events,
            sites=i.sites,
            params=rule_params(i, tag_reuse.RULE, tag_reuse.TagReuseParams),
        ),
    ),
    Analysis(
        rule=travel.RULE,
        rule_version=travel.RULE_VERSION,
        description="lots seen at two places farther apart than the time between allows",
        run=lambda i: travel.find_impossible_travel(
            i.events, sites=i.sites, params=rule_params(i, travel.RULE, travel.TravelParams)
        ),
    ),
    Analysis(
        rule=overproduction.RULE,
        rule_version=overproduction.RULE_VERSION,
        description="sites shipping more than their capacity or plausible output",
        run=lambda i: overproduction.find_origin_overproduction(
            i.events,
            sites=i.sites,
            params=rule_params(i, overproduction.RULE, overproduction.OverproductionParams),
        ),
    ),
    Analysis(
        rule=protected_area.RULE,
        rule_version=protected_area.RULE_VERSION,
        description="origins inside protected or indigenous areas",
        run=lambda i: protected_area.find_protected_area_origins(i.events, sites=i.sites),
    ),
    Analysis(
        rule=cahra.RULE,
        rule_version=cahra.RULE_VERSION,
        description="origin or transit in a conflict-affected or high-risk area",
        run=_cahra,
    ),
    Analysis(
        rule=transit_country.RULE,
        rule_version=transit_country.RULE_VERSION,
        description="declared origins that the country's production cannot explain",
        run=_transit_country,
    ),
    Analysis(
        rule=screening.SANCTIONS_RULE,
        rule_version=screening.RULE_VERSION,
        description="parties that match an entry of a sanctions list in force",
        run=_sanctions,
    ),
    Analysis(
        rule=screening.OWNERSHIP_RULE,
        rule_version=screening.RULE_VERSION,
        description="parties owned 50 % or more, or controlled, by sanctioned parties",
        run=_ownership,
    ),
    Analysis(
        rule=screening.INTEREST_RULE,
        rule_version=screening.RULE_VERSION,
        description="parties holding stakes in operators of sites in red-flag locations",
        run=_red_flag_interests,
    ),
    Analysis(
        rule=trade_findings.MIRROR_RULE,
        rule_version=trade_findings.RULE_VERSION,
        description="exporter- and importer-declared flows that disagree beyond CIF/FOB",
        run=_trade_rule(trade_findings.MIRROR_RULE),
    ),
    Analysis(
        rule=trade_findings.PRICE_RULE,
        rule_version=trade_findings.RULE_VERSION,
        description="flows whose unit value is outside the plausible range of their product",
        run=_trade_rule(trade_findings.PRICE_RULE),
    ),
    Analysis(
        rule=trade_findings.PRODUCTION_RULE,
        rule_version=trade_findings.RULE_VERSION,
        description="countries exporting more of a mineral than they produce and import",
        run=_trade_rule(trade_findings.PRODUCTION_RULE),
    ),
    Analysis(
        rule=trade_findings.ROUTE_RULE,
        rule_version=trade_findings.RULE_VERSION,
        description="flows moving abruptly to a new partner or transit hub",
        run=_trade_rule(trade_findings.ROUTE_RULE),
    ),
    Analysis(
        rule=earth_protected.RULE,
        rule_version=earth_protected.RULE_VERSION,
        description="mining disturbance inside protected or indigenous areas",
        run=lambda i: earth_protected.find_mining_in_protected_areas(
            i.earth,
            i.sites,
            _earth_params(i, earth_protected.RULE, earth_protected.ProtectedAreaParams),
        ),
    ),
    Analysis(
        rule=earth_concessions.RULE,
        rule_version=earth_concessions.RULE_VERSION,
        description="mining disturbance outside every licensed concession",
        run=lambda i: earth_concessions.find_mining_outside_concessions(
            i.earth,
            i.sites,
            _earth_params(i, earth_concessions.RULE, earth_concessions.ConcessionParams),
        ),
    ),
    Analysis(
        rule=earth_activity.NEW_RULE,
        rule_version=earth_activity.RULE_VERSION,
        description="new mining disturbance at extraction sites between two periods",
        run=lambda i: earth_activity.find_new_disturbance(
            i.earth,
            i.sites,
            _earth_params(i, earth_activity.NEW_RULE, earth_activity.ActivityParams),
        ),
    ),
    Analysis(
        rule=earth_activity.NO_ACTIVITY_RULE,
        rule_version=earth_activity.RULE_VERSION,
        description="declared mines of origin that show no mining in the imagery of the period",
        run=lambda i: earth_activity.find_no_activity(
            i.earth,
            i.sites,
            i.events,
            _earth_params(i, earth_activity.NO_ACTIVITY_RULE, earth_activity.ActivityParams),
        ),
    ),
)

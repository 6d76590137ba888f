"""All trade analyses over one set of tables, as findings: what ``oresight trade analyze`` and
an assessment run.

Every analysis reads the whole history it needs (a mirror gap is judged against the pair's past
years, a route shift against the years before): the scope (years, HS codes, countries, minerals)
narrows what is *reported*, and the HS codes and minerals what is read. The unit-value bounds of
the price filter are computed over every reporter of a code, so that a country is compared with
the world, not with itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import ibis
import ibis.expr.types as ir

from oresight.core.findings import DataGap, Finding
from oresight.trade import findings as make
from oresight.trade.engine import TradeTables
from oresight.trade.hs import hs_codes_of
from oresight.trade.mirror import MirrorSettings, flagged_pairs, judge, mirror_pairs
from oresight.trade.prices import PriceSettings, price_anomalies, price_bounds, unit_values
from oresight.trade.production import ProductionSettings, exports_beyond_production
from oresight.trade.routes import RouteSettings, entrepots, route_shifts

Step = Callable[[str, int, int], None]


@dataclass(frozen=True, slots=True)
class TradeScope:
    """What to report on: empty means everything."""

    years: tuple[int, ...] = ()
    hs: tuple[str, ...] = ()
    """HS code prefixes (``7108`` takes in ``710812``)."""
    countries: tuple[str, ...] = ()
    """ISO alpha-3 codes: flows with one of them as reporter or partner."""
    minerals: tuple[str, ...] = ()
    """oresight mineral names: their HS codes (``trade/data/critical_minerals_hs.yaml``)."""

    def prefixes(self) -> tuple[str, ...]:
        codes = list(self.hs)
        for mineral in self.minerals:
            codes += [code.hs for code in hs_codes_of(mineral)]
        return tuple(dict.fromkeys(codes))


@dataclass(frozen=True, slots=True)
class TradeSettings:
    mirror: MirrorSettings = field(default_factory=MirrorSettings)
    prices: PriceSettings = field(default_factory=PriceSettings)
    production: ProductionSettings = field(default_factory=ProductionSettings)
    routes: RouteSettings = field(default_factory=RouteSettings)


@dataclass(frozen=True)
class TradeOutcome:
    """The findings of every trade analysis, the checks that lacked data, and counts of what
    each analysis flagged (by rule)."""

    findings: list[Finding]
    gaps: list[DataGap]
    flagged: dict[str, int]


def scoped_flows(flows: ir.Table, scope: TradeScope) -> ir.Table:
    """The flows of the scope's HS codes (all years and countries: see the module docstring)."""
    prefixes = scope.prefixes()
    if not prefixes:
        return flows
    return flows.filter(ibis.or_(*[flows.hs.startswith(prefix) for prefix in prefixes]))


def _in_years(table: ir.Table, scope: TradeScope) -> ir.Table:
    return table.filter(table.year.isin(list(scope.years))) if scope.years else table


def _involving(table: ir.Table, scope: TradeScope, *columns: str) -> ir.Table:
    if not scope.countries:
        return table
    wanted = list(scope.countries)
    return table.filter(ibis.or_(*[table[column].isin(wanted) for column in columns]))


def analyse(
    tables: TradeTables,
    scope: TradeScope = TradeScope(),
    settings: TradeSettings = TradeSettings(),
    *,
    progress: Step | None = None,
) -> TradeOutcome:
    """Run the mirror, price, production and route analyses over ``tables`` for ``scope``."""
    report = progress or (lambda _step, _done, _total: None)
    flows = scoped_flows(tables.flows, scope)
    findings: list[Finding] = []
    gaps: list[DataGap] = []
    flagged: dict[str, int] = {}
    total = 4

    report("mirror gaps", 0, total)
    judged = judge(mirror_pairs(flows, settings.mirror), settings.mirror)
    if scope.years:
        # Only verdicts of the scope's years become findings; the pair's other years stay in
        # the finding's chart.
        judged = judged.mutate(
            verdict=ibis.ifelse(
                judged.year.isin(list(scope.years)), judged.verdict, ibis.null("string")
            )
        )
    pairs = _involving(flagged_pairs(judged), scope, "exporter", "importer")
    records = tables.execute(pairs.order_by(["exporter", "importer", "hs", "year"])).to_dict(
        "records"
    )
    found = make.mirror_findings(records, settings.mirror)
    flagged[make.MIRROR_RULE] = len(found)
    findings += found

    report("price anomalies", 1, total)
    bounds = tables.computed(price_bounds(unit_values(flows), settings.prices))
    anomalies = _involving(
        _in_years(price_anomalies(flows, settings.prices, bounds=bounds), scope),
        scope,
        "reporter",
        "partner",
    )
    found = make.price_findings(
        tables.execute(anomalies.order_by(["reporter", "partner", "hs", "flow", "year"])).to_dict(
            "records"
        ),
        settings.prices,
    )
    flagged[make.PRICE_RULE] = len(found)
    findings += found

    report("exports beyond production", 2, total)
    beyond = exports_beyond_production(
        flows,
        tables.production,
        settings.production,
        years=scope.years,
        countries=scope.countries,
        minerals=scope.minerals,
    )
    # Every year of a flagged country and mineral, for the finding's chart.
    series = ibis.window(group_by=[beyond.country, beyond.mineral])
    beyond = beyond.mutate(
        flagged=beyond.verdict.isin(["exceeds", "exceeds_other_countries"]).any().over(series)
    )
    beyond = beyond.filter(beyond.verdict.notnull() | beyond.flagged).drop("flagged")
    found, missing = make.production_findings(
        tables.execute(beyond.order_by(["country", "mineral", "year"])).to_dict("records"),
        settings.production,
    )
    flagged[make.PRODUCTION_RULE] = len(found)
    findings += found
    gaps += missing
    report("route shifts", 3, total)
    shifts = _involving(
        _in_years(route_shifts(flows, settings.routes), scope), scope, "reporter", "gainer"
    )
    hubs = {code: hub.note for code, hub in entrepots().items()}
    found = make.route_findings(
        tables.execute(shifts.order_by(["reporter", "hs", "flow", "year"])).to_dict("records"),
        hubs,
    )
    flagged[make.ROUTE_RULE] = len(found)
    findings += found
    report("trade analyses", total, total)
    return TradeOutcome(findings=findings, gaps=gaps, flagged=flagged)

"""The price filter: flows whose unit value is implausible for their product (TRADE.PRICE_ANOMALY).

Goods whose invoice misstates their value carry money across a border: an exporter who declares
less than the goods are worth keeps the difference abroad; an importer who declares more pays the
difference out. The declared weight is harder to fake than the price, so the unit value (US$ per
kilogram) betrays the misstatement. :func:`unit_values` takes the flows that can be priced (annual,
all transport modes, a real partner, exports and imports, a positive value and weight);
:func:`price_bounds` finds, per HS code and year, the range of unit values that is plausible;
:func:`price_anomalies` keeps the flows outside it and the money they imply.

**Fences.** Tukey's boxplot (Tukey 1977, *Exploratory Data Analysis*) calls a value an outlier
below Q1 − k·IQR or above Q3 + k·IQR (k = 1.5). Unit values are skewed to the right (a few
refined or high-grade lots among many ores), so Tukey's symmetric fences flag the ordinary right
tail. The adjusted boxplot of Hubert & Vandervieren (2008, *An adjusted boxplot for skewed
distributions*, Computational Statistics & Data Analysis 52) widens the fence on the long side
and narrows the other, by the medcouple MC, a robust measure of skew in [−1, 1] (Brys, Hubert &
Struyf 2004): for MC ≥ 0 the fences are Q1 − k·e^(−4·MC)·IQR and Q3 + k·e^(3·MC)·IQR, for MC < 0
Q1 − k·e^(−3·MC)·IQR and Q3 + k·e^(4·MC)·IQR. With MC = 0 both are Tukey's.

**Quartiles** interpolate between order statistics as numpy's default does (Hyndman & Fan type
7): at h = (n − 1)·p, x[⌊h⌋] + (h − ⌊h⌋)·(x[⌊h⌋ + 1] − x[⌊h⌋]). Each group's unit values are
collected into one sorted array (one sort per group, cheaper than a window over every flow) and
the quartiles and the medcouple's points are read off it by index, with the same arithmetic on
every engine: a test finds the same quartiles and medcouples on DuckDB and PySpark; the adjusted
fences may differ in the last bit, as the engines' ``exp`` do.

**Medcouple.** The medcouple of a sample with median m is the median, over the pairs
xi ≥ m ≥ xj, of the kernel h(xi, xj) = ((xi − m) − (m − xj)) / (xi − xj); for xi = xj = m (values
tied with the median, each in both halves) the definition gives the sign of a + b − 1 − k, where a
and b number the k tied values. Computed inside Ibis (so it runs on every backend) on P =
``medcouple_points`` order statistics of the group at evenly spaced ranks (rank round(i·(n − 1)/(P
− 1)), halves up, i = 0 … P − 1; read off the group's sorted values), paired by
a self-join of the group, with the median of all the group's rows as m and the median of the
kernels as the result. For a group of at most P rows every row is a point and this is the exact
medcouple. For a larger group it is an approximation: the median of the kernels of P order
statistics spread over the whole group (about P²/4 pairs instead of n²/4), against the group's
own median; it follows the group's skew closely and costs the same for any n.

**Money moved.** The price filter of Pak & Zdanowicz (1994, *A statistical analysis of the US
merchandise trade data base and its uses in transfer pricing compliance and enforcement*, Tax
Management Transfer Pricing Report; and their later studies of abnormal pricing) measures a
flagged price against the inter-quartile range, not against the fence: a price below the lower
quartile moved (Q1 − unit value) × kg, a price above the upper quartile (unit value − Q3) × kg.
An under-priced export or an over-priced import moves money out of the reporter's country
(``money`` = ``out``); an over-priced export or an under-priced import moves it in (``in``).
Only flows that moved at least ``min_moved_usd``, in groups of at least ``min_observations``
flows, are anomalies.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import ibis
import ibis.expr.types as ir

from oresight.core.errors import InvalidInput
from oresight.trade.flows import ALL_MODES, WORLD, FlowCode, in_scope

GROUP = ("hs", "year")
"""A price group: the flows of one HS code in one year."""

BOUNDS_COLUMNS = (
    "hs",
    "year",
    "n",
    "q1",
    "median",
    "q3",
    "iqr",
    "medcouple",
    "lower",
    "upper",
)
"""The columns of :func:`price_bounds`."""

UNIT_VALUE_COLUMNS = (
    "year",
    "hs",
    "reporter",
    "partner",
    "flow",
    "value_usd",
    "net_kg",
    "unit_value",
    "row",
)
"""The columns of :func:`unit_values`."""

ANOMALY_COLUMNS = (*UNIT_VALUE_COLUMNS, "direction", "money", "moved_usd", *BOUNDS_COLUMNS[2:])
"""The columns of :func:`price_anomalies`."""


class PriceMethod(StrEnum):
    """How the fences of a price group are drawn."""

    IQR = "iqr"
    """Tukey's fences: Q1 − k·IQR, Q3 + k·IQR."""
    ADJUSTED = "adjusted"
    """Hubert & Vandervieren's adjusted boxplot: Tukey's fences scaled by the medcouple."""


@dataclass(frozen=True, slots=True)
class PriceSettings:
    """How the price filter is run (see the module docstring)."""

    iqr_k: float = 1.5
    """The fence multiplier k (Tukey's 1.5)."""
    method: PriceMethod = PriceMethod.ADJUSTED
    min_observations: int = 8
    """A group (HS code × year) with fewer priced flows is not judged."""
    min_moved_usd: float = 100_000.0
    """An anomaly must imply at least this much money moved."""
    medcouple_points: int = 64
    """How many order statistics of a group the medcouple is computed on."""

    def __post_init__(self) -> None:
        if not self.iqr_k > 0:
            raise InvalidInput(f"must be positive, found {self.iqr_k}", field="iqr_k")
        if self.min_observations < 1:
            raise InvalidInput(
                f"must be at least 1, found {self.min_observations}", field="min_observations"
            )
        if self.medcouple_points < 2:
            raise InvalidInput(
                f"must be at least 2, found {self.medcouple_points}", field="medcouple_points"
            )
        if self.min_moved_usd < 0:
            raise InvalidInput(
                f"must not be negative, found {self.min_moved_usd}", field="min_moved_usd"
            )


def unit_values(
    flows: ir.Table,
    settings: PriceSettings = PriceSettings(),
    *,
    years: tuple[int, ...] = (),
    hs: tuple[str, ...] = (),
) -> ir.Table:
    """One row per flow that can be priced, with its unit value (US$ per kg).

    A flow is priced when it is annual (``freq`` A), over all transport modes, with a partner
    other than World, an export or an import (re-exports and re-imports are left out: their
    values follow another country's goods), and both its value and net weight are positive.
    ``row`` names the source record (``file:row``). ``settings`` is taken for symmetry with the
    other steps; what is priced does not depend on it.
    """
    del settings  # which flows are priced is fixed by the method, not a setting
    priced = _priced(flows, years=years, hs=hs)
    return priced.select(*UNIT_VALUE_COLUMNS[:-1], row=_row(priced))


def _priced(flows: ir.Table, *, years: tuple[int, ...], hs: tuple[str, ...]) -> ir.Table:
    """The flows that can be priced, with their unit value and the parts of their source row
    (``row`` itself is built for the flagged few only: a string per flow is not free)."""
    priced = flows.filter(
        (flows.freq == "A")
        & (flows["mode"] == ALL_MODES)
        & (flows.partner != WORLD)
        & flows.flow.isin([FlowCode.EXPORT.value, FlowCode.IMPORT.value])
        & (flows.value_usd > 0)
        & flows.net_kg.notnull()
        & (flows.net_kg > 0)
    )
    priced = in_scope(priced, years=years, hs=hs)
    return priced.select(
        "year",
        "hs",
        "reporter",
        "partner",
        "flow",
        "value_usd",
        "net_kg",
        "source_file",
        "source_row",
        unit_value=priced.value_usd / priced.net_kg,
    )


def _row(table: ir.Table) -> ir.Value:
    return table.source_file.concat(":", table.source_row.cast("string"))


def price_bounds(unit_values: ir.Table, settings: PriceSettings = PriceSettings()) -> ir.Table:
    """Per HS code and year: the number of priced flows ``n``, the quartiles, ``iqr``, the
    ``medcouple`` (null for :attr:`PriceMethod.IQR`) and the ``lower`` and ``upper`` fences.

    Every group is given, however small; :func:`price_anomalies` judges only those with at least
    ``min_observations`` flows.
    """
    group = list(GROUP)
    groups = _sorted(unit_values)
    stats = _quartiles(groups)
    stats = stats.mutate(iqr=stats.q3 - stats.q1)
    k = settings.iqr_k
    if settings.method is PriceMethod.IQR:
        return stats.select(
            *group,
            "n",
            "q1",
            "median",
            "q3",
            "iqr",
            medcouple=ibis.null("float64"),
            lower=stats.q1 - k * stats.iqr,
            upper=stats.q3 + k * stats.iqr,
        )
    couples = _medcouple(groups, stats, settings.medcouple_points)
    bounds = stats.left_join(couples, group).drop(*[f"{key}_right" for key in group])
    mc = bounds.medcouple
    right_skewed = mc >= 0
    low_scale = ibis.ifelse(right_skewed, (mc * -4.0).exp(), (mc * -3.0).exp())
    high_scale = ibis.ifelse(right_skewed, (mc * 3.0).exp(), (mc * 4.0).exp())
    return bounds.select(
        *group,
        "n",
        "q1",
        "median",
        "q3",
        "iqr",
        "medcouple",
        lower=bounds.q1 - k * low_scale * bounds.iqr,
        upper=bounds.q3 + k * high_scale * bounds.iqr,
    )


def price_anomalies(
    flows: ir.Table,
    settings: PriceSettings = PriceSettings(),
    *,
    years: tuple[int, ...] = (),
    hs: tuple[str, ...] = (),
    bounds: ir.Table | None = None,
) -> ir.Table:
    """The priced flows outside their group's fences, with the money their price implies moved.

    ``direction`` is ``under`` (below ``lower``) or ``over`` (above ``upper``); ``moved_usd`` is
    measured against the quartile, not the fence (Pak & Zdanowicz's price filter): (Q1 − unit
    value) × kg under, (unit value − Q3) × kg over; ``money`` is ``out`` of the reporter's
    country for an under-priced export or an over-priced import, ``in`` for an over-priced
    export or an under-priced import. Only groups of at least ``min_observations`` flows are
    judged, and only flows that moved at least ``min_moved_usd`` are kept.

    ``bounds``: the groups' :func:`price_bounds`, computed before (a few thousand rows): given,
    the flows are read once more rather than held while their bounds are computed, which on
    DuckDB is the faster plan for a year of world trade.
    """
    priced = _priced(flows, years=years, hs=hs)
    if bounds is None:
        bounds = price_bounds(priced, settings)
    bounds = bounds.filter(bounds.n >= settings.min_observations)
    joined = priced.join(bounds, list(GROUP))
    under = joined.unit_value < joined.lower
    over = joined.unit_value > joined.upper
    outside = joined.filter(under | over)
    under = outside.unit_value < outside.lower
    is_export = outside.flow == FlowCode.EXPORT.value
    moved = ibis.ifelse(
        under,
        (outside.q1 - outside.unit_value) * outside.net_kg,
        (outside.unit_value - outside.q3) * outside.net_kg,
    )
    judged = outside.select(
        *UNIT_VALUE_COLUMNS[:-1],
        row=_row(outside),
        direction=ibis.ifelse(under, "under", "over"),
        # Under-priced exports and over-priced imports carry money out of the reporter's country.
        money=ibis.ifelse(under == is_export, "out", "in"),
        moved_usd=moved,
        **{name: outside[name] for name in BOUNDS_COLUMNS[2:]},
    )
    return judged.filter(judged.moved_usd >= settings.min_moved_usd)


def _sorted(unit_values: ir.Table) -> ir.Table:
    """Per group: its unit values as one sorted array ``values`` and their number ``n``. One
    sort per group gives the quartiles and the medcouple's points; an array per group is much
    cheaper to sort than a window over every flow (measured on DuckDB: 1.5 s against 2.6 s for
    10^7 flows)."""
    group = list(GROUP)
    collected = unit_values.group_by(group).aggregate(values=unit_values.unit_value.collect())
    return collected.select(
        *group, values=collected["values"].sort(), n=collected["values"].length()
    )


def _at(values: ir.ArrayValue, index: ir.IntegerValue) -> ir.FloatingValue:
    value: ir.FloatingValue = values[index.cast("int32")]  # Spark indexes arrays by INT
    return value


QUARTILES = {"q1": 1, "median": 2, "q3": 3}


def _quartiles(groups: ir.Table) -> ir.Table:
    """Per group: ``n`` and the quartiles, interpolated between order statistics as numpy's
    default (Hyndman & Fan type 7): at h = (n − 1)·p, x[⌊h⌋] + (h − ⌊h⌋)·(x[⌊h⌋ + 1] − x[⌊h⌋]).
    Read off the sorted values, so that the same arithmetic gives the same figures on every
    engine."""
    values, n = groups["values"], groups.n
    quartiles: dict[str, ir.Value] = {}
    for name, quarter in QUARTILES.items():
        h = (n - 1) * quarter / 4
        low = h.floor()
        high = ibis.least(low + 1, n - 1)
        below = _at(values, low)
        quartiles[name] = below + (h - low) * (_at(values, high) - below)
    return groups.select(*GROUP, "n", **quartiles)


def _medcouple(groups: ir.Table, stats: ir.Table, points: int) -> ir.Table:
    """Per group: the medcouple of the group's ``points`` evenly spaced order statistics (all of
    its values when it has no more), against the group's median (see the module docstring)."""
    group = list(GROUP)
    # Point i is the value of rank round(i·(n − 1)/(P − 1)), halves up, i = 0 … P − 1: an integer
    # ratio, exact in double precision at any realistic size, so every backend picks the same.
    spread = groups.mutate(i=ibis.range(points).unnest())
    span = spread.n - 1
    rank = ibis.ifelse(
        spread.n <= points,
        spread.i,
        ((spread.i * span * 2 + (points - 1)) / ((points - 1) * 2)).floor(),
    )
    picked = spread.filter(spread.i < ibis.greatest(ibis.least(spread.n, points), 1)).select(
        *group, x=_at(spread["values"], rank)
    )
    picked = picked.join(stats.select(*group, m=stats.median), group)
    # Values tied with the median are numbered 1 … k for the sign convention of the definition.
    tie = picked.x == picked.m
    picked = picked.mutate(
        below=ibis.ifelse(picked.x < picked.m, 1, 0).sum().over(group_by=group),
        ties=ibis.ifelse(tie, 1, 0).sum().over(group_by=group),
        order=ibis.row_number().over(group_by=group, order_by=picked.x),
    )
    picked = picked.mutate(tie_number=picked.order - picked.below + 1)
    upper = picked.filter(picked.x >= picked.m).select(
        *group, m="m", ties="ties", xi="x", ai="tie_number"
    )
    lower = picked.filter(picked.x <= picked.m).select(
        lhs="hs", lyear="year", xj="x", bj="tie_number"
    )
    pairs = upper.join(lower, [("hs", "lhs"), ("year", "lyear")])
    both_tied = (pairs.xi == pairs.m) & (pairs.xj == pairs.m)
    kernel = ibis.ifelse(
        both_tied,
        (pairs.ai + pairs.bj - 1 - pairs.ties).sign().cast("float64"),
        ((pairs.xi - pairs.m) - (pairs.m - pairs.xj)) / (pairs.xi - pairs.xj),
    )
    kernels = pairs.select(*group, h=kernel)
    return kernels.group_by(group).aggregate(medcouple=kernels.h.median())

"""Mirror statistics: what an exporter declares shipping against what its partner receives.

Every flow is declared twice, by the exporter (X, valued FOB) and by the importer (M, valued CIF:
freight and insurance included). Taking the CIF/FOB margin off the import (a flat factor, by
default the IMF's 1.06), the two should agree; where they do not, goods were mis-declared on one
side (under-invoiced exports, over-invoiced imports, smuggling past one customs) or the data are
wrong. :func:`mirror_pairs` lines the two up per exporter, importer, HS code and year:

* ``both`` — both declared: ``gap_usd`` = import (FOB) − export, and ``log_ratio`` = ln(import
  FOB ÷ export): positive when the importer saw more arrive than the exporter declared leaving;
* ``lost`` — exported, and the importer reports its imports of that code that year partner by
  partner, but none from this exporter; ``orphan`` — imported, and the exporter reports its
  exports partner by partner, but none to this importer; ``exporter_silent`` /
  ``importer_silent`` — the other side reports nothing of that code that year (no mirror to
  read); ``exporter_partial`` / ``importer_partial`` — the other side reports the code, but its
  partners in the data add up to less than ``coverage`` of its total with World (a download of
  selected partners), so a missing partner says nothing.

Re-exports (RX) are shown beside the exports: an entrepôt (Hong Kong, Singapore, the
Netherlands, the UAE, Switzerland) re-exports goods its partner books under their origin.

**What is significant.** Pairs disagree every year for ordinary reasons (timing, valuation,
classification), so a gap is judged against the pair's own history (:func:`judge`): a year that
departs from the pair's usual log ratio by more than ``robust_z`` robust deviations (median
absolute deviation, scaled) and at least ``min_departure``; a pair whose gap is chronic (the
median over at least ``min_history`` years beyond ``chronic_factor``), whose years are marked
``chronic`` so that the pair is raised once for the period, not every year; a pair with a
shorter history when its ratio is beyond ``chronic_factor``. Only gaps of at least
``min_gap_usd`` count.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import ibis
import ibis.expr.types as ir

from oresight.trade.flows import ALL_MODES, WORLD, in_scope

IMF_CIF_FOB = 1.06
"""The IMF's customary CIF/FOB factor (Direction of Trade Statistics): imports are 6 % above the
exports they mirror."""


@dataclass(frozen=True, slots=True)
class MirrorSettings:
    """How mirror gaps are computed and judged (see the module docstring)."""

    cif_fob: float = IMF_CIF_FOB
    min_gap_usd: float = 1_000_000.0
    robust_z: float = 3.5
    min_departure: float = math.log(2.0)
    """A year must differ from the pair's usual ratio by a factor of two at least."""
    chronic_factor: float = 2.0
    min_history: int = 3
    coverage: float = 0.9
    """How much of a reporter's World total its partners must add up to for a partner missing
    from them to count as lost or orphaned."""
    cif_fob_by_mode: tuple[tuple[int, float], ...] = ()
    """CIF/FOB factors by Comtrade transport mode (``motCode``: 2100 sea, 1000 air, 3200 road,
    ...; a group code such as 2000 covers its sub-modes). When given, an import declared mode by
    mode is taken to FOB mode by mode; imports without a breakdown by mode (or whose modes do
    not add up to their total) use :attr:`cif_fob`."""

    def mode_factor(self, mode: int) -> float:
        """The factor of a transport mode: its own, its group's, or the flat one."""
        given = dict(self.cif_fob_by_mode)
        return given.get(mode, given.get(mode // 1000 * 1000, self.cif_fob))


def mirror_pairs(
    flows: ir.Table,
    settings: MirrorSettings = MirrorSettings(),
    *,
    years: tuple[int, ...] = (),
    hs: tuple[str, ...] = (),
) -> ir.Table:
    """One row per exporter, importer, HS code and year that either side declares (annual
    totals over every transport mode; partner World left out)."""
    totals = in_scope(
        flows.filter((flows.freq == "A") & (flows["mode"] == ALL_MODES)), years=years, hs=hs
    )
    base = totals.filter((totals.partner != WORLD) & (totals.reporter != totals.partner))
    exports = _declared(base, "X", "x", reporter="exporter", partner="importer")
    imports = _declared(base, "M", "m", reporter="importer", partner="exporter")
    re_exports = (
        base.filter(base.flow == "RX")
        .group_by(["year", "hs", "reporter", "partner"])
        .aggregate(rx_usd=ibis._.value_usd.sum())
        .rename(rx_year="year", rx_hs="hs", rx_exporter="reporter", rx_importer="partner")
    )
    joined = exports.join(
        imports,
        [
            ("x_year", "m_year"),
            ("x_hs", "m_hs"),
            ("x_exporter", "m_exporter"),
            ("x_importer", "m_importer"),
        ],
        how="outer",
    )
    pairs = joined.select(
        year=ibis.coalesce(joined.x_year, joined.m_year),
        hs=ibis.coalesce(joined.x_hs, joined.m_hs),
        exporter=ibis.coalesce(joined.x_exporter, joined.m_exporter),
        importer=ibis.coalesce(joined.x_importer, joined.m_importer),
        x_usd=joined.x_usd,
        x_kg=joined.x_kg,
        x_file=joined.x_file,
        x_line=joined.x_line,
        m_usd=joined.m_usd,
        m_kg=joined.m_kg,
        m_file=joined.m_file,
        m_line=joined.m_line,
    )
    # A projection of a join is still that join to Ibis: start a new relation so that the
    # next joins match on the coalesced keys.
    pairs = pairs.view()
    pairs = pairs.left_join(
        re_exports,
        [
            ("year", "rx_year"),
            ("hs", "rx_hs"),
            ("exporter", "rx_exporter"),
            ("importer", "rx_importer"),
        ],
    ).drop("rx_year", "rx_hs", "rx_exporter", "rx_importer")
    # Whether the other side reports the code at all, to any partner or only to World.
    exporters = _reporting(totals, "X", settings.coverage).rename(
        x_rep_year="year", x_rep_hs="hs", x_rep="reporter", x_covered="covered"
    )
    importers = _reporting(totals, "M", settings.coverage).rename(
        m_rep_year="year", m_rep_hs="hs", m_rep="reporter", m_covered="covered"
    )
    pairs = pairs.left_join(
        exporters,
        [
            ("year", "x_rep_year"),
            ("hs", "x_rep_hs"),
            ("exporter", "x_rep"),
        ],
    ).drop("x_rep_year", "x_rep_hs")
    pairs = pairs.left_join(
        importers,
        [
            ("year", "m_rep_year"),
            ("hs", "m_rep_hs"),
            ("importer", "m_rep"),
        ],
    ).drop("m_rep_year", "m_rep_hs")
    m_fob = pairs.m_usd / settings.cif_fob
    if settings.cif_fob_by_mode:
        by_mode = _imports_fob_by_mode(flows, settings, years=years, hs=hs)
        pairs = pairs.left_join(
            by_mode,
            [
                ("year", "mm_year"),
                ("hs", "mm_hs"),
                ("importer", "mm_importer"),
                ("exporter", "mm_exporter"),
            ],
        ).drop("mm_year", "mm_hs", "mm_importer", "mm_exporter")
        covered = pairs.mm_usd.notnull() & (pairs.mm_usd >= pairs.m_usd * 0.99)
        # The modes' FOB share applied to the total, so rounding in the breakdown moves nothing.
        m_fob = ibis.ifelse(
            covered, pairs.m_usd * (pairs.mm_fob / pairs.mm_usd), pairs.m_usd / settings.cif_fob
        )
    status = ibis.cases(
        (pairs.x_usd.notnull() & pairs.m_usd.notnull(), "both"),
        (pairs.m_usd.isnull() & pairs.m_rep.notnull() & pairs.m_covered, "lost"),
        (pairs.m_usd.isnull() & pairs.m_rep.notnull(), "importer_partial"),
        (pairs.m_usd.isnull(), "importer_silent"),
        (pairs.x_rep.notnull() & pairs.x_covered, "orphan"),
        (pairs.x_rep.notnull(), "exporter_partial"),
        else_="exporter_silent",
    )
    both = pairs.x_usd.notnull() & pairs.m_usd.notnull() & (pairs.x_usd > 0) & (pairs.m_usd > 0)
    return pairs.select(
        "year",
        "hs",
        "exporter",
        "importer",
        "x_usd",
        rx_usd=pairs.rx_usd,
        m_usd="m_usd",
        m_fob_usd=m_fob,
        gap_usd=ibis.coalesce(m_fob, 0.0) - ibis.coalesce(pairs.x_usd, 0.0),
        log_ratio=ibis.ifelse(both, (m_fob / pairs.x_usd).ln(), ibis.null("float64")),
        x_kg="x_kg",
        m_kg="m_kg",
        status=status,
        x_file="x_file",
        x_line="x_line",
        m_file="m_file",
        m_line="m_line",
    )


def judge(pairs: ir.Table, settings: MirrorSettings = MirrorSettings()) -> ir.Table:
    """The pairs of :func:`mirror_pairs` with the pair's history and a verdict: ``departure``,
    ``chronic``, ``short_history``, ``one_sided`` or null (not significant).

    The history (``years_both``, ``usual_ratio``, ``spread``) is given for the pairs that could
    be flagged (a gap of at least ``min_gap_usd`` in some year declared by both sides), null for
    the others."""
    keys = ["exporter", "importer", "hs"]
    declared = pairs.filter(pairs.log_ratio.notnull())
    # Only a pair with a gap of min_gap_usd in some year can be flagged: its history is read,
    # the other pairs' (most of them, in a year of world trade) is not.
    candidates = (
        declared.filter(declared.gap_usd.abs() >= settings.min_gap_usd).select(*keys).distinct()
    )
    declared = declared.semi_join(candidates, keys)
    history = declared.group_by(keys).aggregate(
        years_both=declared.count(),
        usual_ratio=declared.log_ratio.median(),
    )
    spread_base = declared.join(history, keys)
    spread = spread_base.group_by(keys).aggregate(
        spread=(spread_base.log_ratio - spread_base.usual_ratio).abs().median()
    )
    # History and spread are small (the candidate pairs): joined together first, so that every
    # pair is looked up once.
    judged = _left_join_on(pairs, _left_join_on(history, spread, keys), keys)
    departure = (judged.log_ratio - judged.usual_ratio).abs()
    allowed = ibis.greatest(judged.spread * (1.4826 * settings.robust_z), settings.min_departure)
    limit = math.log(settings.chronic_factor)
    large = judged.gap_usd.abs() >= settings.min_gap_usd
    has_history = judged.years_both.notnull() & (judged.years_both >= settings.min_history)
    verdict = ibis.cases(
        (large & has_history & (departure >= allowed), "departure"),
        (
            large & has_history & (judged.usual_ratio.abs() >= limit),
            "chronic",
        ),
        (
            large & ~has_history & judged.log_ratio.notnull() & (judged.log_ratio.abs() >= limit),
            "short_history",
        ),
        (large & judged.status.isin(["lost", "orphan"]), "one_sided"),
        else_=ibis.null("string"),
    )
    return judged.mutate(departure=departure, allowed_departure=allowed, verdict=verdict)


def flagged_pairs(judged: ir.Table) -> ir.Table:
    """Every year of each exporter-importer-code pair that has a verdict in some year: what a
    finding shows of the pair's history."""
    pair = ibis.window(group_by=[judged.exporter, judged.importer, judged.hs])
    marked = judged.mutate(flagged=judged.verdict.notnull().any().over(pair))
    return with_rows(marked.filter(marked.flagged).drop("flagged"))


def with_rows(pairs: ir.Table) -> ir.Table:
    """``x_row`` and ``m_row``, each side's source row as ``file:line``: built for the few pairs
    a caller keeps (a string per pair of a year of world trade is not free)."""
    return pairs.mutate(
        x_row=pairs.x_file.concat(":", pairs.x_line.cast("string")),
        m_row=pairs.m_file.concat(":", pairs.m_line.cast("string")),
    )


def _imports_fob_by_mode(
    flows: ir.Table, settings: MirrorSettings, *, years: tuple[int, ...], hs: tuple[str, ...]
) -> ir.Table:
    """Per year, code, importer and exporter: the imports declared mode by mode, and their value
    taken to FOB with each mode's factor."""
    rows = flows.filter(
        (flows.freq == "A")
        & (flows["mode"] != ALL_MODES)
        & (flows.flow == "M")
        & (flows.partner != WORLD)
        & (flows.reporter != flows.partner)
    )
    rows = in_scope(rows, years=years, hs=hs)
    modes = sorted({int(mode) for mode, _ in settings.cif_fob_by_mode})
    factor = ibis.cases(
        *[(rows["mode"] == mode, settings.mode_factor(mode)) for mode in modes],
        *[
            (rows["mode"] // 1000 * 1000 == group, settings.mode_factor(group))
            for group in sorted({mode // 1000 * 1000 for mode in modes})
        ],
        else_=settings.cif_fob,
    )
    return rows.group_by(
        mm_year=rows.year, mm_hs=rows.hs, mm_importer=rows.reporter, mm_exporter=rows.partner
    ).aggregate(mm_usd=rows.value_usd.sum(), mm_fob=(rows.value_usd / factor).sum())


def _declared(base: ir.Table, flow: str, side: str, *, reporter: str, partner: str) -> ir.Table:
    """One side's declarations (flow ``flow``), columns prefixed ``side``: the reporter and
    partner named as exporter or importer, the value, the weight and the source row."""
    declared = base.filter(base.flow == flow)
    return declared.select(
        **{
            f"{side}_year": declared.year,
            f"{side}_hs": declared.hs,
            f"{side}_{reporter}": declared.reporter,
            f"{side}_{partner}": declared.partner,
            f"{side}_usd": declared.value_usd,
            f"{side}_kg": declared.net_kg,
            f"{side}_file": declared.source_file,
            f"{side}_line": declared.source_row,
        }
    )


def _reporting(totals: ir.Table, flow: str, coverage: float) -> ir.Table:
    """The reporters that declare any flow ``flow`` of an HS code in a year (to any partner,
    World included), and whether their partners cover their World total (``covered``: true
    where they report no World total)."""
    declared = totals.filter((totals.flow == flow) & (totals.reporter != totals.partner))
    is_world = declared.partner == WORLD
    per = declared.group_by(["year", "hs", "reporter"]).aggregate(
        world=is_world.ifelse(declared.value_usd, 0.0).sum(),
        has_world=is_world.any(),
        partners=(~is_world).ifelse(declared.value_usd, 0.0).sum(),
    )
    return per.select(
        "year",
        "hs",
        "reporter",
        covered=~per.has_world | (per.partners >= per.world * coverage),
    )


def _left_join_on(left: ir.Table, right: ir.Table, keys: list[str]) -> ir.Table:
    """``left`` with the columns of ``right`` where the keys agree (one copy of the keys)."""
    return left.left_join(right, keys).drop(*[f"{key}_right" for key in keys])

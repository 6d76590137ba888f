"""The trade analyses' flagged rows as findings: rule, evidence and the numbers that matter.

The analyses (:mod:`~oresight.trade.mirror`, :mod:`~oresight.trade.prices`,
:mod:`~oresight.trade.production`, :mod:`~oresight.trade.routes`) are Ibis expressions; what they
flag is small, and arrives here as records (one mapping per row, as a backend returns it). Each
becomes a :class:`~oresight.core.findings.Finding` whose evidence names the source rows
(``file:line``) and carries the figures; a mirror gap carries the pair's history as a series, so
that a report can draw the flow and its mirror over time.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import pycountry

from oresight.core.errors import InvalidInput
from oresight.core.findings import (
    DataGap,
    Evidence,
    EvidenceKind,
    Finding,
    FindingCode,
    Period,
    Severity,
    Subject,
    SubjectType,
)
from oresight.trade.flows import WORLD
from oresight.trade.hs import mineral_of
from oresight.trade.mirror import MirrorSettings
from oresight.trade.prices import PriceSettings
from oresight.trade.production import ROW_SEPARATOR, ProductionSettings

MIRROR_RULE = "trade.mirror_gap"
PRICE_RULE = "trade.price_anomaly"
PRODUCTION_RULE = "trade.exports_exceed_production"
ROUTE_RULE = "trade.route_shift"
RULE_VERSION = "1"

Record = Mapping[str, Any]


SHORT_NAMES = {
    WORLD: "World",
    "BOL": "Bolivia",
    "COD": "DR Congo",
    "COG": "Congo",
    "GBR": "United Kingdom",
    "IRN": "Iran",
    "KOR": "South Korea",
    "LAO": "Laos",
    "PRK": "North Korea",
    "RUS": "Russia",
    "SYR": "Syria",
    "TWN": "Taiwan",
    "TZA": "Tanzania",
    "VEN": "Venezuela",
    "VNM": "Viet Nam",
}
"""Names as reports use them where ISO 3166's are long ("Congo, The Democratic Republic of the")."""


def country_name(code: str) -> str:
    """A country's short name from its ISO alpha-3 code (the code itself when it has none)."""
    if code in SHORT_NAMES:
        return SHORT_NAMES[code]
    found = pycountry.countries.get(alpha_3=code) if len(code) == 3 else None
    if found is None:
        return code
    return str(getattr(found, "common_name", None) or found.name)


def product(hs: str) -> str:
    """``HS 261590 (tantalum, concentrate)``, or the bare code when it is not a listed one."""
    try:
        listed = mineral_of(hs)
    except InvalidInput:
        listed = None
    if listed is None:
        return f"HS {hs}"
    return f"HS {hs} ({listed.mineral.replace('_', ' ')}, {listed.form})"


def usd(value: float | None) -> str:
    """US$ figures as people read them: US$2.30 bn, US$121.6 M, US$45,000."""
    if value is None:
        return "n/a"
    size = abs(value)
    if size >= 1e9:
        return f"US${value / 1e9:.2f} bn"
    if size >= 1e6:
        return f"US${value / 1e6:.1f} M"
    return f"US${value:,.0f}"


def times(ratio: float | None) -> str:
    """A ratio as a factor: 64×, 4.1×, 0.031×."""
    if ratio is None:
        return "n/a"
    if ratio >= 10:
        return f"{ratio:,.0f}×"
    if ratio >= 1:
        return f"{ratio:.1f}×"
    return f"{ratio:.2g}×"


def tonnes(kilograms: float | None) -> str:
    if kilograms is None:
        return "n/a"
    if abs(kilograms) >= 1e6:
        return f"{kilograms / 1e3:,.0f} t"
    return f"{kilograms / 1e3:,.1f} t"


def year_period(first: int, last: int | None = None) -> Period:
    """The calendar years ``first`` to ``last`` (inclusive) as a finding's period."""
    end = (last or first) + 1
    return Period(start=datetime(first, 1, 1, tzinfo=UTC), end=datetime(end, 1, 1, tzinfo=UTC))


def number(value: Any) -> float | None:
    """A figure from a backend's record: None for nulls and NaN."""
    if value is None:
        return None
    figure = float(value)
    return None if math.isnan(figure) else figure


def text(value: Any) -> str | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)


def row_evidence(rows: str | None, note: str, data: dict[str, Any]) -> list[Evidence]:
    """One piece of evidence per source row (``file:line``, several separated by
    :data:`~oresight.trade.production.ROW_SEPARATOR`)."""
    found = [row for row in (rows or "").split(ROW_SEPARATOR) if row]
    return [
        Evidence(kind=EvidenceKind.TRADE_ROW, id=row, note=note, data=data if i == 0 else {})
        for i, row in enumerate(found)
    ]


# --- mirror gaps ---------------------------------------------------------------------------------


def mirror_findings(
    judged: Sequence[Record], settings: MirrorSettings | None = None
) -> list[Finding]:
    """Findings of the judged mirror pairs (every year of each pair that has a verdict, as
    :func:`oresight.trade.mirror.flagged_pairs` gives them): one per departing year, one per
    pair for a chronic gap, one per year of a short history or a one-sided flow."""
    settings = settings or MirrorSettings()
    by_pair: dict[tuple[str, str, str], list[Record]] = defaultdict(list)
    for record in judged:
        by_pair[(record["exporter"], record["importer"], record["hs"])].append(record)
    findings: list[Finding] = []
    for key, history in sorted(by_pair.items()):
        history.sort(key=lambda r: int(r["year"]))
        series = _mirror_series(history)
        chronic = [r for r in history if text(r.get("verdict")) == "chronic"]
        if chronic:
            findings.append(_chronic(key, chronic, history, series, settings))
        for record in history:
            verdict = text(record.get("verdict"))
            if verdict in {"departure", "short_history", "one_sided"}:
                findings.append(_mirror_year(key, record, verdict, series, settings))
    return findings


def _mirror_series(history: Sequence[Record]) -> dict[str, Any]:
    return {
        "series_unit": "US$",
        "series": {
            "exports declared by the exporter (FOB)": [
                [int(r["year"]), number(r.get("x_usd"))] for r in history
            ],
            "imports declared by the importer (taken to FOB)": [
                [int(r["year"]), number(r.get("m_fob_usd"))] for r in history
            ],
        },
    }


def _pair_subject(key: tuple[str, str, str]) -> Subject:
    exporter, importer, hs = key
    return Subject(
        type=SubjectType.TRADE_FLOW,
        id=f"{exporter}>{importer}/{hs}",
        label=f"{country_name(exporter)} to {country_name(importer)}, {product(hs)}",
    )


def _sense(log_ratio: float | None) -> str:
    if log_ratio is None:
        return ""
    if log_ratio > 0:
        return (
            "The importer declared more arriving than the exporter declared leaving: exports "
            "under-declared at origin (under-invoicing, goods smuggled out, or declared under "
            "another code), or imports over-invoiced at destination."
        )
    return (
        "The importer declared less arriving than the exporter declared leaving: imports "
        "under-declared at destination, exports over-invoiced, or goods diverted on the way."
    )


def _figures(record: Record) -> dict[str, Any]:
    return {
        "year": int(record["year"]),
        "exported_usd": number(record.get("x_usd")),
        "re_exported_usd": number(record.get("rx_usd")),
        "imported_cif_usd": number(record.get("m_usd")),
        "imported_fob_usd": number(record.get("m_fob_usd")),
        "gap_usd": number(record.get("gap_usd")),
        "log_ratio": number(record.get("log_ratio")),
        "exported_kg": number(record.get("x_kg")),
        "imported_kg": number(record.get("m_kg")),
        "status": text(record.get("status")),
    }


def _pair_evidence(record: Record, data: dict[str, Any]) -> tuple[Evidence, ...]:
    exporter, importer = record["exporter"], record["importer"]
    found: list[Evidence] = []
    x_row, m_row = text(record.get("x_row")), text(record.get("m_row"))
    if x_row:
        found += row_evidence(x_row, f"{country_name(exporter)}'s declared exports", data)
    if m_row:
        found += row_evidence(
            m_row, f"{country_name(importer)}'s declared imports", {} if found else data
        )
    return tuple(found)


def _mirror_year(
    key: tuple[str, str, str],
    record: Record,
    verdict: str,
    series: dict[str, Any],
    settings: MirrorSettings,
) -> Finding:
    exporter, importer, hs = key
    year = int(record["year"])
    x, m_fob, m_cif = number(record.get("x_usd")), number(record.get("m_fob_usd")), None
    m_cif = number(record.get("m_usd"))
    gap = number(record.get("gap_usd")) or 0.0
    ratio = number(record.get("log_ratio"))
    rx = number(record.get("rx_usd"))
    who_x, who_m = country_name(exporter), country_name(importer)
    declared = (
        f"In {year} {who_x} declared {usd(x)} of {product(hs)} exported to {who_m}; {who_m} "
        f"declared {usd(m_cif)} imported from {who_x} ({usd(m_fob)} at FOB, taking the CIF/FOB "
        f"factor {settings.cif_fob:g} off)."
    )
    if rx:
        declared += f" {who_x} also declared {usd(rx)} of re-exports to {who_m}."
    if verdict == "departure":
        usual = number(record.get("usual_ratio")) or 0.0
        allowed = number(record.get("allowed_departure")) or 0.0
        years = int(record.get("years_both") or 0)
        judgement = (
            f" The import was {math.exp(ratio or 0.0):.2f} times the export, against the pair's "
            f"usual {math.exp(usual):.2f} (median of {years} years); the departure, a factor of "
            f"{math.exp(number(record.get('departure')) or 0.0):.2f}, exceeds the "
            f"{math.exp(allowed):.2f} the pair's own year-to-year spread allows "
            f"({settings.robust_z:g} robust deviations, at least "
            f"{math.exp(settings.min_departure):g})."
        )
        severity, confidence = Severity.HIGH, 0.7
        title = f"Mirror gap departs from the pair's history: {who_x} to {who_m}, {hs}, {year}"
    elif verdict == "short_history":
        judgement = (
            f" The import was {math.exp(ratio or 0.0):.2f} times the export, beyond the factor "
            f"{settings.chronic_factor:g} that ordinary valuation and timing differences "
            f"explain; the pair has fewer than {settings.min_history} years declared by both "
            "sides, so this is judged on the ratio alone."
        )
        severity, confidence = Severity.MEDIUM, 0.5
        title = f"Mirror gap {usd(gap)}: {who_x} to {who_m}, {hs}, {year}"
    else:
        status = text(record.get("status"))
        if status == "lost":
            judgement = (
                f" {who_m} declared imports of this code that year, but none from {who_x}: the "
                "goods were lost between the two declarations (declared to another destination, "
                "or not declared on arrival)."
            )
        else:
            declared = (
                f"In {year} {who_m} declared {usd(m_cif)} of {product(hs)} imported from "
                f"{who_x} ({usd(m_fob)} at FOB)."
            )
            judgement = (
                f" {who_x} declared exports of this code that year, but none to {who_m}: an "
                "orphaned flow (goods that left under another origin, or left undeclared)."
            )
        severity, confidence = Severity.LOW, 0.4
        title = f"One-sided flow ({status}) {usd(abs(gap))}: {who_x} to {who_m}, {hs}, {year}"
    data = _figures(record) | {"cif_fob": settings.cif_fob, "verdict": verdict} | series
    return Finding(
        code=FindingCode.TRADE_MIRROR_GAP,
        subject=_pair_subject(key),
        severity=severity,
        confidence=confidence,
        title=title,
        explanation=declared + judgement + (" " + _sense(ratio) if ratio is not None else ""),
        evidence=_pair_evidence(record, data),
        rule=MIRROR_RULE,
        rule_version=RULE_VERSION,
        period=year_period(year),
    )


def _chronic(
    key: tuple[str, str, str],
    chronic: Sequence[Record],
    history: Sequence[Record],
    series: dict[str, Any],
    settings: MirrorSettings,
) -> Finding:
    exporter, importer, hs = key
    who_x, who_m = country_name(exporter), country_name(importer)
    first, last = int(chronic[0]["year"]), int(chronic[-1]["year"])
    usual = number(chronic[0].get("usual_ratio")) or 0.0
    ratios = [math.exp(r) for r in (number(c.get("log_ratio")) for c in chronic) if r is not None]
    total_gap = sum(number(c.get("gap_usd")) or 0.0 for c in chronic)
    span = f"{first}" if first == last else f"{first}–{last}"
    explanation = (
        f"In every year declared by both sides, {who_m}'s imports of {product(hs)} from {who_x} "
        f"(taken to FOB with the factor {settings.cif_fob:g}) differ from {who_x}'s exports by a "
        f"usual factor of {math.exp(usual):.2f} (median over "
        f"{int(chronic[0].get('years_both') or 0)} years; beyond {settings.chronic_factor:g}). "
        f"In {span} the import was {min(ratios):.2f} to {max(ratios):.2f} times the export, "
        f"{usd(total_gap)} in all. A gap this lasting is a pattern, not noise: raised once for "
        "the pair. " + _sense(usual)
    )
    latest = chronic[-1]
    data = (
        _figures(latest)
        | {
            "years": [int(c["year"]) for c in chronic],
            "usual_ratio": math.exp(usual),
            "total_gap_usd": total_gap,
            "verdict": "chronic",
            "cif_fob": settings.cif_fob,
        }
        | series
    )
    evidence = _pair_evidence(latest, data)
    for record in chronic[:-1]:
        evidence += _pair_evidence(record, {"year": int(record["year"])})
    return Finding(
        code=FindingCode.TRADE_MIRROR_GAP,
        subject=_pair_subject(key),
        severity=Severity.MEDIUM,
        confidence=0.6,
        title=(
            f"Chronic mirror gap, imports {times(math.exp(usual))} exports: {who_x} to {who_m}, "
            f"{hs}, {span}"
        ),
        explanation=explanation,
        evidence=evidence,
        rule=MIRROR_RULE,
        rule_version=RULE_VERSION,
        period=year_period(first, last),
    )


# --- exports beyond production -------------------------------------------------------------------


def production_findings(
    judged: Iterable[Record], settings: ProductionSettings | None = None
) -> tuple[list[Finding], list[DataGap]]:
    """Findings of :func:`oresight.trade.production.exports_beyond_production` rows that exceed,
    and a data gap for each country-mineral-year whose production is unknown."""
    settings = settings or ProductionSettings()
    findings: list[Finding] = []
    gaps: list[DataGap] = []
    records = list(judged)
    by_series: dict[tuple[str, str], list[Record]] = defaultdict(list)
    for record in records:
        by_series[(record["country"], record["mineral"])].append(record)
    for record in records:
        verdict = text(record.get("verdict"))
        if verdict in {"exceeds", "exceeds_other_countries"}:
            history = by_series[(record["country"], record["mineral"])]
            findings.append(_exceeds(record, verdict, settings, _supply_series(record, history)))
        elif verdict in {"production_unknown", "content_unknown"}:
            gaps.append(_production_gap(record, verdict))
    return findings, gaps


def _country_subject(record: Record) -> Subject:
    country, mineral = record["country"], str(record["mineral"])
    return Subject(
        type=SubjectType.COUNTRY,
        id=country,
        label=f"{country_name(country)} ({mineral.replace('_', ' ')})",
    )


def _supply_series(record: Record, history: Sequence[Record]) -> dict[str, Any]:
    """Exports against what production and imports allow, every year on the flagged year's
    basis (dollars, or tonnes of content)."""
    basis = text(record.get("basis"))
    scale = 1.0 if basis == "value" else 1e-3
    years = sorted(history, key=lambda r: int(r["year"]))

    def on_basis(row: Record, column: str) -> float | None:
        figure = number(row.get(column))
        same = text(row.get("basis")) == basis
        return None if figure is None or not same else figure * scale

    return {
        "series_unit": "US$" if basis == "value" else "t",
        "series": {
            "exports declared": [[int(r["year"]), on_basis(r, "exported")] for r in years],
            "production + imports": [[int(r["year"]), on_basis(r, "available")] for r in years],
        },
    }


def _exceeds(
    record: Record, verdict: str, settings: ProductionSettings, series: dict[str, Any]
) -> Finding:
    country, mineral, year = record["country"], str(record["mineral"]), int(record["year"])
    who, what = country_name(country), mineral.replace("_", " ")
    basis = text(record.get("basis"))
    exports_usd = number(record.get("exports_usd"))
    imports_usd = number(record.get("imports_usd")) or 0.0
    content = number(record.get("exports_content_kg"))
    imports_content = number(record.get("imports_content_kg")) or 0.0
    production_t = number(record.get("production_t"))
    production_usd = number(record.get("production_usd"))
    ratio = number(record.get("ratio"))
    excess_usd = number(record.get("excess_usd"))
    if basis == "value":
        compared = (
            f"{who} declared {usd(exports_usd)} of {what} exports in {year}, against a declared "
            f"production worth {usd(production_usd)} and imports of {usd(imports_usd)}: "
            f"{ratio or 0:.1f} times what production and imports can supply."
        )
    elif basis == "other_countries":
        other_t = number(record.get("other_t")) or 0.0
        compared = (
            f"{who} declared {tonnes(content)} of {what} (element content) exported in {year} "
            f"({usd(exports_usd)}). USGS lists no production of its own for {who}, so it is one "
            f'of the "Other countries", which together produced {other_t:,.1f} t; with imports '
            f"of {tonnes(imports_content)}, its exports are {ratio or 0:.1f} times even that "
            "bound."
        )
    else:
        compared = (
            f"{who} declared {tonnes(content)} of {what} (element content) exported in {year} "
            f"({usd(exports_usd)}), against production of {production_t or 0:,.1f} t and "
            f"imports of {tonnes(imports_content)}: {ratio or 0:.1f} times what production and "
            "imports can supply."
        )
    explanation = (
        f"{compared} The excess is worth about {usd(excess_usd)} at the exports' own unit value "
        f"(flagged beyond {settings.tolerance:.0%} for stocks and timing). Exports a country "
        "cannot have mined or imported came from elsewhere: smuggled in undeclared and exported "
        "as domestic, a classic route for laundering conflict minerals and gold."
    )
    data = {
        "year": year,
        "mineral": mineral,
        "basis": basis,
        "exports_usd": exports_usd,
        "exports_content_kg": content,
        "exports_kg": number(record.get("exports_kg")),
        "imports_usd": imports_usd,
        "imports_content_kg": imports_content,
        "production_t": production_t,
        "production_usd": production_usd,
        "production_estimated": record.get("production_estimated"),
        "other_countries_t": number(record.get("other_t")),
        "ratio": ratio,
        "excess_usd": excess_usd,
        "tolerance": settings.tolerance,
    } | series
    evidence = row_evidence(text(record.get("export_rows")), f"{who}'s declared exports", data)
    evidence += row_evidence(text(record.get("import_rows")), f"{who}'s declared imports", {})
    names = text(record.get("production_source_names"))
    evidence += row_evidence(
        text(record.get("production_sources")) or text(record.get("other_source")),
        f"production figure ({names})" if names else "production figure",
        {},
    )
    return Finding(
        code=FindingCode.TRADE_EXPORTS_EXCEED_PRODUCTION,
        subject=_country_subject(record),
        severity=Severity.HIGH,
        confidence=0.6 if verdict == "exceeds_other_countries" else 0.8,
        title=(
            f"{who} exported {times(ratio)} the {what} it produced and imported "
            f"({year}, {usd(exports_usd)})"
        ),
        explanation=explanation,
        evidence=tuple(evidence),
        rule=PRODUCTION_RULE,
        rule_version=RULE_VERSION,
        period=year_period(year),
    )


def _production_gap(record: Record, verdict: str) -> DataGap:
    country, mineral, year = record["country"], str(record["mineral"]), int(record["year"])
    who, what = country_name(country), mineral.replace("_", " ")
    exported = (
        f"{who} declared {usd(number(record.get('exports_usd')))} of {what} exports in {year}"
    )
    if verdict == "content_unknown":
        return DataGap(
            rule=PRODUCTION_RULE,
            missing=f"{what} content of {who}'s exports, {year}",
            explanation=(
                f"{exported}, but under HS codes of varying grade (ores and concentrates), so "
                "their element content is unknown and they were not compared with its "
                "production in tonnes. A production figure in dollars (a national production "
                "table with value_usd) lets them be compared by value."
            ),
            subject=_country_subject(record),
        )
    return DataGap(
        rule=PRODUCTION_RULE,
        missing=f"production of {what} in {who}, {year}",
        explanation=(
            f"{exported}, but no production figure for it is loaded, so they were not compared "
            "with what it produces. Load the USGS Mineral Commodity Summaries table of the "
            "mineral, or a national production table (`oresight trade load production.csv`)."
        ),
        subject=_country_subject(record),
    )


# --- price anomalies -----------------------------------------------------------------------------


def price_findings(
    anomalies: Iterable[Record], settings: PriceSettings | None = None
) -> list[Finding]:
    """Findings of :func:`oresight.trade.prices.price_anomalies` rows: one per flagged flow."""
    settings = settings or PriceSettings()
    return [_price(record, settings) for record in anomalies]


def _price(record: Record, settings: PriceSettings) -> Finding:
    reporter, partner, flow = record["reporter"], record["partner"], str(record["flow"])
    hs, year = str(record["hs"]), int(record["year"])
    who, other = country_name(reporter), country_name(partner)
    exporter, importer = (reporter, partner) if flow == "X" else (partner, reporter)
    unit = number(record.get("unit_value")) or 0.0
    q1, q3 = number(record.get("q1")) or 0.0, number(record.get("q3")) or 0.0
    lower, upper = number(record.get("lower")), number(record.get("upper"))
    median = number(record.get("median")) or 0.0
    moved = number(record.get("moved_usd")) or 0.0
    kg = number(record.get("net_kg"))
    medcouple = number(record.get("medcouple"))
    under = text(record.get("direction")) == "under"
    words = "exported to" if flow == "X" else "imported from"
    fences = (
        f"Tukey's fences (k = {settings.iqr_k:g})"
        if medcouple is None
        else f"the adjusted boxplot's fences (medcouple {medcouple:.2f}, k = {settings.iqr_k:g})"
    )
    sense = {
        ("X", True): "an under-invoiced export",
        ("M", False): "an over-invoiced import",
        ("X", False): "an over-invoiced export",
        ("M", True): "an under-invoiced import",
    }[(flow if flow == "X" else "M", under)]
    out = text(record.get("money")) == "out"
    explanation = (
        f"In {year} {who} declared {tonnes(kg)} of {product(hs)} {words} {other} for "
        f"{usd(number(record.get('value_usd')))}: US${unit:,.2f}/kg. The "
        f"{int(record.get('n') or 0)} declarations of that code worldwide that year had "
        f"quartiles US${q1:,.2f}–{q3:,.2f}/kg (median {median:,.2f}); {fences} put the "
        f"plausible range at US${lower or 0:,.2f}–{upper or 0:,.2f}/kg, and this price is "
        f"{'below' if under else 'above'} it. Priced at the nearest quartile (the price-filter "
        f"method), the flow misstates its value by about {usd(moved)}: {sense}, which moves "
        f"money {'out of' if out else 'into'} {who}. A price this far from the market is how "
        "value is shifted across borders, or how a different or lower-grade product hides "
        "under the code: check the invoice and an assay."
    )
    data = {
        "year": year,
        "flow": flow,
        "unit_value_usd_per_kg": unit,
        "value_usd": number(record.get("value_usd")),
        "net_kg": kg,
        "q1": q1,
        "median": median,
        "q3": q3,
        "lower_fence": lower,
        "upper_fence": upper,
        "medcouple": medcouple,
        "observations": int(record.get("n") or 0),
        "moved_usd": moved,
        "money": text(record.get("money")),
        "method": settings.method.value,
    }
    return Finding(
        code=FindingCode.TRADE_PRICE_ANOMALY,
        subject=_pair_subject((exporter, importer, hs)),
        severity=Severity.HIGH if moved >= 10e6 else Severity.MEDIUM,
        confidence=0.5,
        title=(
            f"Unit value {'under' if under else 'over'} the plausible range: {who}'s "
            f"{'export to' if flow == 'X' else 'import from'} {other}, {hs}, {year} "
            f"(US${unit:,.2f}/kg; about {usd(moved)} moved)"
        ),
        explanation=explanation,
        evidence=tuple(row_evidence(text(record.get("row")), f"{who}'s declaration", data)),
        rule=PRICE_RULE,
        rule_version=RULE_VERSION,
        period=year_period(year),
    )


# --- route shifts --------------------------------------------------------------------------------

FLOW_WORDS = {"X": "exports", "M": "imports", "RX": "re-exports"}


def route_findings(shifts: Sequence[Record], hubs: Mapping[str, str]) -> list[Finding]:
    """Findings of :func:`oresight.trade.routes.route_shifts` rows: one per change point, the
    first of consecutive flagged years of a flow (a lasting shift is raised once). ``hubs``
    names the entrepôts (ISO alpha-3 to a note on why the place is one)."""
    flagged = {(r["source"], r["reporter"], r["flow"], r["hs"], int(r["year"])) for r in shifts}
    findings = []
    for record in sorted(shifts, key=lambda r: (r["reporter"], r["hs"], r["flow"], r["year"])):
        key = (record["source"], record["reporter"], record["flow"], record["hs"])
        if (*key, int(record["year"]) - 1) in flagged:
            continue
        findings.append(_route_shift(record, hubs))
    return findings


def _route_shift(record: Record, hubs: Mapping[str, str]) -> Finding:
    reporter, flow, hs, year = record["reporter"], str(record["flow"]), record["hs"], record["year"]
    who, words = country_name(reporter), FLOW_WORDS.get(flow, flow)
    gainer, loser = text(record.get("gainer")), text(record.get("loser"))
    gained = number(record.get("gainer_share")) or 0.0
    gained_before = number(record.get("gainer_baseline_share")) or 0.0
    lost = number(record.get("loser_share")) or 0.0
    lost_before = number(record.get("loser_baseline_share")) or 0.0
    tvd = number(record.get("tvd")) or 0.0
    years = int(record.get("baseline_years") or 0)
    is_hub = bool(record.get("gainer_hub"))
    hub_note = ""
    if gainer and is_hub:
        hub_note = f" {country_name(gainer)} is a transit hub: {hubs.get(gainer, 'an entrepôt')}."
    direction = "to" if flow in {"X", "RX"} else "from"
    explanation = (
        f"In {int(year)} {who}'s {words} of {product(hs)} ({usd(number(record.get('total_usd')))}) "
        f"moved abruptly between partners: {tvd:.0%} of the flow changed hands against the mean "
        f"partner mix of the {years} year(s) before. "
        f"{country_name(gainer or '?')}'s share rose from {gained_before:.0%} to {gained:.0%}"
        f"{' (a new partner)' if record.get('gainer_is_new') else ''}; "
        f"{country_name(loser or '?')}'s fell from {lost_before:.0%} to {lost:.0%}.{hub_note} "
        "A route that moves at once to a new partner or hub is how minerals are re-routed "
        "around a ban or a buyer's checks, or laundered through a country that re-declares them; "
        "check the new partner's imports and re-exports."
    )
    data = {
        "year": int(year),
        "flow": flow,
        "total_usd": number(record.get("total_usd")),
        "tvd": tvd,
        "baseline_years": years,
        "gainer": gainer,
        "gainer_share": gained,
        "gainer_baseline_share": gained_before,
        "gainer_is_new": bool(record.get("gainer_is_new")),
        "gainer_hub": is_hub,
        "loser": loser,
        "loser_share": lost,
        "loser_baseline_share": lost_before,
        "source": text(record.get("source")),
    }
    evidence = row_evidence(
        text(record.get("row")),
        f"{who}'s declared {words} {direction} {country_name(gainer or '?')}",
        data,
    )
    if not evidence:
        evidence = [
            Evidence(
                kind=EvidenceKind.TRADE_ROW,
                id=f"{text(record.get('source'))}:{reporter}/{flow}/{hs}/{int(year)}",
                note=f"{who}'s declared {words} by partner",
                data=data,
            )
        ]
    return Finding(
        code=FindingCode.TRADE_ROUTE_SHIFT,
        subject=Subject(
            type=SubjectType.TRADE_FLOW,
            id=f"{reporter}/{hs}/{flow}",
            label=f"{who}'s {words} of {product(hs)}",
        ),
        severity=Severity.MEDIUM if is_hub or record.get("gainer_is_new") else Severity.LOW,
        confidence=0.5,
        title=(
            f"Route shift: {who}'s {words} of {hs} moved {direction} "
            f"{country_name(gainer or '?')} ({gained:.0%}, was {gained_before:.0%}) in {int(year)}"
        ),
        explanation=explanation,
        evidence=tuple(evidence),
        rule=ROUTE_RULE,
        rule_version=RULE_VERSION,
        period=year_period(int(year)),
    )

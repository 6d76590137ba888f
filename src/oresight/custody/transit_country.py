"""ORIGIN.TRANSIT_COUNTRY: more material declared mined in a country than the country produces.

A country through which minerals are smuggled shows up in custody records as an origin: lots are
"commissioned" at its mines in amounts its known mine production cannot explain. The rule sums the
volume that extraction events declare — commissioning events (ObjectEvent, ADD) at mines,
artisanal sites and concessions — per origin country (the site's ``country``), mineral and year
(the event's local date), and compares it with that country's mine production in the USGS Mineral
Commodity Summaries (read by :mod:`oresight.custody.production`), in metric tons contained.

Volume: where a lot declares its grade (``ore:gradePercent``), its element content is counted
(for rare earths, the grade is read as % rare-earth oxide, the USGS basis). Where it does not, the
lot's gross mass is counted: an upper bound of its content, so a finding that needs those lots to
exceed production says so and carries a lower confidence.

Decisions where USGS gives no figure:

* the country is listed with ``W`` (withheld) or ``NA``: USGS knows it produces but prints no
  figure, so nothing can be compared — a data gap;
* the country is not listed, and the table has an "Other countries" line: the country's output is
  at most that line (all unlisted producers together); declaring more is a high finding, less a
  low one (USGS does not count the country among notable producers);
* the country is not listed and the table has no "Other countries" line (the table names every
  producer): a medium finding;
* no table covers the mineral and year, or the table holds country names this reader cannot map
  to ISO codes: a data gap.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from oresight.core.collector import paused_gc
from oresight.core.custody import CustodyEvent
from oresight.core.errors import InvalidInput
from oresight.core.findings import (
    DataGap,
    Evidence,
    EvidenceKind,
    Finding,
    FindingCode,
    Period,
    RuleOutcome,
    Severity,
    Subject,
    SubjectType,
)
from oresight.core.minerals import MINERALS, Mineral
from oresight.core.sites import Site
from oresight.custody.lineage import read_events
from oresight.custody.production import ProductionRow, ProductionTable, ValueFlag
from oresight.custody.unlicensed_origin import local_date

RULE = "origin.transit_country"
RULE_VERSION = "1"
MAX_LISTED_EVENTS = 20


@dataclass(frozen=True)
class TransitCountryParams:
    """Thresholds of the rule."""

    tolerance: float = 0.10
    """Flag declared volumes above production x (1 + tolerance). MCS figures of the latest year
    are estimates rounded to two significant digits and are revised the next year; 10 % covers
    that rounding and the usual revision."""
    share_threshold: float | None = None
    """Optionally, also flag (low) declared volumes above this share of national production."""

    def __post_init__(self) -> None:
        if self.tolerance < 0:
            raise InvalidInput(f"must be zero or more, found {self.tolerance}", field="tolerance")
        if self.share_threshold is not None and not 0 < self.share_threshold <= 1:
            message = f"must be a share above 0 and at most 1, found {self.share_threshold}"
            raise InvalidInput(message, field="share_threshold")


@dataclass
class _Declared:
    country: str
    mineral: Mineral
    year: int
    content_t: float = 0.0
    gross_t: float = 0.0
    """Mass of lots that declare no grade, counted whole."""
    events: list[CustodyEvent] = field(default_factory=list)
    sites: dict[str, Site] = field(default_factory=dict)
    lots: list[dict[str, object]] = field(default_factory=list)

    @property
    def total_t(self) -> float:
        return self.content_t + self.gross_t


@paused_gc()  # builds and drops large structures: no collector passes meanwhile
def find_transit_country_origins(
    events: Iterable[CustodyEvent],
    *,
    sites: Mapping[str, Site],
    production: ProductionTable,
    params: TransitCountryParams | None = None,
) -> RuleOutcome:
    """Findings per origin country, mineral and year whose declared extraction exceeds what the
    USGS production figures allow; data gaps where they cannot be compared."""
    params = params or TransitCountryParams()
    declared, gaps = _declared_volumes(events, sites)
    findings: list[Finding] = []
    for key in sorted(declared):
        outcome = _judge(declared[key], production, params)
        if isinstance(outcome, DataGap):
            gaps.append(outcome)
        elif outcome is not None:
            findings.append(outcome)
    return RuleOutcome(findings=tuple(findings), gaps=tuple(gaps))


class _Volumes:
    """Declared volumes per (country, mineral, year), and the gaps met while summing them."""

    def __init__(self) -> None:
        self.declared: dict[tuple[str, str, int], _Declared] = {}
        self.gaps: dict[tuple[str, str], DataGap] = {}

    def gap(self, site: Site, missing: str, explanation: str) -> None:
        subject = Subject(type=SubjectType.SITE, id=site.id, label=site.name)
        gap = DataGap(rule=RULE, missing=missing, explanation=explanation, subject=subject)
        self.gaps.setdefault((site.id, missing), gap)

    def add(self, event: CustodyEvent, site: Site) -> None:
        master = event.lot_master
        mineral = master.mineral if master and master.mineral else _only_mineral(site)
        if mineral is None:
            why = (
                "name no mineral (ore:mineral) and the site lists none or several, so their "
                "volume is not compared with national production; give ore:mineral in the "
                "events' lot master data, or one mineral on the site"
            )
            self.gap(site, "ore:mineral", f"Lots commissioned at {site.label()} {why}.")
            return
        if site.country is None:
            why = (
                "has no country, so the volume extracted there is not compared with national "
                "production; give the site its ISO 3166-1 alpha-2 country"
            )
            self.gap(site, "site country", f"{site.label()} {why}.")
            return
        year = local_date(event).year
        key = (site.country, mineral.value, year)
        entry = self.declared.setdefault(key, _Declared(site.country, mineral, year))
        grade = master.grade_percent if master else None
        for element in event.quantity_list:
            quantity = element.as_quantity(grade)
            kg = quantity.in_kg() if quantity else None
            if quantity is None or kg is None:
                why = "has no mass (a quantity in KGM, TNE, ...), so it is not counted"
                self.gap(site, "mass quantity", f"Lot {element.epc_class} {why}.")
                continue
            content_kg = quantity.element_kg()
            if content_kg is None:
                entry.gross_t += kg / 1000
            else:
                entry.content_t += content_kg / 1000
            lot: dict[str, object] = {"lot": element.epc_class, "event": event.event_id}
            lot["mass_t"] = kg / 1000
            lot["grade_percent"] = grade
            lot["content_t"] = None if content_kg is None else content_kg / 1000
            entry.lots.append(lot)
            if not entry.events or entry.events[-1] is not event:
                entry.events.append(event)
            entry.sites[site.id] = site
        if event.epc_list and not event.quantity_list:
            why = "commissions objects with no quantity list, so their mass is unknown"
            self.gap(site, "mass quantity", f"Event {event.event_id} at {site.label()} {why}.")


def _declared_volumes(
    events: Iterable[CustodyEvent], sites: Mapping[str, Site]
) -> tuple[dict[tuple[str, str, int], _Declared], list[DataGap]]:
    volumes = _Volumes()
    for event in read_events(events).commissioning_in_time_order():
        location = event.location()
        site = sites.get(location) if location else None
        if site is not None and site.is_extraction_site:
            volumes.add(event, site)
    declared = {key: entry for key, entry in volumes.declared.items() if entry.events}
    return declared, list(volumes.gaps.values())


def _only_mineral(site: Site) -> Mineral | None:
    return site.minerals[0] if len(site.minerals) == 1 else None


def _judge(
    declared: _Declared, production: ProductionTable, params: TransitCountryParams
) -> Finding | DataGap | None:
    mineral, year, country = declared.mineral, declared.year, declared.country
    label = MINERALS[mineral].label.lower()
    subject = Subject(type=SubjectType.COUNTRY, id=country, label=f"{label} mined in {year}")
    if year not in production.years(mineral):
        years = ", ".join(str(y) for y in production.years(mineral)) or "none"
        return DataGap(
            rule=RULE,
            missing=f"USGS mine production of {label} for {year}",
            explanation=(
                f"Lots declare {declared.total_t:,.1f} t of {label} mined in {country} in {year}, "
                f"but the production tables given cover {label} in these years only: {years}. "
                "Load the MCS world production file that covers the year."
            ),
            subject=subject,
        )
    row = production.mine_production(country, mineral, year)
    if row is not None and row.tonnes is None:
        printed = "withheld (W)" if ValueFlag.WITHHELD in row.flags else "not available (NA)"
        return DataGap(
            rule=RULE,
            missing=f"USGS figure of {label} mine production in {country} for {year}",
            explanation=(
                f"USGS lists {row.country} as a {label} producer in {year} but its figure is "
                f"{printed} ({row.reference}), so the {declared.total_t:,.1f} t declared there "
                "cannot be compared with it."
            ),
            subject=subject,
        )
    if row is None and production.unmapped_countries:
        names = ", ".join(production.unmapped_countries)
        return DataGap(
            rule=RULE,
            missing="ISO codes of USGS country names",
            explanation=(
                f"No {label} production row for {country} in {year} was found, but the tables "
                f"hold country names with no known ISO code ({names}); {country} may be one."
            ),
            subject=subject,
        )
    if row is not None:
        return _against_country(declared, row, subject, params)
    return _not_listed(declared, production.other_countries(mineral, year), subject, params)


def _against_country(
    declared: _Declared, row: ProductionRow, subject: Subject, params: TransitCountryParams
) -> Finding | None:
    produced = row.tonnes or 0.0
    limit = produced * (1 + params.tolerance)
    what = _declared_text(declared)
    figure = _figure_text(row)
    if declared.total_t > limit:
        share = f" ({declared.total_t / produced:.0%} of it)" if produced else ""
        return _finding(
            declared,
            subject,
            rows=(row,),
            severity=Severity.HIGH,
            confidence=0.85 if declared.content_t > limit else 0.5,
            title=f"More {_label(declared)} declared mined in {row.country} than it produces",
            explanation=(
                f"{what} USGS gives {row.country}'s whole mine production that year as {figure}"
                f"{share}, which the declared volume exceeds by more than the "
                f"{params.tolerance:.0%} tolerance. Material from elsewhere may be passed off as "
                "produced there."
            ),
        )
    threshold = params.share_threshold
    if threshold is not None and produced and declared.total_t > threshold * produced:
        return _finding(
            declared,
            subject,
            rows=(row,),
            severity=Severity.LOW,
            confidence=0.5,
            title=f"Declared {_label(declared)} is a large share of {row.country}'s production",
            explanation=(
                f"{what} That is {declared.total_t / produced:.0%} of the country's whole mine "
                f"production of {figure} according to USGS, above the {threshold:.0%} set for "
                "review."
            ),
        )
    return None


def _not_listed(
    declared: _Declared,
    other: ProductionRow | None,
    subject: Subject,
    params: TransitCountryParams,
) -> Finding:
    what = _declared_text(declared)
    country = declared.country
    title = f"{_label(declared).capitalize()} declared mined in {country}, not a listed producer"
    if other is None:
        return _finding(
            declared,
            subject,
            rows=(),
            severity=Severity.MEDIUM,
            confidence=0.6,
            title=title,
            explanation=(
                f"{what} USGS lists no {_label(declared)} mine production in {country} that year, "
                "and its table has no line for other countries: it names every producer."
            ),
        )
    pooled = other.tonnes
    if pooled is not None and declared.total_t > pooled * (1 + params.tolerance):
        return _finding(
            declared,
            subject,
            rows=(other,),
            severity=Severity.HIGH,
            confidence=0.75 if declared.content_t > pooled * (1 + params.tolerance) else 0.45,
            title=title,
            explanation=(
                f"{what} USGS does not list {country} as a producer; all the countries it does "
                f"not list produced {_figure_text(other)} together, less than declared here."
            ),
        )
    return _finding(
        declared,
        subject,
        rows=(other,),
        severity=Severity.LOW,
        confidence=0.4,
        title=title,
        explanation=(
            f"{what} USGS does not list {country} as a producer of {_label(declared)}; it counts "
            f"it among other countries ({_figure_text(other)} together)."
        ),
    )


def _label(declared: _Declared) -> str:
    return MINERALS[declared.mineral].label.lower()


def _declared_text(declared: _Declared) -> str:
    text = (
        f"Extraction events declare {declared.total_t:,.1f} t of {_label(declared)} mined in "
        f"{declared.country} in {declared.year}, in {len(declared.lots)} lot(s) at "
        f"{len(declared.sites)} site(s)."
    )
    if declared.gross_t:
        ungraded = sum(1 for lot in declared.lots if lot["content_t"] is None)
        text += (
            f" {ungraded} lot(s) declare no grade and are counted at their gross mass "
            f"({declared.gross_t:,.1f} t), an upper bound of their content."
        )
    return text


def _figure_text(row: ProductionRow) -> str:
    estimated = ", estimated" if ValueFlag.ESTIMATED in row.flags else ""
    return f"{row.tonnes or 0:,.0f} t ({row.edition}{estimated})"


def _finding(
    declared: _Declared,
    subject: Subject,
    *,
    rows: tuple[ProductionRow, ...],
    severity: Severity,
    confidence: float,
    title: str,
    explanation: str,
) -> Finding:
    evidence = [_row_evidence(row) for row in rows]
    for event in declared.events[:MAX_LISTED_EVENTS]:
        lots = [lot for lot in declared.lots if lot["event"] == event.event_id]
        data: dict[str, object] = {
            "event_time": event.event_time.isoformat(),
            "local_year": declared.year,
            "location": event.location(),
            "lots": lots,
        }
        note = "extraction event counted in the declared volume"
        evidence.append(Evidence(kind=EvidenceKind.EVENT, id=event.event_id, note=note, data=data))
    if len(declared.events) > MAX_LISTED_EVENTS:
        explanation += f" The first {MAX_LISTED_EVENTS} of {len(declared.events)} events are cited."
    for site in declared.sites.values():
        data = {"kind": site.kind.value, "country": site.country, "name": site.name}
        evidence.append(Evidence(kind=EvidenceKind.SITE, id=site.id, note="origin site", data=data))
    times = [event.event_time for event in declared.events]
    return Finding(
        code=FindingCode.ORIGIN_TRANSIT_COUNTRY,
        subject=subject,
        severity=severity,
        confidence=confidence,
        title=title,
        explanation=explanation,
        evidence=tuple(evidence),
        rule=RULE,
        rule_version=RULE_VERSION,
        period=Period(start=min(times), end=max(times)),
    )


def _row_evidence(row: ProductionRow) -> Evidence:
    data: dict[str, object] = {
        "edition": row.edition,
        "country": row.country,
        "measure": row.measure,
        "year": row.year,
        "value": row.value,
        "unit": row.unit,
        "tonnes": row.tonnes,
        "flags": sorted(flag.value for flag in row.flags),
    }
    note = f"USGS {row.edition} mine production"
    return Evidence(kind=EvidenceKind.TRADE_ROW, id=row.reference, note=note, data=data)

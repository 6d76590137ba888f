"""The HTML due-diligence report: one self-contained file that opens offline and prints well.

The report states its scope (workspace, period, what was ingested), summarises the findings, lays
out the supply chain by tier, and then gives every finding with its rule and evidence, most severe
first. Everything shown is escaped by Jinja2's autoescaping: names and notes come from third-party
files and lists and must never become markup.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

import jinja2
from markupsafe import Markup

from oresight.core.findings import DataGap, Finding, Severity
from oresight.core.sites import Site, SiteKind
from oresight.reports.charts import chart_svg, finding_chart
from oresight.reports.findings_io import sort_findings
from oresight.reports.formatting import (
    display_name,
    evidence_figures,
    format_licence_validity,
    format_period,
    format_time,
    format_value,
)
from oresight.reports.maps import finding_map, map_svg

TEMPLATE_NAME = "report.html.j2"
"""The report template, in ``oresight/reports/templates``."""

PROTECTED_AREAS_TIER = "Protected areas"
"""Name of the tier that lists protected and indigenous areas, apart from the chain itself."""

# The chain from the ground to the metal; within a tier, sites follow this order of kinds.
_TIER_KINDS: tuple[tuple[str, tuple[SiteKind, ...]], ...] = (
    ("Extraction", (SiteKind.MINE, SiteKind.ARTISANAL_SITE, SiteKind.CONCESSION)),
    ("Trading", (SiteKind.TRADER,)),
    ("Processing", (SiteKind.PROCESSING_FACILITY,)),
    ("Transit", (SiteKind.BORDER_POST, SiteKind.PORT, SiteKind.WAREHOUSE)),
    ("Smelting & refining", (SiteKind.SMELTER, SiteKind.REFINER)),
    (PROTECTED_AREAS_TIER, (SiteKind.PROTECTED_AREA,)),
)


@dataclass(frozen=True)
class Tier:
    """One stage of the supply chain and the sites in it."""

    name: str
    sites: tuple[Site, ...]


@dataclass(frozen=True)
class ReportScope:
    """What a report covers, shown in its header so a reader knows what was looked at."""

    title: str
    workspace: str
    generated_at: datetime
    period_start: datetime | None
    period_end: datetime | None
    counts: Mapping[str, int]
    """How many records of each kind were assessed (events, lots, sites, parties, ...)."""
    minerals: tuple[str, ...]
    tiers: tuple[Tier, ...]
    sources: tuple[str, ...]
    """Names of the files ingested into the workspace."""


def supply_chain_tiers(sites: Iterable[Site]) -> tuple[Tier, ...]:
    """Group sites into ordered supply-chain tiers, leaving out empty ones.

    Tiers run Extraction, Trading, Processing, Transit, Smelting & refining, then
    "Protected areas" listed apart. Within a tier, sites are ordered by kind, then name, then id;
    a site id given twice is kept once (the first).
    """
    by_id: dict[str, Site] = {}
    for site in sites:
        by_id.setdefault(site.id, site)
    tiers: list[Tier] = []
    for name, kinds in _TIER_KINDS:
        members = [s for s in by_id.values() if s.kind in kinds]
        if not members:
            continue
        members.sort(key=lambda s: (kinds.index(s.kind), (s.name or "").casefold(), s.id))
        tiers.append(Tier(name=name, sites=tuple(members)))
    return tuple(tiers)


def render_html_report(
    findings: Sequence[Finding],
    scope: ReportScope,
    *,
    risk: Mapping[str, Any] | None = None,
    gaps: Sequence[DataGap] = (),
) -> str:
    """Render the due-diligence report as one HTML document (inline CSS, no external resources).

    ``risk`` is the risk engine's scored assessment as JSON-ready data (scores by subject with
    each finding's contribution, recommended responses and measures); ``gaps`` the checks the
    rules could not make. Every score and recommendation links to its finding."""
    ordered = sort_findings(findings)
    groups = [
        (severity, [f for f in ordered if f.severity is severity])
        for severity in reversed(Severity)
    ]
    by_code: dict[str, int] = {}
    for finding in ordered:
        by_code[finding.code.value] = by_code.get(finding.code.value, 0) + 1
    template = _environment().get_template(TEMPLATE_NAME)
    return template.render(
        scope=scope,
        findings=ordered,
        severity_groups=[(s, fs) for s, fs in groups if fs],
        severity_counts=[(s, len(fs)) for s, fs in groups],
        code_counts=sorted(by_code.items()),
        risk=risk,
        gaps=list(gaps),
    )


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("oresight.reports", "templates"),
        autoescape=True,
        # A misspelt variable must fail loudly rather than leave a silent gap in a report.
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["when"] = format_time
    env.filters["value"] = format_value
    env.filters["label"] = display_name
    env.globals["period"] = format_period
    env.globals["licence_validity"] = format_licence_validity
    env.globals["chart"] = _chart
    env.globals["map"] = _map
    env.globals["figures"] = evidence_figures
    return env


def _chart(finding: Finding) -> Markup:
    """The finding's time series as inline SVG; empty when its evidence holds none."""
    chart = finding_chart(finding)
    # chart_svg escapes every label and the unit itself, so its output is safe markup.
    return Markup(chart_svg(chart)) if chart else Markup("")


def _map(finding: Finding) -> Markup:
    """The finding's before/after maps as inline SVG; empty when its evidence holds none."""
    drawn = finding_map(finding)
    # map_svg escapes every label; the rest of it is numbers.
    return Markup(map_svg(drawn)) if drawn else Markup("")


__all__ = [
    "PROTECTED_AREAS_TIER",
    "ReportScope",
    "Tier",
    "render_html_report",
    "supply_chain_tiers",
]

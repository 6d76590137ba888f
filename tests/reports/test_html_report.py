"""The HTML due-diligence report and the supply-chain tiers it shows."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from html.parser import HTMLParser
from importlib import resources

import pytest

from oresight.core.findings import (
    Evidence,
    EvidenceKind,
    Finding,
    FindingCode,
    Period,
    Severity,
    Subject,
    SubjectType,
)
from oresight.core.sites import Licence, Site, SiteKind
from oresight.reports.html import ReportScope, Tier, render_html_report, supply_chain_tiers

GENERATED_AT = datetime(2024, 6, 1, 12, 30, tzinfo=UTC)


def _site(site_id: str, kind: SiteKind, name: str | None = None, **extra: object) -> Site:
    return Site.model_validate({"id": site_id, "kind": kind, "name": name, **extra})


SITES = (
    _site("site:smelter-1", SiteKind.SMELTER, "Smelter One", country="CN"),
    _site("site:pa-1", SiteKind.PROTECTED_AREA, "Kahuzi-Biega"),
    _site(
        "site:mine-b",
        SiteKind.MINE,
        "Mine B",
        country="CD",
        operator="ftm:op-1",
        minerals=["cobalt", "copper"],
        licence=Licence(number="PE 4711", valid_from=date(2019, 1, 1), valid_to=date(2029, 12, 31)),
    ),
    _site("site:asm-a", SiteKind.ARTISANAL_SITE, "Artisanal A", country="CD"),
    _site("site:mine-a", SiteKind.MINE, "mine A", country="CD"),
    _site("site:port-1", SiteKind.PORT, "Dar es Salaam", country="TZ"),
    _site("site:border-1", SiteKind.BORDER_POST, "Kasumbalesa", country="ZM"),
    _site("site:trader-1", SiteKind.TRADER, "Trader", country="CD"),
    _site("site:refiner-1", SiteKind.REFINER, "Refiner", country="FI"),
    _site("site:mine-a", SiteKind.MINE, "duplicate of mine A"),
)


def _finding(
    code: FindingCode, severity: Severity, subject_id: str, *, title: str = "Red flag"
) -> Finding:
    return Finding(
        code=code,
        subject=Subject(type=SubjectType.LOT, id=subject_id, label=f"Lot {subject_id}"),
        severity=severity,
        confidence=0.8,
        title=title,
        explanation=(
            f"Explanation of {code.value} for {subject_id}: 42.0 t shipped, 10.0 t possible."
        ),
        evidence=(
            Evidence(
                kind=EvidenceKind.EVENT,
                id=f"urn:uuid:ev-{subject_id}",
                note="Shipping event",
                data={"shipped_t": 42.0, "capacity_t": 10.0},
            ),
            Evidence(kind=EvidenceKind.SITE, id=f"site:for-{subject_id}"),
        ),
        rule=f"rule.{code.value.lower()}",
        rule_version="2.1",
        period=Period(start=datetime(2024, 1, 1, tzinfo=UTC), end=datetime(2024, 3, 1, tzinfo=UTC)),
    )


FINDINGS = (
    _finding(FindingCode.TRADE_ROUTE_SHIFT, Severity.LOW, "low-1"),
    _finding(FindingCode.CUSTODY_MASS_BALANCE, Severity.CRITICAL, "crit-1"),
    _finding(FindingCode.ORIGIN_CAHRA, Severity.MEDIUM, "med-1"),
    _finding(FindingCode.PARTY_SANCTIONED, Severity.HIGH, "high-1"),
    _finding(FindingCode.CUSTODY_BROKEN_CHAIN, Severity.HIGH, "high-2"),
)


def _scope(sites: tuple[Site, ...] = SITES) -> ReportScope:
    return ReportScope(
        title="Cobalt due diligence, Q1 2024",
        workspace="ws-cobalt",
        generated_at=GENERATED_AT,
        period_start=datetime(2024, 1, 1, tzinfo=UTC),
        period_end=datetime(2024, 3, 31, tzinfo=UTC),
        counts={"events": 120, "lots": 14, "sites": len(sites), "parties": 7},
        minerals=("cobalt", "copper"),
        tiers=supply_chain_tiers(sites),
        sources=("events-q1.jsonld", "sites.geojson"),
    )


class _Collector(HTMLParser):
    """Collects every attribute and checks that the document parses."""

    def __init__(self) -> None:
        super().__init__()
        self.attributes: list[tuple[str, str, str | None]] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes.extend((tag, name, value) for name, value in attrs)


def test_tiers_are_grouped_and_ordered() -> None:
    tiers = supply_chain_tiers(SITES)
    assert [t.name for t in tiers] == [
        "Extraction",
        "Trading",
        "Transit",
        "Smelting & refining",
        "Protected areas",
    ]
    extraction = tiers[0]
    # Kind order first (mines before artisanal sites), then name without regard to case.
    assert [s.id for s in extraction.sites] == ["site:mine-a", "site:mine-b", "site:asm-a"]
    assert extraction.sites[0].name == "mine A"
    assert [s.id for s in tiers[2].sites] == ["site:border-1", "site:port-1"]
    assert [s.id for s in tiers[3].sites] == ["site:smelter-1", "site:refiner-1"]
    assert supply_chain_tiers([]) == ()
    processing = supply_chain_tiers([_site("p", SiteKind.PROCESSING_FACILITY)])
    assert processing == (
        Tier(name="Processing", sites=(_site("p", SiteKind.PROCESSING_FACILITY),)),
    )


def test_report_groups_findings_by_severity_in_order() -> None:
    html = render_html_report(FINDINGS, _scope())
    positions = [html.index(f'id="severity-{s}"') for s in ("critical", "high", "medium", "low")]
    assert positions == sorted(positions)
    findings_section = html[html.index('id="findings"') :]
    order = [m.group(1) for m in re.finditer(r'<article class="finding[^"]*" id="([^"]+)"', html)]
    by_id = {f.id: f for f in FINDINGS}
    assert [by_id[i].subject.id for i in order] == ["crit-1", "high-2", "high-1", "med-1", "low-1"]
    for finding in FINDINGS:
        assert finding.explanation in findings_section
        for item in finding.evidence:
            assert item.id in findings_section
        assert finding.rule in findings_section
        assert finding.code.value in findings_section
    assert "version <code>2.1</code>" in html
    assert "42.0" in html
    assert "2024-01-01 00:00 UTC to 2024-03-01 00:00 UTC" in html


def test_report_shows_scope_and_summary() -> None:
    html = render_html_report(FINDINGS, _scope())
    assert "<title>Cobalt due diligence, Q1 2024</title>" in html
    for text in (
        "ws-cobalt",
        "120 events",
        "14 lots",
        "7 parties",
        "events-q1.jsonld",
        "sites.geojson",
        "cobalt, copper",
        "2024-01-01 00:00 UTC to 2024-03-31 00:00 UTC",
    ):
        assert text in html
    glance = html[html.index('class="glance"') : html.index('id="supply-chain"')]
    assert glance.count("<tr>") == len(FINDINGS) + 1
    assert '<span class="badge sev-critical">critical</span></div>' in html
    assert '<tr><td><code>CUSTODY.BROKEN_CHAIN</code></td><td class="num">1</td></tr>' in html


def test_report_renders_the_tiers() -> None:
    html = render_html_report(FINDINGS, _scope())
    chain = html[html.index('id="supply-chain"') : html.index('id="findings"')]
    headings = re.findall(r'<h3 class="tier">([^<]+)</h3>', chain)
    assert headings == [
        "Extraction",
        "Trading",
        "Transit",
        "Smelting &amp; refining",
        "Protected areas",
    ]
    for text in (
        "Mine B",
        "site:mine-b",
        "CD",
        "PE 4711",
        "2019-01-01 to 2029-12-31",
        "ftm:op-1",
        "artisanal site",
        "Kahuzi-Biega",
    ):
        assert text in chain


def test_report_escapes_everything() -> None:
    hostile = _finding(
        FindingCode.PARTY_SANCTIONED, Severity.HIGH, "x", title="<script>alert(1)</script>"
    )
    site = _site("site:<img src=x>", SiteKind.MINE, '"><b>bold</b>')
    html = render_html_report([hostile], _scope((site,)))
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img" not in html
    assert "<b>bold</b>" not in html


def test_report_is_self_contained() -> None:
    html = render_html_report(FINDINGS, _scope())
    parser = _Collector()
    parser.feed(html)
    parser.close()
    assert "script" not in parser.tags
    assert "img" not in parser.tags
    assert "style" in parser.tags
    for tag, name, value in parser.attributes:
        if name in {"src", "href", "srcset", "action", "data"}:
            assert value is not None and value.startswith("#"), f"<{tag} {name}={value!r}>"
    assert not re.search(r"(src|href)=\"?https?:", html)
    assert "@import" not in html
    assert "url(" not in html
    assert "@media print" in html


def test_empty_state() -> None:
    html = render_html_report([], _scope(()))
    assert 'id="no-findings"' in html
    assert "No findings." in html
    assert "not proof that the material is clean" in html
    assert "No sites are recorded" in html
    assert "severity-group" not in html
    assert 'class="glance"' not in html


@pytest.mark.parametrize("resource", ["templates/report.html.j2", "findings.schema.json"])
def test_package_data_ships(resource: str) -> None:
    assert resources.files("oresight.reports").joinpath(resource).is_file()

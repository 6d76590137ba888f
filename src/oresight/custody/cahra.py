"""ORIGIN.CAHRA: material that came from, or passed through, a conflict-affected or high-risk area.

Regulation (EU) 2017/821 and the OECD Due Diligence Guidance ask importers to find out whether
their minerals come from, or were transported through, conflict-affected and high-risk areas
(CAHRAs). Which areas count is a judgement that changes, so the list is data the user supplies and
updates (:class:`CahraList`, read by :func:`load_cahra_list`; format in docs/cahra.md). A small,
clearly labelled illustrative list ships with oresight; docs/cahra.md says how to load the
current EU indicative list instead.

The rule reads each lot's trail (:mod:`oresight.custody.lineage`): where it was extracted
(commissioning at an extraction site), processed (transformations that made or consumed it) and
handled on the way (shipping, receiving and the other movement steps). A site lies in a listed
area when:

* the entry has a polygon and the site's geometry intersects it; else
* the site's ``country`` is the entry's, and the entry is the whole country, or the site's
  ``subdivision`` property (ISO 3166-2) is the entry's code, or its ``subdivision_name`` property
  is the entry's area name.

Where the list names areas of a site's country but neither the site nor the entry says enough to
decide, the site is a data gap, never a pass. A list older than a set number of months is flagged
in every finding and as a gap: areas listed since then are not checked.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

from shapely.geometry.base import BaseGeometry

from oresight.core.collector import paused_gc
from oresight.core.custody import Action, CustodyEvent, EventType
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
from oresight.core.sites import Site
from oresight.custody.cahra_list import CahraEntry, CahraList, load_cahra_list
from oresight.custody.geodesy import to_shape
from oresight.custody.lineage import LotTrail, build_lineage, event_order
from oresight.custody.vocabulary import normalise_biz_step

__all__ = [
    "RULE",
    "RULE_VERSION",
    "CahraEntry",
    "CahraList",
    "CahraParams",
    "find_cahra_exposure",
    "load_cahra_list",
]

RULE = "origin.cahra"
RULE_VERSION = "1"
MAX_LISTED_DESCENDANTS = 20
SUBDIVISION_PROPERTY = "subdivision"
"""Site property holding the site's ISO 3166-2 subdivision code (``CD-NK``)."""
SUBDIVISION_NAME_PROPERTY = "subdivision_name"
"""Site property holding the name of the site's first-level administrative area."""


@dataclass(frozen=True)
class CahraParams:
    """Settings of the rule."""

    max_list_age_months: int = 12
    """A list older than this is flagged as out of date."""
    as_of: date | None = None
    """The day the assessment is made, to age the list; today when not given."""

    def __post_init__(self) -> None:
        if self.max_list_age_months < 0:
            message = f"must be zero or more, found {self.max_list_age_months}"
            raise InvalidInput(message, field="max_list_age_months")


@dataclass(frozen=True)
class _Match:
    entry: CahraEntry
    how: str
    """``country``, ``subdivision``, ``subdivision name`` or ``polygon``."""


@dataclass
class _Exposure:
    event: CustodyEvent
    role: str
    """``origin``, ``processing`` or ``transit``."""
    site: Site
    matches: list[_Match]


@dataclass
class _SiteMatcher:
    cahra: CahraList
    gaps: dict[str, DataGap] = field(default_factory=dict)
    _cache: dict[str, list[_Match]] = field(default_factory=dict)
    _shapes: dict[int, BaseGeometry] = field(default_factory=dict)

    def matches(self, site: Site) -> list[_Match]:
        if site.id not in self._cache:
            self._cache[site.id] = self._match(site)
        return self._cache[site.id]

    def all_clear(self, events: Iterable[CustodyEvent], sites: Mapping[str, Site]) -> bool:
        """Whether every event took place at a known site already found in no listed area:
        then the events expose nothing, and reading them would record nothing new."""
        for event in events:
            location = event.location()
            if location is None:
                continue
            site = sites.get(location)
            if site is None or self._cache.get(site.id, True):
                return False
        return True

    def unknown_location(self, location: str) -> None:
        why = (
            f"Location {location} is not a site of the workspace, so whether it lies in a listed "
            "area is unknown; add the site with its country (and subdivision)."
        )
        self._gap(location, None, "site record", why)

    def _match(self, site: Site) -> list[_Match]:
        found: list[_Match] = []
        undecided: list[CahraEntry] = []
        shape = to_shape(site.geometry) if site.geometry is not None else None
        code = _property(site, SUBDIVISION_PROPERTY)
        name = _property(site, SUBDIVISION_NAME_PROPERTY)
        for index, entry in enumerate(self.cahra.entries):
            if entry.geometry is not None and shape is not None:
                if self._shape(index, entry).intersects(shape):
                    found.append(_Match(entry, "polygon"))
                continue
            if site.country is None:
                undecided.append(entry)
            elif site.country != entry.country:
                continue
            elif entry.whole_country:
                found.append(_Match(entry, "country"))
            elif entry.subdivision is not None and code is not None:
                if code.upper() == entry.subdivision:
                    found.append(_Match(entry, "subdivision"))
            elif entry.area is not None and name is not None:
                if _folded(name) == _folded(entry.area):
                    found.append(_Match(entry, "subdivision name"))
            else:
                undecided.append(entry)
        if not found and undecided:
            self._undecided(site, undecided)
        return found

    def _shape(self, index: int, entry: CahraEntry) -> BaseGeometry:
        if index not in self._shapes:
            assert entry.geometry is not None
            self._shapes[index] = to_shape(entry.geometry)
        return self._shapes[index]

    def _undecided(self, site: Site, entries: list[CahraEntry]) -> None:
        listed = ", ".join(entry.describe() for entry in entries[:5])
        if site.country is None:
            missing = "site country"
            why = f"{site.label()} has no country, so it cannot be placed on the CAHRA list"
        else:
            missing = "site subdivision"
            why = (
                f"The CAHRA list names areas of {site.country} ({listed}) but {site.label()} has "
                f"no '{SUBDIVISION_PROPERTY}' or '{SUBDIVISION_NAME_PROPERTY}' property, and the "
                "entries no polygon its geometry could be tested against"
            )
        self._gap(site.id, site.name, missing, why + "; material there was not checked.")

    def _gap(self, site_id: str, label: str | None, missing: str, why: str) -> None:
        subject = Subject(type=SubjectType.SITE, id=site_id, label=label)
        gap = DataGap(rule=RULE, missing=missing, explanation=why, subject=subject)
        self.gaps.setdefault(f"{site_id}\x00{missing}", gap)


@paused_gc()  # builds and drops large structures: no collector passes meanwhile
def find_cahra_exposure(
    events: Iterable[CustodyEvent],
    *,
    sites: Mapping[str, Site],
    cahra: CahraList,
    params: CahraParams | None = None,
) -> RuleOutcome:
    """One finding per lot extracted, processed or handled at a site in a listed area."""
    params = params or CahraParams()
    as_of = params.as_of or date.today()
    age = cahra.age_months(as_of)
    stale = age > params.max_list_age_months
    lineage = build_lineage(events)
    matcher = _SiteMatcher(cahra)
    findings: list[Finding] = []
    for identifier in sorted(lineage.trails):
        trail = lineage.trails[identifier]
        exposures = _exposures(trail, sites, matcher)
        if exposures:
            descendants = lineage.descendants(identifier)
            findings.append(_finding(identifier, exposures, descendants, cahra, stale, as_of))
    gaps = list(matcher.gaps.values())
    if stale:
        gaps.append(
            DataGap(
                rule=RULE,
                missing="current CAHRA list",
                explanation=(
                    f"The CAHRA list '{cahra.name}' is dated {cahra.list_date.isoformat()}, "
                    f"{age} months before {as_of.isoformat()} (more than "
                    f"{params.max_list_age_months}); areas listed since are not checked. "
                    "Load the current list (docs/cahra.md)."
                ),
            )
        )
    return RuleOutcome(findings=tuple(findings), gaps=tuple(gaps))


def _exposures(
    trail: LotTrail, sites: Mapping[str, Site], matcher: _SiteMatcher
) -> list[_Exposure]:
    if matcher.all_clear((*trail.origins, *trail.movements, *trail.consumptions), sites):
        return []
    steps = [(event, _origin_role(event, sites)) for event in trail.origins]
    steps += [(event, "transit") for event in trail.movements]
    steps += [(event, "processing") for event in trail.consumptions]
    exposures: list[_Exposure] = []
    for event, role in sorted(steps, key=lambda step: event_order(step[0])):
        location = event.location()
        if location is None:
            continue
        site = sites.get(location)
        if site is None:
            matcher.unknown_location(location)
            continue
        matches = matcher.matches(site)
        if matches:
            exposures.append(_Exposure(event, role, site, matches))
    return exposures


def _origin_role(event: CustodyEvent, sites: Mapping[str, Site]) -> str:
    if event.type is EventType.TRANSFORMATION:
        return "processing"
    site = sites.get(event.location() or "")
    extraction = event.type is EventType.OBJECT and event.action is Action.ADD
    return "origin" if extraction and site is not None and site.is_extraction_site else "transit"


_ROLE_WORDS = {"origin": "extracted", "processing": "processed"}


def _finding(
    identifier: str,
    exposures: list[_Exposure],
    descendants: list[str],
    cahra: CahraList,
    stale: bool,
    as_of: date,
) -> Finding:
    origin = any(exposure.role == "origin" for exposure in exposures)
    sentences = []
    for exposure in exposures[:5]:
        step = _ROLE_WORDS.get(exposure.role)
        if step is None:
            step = f"handled ({normalise_biz_step(exposure.event.biz_step) or 'moved'})"
        areas = "; ".join(match.entry.describe() for match in exposure.matches)
        day = exposure.event.event_time.date().isoformat()
        sentences.append(f"{step} at {exposure.site.label()} on {day}, in {areas}")
    more = f" (and {len(exposures) - 5} more)" if len(exposures) > 5 else ""
    explanation = (
        f"Lot {identifier} was " + "; ".join(sentences) + f"{more}. These areas are on the CAHRA "
        f"list '{cahra.name}' dated {cahra.list_date.isoformat()}."
    )
    confidence = 0.85
    if any(m.how == "subdivision name" for e in exposures for m in e.matches):
        confidence = 0.75
    if cahra.illustrative:
        explanation += (
            " That list is an illustrative default, not an official list: load the current EU "
            "indicative list (docs/cahra.md)."
        )
        confidence = min(confidence, 0.6)
    if stale:
        explanation += (
            f" The list is {cahra.age_months(as_of)} months old on {as_of.isoformat()}: check "
            "that the areas are still listed, and areas listed since."
        )
        confidence = min(confidence, 0.7)
    evidence = _evidence(exposures, cahra, stale)
    if descendants:
        explanation += f" {len(descendants)} downstream lot(s) were made from it."
        evidence.extend(
            Evidence(kind=EvidenceKind.LOT, id=lot, note="made from the exposed lot")
            for lot in descendants[:MAX_LISTED_DESCENDANTS]
        )
    where = "extracted in" if origin else "passed through"
    return Finding(
        code=FindingCode.ORIGIN_CAHRA,
        subject=Subject(type=SubjectType.LOT, id=identifier),
        severity=Severity.HIGH if origin else Severity.MEDIUM,
        confidence=confidence,
        title=f"Lot {where} a conflict-affected or high-risk area",
        explanation=explanation,
        evidence=tuple(evidence),
        rule=RULE,
        rule_version=RULE_VERSION,
        period=Period(start=exposures[0].event.event_time, end=exposures[-1].event.event_time),
    )


def _evidence(exposures: list[_Exposure], cahra: CahraList, stale: bool) -> list[Evidence]:
    events: dict[str, Evidence] = {}
    sites: dict[str, Evidence] = {}
    entries: dict[str, Evidence] = {}
    for exposure in exposures:
        event, site = exposure.event, exposure.site
        data: dict[str, object] = {
            "event_time": event.event_time.isoformat(),
            "role": exposure.role,
            "biz_step": normalise_biz_step(event.biz_step),
            "location": site.id,
        }
        note = f"{exposure.role} in a listed area"
        events.setdefault(
            event.event_id,
            Evidence(kind=EvidenceKind.EVENT, id=event.event_id, note=note, data=data),
        )
        site_data: dict[str, object] = {
            "name": site.name,
            "kind": site.kind.value,
            "country": site.country,
            SUBDIVISION_PROPERTY: _property(site, SUBDIVISION_PROPERTY),
            SUBDIVISION_NAME_PROPERTY: _property(site, SUBDIVISION_NAME_PROPERTY),
        }
        sites.setdefault(
            site.id,
            Evidence(
                kind=EvidenceKind.SITE, id=site.id, note="site in a listed area", data=site_data
            ),
        )
        for match in exposure.matches:
            entry = match.entry
            entry_data: dict[str, object] = {
                "list": cahra.name,
                "list_date": cahra.list_date.isoformat(),
                "list_source": cahra.source,
                "illustrative_list": cahra.illustrative,
                "list_out_of_date": stale,
                "country": entry.country,
                "subdivision": entry.subdivision,
                "area": entry.area,
                "reason": entry.reason,
                "matched_by": match.how,
                "site": site.id,
            }
            entry_id = f"{cahra.name}#{entry.key}"
            entries.setdefault(
                entry_id,
                Evidence(
                    kind=EvidenceKind.LIST_ENTRY,
                    id=entry_id,
                    note="CAHRA list entry",
                    data=entry_data,
                ),
            )
    return [*events.values(), *sites.values(), *entries.values()]


def _property(site: Site, name: str) -> str | None:
    value = site.properties.get(name)
    return (value.strip() or None) if isinstance(value, str) else None


def _folded(text: str) -> str:
    stripped = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return " ".join(stripped.replace("-", " ").lower().split())


def sites_in_listed_areas(sites: Iterable[Site], cahra: CahraList) -> dict[str, str]:
    """The sites that lie in an area of the list: site id → the areas, described (how each
    was matched: country, subdivision, polygon)."""
    matcher = _SiteMatcher(cahra)
    found: dict[str, str] = {}
    for site in sites:
        matches = matcher.matches(site)
        if matches:
            found[site.id] = "; ".join(f"{m.entry.describe()} (by {m.how})" for m in matches)
    return found

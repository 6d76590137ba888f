"""The context findings of the answer key: lots that passed through a listed CAHRA.

Whether a place is a conflict-affected or high-risk area is not for the demo to decide: it takes
the list the assessment uses (oresight's bundled illustrative list by default) and the ISO 3166-2
subdivision of each demo site, and expects ORIGIN.CAHRA on every lot extracted, processed or
handled at a site in a listed area. That is right even for a clean lot: sourcing from such an
area calls for enhanced due diligence, and is not itself a sign of wrongdoing.
"""

from __future__ import annotations

from collections.abc import Iterable

from shapely.geometry import shape

from oresight.core.findings import FindingCode, SubjectType
from oresight.custody.cahra_list import CahraEntry, CahraList
from oresight.sim.epcis_builder import Sighting
from oresight.sim.manifest import ExpectedKind, PlantedProblem
from oresight.sim.world import PARTY_BY_KEY, SITE_BY_KEY, SiteSpec
from oresight.sim.world_files import site_geometry
from oresight.sim.world_parties import RELATIONS


def listed_areas(site: SiteSpec, listing: CahraList) -> list[CahraEntry]:
    """The entries of ``listing`` that place ``site`` in a listed area.

    An entry with a polygon is matched against the site's geometry; else the whole country, or
    the site's subdivision code, must be the entry's.
    """
    found = []
    for entry in listing.entries:
        if entry.geometry is not None:
            if shape(entry.geometry).intersects(shape(site_geometry(site))):
                found.append(entry)
        elif entry.country == site.country and (
            entry.whole_country or entry.subdivision == site.subdivision
        ):
            found.append(entry)
    return found


def cahra_context(sightings: Iterable[Sighting], listing: CahraList) -> list[PlantedProblem]:
    """One expected ORIGIN.CAHRA finding per lot seen at a site in a listed area, by lot."""
    areas: dict[str, list[CahraEntry]] = {}
    seen: dict[str, dict[str, None]] = {}
    for sighting in sightings:
        if sighting.site not in areas:
            areas[sighting.site] = listed_areas(SITE_BY_KEY[sighting.site], listing)
        if areas[sighting.site]:
            for identifier in sighting.identifiers:
                seen.setdefault(identifier, {})[sighting.site] = None
    context = []
    for identifier in sorted(seen):
        sites = [SITE_BY_KEY[key] for key in seen[identifier]]
        entries = {entry.key: entry for site in sites for entry in areas[site.key]}
        context.append(
            PlantedProblem(
                code=FindingCode.ORIGIN_CAHRA.value,
                subject_type=SubjectType.LOT.value,
                subject_id=identifier,
                kind=ExpectedKind.CONTEXT,
                description=(
                    f"Lot {identifier} was at {'; '.join(site.name for site in sites)}, in "
                    f"{', '.join(entry.describe() for entry in entries.values())}, on the CAHRA "
                    f"list '{listing.name}'. Sourcing from or through there calls for enhanced "
                    "due diligence; it is not itself a sign of wrongdoing."
                ),
            )
        )
    return context


def interest_context(listing: CahraList) -> list[PlantedProblem]:
    """One expected PARTY.RED_FLAG_LOCATION_INTEREST per party holding shares in a party that
    operates a site in a listed area (an OECD supplier red flag, not wrongdoing)."""
    operators = {
        site.operator
        for site in SITE_BY_KEY.values()
        if site.operator and listed_areas(site, listing)
    }
    stakes: dict[str, list[str]] = {}
    for relation in RELATIONS:
        if relation.schema == "Ownership" and relation.target in operators:
            share = dict(relation.properties).get("percentage", "an unknown share")
            held = PARTY_BY_KEY[relation.target].name
            stakes.setdefault(relation.source, []).append(f"{share} % of {held}")
    return [
        PlantedProblem(
            code=FindingCode.PARTY_RED_FLAG_LOCATION_INTEREST.value,
            subject_type=SubjectType.PARTY.value,
            subject_id=PARTY_BY_KEY[holder].id,
            description=f"{PARTY_BY_KEY[holder].name} holds {', '.join(held)}, which operates "
            "a site in a listed area.",
            kind=ExpectedKind.CONTEXT,
        )
        for holder, held in sorted(stakes.items())
    ]

"""The places and parties of the demo world, as data, and the identifiers they go by.

Geography is realistic (the DRC Copperbelt, the Kivus, the Great Lakes corridor, Burundi, Asian
and European processors); every company, cooperative and person is FICTITIOUS. Any resemblance of
a name to a real party is unintended. The world does not depend on the seed: only lots,
quantities, times and event ids do. The tables are in :mod:`oresight.sim.world_parties` and
:mod:`oresight.sim.world_sites`.
"""

from __future__ import annotations

from oresight.sim.world_parties import PARTIES, RELATIONS
from oresight.sim.world_sites import SITES
from oresight.sim.world_specs import (
    FICTITIOUS_NOTE,
    KM_PER_DEGREE_LAT,
    KM_PER_DEGREE_LON_AT_EQUATOR,
    SITE_BASE,
    PartySpec,
    RelationSpec,
    SiteSpec,
    offset_lonlat,
)

__all__ = [
    "EU_SUMMER_TIME",
    "FICTITIOUS_NOTE",
    "KM_PER_DEGREE_LAT",
    "KM_PER_DEGREE_LON_AT_EQUATOR",
    "PARTIES",
    "PARTY_BY_KEY",
    "RELATIONS",
    "SITES",
    "SITE_BY_KEY",
    "UTC_OFFSET_HOURS",
    "PartySpec",
    "RelationSpec",
    "SiteSpec",
    "gs1_check_digit",
    "offset_lonlat",
    "party_gln",
    "site_id",
]

PARTY_BY_KEY: dict[str, PartySpec] = {p.key: p for p in PARTIES}
SITE_BY_KEY: dict[str, SiteSpec] = {s.key: s for s in SITES}


def gs1_check_digit(digits: str) -> str:
    """The GS1 mod-10 check digit of a key's leading digits (GLN, SSCC, GTIN)."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits)))
    return str((10 - total % 10) % 10)


def party_gln(party: PartySpec) -> str:
    """The 13-digit GLN of a party's head office (location reference 00000)."""
    base = (party.gs1_prefix or "6170000") + "00000"
    return base + gs1_check_digit(base)


def site_id(site: SiteSpec) -> str:
    """The site's URI: an SGLN where the operator has a GS1 prefix, else an oresight site URI."""
    if site.gln_location is not None and site.operator is not None:
        prefix = PARTY_BY_KEY[site.operator].gs1_prefix
        if prefix is not None:
            return f"urn:epc:id:sgln:{prefix}.{site.gln_location}.0"
    return SITE_BASE + site.key


UTC_OFFSET_HOURS: dict[str, int] = {
    "CD": 2, "ZM": 2, "RW": 2, "BI": 2, "TZ": 3, "CN": 8, "MY": 8, "KR": 9, "HU": 1,
}  # fmt: skip
"""Standard offsets; eastern DRC (Lubumbashi, Goma, Bukavu) keeps Central Africa Time."""

EU_SUMMER_TIME = frozenset({"HU"})

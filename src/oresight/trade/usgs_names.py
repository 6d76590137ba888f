"""How the USGS Mineral Commodity Summaries name countries and commodities, and oresight's names.

USGS writes country names its own way ("Congo (Kinshasa)", "Burma", "Korea, North"), glues footnote
marks to them ("New Caledonia11", "Russiae" where the superscript "e" means *estimated*), and adds
qualifiers ("Kazakhstan, concentrate", "Russia (recoverable)"). This module turns such a cell into a
clean name, an ISO 3166-1 alpha-3 code and a row kind. ISO codes come from pycountry; the table
below only holds the spellings pycountry does not know.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pycountry

from oresight.core.minerals import Mineral

USGS_COUNTRY_ISO3: dict[str, str] = {
    "burma": "MMR",
    "congo (brazzaville)": "COG",
    "congo (kinshasa)": "COD",
    "korea, north": "PRK",
    "korea, republic of": "KOR",
    "korea, south": "KOR",
    "russia": "RUS",
    "turkey": "TUR",
    "türkiye": "TUR",
    "iran": "IRN",
    "laos": "LAO",
    "vietnam": "VNM",
    "bolivia": "BOL",
    "tanzania": "TZA",
    "syria": "SYR",
    "moldova": "MDA",
    "venezuela": "VEN",
    "united states": "USA",
    "united kingdom": "GBR",
    "czech republic": "CZE",
    "côte d'ivoire": "CIV",
    "ivory coast": "CIV",
    "macedonia": "MKD",
    "north macedonia": "MKD",
    "swaziland": "SWZ",
    "eswatini": "SWZ",
}
"""USGS spellings (lower case, straight apostrophe) that pycountry's lookup does not resolve."""

QUALIFIER_SUFFIXES: tuple[str, ...] = (", concentrate", " (recoverable)")
"""Qualifiers USGS appends to a country to say what was measured; the country is the part before."""

WORLD_PREFIX = "world total"
OTHER_NAMES: frozenset[str] = frozenset({"other countries", "other"})

ESTIMATE_FOOTNOTE = "e"
"""USGS's superscript after a country whose figures are estimated, flattened onto the name."""

_FOOTNOTE_DIGITS = re.compile(r"^(?P<name>.*?[^\d\s])\s*\d{1,2}$")

USGS_COMMODITY_CODES: dict[str, str] = {
    "antim": "antimony",
    "cobal": "cobalt",
    "coppe": "copper",
    "galli": "gallium",
    "germa": "germanium",
    "gold": "gold",
    "graph": "graphite",
    "lithi": "lithium",
    "manga": "manganese",
    "nicke": "nickel",
    "niobi": "niobium",
    "plati": "platinum_group_metals",
    "raree": "rare_earths",
    "tanta": "tantalum",
    "tin": "tin",
    "tungs": "tungsten",
}
"""The five-letter (or shorter) commodity code in MCS file names -> oresight's commodity name."""


def commodity_mineral(commodity: str) -> str:
    """The oresight mineral name of a USGS commodity, or the commodity itself when it is not one."""
    try:
        return Mineral(commodity).value
    except ValueError:
        return commodity


@dataclass(frozen=True, slots=True)
class ResolvedCountry:
    """A USGS country cell made sense of."""

    name: str
    """As USGS writes it, with footnote marks and stray spaces removed."""
    iso3: str | None
    kind: str
    """``country``, ``world`` or ``other``."""
    estimated: bool
    """True when an "e" footnote marked the row as estimated."""


def clean_text(cell: str) -> str:
    """Collapse non-breaking and repeated spaces, which USGS cells contain, and trim."""
    return " ".join(cell.replace("\u00a0", " ").split())


def _iso3_of(name: str) -> str | None:
    key = name.lower().replace("\u2019", "'")
    for suffix in QUALIFIER_SUFFIXES:
        if key.endswith(suffix):
            key = key[: -len(suffix)]
    if key in USGS_COUNTRY_ISO3:
        return USGS_COUNTRY_ISO3[key]
    try:
        return str(pycountry.countries.lookup(key).alpha_3)
    except LookupError:
        return None


def _group_kind(name: str) -> str | None:
    key = name.lower()
    if key.startswith(WORLD_PREFIX):
        return "world"
    if key in OTHER_NAMES:
        return "other"
    return None


def resolve_country(cell: str) -> ResolvedCountry | None:
    """Resolve a Country cell; None when it names neither a known country nor a known group row.

    Footnote digits are always dropped (no country name ends in a digit). A trailing "e" is dropped
    only when the name does not resolve with it and does without it, so "Zimbabwe" stays whole
    while "Japane" becomes Japan, estimated.
    """
    name = clean_text(cell)
    match = _FOOTNOTE_DIGITS.match(name)
    if match is not None:
        name = match.group("name")
    for candidate, estimated in ((name, False), (name[:-1], True)):
        if estimated and not name.endswith(ESTIMATE_FOOTNOTE):
            break
        kind = _group_kind(candidate)
        if kind is not None:
            return ResolvedCountry(candidate, None, kind, estimated)
        iso3 = _iso3_of(candidate)
        if iso3 is not None:
            return ResolvedCountry(candidate, iso3, "country", estimated)
    return None

"""The critical minerals oresight follows, with the Harmonized System codes of their trade forms.

HS codes are HS 2022 six-digit subheadings (World Customs Organization nomenclature). Each mineral
lists the subheadings of its ores and concentrates, intermediates, refined metal and chemicals, so
that trade data and custody data can be joined on them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Mineral(StrEnum):
    """A critical mineral, named as in the ``ore:mineral`` EPCIS extension (lower case)."""

    COBALT = "cobalt"
    LITHIUM = "lithium"
    NICKEL = "nickel"
    GRAPHITE = "graphite"
    COPPER = "copper"
    TIN = "tin"
    TANTALUM = "tantalum"
    TUNGSTEN = "tungsten"
    GOLD = "gold"
    RARE_EARTHS = "rare_earths"


class MaterialForm(StrEnum):
    """How far along the chain a lot of mineral material is (``ore:form``)."""

    ORE = "ore"
    CONCENTRATE = "concentrate"
    HYDROXIDE = "hydroxide"
    INTERMEDIATE = "intermediate"
    METAL = "metal"
    COMPOUND = "compound"
    SCRAP = "scrap"


@dataclass(frozen=True, slots=True)
class MineralInfo:
    """Reference facts about one mineral."""

    mineral: Mineral
    element: str
    label: str
    hs_codes: dict[str, str]
    """HS 2022 subheading -> what it covers."""


MINERALS: dict[Mineral, MineralInfo] = {
    info.mineral: info
    for info in (
        MineralInfo(
            Mineral.COBALT,
            "Co",
            "Cobalt",
            {
                "260500": "Cobalt ores and concentrates",
                "282200": "Cobalt oxides and hydroxides; commercial cobalt oxides",
                "810520": "Cobalt mattes, other intermediates; unwrought cobalt; powders",
                "810530": "Cobalt waste and scrap",
                "810590": "Cobalt articles, other",
            },
        ),
        MineralInfo(
            Mineral.LITHIUM,
            "Li",
            "Lithium",
            {
                "253090": "Mineral substances n.e.s. (includes spodumene concentrate)",
                "282520": "Lithium oxide and hydroxide",
                "283691": "Lithium carbonates",
            },
        ),
        MineralInfo(
            Mineral.NICKEL,
            "Ni",
            "Nickel",
            {
                "260400": "Nickel ores and concentrates",
                "750110": "Nickel mattes",
                "750120": "Nickel oxide sinters and other intermediate products",
                "750210": "Unwrought nickel, not alloyed",
                "282540": "Nickel oxides and hydroxides",
                "283324": "Nickel sulphates",
            },
        ),
        MineralInfo(
            Mineral.GRAPHITE,
            "C",
            "Natural graphite",
            {
                "250410": "Natural graphite in powder or in flakes",
                "250490": "Natural graphite, other",
            },
        ),
        MineralInfo(
            Mineral.COPPER,
            "Cu",
            "Copper",
            {
                "260300": "Copper ores and concentrates",
                "740200": "Unrefined copper; copper anodes for electrolytic refining",
                "740311": "Refined copper cathodes and sections of cathodes",
                "740400": "Copper waste and scrap",
            },
        ),
        MineralInfo(
            Mineral.TIN,
            "Sn",
            "Tin",
            {
                "260900": "Tin ores and concentrates (cassiterite)",
                "800110": "Unwrought tin, not alloyed",
                "800120": "Unwrought tin alloys",
                "800200": "Tin waste and scrap",
            },
        ),
        MineralInfo(
            Mineral.TANTALUM,
            "Ta",
            "Tantalum",
            {
                "261590": "Niobium, tantalum or vanadium ores and concentrates (coltan)",
                "810320": "Unwrought tantalum; powders",
                "810330": "Tantalum waste and scrap",
            },
        ),
        MineralInfo(
            Mineral.TUNGSTEN,
            "W",
            "Tungsten",
            {
                "261100": "Tungsten ores and concentrates (wolframite)",
                "810110": "Tungsten powders",
                "810194": "Unwrought tungsten",
            },
        ),
        MineralInfo(
            Mineral.GOLD,
            "Au",
            "Gold",
            {
                "261690": "Precious-metal ores and concentrates other than silver",
                "710812": "Gold, non-monetary, unwrought",
                "710813": "Gold, non-monetary, semi-manufactured",
            },
        ),
        MineralInfo(
            Mineral.RARE_EARTHS,
            "REE",
            "Rare earths",
            {
                "280530": "Rare-earth metals, scandium and yttrium",
                "284610": "Cerium compounds",
                "284690": "Other compounds of rare-earth metals, yttrium or scandium",
            },
        ),
    )
}


def parse_mineral(value: str) -> Mineral:
    """Return the mineral named by ``value`` (case-insensitive; ``rare earths`` accepted).

    Raises ValueError listing the accepted names when ``value`` names none.
    """
    key = value.strip().lower().replace(" ", "_").replace("-", "_")
    if key == "natural_graphite":
        key = "graphite"
    try:
        return Mineral(key)
    except ValueError:
        accepted = ", ".join(m.value for m in Mineral)
        raise ValueError(f"unknown mineral {value!r}; expected one of {accepted}") from None

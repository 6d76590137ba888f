"""The places and parties of the demo world, as data.

Geography is realistic (the DRC Copperbelt, the Kivus, the Great Lakes corridor, Asian and European
processors); every company, cooperative and person is FICTITIOUS. Any resemblance of a name to a
real party is unintended. The world does not depend on the seed: only lots, quantities, times and
event ids do.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

FICTITIOUS_NOTE = "Fictitious party of the oresight demo world; not a real company or person."
SITE_BASE = "https://id.oresight.example/site/"

KM_PER_DEGREE_LAT = 110.574
KM_PER_DEGREE_LON_AT_EQUATOR = 111.320


@dataclass(frozen=True)
class PartySpec:
    """An FtM entity of the demo world (Company, Organization or Person)."""

    key: str
    schema: str
    name: str
    country: str
    gs1_prefix: str | None = None
    """GS1 company prefix (7 digits) under which the party labels its lots and sites."""
    extra: tuple[tuple[str, str], ...] = ()

    @property
    def id(self) -> str:
        """The FtM entity id (FtM ids allow letters, digits, dots and hyphens only)."""
        return f"demo-{self.key}"


@dataclass(frozen=True)
class RelationSpec:
    """An FtM relationship entity (Ownership or Directorship) between two parties."""

    key: str
    schema: str
    source: str
    target: str
    properties: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class SiteSpec:
    """A place of the demo world; a Point unless it has an outline (a licensed area)."""

    key: str
    name: str
    kind: str
    country: str
    lon: float
    lat: float
    tier: str
    """Which event document the site's own events go to (``extraction``, ``trading``...)."""
    operator: str | None = None
    minerals: tuple[str, ...] = ()
    licence: tuple[str, str, str] | None = None
    """(number, valid_from, valid_to) as ISO dates."""
    capacity: tuple[float, str] | None = None
    rmi_smelter_id: str | None = None
    gln_location: str | None = None
    """5-digit GS1 location reference: the site id is then an SGLN under the operator's prefix."""
    outline_km: tuple[tuple[float, float], ...] = ()
    """Polygon vertices as (east, north) km offsets from (lon, lat), counter-clockwise."""
    extra: dict[str, Any] = field(default_factory=dict)


def _p(
    key: str, schema: str, name: str, country: str, prefix: str | None = None, **extra: str
) -> PartySpec:
    return PartySpec(key, schema, name, country, prefix, tuple(sorted(extra.items())))


# Tables of data read better one row per line than exploded by the formatter.
# fmt: off
PARTIES: tuple[PartySpec, ...] = (
    # Cobalt, DRC Copperbelt.
    _p("kanyama-mining", "Company", "Kanyama Mining SA", "cd", "6170101",
       registrationNumber="CD/KZI/RCCM/12-B-0417", sector="Copper and cobalt mining"),
    _p("lupoto-cobalt", "Company", "Lupoto Cobalt SARL", "cd", "6170102",
       registrationNumber="CD/LSH/RCCM/09-B-1288", sector="Copper and cobalt mining"),
    _p("mwilu-resources", "Company", "Mwilu Resources SAS", "cd", "6170103",
       registrationNumber="CD/KZI/RCCM/17-B-0093", sector="Copper and cobalt mining"),
    _p("comika", "Organization", "Coopérative minière artisanale de Kasanza (COMIKA)", "cd",
       "6170201"),
    _p("cocremu", "Organization", "Coopérative des creuseurs de Mukoma (COCREMU)", "cd", "6170202"),
    _p("coalw", "Organization", "Coopérative artisanale de Lwilu (COALW)", "cd", "6170203"),
    _p("lualaba-negoce", "Company", "Maison d'Achat Lualaba Négoce SARL", "cd", "6170301",
       sector="Mineral trading (comptoir)"),
    _p("likasi-minerais", "Company", "Likasi Minerais Négoce SARL", "cd", "6170302",
       sector="Mineral trading (comptoir)"),
    _p("kolwezi-hydromet", "Company", "Kolwezi Hydromet SAS", "cd", "6170401",
       sector="Cobalt hydroxide production"),
    _p("lualaba-express", "Company", "Lualaba Express Transports SARL", "cd",
       sector="Road haulage"),
    _p("copperbelt-freight", "Company", "Copperbelt Corridor Freight Ltd", "zm",
       sector="Cross-border road haulage"),
    _p("msasani-terminal", "Company", "Msasani Bulk Terminal Ltd", "tz", "6200501",
       sector="Port terminal operation"),
    _p("indigo-lines", "Company", "Indigo Ocean Lines Pte. Ltd.", "sg", "8880901",
       sector="Container shipping"),
    _p("qiantang-cobalt", "Company", "Qiantang Cobalt Materials Co., Ltd.", "cn", "6930601",
       sector="Cobalt refining"),
    _p("hanbit-cathode", "Company", "Hanbit Cathode Materials Co., Ltd.", "kr", "8800701",
       sector="Cathode active materials"),
    _p("pannonia-cells", "Company", "Pannonia Cell Works Kft.", "hu", "5990801",
       sector="Battery cell manufacturing"),
    _p("haut-plateau", "Company", "Haut-Plateau Holdings Ltd", "mu", sector="Holding company"),
    _p("p-ilunga", "Person", "Patrice Ilunga Kasongwe", "cd"),
    _p("p-mwamba", "Person", "Aline Mwamba Tshikala", "cd"),
    # Tin and tantalum, the Kivus and the Great Lakes corridor.
    _p("comikan", "Organization", "Coopérative minière de Kalehe-Nord (COMIKAN)", "cd", "6171201"),
    _p("coeming", "Organization", "Coopérative des exploitants miniers de Ngungu (COEMING)", "cd",
       "6171202"),
    _p("comikal", "Organization", "Coopérative minière de Kalungu (COMIKAL)", "cd", "6171203"),
    _p("lac-kivu-comptoir", "Company", "Comptoir Minier du Lac Kivu SARL", "cd", "6171301",
       sector="Mineral trading (comptoir)"),
    _p("grands-lacs-minerais", "Company", "Grands Lacs Minerais SARL", "cd", "6171302",
       sector="Mineral trading (comptoir)"),
    _p("kivu-haulage", "Company", "Kivu Lakeside Haulage SARL", "cd", sector="Road haulage"),
    _p("nyabarongo-minerals", "Company", "Nyabarongo Minerals Trading Ltd", "rw", "6191401",
       sector="Mineral export"),
    _p("gishushu-freight", "Company", "Gishushu Freight Ltd", "rw", sector="Road haulage"),
    _p("perai-tin", "Company", "Perai Tin Works Sdn. Bhd.", "my", "9551501", sector="Tin smelting"),
    _p("lushan-rare-metals", "Company", "Lushan Rare Metals Co., Ltd.", "cn", "6931601",
       sector="Tantalum and niobium refining"),
    _p("p-bahati", "Person", "Emmanuel Bahati Mugisha", "cd"),
    _p("p-habimana", "Person", "Jean-Baptiste Habimana Ruzindana", "rw"),
)

RELATIONS: tuple[RelationSpec, ...] = (
    RelationSpec("own-hp-kanyama", "Ownership", "haut-plateau", "kanyama-mining",
                 (("percentage", "80"), ("startDate", "2016-09-01"))),
    RelationSpec("own-hp-lualaba-negoce", "Ownership", "haut-plateau", "lualaba-negoce",
                 (("percentage", "100"), ("startDate", "2021-02-15"))),
    RelationSpec("dir-ilunga-lualaba-negoce", "Directorship", "p-ilunga", "lualaba-negoce",
                 (("role", "Gérant"), ("startDate", "2021-02-15"))),
    RelationSpec("dir-mwamba-hydromet", "Directorship", "p-mwamba", "kolwezi-hydromet",
                 (("role", "Directrice générale"), ("startDate", "2019-06-01"))),
    RelationSpec("own-nyabarongo-grands-lacs", "Ownership", "nyabarongo-minerals",
                 "grands-lacs-minerais", (("percentage", "40"), ("startDate", "2022-11-03"))),
    RelationSpec("dir-habimana-nyabarongo", "Directorship", "p-habimana", "nyabarongo-minerals",
                 (("role", "Managing director"), ("startDate", "2020-04-20"))),
    RelationSpec("dir-habimana-grands-lacs", "Directorship", "p-habimana", "grands-lacs-minerais",
                 (("role", "Board member"), ("startDate", "2023-01-10"))),
)
# fmt: on

# An irregular outline, scaled per area, so that licensed areas do not all look like squares.
_SHAPE = (
    (1.0, 0.0), (0.7, 0.8), (-0.1, 1.0), (-0.9, 0.6), (-1.0, -0.3), (-0.4, -0.9), (0.6, -0.8),
)  # fmt: skip


def _outline(radius_km: float) -> tuple[tuple[float, float], ...]:
    return tuple((x * radius_km, y * radius_km) for x, y in _SHAPE)


def offset_lonlat(lon: float, lat: float, east_km: float, north_km: float) -> tuple[float, float]:
    """The point ``east_km``/``north_km`` away from (lon, lat), rounded to 6 decimals (~0.1 m)."""
    dlat = north_km / KM_PER_DEGREE_LAT
    dlon = east_km / (KM_PER_DEGREE_LON_AT_EQUATOR * math.cos(math.radians(lat)))
    return round(lon + dlon, 6), round(lat + dlat, 6)


def _area(
    key: str,
    name: str,
    lon: float,
    lat: float,
    operator: str,
    minerals: tuple[str, ...],
    licence: tuple[str, str, str],
    radius_km: float,
    **extra: Any,
) -> SiteSpec:
    return SiteSpec(key, name, "concession", "CD", lon, lat, "extraction", operator, minerals,
                    licence, outline_km=_outline(radius_km), extra=extra)  # fmt: skip


def _in_area(
    key: str,
    name: str,
    kind: str,
    area: SiteSpec,
    at_km: tuple[float, float],
    operator: str,
    minerals: tuple[str, ...],
    licence: tuple[str, str, str],
    capacity: tuple[float, str],
    **extra: Any,
) -> SiteSpec:
    lon, lat = offset_lonlat(area.lon, area.lat, *at_km)
    return SiteSpec(key, name, kind, area.country, lon, lat, "extraction", operator, minerals,
                    licence, capacity, extra=extra)  # fmt: skip


_CO_CU = ("cobalt", "copper")
_PE_4960 = ("PE 4960", "2012-03-01", "2042-02-28")
_PE_13021 = ("PE 13021", "2010-07-15", "2040-07-14")
_PE_11747 = ("PE 11747", "2017-11-20", "2047-11-19")
_ZEA_NGUNGU = ("ZEA-NK-0233", "2022-03-01", "2027-02-28")

# fmt: off
_C1 = _area("c-kanyama", "Kanyama Hill concession (PE 4960)", 25.36, -10.77, "kanyama-mining",
            _CO_CU, _PE_4960, 4.5)
_C2 = _area("c-lupoto", "Lupoto concession (PE 13021)", 26.62, -10.93, "lupoto-cobalt", _CO_CU,
            _PE_13021, 4.0)
_C3 = _area("c-mwilu", "Mwilu West concession (PE 11747)", 25.80, -10.62, "mwilu-resources",
            _CO_CU, _PE_11747, 3.5)
_ZEA1 = _area("zea-kasanza", "ZEA Kasanza", 25.53, -10.80, "comika", ("cobalt",),
              ("ZEA-LU-0142", "2021-06-01", "2026-05-31"), 2.5, zone_type="ZEA")
_ZEA2 = _area("zea-mukoma", "ZEA Mukoma", 26.80, -10.90, "cocremu", ("cobalt",),
              ("ZEA-HK-0087", "2022-01-15", "2027-01-14"), 2.5, zone_type="ZEA")
_K1 = _area("zea-kalehe", "ZEA Kalehe-Nord", 28.90, -2.07, "comikan", ("tin", "tantalum"),
            ("ZEA-SK-0311", "2020-09-01", "2030-08-31"), 3.0, zone_type="ZEA")
_K2 = _area("zea-ngungu", "ZEA Ngungu", 29.00, -1.58, "coeming", ("tantalum", "tin"),
            _ZEA_NGUNGU, 3.5, zone_type="ZEA")

SITES: tuple[SiteSpec, ...] = (
    _C1, _C2, _C3, _ZEA1, _ZEA2, _K1, _K2,
    _in_area("m-kanyama", "Kanyama Hill open pit", "mine", _C1, (0.8, -0.6), "kanyama-mining",
             _CO_CU, _PE_4960, (2_400_000, "ore")),
    _in_area("m-lupoto", "Lupoto open pit", "mine", _C2, (-1.0, 0.5), "lupoto-cobalt", _CO_CU,
             _PE_13021, (1_800_000, "ore")),
    _in_area("m-mwilu", "Mwilu West open pit", "mine", _C3, (0.5, 1.0), "mwilu-resources",
             _CO_CU, _PE_11747, (1_500_000, "ore")),
    _in_area("a-kasanza", "Kasanza artisanal site", "artisanal_site", _ZEA1, (0.4, 0.3), "comika",
             ("cobalt",), ("AUT-ART-LU-2023-017", "2023-07-01", "2026-06-30"), (6_000, "ore")),
    _in_area("a-mukoma", "Mukoma artisanal site", "artisanal_site", _ZEA2, (0.3, -0.4),
             "cocremu", ("cobalt",), ("AUT-ART-HK-2023-052", "2023-09-01", "2026-08-31"),
             (5_000, "ore")),
    # Planted: a one-year site authorisation that lapsed at the end of February 2024.
    _in_area("a-lwilu", "Lwilu artisanal site", "artisanal_site", _ZEA1, (-0.9, -0.7), "coalw",
             ("cobalt",), ("AUT-ART-LU-2023-031", "2023-03-01", "2024-02-29"), (3_000, "ore")),
    _in_area("a-kalehe-sn", "Kalehe-Nord cassiterite site", "artisanal_site", _K1, (0.6, -0.4),
             "comikan", ("tin",), ("AUT-ART-SK-2022-104", "2022-10-01", "2026-09-30"),
             (240, "concentrate")),
    _in_area("a-kalehe-ta", "Kalehe-Nord coltan site", "artisanal_site", _K1, (-0.8, 0.7),
             "comikan", ("tantalum",), ("AUT-ART-SK-2022-105", "2022-10-01", "2026-09-30"),
             (150, "concentrate")),
    _in_area("a-ngungu", "Ngungu coltan site", "artisanal_site", _K2, (0.5, 0.6), "coeming",
             ("tantalum", "tin"), ("AUT-ART-NK-2022-061", "2022-04-01", "2027-02-28"),
             (300, "concentrate")),
    # Planted: declared under the Ngungu ZEA licence, but ~13 km outside it, in forest.
    _in_area("a-kalungu", "Kalungu ridge coltan site", "artisanal_site", _K2, (-15.0, -8.0),
             "comikal", ("tantalum",), _ZEA_NGUNGU, (200, "concentrate"),
             declared_zone="ZEA Ngungu"),
    SiteSpec("t-musompo", "Lualaba Négoce buying depot, Musompo", "trader", "CD", 25.52, -10.69,
             "trading", "lualaba-negoce", ("cobalt",), gln_location="00011"),
    SiteSpec("t-likasi", "Likasi Minerais buying depot", "trader", "CD", 26.75, -10.99,
             "trading", "likasi-minerais", ("cobalt",), gln_location="00012"),
    SiteSpec("f-hydromet", "Kolwezi Hydromet cobalt hydroxide plant", "processing_facility",
             "CD", 25.43, -10.70, "processing", "kolwezi-hydromet", _CO_CU,
             capacity=(30_000, "product"), gln_location="00021"),
    SiteSpec("b-kasumbalesa", "Kasumbalesa border post", "border_post", "CD", 27.80, -12.266,
             "export", extra={"crosses": ["CD", "ZM"]}),
    SiteSpec("p-dar", "Port of Dar es Salaam, Msasani bulk terminal", "port", "TZ", 39.29,
             -6.83, "export", "msasani-terminal", gln_location="00031"),
    SiteSpec("r-qiantang", "Qiantang Cobalt refinery, Quzhou", "refiner", "CN", 118.87, 28.95,
             "refining", "qiantang-cobalt", ("cobalt",), capacity=(25_000, "product"),
             rmi_smelter_id="CID900301", gln_location="00041"),
    SiteSpec("f-hanbit", "Hanbit cathode materials plant, Ochang", "processing_facility", "KR",
             127.44, 36.71, "cathode", "hanbit-cathode", ("cobalt", "nickel", "lithium"),
             capacity=(60_000, "product"), gln_location="00051"),
    SiteSpec("f-pannonia", "Pannonia cell factory, Debrecen", "processing_facility", "HU",
             21.66, 47.53, "cells", "pannonia-cells", ("cobalt", "nickel", "lithium"),
             capacity=(50_000, "product"), gln_location="00061"),
    SiteSpec("t-bukavu", "Comptoir Minier du Lac Kivu, Bukavu", "trader", "CD", 28.847, -2.508,
             "trading", "lac-kivu-comptoir", ("tin", "tantalum"), gln_location="00111"),
    SiteSpec("t-goma", "Grands Lacs Minerais, Goma", "trader", "CD", 29.225, -1.675, "trading",
             "grands-lacs-minerais", ("tantalum", "tin"), gln_location="00112"),
    SiteSpec("b-rusizi", "Rusizi I border post (Bukavu–Cyangugu)", "border_post", "CD", 28.866,
             -2.487, "export", extra={"crosses": ["CD", "RW"]}),
    SiteSpec("b-gisenyi", "Grande Barrière border post (Goma–Gisenyi)", "border_post", "CD",
             29.2466, -1.6866, "export", extra={"crosses": ["CD", "RW"]}),
    SiteSpec("t-kigali", "Nyabarongo Minerals export warehouse, Kigali", "trader", "RW", 30.13,
             -1.96, "export", "nyabarongo-minerals", ("tin", "tantalum"), gln_location="00121"),
    SiteSpec("s-perai", "Perai tin smelter, Butterworth", "smelter", "MY", 100.38, 5.40,
             "refining", "perai-tin", ("tin",), capacity=(30_000, "product"),
             rmi_smelter_id="CID900101", gln_location="00131"),
    SiteSpec("r-lushan", "Lushan tantalum refinery, Jiujiang", "refiner", "CN", 116.00, 29.71,
             "refining", "lushan-rare-metals", ("tantalum",), capacity=(1_500, "product"),
             rmi_smelter_id="CID900201", gln_location="00141"),
)
# fmt: on

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
    "CD": 2, "ZM": 2, "RW": 2, "TZ": 3, "CN": 8, "MY": 8, "KR": 9, "HU": 1,
}  # fmt: skip
"""Standard offsets; eastern DRC (Lubumbashi, Goma, Bukavu) keeps Central Africa Time."""

EU_SUMMER_TIME = frozenset({"HU"})

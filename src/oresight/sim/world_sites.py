"""The places of the demo world: licensed areas, mines, traders, plants, border posts and ports.

Geography is realistic (the DRC Copperbelt, the Kivus, the Great Lakes corridor, Burundi, Asian
and European processors), and each site carries the ISO 3166-2 code of the province or region it
lies in. The sites themselves, their licences and operators are FICTITIOUS, and so is the one
protected area, "Lufupa Hills National Park": its name and boundary were made up for the demo.
"""

from __future__ import annotations

from typing import Any

from oresight.sim.world_specs import SiteSpec, offset_lonlat, outline

PROTECTED_AREA_NOTE = (
    "Fictitious protected area of the oresight demo world: its name and boundary are invented "
    "and do not describe any real park."
)


def _area(
    key: str,
    name: str,
    lon: float,
    lat: float,
    operator: str,
    minerals: tuple[str, ...],
    licence: tuple[str, str, str],
    radius_km: float,
    subdivision: str,
    *,
    country: str = "CD",
    **extra: Any,
) -> SiteSpec:
    return SiteSpec(key, name, "concession", country, lon, lat, "extraction", operator, minerals,
                    licence, outline_km=outline(radius_km), subdivision=subdivision,
                    extra=extra)  # fmt: skip


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
                    licence, capacity, subdivision=area.subdivision, extra=extra)  # fmt: skip


_CO_CU = ("cobalt", "copper")
_PE_4960 = ("PE 4960", "2012-03-01", "2042-02-28")
_PE_13021 = ("PE 13021", "2010-07-15", "2040-07-14")
_PE_11747 = ("PE 11747", "2017-11-20", "2047-11-19")
_ZEA_NGUNGU = ("ZEA-NK-0233", "2022-03-01", "2027-02-28")
_PEPM_KABARORE = ("PEPM-KY-0042", "2019-05-01", "2029-04-30")

# The protected area: a made-up national park in the hills north-west of Kolwezi.
_PARK_AT = (25.20, -10.50)
_PARK_RADIUS_KM = 12.0

# fmt: off
_C1 = _area("c-kanyama", "Kanyama Hill concession (PE 4960)", 25.36, -10.77, "kanyama-mining",
            _CO_CU, _PE_4960, 4.5, "CD-LU")
_C2 = _area("c-lupoto", "Lupoto concession (PE 13021)", 26.62, -10.93, "lupoto-cobalt", _CO_CU,
            _PE_13021, 4.0, "CD-HK")
_C3 = _area("c-mwilu", "Mwilu West concession (PE 11747)", 25.80, -10.62, "mwilu-resources",
            _CO_CU, _PE_11747, 3.5, "CD-LU")
_ZEA1 = _area("zea-kasanza", "ZEA Kasanza", 25.53, -10.80, "comika", ("cobalt",),
              ("ZEA-LU-0142", "2021-06-01", "2026-05-31"), 2.5, "CD-LU", zone_type="ZEA")
_ZEA2 = _area("zea-mukoma", "ZEA Mukoma", 26.80, -10.90, "cocremu", ("cobalt",),
              ("ZEA-HK-0087", "2022-01-15", "2027-01-14"), 2.5, "CD-HK", zone_type="ZEA")
# Planted: a zone granted over the eastern edge of the national park.
_ZEA3 = _area("zea-lufupa", "ZEA Lufupa", *offset_lonlat(*_PARK_AT, 11.0, -2.5), "coaluf",
              ("cobalt",), ("ZEA-LU-0198", "2021-02-01", "2026-01-31"), 3.0, "CD-LU",
              zone_type="ZEA")
_K1 = _area("zea-kalehe", "ZEA Kalehe-Nord", 28.90, -2.07, "comikan", ("tin", "tantalum"),
            ("ZEA-SK-0311", "2020-09-01", "2030-08-31"), 3.0, "CD-SK", zone_type="ZEA")
_K2 = _area("zea-ngungu", "ZEA Ngungu", 29.00, -1.58, "coeming", ("tantalum", "tin"),
            _ZEA_NGUNGU, 3.5, "CD-NK", zone_type="ZEA")
_B1 = _area("c-kabarore", "Kabarore small-scale mining permit (PEPM-KY-0042)", 29.78, -2.84,
            "mugamba-metals", ("tantalum", "tin"), _PEPM_KABARORE, 2.0, "BI-KY", country="BI")

SITES: tuple[SiteSpec, ...] = (
    _C1, _C2, _C3, _ZEA1, _ZEA2, _ZEA3, _K1, _K2, _B1,
    SiteSpec("pa-lufupa", "Lufupa Hills National Park (fictitious demo area)", "protected_area",
             "CD", *_PARK_AT, "extraction", outline_km=outline(_PARK_RADIUS_KM),
             subdivision="CD-LU", extra={"designation": "national_park",
                                         "notes": PROTECTED_AREA_NOTE}),
    _in_area("m-kanyama", "Kanyama Hill open pit", "mine", _C1, (0.8, -0.6), "kanyama-mining",
             _CO_CU, _PE_4960, (2_400_000, "ore")),
    _in_area("m-lupoto", "Lupoto open pit", "mine", _C2, (-1.0, 0.5), "lupoto-cobalt", _CO_CU,
             _PE_13021, (1_800_000, "ore")),
    _in_area("m-mwilu", "Mwilu West open pit", "mine", _C3, (0.5, 1.0), "mwilu-resources",
             _CO_CU, _PE_11747, (1_500_000, "ore")),
    _in_area("a-kasanza", "Kasanza artisanal site", "artisanal_site", _ZEA1, (0.4, 0.3), "comika",
             ("cobalt",), ("AUT-ART-LU-2022-017", "2022-07-01", "2025-06-30"), (6_000, "ore")),
    _in_area("a-mukoma", "Mukoma artisanal site", "artisanal_site", _ZEA2, (0.3, -0.4),
             "cocremu", ("cobalt",), ("AUT-ART-HK-2022-052", "2022-09-01", "2025-08-31"),
             (5_000, "ore")),
    # Planted: a one-year site authorisation that lapsed at the end of November 2022.
    _in_area("a-lwilu", "Lwilu artisanal site", "artisanal_site", _ZEA1, (-0.9, -0.7), "coalw",
             ("cobalt",), ("AUT-ART-LU-2021-031", "2021-12-01", "2022-11-30"), (3_000, "ore")),
    # Planted: an artisanal site whose declared output is that of an industrial mine.
    _in_area("a-kanzenze", "Kanzenze-Sud artisanal site", "artisanal_site", _ZEA1, (1.2, -1.0),
             "comikz", ("cobalt",), ("AUT-ART-LU-2022-044", "2022-11-01", "2025-10-31"),
             (5_000, "ore")),
    # Planted: licensed, inside a licensed zone, and inside the national park.
    _in_area("a-lufupa", "Lufupa-Nord artisanal site", "artisanal_site", _ZEA3, (-1.5, 0.3),
             "coaluf", ("cobalt",), ("AUT-ART-LU-2022-058", "2022-12-01", "2025-11-30"),
             (4_000, "ore")),
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
    # Planted: a real permit whose declared output Burundi's whole production cannot explain.
    _in_area("m-kabarore", "Kabarore coltan mine", "mine", _B1, (0.3, 0.4), "mugamba-metals",
             ("tantalum",), _PEPM_KABARORE, (1_500, "concentrate")),
    SiteSpec("t-musompo", "Lualaba Négoce buying depot, Musompo", "trader", "CD", 25.52, -10.69,
             "trading", "lualaba-negoce", ("cobalt",), gln_location="00011", subdivision="CD-LU"),
    SiteSpec("t-likasi", "Likasi Minerais buying depot", "trader", "CD", 26.75, -10.99,
             "trading", "likasi-minerais", ("cobalt",), gln_location="00012",
             subdivision="CD-HK"),
    SiteSpec("f-hydromet", "Kolwezi Hydromet cobalt hydroxide plant", "processing_facility",
             "CD", 25.43, -10.70, "processing", "kolwezi-hydromet", _CO_CU,
             capacity=(30_000, "product"), gln_location="00021", subdivision="CD-LU"),
    SiteSpec("b-kasumbalesa", "Kasumbalesa border post", "border_post", "CD", 27.80, -12.266,
             "export", subdivision="CD-HK", extra={"crosses": ["CD", "ZM"]}),
    SiteSpec("p-dar", "Port of Dar es Salaam, Msasani bulk terminal", "port", "TZ", 39.29,
             -6.83, "export", "msasani-terminal", gln_location="00031", subdivision="TZ-02"),
    SiteSpec("r-qiantang", "Qiantang Cobalt refinery, Quzhou", "refiner", "CN", 118.87, 28.95,
             "refining", "qiantang-cobalt", ("cobalt",), capacity=(25_000, "product"),
             rmi_smelter_id="CID900301", gln_location="00041", subdivision="CN-ZJ"),
    SiteSpec("f-hanbit", "Hanbit cathode materials plant, Ochang", "processing_facility", "KR",
             127.44, 36.71, "cathode", "hanbit-cathode", ("cobalt", "nickel", "lithium"),
             capacity=(60_000, "product"), gln_location="00051", subdivision="KR-43"),
    SiteSpec("f-pannonia", "Pannonia cell factory, Debrecen", "processing_facility", "HU",
             21.66, 47.53, "cells", "pannonia-cells", ("cobalt", "nickel", "lithium"),
             capacity=(50_000, "product"), gln_location="00061", subdivision="HU-HB"),
    SiteSpec("t-bukavu", "Comptoir Minier du Lac Kivu, Bukavu", "trader", "CD", 28.847, -2.508,
             "trading", "lac-kivu-comptoir", ("tin", "tantalum"), gln_location="00111",
             subdivision="CD-SK"),
    SiteSpec("t-goma", "Grands Lacs Minerais, Goma", "trader", "CD", 29.225, -1.675, "trading",
             "grands-lacs-minerais", ("tantalum", "tin"), gln_location="00112",
             subdivision="CD-NK"),
    SiteSpec("b-rusizi", "Rusizi I border post (Bukavu–Cyangugu)", "border_post", "CD", 28.866,
             -2.487, "export", subdivision="CD-SK", extra={"crosses": ["CD", "RW"]}),
    SiteSpec("b-gisenyi", "Grande Barrière border post (Goma–Gisenyi)", "border_post", "CD",
             29.2466, -1.6866, "export", subdivision="CD-NK", extra={"crosses": ["CD", "RW"]}),
    SiteSpec("t-kigali", "Nyabarongo Minerals export warehouse, Kigali", "trader", "RW", 30.13,
             -1.96, "export", "nyabarongo-minerals", ("tin", "tantalum"), gln_location="00121",
             subdivision="RW-01"),
    SiteSpec("t-bujumbura", "Mugamba Metals export warehouse, Bujumbura", "trader", "BI", 29.36,
             -3.38, "export", "mugamba-metals", ("tantalum", "tin"), gln_location="00171",
             subdivision="BI-BM"),
    SiteSpec("b-kobero", "Kobero border post (Burundi–Tanzania)", "border_post", "BI", 30.455,
             -2.648, "export", subdivision="BI-MY", extra={"crosses": ["BI", "TZ"]}),
    SiteSpec("s-perai", "Perai tin smelter, Butterworth", "smelter", "MY", 100.38, 5.40,
             "refining", "perai-tin", ("tin",), capacity=(30_000, "product"),
             rmi_smelter_id="CID900101", gln_location="00131", subdivision="MY-07"),
    SiteSpec("r-lushan", "Lushan tantalum refinery, Jiujiang", "refiner", "CN", 116.00, 29.71,
             "refining", "lushan-rare-metals", ("tantalum",), capacity=(1_500, "product"),
             rmi_smelter_id="CID900201", gln_location="00141", subdivision="CN-JX"),
)
# fmt: on

"""National mine production for generated scenarios, as USGS Mineral Commodity Summaries CSV.

The transit-country check compares the volume declared mined in a country with what the country
produces. A scenario writes the figures it needs in the layout of the MCS "world" data release
(``mcs2024-<code>_world.csv``), so that they are read exactly as a user's download would be.

The figures are those of USGS, Mineral Commodity Summaries 2024 (world mine production by
country, 2022 and estimated 2023), for the rows that matter to the scenario: the Democratic
Republic of the Congo and Rwanda, "Other countries" (every producer not listed one by one, which
is where Tanzania's tantalum falls) and the world total. Scenario chains start in 2022 and 2023.
"""

from __future__ import annotations

from pathlib import Path

SOURCE = "MCS2024"
YEARS = (2022, 2023)

# (file code, measure, year-1 column, year-2 column, rows of (country, 2022, 2023))
TABLES: tuple[tuple[str, str, str, str, tuple[tuple[str, int, int], ...]], ...] = (
    (
        "cobal",
        "Mine production, metric tons of contained cobalt",
        "Prod_t_est_2022",
        "Prod_t_est_2023",
        (
            ("Congo (Kinshasa)", 144_000, 170_000),
            ("Other countries", 6_600, 6_600),
            ("World total (rounded)", 197_000, 230_000),
        ),
    ),
    (
        "tin",
        "Mine production, tin content",
        "Prod_t_est_2022",
        "Prod_t_est_2023",
        (
            ("Congo (Kinshasa)", 18_600, 19_000),
            ("Rwanda", 3_300, 3_800),
            ("Other countries", 1_160, 1_300),
            ("World total (rounded)", 307_000, 290_000),
        ),
    ),
    (
        "tanta",
        "Mine production, tantalum content",
        "Prod_t_2022",
        "Prod_t_est_2023",
        (
            ("Congo (Kinshasa)", 890, 980),
            ("Rwanda", 347, 520),
            ("Other", 120, 260),
            ("World total (rounded)", 1_990, 2_400),
        ),
    ),
)


def write_production_tables(folder: Path) -> list[Path]:
    """Write the scenario's production tables into ``folder``; return their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for code, measure, first, second, rows in TABLES:
        lines = [f"Source,Country,Type,{first},{second}"]
        lines += [f'{SOURCE},{country},"{measure}",{a},{b}' for country, a, b in rows]
        path = folder / f"{SOURCE.lower()}-{code}_world.csv"
        path.write_bytes(("\r\n".join(lines) + "\r\n").encode("utf-8"))
        paths.append(path)
    return paths

"""The national production figures the demo is assessed against, written as USGS MCS files.

ORIGIN.TRANSIT_COUNTRY compares declared origin volumes with mine production per country, read
from the world production tables of the U.S. Geological Survey's Mineral Commodity Summaries
(MCS). The demo writes an EXCERPT of the MCS 2024 tables of cobalt, tantalum and tin: only the
countries where its lots are declared mined, and the world totals. The figures are USGS's, as
published; the files are laid out as the data release lays them out (UTF-8 with a byte-order
mark, CRLF line ends, a quoted ``Type``, trailing empty rows), so that they read like the real
ones. A country that is not in the excerpt is not thereby "not a producer": load the full tables
to assess anything else.

Source: U.S. Geological Survey, 2024, Mineral commodity summaries 2024 data release, world mine
production tables, doi:10.5066/P144BA54 (public domain). Production figures are metric tons of
contained metal; the 2023 column is estimated.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

EDITION = "MCS2024"
SOURCE = (
    "U.S. Geological Survey, 2024, Mineral commodity summaries 2024 data release, world mine "
    "production tables, doi:10.5066/P144BA54"
)
ALSO_ESTIMATED = "Also estimated in 2022"


@dataclass(frozen=True)
class Row:
    """One country (or the world total) of a table, as USGS prints it."""

    country: str
    production: tuple[int, int]
    """Metric tons in the table's two years."""
    reserves: str
    notes: str = ""


@dataclass(frozen=True)
class Table:
    """An excerpt of one MCS world production table."""

    code: str
    """The MCS commodity code of the file name (``tanta``)."""
    measure: str
    columns: tuple[str, str]
    """The production columns, with the unit and year in their names, as in the release."""
    rows: tuple[Row, ...]

    @property
    def file_name(self) -> str:
        """The release's name for the file: ``mcs2024-tanta_world.csv``."""
        return f"{EDITION.lower()}-{self.code}_world.csv"

    def years(self) -> tuple[int, int]:
        """The two years of the production columns."""
        first, second = (int(column.rsplit("_", 1)[1]) for column in self.columns)
        return first, second


_WORLD = "World total (rounded)"
_CONGO = "Congo (Kinshasa)"

TABLES: tuple[Table, ...] = (
    Table(
        "cobal",
        "Mine production, metric tons of contained cobalt",
        ("Prod_t_est_2022", "Prod_t_est_2023"),
        (
            Row(_CONGO, (144_000, 170_000), "6000000"),
            Row(_WORLD, (197_000, 230_000), "11000000"),
        ),
    ),
    Table(
        "tanta",
        "Mine production, tantalum content",
        ("Prod_t_2022", "Prod_t_est_2023"),
        (
            Row("Burundi", (59, 36), "NA", ALSO_ESTIMATED),
            Row(_CONGO, (890, 980), "NA", ALSO_ESTIMATED),
            Row("Rwanda", (347, 520), "NA", ALSO_ESTIMATED),
            Row(_WORLD, (1_990, 2_400), "NA"),
        ),
    ),
    Table(
        "tin",
        "Mine production, tin content",
        ("Prod_t_est_2022", "Prod_t_est_2023"),
        (
            Row(_CONGO, (18_600, 19_000), "120000", ALSO_ESTIMATED),
            Row("Rwanda", (3_300, 3_800), "NA", ALSO_ESTIMATED),
            Row(_WORLD, (307_000, 290_000), "4300000"),
        ),
    ),
)

HEADER_AFTER = ("Prod_notes", "Reserves_t", "Reserves_notes")
README = f"""# National production tables of the oresight demo

An EXCERPT of the USGS Mineral Commodity Summaries 2024 world mine production tables of cobalt,
tantalum and tin: only the countries where the demo's lots are declared mined, and the world
totals, laid out as the data release lays them out. Countries left out are not thereby "not
producers": load the full tables for anything but the demo.

Source: {SOURCE} (public domain).
"""


def figure(code: str, country: str, year: int) -> float:
    """The production of ``country`` in ``year`` in table ``code``, in metric tons."""
    table = next(t for t in TABLES if t.code == code)
    row = next(r for r in table.rows if r.country == country)
    return float(row.production[table.years().index(year)])


def table_text(table: Table) -> str:
    """The file's text: a byte-order mark, the header, one row per country, two empty rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["Source", "Country", "Type", *table.columns, *HEADER_AFTER])
    for row in table.rows:
        first, second = row.production
        writer.writerow(
            [EDITION, row.country, table.measure, first, second, row.notes, row.reserves, ""]
        )
    blank = [""] * (3 + len(table.columns) + len(HEADER_AFTER))
    writer.writerows([blank, blank])
    return "\ufeff" + buffer.getvalue()


def write_production_tables(folder: Path) -> list[Path]:
    """Write every table (and a README saying what they are) into ``folder``; the tables' paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for table in TABLES:
        path = folder / table.file_name
        path.write_bytes(table_text(table).encode("utf-8"))
        paths.append(path)
    (folder / "README.md").write_bytes(README.encode("utf-8"))
    return paths

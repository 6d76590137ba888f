"""The USGS Mineral Commodity Summaries readers, on the real MCS 2023/2024 files and hostile ones.

Figures in the spot checks were read by eye from the files in ``../shared/data/trade``; row counts
are recomputed here with the csv module, independently of the reader.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from oresight.core.errors import InvalidInput, UnknownFormat
from oresight.trade.usgs import (
    ProductionRow,
    SalientRow,
    read_mcs_salient,
    read_mcs_world,
    read_usgs,
    read_usgs_tables,
)
from oresight.trade.usgs_names import resolve_country

EDITIONS = {"usgs_mcs2023_world": 2023, "usgs_mcs2024_world": 2024}


def world_files(shared_data: Path) -> list[Path]:
    files = sorted(
        path for folder in EDITIONS for path in (shared_data / "trade" / folder).glob("*.csv")
    )
    assert len(files) == 32
    return files


def salient_files(shared_data: Path) -> list[Path]:
    files = sorted((shared_data / "trade" / "usgs_mcs_salient").glob("*.csv"))
    assert len(files) == 16
    return files


def independent_count(path: Path, *, is_value_column: re.Pattern[str]) -> tuple[int, int]:
    """(non-blank data records, value columns) counted with the csv module alone."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        header, *records = list(csv.reader(handle))
    columns = sum(1 for name in header if is_value_column.match(name.strip()))
    data = sum(1 for record in records if any(cell.strip("\u00a0 ") for cell in record))
    return data, columns


def one(rows: list[ProductionRow], **wanted: object) -> ProductionRow:
    found = [row for row in rows if all(getattr(row, k) == v for k, v in wanted.items())]
    assert len(found) == 1, (wanted, found)
    return found[0]


@pytest.fixture(scope="module")
def production(shared_data: Path) -> list[ProductionRow]:
    return read_usgs(world_files(shared_data))


@pytest.fixture(scope="module")
def salient(shared_data: Path) -> list[SalientRow]:
    return read_usgs_tables(salient_files(shared_data)).salient


# --- conformance: every real world file ---------------------------------------------------------


def test_every_world_row_is_read_once_per_year_column(shared_data: Path) -> None:
    year_column = re.compile(r"^Prod_[a-z]+(_est)?_\d{4}$")
    total = 0
    for path in world_files(shared_data):
        rows = read_mcs_world(path)
        records, columns = independent_count(path, is_value_column=year_column)
        assert columns == 2, path.name
        assert len(rows) == records * columns, path.name
        assert sorted({row.source_row for row in rows}) == list(range(1, records + 1)), path.name
        total += len(rows)
    assert total == 968


def test_every_country_is_mapped_and_groups_are_not(production: list[ProductionRow]) -> None:
    for row in production:
        if row.kind == "country":
            assert row.iso3 is not None and re.fullmatch(r"[A-Z]{3}", row.iso3), row
        else:
            assert row.kind in {"world", "other"} and row.iso3 is None, row
        assert not re.search(r"\d$", row.country_name), row
    worlds = {(r.source_file, r.measure) for r in production if r.kind == "world"}
    # One world total per measure of every file (copper has mine and refinery, PGM two metals).
    assert len(worlds) == 32 + 2 + 2


def test_year_columns_and_editions(production: list[ProductionRow]) -> None:
    years: dict[int, set[int]] = {}
    for row in production:
        assert row.edition is not None
        years.setdefault(row.edition, set()).add(row.year)
        assert row.source_file.startswith(f"mcs{row.edition}-")
    assert years == {2023: {2021, 2022}, 2024: {2022, 2023}}
    # The newest year of each edition is always an estimate; the older one only where flagged.
    assert all(r.estimated for r in production if r.edition is not None and r.year == r.edition - 1)
    assert any(not r.estimated for r in production if r.year == 2021)


def test_tin_congo_kinshasa(production: list[ProductionRow]) -> None:
    row = one(production, commodity="tin", iso3="COD", year=2022, edition=2023)
    assert (row.country_name, row.tonnes, row.estimated) == ("Congo (Kinshasa)", 20000.0, True)
    assert row.measure == "Mine production, tin content" and row.mineral == "tin"
    earlier = one(production, commodity="tin", iso3="COD", year=2021, edition=2023)
    assert earlier.tonnes == 16700.0
    assert earlier.estimated  # "Production in 2021 is also estimated."
    assert one(production, commodity="tin", iso3="COD", year=2023).tonnes == 19000.0


def test_tantalum_rwanda(production: list[ProductionRow]) -> None:
    assert one(production, commodity="tantalum", iso3="RWA", year=2021).tonnes == 269.0
    assert one(production, commodity="tantalum", iso3="RWA", year=2022, edition=2023).tonnes == 350
    revised = one(production, commodity="tantalum", iso3="RWA", year=2022, edition=2024)
    assert (revised.tonnes, revised.estimated) == (347.0, True)  # note: "Also estimated in 2022"
    assert not one(production, commodity="tantalum", iso3="USA", year=2022, edition=2024).estimated
    assert one(production, commodity="tantalum", iso3="RWA", year=2023).tonnes == 520.0
    other = one(production, commodity="tantalum", kind="other", year=2023)
    assert other.country_name == "Other" and other.tonnes == 260.0


def test_cobalt_congo_kinshasa_2023(production: list[ProductionRow]) -> None:
    row = one(production, commodity="cobalt", iso3="COD", year=2023)
    assert (row.tonnes, row.estimated, row.edition) == (170000.0, True, 2024)
    assert one(production, commodity="cobalt", iso3="COD", year=2021).tonnes == 119000.0


def test_gold_lists_no_uganda_or_rwanda(production: list[ProductionRow]) -> None:
    gold = [row for row in production if row.mineral == "gold"]
    producers = {row.iso3 for row in gold if row.kind == "country"}
    assert len({r.iso3 for r in gold if r.kind == "country" and r.edition == 2024}) == 16
    # Absent means unknown (folded into "Other countries"), not zero: no row to read a 0 from.
    assert "UGA" not in producers and "RWA" not in producers
    assert one(production, mineral="gold", kind="other", year=2023).tonnes == 700.0
    # Uganda does appear where USGS lists it, so its absence from gold is the data, not the reader.
    assert one(production, commodity="tantalum", iso3="UGA", year=2021).tonnes == 38.0
    assert one(production, mineral="gold", iso3="SDN", year=2022).tonnes == 50.0


def test_withheld_marker(production: list[ProductionRow]) -> None:
    withheld = [row for row in production if row.withheld]
    assert {(r.commodity, r.iso3) for r in withheld} == {("lithium", "USA"), ("germanium", "USA")}
    assert len(withheld) == 8 and all(r.tonnes is None for r in withheld)
    not_available = one(production, commodity="germanium", iso3="CHN", year=2023)
    assert (not_available.tonnes, not_available.withheld) == (None, False)


def test_units_are_converted_to_tonnes(production: list[ProductionRow]) -> None:
    mine = "Mine production, recoverable copper content"
    copper = one(production, measure=mine, iso3="CHL", year=2022, edition=2024)
    assert copper.tonnes == 5_330_000.0  # "5330 " kilotonnes, trailing space in the cell
    refined = one(production, measure="Refinery production, copper", iso3="CHN", year=2023)
    assert refined.tonnes == 12_000_000.0
    gallium = one(production, commodity="gallium", iso3="CHN", year=2022, edition=2023)
    assert gallium.tonnes == pytest.approx(540.0)  # 540000 kg
    palladium = one(production, measure="Mine production: Palladium", iso3="ZAF", year=2023)
    assert palladium.tonnes == pytest.approx(71.0)
    manganese = one(production, commodity="manganese", kind="other", year=2023)
    assert manganese.tonnes == 330_000.0  # "     330" kt


def test_quirky_cells(production: list[ProductionRow]) -> None:
    assert one(production, commodity="tantalum", kind="world", year=2021).tonnes == 1840.0
    assert one(production, commodity="lithium", iso3="BRA", year=2021).tonnes == 1700.0
    caledonia = one(production, commodity="cobalt", iso3="NCL", year=2023)
    assert (caledonia.country_name, caledonia.tonnes) == ("New Caledonia", 3000.0)
    antimony = one(production, commodity="antimony", kind="world", year=2023)
    assert (antimony.country_name, antimony.tonnes) == ("World total (rounded)", 83000.0)
    japan = one(production, commodity="gallium", iso3="JPN", year=2022, edition=2024)
    assert (japan.country_name, japan.estimated) == ("Japan", True)  # "Japane": footnote e
    assert one(production, commodity="gallium", iso3="USA", year=2022, edition=2023).tonnes == 0
    kazakh = one(production, commodity="manganese", iso3="KAZ", year=2023)
    assert kazakh.country_name == "Kazakhstan, concentrate"
    assert one(production, commodity="antimony", iso3="RUS", year=2021).tonnes == 20000.0
    not_estimated = one(production, commodity="copper", iso3="AUS", year=2021, source_row=2)
    assert not not_estimated.estimated
    lithium_world = one(production, commodity="lithium", kind="world", year=2022, edition=2023)
    assert lithium_world.note == "Excludes U.S. production."


# --- conformance: salient statistics ------------------------------------------------------------


def test_every_salient_cell_is_read(shared_data: Path) -> None:
    value_column = re.compile(r"^(?!DataSource$|Commodity$|Year$).+")
    for path in salient_files(shared_data):
        rows = read_mcs_salient(path)
        records, columns = independent_count(path, is_value_column=value_column)
        assert records == 5, path.name
        assert len(rows) == records * columns, path.name
        assert {row.year for row in rows} == {2018, 2019, 2020, 2021, 2022}


def salient_cell(rows: list[SalientRow], commodity: str, field: str, year: int) -> SalientRow:
    found = [r for r in rows if (r.commodity, r.field, r.year) == (commodity, field, year)]
    assert len(found) == 1
    return found[0]


def test_salient_figures_and_symbols(salient: list[SalientRow]) -> None:
    imports = salient_cell(salient, "cobalt", "Imports_t", 2022)
    assert (imports.value, imports.unit, imports.qualifier) == (11000.0, "t", "")
    assert salient_cell(salient, "cobalt", "Exports_t", 2022).value == 5100.0
    lithium = salient_cell(salient, "lithium", "USprod_t", 2020)
    assert (lithium.value, lithium.qualifier) == (None, "W")
    gold = salient_cell(salient, "gold", "NIR_pct", 2019)
    assert (gold.value, gold.qualifier, gold.unit) == (None, "E", "pct")
    assert salient_cell(salient, "gold", "NIR_pct", 2020).value == 47.0
    assert salient_cell(salient, "niobium", "Shipments_Gov_t", 2018).value == -76.0  # U+2212
    assert salient_cell(salient, "tin", "Shipments_Gov_t", 2020).value == -7.0
    bound = salient_cell(salient, "germanium", "NIR_pct", 2022)
    assert (bound.value, bound.qualifier, bound.raw) == (50.0, ">", ">50")
    osmium = salient_cell(salient, "platinum_group_metals", "Imports_Osmium_kg", 2019)
    assert (osmium.value, osmium.qualifier) == (0.5, "<")
    price = salient_cell(salient, "copper", "Price_COMEX_ctslb", 2021)
    assert (price.value, price.unit) == (424.3, "ctslb")
    assert salient_cell(salient, "tantalum", "USprod_Secondary_t", 2018).qualifier == "NA"


def test_read_usgs_tells_the_two_kinds_apart(shared_data: Path) -> None:
    mixed = [world_files(shared_data)[0], salient_files(shared_data)[0]]
    tables = read_usgs_tables(mixed)
    assert tables.production and all(isinstance(r, ProductionRow) for r in tables.production)
    assert tables.salient and all(isinstance(r, SalientRow) for r in tables.salient)
    assert read_usgs(mixed) == tables.production


# --- names ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("Congo (Kinshasa)", ("Congo (Kinshasa)", "COD", "country", False)),
        ("Congo (Brazzaville)", ("Congo (Brazzaville)", "COG", "country", False)),
        ("Burma", ("Burma", "MMR", "country", False)),
        ("Korea, North", ("Korea, North", "PRK", "country", False)),
        ("Korea, Republic ofe", ("Korea, Republic of", "KOR", "country", True)),
        ("Türkiye", ("Türkiye", "TUR", "country", False)),
        ("Zimbabwe", ("Zimbabwe", "ZWE", "country", False)),
        ("Côte d\u2019Ivoire", ("Côte d\u2019Ivoire", "CIV", "country", False)),
        ("United\u00a0States", ("United States", "USA", "country", False)),
        ("New Caledonia11", ("New Caledonia", "NCL", "country", False)),
        ("Other countries4", ("Other countries", None, "other", False)),
        ("World total (rounded)10", ("World total (rounded)", None, "world", False)),
    ],
)
def test_usgs_country_names(cell: str, expected: tuple[str, str | None, str, bool]) -> None:
    resolved = resolve_country(cell)
    assert resolved is not None
    assert (resolved.name, resolved.iso3, resolved.kind, resolved.estimated) == expected


def test_unknown_names_do_not_resolve() -> None:
    assert resolve_country("Atlantis") is None
    assert resolve_country("European Union") is None


# --- hostile inputs -----------------------------------------------------------------------------

HEADER = "Source,Country,Type,Prod_t_2022,Prod_t_est_2023,Prod_notes,Reserves_t,Reserves_notes"
GOOD_ROW = 'MCS2024,Rwanda,"Mine production, tin content",3300,3800,,NA,'


def write(tmp_path: Path, text: str, name: str = "mcs2024-tin_world.csv", bom: bool = True) -> Path:
    path = tmp_path / name
    path.write_bytes(("\ufeff" if bom else "").encode() + text.encode("utf-8"))
    return path


def invalid(path: Path) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        read_usgs([path])
    assert caught.value.file == str(path)
    return caught.value


def test_bom_and_line_endings_do_not_matter(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    with_bom = read_mcs_world(write(tmp_path / "a", f"{HEADER}\r\n{GOOD_ROW}\r\n"))
    without = read_mcs_world(write(tmp_path / "b", f"{HEADER}\n{GOOD_ROW}\n", bom=False))
    assert [r.tonnes for r in with_bom] == [r.tonnes for r in without] == [3300.0, 3800.0]
    assert [r.iso3 for r in with_bom] == ["RWA", "RWA"]


@pytest.mark.parametrize("missing", ["Country", "Type"])
def test_missing_column(tmp_path: Path, missing: str) -> None:
    header = HEADER.replace(f"{missing},", "Something,")
    error = invalid(write(tmp_path, f"{header}\n{GOOD_ROW}\n"))
    assert error.field == missing


def test_wrong_delimiter(tmp_path: Path) -> None:
    path = write(tmp_path, f"{HEADER}\n{GOOD_ROW}\n".replace(",", ";"))
    with pytest.raises(InvalidInput) as caught:
        read_mcs_world(path)
    assert caught.value.field == "Country" and "comma" in caught.value.message
    error = invalid(path)
    assert isinstance(error, UnknownFormat) and "comma" in error.message


@pytest.mark.parametrize("text", ["", "\n\n", ",,,\n"])
def test_empty_file(tmp_path: Path, text: str) -> None:
    assert "empty" in invalid(write(tmp_path, text)).message


@pytest.mark.parametrize("bad", ["12x", "-5", "1.2.3", "", "about 300", "W*"])
def test_bad_production_number(tmp_path: Path, bad: str) -> None:
    row = GOOD_ROW.replace(",3800,", f",{bad},")
    error = invalid(write(tmp_path, f"{HEADER}\n{GOOD_ROW}\n{row}\n"))
    assert (error.record, error.field) == (2, "Prod_t_est_2023")


def test_unknown_country_is_an_error_not_a_drop(tmp_path: Path) -> None:
    row = GOOD_ROW.replace("Rwanda", "Atlantis")
    error = invalid(write(tmp_path, f"{HEADER}\n{GOOD_ROW}\n,,,,,,,\n{row}\n"))
    assert (error.record, error.field) == (3, "Country")  # blank rows keep their number
    assert "Atlantis" in error.message


def test_unknown_unit_and_no_year_column(tmp_path: Path) -> None:
    error = invalid(write(tmp_path, f"{HEADER.replace('Prod_t_2022', 'Prod_Mt_2022')}\n"))
    assert error.field == "Prod_Mt_2022"
    header = "Source,Country,Type,Prod_notes"
    assert invalid(write(tmp_path, f"{header}\nMCS2024,Rwanda,x,\n")).field == "Prod_*"


def test_short_row(tmp_path: Path) -> None:
    error = invalid(write(tmp_path, f"{HEADER}\nMCS2024,Rwanda,Mine production,3300\n"))
    assert (error.record, error.field) == (1, "Prod_t_est_2023")


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "mcs2024-tin_world.csv"
    path.write_bytes(f"{HEADER}\n{GOOD_ROW}\n".replace("Rwanda", "C\xf4te").encode("latin-1"))
    assert "UTF-8" in invalid(path).message


def test_commodity_comes_from_the_file_name_or_the_caller(tmp_path: Path) -> None:
    path = write(tmp_path, f"{HEADER}\n{GOOD_ROW}\n", name="production.csv")
    assert "commodity" in invalid(path).message
    rows = read_mcs_world(path, commodity="tin")
    assert {(r.commodity, r.mineral, r.edition) for r in rows} == {("tin", "tin", 2024)}


def test_nothing_is_returned_when_one_file_is_bad(tmp_path: Path) -> None:
    good = write(tmp_path, f"{HEADER}\n{GOOD_ROW}\n")
    bad = write(
        tmp_path, f"{HEADER}\n{GOOD_ROW.replace('3300', 'lots')}\n", "mcs2024-gold_world.csv"
    )
    with pytest.raises(InvalidInput) as caught:
        read_usgs([good, bad])
    assert (caught.value.file, caught.value.record) == (str(bad), 1)


def test_neither_world_nor_salient(tmp_path: Path) -> None:
    path = write(tmp_path, "a,b,c\n1,2,3\n")
    with pytest.raises(UnknownFormat):
        read_usgs([path])


SALIENT_HEADER = "DataSource,Commodity,Year,USprod_Mine_t,NIR_pct"


@pytest.mark.parametrize(
    ("row", "field"),
    [
        ("MCS2023,Cobalt,20x2,800,76", "Year"),
        ("MCS2023,Cobalt,2022,lots,76", "USprod_Mine_t"),
        ("MCS2023,Cobalt,2022,800,>>5", "NIR_pct"),
        ("MCS2023,Cobalt,2022,800", "NIR_pct"),
    ],
)
def test_bad_salient_cells(tmp_path: Path, row: str, field: str) -> None:
    path = write(tmp_path, f"{SALIENT_HEADER}\n{row}\n", "mcs2023-cobal_salient.csv")
    with pytest.raises(InvalidInput) as caught:
        read_usgs_tables([path])
    assert (caught.value.file, caught.value.record, caught.value.field) == (str(path), 1, field)


def test_salient_without_year_column(tmp_path: Path) -> None:
    path = write(tmp_path, "DataSource,Commodity,Yr,Imports_t\nMCS2023,Cobalt,2022,1\n")
    with pytest.raises(InvalidInput) as caught:
        read_mcs_salient(path)
    assert caught.value.field == "Year"

"""USGS Mineral Commodity Summaries production tables: the real files and hostile ones."""

from __future__ import annotations

from pathlib import Path

import pytest

from oresight.core.errors import InvalidInput
from oresight.core.minerals import Mineral
from oresight.custody.production import (
    ProductionTable,
    ValueFlag,
    read_usgs_production_folder,
    read_usgs_salient_production,
    read_usgs_world_production,
)

HEADER = (
    "\ufeffSource,Country,Type,Prod_t_2022,Prod_t_est_2023,Prod_notes,Reserves_t,Reserves_notes"
)


@pytest.fixture(scope="module")
def usgs(shared_data: Path) -> Path:
    return shared_data / "trade"


def _row(table: ProductionTable, country: str, year: int, measure: str = "") -> list[float | None]:
    return [
        row.value
        for row in table.rows
        if row.country == country and row.year == year and measure in row.measure
    ]


# -- the real MCS 2023 and 2024 files ------------------------------------------------------------


def test_cobalt_2024_gives_congo_kinshasa_as_printed(usgs: Path) -> None:
    table = read_usgs_world_production(usgs / "usgs_mcs2024_world" / "mcs2024-cobal_world.csv")
    congo = [row for row in table.rows if row.country_code == "CD"]
    assert [(row.year, row.value) for row in congo] == [(2022, 144000.0), (2023, 170000.0)]
    assert all(ValueFlag.ESTIMATED in row.flags for row in congo)  # Prod_t_est_2022 and _2023
    assert congo[0].source_row == 5 and congo[0].reference == "mcs2024-cobal_world.csv#row5"
    assert congo[0].mineral is Mineral.COBALT and congo[0].edition == "MCS2024"
    assert congo[0].country == "Congo (Kinshasa)" and congo[0].tonnes == 144000.0


def test_cobalt_2023_marks_only_the_estimated_year(usgs: Path) -> None:
    table = read_usgs_world_production(usgs / "usgs_mcs2023_world" / "mcs2023-cobal_world.csv")
    (final,) = [r for r in table.rows if r.country_code == "CD" and r.year == 2021]
    (estimate,) = [r for r in table.rows if r.country_code == "CD" and r.year == 2022]
    assert final.value == 119000 and ValueFlag.ESTIMATED not in final.flags
    assert estimate.value == 130000 and ValueFlag.ESTIMATED in estimate.flags


def test_footnote_digits_glued_to_names_are_split_off(usgs: Path) -> None:
    table = read_usgs_world_production(usgs / "usgs_mcs2024_world" / "mcs2024-cobal_world.csv")
    (caledonia,) = [r for r in table.rows if r.country_code == "NC" and r.year == 2023]
    assert caledonia.country == "New Caledonia" and caledonia.footnote == "11"
    assert caledonia.value == 3000
    antimony = read_usgs_world_production(usgs / "usgs_mcs2024_world" / "mcs2024-antim_world.csv")
    total = [r for r in antimony.rows if r.aggregate and r.year == 2023]
    assert [(r.country, r.footnote, r.value) for r in total] == [
        ("World total (rounded)", "10", 83000.0)
    ]


def test_estimated_e_glued_to_names_becomes_a_flag(usgs: Path) -> None:
    table = read_usgs_world_production(usgs / "usgs_mcs2024_world" / "mcs2024-galli_world.csv")
    by_name = {r.country: r for r in table.rows if r.year == 2022}
    assert {"Japan", "Russia", "Korea, Republic of"} <= set(by_name)
    assert by_name["Korea, Republic of"].country_code == "KR"
    assert ValueFlag.ESTIMATED in by_name["Japan"].flags
    assert ValueFlag.ESTIMATED not in by_name["China"].flags
    assert by_name["Japan"].unit == "kg" and by_name["Japan"].tonnes == pytest.approx(3.0)
    # A name that really ends in "e" keeps it.
    graphite = read_usgs_world_production(usgs / "usgs_mcs2024_world" / "mcs2024-graph_world.csv")
    (ukraine,) = [r for r in graphite.rows if r.country_code == "UA" and r.year == 2023]
    assert ukraine.country == "Ukraine" and ValueFlag.ESTIMATED in ukraine.flags  # est column


def test_withheld_and_not_available_are_flags_without_a_value(usgs: Path) -> None:
    lithium = read_usgs_world_production(usgs / "usgs_mcs2024_world" / "mcs2024-lithi_world.csv")
    (us,) = [r for r in lithium.rows if r.country_code == "US" and r.year == 2022]
    assert us.value is None and us.tonnes is None and ValueFlag.WITHHELD in us.flags
    germanium = read_usgs_world_production(usgs / "usgs_mcs2023_world" / "mcs2023-germa_world.csv")
    (china,) = [r for r in germanium.rows if r.country_code == "CN" and r.year == 2021]
    assert china.value is None and ValueFlag.NOT_AVAILABLE in china.flags


def test_thousands_separators_no_break_spaces_and_stray_spaces(usgs: Path) -> None:
    lithium = read_usgs_world_production(usgs / "usgs_mcs2023_world" / "mcs2023-lithi_world.csv")
    assert _row(lithium, "Brazil", 2021) == [1700.0]  # printed "1,700"
    graphite = read_usgs_world_production(usgs / "usgs_mcs2023_world" / "mcs2023-graph_world.csv")
    assert [r.country_code for r in graphite.rows if r.country == "United States"] == ["US", "US"]
    manganese = read_usgs_world_production(usgs / "usgs_mcs2024_world" / "mcs2024-manga_world.csv")
    other = [r for r in manganese.rows if r.is_other_countries]
    assert [(r.year, r.value, r.tonnes) for r in other] == [
        (2022, 325.0, 325000.0),  # printed with no-break spaces around it, in kt
        (2023, 330.0, 330000.0),
    ]
    copper = read_usgs_world_production(usgs / "usgs_mcs2024_world" / "mcs2024-coppe_world.csv")
    assert _row(copper, "Chile", 2022, "Mine") == [5330.0]  # printed "5330 " in kt
    assert _row(copper, "Chile", 2022, "Refinery") == [2150.0]


def test_qualifiers_after_names_are_kept_apart(usgs: Path) -> None:
    antimony = read_usgs_world_production(usgs / "usgs_mcs2023_world" / "mcs2023-antim_world.csv")
    (russia,) = [r for r in antimony.rows if r.country_code == "RU" and r.year == 2022]
    assert russia.country == "Russia" and russia.qualifier == "recoverable"
    manganese = read_usgs_world_production(usgs / "usgs_mcs2023_world" / "mcs2023-manga_world.csv")
    kazakhstan = [r for r in manganese.rows if r.country_code == "KZ"]
    assert {r.qualifier for r in kazakhstan} == {"concentrate"}
    assert {r.country_code for r in manganese.rows if r.country.startswith("C")} >= {"CI", "CN"}


def test_every_real_world_and_salient_file_reads_with_every_country_known(usgs: Path) -> None:
    table = ProductionTable.combine(
        read_usgs_production_folder(usgs / folder)
        for folder in ("usgs_mcs2023_world", "usgs_mcs2024_world", "usgs_mcs_salient")
    )
    assert table.unmapped_countries == ()
    files = {row.source_file for row in table.rows}
    assert len([name for name in files if name.endswith("_world.csv")]) == 32
    for mineral in Mineral:
        assert {2021, 2022, 2023} <= set(table.years(mineral)), mineral


def test_newer_edition_wins_and_refinery_rows_are_not_mine_production(usgs: Path) -> None:
    table = ProductionTable.combine(
        read_usgs_production_folder(usgs / folder)
        for folder in ("usgs_mcs2023_world", "usgs_mcs2024_world")
    )
    congo = table.mine_production("CD", Mineral.COBALT, 2022)
    assert congo is not None and congo.edition == "MCS2024" and congo.value == 144000
    chile = table.mine_production("CL", Mineral.COPPER, 2023)
    assert chile is not None and chile.is_mine_production and chile.tonnes == 5_000_000
    # Tungsten's measure is reworded between editions; the newer figure still replaces the older.
    china = table.mine_production("CN", Mineral.TUNGSTEN, 2022)
    assert china is not None and china.edition == "MCS2024" and china.value == 66000
    gold_other = table.other_countries(Mineral.GOLD, 2023)
    assert gold_other is not None and gold_other.value == 700
    assert table.mine_production("RW", Mineral.GOLD, 2023) is None  # gold lists no Rwanda row


def test_salient_files_give_us_mine_production_by_year(usgs: Path) -> None:
    cobalt = read_usgs_salient_production(usgs / "usgs_mcs_salient" / "mcs2023-cobal_salient.csv")
    assert [(r.year, r.value) for r in cobalt.rows] == [
        (2018, 480.0),
        (2019, 500.0),
        (2020, 600.0),
        (2021, 650.0),
        (2022, 800.0),
    ]
    assert {r.country_code for r in cobalt.rows} == {"US"}
    lithium = read_usgs_salient_production(usgs / "usgs_mcs_salient" / "mcs2023-lithi_salient.csv")
    assert all(ValueFlag.WITHHELD in r.flags and r.value is None for r in lithium.rows)
    rare_earths = usgs / "usgs_mcs_salient" / "mcs2023-raree_salient.csv"
    assert _row(read_usgs_salient_production(rare_earths), "United States", 2019) == [28000.0]
    tin = read_usgs_salient_production(usgs / "usgs_mcs_salient" / "mcs2023-tin_salient.csv")
    assert tin.rows == ()  # the U.S. mines no tin: scrap columns only


def test_the_world_reader_refuses_a_salient_file_by_name(usgs: Path) -> None:
    path = usgs / "usgs_mcs_salient" / "mcs2023-cobal_salient.csv"
    with pytest.raises(InvalidInput, match="salient-statistics file") as caught:
        read_usgs_world_production(path)
    assert caught.value.file == str(path)


# -- hostile files --------------------------------------------------------------------------------


def _write(tmp_path: Path, *lines: str, name: str = "mcs2024-tanta_world.csv") -> Path:
    path = tmp_path / name
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    return path


def test_a_value_that_is_not_a_figure_is_located_by_file_row_and_column(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        HEADER,
        'MCS2024,Rwanda,"Mine production, tantalum content",347,520,,NA,',
        'MCS2024,Burundi,"Mine production, tantalum content",59,3x6,,NA,',
    )
    with pytest.raises(InvalidInput) as caught:
        read_usgs_world_production(path)
    error = caught.value
    assert (error.file, error.record, error.field) == (str(path), "row 3", "Prod_t_est_2023")
    assert "'3x6'" in str(error)


def test_malformed_thousands_separators_are_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, HEADER, 'MCS2024,Rwanda,"Mine production",347,"5,20",,NA,')
    with pytest.raises(InvalidInput, match="'5,20'"):
        read_usgs_world_production(path)


def test_an_e_glued_to_a_value_is_an_estimate(tmp_path: Path) -> None:
    path = _write(tmp_path, HEADER, 'MCS2024,Rwanda,"Mine production, tantalum",347e,520,,,')
    (first, _) = read_usgs_world_production(path).rows
    assert first.value == 347 and ValueFlag.ESTIMATED in first.flags


def test_header_problems_name_the_column(tmp_path: Path) -> None:
    unit = _write(tmp_path, "Source,Country,Type,Prod_Mt_2022", "MCS2024,Rwanda,Mine production,1")
    with pytest.raises(InvalidInput, match="unknown unit 'Mt'") as caught:
        read_usgs_world_production(unit)
    assert caught.value.field == "Prod_Mt_2022"
    no_country = _write(tmp_path, "Source,Nation,Type,Prod_t_2022", "MCS2024,Rwanda,x,1")
    with pytest.raises(InvalidInput, match="no 'Country' column"):
        read_usgs_world_production(no_country)
    no_figures = _write(tmp_path, "Source,Country,Type,Reserves_t", "MCS2024,Rwanda,x,1")
    with pytest.raises(InvalidInput, match="no production column"):
        read_usgs_world_production(no_figures)


def test_a_row_with_figures_and_no_country_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, HEADER, ",,,,,,,", 'MCS2024,,"Mine production",1,2,,,')
    with pytest.raises(InvalidInput, match="no country") as caught:
        read_usgs_world_production(path)
    assert (caught.value.record, caught.value.field) == ("row 3", "Country")


def test_unknown_country_names_are_kept_and_reported(tmp_path: Path) -> None:
    path = _write(tmp_path, HEADER, 'MCS2024,Atlantis,"Mine production, tantalum",5,6,,,')
    table = read_usgs_world_production(path)
    assert table.unmapped_countries == ("Atlantis",)
    assert {r.country_code for r in table.rows} == {None}


def test_text_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "mcs2024-tin_world.csv"
    path.write_bytes(b"Source,Country,Type,Prod_t_2022\nMCS2024,C\xf4te,x,1\n")
    with pytest.raises(InvalidInput, match="not UTF-8"):
        read_usgs_world_production(path)

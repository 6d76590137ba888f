"""The demo world's trade statistics: Burundi exports more coltan than it mines.

The demo's transit country is Burundi: coltan smuggled out of the Kivus is declared there as
Burundian (:mod:`oresight.sim.burundi`). Its trade statistics show the same thing from above:
in 2023 Burundi declares exports of niobium-tantalum concentrate (HS 261590) worth several times
what its mines can have produced. The demo writes two files that ``oresight trade load`` reads:

* ``trade/comtrade-demo.csv`` — rows in the UN Comtrade API v1 layout: Burundi's exports (X) of
  HS 261590 to China and to the World in 2022 and 2023 (the years of the production figures),
  its small imports, and China's imports from
  Burundi (which agree with Burundi's exports, so that the mirror is clean and only the
  production check fires). The FIGURES ARE INVENTED for the demo.
* ``trade/burundi-production.csv`` — a national production table: Burundi's mine production of
  tantalum in 2022 and 2023 in tonnes of content (the USGS MCS 2024 figures of
  :mod:`oresight.sim.production_tables`) and its value at an ILLUSTRATIVE US$150 per kg of
  tantalum content (a demo price, not a market quotation). Concentrates have no fixed grade, so
  their exports are compared by value.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from oresight.core.findings import FindingCode, SubjectType
from oresight.sim.manifest import PlantedProblem
from oresight.sim.production_tables import figure

TRADE_DIR = "trade"
COMTRADE_FILE = "comtrade-demo.csv"
PRODUCTION_FILE = "burundi-production.csv"

BURUNDI, CHINA, WORLD = 108, 156, 0
"""Comtrade country codes (ISO 3166 numeric)."""
HS = "261590"
PRICE_USD_PER_KG = 150.0
"""The demo's illustrative value of a kilogram of tantalum in concentrate."""

EXPORTS_USD = {2022: 10.2e6, 2023: 38.4e6}
"""Burundi's declared exports of HS 261590 to China (its one partner), invented for the demo."""
EXPORT_USD_PER_KG = 42.0
"""Unit value of the concentrate (US$/kg gross), invented for the demo."""
IMPORTS_USD = {2022: 0.18e6, 2023: 0.21e6}
"""Burundi's declared imports of HS 261590 (from the World)."""
CIF_MARGIN = 1.07

_COLUMNS = (
    "typeCode",
    "freqCode",
    "refYear",
    "period",
    "reporterCode",
    "flowCode",
    "partnerCode",
    "partner2Code",
    "classificationCode",
    "cmdCode",
    "customsCode",
    "motCode",
    "netWgt",
    "cifvalue",
    "fobvalue",
    "primaryValue",
)


def _row(reporter: int, flow: str, partner: int, year: int, value: float) -> list[object]:
    fob = value if flow == "X" else ""
    cif = value if flow == "M" else ""
    kg = round(value / EXPORT_USD_PER_KG)
    return ["C", "A", year, year, reporter, flow, partner, 0, "H6", HS, "C00", 0, kg, cif, fob,
            round(value, 2)]  # fmt: skip


def comtrade_text() -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(_COLUMNS)
    for year, value in EXPORTS_USD.items():
        writer.writerow(_row(BURUNDI, "X", CHINA, year, value))
        writer.writerow(_row(BURUNDI, "X", WORLD, year, value))
        writer.writerow(_row(BURUNDI, "M", WORLD, year, IMPORTS_USD[year]))
        writer.writerow(_row(CHINA, "M", BURUNDI, year, value * CIF_MARGIN))
    return buffer.getvalue()


def production_value(year: int) -> float:
    """Burundi's tantalum production of ``year`` at the demo's illustrative price."""
    return figure("tanta", "Burundi", year) * 1000 * PRICE_USD_PER_KG


def production_text() -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["country", "mineral", "year", "tonnes", "value_usd", "estimated", "source"])
    for year in (2022, 2023):
        writer.writerow(
            [
                "BI",
                "tantalum",
                year,
                figure("tanta", "Burundi", year),
                production_value(year),
                "yes" if year == 2023 else "no",
                "USGS MCS 2024 tonnes x illustrative US$150/kg (oresight demo)",
            ]
        )
    return buffer.getvalue()


def write_trade_tables(folder: Path) -> list[Path]:
    """Write the demo's trade and production files into ``folder``; their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / COMTRADE_FILE, folder / PRODUCTION_FILE]
    paths[0].write_bytes(comtrade_text().encode("utf-8"))
    paths[1].write_bytes(production_text().encode("utf-8"))
    return paths


def planted_exports() -> PlantedProblem:
    """The problem the trade tables plant: Burundi's 2023 exports beyond its production."""
    year = 2023
    exports, produced, imported = EXPORTS_USD[year], production_value(year), IMPORTS_USD[year]
    return PlantedProblem(
        code=FindingCode.TRADE_EXPORTS_EXCEED_PRODUCTION.value,
        subject_type=SubjectType.COUNTRY.value,
        subject_id="BDI",
        description=(
            f"Burundi declared US${exports / 1e6:.1f} M of niobium-tantalum concentrate "
            f"(HS {HS}) exported in {year}, against tantalum production worth "
            f"US${produced / 1e6:.1f} M ({figure('tanta', 'Burundi', year):,.0f} t, USGS) and "
            f"imports of US${imported / 1e6:.2f} M: "
            f"{exports / (produced + imported):.1f} times what it can have mined or imported."
        ),
    )

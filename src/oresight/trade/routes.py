"""Route shifts: a flow whose partners change abruptly, often towards an entrepôt or transit hub.

Smuggled and laundered minerals change route when the old route closes (an embargo, a new
export ban, a sanctioned buyer, a crackdown at one border) or when a new one opens to launder
them (a refinery that asks no questions, a free zone, a neighbour whose export statistics turn
smuggled ore into "domestic" production). In trade statistics this shows as a break in the
*partner mix* of one reporter's flow of one HS code: a reporter that sent 90 % of its cobalt
ore to China for years ships 80 % of it to the United Arab Emirates the next year.

**Why a change point on the mix.** Each year's flow is split into partner shares (the partner's
value over the reporter's total with every partner, :func:`partner_shares`), and the year is
compared with a trailing baseline: the mean share of each partner over the ``baseline_years``
calendar years before it that have data (at least ``min_baseline_years`` of them). The distance
is the total-variation distance between the two share vectors, half the sum of the absolute
differences: 0 when the mix is unchanged, 1 when none of the baseline's partners is left, and
exactly the share of the flow that changed hands. Shares, not values, make a year of higher
prices or output no shift. A trailing baseline, not the previous year alone, keeps one odd year
from raising the year after it as well: when the mix returns to normal, that year differs from a
three-year baseline by a third of the odd year's distance, from the odd year alone by all of it.
Every partner the reporter ever had for that code and flow is present in every year, with share
0 where absent, so a partner that disappears counts as fully as one that appears.

A year is raised (:func:`route_shifts`) when the distance is at least ``min_shift`` and the year's
total at least ``min_value_usd``, with the partner whose share rose most (the gainer), whether it
is new (its baseline share below ``new_partner_share``) and whether it is an entrepôt of the
packaged table (``data/entrepots.yaml``, :func:`entrepots`), and the partner whose share fell most.

**Limits.** Annual figures hide a shift inside a year, and the first years of a series cannot be
judged. A lasting shift is raised again in the next year or two, at a falling distance (about two
thirds of the first with a three-year baseline), until the baseline holds the new mix; the first
of consecutive years is the change point, and there the gainer is new. A reporter with one or
two partners moves by large distances for ordinary reasons (a contract ends, a smelter opens):
``min_value_usd`` and the hub and novelty marks help rank, not decide. The partner is what the
reporter declares, for many reporters the country of consignment or of last known destination,
so goods bound for China may be booked to a hub that ships them on, and a change of declaration
practice looks like a change of route. The total is the sum over partners, not the reporter's
World figure, so partners it keeps confidential are absent, or are one partner ("areas, nes").
Each source (Comtrade, BACI) is judged on its own, never summed with another. A shift is a lead
for an investigator, not a finding of wrongdoing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

import ibis
import ibis.expr.types as ir
import pycountry
from pydantic import BaseModel, ConfigDict, Field, HttpUrl, field_validator

from oresight.core.errors import InvalidInput
from oresight.trade.flows import ALL_MODES, WORLD, FlowCode, in_scope
from oresight.trade.reference_tables import packaged_file_name, read_packaged_table, validated

ENTREPOTS_FILE = packaged_file_name("entrepots.yaml")
"""The packaged table of entrepôts and transit hubs, named as errors name it."""

ROUTE_FLOWS = (FlowCode.EXPORT.value, FlowCode.IMPORT.value, FlowCode.RE_EXPORT.value)
"""The flows whose partner mix is followed: exports, imports and re-exports."""

SERIES = ("source", "reporter", "flow", "hs")
"""The columns that make one series of partner mixes: one source's figures of one reporter's flow
of one HS code."""

ROUTE_SHIFT_COLUMNS = (
    *SERIES,
    "year",
    "total_usd",
    "tvd",
    "baseline_years",
    "gainer",
    "gainer_share",
    "gainer_baseline_share",
    "loser",
    "loser_share",
    "loser_baseline_share",
    "gainer_is_new",
    "gainer_hub",
    "row",
)
"""The columns of :func:`route_shifts`, in order."""

Role = Literal["re_export", "free_zone", "gold", "commodity_trading", "conflict_minerals_transit"]

_ALPHA3 = re.compile(r"[A-Z]{3}")


@dataclass(frozen=True, slots=True)
class RouteSettings:
    """How a year's partner mix is compared with its baseline (see the module docstring)."""

    baseline_years: int = 3
    """The calendar years before a year that make its baseline (those with data count)."""
    min_baseline_years: int = 2
    """A year with fewer years of data in its baseline window is not judged."""
    min_shift: float = 0.4
    """Total-variation distance (0..1) between the year's shares and the baseline's."""
    min_value_usd: float = 1_000_000.0
    """The year's total over partners, below which a shift is not raised."""
    new_partner_share: float = 0.1
    """A gainer whose baseline share was below this is new."""


@dataclass(frozen=True, slots=True)
class HubSource:
    """A public publication behind an entrepôt's entry."""

    name: str
    url: str


@dataclass(frozen=True, slots=True)
class Entrepot:
    """A country through which goods pass on their way elsewhere (see ``data/entrepots.yaml``)."""

    iso3: str
    name: str
    roles: tuple[str, ...]
    """Of ``re_export``, ``free_zone``, ``gold``, ``commodity_trading``,
    ``conflict_minerals_transit``."""
    note: str
    sources: tuple[HubSource, ...]


def entrepots() -> Mapping[str, Entrepot]:
    """The packaged entrepôts and transit hubs by ISO alpha-3 (checked on first use, cached)."""
    return _entrepots()


def partner_shares(
    flows: ir.Table,
    settings: RouteSettings = RouteSettings(),
    *,
    years: tuple[int, ...] = (),
    hs: tuple[str, ...] = (),
) -> ir.Table:
    """Per source, reporter, flow (X, M, RX), HS code, year and partner: ``value_usd``, the
    year's ``total_usd`` over partners, ``share`` of it and the source ``row`` (null where the
    partner is absent that year).

    Annual totals over every transport mode; partner World and the reporter itself left out.
    Every partner of the series appears in every year the series has data, with value and share 0
    where it is absent. With ``years``, those years are returned, and the partners are those of
    those years and of their baseline windows (``settings.baseline_years`` before each).
    """
    shares = _shares(flows, _read_years(years, settings), hs)
    if years:
        shares = shares.filter(shares.year.isin(list(years)))
    return shares


def route_shifts(
    flows: ir.Table,
    settings: RouteSettings = RouteSettings(),
    *,
    years: tuple[int, ...] = (),
    hs: tuple[str, ...] = (),
    hubs: Iterable[str] | None = None,
) -> ir.Table:
    """One row per source, reporter, flow, HS code and year whose partner mix departs from its
    baseline by at least ``settings.min_shift`` with a total of at least
    ``settings.min_value_usd``; columns :data:`ROUTE_SHIFT_COLUMNS`.

    ``years``: the years to judge (their baselines are read as well). ``hubs``: the alpha-3 codes
    counted as entrepôts, the packaged table's by default; they are written into the expression
    as a literal list, so the same expression runs on every backend.
    """
    shares = _shares(flows, _read_years(years, settings), hs, rows=False, judged_by=settings)
    current = shares.filter(shares.year.isin(list(years))) if years else shares
    # Only a year whose total reaches min_value_usd can be raised: the others are not compared
    # with their baseline (most series of a year of world trade are small).
    current = current.filter(current.total_usd >= settings.min_value_usd)
    past = shares.view()
    past = past.select(
        **{f"past_{key}": past[key] for key in SERIES},
        past_partner=past.partner,
        past_year=past.year,
        past_share=past.share,
    )
    window = current.join(
        past,
        [
            *(current[key] == past[f"past_{key}"] for key in SERIES),
            current.partner == past.past_partner,
            past.past_year < current.year,
            past.past_year >= current.year - settings.baseline_years,
        ],
    )
    keys = [*SERIES, "year", "partner"]
    baseline = window.group_by(keys).aggregate(
        baseline_share=window.past_share.mean(),
        baseline_years=window.past_year.nunique(),
    )
    judged = current.join(baseline, keys)
    judged = judged.filter(judged.baseline_years >= settings.min_baseline_years)
    judged = judged.mutate(delta=judged.share - judged.baseline_share)
    year_keys = [*SERIES, "year"]
    mixes = judged.group_by(year_keys).aggregate(
        total_usd=judged.total_usd.max(),
        tvd=judged.delta.abs().sum() * 0.5,
        baseline_years=judged.baseline_years.max(),
    )
    mixes = mixes.filter(
        (mixes.tvd >= settings.min_shift) & (mixes.total_usd >= settings.min_value_usd)
    )
    # The partners of the flagged series-years only: ranking them is the costly part.
    judged = judged.semi_join(mixes, year_keys)
    gainers = _extreme(judged, "gainer", rising=True)
    losers = _extreme(judged, "loser", rising=False)
    shifts = mixes.join(gainers, year_keys).join(losers, year_keys)
    # The gainer's source row, looked up for the shifts found.
    gained = shifts.select(*SERIES, "year", partner=shifts.gainer)
    base = _declared(flows, _read_years(years, settings), hs)
    found = _source_rows(base.semi_join(gained, [*SERIES, "year", "partner"]))
    found = found.rename(**{f"row_{key}": key for key in (*SERIES, "year", "partner")})
    shifts = shifts.left_join(
        found,
        [
            *(shifts[key] == found[f"row_{key}"] for key in (*SERIES, "year")),
            shifts.gainer == found.row_partner,
        ],
    ).drop(*[f"row_{key}" for key in (*SERIES, "year", "partner")])
    hub_codes = sorted(set(hubs) if hubs is not None else set(entrepots()))
    return shifts.select(
        *ROUTE_SHIFT_COLUMNS[: ROUTE_SHIFT_COLUMNS.index("gainer_is_new")],
        gainer_is_new=shifts.gainer_baseline_share < settings.new_partner_share,
        gainer_hub=shifts.gainer.isin(hub_codes) if hub_codes else ibis.literal(False),
        row=shifts.row,
    )


def _read_years(years: tuple[int, ...], settings: RouteSettings) -> tuple[int, ...]:
    """The years to read for ``years`` with their baseline windows (all years when empty)."""
    return tuple(
        sorted({year - back for year in years for back in range(settings.baseline_years + 1)})
    )


def _declared(flows: ir.Table, years: tuple[int, ...], hs: tuple[str, ...]) -> ir.Table:
    """The declarations a partner mix is made of: annual, all modes, real partners."""
    base = flows.filter(
        (flows.freq == "A")
        & (flows["mode"] == ALL_MODES)
        & flows.flow.isin(list(ROUTE_FLOWS))
        & (flows.partner != WORLD)
        & (flows.reporter != flows.partner)
    )
    return in_scope(base, years=years, hs=hs)


def _source_rows(base: ir.Table) -> ir.Table:
    """Per series, year and partner, the source row (``file:line``)."""
    return base.group_by([*SERIES, "year", "partner"]).aggregate(row=_row_of(base))


def _row_of(base: ir.Table) -> ir.Value:
    """A partner's source row in a year: one per partner and year in a source; the first,
    should two codes map to one alpha-3 (a historical code beside the current one)."""
    return base.source_file.concat(":", base.source_row.cast("string")).min()


def _shares(
    flows: ir.Table,
    years: tuple[int, ...],
    hs: tuple[str, ...],
    *,
    rows: bool = True,
    judged_by: RouteSettings | None = None,
) -> ir.Table:
    """The partner shares of every series over ``years`` (all when empty), zeros filled in;
    with ``rows``, each partner's source row (a string per declaration: route_shifts builds it
    for the shifts it finds only). With ``judged_by``, only the series that can have a year
    judged under those settings: data in more than ``min_baseline_years`` years and a year's
    total of ``min_value_usd`` (in a year of world trade, few)."""
    base = _declared(flows, years, hs)
    if judged_by is not None:
        per_year = base.group_by([*SERIES, "year"]).aggregate(total=base.value_usd.sum())
        series = per_year.group_by(list(SERIES)).aggregate(
            years=per_year.year.nunique(), top=per_year.total.max()
        )
        series = series.filter(
            (series.years > judged_by.min_baseline_years) & (series.top >= judged_by.min_value_usd)
        )
        base = base.semi_join(series.select(*SERIES), list(SERIES))
    figures: dict[str, ir.Value] = {"value_usd": base.value_usd.sum()}
    if rows:
        figures["row"] = _row_of(base)
    declared = base.group_by([*SERIES, "year", "partner"]).aggregate(**figures)
    year_keys = [*SERIES, "year"]
    totals = declared.group_by(year_keys).aggregate(total_usd=declared.value_usd.sum())
    totals = totals.filter(totals.total_usd > 0)
    partners = declared.select(*SERIES, "partner").distinct()
    # Every partner of the series in every year it has data: the cross join within the series.
    grid = totals.join(partners, list(SERIES))
    keys = [*year_keys, "partner"]
    filled = grid.left_join(declared, keys).drop(*[f"{key}_right" for key in keys])
    value = ibis.coalesce(filled.value_usd, 0.0)
    return filled.select(
        *SERIES,
        "year",
        "partner",
        value_usd=value,
        total_usd=filled.total_usd,
        share=value / filled.total_usd,
        **({"row": filled.row} if rows else {}),
    )


def _extreme(judged: ir.Table, role: str, *, rising: bool) -> ir.Table:
    """Per series and year, the partner whose share rose most (``rising``) or fell most, with
    its share and baseline share, columns prefixed ``role``. Ties go to the partner
    first in alphabetical order, so every backend picks the same one."""
    order = ibis.desc(judged.delta) if rising else judged.delta
    rank = ibis.row_number().over(
        group_by=[judged[key] for key in (*SERIES, "year")], order_by=[order, judged.partner]
    )
    ranked = judged.mutate(rank=rank)
    first = ranked.filter(ranked["rank"] == 0)
    return first.select(
        *SERIES,
        "year",
        **{
            role: first.partner,
            f"{role}_share": first.share,
            f"{role}_baseline_share": first.baseline_share,
        },
    )


class _SourceRow(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1)
    url: HttpUrl


class _EntrepotRow(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    iso3: str
    name: str = Field(min_length=1)
    roles: tuple[Role, ...] = Field(min_length=1)
    note: str = Field(min_length=1)
    sources: tuple[_SourceRow, ...] = Field(min_length=1)

    @field_validator("iso3")
    @classmethod
    def _iso_alpha3(cls, value: str) -> str:
        # A real ISO code, so that a typo cannot mark the wrong partner as a hub.
        if not _ALPHA3.fullmatch(value) or pycountry.countries.get(alpha_3=value) is None:
            raise ValueError(f"expected an ISO 3166-1 alpha-3 code, found {value!r}")
        return value


class _EntrepotsFile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    version: Literal[1]
    sources: dict[str, _SourceRow] = Field(default_factory=dict)
    """Sources shared by several entries (YAML anchors), checked like the entries' own."""
    entrepots: tuple[dict[str, Any], ...] = Field(min_length=1)


@cache
def _entrepots() -> Mapping[str, Entrepot]:
    return parse_entrepots(read_packaged_table("entrepots.yaml"), file=ENTREPOTS_FILE)


def parse_entrepots(document: Any, *, file: str) -> dict[str, Entrepot]:
    """Check a table in the layout of ``entrepots.yaml`` and return it by alpha-3.

    :class:`InvalidInput` naming ``file``, the entry and the field on a bad entry: a code that is
    not ISO 3166-1 alpha-3, a country listed twice, an unknown role, an entry without source.
    """
    table = validated(_EntrepotsFile, document, file=file)
    found: dict[str, Entrepot] = {}
    for index, raw in enumerate(table.entrepots):
        record = f"entrepots[{index}]" + (f" ({raw['iso3']})" if "iso3" in raw else "")
        row = validated(_EntrepotRow, raw, file=file, record=record)
        if row.iso3 in found:
            raise InvalidInput(
                f"{row.iso3} is listed twice", file=file, record=record, field="iso3"
            )
        found[row.iso3] = Entrepot(
            iso3=row.iso3,
            name=row.name,
            roles=row.roles,
            note=" ".join(row.note.split()),
            sources=tuple(HubSource(name=s.name, url=str(s.url)) for s in row.sources),
        )
    return found

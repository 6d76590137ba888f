"""Trade statistics in a workspace: load files into its trade store, and analyse them.

``load_trade`` reads every file first (each told apart by its content: Comtrade, BACI, USGS MCS,
national production), checks that none repeats flows of another file given with it, and only
then stores them, so that a bad file stores nothing. ``analyse_trade`` runs the trade analyses
over the store on DuckDB or PySpark; an assessment runs them too, for the countries and minerals
of the workspace's supply chains (:func:`workspace_scope`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pycountry

from oresight.core.custody import CustodyEvent
from oresight.core.errors import InvalidInput
from oresight.core.sites import Site
from oresight.store.database import Workspace
from oresight.trade.analysis import TradeOutcome, TradeScope, TradeSettings, analyse
from oresight.trade.engine import Engine, TradeTables, open_tables
from oresight.trade.files import TradeFile, read_trade_file
from oresight.trade.mirror import MirrorSettings
from oresight.trade.storage import FLOWS, PRODUCTION, Added, Batch, TradeStore, first_shared
from oresight.workflows.progress import Progress, no_progress

__all__ = [
    "Engine",
    "TradeLoad",
    "TradeOutcome",
    "TradeScope",
    "analyse_trade",
    "describe_loads",
    "load_trade",
    "loaded_files",
    "open_workspace_tables",
    "tables_from_files",
    "trade_settings",
    "trade_store",
    "workspace_scope",
]


@dataclass(frozen=True)
class TradeLoad:
    """What loading one file did."""

    file: TradeFile
    added: Added


def trade_store(workspace: Workspace) -> TradeStore:
    """The workspace's trade store (``<workspace>/trade``)."""
    return TradeStore(workspace.path / "trade")


def load_trade(
    workspace: Workspace,
    paths: Sequence[Path],
    *,
    replace: bool = False,
    progress: Progress = no_progress,
) -> list[TradeLoad]:
    """Read, check, then store trade and production files (see the module docstring)."""
    return _load_into(trade_store(workspace), paths, replace=replace, progress=progress)


def tables_from_files(
    paths: Sequence[Path], folder: Path, *, engine: Engine = Engine.DUCKDB
) -> TradeTables | None:
    """Trade tables of files outside any workspace: stored under ``folder`` (a scratch trade
    store), then opened on ``engine``; None when the files hold no flows."""
    store = TradeStore(folder)
    _load_into(store, paths, replace=False, progress=no_progress)
    flows = store.files(FLOWS)
    if not flows:
        return None
    return open_tables(flows, store.files(PRODUCTION), engine=engine)


def _load_into(
    store: TradeStore, paths: Sequence[Path], *, replace: bool, progress: Progress
) -> list[TradeLoad]:
    if not paths:
        raise InvalidInput("no trade file given")
    read: list[TradeFile] = []
    for index, path in enumerate(paths):
        progress("reading trade files", index, len(paths))
        read.append(read_trade_file(path))
    progress("reading trade files", len(paths), len(paths))
    _refuse_repeats(read)
    loads: list[TradeLoad] = []
    for index, file in enumerate(read):
        progress("storing trade files", index, len(read))
        if file.is_flows:
            assert file.summary is not None
            added = store.add_flows(file.table, file.summary, sha256=file.sha256, replace=replace)
        else:
            added = store.add_production(
                file.table,
                file=file.path.name,
                sha256=file.sha256,
                summary={"kind": file.kind.value, "rows": file.table.num_rows},
            )
        loads.append(TradeLoad(file, added))
    progress("storing trade files", len(read), len(read))
    return loads


def _refuse_repeats(files: Sequence[TradeFile]) -> None:
    """Two files given together that hold the same flows: refused before either is stored (the
    store checks each against what it holds already). The same file named twice is one file."""
    distinct = {file.sha256: file for file in files if file.is_flows}
    shared = first_shared([(str(file.path), file.table) for file in distinct.values()])
    if shared is not None:
        earlier, later, count = shared
        raise InvalidInput(
            f"{count:,} of its flows are in {Path(earlier).name} (given with it) too (same "
            "reporter, partner, flow, HS code, period and mode): load one of them",
            file=later,
        )


def loaded_files(workspace: Workspace) -> list[Batch]:
    """The files in the workspace's trade store, oldest first."""
    return trade_store(workspace).batches()


def open_workspace_tables(
    workspace: Workspace, *, engine: Engine = Engine.DUCKDB, spark: Any = None
) -> TradeTables | None:
    """The workspace's trade tables on ``engine``; None when no flows are loaded."""
    store = trade_store(workspace)
    flows = store.files(FLOWS)
    if not flows:
        return None
    return open_tables(flows, store.files(PRODUCTION), engine=engine, spark=spark)


def analyse_trade(
    workspace: Workspace,
    scope: TradeScope | None = None,
    *,
    engine: Engine = Engine.DUCKDB,
    settings: TradeSettings | None = None,
    progress: Progress = no_progress,
) -> TradeOutcome:
    """Run every trade analysis over the workspace's trade store."""
    tables = open_workspace_tables(workspace, engine=engine)
    if tables is None:
        raise InvalidInput("no trade flows loaded: run `oresight trade load FILE...` first")
    return analyse(tables, scope or TradeScope(), settings or TradeSettings(), progress=progress)


def trade_settings(
    cif_fob: float | None = None, cif_fob_by_mode: Sequence[str] = ()
) -> TradeSettings:
    """Settings with the CIF/FOB factor (flat) and per-mode factors given as ``CODE=FACTOR``
    (Comtrade ``motCode``: ``2100=1.05`` for sea)."""
    modes: list[tuple[int, float]] = []
    for given in cif_fob_by_mode:
        code, _, factor = given.partition("=")
        try:
            pair = (int(code), float(factor))
        except ValueError:
            raise InvalidInput(
                f"expected MODE=FACTOR such as 2100=1.05, found {given!r}", field="--cif-fob-mode"
            ) from None
        if not 1.0 <= pair[1] <= 2.0:
            raise InvalidInput(
                f"a CIF/FOB factor is between 1 and 2, not {pair[1]:g}", field="--cif-fob-mode"
            )
        modes.append(pair)
    if cif_fob is not None and not 1.0 <= cif_fob <= 2.0:
        raise InvalidInput(
            f"a CIF/FOB factor is between 1 and 2, not {cif_fob:g}", field="--cif-fob"
        )
    flat = MirrorSettings().cif_fob if cif_fob is None else cif_fob
    return TradeSettings(mirror=MirrorSettings(cif_fob=flat, cif_fob_by_mode=tuple(modes)))


def workspace_scope(sites: Mapping[str, Site], events: Iterable[CustodyEvent]) -> TradeScope:
    """The countries (of the sites) and minerals (of the sites and the lots) of a workspace's
    supply chains: what an assessment reports trade findings on."""
    countries: set[str] = set()
    minerals: set[str] = set()
    for site in sites.values():
        if site.country:
            found = pycountry.countries.get(alpha_2=site.country.upper())
            if found is not None:
                countries.add(str(found.alpha_3))
        minerals.update(mineral.value for mineral in site.minerals)
    for event in events:
        if event.lot_master is not None and event.lot_master.mineral is not None:
            minerals.add(event.lot_master.mineral.value)
    return TradeScope(countries=tuple(sorted(countries)), minerals=tuple(sorted(minerals)))


def describe_loads(loads: Sequence[TradeLoad]) -> list[str]:
    """One line per file: what it held, and what loading it did."""
    lines = []
    for load in loads:
        added = load.added
        if added.batch is None:
            lines.append(f"{load.file.path.name}: already loaded, skipped")
            continue
        line = load.file.describe()
        if added.replaced_rows:
            line += f"; replaced {added.replaced_rows:,} flows loaded before"
        lines.append(line)
    return lines

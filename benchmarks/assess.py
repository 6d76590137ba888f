"""Assessment benchmark: ``oresight assess`` over a million custody events, beside pandas.

Writes a bulk world (:func:`oresight.sim.bulk.generate_bulk`: about 25,600 supply chains, 10^6
EPCIS events, 10^5 lots, 7,500 sites, a few planted problems of each kind), ingests it into a
workspace as ``oresight ingest`` does (one call per file; timed, reported apart), then measures,
each in a fresh process of its own so that each peak memory is its own:

* **ours**: :func:`oresight.workflows.assess.assess_workspace` — what ``oresight assess
  --production DIR`` runs: load events, sites and parties from the workspace, run the nine
  analyses, score the findings under the default risk profile, store them;
* **peer**: a straightforward pandas implementation of six of the same checks (broken chain,
  unlicensed origin with shapely point-in-polygon, mass balance per transformation, tag reuse,
  impossible travel, origin overproduction) over the same world, read from the same EPCIS and
  GeoJSON files with ``json`` into DataFrames, using oresight's reference tables (recoveries,
  transport speeds, output ceilings) so that both judge by the same numbers.

The findings of both are compared by (code, subject) on the checks the peer implements, and
each side's recall of the planted problems is reported. One JSON object goes to stdout,
progress to stderr. ``ratio`` is ours ÷ peer in events per second (higher is better for ours).

    pip install -e '.[bench]'                        # pandas
    python benchmarks/assess.py --events 100000      # quick run, about two minutes
    python benchmarks/assess.py > assess.json        # 10^6 events, ingest ~6 min, then ~3 min
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from measure import log, peak_rss_mb, rss_mb

from oresight.sim.bulk import EVENTS_PER_CHAIN, KEY_FILE, PLANTED_KINDS, generate_bulk
from oresight.store.database import init_workspace
from oresight.workflows.ingest import ingest_files

try:
    import pandas as pd
except ImportError:  # the peer says what to install; the rest runs without pandas
    pd = None

TARGET_SECONDS = 60.0
TARGET_PEAK_MB = 4096.0
PEER_CODES = (
    "CUSTODY.BROKEN_CHAIN",
    "CUSTODY.UNLICENSED_ORIGIN",
    "CUSTODY.MASS_BALANCE",
    "CUSTODY.TAG_REUSE",
    "CUSTODY.IMPOSSIBLE_TRAVEL",
    "CUSTODY.ORIGIN_OVERPRODUCTION",
)
"""The checks the pandas peer implements (mass balance: per transformation only)."""
SIX_CHECKS = tuple(code.removeprefix("CUSTODY.").lower() for code in PEER_CODES)
"""The six by name: our rule is ``custody.<name>``, the peer's check ``<name>``."""


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark (or, with ``--child``, one measured side of it) and print its JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000, help="about N events")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--planted-per-kind", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=1, help="runs of each side; best counts")
    parser.add_argument(
        "--workdir", type=Path, help="keep the world and workspace here (reused when they match)"
    )
    parser.add_argument(
        "--trace-memory",
        action="store_true",
        help="one more run of ours under tracemalloc (slow): the Python heap's peak",
    )
    parser.add_argument("--child", choices=("ours", "peer", "traced"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        if args.child == "peer":
            result = run_peer(args.workdir)
        else:
            result = run_ours(args.workdir, traced=args.child == "traced")
        print(json.dumps(result))
        return 0
    with tempfile.TemporaryDirectory(prefix="oresight-assess-") as temp:
        workdir = args.workdir or Path(temp)
        workdir.mkdir(parents=True, exist_ok=True)
        report = run(args, workdir)
    print(json.dumps(report, indent=2))
    return 0


def run(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    """Prepare the world and the workspace, measure both sides, compare them."""
    chains = max(args.planted_per_kind * len(PLANTED_KINDS), round(args.events / EVENTS_PER_CHAIN))
    world, prepared = prepare(workdir, chains, args.seed, args.planted_per_kind)
    ours_runs, peer_runs = [], []
    for index in range(args.repeat):
        log(f"ours, run {index + 1} of {args.repeat}: assess_workspace")
        ours_runs.append(child("ours", workdir))
        log(f"  {ours_runs[-1]['seconds']:.1f} s, peak {ours_runs[-1]['peak_rss_mb']:.0f} MiB")
        log(f"peer, run {index + 1} of {args.repeat}: pandas")
        peer_runs.append(child("peer", workdir))
        log(f"  {peer_runs[-1]['seconds']:.1f} s, peak {peer_runs[-1]['peak_rss_mb']:.0f} MiB")
    ours = min(ours_runs, key=lambda r: r["seconds"])
    peer = min(peer_runs, key=lambda r: r["seconds"])
    heap: dict[str, Any] | None = None
    if args.trace_memory:
        log("ours once more, under tracemalloc")
        traced = child("traced", workdir)
        heap = {
            "ours_python_heap_peak": traced["heap_peak_mb"],
            "seconds_traced": traced["seconds"],
        }
    events = world["events"]
    checks = {
        "ours": round(sum(ours["phases"][f"custody.{name}"] for name in SIX_CHECKS), 2),
        "peer": round(sum(peer["phases"][name] for name in SIX_CHECKS), 2),
    }
    planted = [(p["code"], p["subject_id"]) for p in world["planted"]]
    seconds_met = ours["seconds"] < TARGET_SECONDS
    memory_met = ours["peak_rss_mb"] < TARGET_PEAK_MB
    return {
        "benchmark": "oresight assess vs pandas",
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "world": {key: world[key] for key in ("chains", "seed", "events", "lots", "sites")}
        | {"parties": world["parties"], "planted_findings": len(planted)},
        "prepare": prepared,
        "assess": {
            "unit": "s",
            "ours": ours["seconds"],
            "peer": peer["seconds"],
            "ratio": round(peer["seconds"] / ours["seconds"], 2),
            "ours_events_per_s": round(events / ours["seconds"]),
            "peer_events_per_s": round(events / peer["seconds"]),
            "ours_is": "assess_workspace: load from the SQLite workspace, 9 analyses, risk "
            "scoring, findings stored (oresight assess --production DIR)",
            "peer_is": "pandas 6 checks from the EPCIS and GeoJSON files (json -> DataFrames)",
            "load": {
                "ours": ours["phases"]["load"],
                "peer": peer["phases"]["load"],
                "ratio": round(peer["phases"]["load"] / ours["phases"]["load"], 2),
                "note": "ours: events, sites and parties from SQLite into core types; peer: the "
                "EPCIS and GeoJSON files into DataFrames",
            },
            "six_checks": {
                "ours": checks["ours"],
                "peer": checks["peer"],
                "ratio": round(checks["peer"] / checks["ours"], 2),
                "note": "the six checks both sides make, after loading; ours includes reading "
                "the lineage and custody graph that its other rules share",
            },
            "ours_phases": ours["phases"],
            "peer_phases": peer["phases"],
            "runs": {
                "ours": [r["seconds"] for r in ours_runs],
                "peer": [r["seconds"] for r in peer_runs],
            },
            "target": f"ours < {TARGET_SECONDS:g} s",
            "met": seconds_met,
        },
        "memory": {
            "unit": "MiB",
            "ours_peak_rss": ours["peak_rss_mb"],
            "peer_peak_rss": peer["peak_rss_mb"],
            "ours_rss_before": ours["rss_before_mb"],
            "peer_rss_before": peer["rss_before_mb"],
            "ratio": round(peer["peak_rss_mb"] / ours["peak_rss_mb"], 2),
            "note": "resident memory of each side's own process after imports (rss_before) and "
            "at its highest (the kernel's VmHWM)",
            "target": f"ours < {TARGET_PEAK_MB:g} MiB",
            "met": memory_met,
        }
        | (heap or {}),
        "findings": compare(ours["findings"], peer["findings"], planted),
        "targets_met": seconds_met and memory_met,
        "machine": {
            "platform": platform.platform(),
            "cpu": _cpu_model(),
            "cpus": os.cpu_count(),
            "memory_gib": round(
                os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") / 2**30, 1
            ),
            "python": platform.python_version(),
            "pandas": peer["pandas"],
            "shapely": peer["shapely"],
        },
        "notes": [
            "each side runs in a fresh process; imports are not timed (ours_phases and "
            "peer_phases say where the time goes)",
            "the peer reads the files a user brings; ours reads the workspace they were "
            "ingested into (ingest is measured apart, under prepare)",
            "the peer treats a lot consumed by a transformation as used up (ours weighs partial "
            "use) and checks mass balance per transformation only (ours also per facility and "
            "period, and the UNTP mass-balance chain of custody)",
        ],
    }


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def prepare(workdir: Path, chains: int, seed: int, per_kind: int) -> tuple[dict[str, Any], Any]:
    """The world's key and how long writing and ingesting it took (reused when it matches)."""
    world_dir, workspace_dir = workdir / "world", workdir / "workspace"
    done = workdir / "prepared.json"
    wanted = {"chains": chains, "seed": seed, "planted_per_kind": per_kind}
    if done.is_file() and json.loads(done.read_text())["wanted"] == wanted:
        log(f"reusing the world and workspace in {workdir}")
        return json.loads((world_dir / KEY_FILE).read_text()), json.loads(done.read_text())
    log(f"writing a bulk world of {chains:,} chains")
    started = time.perf_counter()
    key = generate_bulk(world_dir, chains=chains, seed=seed, planted_per_kind=per_kind)
    generate_seconds = time.perf_counter() - started
    log(f"  {key.events:,} events, {key.lots:,} lots in {generate_seconds:.1f} s")
    workspace = init_workspace(workspace_dir)
    started = time.perf_counter()
    ingest_files(workspace, [key.sites_file, key.parties_file])
    for index, path in enumerate(key.event_files, start=1):
        ingest_files(workspace, [path])
        if index % 5 == 0 or index == len(key.event_files):
            elapsed = time.perf_counter() - started
            log(f"  ingested {index} of {len(key.event_files)} event files, {elapsed:.0f} s")
    ingest_seconds = time.perf_counter() - started
    workspace.close()
    prepared = {
        "wanted": wanted,
        "generate_seconds": round(generate_seconds, 1),
        "ingest_seconds": round(ingest_seconds, 1),
        "ingest_events_per_s": round(key.events / ingest_seconds),
        "ingest_is": "ingest_files per file (as `oresight ingest FILE` each), sites and parties "
        "first, one transaction per file, into a fresh SQLite workspace",
        "ingest_peak_rss_mb": peak_rss_mb(),
        "workspace_bytes": sum(p.stat().st_size for p in workspace_dir.rglob("*") if p.is_file()),
    }
    done.write_text(json.dumps(prepared))
    return json.loads((world_dir / KEY_FILE).read_text()), prepared


def child(side: str, workdir: Path) -> dict[str, Any]:
    """Run one side in a fresh interpreter; its JSON result."""
    command = [sys.executable, __file__, "--child", side, "--workdir", str(workdir)]
    finished = subprocess.run(command, check=True, capture_output=True, text=True)
    sys.stderr.write(finished.stderr)
    result: dict[str, Any] = json.loads(finished.stdout)
    return result


# -- ours --------------------------------------------------------------------------------------


def run_ours(workdir: Path, *, traced: bool = False) -> dict[str, Any]:
    """``assess_workspace`` on the prepared workspace, timed phase by phase (``traced``: under
    tracemalloc, for the Python heap's peak)."""
    from oresight.store.database import open_workspace
    from oresight.workflows.analyses import ReferenceData
    from oresight.workflows.assess import assess_workspace

    workspace = open_workspace(workdir / "workspace")
    reference = ReferenceData.load(production=workdir / "world" / "production")
    marks: list[tuple[str, float]] = []

    def progress(label: str, done: int, total: int) -> None:
        marks.append((label, time.perf_counter()))

    before = rss_mb()
    if traced:
        tracemalloc.start()
    started = time.perf_counter()
    result = assess_workspace(workspace, reference=reference, progress=progress)
    finished = time.perf_counter()
    heap_peak = tracemalloc.get_traced_memory()[1] if traced else 0
    phases: dict[str, float] = {"load": round(marks[0][1] - started, 2)}
    for (label, at), (_, until) in itertools.pairwise(marks):
        phases[label] = round(until - at, 2)
    phases["score_and_store"] = round(finished - marks[-1][1], 2)
    return {
        "seconds": round(finished - started, 2),
        "phases": phases,
        "rss_before_mb": before,
        "peak_rss_mb": peak_rss_mb(),
        "heap_peak_mb": round(heap_peak / 2**20, 1),
        "findings": sorted(
            {(f.code.value, f.subject.type.value, f.subject.id) for f in result.findings}
        ),
    }


# -- the pandas peer ---------------------------------------------------------------------------


def run_peer(workdir: Path) -> dict[str, Any]:
    """The pandas checks over the world's files, timed: loading, then each check."""
    if pd is None:  # pragma: no cover - a friendly message instead of a traceback
        sys.exit("benchmarks/assess.py needs pandas: pip install -e '.[bench]'")
    before = rss_mb()
    started = time.perf_counter()
    peer = PandasPeer(workdir / "world")
    phases = {"load": round(time.perf_counter() - started, 2)}
    findings: set[tuple[str, str, str]] = set()
    for name, check in peer.checks():
        at = time.perf_counter()
        findings |= check()
        phases[name] = round(time.perf_counter() - at, 2)
    return {
        "seconds": round(time.perf_counter() - started, 2),
        "phases": phases,
        "rss_before_mb": before,
        "peak_rss_mb": peak_rss_mb(),
        "findings": sorted(findings),
        "pandas": pd.__version__,
        "shapely": shapely.__version__,
    }


MOVEMENT_STEPS = (
    "shipping", "receiving", "accepting", "departing", "arriving", "loading", "unloading",
    "transporting", "stocking", "storing",
)  # fmt: skip
EXTRACTION_KINDS = ("mine", "artisanal_site", "concession")
KG_PER_UNIT = {"KGM": 1.0, "TNE": 1000.0, "GRM": 0.001}
EARTH_KM = 6371.0088
Findings = set[tuple[str, str, str]]


class PandasPeer:
    """Six custody checks as a data analyst would write them with pandas and shapely."""

    def __init__(self, world: Path) -> None:
        key = json.loads((world / KEY_FILE).read_text())
        rows: list[tuple[Any, ...]] = []
        items: list[tuple[Any, ...]] = []
        for name in key["event_files"]:
            document = json.loads((world / name).read_bytes())
            for e in document["epcisBody"]["eventList"]:
                ilmd = e.get("ilmd") or {}
                rows.append(
                    (
                        e["eventID"], e["type"], e.get("action"), e.get("bizStep"),
                        e["eventTime"], (e.get("bizLocation") or {}).get("id"),
                        (e.get("readPoint") or {}).get("id"), e.get("ore:transportMode"),
                        ilmd.get("ore:mineral"), ilmd.get("ore:form"),
                        ilmd.get("ore:gradePercent"),
                    )
                )  # fmt: skip
                for column in ("quantityList", "inputQuantityList", "outputQuantityList"):
                    for q in e.get(column, ()):
                        items.append(
                            (e["eventID"], column, q["epcClass"], q.get("quantity"), q.get("uom"))
                        )
        events = pd.DataFrame(
            rows,
            columns=[
                "event_id", "type", "action", "biz_step", "event_time", "location",
                "read_point", "mode", "mineral", "form", "grade",
            ],
        )  # fmt: skip
        events["time"] = pd.to_datetime(events["event_time"], format="ISO8601", utc=True)
        events["day"] = events["event_time"].str[:10]  # the local calendar day, as written
        self.events = events
        lists = pd.DataFrame(items, columns=["event_id", "list", "lot", "quantity", "uom"])
        self.items = lists.merge(
            events[
                ["event_id", "type", "action", "biz_step", "time", "location", "read_point", "mode"]
            ],
            on="event_id",
        )
        it = self.items
        self.origin = (
            (it["type"] == "ObjectEvent") & (it["action"] == "ADD") & (it["list"] == "quantityList")
        ) | ((it["type"] == "TransformationEvent") & (it["list"] == "outputQuantityList"))
        self.consumption = (it["type"] == "TransformationEvent") & (
            it["list"] == "inputQuantityList"
        )
        self.movement = (it["type"] != "TransformationEvent") & it["biz_step"].isin(MOVEMENT_STEPS)
        self.sites = self._sites(json.loads((world / key["sites_file"]).read_text())["features"])

    @staticmethod
    def _sites(features: list[dict[str, Any]]) -> Any:
        rows = []
        for feature in features:
            props, geometry = feature["properties"], shapely.geometry.shape(feature["geometry"])
            centre = geometry if geometry.geom_type == "Point" else geometry.representative_point()
            corners = [] if geometry.geom_type == "Point" else list(geometry.exterior.coords)
            radius = max((_km(centre.x, centre.y, x, y) for x, y in corners), default=0.0)
            rows.append(
                {
                    "site": props["id"], "kind": props["kind"], "geometry": geometry,
                    "lon": centre.x, "lat": centre.y, "radius": radius,
                    "licence": props.get("licence_number"),
                    "valid_from": props.get("licence_valid_from"),
                    "valid_to": props.get("licence_valid_to"),
                    "capacity": props.get("capacity_t_per_year"),
                    "mineral": (props.get("minerals") or [None])[0],
                }
            )  # fmt: skip
        return pd.DataFrame(rows).set_index("site")

    def checks(self) -> list[tuple[str, Any]]:
        """Each check by name: a function returning (code, subject type, subject id) triples."""
        return [
            ("broken_chain", self.broken_chain),
            ("unlicensed_origin", self.unlicensed_origin),
            ("mass_balance", self.mass_balance),
            ("tag_reuse", self.tag_reuse),
            ("impossible_travel", self.impossible_travel),
            ("origin_overproduction", self.origin_overproduction),
        ]

    def broken_chain(self) -> Findings:
        """Lots moved or consumed before any event created them."""
        it = self.items
        first_use = it[self.movement | self.consumption].groupby("lot")["time"].min()
        first_origin = it[self.origin].groupby("lot")["time"].min()
        both = first_use.to_frame("use").join(first_origin.rename("origin"))
        broken = both.index[both["origin"].isna() | (both["origin"] > both["use"])]
        return {("CUSTODY.BROKEN_CHAIN", "lot", lot) for lot in broken}

    def _commissioning(self) -> Any:
        events = self.events
        made = events[(events["type"] == "ObjectEvent") & (events["action"] == "ADD")]
        extraction = self.sites[self.sites["kind"].isin(EXTRACTION_KINDS)]
        return made.merge(extraction, left_on="location", right_index=True, suffixes=("", "_site"))

    @staticmethod
    def _licensed(frame: Any, day: Any) -> Any:
        return (
            frame["licence"].notna()
            & (frame["valid_from"].isna() | (day >= frame["valid_from"]))
            & (frame["valid_to"].isna() | (day <= frame["valid_to"]))
        )

    def unlicensed_origin(self) -> Findings:
        """Extraction at a site whose licence was not valid that day, or at a point inside no
        area licensed that day (shapely STRtree point-in-polygon)."""
        made = self._commissioning()
        licensed = self._licensed(made, made["day"])
        flagged = set(made.loc[~licensed, "event_id"])
        rest = made[licensed]
        coordinates = rest["read_point"].str[4:].str.split(",", expand=True).astype(float)
        points = shapely.points(coordinates[1].to_numpy(), coordinates[0].to_numpy())
        sites = self.sites
        areas = sites[sites["kind"].isin(EXTRACTION_KINDS) & (sites["radius"] > 0)]
        tree = shapely.STRtree(areas["geometry"].to_numpy())
        at, area = tree.query(points, predicate="covered_by")
        pairs = areas.iloc[area].reset_index()
        pairs["event_id"] = rest["event_id"].to_numpy()[at]
        covered = set(pairs.loc[self._licensed(pairs, rest["day"].to_numpy()[at]), "event_id"])
        flagged |= set(rest["event_id"]) - covered
        return {("CUSTODY.UNLICENSED_ORIGIN", "event", event) for event in flagged}

    def _lot_master(self) -> Any:
        origins = self.items[self.origin].sort_values(["time", "event_id"])
        first = origins.drop_duplicates("lot")[["lot", "event_id"]]
        master = self.events[["event_id", "mineral", "form", "grade"]]
        return first.merge(master, on="event_id").drop(columns="event_id")

    def mass_balance(self) -> Findings:
        """Transformations whose outputs hold more element than their inputs at the maximum
        recoveries allow (2 % per weighing on either side, 0.1 kg)."""
        from oresight.custody.recovery_table import default_recovery_table

        it, events = self.items, self.events
        made = events[events["type"] == "TransformationEvent"][
            ["event_id", "mineral", "form", "grade"]
        ]
        inputs = it[self.consumption][["event_id", "lot", "quantity", "uom"]].merge(
            self._lot_master(), on="lot", how="left"
        )
        inputs = inputs.merge(made[["event_id", "form"]], on="event_id", suffixes=("", "_out"))
        outputs = it[(it["type"] == "TransformationEvent") & (it["list"] == "outputQuantityList")]
        outputs = outputs[["event_id", "quantity", "uom"]].merge(made, on="event_id")
        table = default_recovery_table()
        recoveries = pd.DataFrame(
            [(m.value, a.value, b.value, r.value) for (m, a, b), r in table.recoveries.items()],
            columns=["mineral", "form", "form_out", "recovery"],
        )
        inputs = inputs.merge(recoveries, on=["mineral", "form", "form_out"], how="left")
        inputs["recovery"] = inputs["recovery"].fillna(table.default.value)
        inputs["element"] = (
            inputs["quantity"] * inputs["uom"].map(KG_PER_UNIT) * inputs["grade"] / 100
        )
        outputs["element"] = (
            outputs["quantity"] * outputs["uom"].map(KG_PER_UNIT) * outputs["grade"] / 100
        )
        unknown = set(inputs.loc[inputs["element"].isna(), "event_id"])  # cannot be balanced
        allowed = (inputs["element"] * inputs["recovery"]).groupby(inputs["event_id"]).sum()
        produced = outputs.groupby("event_id")["element"].sum()
        both = produced.to_frame("out").join(allowed.rename("allowed"), how="inner")
        over = both.index[both["out"] > both["allowed"] * 1.02 / 0.98 + 0.1]
        return {("CUSTODY.MASS_BALANCE", "event", e) for e in over if e not in unknown}

    def tag_reuse(self) -> Findings:
        """Lots created twice, or seen again more than an hour after a transformation used them."""
        it = self.items
        created = it[self.origin].groupby("lot")["event_id"].nunique()
        flagged = set(created.index[created > 1])
        consumed = it[self.consumption].sort_values("time").drop_duplicates("lot")
        consumed = consumed[["lot", "time", "event_id"]].rename(
            columns={"time": "used", "event_id": "user"}
        )
        seen = it[self.origin | self.movement | self.consumption][["lot", "time", "event_id"]]
        later = seen.merge(consumed, on="lot")
        later = later[
            (later["event_id"] != later["user"])
            & (later["time"] > later["used"] + pd.Timedelta(hours=1))
        ]
        flagged |= set(later["lot"])
        return {("CUSTODY.TAG_REUSE", "lot", lot) for lot in flagged}

    def impossible_travel(self) -> Findings:
        """Consecutive sightings of a lot farther apart than the faster declared transport (else
        rail) covers in the time between, half an hour of clock slack allowed."""
        from oresight.custody.travel import TravelParams, load_transport_modes

        params = TravelParams()
        speeds = {name: mode.max_kmh for name, mode in load_transport_modes().items()}
        it = self.items
        seen = it[self.origin | self.movement | self.consumption]
        seen = seen[["lot", "event_id", "time", "location", "read_point", "mode"]]
        seen = seen.drop_duplicates(["lot", "event_id"]).merge(
            self.sites[["lon", "lat", "radius"]], left_on="location", right_index=True, how="left"
        )
        geo = seen["read_point"].str.startswith("geo:")
        coordinates = seen.loc[geo, "read_point"].str[4:].str.split(",", expand=True).astype(float)
        seen.loc[geo, "lat"], seen.loc[geo, "lon"] = coordinates[0], coordinates[1]
        seen.loc[geo, "radius"] = 0.0
        seen = seen.dropna(subset=["lon"]).sort_values(["lot", "time", "event_id"])
        seen["speed"] = seen["mode"].map(speeds)
        following = seen.groupby("lot").shift(-1)
        km = _km(seen["lon"], seen["lat"], following["lon"], following["lat"])
        net = (km - seen["radius"] - following["radius"]).clip(lower=0)
        hours = (following["time"] - seen["time"]).abs().dt.total_seconds() / 3600
        speed = seen["speed"].combine(following["speed"], max).fillna(params.fallback().max_kmh)
        speed = speed.where(
            seen["speed"].notna() | following["speed"].notna(), params.fallback().max_kmh
        )
        too_far = (net > 0) & (net > speed * (hours + params.slack_hours))
        return {("CUSTODY.IMPOSSIBLE_TRAVEL", "lot", lot) for lot in set(seen.loc[too_far, "lot"])}

    def origin_overproduction(self) -> Findings:
        """Extraction sites whose commissioned tonnage in a calendar quarter exceeds their
        prorated capacity, or whose element exceeds the kind's ceiling, by more than 10 %."""
        from oresight.custody.overproduction import load_output_ceilings

        made = self._commissioning()
        lots = self.items[self.items["list"] == "quantityList"][["event_id", "quantity", "uom"]]
        lots = made.merge(lots, on="event_id")
        lots["tonnes"] = lots["quantity"] * lots["uom"].map(KG_PER_UNIT) / 1000
        lots["element"] = lots["tonnes"] * lots["grade"] / 100
        day = pd.to_datetime(lots["day"])
        lots["quarter"] = day.dt.year.astype(str) + "-Q" + day.dt.quarter.astype(str)
        start = day.dt.to_period("Q").dt.start_time
        lots["share"] = ((start + pd.offsets.QuarterBegin(startingMonth=1)) - start).dt.days / (
            365 + day.dt.is_leap_year
        )
        totals = lots.groupby(["location", "quarter"]).agg(
            tonnes=("tonnes", "sum"), share=("share", "first"), capacity=("capacity", "first"),
            kind=("kind", "first"), mineral=("mineral_site", "first"), element=("element", "sum"),
        )  # fmt: skip
        over = totals["tonnes"] > totals["capacity"] * totals["share"] * 1.10
        ceilings = {
            (k.value, m.value): c.max_t_per_year for (k, m), c in load_output_ceilings().items()
        }
        ceiling = pd.Series(
            [ceilings.get((k, m)) for k, m in zip(totals["kind"], totals["mineral"], strict=True)],
            index=totals.index,
            dtype=float,
        )
        over |= totals["element"] > ceiling * totals["share"] * 1.10
        sites = {site for site, _ in totals.index[over]}
        return {("CUSTODY.ORIGIN_OVERPRODUCTION", "site", site) for site in sites}


def _km(lon1: Any, lat1: Any, lon2: Any, lat2: Any) -> Any:
    """Great-circle distance (haversine), element-wise on numbers or arrays."""
    lon1, lat1, lon2, lat2 = (np.radians(v) for v in (lon1, lat1, lon2, lat2))
    h = (
        np.sin((lat2 - lat1) / 2) ** 2
        + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_KM * np.arcsin(np.sqrt(h))


def compare(
    ours: list[list[str]], peer: list[list[str]], planted: list[tuple[str, str]]
) -> dict[str, Any]:
    """Agreement by (code, subject) on the peer's checks; each side's recall of the planted."""
    mine = {(code, subject) for code, kind, subject in ours if code in PEER_CODES}
    # The peer balances single transformations only: leave out ours per facility.
    mine -= {
        (code, subject)
        for code, kind, subject in ours
        if code == "CUSTODY.MASS_BALANCE" and kind != "event"
    }
    theirs = {(code, subject) for code, _, subject in peer}
    by_code: dict[str, Any] = {}
    for code in PEER_CODES:
        a = {s for c, s in mine if c == code}
        b = {s for c, s in theirs if c == code}
        by_code[code] = {
            "ours": len(a),
            "peer": len(b),
            "both": len(a & b),
            "only_ours": sorted(a - b)[:5],
            "only_peer": sorted(b - a)[:5],
            "agreement": round(len(a & b) / len(a | b), 3) if a | b else 1.0,
        }
    union = mine | theirs
    scoped = [p for p in planted if p[0] in PEER_CODES]
    all_ours = {(code, subject) for code, _, subject in ours}
    return {
        "agreement": round(len(mine & theirs) / len(union), 3) if union else 1.0,
        "agreement_is": "|both| / |either| of (code, subject) pairs on the peer's six checks",
        "by_code": by_code,
        "ours_total": len(ours),
        "planted_found": {
            "ours": sum(1 for p in planted if p in all_ours),
            "ours_of": len(planted),
            "peer": sum(1 for p in scoped if p in theirs),
            "peer_of": len(scoped),
        },
    }


if __name__ == "__main__":
    raise SystemExit(main())

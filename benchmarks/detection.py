"""Detection benchmark: precision and recall of every finding code on a generated scenario.

Generates a scenario (:func:`oresight.sim.scenarios.generate_scenario`) in a temporary folder,
reads its files with oresight's own readers (as ``oresight ingest`` does, without a workspace),
runs every analysis (:func:`oresight.workflows.analyses.run_analyses`, the default parameters of
each rule, the scenario's USGS production tables as reference data) and scores the findings
against the answer key (:mod:`oresight.sim.scenario_scoring`: matched by code and subject id).

The target: precision >= 0.95 and recall >= 0.95 for every CUSTODY.* code at the default noise.
The other codes a scenario plants (SITE.PROTECTED_AREA_ORIGIN, ORIGIN.CAHRA,
ORIGIN.TRANSIT_COUNTRY) are measured and reported beside them. ``--workspace`` also runs the
real workspace path once (init, ingest, assess) and checks that it finds the same.

One JSON object goes to stdout; progress to stderr.

    python benchmarks/detection.py --chains 400 --rate 0.3 --seed 1
"""

from __future__ import annotations

import argparse
import json
import platform
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from measure import log

from oresight.core.custody import CustodyEvent
from oresight.core.findings import Finding
from oresight.core.parties import Party
from oresight.core.sites import Site
from oresight.custody.production import read_usgs_production_folder
from oresight.sim.scenario_key import CUSTODY_PROBLEMS, AnswerKey
from oresight.sim.scenario_noise import Noise
from oresight.sim.scenario_scoring import CodeScore, DetectionScore, score_detection
from oresight.sim.scenarios import generate_scenario
from oresight.store.database import init_workspace
from oresight.workflows.analyses import AnalysisInputs, ReferenceData, run_analyses
from oresight.workflows.assess import assess_workspace
from oresight.workflows.ingest import ingest_files, parse_file

TARGET_PRECISION = 0.95
TARGET_RECALL = 0.95
TARGET_CODES = tuple(kind.code.value for kind in CUSTODY_PROBLEMS)


def read_inputs(key: AnswerKey) -> AnalysisInputs:
    """The scenario's files read with oresight's readers, and its production tables."""
    events: list[CustodyEvent] = []
    sites: dict[str, Site] = {}
    parties: dict[str, Party] = {}
    for path in key.files:
        parsed = parse_file(path)
        events.extend(parsed.events)
        sites.update((site.id, site) for site in parsed.sites)
        parties.update((party.id, party) for party in parsed.parties)
    production = read_usgs_production_folder(key.production_dir)
    return AnalysisInputs(
        events=events, sites=sites, parties=parties, reference=ReferenceData(production=production)
    )


def code_json(score: CodeScore) -> dict[str, Any]:
    """One code's score, with whether the target applies and holds."""
    targeted = score.code in TARGET_CODES
    return {
        "planted": score.planted,
        "flagged": score.flagged,
        "true_positives": score.true_positives,
        "false_positives": score.false_positives,
        "false_negatives": score.false_negatives,
        "related": score.related,
        "precision": _rounded(score.precision),
        "recall": _rounded(score.recall),
        "target": "precision >= 0.95 and recall >= 0.95" if targeted else None,
        "met": score.meets(precision=TARGET_PRECISION, recall=TARGET_RECALL) if targeted else None,
        "missed": list(score.missed),
        "unexpected": list(score.unexpected),
    }


def workspace_check(key: AnswerKey, findings: list[Finding], folder: Path) -> dict[str, Any]:
    """Run init, ingest and assess on a workspace; compare its findings with the direct run."""
    started = time.perf_counter()
    workspace = init_workspace(folder)
    try:
        ingest_files(workspace, list(key.files))
        reference = ReferenceData(production=read_usgs_production_folder(key.production_dir))
        result = assess_workspace(workspace, reference=reference)
    finally:
        workspace.close()
    direct = {(f.code.value, f.subject.id) for f in findings}
    stored = {(f.code.value, f.subject.id) for f in result.findings}
    return {
        "same_findings": direct == stored,
        "findings": len(result.findings),
        "only_direct": sorted(map(list, direct - stored))[:10],
        "only_workspace": sorted(map(list, stored - direct))[:10],
        "seconds": round(time.perf_counter() - started, 2),
    }


def run(args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    """Generate, read, analyse and score; the benchmark's JSON object."""
    noise = Noise(
        weighing_error=args.weighing_error,
        weighing_spread=args.weighing_spread,
        clock_skew_minutes=args.clock_skew_minutes,
        missing_optional_rate=args.missing_rate,
    )
    log(f"generating {args.chains} chains (rate {args.rate}, seed {args.seed})")
    started = time.perf_counter()
    key = generate_scenario(
        folder / "scenario", chains=args.chains, problem_rate=args.rate, seed=args.seed, noise=noise
    )
    generated = time.perf_counter()
    log("reading the files")
    inputs = read_inputs(key)
    read = time.perf_counter()
    log(f"analysing {len(inputs.events)} events, {len(inputs.sites)} sites")
    outcome = run_analyses(
        inputs, progress=lambda stage, done, total: log(f"  {stage} ({done}/{total})")
    )
    analysed = time.perf_counter()
    score: DetectionScore = score_detection(outcome.findings, key)
    codes = {code: code_json(s) for code, s in score.codes.items()}
    met = all(codes[code]["met"] for code in TARGET_CODES if code in codes)
    kinds = Counter(chain.problem or "clean" for chain in key.chains)
    report: dict[str, Any] = {
        "benchmark": "detection",
        "scenario": {
            "chains": args.chains,
            "problem_rate": args.rate,
            "seed": args.seed,
            "noise": noise.as_json(),
            "chains_by_problem": dict(sorted(kinds.items())),
            "events": len(inputs.events),
            "sites": len(inputs.sites),
            "parties": len(inputs.parties),
            "planted_findings": len(key.planted),
            "related_findings": len(key.related),
            "clean_lots": score.clean_lots,
        },
        "targets": {
            "precision": TARGET_PRECISION,
            "recall": TARGET_RECALL,
            "codes": list(TARGET_CODES),
        },
        "targets_met": met,
        "codes": codes,
        "clean_lots_flagged": list(score.clean_lots_flagged),
        "findings": len(outcome.findings),
        "data_gaps_by_rule": dict(sorted(Counter(gap.rule for gap in outcome.gaps).items())),
        "seconds": {
            "generate": round(generated - started, 2),
            "read": round(read - generated, 2),
            "analyse": round(analysed - read, 2),
        },
        "machine": f"{platform.python_implementation()} {platform.python_version()}, "
        f"{platform.machine()}",
    }
    if args.workspace:
        log("running init, ingest and assess on a workspace")
        report["workspace"] = workspace_check(key, outcome.findings, folder / "workspace")
    return report


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def main() -> int:
    """Parse options, run, print the JSON object."""
    defaults = Noise()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--chains", type=int, default=400)
    parser.add_argument("--rate", type=float, default=0.3, help="share of chains with a problem")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--weighing-error", type=float, default=defaults.weighing_error)
    parser.add_argument(
        "--weighing-spread", choices=("normal", "uniform"), default=defaults.weighing_spread
    )
    parser.add_argument("--clock-skew-minutes", type=float, default=defaults.clock_skew_minutes)
    parser.add_argument("--missing-rate", type=float, default=defaults.missing_optional_rate)
    parser.add_argument("--workspace", action="store_true", help="also run the workspace path")
    parser.add_argument("--keep", type=Path, help="write the scenario here and keep it")
    args = parser.parse_args()
    if args.keep is not None:
        args.keep.mkdir(parents=True, exist_ok=True)
        report = run(args, args.keep)
    else:
        with tempfile.TemporaryDirectory(prefix="oresight-detection-") as tmp:
            report = run(args, Path(tmp))
    print(json.dumps(report, indent=2))
    return 0 if report["targets_met"] else 1


if __name__ == "__main__":
    raise SystemExit(main())

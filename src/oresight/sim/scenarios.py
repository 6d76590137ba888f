"""Generate detection scenarios: many supply chains, some hiding a known problem, with noise.

``generate_scenario(out_dir, chains=400, problem_rate=0.3, seed=1)`` writes the files a user would
bring, as the demo world does, plus the answer key:

* ``sites.geojson`` — every site (GeoJSON), ``parties.ftm.json`` — every party (FtM lines);
* ``events/scenario-<tier>.jsonld`` — EPCIS 2.0 documents, one per tier of the chains;
* ``production/mcs2024-*_world.csv`` — USGS national mine production (for the transit check);
* ``answer_key.json`` — each planted problem (finding code, subject type, subject id), the
  findings that follow from them, and the clean control lots (:mod:`oresight.sim.scenario_key`).

Exactly ``round(problem_rate x chains)`` chains hide a problem, the kinds dealt round-robin in a
seeded order so that each kind is planted about equally often; the rest are clean controls.
Chains differ in mineral (cobalt, tin, tantalum), in the number of extraction sites (1-3) and
lots (1-5 per site), and in dates (2022-2023). The noise (:class:`Noise`: weighing error, clock
skew, optional fields left out) is drawn apart from the chains, so a seed gives the same chains
with any noise. The same arguments always give byte-identical files.

Run ``python -m oresight.sim.scenarios OUT_DIR --chains 400 --rate 0.3 --seed 1`` to write one.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from random import Random
from typing import Any

from oresight.core.errors import InvalidInput
from oresight.sim.epcis_builder import EventLog
from oresight.sim.scenario_chains import ChainTrace, build_chain
from oresight.sim.scenario_expected import expected_findings
from oresight.sim.scenario_key import (
    AnswerKey,
    ChainSummary,
    ProblemKind,
    ScenarioParams,
    write_answer_key,
)
from oresight.sim.scenario_layout import ChainPlan, lay_out_chain
from oresight.sim.scenario_noise import Noise, apply_noise
from oresight.sim.scenario_places import (
    Commodity,
    ScenarioPlaces,
    registered,
    shared_parties,
    shared_sites,
)
from oresight.sim.scenario_production import write_production_tables
from oresight.sim.world import FICTITIOUS_NOTE, PartySpec, SiteSpec, site_id
from oresight.sim.world_files import site_geometry, site_properties

SITES_FILE = "sites.geojson"
PARTIES_FILE = "parties.ftm.json"
EVENTS_DIR = "events"
PRODUCTION_DIR = "production"
YEARS = (2022, 2023)
QUARTER_MONTHS = (1, 4, 7, 10)
COMMODITIES = (Commodity.COBALT, Commodity.TIN, Commodity.TANTALUM)
COMMODITY_WEIGHTS = (0.4, 0.3, 0.3)
VARIANTS: dict[ProblemKind, tuple[str, ...]] = {
    ProblemKind.BROKEN_CHAIN: ("laundered", "backdated"),
    ProblemKind.MASS_BALANCE: ("first", "final"),
    ProblemKind.UNLICENSED_ORIGIN: ("expired", "outside"),
    ProblemKind.CAHRA: ("south", "north"),
}

__all__ = ["AnswerKey", "Noise", "ProblemKind", "generate_scenario", "main", "plan_chains"]


def generate_scenario(
    out_dir: Path,
    *,
    chains: int,
    problem_rate: float,
    seed: int,
    noise: Noise | None = None,
    kinds: Sequence[ProblemKind] | None = None,
) -> AnswerKey:
    """Write a scenario of ``chains`` supply chains under ``out_dir``; return its answer key.

    ``noise`` defaults to :class:`Noise`'s defaults (±2 % weighing, ±10 minutes of clock skew,
    10 % of optional fields left out); ``kinds`` limits the problems planted (default: every
    :class:`ProblemKind`). Raises
    :class:`InvalidInput` for a count, rate or kind list that makes no scenario, including more
    chains than their regions hold (the Rwanda grid holds 552 tin and tantalum chains, the
    Copperbelt one 836 cobalt chains).
    """
    chosen = tuple(kinds) if kinds is not None else tuple(ProblemKind)
    plans = plan_chains(Random(seed), chains=chains, problem_rate=problem_rate, kinds=chosen)
    rng = Random(f"oresight-scenario-{seed}")
    places = ScenarioPlaces(rng)
    layouts = [lay_out_chain(places, plan) for plan in plans]
    log = EventLog(rng, "scenario")
    with registered(places.parties, places.sites):
        traces = [
            build_chain(log, plan, layout) for plan, layout in zip(plans, layouts, strict=True)
        ]
        expected = [expected_findings(trace) for trace in traces]
        documents = log.documents()
        site_specs = [*shared_sites(), *places.sites]
        features = [_feature(site) for site in site_specs]
        entities = [_entity(party) for party in [*shared_parties(), *places.parties]]
        unweighed = frozenset(site_id(s) for s in site_specs if s.kind == "border_post")
        summaries = tuple(_summary(trace) for trace in traces)
    noise = noise or Noise()
    apply_noise(
        documents.values(),
        features,
        entities,
        noise=noise,
        rng=Random(f"oresight-noise-{seed}"),
        unweighed_locations=unweighed,
    )
    files = _write_files(out_dir, features, entities, documents)
    write_production_tables(out_dir / PRODUCTION_DIR)
    key = AnswerKey(
        root=out_dir,
        files=tuple(files),
        production_dir=out_dir / PRODUCTION_DIR,
        params=ScenarioParams(chains, problem_rate, seed, noise, tuple(k.value for k in chosen)),
        planted=tuple(entry for planted, _ in expected for entry in planted),
        related=tuple(entry for _, related in expected for entry in related),
        clean_lots=tuple(lot for t in traces if t.plan.problem is None for lot in t.lots()),
        chains=summaries,
    )
    write_answer_key(key)
    return key


def plan_chains(
    rng: Random, *, chains: int, problem_rate: float, kinds: Sequence[ProblemKind]
) -> list[ChainPlan]:
    """The plans of a scenario's chains: which hide which problem, what they carry, how big."""
    if chains < 1:
        raise InvalidInput(f"expected at least 1 chain, found {chains}", field="chains")
    if not 0 <= problem_rate <= 1:
        raise InvalidInput(
            f"expected a rate from 0 to 1, found {problem_rate!r}", field="problem_rate"
        )
    if not kinds:
        raise InvalidInput("expected at least one kind of problem to plant", field="kinds")
    order = list(dict.fromkeys(kinds))
    rng.shuffle(order)
    problems = round(problem_rate * chains)
    dealt: list[ProblemKind | None] = [order[i % len(order)] for i in range(problems)]
    dealt += [None] * (chains - problems)
    rng.shuffle(dealt)
    return [_plan(rng, index, problem) for index, problem in enumerate(dealt, start=1)]


def _plan(rng: Random, index: int, problem: ProblemKind | None) -> ChainPlan:
    if problem is ProblemKind.TRANSIT_COUNTRY:
        commodity = Commodity.TANTALUM
    elif problem is ProblemKind.CAHRA:
        commodity = rng.choice((Commodity.TIN, Commodity.TANTALUM))
    else:
        commodity = rng.choices(COMMODITIES, weights=COMMODITY_WEIGHTS)[0]
    industrial = commodity is Commodity.COBALT and rng.random() < 0.5
    variant = rng.choice(VARIANTS[problem]) if problem in VARIANTS else None
    sites = rng.randint(1, 2 if industrial else 3)
    lots = [rng.randint(1, 3) if industrial else rng.randint(2, 5) for _ in range(sites)]
    if problem is ProblemKind.ORIGIN_OVERPRODUCTION:
        lots[0] = max(lots[0], 3)
    start = datetime(
        rng.choice(YEARS), rng.choice(QUARTER_MONTHS), rng.randint(1, 20), 5, tzinfo=UTC
    ) + timedelta(minutes=rng.randint(0, 180))
    return ChainPlan(f"C{index:04d}", commodity, problem, variant, industrial, tuple(lots), start)


def _write_files(
    out_dir: Path,
    features: list[dict[str, Any]],
    entities: list[dict[str, Any]],
    documents: dict[str, dict[str, Any]],
) -> list[Path]:
    """Write sites, parties and event documents; return their paths in that order."""
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / EVENTS_DIR).mkdir(exist_ok=True)
    files = [out_dir / SITES_FILE, out_dir / PARTIES_FILE]
    collection = {"type": "FeatureCollection", "name": "oresight scenario", "features": features}
    _write(files[0], _json_text(collection))
    _write(files[1], "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in entities))
    for name, document in documents.items():
        path = out_dir / EVENTS_DIR / f"{name}.jsonld"
        _write(path, _json_text(document))
        files.append(path)
    return files


def _feature(site: SiteSpec) -> dict[str, Any]:
    return {
        "type": "Feature",
        "id": site_id(site),
        "geometry": site_geometry(site),
        "properties": site_properties(site),
    }


def _entity(party: PartySpec) -> dict[str, Any]:
    props: dict[str, list[str]] = {
        "name": [party.name],
        "country": [party.country],
        "notes": [FICTITIOUS_NOTE],
    }
    props["nationality" if party.schema == "Person" else "jurisdiction"] = [party.country]
    for key, value in party.extra:
        props[key] = [value]
    return {"id": party.id, "schema": party.schema, "properties": props}


def _summary(trace: ChainTrace) -> ChainSummary:
    plan, sites = trace.plan, trace.sites
    places = [sites.concession, *sites.origins, sites.buyer, sites.plant, sites.exporter]
    places += [sites.refinery, sites.protected_area]
    return ChainSummary(
        id=plan.id,
        commodity=plan.commodity.value,
        problem=plan.problem.value if plan.problem else None,
        variant=plan.variant,
        sites=tuple(dict.fromkeys(site_id(s) for s in places if s is not None)),
        lots=tuple(dict.fromkeys(trace.lots())),
    )


def _json_text(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _write(path: Path, text: str) -> None:
    # Bytes, not text mode, so that no platform rewrites the newlines.
    path.write_bytes(text.encode("utf-8"))


def main(argv: list[str] | None = None) -> int:
    """Command-line entry: write a scenario and say what was planted."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--chains", type=int, default=400)
    parser.add_argument("--rate", type=float, default=0.3, help="share of chains with a problem")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--weighing-error", type=float, default=Noise().weighing_error)
    parser.add_argument(
        "--weighing-spread", choices=("normal", "uniform"), default=Noise().weighing_spread
    )
    parser.add_argument("--clock-skew-minutes", type=float, default=Noise().clock_skew_minutes)
    parser.add_argument("--missing-rate", type=float, default=Noise().missing_optional_rate)
    args = parser.parse_args(argv)
    noise = Noise(
        weighing_error=args.weighing_error,
        weighing_spread=args.weighing_spread,
        clock_skew_minutes=args.clock_skew_minutes,
        missing_optional_rate=args.missing_rate,
    )
    key = generate_scenario(
        args.out_dir, chains=args.chains, problem_rate=args.rate, seed=args.seed, noise=noise
    )
    problems = sum(1 for chain in key.chains if chain.problem)
    print(
        f"wrote {len(key.files)} files to {key.root}: {len(key.chains)} chains, {problems} "
        f"with a problem, {len(key.planted)} findings expected"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

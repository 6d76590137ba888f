"""Build the deterministic demo world: the files a user would bring, with known problems planted.

``build_demo_world(out_dir, seed=7)`` writes ``sites.geojson`` (GeoJSON sites),
``parties.ftm.json`` (FtM entities, JSON lines), ``events/<chain>-<tier>.jsonld`` (EPCIS 2.0
documents), ``production/`` (national production tables in the USGS MCS format, to assess
declared origins against), ``trade/`` (trade statistics and a production table for ``oresight
trade load``), ``imagery/`` (two years of synthetic Sentinel-2 scenes of the declared mines, as a
local STAC catalog for ``oresight earth scan``) and ``manifest.json`` (the answer key). The same
seed always gives byte-identical files: every id and time comes from ``random.Random(seed)``,
never from the clock or ``uuid4``.

Run ``python -m oresight.sim OUT_DIR [--seed N]`` to write one.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from random import Random
from typing import Any

from oresight.custody.cahra_list import CahraList, load_cahra_list
from oresight.sim.cahra_context import cahra_context, interest_context
from oresight.sim.cobalt import build_cobalt
from oresight.sim.demo_earth import write_demo_imagery
from oresight.sim.epcis_builder import EventLog
from oresight.sim.manifest import DemoManifest, ExpectedKind, PlantedProblem
from oresight.sim.production_tables import write_production_tables
from oresight.sim.sanctions import write_demo_sanctions
from oresight.sim.tin_tantalum import build_tin_tantalum
from oresight.sim.trade_tables import TRADE_DIR, planted_exports, write_trade_tables
from oresight.sim.world_files import ftm_lines, sites_geojson

SITES_FILE = "sites.geojson"
PARTIES_FILE = "parties.ftm.json"
EVENTS_DIR = "events"
PRODUCTION_DIR = "production"
MANIFEST_FILE = "manifest.json"

__all__ = [
    "DemoManifest",
    "ExpectedKind",
    "PlantedProblem",
    "build_demo_world",
    "main",
    "manifest_json",
]


def build_demo_world(
    out_dir: Path, *, seed: int = 7, cahra: CahraList | None = None
) -> DemoManifest:
    """Write the demo world's files under ``out_dir`` and return its manifest.

    ``manifest.files`` lists the data files (sites, parties, event documents) in a stable order;
    ``out_dir/manifest.json`` holds the same manifest with paths relative to ``out_dir``. The
    context findings are those of the CAHRA list ``cahra`` (oresight's bundled one by default):
    assess with the same list.
    """
    listing = cahra or load_cahra_list()
    rng = Random(seed)
    cobalt = EventLog(rng, "cobalt")
    cobalt_outcome = build_cobalt(cobalt)
    three_t = EventLog(rng, "3t")
    three_t_outcome = build_tin_tantalum(three_t)

    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / EVENTS_DIR).mkdir(exist_ok=True)
    files = [out_dir / SITES_FILE, out_dir / PARTIES_FILE]
    _write(files[0], _json_text(sites_geojson()))
    _write(files[1], ftm_lines())
    for log in (cobalt, three_t):
        for name, document in log.documents().items():
            path = out_dir / EVENTS_DIR / f"{name}.jsonld"
            _write(path, _json_text(document))
            files.append(path)
    production = write_production_tables(out_dir / PRODUCTION_DIR)
    sanctions, screened = write_demo_sanctions(out_dir)
    trade = write_trade_tables(out_dir / TRADE_DIR)
    imagery = write_demo_imagery(out_dir)

    sightings = [*cobalt.sightings(), *three_t.sightings()]
    manifest = DemoManifest(
        root=out_dir,
        files=tuple(files),
        production=tuple(production),
        planted=tuple(
            cobalt_outcome.planted
            + three_t_outcome.planted
            + [p for p in screened if p.kind is ExpectedKind.PLANTED]
            + [planted_exports()]
            + list(imagery.planted)
        ),
        consequences=tuple(
            cobalt_outcome.consequences
            + three_t_outcome.consequences
            + [p for p in screened if p.kind is ExpectedKind.CONSEQUENCE]
            + list(imagery.consequences)
        ),
        context=tuple(cahra_context(sightings, listing) + interest_context(listing)),
        clean_lots=tuple(cobalt_outcome.clean_lots + three_t_outcome.clean_lots),
        cahra_list=listing.name,
        seed=seed,
        sanctions=(sanctions,),
        trade=tuple(trade),
        imagery=imagery.items,
        imagery_areas=imagery.areas,
    )
    _write(out_dir / MANIFEST_FILE, _json_text(manifest_json(manifest)))
    return manifest


def manifest_json(manifest: DemoManifest) -> dict[str, Any]:
    """The manifest as JSON, with file paths relative to its root."""

    def relative(paths: tuple[Path, ...]) -> list[str]:
        return [path.relative_to(manifest.root).as_posix() for path in paths]

    return {
        "seed": manifest.seed,
        "files": relative(manifest.files),
        "reference": {
            "production": relative(manifest.production),
            "sanctions": relative(manifest.sanctions),
            "trade": relative(manifest.trade),
            "imagery": relative(tuple(p for p in (manifest.imagery, manifest.imagery_areas) if p)),
            "cahra_list": manifest.cahra_list,
        },
        "planted": [_problem_json(p) for p in manifest.planted],
        "consequences": [_problem_json(p) for p in manifest.consequences],
        "context": [_problem_json(p) for p in manifest.context],
        "clean_lots": list(manifest.clean_lots),
    }


def _problem_json(problem: PlantedProblem) -> dict[str, Any]:
    return {
        "code": problem.code,
        "kind": problem.kind.value,
        "subject_type": problem.subject_type,
        "subject_id": problem.subject_id,
        "description": problem.description,
        "follows_from": list(problem.follows_from),
    }


def _json_text(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _write(path: Path, text: str) -> None:
    # Bytes, not text mode, so that no platform rewrites the newlines.
    path.write_bytes(text.encode("utf-8"))


def main(argv: list[str] | None = None) -> int:
    """Command-line entry: write a demo world and print what was planted."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    manifest = build_demo_world(args.out_dir, seed=args.seed)
    print(f"wrote {len(manifest.files)} data files to {manifest.root}")
    print(f"production tables for ORIGIN.TRANSIT_COUNTRY in {manifest.production_dir}")
    for problem in manifest.planted:
        print(f"planted {problem.code} on {problem.subject_type} {problem.subject_id}")
    for problem in manifest.consequences:
        print(f"consequence {problem.code} on {problem.subject_type} {problem.subject_id}")
    print(f"context: {len(manifest.context)} lot(s) through listed CAHRAs ({manifest.cahra_list})")
    return 0

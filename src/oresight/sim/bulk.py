"""Bulk worlds: a million custody events, written fast, for performance benchmarks.

``generate_bulk(out_dir, chains=25_600, seed=1)`` writes the files a user would bring:

* ``sites.geojson`` — thousands of licensed mines (square concessions), traders, processing
  plants, the shared export corridor, refineries and their customers (:mod:`.bulk_places`);
* ``parties.ftm.json`` — the operators, hauliers and shipping lines (FtM lines);
* ``events/bulk-NNNN.jsonld`` — EPCIS 2.0 documents of whole chains, about ``events_per_file``
  events each (:mod:`.bulk_chains` says what a chain records);
* ``production/`` — USGS national production tables, as the detection scenarios write them;
* ``bulk_key.json`` — what was written and the finding each planted problem must raise.

A chain has ``10 x ore lots + 19`` events (1-3 ore lots, an export lot, a product), 39 on
average: 25,600 chains make about a million events and 100,000 lots. ``planted_per_kind`` chains
of each of :data:`PLANTED_KINDS` hide one problem; the rest are clean. Unlike
:mod:`oresight.sim.scenarios`, a bulk world is built for size, not for scoring: the key lists
what each planted problem must raise, not every consequence downstream (an untraced lot also
fails the UNTP mass balance of the facilities after it). The same arguments give the same files.

Run ``python -m oresight.sim.bulk OUT_DIR --chains 25600`` to write one.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from random import Random

from oresight.core.errors import InvalidInput
from oresight.sim.bulk_chains import PLANTED_KINDS, ChainBuilder, PlantedFinding
from oresight.sim.bulk_events import EventWriter
from oresight.sim.bulk_places import BulkPlaces
from oresight.sim.scenario_production import write_production_tables

__all__ = [
    "EVENTS_PER_CHAIN",
    "PLANTED_KINDS",
    "BulkKey",
    "PlantedFinding",
    "generate_bulk",
    "main",
]

KEY_FILE = "bulk_key.json"
SITES_FILE = "sites.geojson"
PARTIES_FILE = "parties.ftm.json"
EVENTS_DIR = "events"
PRODUCTION_DIR = "production"
EVENTS_PER_CHAIN = 39
"""Events of an average chain: what sizes a world for a number of events."""


@dataclass(frozen=True)
class BulkKey:
    """What :func:`generate_bulk` wrote."""

    root: Path
    chains: int
    seed: int
    events: int
    lots: int
    sites: int
    parties: int
    sites_file: Path
    parties_file: Path
    event_files: tuple[Path, ...]
    production_dir: Path
    planted: tuple[PlantedFinding, ...]

    @property
    def files(self) -> tuple[Path, ...]:
        """Sites, parties, then every event document: what ``oresight ingest`` is given."""
        return (self.sites_file, self.parties_file, *self.event_files)


def generate_bulk(
    out_dir: Path,
    *,
    chains: int,
    seed: int = 1,
    planted_per_kind: int = 5,
    events_per_file: int = 50_000,
) -> BulkKey:
    """Write a bulk world of ``chains`` chains under ``out_dir``; return its key.

    Raises :class:`InvalidInput` for fewer chains than the planted problems need, or a file
    size below one event."""
    needed = max(1, planted_per_kind * len(PLANTED_KINDS))
    if planted_per_kind < 0 or chains < needed:
        raise InvalidInput(
            f"expected at least {needed} chains for {planted_per_kind} planted problem(s) of each "
            f"of {len(PLANTED_KINDS)} kinds, found {chains}",
            field="chains",
        )
    if events_per_file < 1:
        raise InvalidInput(f"expected at least 1, found {events_per_file}", field="events_per_file")
    rng = Random(f"oresight-bulk-{seed}")
    problems: list[str | None] = [kind for kind in PLANTED_KINDS for _ in range(planted_per_kind)]
    problems += [None] * (chains - len(problems))
    rng.shuffle(problems)
    places = BulkPlaces(rng)
    events_dir = out_dir / EVENTS_DIR
    events_dir.mkdir(parents=True, exist_ok=True)
    writer = EventWriter(rng, places, events_dir, events_per_file)
    builder = ChainBuilder(writer, places, rng, chains)
    for problem in problems:
        builder.build(problem)
        writer.end_chain()
    writer.end_chain(last=True)
    sites_file, parties_file = out_dir / SITES_FILE, out_dir / PARTIES_FILE
    collection = {"type": "FeatureCollection", "name": "oresight bulk", "features": places.features}
    sites_file.write_bytes(json.dumps(collection).encode("utf-8"))
    lines = "".join(json.dumps(entity) + "\n" for entity in places.entities)
    parties_file.write_bytes(lines.encode("utf-8"))
    write_production_tables(out_dir / PRODUCTION_DIR)
    key = BulkKey(
        root=out_dir,
        chains=chains,
        seed=seed,
        events=writer.events,
        lots=writer.lots,
        sites=len(places.features),
        parties=len(places.entities),
        sites_file=sites_file,
        parties_file=parties_file,
        event_files=tuple(writer.files),
        production_dir=out_dir / PRODUCTION_DIR,
        planted=tuple(builder.planted),
    )
    _write_key(key)
    return key


def _write_key(key: BulkKey) -> None:
    def relative(path: Path) -> str:
        return path.relative_to(key.root).as_posix()

    summary = {
        "chains": key.chains,
        "seed": key.seed,
        "events": key.events,
        "lots": key.lots,
        "sites": key.sites,
        "parties": key.parties,
        "sites_file": relative(key.sites_file),
        "parties_file": relative(key.parties_file),
        "event_files": [relative(path) for path in key.event_files],
        "production_dir": relative(key.production_dir),
        "planted": [asdict(planted) for planted in key.planted],
    }
    (key.root / KEY_FILE).write_bytes((json.dumps(summary, indent=1) + "\n").encode("utf-8"))


def main(argv: list[str] | None = None) -> int:
    """Command-line entry: write a bulk world and say what it holds."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--chains", type=int, default=25_600)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--planted-per-kind", type=int, default=5)
    parser.add_argument("--events-per-file", type=int, default=50_000)
    args = parser.parse_args(argv)
    key = generate_bulk(
        args.out_dir,
        chains=args.chains,
        seed=args.seed,
        planted_per_kind=args.planted_per_kind,
        events_per_file=args.events_per_file,
    )
    print(
        f"wrote {len(key.files)} files to {key.root}: {key.chains} chains, {key.events} events, "
        f"{key.lots} lots, {key.sites} sites, {len(key.planted)} planted findings"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

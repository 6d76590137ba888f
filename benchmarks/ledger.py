"""Custody-ledger benchmark: oresight's Merkle log side by side with pymerkle 7, in one run.

Both logs get the same entries, in batches of the same size; ours and pymerkle's SqliteTree are
interleaved batch by batch so that machine noise falls on both alike, and pymerkle's InmemoryTree
gets the same batches in a pass of its own. Measured:

* persisted append throughput (entries/s): oresight's tree (``tree.prepare_append`` then
  ``SqlTreeStorage.append`` with an opaque checkpoint, one transaction per batch) on a workspace
  SQLite file, against pymerkle's ``SqliteTree`` on a file (``append_entries``, one transaction
  per batch); pymerkle's ``InmemoryTree`` as a reference that persists nothing;
* inclusion and consistency proof generation per second at the final size, for the same random
  queries (fixed seed), against a *freshly opened* pymerkle ``SqliteTree`` (a new process serving
  proofs: its subroot cache starts empty), time-boxed, and against the ``InmemoryTree``;
* proof verification per second, each library verifying its own proofs of the same queries;
* the machine's raw SHA-256 rate for 2N node hashes, the physical limit of any RFC 9162 log.

Every answer is cross-checked (same root, same inclusion paths, every proof verifies), so the two
sides are shown to compute the same tree. One JSON object goes to stdout; progress to stderr.

    python benchmarks/ledger.py                 # N = 10**6 (several minutes)
    python benchmarks/ledger.py --entries 100000
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import os
import platform
import random
import sqlite3
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy
from measure import log

from oresight.ledger import merkle, tree
from oresight.store.database import init_workspace
from oresight.store.ledger_storage import SqlTreeStorage

try:
    import pymerkle  # type: ignore[import-untyped]
except ImportError:  # pragma: no cover - a friendly message instead of a traceback
    sys.exit("benchmarks/ledger.py needs pymerkle 7: pip install -e '.[bench]'")


def entry(index: int) -> tuple[str, bytes]:
    """The ``index``-th entry: its key, a ``urn:uuid`` as custody event ids are (so the log's
    key index is written at random places), and ~140 bytes of JSON-like leaf data. A pure
    function of the index, so verifiers can rebuild any leaf without keeping them all."""
    digest = hashlib.blake2b(index.to_bytes(8, "big"), digest_size=32).digest()
    key = f"urn:uuid:{uuid.UUID(bytes=digest[:16], version=4)}"
    data = (
        f'{{"event":"{key}","kind":"transfer","mass_kg":{index % 997},'
        f'"ref":"{digest[16:].hex()}","seq":{index}}}'
    )
    return key, data.encode()


def rate(count: int, seconds: float) -> float:
    """Operations per second, rounded for the report."""
    return round(count / seconds, 1) if seconds > 0 else float("inf")


def ratio(ours: float, peer: float) -> float | None:
    """Ours over the peer's figure (higher is better for every rate here)."""
    return round(ours / peer, 2) if peer else None


def measure_append(
    n: int, batch: int, ours: SqlTreeStorage, peer_sqlite: Any, peer_memory: Any
) -> dict[str, Any]:
    """Append ``n`` entries batch by batch: ours and the peer's SqliteTree interleaved (machine
    noise falls on both alike), then the peer's InmemoryTree in a pass of its own, timing each
    side alone. The InmemoryTree is kept out of the first pass because its millions of Python
    objects, built in the same loop, slowed the two persisted logs beside it."""
    seconds = {"ours": 0.0, "sqlite": 0.0, "memory": 0.0}
    last = dict(seconds)
    checkpoint_of = "oresight-bench\n{}\n{}\n".format
    for start in range(0, n, batch):
        items = [entry(i) for i in range(start, min(start + batch, n))]
        datas = [data for _, data in items]

        began = time.perf_counter()
        prepared = tree.prepare_append(ours, items)
        tree.commit(ours, prepared, checkpoint_of(prepared.size, prepared.root.hex()).encode())
        last["ours"] = time.perf_counter() - began

        began = time.perf_counter()
        peer_sqlite.append_entries(datas)
        last["sqlite"] = time.perf_counter() - began

        for side in ("ours", "sqlite"):
            seconds[side] += last[side]
        done = start + len(items)
        if done % (10 * batch) == 0 or done == n:
            log(
                f"appended {done:,}: ours {rate(done, seconds['ours']):,.0f}/s, "
                f"pymerkle SqliteTree {rate(done, seconds['sqlite']):,.0f}/s"
            )
    for start in range(0, n, batch):
        datas = [entry(i)[1] for i in range(start, min(start + batch, n))]
        began = time.perf_counter()
        peer_memory.append_entries(datas)
        last["memory"] = time.perf_counter() - began
        seconds["memory"] += last["memory"]
    log(f"appended {n:,} to pymerkle InmemoryTree: {rate(n, seconds['memory']):,.0f}/s")
    last_batch = min(batch, n)
    return {
        "seconds": {side: round(spent, 3) for side, spent in seconds.items()},
        "rates": {side: rate(n, spent) for side, spent in seconds.items()},
        "final_batch_rates": {side: rate(last_batch, spent) for side, spent in last.items()},
    }


def timed(
    call: Callable[[int], Any], args: Sequence[int], time_box: float | None = None
) -> tuple[list[Any], float]:
    """``call`` on each of ``args`` in order, stopping after ``time_box`` seconds; the results
    and the seconds spent."""
    results: list[Any] = []
    began = time.perf_counter()
    for arg in args:
        results.append(call(arg))
        if time_box is not None and time.perf_counter() - began > time_box:
            break
    return results, time.perf_counter() - began


def repeat_for(body: Callable[[], int], min_seconds: float) -> tuple[int, float]:
    """Run ``body`` (which returns how many operations it did) until ``min_seconds`` passed."""
    done = 0
    began = time.perf_counter()
    while True:
        done += body()
        spent = time.perf_counter() - began
        if spent >= min_seconds:
            return done, spent


def sha256_limit(n: int) -> dict[str, Any]:
    """Seconds and rate of 2n SHA-256 hashes of 65-byte interior-node messages, from Python."""
    count = 2 * n
    messages = [
        bytes((1,)) + hashlib.sha256(i.to_bytes(8, "big")).digest() * 2 for i in range(4096)
    ]
    sha256 = hashlib.sha256
    rounds, rest = divmod(count, len(messages))
    began = time.perf_counter()
    for _ in range(rounds):
        for message in messages:
            sha256(message).digest()
    for message in messages[:rest]:
        sha256(message).digest()
    spent = time.perf_counter() - began
    return {
        "hashes": count,
        "seconds": round(spent, 3),
        "hashes_per_s": rate(count, spent),
        "entries_per_s_limit": rate(n, spent),
        "note": "every entry costs about two SHA-256 (its leaf and one interior node), so "
        "n / seconds-for-2n-hashes bounds any RFC 9162 log's append rate in Python",
    }


def figure(ours: float, peer: float, unit: str, **extra: Any) -> dict[str, Any]:
    """One metric: our figure, the peer's, and their ratio."""
    return {"unit": unit, "ours": ours, "peer": peer, "ratio": ratio(ours, peer), **extra}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print its JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=1_000_000, help="N (default 10**6)")
    parser.add_argument("--batch", type=int, default=10_000, help="entries per append")
    parser.add_argument("--proofs", type=int, default=5_000, help="queries of each proof kind")
    parser.add_argument(
        "--peer-time-box",
        type=float,
        default=60.0,
        help="seconds allowed to pymerkle SqliteTree per proof kind (a sample if it runs out)",
    )
    parser.add_argument("--verify-seconds", type=float, default=2.0, help="per verifier")
    parser.add_argument("--seed", type=int, default=20261126)
    parser.add_argument("--workdir", type=Path, help="keep the databases here (default: temp)")
    args = parser.parse_args(argv)
    n, batch = args.entries, args.batch
    if n < 2 or batch < 1:
        parser.error("--entries must be at least 2 and --batch at least 1")

    # As timeit does: no cyclic collector pauses inside timings. The InmemoryTree's millions of
    # linked nodes would otherwise make every full collection slow for all three logs alike.
    gc.disable()
    with tempfile.TemporaryDirectory(prefix="oresight-bench-") as temp:
        workdir = args.workdir or Path(temp)
        workdir.mkdir(parents=True, exist_ok=True)
        report = run(args, workdir)
    print(json.dumps(report, indent=2))
    return 0


def run(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    """All measurements; returns the report."""
    n, batch = args.entries, args.batch
    notes: list[str] = [
        "entry keys are random urn:uuid ids, as custody event ids are: ours keeps an index "
        "of 8-byte key hashes (to find an event and refuse a duplicate); pymerkle keeps no keys",
        "pymerkle's InmemoryTree is appended to in a pass of its own, after ours and its "
        "SqliteTree: built in the same loop, its Python heap slowed the two persisted logs",
        "the cyclic garbage collector is off during the run, as timeit does",
    ]
    peer_db = workdir / "pymerkle.db"
    for stale in (peer_db, workdir / "ours" / "oresight.db"):
        stale.unlink(missing_ok=True)
    workspace = init_workspace(workdir / "ours")
    ours = SqlTreeStorage(workspace.engine)
    peer_sqlite = pymerkle.SqliteTree(str(peer_db))
    peer_memory = pymerkle.InmemoryTree()

    log(f"append: {n:,} entries in batches of {batch:,}")
    append = measure_append(n, batch, ours, peer_sqlite, peer_memory)
    peer_sqlite.close()

    # Cross-check: both libraries build the same RFC 9162 tree.
    our_root = tree.root(ours)
    if peer_memory.get_root() != our_root:
        raise SystemExit("pymerkle's root differs from ours: the benchmark compares unlike trees")

    rng = random.Random(args.seed)
    indexes = [rng.randrange(n) for _ in range(args.proofs)]
    old_sizes = [rng.randrange(1, n) for _ in range(args.proofs)]

    log(f"inclusion proofs: {len(indexes):,} random leaves at size {n:,}")
    ours_incl, ours_incl_s = timed(lambda i: tree.prove_inclusion(ours, i, n), indexes)
    memory_incl, memory_incl_s = timed(lambda i: peer_memory.prove_inclusion(i + 1, n), indexes)
    # A freshly opened SqliteTree, as a process that starts serving proofs: empty subroot cache.
    fresh = pymerkle.SqliteTree(str(peer_db))
    sqlite_incl, sqlite_incl_s = timed(
        lambda i: fresh.prove_inclusion(i + 1, n), indexes, args.peer_time_box
    )
    # The same queries again: now pymerkle's cache holds every subroot they need (its best case).
    warm_incl, warm_incl_s = timed(
        lambda i: fresh.prove_inclusion(i + 1, n), indexes[: len(sqlite_incl)]
    )
    fresh.close()
    for ours_path, peer_proof in zip(ours_incl, memory_incl, strict=True):
        if peer_proof.path[1:] != ours_path:
            raise SystemExit("pymerkle's inclusion path differs from ours")
    for ours_path, peer_proof in zip(ours_incl, sqlite_incl, strict=False):
        if peer_proof.path[1:] != ours_path:
            raise SystemExit("pymerkle SqliteTree's inclusion path differs from ours")
    log(
        f"inclusion: ours {rate(len(ours_incl), ours_incl_s):,.0f}/s, SqliteTree "
        f"{len(sqlite_incl):,} in {sqlite_incl_s:.1f}s, InmemoryTree "
        f"{rate(len(memory_incl), memory_incl_s):,.0f}/s"
    )

    log(f"consistency proofs: {len(old_sizes):,} random old sizes to size {n:,}")
    ours_cons, ours_cons_s = timed(lambda m: tree.prove_consistency(ours, m, n), old_sizes)
    memory_cons, memory_cons_s = timed(lambda m: peer_memory.prove_consistency(m, n), old_sizes)
    fresh = pymerkle.SqliteTree(str(peer_db))
    sqlite_cons, sqlite_cons_s = timed(
        lambda m: fresh.prove_consistency(m, n), old_sizes, args.peer_time_box
    )
    warm_cons, warm_cons_s = timed(
        lambda m: fresh.prove_consistency(m, n), old_sizes[: len(sqlite_cons)]
    )
    fresh.close()
    log(
        f"consistency: ours {rate(len(ours_cons), ours_cons_s):,.0f}/s, SqliteTree "
        f"{len(sqlite_cons):,} in {sqlite_cons_s:.1f}s, InmemoryTree "
        f"{rate(len(memory_cons), memory_cons_s):,.0f}/s"
    )
    for what, sample in (("inclusion", sqlite_incl), ("consistency", sqlite_cons)):
        if len(sample) < args.proofs:
            notes.append(
                f"pymerkle SqliteTree {what} proofs were time-boxed to {args.peer_time_box:g} s: "
                f"a sample of {len(sample):,} of the {args.proofs:,} queries, the first ones "
                "(its subroot cache was still filling, so later proofs would be cheaper)"
            )

    log("verification")
    leaf_hashes = [merkle.leaf_hash(entry(i)[1]) for i in indexes]
    old_roots = [tree.root(ours, m) for m in old_sizes]
    incl_cases = list(zip(indexes, leaf_hashes, ours_incl, memory_incl, strict=True))
    cons_cases = list(zip(old_sizes, old_roots, ours_cons, memory_cons, strict=True))
    verify_inclusion, verify_consistency = merkle.verify_inclusion, merkle.verify_consistency
    peer_verify_inclusion = pymerkle.verify_inclusion
    peer_verify_consistency = pymerkle.verify_consistency

    def ours_verify_incl() -> int:
        for index, digest, path, _ in incl_cases:
            verify_inclusion(leaf_hash=digest, index=index, size=n, proof=path, root=our_root)
        return len(incl_cases)

    def peer_verify_incl() -> int:
        for index, digest, _, proof in incl_cases:
            peer_verify_inclusion(digest, our_root, proof, index=index + 1, size=n)
        return len(incl_cases)

    def ours_verify_cons() -> int:
        for old, old_root, path, _ in cons_cases:
            verify_consistency(
                old_size=old, new_size=n, old_root=old_root, new_root=our_root, proof=path
            )
        return len(cons_cases)

    def peer_verify_cons() -> int:
        for old, old_root, _, proof in cons_cases:
            peer_verify_consistency(old_root, our_root, proof, prior_size=old, later_size=n)
        return len(cons_cases)

    verified = {
        name: repeat_for(body, args.verify_seconds)
        for name, body in (
            ("ours_inclusion", ours_verify_incl),
            ("peer_inclusion", peer_verify_incl),
            ("ours_consistency", ours_verify_cons),
            ("peer_consistency", peer_verify_cons),
        )
    }
    verify_rates = {name: rate(*done) for name, done in verified.items()}

    log(f"raw SHA-256: {2 * n:,} node hashes")
    sha = sha256_limit(n)

    workspace.close()
    sizes = {
        "ours_sqlite_bytes": (workdir / "ours" / "oresight.db").stat().st_size,
        "pymerkle_sqlite_bytes": peer_db.stat().st_size,
    }

    our_append = append["rates"]["ours"]
    incl = {
        "ours": rate(len(ours_incl), ours_incl_s),
        "sqlite": rate(len(sqlite_incl), sqlite_incl_s),
        "memory": rate(len(memory_incl), memory_incl_s),
        "warm": rate(len(warm_incl), warm_incl_s),
    }
    cons = {
        "ours": rate(len(ours_cons), ours_cons_s),
        "sqlite": rate(len(sqlite_cons), sqlite_cons_s),
        "memory": rate(len(memory_cons), memory_cons_s),
        "warm": rate(len(warm_cons), warm_cons_s),
    }
    verify_floor = min(verify_rates["ours_inclusion"], verify_rates["ours_consistency"])
    return {
        "benchmark": "oresight custody ledger vs pymerkle",
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "n_entries": n,
        "batch": batch,
        "proof_queries": args.proofs,
        "seed": args.seed,
        "machine": {
            "platform": platform.platform(),
            "processor": platform.processor() or platform.machine(),
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "sqlite": sqlite3.sqlite_version,
            "sqlalchemy": sqlalchemy.__version__,
            "pymerkle": pymerkle.__version__,
        },
        "append": figure(
            our_append,
            append["rates"]["sqlite"],
            "entries/s",
            ours_is="oresight SqlTreeStorage on SQLite (tree.prepare_append + append, opaque "
            "checkpoint, one transaction per batch)",
            peer_is="pymerkle SqliteTree.append_entries, one transaction per batch",
            reference_inmemory=append["rates"]["memory"],
            ratio_vs_inmemory=ratio(our_append, append["rates"]["memory"]),
            final_batch={
                "ours": append["final_batch_rates"]["ours"],
                "peer": append["final_batch_rates"]["sqlite"],
                "reference_inmemory": append["final_batch_rates"]["memory"],
            },
            seconds=append["seconds"],
            target="ratio >= 1",
            met=our_append >= append["rates"]["sqlite"],
        ),
        "inclusion_proofs": figure(
            incl["ours"],
            incl["sqlite"],
            "proofs/s",
            at_size=n,
            peer_is="a freshly opened pymerkle SqliteTree (empty subroot cache, as a process "
            "that starts serving proofs), time-boxed",
            peer_proofs_measured=len(sqlite_incl),
            peer_seconds=round(sqlite_incl_s, 3),
            peer_warm_cache=incl["warm"],
            ratio_vs_warm_cache=ratio(incl["ours"], incl["warm"]),
            reference_inmemory=incl["memory"],
            ratio_vs_inmemory=ratio(incl["ours"], incl["memory"]),
            target="ratio >= 10",
            met=incl["ours"] >= 10 * incl["sqlite"],
        ),
        "consistency_proofs": figure(
            cons["ours"],
            cons["sqlite"],
            "proofs/s",
            at_size=n,
            peer_is="a freshly opened pymerkle SqliteTree (empty subroot cache, as a process "
            "that starts serving proofs), time-boxed",
            peer_proofs_measured=len(sqlite_cons),
            peer_seconds=round(sqlite_cons_s, 3),
            peer_warm_cache=cons["warm"],
            ratio_vs_warm_cache=ratio(cons["ours"], cons["warm"]),
            reference_inmemory=cons["memory"],
            ratio_vs_inmemory=ratio(cons["ours"], cons["memory"]),
            target="ratio >= 10",
            met=cons["ours"] >= 10 * cons["sqlite"],
        ),
        "verify_inclusion": figure(
            verify_rates["ours_inclusion"],
            verify_rates["peer_inclusion"],
            "proofs/s",
            target="ours >= 50000",
            met=verify_rates["ours_inclusion"] >= 50_000,
        ),
        "verify_consistency": figure(
            verify_rates["ours_consistency"],
            verify_rates["peer_consistency"],
            "proofs/s",
            target="ours >= 50000",
            met=verify_rates["ours_consistency"] >= 50_000,
        ),
        "sha256_limit": {
            **sha,
            "ours_append_fraction_of_limit": round(our_append / sha["entries_per_s_limit"], 3),
        },
        "storage": {
            **sizes,
            "ratio": ratio(sizes["ours_sqlite_bytes"], sizes["pymerkle_sqlite_bytes"]),
            "note": "ours keeps entries with their keys and key hashes, and every complete-"
            "subtree hash in tiles (what makes proofs O(log n) reads); pymerkle keeps entries "
            "and leaf hashes only",
        },
        "targets_met": all(
            (
                our_append >= append["rates"]["sqlite"],
                incl["ours"] >= 10 * incl["sqlite"],
                cons["ours"] >= 10 * cons["sqlite"],
                verify_floor >= 50_000,
            )
        ),
        "notes": notes,
    }


if __name__ == "__main__":
    sys.exit(main())

"""Screening quality: oresight's matcher on the field's benchmarks, and how fast it screens.

Six measures, one JSON object on stdout (progress on stderr):

* ``name_benchmark`` — OpenSanctions' nomenklatura name benchmark (826 labelled name pairs):
  precision, recall and F1 of our name score at the default threshold, beside the frozen scores
  of nomenklatura's logic-v2 matcher at its threshold of 0.70 (read from its run file, on the
  812 pairs it scored), and the ratio of the two F1; ours by schema and by case quality; the
  threshold with the best F1; and a two-fold check (threshold tuned on one half of the pairs,
  stratified by case group, measured on the other half) that the figure is not an artefact of
  tuning.
* ``entity_checks`` — nomenklatura's entity checks (228 labelled pairs of FtM entities: names,
  name parts, vessels; some hard by design, such as names written backwards): precision, recall
  and F1 of ``score_pair`` at the default threshold, beside logic-v2 run on the same pairs in the
  same run (with nomenklatura installed), and the checks we get wrong.
* ``ofac_reference`` — 170 name pairs with the score OFAC's own Sanctions List Search gave them
  (2021; -1 where it did not return the result): Spearman's rank correlation of our scores with
  OFAC's on the 164 it returned, logic-v2's beside it, and our scores of the six it did not.
* ``yente_candidates`` — yente's candidate-generation set: the 1,093 entries of the UN
  consolidated list (2018-10-29, read with oresight's own UN reader) are indexed, and each of
  683 treated queries (typos, reordered names) searches them; recall is the share whose source
  entry (found through the row-aligned untreated query, by exact name and birth date) comes
  within the first 10 candidates. Queries whose source is not on the 2018 list are counted apart.
* ``yente_negatives`` — yente's 2,000 synthetic true negatives (1,000 global, 1,000 US): the
  share whose best match against the UN list scores at or above the default threshold.
* ``speed`` — 10,000 distinct queries (half taken from listed names with typos, half new
  combinations of names; LegalEntity queries, so people and firms are both candidates) against
  OFAC's SDN list and the UN list (about 16,000 entities), and with ``--scale N``, 10,000
  queries against N generated entities (names drawn from the tokens of both lists and of the
  negatives, plus invented ones), with the build time and memory. Each is timed on two worker
  processes (:func:`~oresight.screening.matching.search_many`, this machine has two cores) and on
  one, after 500 warm-up queries, which also load rigour's name database (a few seconds, once).

There is no peer figure for the yente sets and the speed: yente itself needs Elasticsearch. The
targets stand in for one: name F1 >= 0.85; recall@10 >= 0.95; negatives above the threshold
<= 1 %; 10^4 queries against OFAC+UN under 10 s, and against 10^6 entities under 60 s.

    python benchmarks/screening_quality.py                    # about a minute
    python benchmarks/screening_quality.py --scale 1000000    # + 10^6 entities, a few minutes
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import resource
import string
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from followthemoney import EntityProxy, model

from oresight.screening.lists import read_ofac_sdn, read_un_sc
from oresight.screening.match.evaluation import (
    FrozenScore,
    NamePair,
    best_threshold,
    by_group,
    confusion,
    find_sources,
    rank_correlation,
    read_entity_checks,
    read_frozen_scores,
    read_name_pairs,
    read_query_persons,
    read_reference_scores,
    two_fold,
)
from oresight.screening.match.name_tokens import load_name_variants
from oresight.screening.matching import (
    DEFAULT_THRESHOLD,
    MatchIndex,
    compare_names,
    normalise_name,
    score_pair,
    search_many,
)

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "screening"
MATCHING = DATA / "matching"
SANCTIONS = DATA / "sanctions"
LOGIC_V2_THRESHOLD = 0.70
QUERIES = 10_000
WARM_UP = 500

_START = time.perf_counter()


def log(message: str) -> None:
    """Progress to stderr, with the seconds since start."""
    print(f"[{time.perf_counter() - _START:7.1f}s] {message}", file=sys.stderr, flush=True)


def name_benchmark() -> dict[str, Any]:
    """Our name score on the nomenklatura name benchmark, beside logic-v2's frozen run."""
    pairs = read_name_pairs(MATCHING / "nomenklatura_name_bench_cases.csv")
    frozen = read_frozen_scores(MATCHING / "nomenklatura_name_bench_logicv2-frozen.csv")
    scores = [name_score(pair) for pair in pairs]
    ours = confusion(zip(scores, (p.is_match for p in pairs), strict=True), DEFAULT_THRESHOLD)
    ours_by_pair = {(p.schema, p.name1, p.name2): s for p, s in zip(pairs, scores, strict=True)}
    frozen_ours = [ours_by_pair[(row.schema, row.name1, row.name2)] for row in frozen]
    ours_shared = confusion(
        zip(frozen_ours, (row.is_match for row in frozen), strict=True), DEFAULT_THRESHOLD
    )
    peer = confusion(((row.score, row.is_match) for row in frozen), LOGIC_V2_THRESHOLD)
    fold_a, fold_b = two_fold(pairs, scores)
    scored = list(zip(scores, (p.is_match for p in pairs), strict=True))
    return {
        "cases": len(pairs),
        "threshold": DEFAULT_THRESHOLD,
        "ours": ours.as_dict(),
        "ours_on_peer_cases": ours_shared.as_dict(),
        "peer": {**peer.as_dict(), "threshold": LOGIC_V2_THRESHOLD},
        "peer_is": "nomenklatura logic-v2, frozen run (logicv2-frozen.csv), scores >= 0.70",
        "ratio_f1": round(ours_shared.f1 / peer.f1, 3),
        "ours_by_schema": _groups(pairs, scores, lambda p: p.schema),
        "ours_by_quality": _groups(pairs, scores, lambda p: p.quality),
        "peer_by_quality": _peer_groups(pairs, frozen, lambda p: p.quality),
        "peer_by_schema": _peer_groups(pairs, frozen, lambda p: p.schema),
        "best_threshold": best_threshold(scored),
        "two_fold": [
            {
                "tuned_on": fold.tuned_on,
                "threshold": fold.threshold,
                "tuned_f1": round(fold.tuned.f1, 4),
                "held_out": fold.held_out.as_dict(),
            }
            for fold in (fold_a, fold_b)
        ],
        "target": "f1 >= 0.85",
        "met": ours.f1 >= 0.85,
    }


def entity_checks() -> dict[str, Any]:
    """Our score on nomenklatura's entity checks (228 labelled pairs of FtM entities), beside
    logic-v2 run on the same pairs when nomenklatura is installed."""
    checks = read_entity_checks(MATCHING / "nomenklatura_entity_bench_checks.yml")
    labels = [check.is_match for check in checks]
    scores = [score_pair(check.query, check.candidate).score for check in checks]
    ours = confusion(zip(scores, labels, strict=True), DEFAULT_THRESHOLD)
    report: dict[str, Any] = {"checks": len(checks), "ours": ours.as_dict()}
    peer_scores = _logic_v2_scores([(check.query, check.candidate) for check in checks])
    if peer_scores is not None:
        peer = confusion(zip(peer_scores, labels, strict=True), LOGIC_V2_THRESHOLD)
        report["peer"] = {**peer.as_dict(), "threshold": LOGIC_V2_THRESHOLD}
        report["peer_is"] = "nomenklatura logic-v2 (LogicV2.compare, default config), this run"
        report["ratio_f1"] = round(ours.f1 / peer.f1, 3)
    report["ours_wrong"] = [
        {
            "check": check.record,
            "schema": check.schema,
            "match": check.is_match,
            "score": score,
            "query": check.query.caption,
            "candidate": check.candidate.caption,
        }
        for check, score in zip(checks, scores, strict=True)
        if (score >= DEFAULT_THRESHOLD) != check.is_match
    ]
    return report


def ofac_reference() -> dict[str, Any]:
    """How our scores rank the name pairs that OFAC's Sanctions List Search scored (2021
    fixtures): Spearman's rank correlation, beside logic-v2's on the same pairs."""
    rows = read_reference_scores(MATCHING / "nomenklatura_ofac2021_fixtures.csv")
    returned = [row for row in rows if row.score is not None]
    # Each entity its own id: logic-v2 remembers what it made of an entity by its id.
    pairs = [
        (_named("LegalEntity", f"q{n}", row.query), _named("LegalEntity", f"c{n}", row.result))
        for n, row in enumerate(returned)
    ]
    reference = [row.score for row in returned if row.score is not None]
    ours = [score_pair(query, candidate).score for query, candidate in pairs]
    report: dict[str, Any] = {
        "pairs": len(rows),
        "returned_by_ofac": len(returned),
        "ours_rank_correlation": round(rank_correlation(ours, reference), 4),
    }
    peer = _logic_v2_scores(pairs)
    if peer is not None:
        report["peer_rank_correlation"] = round(rank_correlation(peer, reference), 4)
    report["not_returned_by_ofac"] = [
        {
            "query": row.query,
            "result": row.result,
            "ours": score_pair(
                _named("LegalEntity", "q", row.query), _named("LegalEntity", "c", row.result)
            ).score,
        }
        for row in rows
        if row.score is None
    ]
    return report


def _named(schema: str, entity_id: str, name: str) -> EntityProxy:
    entity = model.make_entity(schema)
    entity.id = entity_id
    entity.add("name", name)
    return entity


def _logic_v2_scores(pairs: Sequence[tuple[EntityProxy, EntityProxy]]) -> list[float] | None:
    """logic-v2's scores of the pairs, or None when nomenklatura is not installed."""
    try:
        from nomenklatura.matching.logic_v2.model import LogicV2
    except ImportError:
        log("nomenklatura is not installed (pip install nomenklatura): ours alone")
        return None
    config = LogicV2.default_config()
    return [LogicV2.compare(query, candidate, config).score for query, candidate in pairs]


def name_score(pair: NamePair) -> float:
    """The name score of one benchmark pair, both names read as the pair's schema has them."""
    left = normalise_name(pair.name1, pair.schema)
    right = normalise_name(pair.name2, pair.schema)
    return compare_names(left, right).score


def _peer_groups(
    pairs: Sequence[NamePair], frozen: Sequence[FrozenScore], key: Any
) -> dict[str, Any]:
    """logic-v2's frozen scores by group, each frozen row given its case's quality and schema."""
    cases = {(p.schema, p.name1, p.name2): p for p in pairs}
    rows = [cases[(row.schema, row.name1, row.name2)] for row in frozen]
    scores = [row.score for row in frozen]
    return {
        name: c.as_dict() for name, c in by_group(rows, scores, LOGIC_V2_THRESHOLD, key).items()
    }


def _groups(pairs: Sequence[NamePair], scores: Sequence[float], key: Any) -> dict[str, Any]:
    return {
        name: c.as_dict() for name, c in by_group(pairs, scores, DEFAULT_THRESHOLD, key).items()
    }


def un_entities() -> list[EntityProxy]:
    """The parties of the UN consolidated list (2018-10-29)."""
    listed = read_un_sc(SANCTIONS / "un_sc_consolidated_2018-10-29.xml")
    return [entry.entity for entry in listed.entries]


def ofac_entities() -> list[EntityProxy]:
    """The parties of OFAC's SDN list (2024-05-03, the legacy CSV without its alias file)."""
    listed = read_ofac_sdn(SANCTIONS / "ofac_sdn_2024-05-03.csv")
    return [entry.entity for entry in listed.entries]


def yente_candidates(un: list[EntityProxy], index: MatchIndex) -> dict[str, Any]:
    """Recall of the source UN entry within the first 10 candidates of each treated query."""
    treated = read_query_persons(MATCHING / "yente_positives_un_treated.csv", prefix="treated")
    untreated = read_query_persons(MATCHING / "yente_positives_un_untreated.csv", prefix="plain")
    sources = find_sources(untreated, un)
    found_at: list[int | None] = []
    missed: list[dict[str, Any]] = []
    started = time.perf_counter()
    for query, source in zip(treated, sources, strict=True):
        if source is None:
            continue
        matches = index.search(query, limit=10, threshold=0.0)
        ranks = [
            rank for rank, match in enumerate(matches, start=1) if match.candidate_id == source
        ]
        found_at.append(ranks[0] if ranks else None)
        if not ranks and len(missed) < 10:
            missed.append({"query": query.caption, "source": index.profile(source).names[0]})
    seconds = time.perf_counter() - started
    evaluated = len(found_at)
    within = sum(1 for rank in found_at if rank is not None)
    first = sum(1 for rank in found_at if rank == 1)
    recall = within / evaluated if evaluated else 0.0
    return {
        "queries": len(treated),
        "evaluated": evaluated,
        "source_not_on_2018_list_or_ambiguous": len(treated) - evaluated,
        "recall_at_10": round(recall, 4),
        "recall_at_1": round(first / evaluated, 4) if evaluated else 0.0,
        "missed_examples": missed,
        "seconds": round(seconds, 2),
        "target": "recall_at_10 >= 0.95",
        "met": recall >= 0.95,
    }


def yente_negatives(index: MatchIndex) -> dict[str, Any]:
    """The share of synthetic true negatives whose best UN match reaches the threshold."""
    queries = [
        *read_query_persons(MATCHING / "yente_negatives_global_1000.csv", prefix="global"),
        *read_query_persons(MATCHING / "yente_negatives_us_1000.csv", prefix="us"),
    ]
    flagged: list[dict[str, Any]] = []
    started = time.perf_counter()
    for query in queries:
        matches = index.search(query, limit=1)
        if matches:
            flagged.append(
                {"query": query.caption, "score": matches[0].score, "why": matches[0].explanation()}
            )
    seconds = time.perf_counter() - started
    share = len(flagged) / len(queries)
    return {
        "queries": len(queries),
        "above_threshold": len(flagged),
        "share": round(share, 4),
        "examples": flagged[:10],
        "seconds": round(seconds, 2),
        "target": "share <= 0.01",
        "met": share <= 0.01,
    }


def speed(entities: list[EntityProxy], rng: random.Random) -> dict[str, Any]:
    """10^4 distinct queries against the OFAC and UN parties: build and query times."""
    started = time.perf_counter()
    index = MatchIndex.build(entities)
    build = time.perf_counter() - started
    names = [name for entity in entities for name in entity.get("name")]
    queries = list(generated_queries(names, rng, QUERIES + WARM_UP))
    return {
        "entities": index.stats().entities,
        "build_seconds": round(build, 2),
        **screen(index, queries),
        "target": "two_processes.query_seconds < 10",
        "met": False,
    }


def screen(index: MatchIndex, queries: list[EntityProxy]) -> dict[str, Any]:
    """Time the queries (after a few to warm the caches), on two processes and on one.

    Two go first: forked workers inherit the parent's caches, which then hold only the warm-up.
    """
    started = time.perf_counter()
    load_name_variants()
    search_many(index, queries[:WARM_UP], limit=10)
    warm_up = time.perf_counter() - started
    measured = queries[WARM_UP:]
    report: dict[str, Any] = {"queries": len(measured), "warm_up_seconds": round(warm_up, 2)}
    for processes, key in ((2, "two_processes"), (1, "one_process")):
        started = time.perf_counter()
        answers = search_many(index, measured, limit=10, processes=processes)
        seconds = time.perf_counter() - started
        report[key] = {
            "query_seconds": round(seconds, 2),
            "queries_per_second": round(len(measured) / seconds, 1),
            "queries_with_a_match": sum(1 for matches in answers if matches),
        }
        log(f"  {processes} process(es): {seconds:.1f} s")
    return report


def scale(size: int, tokens: list[str], rng: random.Random) -> dict[str, Any]:
    """10^4 queries against ``size`` generated entities: build time, memory and query time."""
    before = peak_rss_mb()
    sample: list[str] = []
    started = time.perf_counter()
    index = MatchIndex.build(generated_entities(size, tokens, rng, sample))
    build = time.perf_counter() - started
    stats = index.stats()
    log(f"  indexed {stats.entities} entities in {build:.1f} s")
    queries = list(generated_queries(sample, rng, QUERIES + WARM_UP))
    return {
        "entities": stats.entities,
        "distinct_tokens": stats.tokens,
        "postings": stats.postings,
        "token_variants": stats.variants,
        "index_array_mb": round(stats.nbytes / 2**20, 1),
        "peak_rss_mb_before": before,
        "peak_rss_mb_after_build": peak_rss_mb(),
        "build_seconds": round(build, 1),
        **screen(index, queries),
        "target": "two_processes.query_seconds < 60",
        "met": False,
    }


def generated_entities(
    size: int, tokens: list[str], rng: random.Random, sample: list[str]
) -> Iterator[EntityProxy]:
    """People (60 %) and companies with names drawn from the token pool, a birth or
    incorporation year and a country; every 200th name is kept in ``sample`` for the queries."""
    countries = ["cd", "rw", "ug", "ae", "cn", "ru", "us", "gb", "de", "in", "ir", "af"]
    forms = ["LTD", "SARL", "LLC", "GmbH", "S.A.", "OOO", "SPRL", "Inc."]
    words = ["Trading", "Mining", "Minerals", "Holdings", "International", "Group", "Resources"]
    for number in range(size):
        person = rng.random() < 0.6
        entity = model.make_entity("Person" if person else "Company")
        entity.id = f"gen-{number}"
        parts = [_token(tokens, rng) for _ in range(rng.choice((2, 2, 3, 3, 4)))]
        if person:
            name = " ".join(part.capitalize() for part in parts)
            entity.add("birthDate", str(rng.randint(1940, 2000)))
            entity.add("nationality", rng.choice(countries))
        else:
            name = " ".join([*(p.upper() for p in parts[:3]), rng.choice(words), rng.choice(forms)])
            entity.add("country", rng.choice(countries))
        entity.add("name", name)
        if number % 200 == 0:
            sample.append(name)
        yield entity


def _token(tokens: list[str], rng: random.Random) -> str:
    """A token of the pool, the common ones more often, or one time in four an invented one.

    The pool is sorted commonest first and drawn at rank ``len × u³`` (u uniform): the first
    token comes about 4 % of the time, the first 1 % of the pool about a fifth of the time, as
    the commonest given names and surnames do in a real list.
    """
    if rng.random() < 0.25:
        syllables = rng.randint(2, 4)
        return "".join(rng.choice("bdgklmnprstvz") + rng.choice("aeiou") for _ in range(syllables))
    return tokens[min(int(len(tokens) * rng.random() ** 3), len(tokens) - 1)]


def generated_queries(names: list[str], rng: random.Random, count: int) -> Iterator[EntityProxy]:
    """Distinct queries: half listed names with typos or reordered, half new combinations."""
    pool = [token for name in names for token in name.split() if token.isalpha()]
    seen: set[str] = set()
    number = 0
    while len(seen) < count:
        if rng.random() < 0.5:
            name = _typo(rng.choice(names), rng)
        else:
            name = " ".join(rng.choice(pool) for _ in range(rng.randint(2, 3)))
        if name in seen:
            continue
        seen.add(name)
        entity = model.make_entity("LegalEntity")
        entity.id = f"query-{number}"
        entity.add("name", name)
        number += 1
        yield entity


def _typo(name: str, rng: random.Random) -> str:
    """A name with one letter changed, dropped or doubled, or two words swapped."""
    words = name.split()
    move = rng.random()
    if move < 0.25 and len(words) > 1:
        first, second = rng.sample(range(len(words)), 2)
        words[first], words[second] = words[second], words[first]
        return " ".join(words)
    position = rng.randrange(len(name))
    if move < 0.5:
        return name[:position] + name[position + 1 :]
    if move < 0.75:
        return name[:position] + name[position] + name[position:]
    return name[:position] + rng.choice(string.ascii_uppercase) + name[position + 1 :]


def token_pool(entities: list[EntityProxy]) -> list[str]:
    """Name tokens of the lists and of the negatives, the commonest first."""
    counts: dict[str, int] = {}
    names = [name for entity in entities for name in entity.get("name")]
    for path in ("yente_negatives_global_1000.csv", "yente_negatives_us_1000.csv"):
        names.extend(q.caption for q in read_query_persons(MATCHING / path))
    for name in names:
        for token in normalise_name(name, "LegalEntity").tokens:
            if token.isalpha() and len(token) > 1:
                counts[token] = counts.get(token, 0) + 1
    return sorted(counts, key=lambda token: (-counts[token], token))


def peak_rss_mb() -> float:
    """This process's peak resident memory so far, MiB."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its JSON; the exit status is 0 when every target is met."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--scale", type=int, default=0, help="also screen against N generated")
    parser.add_argument("--seed", type=int, default=20261126)
    args = parser.parse_args(argv)
    if not MATCHING.is_dir():
        print(f"shared screening data not found at {DATA}", file=sys.stderr)
        return 2
    rng = random.Random(args.seed)
    report: dict[str, Any] = {
        "benchmark": "oresight screening quality",
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": f"{platform.python_implementation()} {platform.python_version()}, "
        f"{platform.machine()}",
    }
    log("name benchmark")
    report["name_benchmark"] = name_benchmark()
    log("entity checks")
    report["entity_checks"] = entity_checks()
    log("OFAC search scores (2021)")
    report["ofac_reference"] = ofac_reference()
    log("UN list")
    un = un_entities()
    un_index = MatchIndex.build(un)
    log("yente candidate generation (UN positives)")
    report["yente_candidates"] = yente_candidates(un, un_index)
    log("yente negatives")
    report["yente_negatives"] = yente_negatives(un_index)
    log("OFAC SDN list")
    listed = [*ofac_entities(), *un]
    log(f"speed: {QUERIES} queries against OFAC + UN")
    report["speed"] = speed(listed, rng)
    report["speed"]["met"] = report["speed"]["two_processes"]["query_seconds"] < 10
    if args.scale:
        log(f"scale: {QUERIES} queries against {args.scale} generated entities")
        report["scale"] = scale(args.scale, token_pool(listed), rng)
        report["scale"]["met"] = report["scale"]["two_processes"]["query_seconds"] < 60
    sections = [value for value in report.values() if isinstance(value, dict) and "met" in value]
    report["targets_met"] = all(section["met"] for section in sections)
    print(json.dumps(report, indent=2, ensure_ascii=False))
    return 0 if report["targets_met"] else 1


if __name__ == "__main__":
    sys.exit(main())

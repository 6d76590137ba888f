"""Many queries against one index, on every core.

A screening run asks the same index thousands of questions (every party of a supply chain,
every customer of a refiner). :func:`search_many` answers them in order; with ``processes``
above 1 it forks that many worker processes, which share the parent's index page by page instead
of copying or pickling it (the index hashes strings with the parent's hash seed, which only a
forked child shares), and hands each a run of queries at a time.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterable, Sequence

from followthemoney import EntityProxy

from oresight.core.collector import paused_gc
from oresight.core.errors import InvalidInput
from oresight.screening.match.index import MatchIndex
from oresight.screening.match.name_tokens import load_name_variants
from oresight.screening.match.profile import Profile
from oresight.screening.match.scoring import DEFAULT_THRESHOLD, Match

QUERIES_PER_TASK = 250
"""Queries a worker takes at a time: enough to make the hand-over cheap, few enough to balance."""

# The index the forked workers search: set by the parent just before it forks them.
_FORKED: tuple[MatchIndex, int, float] | None = None


def search_many(
    index: MatchIndex,
    queries: Iterable[EntityProxy | Profile],
    *,
    limit: int = 10,
    threshold: float = DEFAULT_THRESHOLD,
    processes: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> list[list[Match]]:
    """The matches of each query (as :meth:`MatchIndex.search` finds them), in query order.

    Every query is read before any is searched, so a query without a name fails the whole run.
    With ``processes`` above 1, the queries are shared among that many forked worker processes
    (on systems that fork; elsewhere all run in this process). ``progress``, when given,
    hears how many queries are done of how many, every :data:`QUERIES_PER_TASK` or so.
    """
    if limit < 1:
        raise InvalidInput(f"the limit must be at least 1, found {limit}", field="limit")
    if processes < 1:
        raise InvalidInput(f"processes must be at least 1, found {processes}", field="processes")
    profiles = [
        query if isinstance(query, Profile) else Profile.from_entity(query) for query in queries
    ]
    total = len(profiles)
    forks = "fork" in multiprocessing.get_all_start_methods()
    if processes == 1 or total <= QUERIES_PER_TASK or not forks:
        found: list[list[Match]] = []
        # Searches make no reference cycles, but they fill caches: with the collector running,
        # its full passes walked the whole heap again and again (a tenth of a 10^4-query run).
        with paused_gc():
            for profile in profiles:
                found.append(index.search(profile, limit=limit, threshold=threshold))
                if progress is not None and len(found) % QUERIES_PER_TASK == 0:
                    progress(len(found), total)
        if progress is not None:
            progress(total, total)
        return found
    # Loaded once here, rigour's name database is shared with the workers rather than loaded
    # by each of them.
    load_name_variants()
    tasks = [
        profiles[start : start + QUERIES_PER_TASK]
        for start in range(0, len(profiles), QUERIES_PER_TASK)
    ]
    global _FORKED
    _FORKED = (index, limit, threshold)
    try:
        # The workers inherit the paused collector: it would otherwise walk (and, writing to
        # them, copy) the pages of the parent's index.
        answers: list[list[list[Match]]] = []
        with paused_gc(), multiprocessing.get_context("fork").Pool(processes) as pool:
            for answer in pool.imap(_search_task, tasks, chunksize=1):
                answers.append(answer)
                if progress is not None:
                    progress(min(len(answers) * QUERIES_PER_TASK, total), total)
    finally:
        _FORKED = None
    return [matches for answer in answers for matches in answer]


def _search_task(profiles: Sequence[Profile]) -> list[list[Match]]:
    """In a worker: search the index the parent forked with."""
    assert _FORKED is not None, "the worker was not forked from search_many"
    index, limit, threshold = _FORKED
    return [index.search(profile, limit=limit, threshold=threshold) for profile in profiles]

"""Bounded enumeration of explanation paths, from a subject up to sanctioned entities.

Paths only explain: the 50 % decision and the control set are computed in linear time elsewhere.
Enumerating every path could take exponential time, so the walk is bounded three ways: a hop
limit (pruned early with each node's distance from the sanctioned set), a cap on the paths
returned, and a budget of links examined. A path never visits an entity twice, so cycles end.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from oresight.screening.network.graph import Link

LINKS_EXAMINED_PER_PATH_HOP = 200
"""Work budget: links examined per path and hop asked for, before the walk gives up."""

MIN_LINKS_EXAMINED = 10_000


@dataclass(frozen=True, slots=True)
class PathSearch:
    """How to walk up from a subject.

    ``incoming`` gives the links into a node, of which ``accept`` keeps those that may extend a
    path; ``is_root`` tells where a path ends (a sanctioned entity), and ``distance`` the fewest
    hops from a node up to a root, or ``None`` when no root can be reached (then the node is never
    entered). Every link looked at, accepted or not, counts against the work budget.
    """

    incoming: Callable[[str], Iterable[Link]]
    accept: Callable[[Link], bool]
    is_root: Callable[[str], bool]
    distance: Callable[[str], int | None]
    max_hops: int
    max_paths: int


def upstream_paths(subject: str, search: PathSearch) -> tuple[list[tuple[Link, ...]], bool]:
    """Paths from roots down to ``subject`` (links ordered root first), and whether all were found.

    The flag is false when the hop limit, the path cap or the work budget may have left a path out.
    """
    found: list[tuple[Link, ...]] = []
    chain: list[Link] = []
    on_chain = {subject}
    budget = max(
        MIN_LINKS_EXAMINED, LINKS_EXAMINED_PER_PATH_HOP * search.max_paths * search.max_hops
    )
    complete = True

    def walk(node: str) -> bool:
        """Extend the chain above ``node``; False once the walk must stop."""
        nonlocal budget, complete
        for link in search.incoming(node):
            budget -= 1
            if budget < 0 or len(found) >= search.max_paths:
                complete = False
                return False
            above = link.source
            if above in on_chain or not search.accept(link):
                continue
            distance = search.distance(above)
            if distance is None:
                continue
            if len(chain) + 1 + distance > search.max_hops:
                complete = False
                continue
            chain.append(link)
            if search.is_root(above):
                found.append(tuple(reversed(chain)))
            else:
                on_chain.add(above)
                going = walk(above)
                on_chain.discard(above)
                if not going:
                    chain.pop()
                    return False
            chain.pop()
        return True

    walk(subject)
    return found, complete

"""Ownership and control by sanctioned parties: OFAC's 50 % rule, and control apart from it.

OFAC blocks any entity owned, directly or indirectly, individually or in the aggregate, 50 % or
more by blocked persons. Indirect ownership passes through an entity only when that entity is
itself blocked, and then it counts the whole of its holdings: shares are not multiplied down a
chain. So 50 % of X held by a blocked entity blocks X, while 40 % of an entity that owns all of X
does not. The blocked set is the least fixpoint of that rule from the listed entities, found with
a worklist in time linear in the links (cycles end, because an entity is blocked only once).

Shares are intervals (see :mod:`oresight.screening.network.shares`): the rule is run twice, on the
low and on the high ends, so an entity is *blocked* on known shares alone and *possibly blocked*
when shares not known exactly could bring its sanctioned owners to 50 %.

Control (directorships, FtM ``Control`` links) does not block under OFAC but is a red flag, so it
is reported apart: an entity is controlled when a chain of at most ``control_hops`` links leads to
it from a listed or blocked entity, starting with a control link; past the first, a link may also
be a majority holding (more than 50 %) of a controlled entity, since it passes that control on.

Multiplied ("effective") ownership along each path is given for analysis, labelled as such, and
never decides anything.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import date
from decimal import Decimal
from functools import cached_property
from itertools import chain

from oresight.core.errors import InvalidInput
from oresight.screening.network.graph import Entity, Link, LinkKind, NetworkGraph
from oresight.screening.network.paths import PathSearch, upstream_paths
from oresight.screening.network.sanctions import SanctionFilter, sanctions_in_force
from oresight.screening.network.shares import ZERO, Share, parse_percentage
from oresight.screening.network.verdict import (
    Contribution,
    EntityRef,
    NetworkPath,
    OwnershipStatus,
    OwnershipVerdict,
    capped,
)

__all__ = [
    "Contribution",
    "EntityRef",
    "Link",
    "LinkKind",
    "NetworkGraph",
    "NetworkPath",
    "OwnershipAssessment",
    "OwnershipStatus",
    "OwnershipVerdict",
    "Share",
    "assess_ownership",
    "parse_percentage",
    "sanctions_in_force",
    "screen_ownership",
]

OFAC_THRESHOLD = Decimal(50)
"""Blocked persons owning this many percent or more, in aggregate, block an entity."""

UNKNOWN = Share.unknown()

DEFAULT_MAX_HOPS = 6
DEFAULT_MAX_PATHS = 20
DEFAULT_CONTROL_HOPS = 3
HOPS_LIMIT = 64
"""The largest hop limit accepted (explanation walks recurse once per hop)."""


def screen_ownership(
    entities: Iterable[Entity],
    *,
    as_of: date,
    include: SanctionFilter | None = None,
    max_hops: int = DEFAULT_MAX_HOPS,
    max_paths: int = DEFAULT_MAX_PATHS,
    control_hops: int = DEFAULT_CONTROL_HOPS,
) -> OwnershipAssessment:
    """Run the 50 % rule and the control check over FtM entities, sanctions taken from them.

    The sanctioned set is the targets of the ``Sanction`` entities in force on ``as_of`` (those
    ``include`` accepts); the network is the relationships in force that day.
    """
    held = list(entities)
    graph = NetworkGraph.from_entities(held, as_of=as_of)
    sanctioned = sanctions_in_force(held, as_of=as_of, include=include)
    return assess_ownership(
        graph, sanctioned, max_hops=max_hops, max_paths=max_paths, control_hops=control_hops
    )


def assess_ownership(
    graph: NetworkGraph,
    sanctioned: Mapping[str, str],
    *,
    max_hops: int = DEFAULT_MAX_HOPS,
    max_paths: int = DEFAULT_MAX_PATHS,
    control_hops: int = DEFAULT_CONTROL_HOPS,
) -> OwnershipAssessment:
    """Run the 50 % rule and the control check; ``sanctioned`` maps listed ids to their reason.

    ``max_hops`` bounds the explanation paths (never the decision: OFAC sets no depth), and
    ``max_paths`` the paths shown per verdict; ``control_hops`` bounds what counts as control.
    """
    return OwnershipAssessment(
        graph, sanctioned, max_hops=max_hops, max_paths=max_paths, control_hops=control_hops
    )


class OwnershipAssessment:
    """The blocked, possibly blocked and controlled entities of a network; verdicts on demand.

    Statuses are computed up front in linear time; a verdict's paths are enumerated only when
    :meth:`verdict` is called.
    """

    def __init__(
        self,
        graph: NetworkGraph,
        sanctioned: Mapping[str, str],
        *,
        max_hops: int,
        max_paths: int,
        control_hops: int,
    ) -> None:
        _check_limit("max_hops", max_hops, HOPS_LIMIT)
        _check_limit("control_hops", control_hops, HOPS_LIMIT)
        _check_limit("max_paths", max_paths, None)
        self.graph = graph
        self.as_of = graph.as_of
        self.max_hops = max_hops
        self.max_paths = max_paths
        self.control_hops = control_hops
        self._listed = dict(sanctioned)
        self._blocked = _closure(graph, self._listed, lambda share: share.low)
        self._possible = _closure(graph, self._listed, lambda share: share.high)
        self._control = _control_depths(graph, self._blocked, control_hops)

    def status(self, entity_id: str) -> OwnershipStatus:
        """Where an entity stands under the 50 % rule (any id; unknown ones are not blocked)."""
        if entity_id in self._listed:
            return OwnershipStatus.LISTED
        if entity_id in self._blocked:
            return OwnershipStatus.BLOCKED
        if entity_id in self._possible:
            return OwnershipStatus.POSSIBLY_BLOCKED
        return OwnershipStatus.NOT_BLOCKED

    def is_controlled(self, entity_id: str) -> bool:
        """Whether a listed or blocked entity controls this one within the control hop limit."""
        return entity_id in self._control

    @cached_property
    def blocked_ids(self) -> frozenset[str]:
        """Listed entities and those the 50 % rule blocks."""
        return frozenset(self._blocked)

    @cached_property
    def possibly_blocked_ids(self) -> frozenset[str]:
        """Entities that shares not known exactly could block, and no more."""
        return frozenset(self._possible - self._blocked)

    @cached_property
    def controlled_ids(self) -> frozenset[str]:
        """Entities that listed or blocked entities control (listed ones included)."""
        return frozenset(self._control)

    def flagged(self) -> tuple[str, ...]:
        """Ids of the unlisted entities that are blocked, possibly blocked or controlled."""
        found = (self._possible | self._control.keys()) - self._listed.keys()
        return tuple(sorted(found))

    def verdicts(self) -> Iterator[OwnershipVerdict]:
        """The verdicts on the flagged entities, in id order."""
        for entity_id in self.flagged():
            yield self.verdict(entity_id)

    def verdict(self, entity_id: str) -> OwnershipVerdict:
        """The verdict on one entity, with its contributions, ownership and control paths."""
        contributions = tuple(
            Contribution(self._ref(link.source), link)
            for link in self.graph.owners_of(entity_id)
            if link.source in self._possible
        )
        low = sum((c.share.low for c in contributions if c.owner.status.blocked), start=Decimal(0))
        high = sum((c.share.high for c in contributions), start=Decimal(0))
        paths, paths_complete = self._ownership_paths(entity_id)
        control, control_complete = self._control_paths(entity_id)
        return OwnershipVerdict(
            entity=self._ref(entity_id),
            as_of=self.as_of,
            aggregate=capped(low, high),
            contributions=contributions,
            paths=paths,
            paths_complete=paths_complete,
            controlled_by=control,
            control_complete=control_complete,
            max_hops=self.max_hops,
            control_hops=self.control_hops,
        )

    @cached_property
    def _reach(self) -> dict[str, int]:
        """Fewest ownership hops from a listed entity, through any entity (for explanations)."""
        return _distances(self.graph, self._listed, lambda _: True)

    @cached_property
    def _passing_reach(self) -> dict[str, int]:
        """Fewest hops from a listed entity through entities that pass ownership on, at most."""
        return _distances(self.graph, self._listed, self._possible.__contains__)

    def _ref(self, entity_id: str) -> EntityRef:
        return EntityRef(
            entity_id,
            self.graph.label(entity_id),
            self.status(entity_id),
            self._listed.get(entity_id),
        )

    def _ownership_paths(self, subject: str) -> tuple[tuple[NetworkPath, ...], bool]:
        """Paths along which the rule passes ownership first, then the others (up to the cap)."""
        possible = self._possible
        passing, passing_complete = upstream_paths(
            subject,
            PathSearch(
                incoming=self.graph.owners_of,
                accept=lambda link: link.source in possible,
                is_root=self._listed.__contains__,
                distance=self._passing_reach.get,
                max_hops=self.max_hops,
                max_paths=self.max_paths,
            ),
        )
        found = list(passing)
        complete = passing_complete
        room = self.max_paths - len(found)
        if room > 0:
            others, others_complete = upstream_paths(
                subject,
                PathSearch(
                    incoming=self.graph.owners_of,
                    accept=lambda _: True,
                    is_root=self._listed.__contains__,
                    distance=self._reach.get,
                    max_hops=self.max_hops,
                    max_paths=self.max_paths,
                ),
            )
            seen = set(passing)
            fresh = [path for path in others if path not in seen]
            complete = complete and others_complete and len(fresh) <= room
            found.extend(fresh[:room])
        elif self._reach.get(subject) is not None:
            complete = False
        return tuple(self._path(links) for links in found), complete

    def _control_paths(self, subject: str) -> tuple[tuple[NetworkPath, ...], bool]:
        if subject not in self._control:
            return (), True
        sources = self._blocked
        control = self._control

        def incoming(node: str) -> Iterable[Link]:
            return chain(self.graph.controllers_of(node), self.graph.owners_of(node))

        def accept(link: Link) -> bool:
            if link.kind is not LinkKind.OWNERSHIP:
                return link.source in sources or link.source in control
            # A majority holding passes on control only from an entity controlled, not blocked.
            return _majority(link) and link.source in control and link.source not in sources

        def distance(node: str) -> int | None:
            return 0 if node in sources else control.get(node)

        found, complete = upstream_paths(
            subject,
            PathSearch(
                incoming=incoming,
                accept=accept,
                is_root=sources.__contains__,
                distance=distance,
                max_hops=self.control_hops,
                max_paths=self.max_paths,
            ),
        )
        return tuple(self._path(links) for links in found), complete

    def _path(self, links: Sequence[Link]) -> NetworkPath:
        ids = [links[0].source, *(link.target for link in links)]
        return NetworkPath(tuple(self._ref(node) for node in ids), tuple(links))


def _check_limit(name: str, value: int, most: int | None) -> None:
    if value < 1 or (most is not None and value > most):
        expected = f"from 1 to {most}" if most is not None else "1 or more"
        raise InvalidInput(f"expected {expected}, found {value}", field=name)


def _closure(
    graph: NetworkGraph, listed: Iterable[str], bound: Callable[[Share], Decimal]
) -> set[str]:
    """The least set holding the listed entities and every entity its members own 50 %+ of.

    A member counts the whole of each of its holdings (``bound`` picks the low or high end of a
    share); each link is looked at once, when its owner joins the set.
    """
    blocked = set(listed)
    totals: dict[str, Decimal] = {}
    work = list(blocked)
    while work:
        owner = work.pop()
        for link in graph.holdings_of(owner):
            asset = link.target
            if asset in blocked:
                continue
            total = totals.get(asset, ZERO) + bound(link.share or UNKNOWN)
            totals[asset] = total
            if total >= OFAC_THRESHOLD:
                blocked.add(asset)
                work.append(asset)
    return blocked


def _distances(
    graph: NetworkGraph, listed: Iterable[str], passes: Callable[[str], bool]
) -> dict[str, int]:
    """Fewest ownership hops from a listed entity to each entity, going on only where ``passes``."""
    distance = dict.fromkeys(listed, 0)
    queue = deque(distance)
    while queue:
        node = queue.popleft()
        if not passes(node):
            continue
        hops = distance[node] + 1
        for link in graph.holdings_of(node):
            if link.target not in distance:
                distance[link.target] = hops
                queue.append(link.target)
    return distance


def _control_depths(graph: NetworkGraph, sources: set[str], limit: int) -> dict[str, int]:
    """Fewest hops from a listed or blocked entity to each entity it controls, up to ``limit``.

    The first hop is a control link; later hops are control links or majority holdings of an
    entity already controlled (a majority holding by a source is the 50 % rule's business).
    """
    depth: dict[str, int] = {}
    queue: deque[str] = deque()
    for source in sources:
        for link in graph.controls_of(source):
            if link.target not in depth:
                depth[link.target] = 1
                queue.append(link.target)
    while queue:
        node = queue.popleft()
        hops = depth[node] + 1
        if hops > limit or node in sources:
            continue
        onward = [*graph.controls_of(node)]
        onward.extend(link for link in graph.holdings_of(node) if _majority(link))
        for link in onward:
            if link.target not in depth:
                depth[link.target] = hops
                queue.append(link.target)
    return depth


def _majority(link: Link) -> bool:
    return link.share is not None and link.share.low > OFAC_THRESHOLD

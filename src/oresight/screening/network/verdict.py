"""Verdicts of the 50 % rule and of control, with everything needed to explain them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from oresight.screening.network.graph import Link, LinkKind
from oresight.screening.network.shares import Share, format_percent


class OwnershipStatus(StrEnum):
    """Where an entity stands under OFAC's 50 % rule."""

    LISTED = "listed"
    """Sanctioned in its own right."""
    BLOCKED = "blocked"
    """Owned 50 % or more, in aggregate, by listed or blocked entities (known shares alone)."""
    POSSIBLY_BLOCKED = "possibly_blocked"
    """Not blocked on known shares, but shares not known exactly could reach 50 %."""
    NOT_BLOCKED = "not_blocked"
    """Below 50 % even if every share not known exactly were as large as it could be."""

    @property
    def blocked(self) -> bool:
        """Whether the entity is blocked: listed, or blocked by its owners."""
        return self in (OwnershipStatus.LISTED, OwnershipStatus.BLOCKED)


_STATUS_NOTES = {
    OwnershipStatus.BLOCKED: "blocked by its own owners",
    OwnershipStatus.POSSIBLY_BLOCKED: "possibly blocked",
    OwnershipStatus.NOT_BLOCKED: "not blocked",
}


@dataclass(frozen=True, slots=True)
class EntityRef:
    """An entity as a verdict names it: id, label, status, and why it is sanctioned if it is."""

    id: str
    label: str
    status: OwnershipStatus
    sanction: str | None = None

    def note(self, *, reason: bool = True) -> str:
        """The entity's standing in a few words: ``sanctioned: OFAC (...)``, ``blocked ...``."""
        if self.status is OwnershipStatus.LISTED:
            return f"sanctioned: {self.sanction}" if self.sanction and reason else "sanctioned"
        return _STATUS_NOTES[self.status]


@dataclass(frozen=True, slots=True)
class NetworkPath:
    """A chain of links from a sanctioned entity (first) down to the subject (last)."""

    entities: tuple[EntityRef, ...]
    links: tuple[Link, ...]

    @property
    def root(self) -> EntityRef:
        """The sanctioned entity the path starts from."""
        return self.entities[0]

    @property
    def passes_rule(self) -> bool:
        """Whether ownership passes down this path under OFAC: every entity between is blocked."""
        return all(entity.status.blocked for entity in self.entities[1:-1])

    @property
    def effective_share(self) -> Share | None:
        """The shares multiplied along the path, or None if a link is not ownership.

        An analytic view only: OFAC does not multiply shares, and this never decides a verdict.
        """
        product = Share.exact(100)
        for link in self.links:
            if link.kind is not LinkKind.OWNERSHIP or link.share is None:
                return None
            product = product.times(link.share)
        return product

    def describe(self, *, reasons: bool = True) -> str:
        """``Subject ← 51 % ← Owner (blocked ...) ← 100 % ← Root (sanctioned: ...)``.

        Without ``reasons``, a sanctioned entity is marked but its designations are not repeated.
        """
        parts = [self.entities[-1].label]
        for entity, link in zip(reversed(self.entities[:-1]), reversed(self.links), strict=True):
            parts.append(link.describe())
            parts.append(f"{entity.label} ({entity.note(reason=reasons)})")
        return " ← ".join(parts)


@dataclass(frozen=True, slots=True)
class Contribution:
    """A direct holding in the subject by a listed, blocked or possibly blocked owner.

    A blocked owner counts the whole of its own holding: OFAC does not scale it down by how much
    of the owner is held by sanctioned persons.
    """

    owner: EntityRef
    link: Link

    @property
    def share(self) -> Share:
        """The share held (unknown when the records give none)."""
        return self.link.share or Share.unknown()


@dataclass(frozen=True, slots=True)
class OwnershipVerdict:
    """The 50 % rule's verdict on one entity, the control found over it, and why.

    ``aggregate`` is the direct holding of the owners that count: its low end adds the known
    shares of listed and blocked owners (the rule's figure), its high end adds every share at its
    largest, possibly blocked owners included (capped at 100 %).
    """

    entity: EntityRef
    as_of: date
    aggregate: Share
    contributions: tuple[Contribution, ...]
    paths: tuple[NetworkPath, ...]
    paths_complete: bool
    controlled_by: tuple[NetworkPath, ...]
    control_complete: bool
    max_hops: int
    control_hops: int

    @property
    def entity_id(self) -> str:
        """The id of the entity judged."""
        return self.entity.id

    @property
    def status(self) -> OwnershipStatus:
        """Where the entity stands under the 50 % rule."""
        return self.entity.status

    @property
    def blocked(self) -> bool:
        """Whether the entity is blocked (listed, or owned 50 % or more by blocked persons)."""
        return self.entity.status.blocked

    @property
    def controlled(self) -> bool:
        """Whether a sanctioned or blocked entity controls this one (apart from the 50 % rule)."""
        return bool(self.controlled_by)

    @property
    def unknown_shares(self) -> tuple[Contribution, ...]:
        """The contributions whose share is not known exactly."""
        return tuple(c for c in self.contributions if not c.share.is_exact)

    def explain(self) -> str:
        """The verdict in plain sentences, with the shares, paths and records behind it."""
        lines = [f"{self.entity.label} ({self.entity.id}) on {self.as_of.isoformat()}:"]
        lines.append("  " + self._headline())
        if self.contributions:
            lines.append("  Owners that count (a blocked owner counts its whole holding):")
            for item in self.contributions:
                records = ", ".join(item.link.records)
                lines.append(
                    f"    - {item.owner.label} ({item.owner.id}), {item.owner.note()}: "
                    f"{item.link.describe()} [records: {records}]"
                )
        if self.unknown_shares:
            names = ", ".join(item.owner.label for item in self.unknown_shares)
            lines.append(f"  Shares not known exactly, held by: {names}.")
        lines.extend(self._path_lines())
        lines.extend(self._control_lines())
        lines.extend(self._root_lines())
        return "\n".join(lines)

    def _headline(self) -> str:
        low = format_percent(self.aggregate.low)
        high = format_percent(self.aggregate.high)
        status = self.entity.status
        if status is OwnershipStatus.LISTED:
            return f"Sanctioned in its own right ({self.entity.sanction or 'listed'})."
        if status is OwnershipStatus.BLOCKED:
            return (
                f"Blocked under OFAC's 50 % rule: sanctioned or blocked owners hold {low} % "
                "in aggregate, 50 % or more."
            )
        if status is OwnershipStatus.POSSIBLY_BLOCKED:
            return (
                f"Possibly blocked: the known shares of sanctioned or blocked owners come to "
                f"{low} %, but shares not known exactly, and owners only possibly blocked, could "
                f"bring them to {high} %, reaching 50 %."
            )
        if not self.contributions:
            return "Not blocked: no sanctioned or blocked owner holds a share in it."
        return (
            f"Not blocked: sanctioned or blocked owners hold {_span(self.aggregate)} "
            "in aggregate, below 50 % even at the largest."
        )

    def _path_lines(self) -> list[str]:
        if not self.paths:
            if self.status is OwnershipStatus.BLOCKED or not self.paths_complete:
                return [
                    f"  No ownership path from a sanctioned entity within {self.max_hops} hops "
                    "is shown; the owners above carry the verdict."
                ]
            return []
        lines = [
            f"  Ownership paths from sanctioned entities, within {self.max_hops} hops "
            "(effective: shares multiplied along the path, an analytic view that the 50 % rule "
            "does not use):"
        ]
        for path in self.paths:
            effective = path.effective_share
            passing = (
                "ownership passes down it"
                if path.passes_rule
                else "ownership stops at an entity that is not blocked"
            )
            lines.append(f"    - {path.describe(reasons=False)}; effective {effective}; {passing}")
        if not self.paths_complete:
            lines.append("    (more paths may exist beyond the hop limit or the number shown)")
        return lines

    def _control_lines(self) -> list[str]:
        if not self.controlled_by:
            return [
                f"  No control by a sanctioned or blocked entity within {self.control_hops} hops."
            ]
        lines = [
            "  Controlled by sanctioned or blocked entities (reported apart: control alone does "
            "not block, but is a red flag):"
        ]
        lines.extend(f"    - {path.describe(reasons=False)}" for path in self.controlled_by)
        if not self.control_complete:
            lines.append("    (more control paths may exist beyond the limits)")
        return lines

    def _root_lines(self) -> list[str]:
        roots: dict[str, EntityRef] = {}
        for path in (*self.paths, *self.controlled_by):
            roots.setdefault(path.root.id, path.root)
        named = {item.owner.id for item in self.contributions}
        lines = [
            f"    - {root.label} ({root.id}): {root.note()}"
            for root in roots.values()
            if root.id not in named and root.status is OwnershipStatus.LISTED
        ]
        return ["  Sanctioned entities the paths start from:", *lines] if lines else []


def _span(share: Share) -> str:
    if share.is_exact:
        return f"{format_percent(share.low)} %"
    return f"{format_percent(share.low)}–{format_percent(share.high)} %"


def capped(low: Decimal, high: Decimal) -> Share:
    """An aggregate as a share: both ends capped at 100 % (sources can add up beyond it)."""
    hundred = Decimal(100)
    low = min(low, hundred)
    return Share(low, max(low, min(high, hundred)))

"""The ownership and control network, built from FtM relationship entities in force on a day.

Links that count, and why:

- ``Ownership`` (owner → asset, ``percentage``): the holdings the 50 % rule adds up.
- ``Directorship`` (director → organization, ``role``): a director manages the organisation.
- ``Control`` (controller → controlled, ``controlType``): FtM's link for control other than by
  shares (the right to appoint directors, trusts, contracts).
- ``parent`` on a legal entity (deprecated in FtM for ``Ownership``): a holding of unknown share.

Left out on purpose: ``Employment`` (an employee works for the employer and does not direct it;
where a source knows of a manager's power it writes a Directorship), ``Membership`` (a member does
not control an association or a party), ``Representation`` (an agent acts for its client, so the
client directs the agent, and neither holds the other), ``Family`` and ``Associate`` (OFAC does
not add up relatives' holdings; closeness is another red flag), ``Succession``, ``Occupancy`` and
``UnknownLink`` (no power over the other entity).

Several records of the same owner and asset (registries republish a stake whenever it changes,
and several datasets report the same stake) state one holding: its share is the largest they give,
never their sum, and every record stays named in the explanation.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import TypeAlias

from followthemoney import EntityProxy, model

from oresight.core.errors import InvalidInput
from oresight.core.parties import Party
from oresight.screening.network.dates import in_force
from oresight.screening.network.shares import Share, read_shares

Entity: TypeAlias = Party | EntityProxy
"""An FtM entity as oresight holds it (:class:`Party`) or as FtM itself does."""


class LinkKind(StrEnum):
    """What a link in the network stands for."""

    OWNERSHIP = "ownership"
    DIRECTORSHIP = "directorship"
    CONTROL = "control"


@dataclass(frozen=True, slots=True)
class Link:
    """One link from an owner, director or controller (``source``) to what it holds or runs.

    ``share`` is set for ownership only. ``records`` names the FtM entities that state the link
    (``<id>#parent`` for a ``parent`` property); ``stated`` keeps the percentages as written.
    """

    source: str
    target: str
    kind: LinkKind
    share: Share | None
    records: tuple[str, ...]
    roles: tuple[str, ...] = ()
    stated: tuple[str, ...] = ()
    shares_count: tuple[str, ...] = ()

    def describe(self) -> str:
        """The link in a few words: ``51 %``, ``unknown share (stated: 'n/a')``, ``director``."""
        if self.kind is LinkKind.OWNERSHIP:
            text = str(self.share)
            if self.share is not None and not self.share.is_exact and self.stated:
                text += " (stated: " + ", ".join(repr(value) for value in self.stated) + ")"
            if self.shares_count:
                text += f", {'/'.join(self.shares_count)} shares"
            return text
        roles = ", ".join(self.roles)
        return f"{self.kind.value} ({roles})" if roles else self.kind.value


@dataclass(frozen=True, slots=True)
class _Relation:
    kind: LinkKind
    source: str
    target: str
    roles: tuple[str, ...]


_RELATIONS = {
    "Ownership": _Relation(LinkKind.OWNERSHIP, "owner", "asset", ("role", "ownershipType")),
    "Directorship": _Relation(LinkKind.DIRECTORSHIP, "director", "organization", ("role",)),
    "Control": _Relation(LinkKind.CONTROL, "controller", "controlled", ("role", "controlType")),
}


class NetworkGraph:
    """Ownership and control links in force on ``as_of``, indexed both ways.

    Owners of an asset come largest share first, so explanations show the weightiest paths first.
    """

    def __init__(
        self, links: Iterable[Link], *, as_of: date, labels: Mapping[str, str] | None = None
    ) -> None:
        self.as_of = as_of
        self._labels = dict(labels or {})
        # Merged per kind, then per source, then per target: cheaper than one dict of triples.
        tables: dict[LinkKind, dict[str, dict[str, Link]]] = {kind: {} for kind in LinkKind}
        for link in links:
            if link.source == link.target:
                continue  # treasury shares or a self-reference carry nothing to anyone else
            rows = tables[link.kind]
            row = rows.get(link.source)
            if row is None:
                row = rows[link.source] = {}
            seen = row.get(link.target)
            row[link.target] = link if seen is None else _merge(seen, link)
        self._holdings = {
            source: list(row.values()) for source, row in tables[LinkKind.OWNERSHIP].items()
        }
        self._owners = _by_target(self._holdings)
        for owners in self._owners.values():
            owners.sort(key=_weight)
        self._controlled: dict[str, list[Link]] = {}
        for kind in (LinkKind.DIRECTORSHIP, LinkKind.CONTROL):
            for source, row in tables[kind].items():
                self._controlled.setdefault(source, []).extend(row.values())
        self._controllers = _by_target(self._controlled)
        self.link_count = sum(len(row) for rows in tables.values() for row in rows.values())

    @classmethod
    def from_entities(cls, entities: Iterable[Entity], *, as_of: date) -> NetworkGraph:
        """Build the network from FtM entities (:class:`Party` or ``EntityProxy``).

        Relationships that had ended before ``as_of``, or had not begun, are left out. A
        relationship that lacks either end, an unknown schema or a malformed date raises
        :class:`InvalidInput` naming the entity and the field.
        """
        links: list[Link] = []
        labels: dict[str, str] = {}
        for entity in entities:
            entity_id, schema_name, properties, caption = entity_view(entity)
            relation = _relation(schema_name, entity_id)
            if relation is None:
                if caption:
                    labels[entity_id] = caption
                links.extend(_parent_links(entity_id, properties.get("parent", ())))
                continue
            starts = properties.get("startDate", ())
            ends = properties.get("endDate", ())
            if in_force(starts, ends, as_of=as_of, record=entity_id):
                links.extend(_relation_links(relation, schema_name, entity_id, properties))
        return cls(links, as_of=as_of, labels=labels)

    def owners_of(self, asset: str) -> Sequence[Link]:
        """The holdings in ``asset``, largest share first."""
        return self._owners.get(asset, ())

    def holdings_of(self, owner: str) -> Sequence[Link]:
        """The holdings of ``owner``."""
        return self._holdings.get(owner, ())

    def controllers_of(self, entity: str) -> Sequence[Link]:
        """The directorship and control links that point at ``entity``."""
        return self._controllers.get(entity, ())

    def controls_of(self, controller: str) -> Sequence[Link]:
        """The directorship and control links from ``controller``."""
        return self._controlled.get(controller, ())

    def label(self, entity: str) -> str:
        """A human name for an entity: its caption, else its id."""
        return self._labels.get(entity, entity)


def entity_view(entity: Entity) -> tuple[str, str, Mapping[str, Sequence[str]], str | None]:
    """Id, schema name, properties and caption (or first name) of a Party or an FtM proxy."""
    if isinstance(entity, Party):
        caption = entity.caption or entity.first("name")
        return entity.id, entity.schema_name, entity.properties, caption
    if entity.id is None:
        raise InvalidInput("the entity has no id", field="id")
    return str(entity.id), entity.schema.name, entity.properties, entity.caption


_SCHEMA_RELATIONS: dict[str, _Relation | None] = {}


def _relation(schema_name: str, entity_id: str) -> _Relation | None:
    """The relation a schema states, or None for things and for links that do not count."""
    if schema_name in _SCHEMA_RELATIONS:
        return _SCHEMA_RELATIONS[schema_name]
    schema = model.get(schema_name)
    if schema is None:
        raise InvalidInput(f"unknown FtM schema {schema_name!r}", record=entity_id, field="schema")
    found = next(
        (relation for name, relation in _RELATIONS.items() if schema.is_a(name)),
        None,
    )
    _SCHEMA_RELATIONS[schema_name] = found
    return found


def _relation_links(
    relation: _Relation, schema_name: str, record: str, properties: Mapping[str, Sequence[str]]
) -> list[Link]:
    """The links one relationship entity states: every source to every target, as FtM does."""
    sources = properties.get(relation.source, ())
    targets = properties.get(relation.target, ())
    for name, values in ((relation.source, sources), (relation.target, targets)):
        if not values:
            message = f"a {schema_name} needs its {name!r}; this one has none"
            raise InvalidInput(message, record=record, field=f"properties.{name}")
    roles = tuple(value for name in relation.roles for value in properties.get(name, ()))
    share: Share | None = None
    stated: tuple[str, ...] = ()
    shares_count: tuple[str, ...] = ()
    if relation.kind is LinkKind.OWNERSHIP:
        stated = tuple(properties.get("percentage", ()))
        share = read_shares(stated)
        shares_count = tuple(properties.get("sharesCount", ()))
    return [
        Link(source, target, relation.kind, share, (record,), roles, stated, shares_count)
        for source in sources
        for target in targets
    ]


def _parent_links(entity_id: str, parents: Sequence[str]) -> list[Link]:
    record = f"{entity_id}#parent"
    return [
        Link(parent, entity_id, LinkKind.OWNERSHIP, Share.unknown(), (record,), ("parent",))
        for parent in parents
    ]


def _by_target(by_source: dict[str, list[Link]]) -> dict[str, list[Link]]:
    by_target: dict[str, list[Link]] = {}
    for links in by_source.values():
        for link in links:
            by_target.setdefault(link.target, []).append(link)
    return by_target


def _merge(first: Link, second: Link) -> Link:
    """One holding stated by two records: the larger share at each bound, all records kept."""
    share: Share | None = None
    if first.kind is LinkKind.OWNERSHIP:
        one, other = first.share or Share.unknown(), second.share or Share.unknown()
        share = Share(max(one.low, other.low), max(one.high, other.high))
    return Link(
        first.source,
        first.target,
        first.kind,
        share,
        first.records + second.records,
        _union(first.roles, second.roles),
        _union(first.stated, second.stated),
        _union(first.shares_count, second.shares_count),
    )


def _union(first: tuple[str, ...], second: tuple[str, ...]) -> tuple[str, ...]:
    return first + tuple(value for value in second if value not in first)


def _weight(link: Link) -> tuple[object, ...]:
    share = link.share or Share.unknown()
    return (-share.high, -share.low, link.source)

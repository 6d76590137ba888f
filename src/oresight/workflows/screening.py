"""Sanctions lists in a workspace, and screening against them.

``load_lists`` reads every file first (each format told from its content) and stores them in
one transaction, so a bad file leaves the workspace as it was; a file loaded before is not
stored again, and a new file of a list already loaded becomes its version in force.
``screening_lists`` gives back the lists in force as the screening pillar's types.

Comparing people's names looks their words up in rigour's database of name variants, which
takes 5-7 s to load in every process that needs it. The workspace keeps the symbols of every
word looked up (``cache/name-symbols-rigour-<version>.json``; computed for every listed name
when a list is loaded, and for new query words as they come), so that a later run whose words
are all known never loads the database. The file is a cache: delete it and it is rebuilt.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from importlib import metadata
from pathlib import Path

from followthemoney import EntityProxy, model
from followthemoney.types import registry

from oresight.core.errors import InvalidInput
from oresight.core.parties import Party
from oresight.screening.findings import Dismissed, party_entity, party_fingerprint
from oresight.screening.ftm import read_ftm_file
from oresight.screening.lists.entries import ListEntry, SanctionsList
from oresight.screening.lists.records import entity_from_json, entry_from_json, entry_to_json
from oresight.screening.lists.sniff import read_list
from oresight.screening.match.batch import search_many
from oresight.screening.match.index import MatchIndex
from oresight.screening.match.name_tokens import looked_up_symbols, name_words, remember_symbols
from oresight.screening.match.scoring import DEFAULT_THRESHOLD, Match
from oresight.store import lists, repository
from oresight.store.database import Workspace
from oresight.store.lists import Decision, ListVersion
from oresight.workflows.progress import Progress, no_progress

__all__ = [
    "CONFIRMED",
    "DEFAULT_THRESHOLD",
    "FALSE_POSITIVE",
    "ListLoad",
    "ScreenResult",
    "ScreeningLists",
    "dismissals",
    "keep_name_symbols",
    "list_versions",
    "load_lists",
    "review_match",
    "screen",
    "screening_lists",
]


@dataclass(frozen=True)
class ListLoad:
    """What loading one file did: the version it is, and whether it was new."""

    path: Path
    version: ListVersion
    created: bool


@dataclass(frozen=True)
class ScreeningLists:
    """The lists in force: their versions, every entry, and the entities that came with them."""

    versions: tuple[ListVersion, ...]
    entries: tuple[ListEntry, ...]
    related: tuple[EntityProxy, ...]
    digests: Mapping[tuple[str, str], str] = field(default_factory=dict)
    """The stored digest of each entry, by (list id, record id): what a decision was made on."""


def load_lists(
    workspace: Workspace,
    paths: Sequence[Path],
    *,
    published: date | None = None,
    name_variants: bool = True,
    progress: Progress = no_progress,
) -> list[ListLoad]:
    """Read the list files, then store them all in one transaction; what each load did.

    ``published`` is the list date for files that hold none (OFAC's SDN CSV; otherwise its
    file name's ISO date is used). With ``name_variants``, the words of every listed name are
    looked up in rigour's name-variant database now and kept (see the module docstring): a
    one-off 5-7 s that spares every later run the database's load."""
    if not paths:
        raise InvalidInput("no list file given")
    read: list[tuple[Path, SanctionsList]] = []
    for index, path in enumerate(paths):
        progress("reading lists", index, len(paths))
        read.append((path, read_list(path)))
    progress("reading lists", len(paths), len(paths))
    loads: list[ListLoad] = []
    with workspace.transaction() as session:
        for index, (path, sanctions) in enumerate(read):
            progress("storing lists", index, len(read))
            version, created = lists.add_list_version(
                session,
                list_id=sanctions.list_id,
                title=sanctions.title,
                publisher=sanctions.publisher,
                published=sanctions.published or published,
                source=sanctions.source_file or str(path),
                sha256=sanctions.sha256,
                entries=[(e.record_id, entry_to_json(e)) for e in sanctions.entries],
                related=[entity.to_dict() for entity in sanctions.related],
            )
            loads.append(ListLoad(path, version, created))
        progress("storing lists", len(read), len(read))
    if not name_variants:
        return loads
    progress("name variants of the listed names", 0, 1)
    remember_name_symbols(workspace)
    keep_name_symbols(
        workspace,
        (
            word
            for _path, sanctions in read
            for entry in sanctions.entries
            for name in entry.entity.get_type_values(registry.name)
            for word in name_words(name)
        ),
    )
    progress("name variants of the listed names", 1, 1)
    return loads


def _symbols_file(workspace: Workspace) -> Path:
    return workspace.path / "cache" / f"name-symbols-rigour-{metadata.version('rigour')}.json"


def remember_name_symbols(workspace: Workspace) -> None:
    """Take the name-variant symbols the workspace keeps (see the module docstring); a missing
    or unreadable cache is simply not used."""
    try:
        known = json.loads(_symbols_file(workspace).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    if isinstance(known, dict):
        remember_symbols(
            {
                word: symbols
                for word, symbols in known.items()
                if isinstance(word, str) and isinstance(symbols, list)
            }
        )


def keep_name_symbols(workspace: Workspace, words: Iterable[str] = ()) -> None:
    """Look up ``words`` and add the symbols of every word this process knows to the
    workspace's cache when that adds any (written beside it, then moved into place). A cache
    that cannot be written is left as it is: the next run looks the words up again."""
    known = looked_up_symbols(words)
    path = _symbols_file(workspace)
    try:
        before = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        before = {}
    if not isinstance(before, dict):
        before = {}
    if known.keys() <= before.keys():
        return  # nothing new (or nothing looked up at all)
    known = {**before, **known}  # what another run kept meanwhile stays
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary.write_text(json.dumps(known, ensure_ascii=False), encoding="utf-8")
        temporary.replace(path)
    except OSError:
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)


def list_versions(workspace: Workspace) -> tuple[list[ListVersion], list[ListVersion]]:
    """Every loaded version, and the versions in force."""
    with workspace.transaction() as session:
        return lists.list_versions(session), lists.current_versions(session)


def screening_lists(workspace: Workspace) -> ScreeningLists:
    """The lists in force, read back as the screening pillar's types (and the name-variant
    symbols the workspace keeps, remembered for the matching to come)."""
    remember_name_symbols(workspace)
    with workspace.transaction() as session:
        versions = lists.current_versions(session)
        stored = lists.load_entries(session, versions)
        related = lists.load_related(session, versions)
    entries = tuple(
        entry_from_json(s.body, where=f"{s.list_id} record {s.record_id}") for s in stored
    )
    return ScreeningLists(
        versions=tuple(versions),
        entries=entries,
        related=tuple(entity_from_json(body) for body in related),
        digests={(s.list_id, s.record_id): s.sha256 for s in stored},
    )


FALSE_POSITIVE = "false_positive"
CONFIRMED = "confirmed"


def dismissals(workspace: Workspace, screening: ScreeningLists) -> Dismissed:
    """Whether an analyst marked a party's match with an entry a false positive, while both
    are as they were then (the party's and the entry's digests unchanged)."""
    with workspace.transaction() as session:
        decisions = lists.load_decisions(session)
    digests = screening.digests
    kept = {
        (d.party_id, d.list_id, d.record_id): (d.party_sha256, d.entry_sha256)
        for d in decisions
        if d.decision == FALSE_POSITIVE
    }

    def dismissed(party: Party, entry: ListEntry) -> bool:
        held = kept.get((party.id, entry.list_id, entry.record_id))
        if held is None:
            return False
        entry_now = digests.get((entry.list_id, entry.record_id))
        return held == (party_fingerprint(party), entry_now)

    return dismissed


@dataclass(frozen=True)
class ScreenResult:
    """The ranked matches of one query: the query entity, and each match with its entry."""

    query: EntityProxy
    matches: tuple[tuple[Match, ListEntry], ...]


def screen(
    workspace: Workspace,
    queries: Sequence[str | Path],
    *,
    schema: str = "LegalEntity",
    limit: int = 5,
    threshold: float = 0.5,
    processes: int | None = None,
    progress: Progress = no_progress,
) -> list[ScreenResult]:
    """Screen names (each string) and FtM files of entities (each path) against the lists in
    force; the best ``limit`` matches of each at or above ``threshold``, explained.

    Many queries (a file of customers) are shared among ``processes`` worker processes (by
    default one per CPU, at most four; see :func:`search_many`)."""
    screening = screening_lists(workspace)
    if not screening.entries:
        raise InvalidInput("no sanctions list is loaded: run `oresight lists load FILE...` first")
    entities = [entity for query in queries for entity in _query_entities(query, schema)]
    by_entity = {entry.entity_id: entry for entry in screening.entries}
    progress("indexing the lists", 0, 1)
    index = MatchIndex.build(entry.entity for entry in screening.entries)
    progress("indexing the lists", 1, 1)
    workers = processes if processes is not None else min(4, os.cpu_count() or 1)
    answers = search_many(
        index,
        entities,
        limit=limit,
        threshold=threshold,
        processes=workers,
        progress=lambda done, total: progress("screening", done, total),
    )
    keep_name_symbols(workspace)
    return [
        ScreenResult(entity, tuple((m, by_entity[m.candidate_id]) for m in found))
        for entity, found in zip(entities, answers, strict=True)
    ]


def _query_entities(query: str | Path, schema: str) -> list[EntityProxy]:
    if isinstance(query, Path):
        entities = [party_entity(party) for party in read_ftm_file(query)]
        named = [entity for entity in entities if entity is not None]
        if not named:
            raise InvalidInput("holds no named party to screen", file=str(query))
        return named
    name = query.strip()
    if not name:
        raise InvalidInput("an empty name cannot be screened", field="query")
    if model.get(schema) is None:
        raise InvalidInput(f"unknown FtM schema {schema!r}", field="--schema")
    entity = model.make_entity(schema)
    entity.id = "query-" + hashlib.sha256(name.encode("utf-8")).hexdigest()[:12]
    entity.add("name", name)
    return [entity]


def review_match(
    workspace: Workspace,
    *,
    party_id: str,
    entry: str,
    decision: str,
    note: str | None = None,
    decided_by: str | None = None,
) -> Decision:
    """Record an analyst's decision on a party's match with a list entry (``LIST_ID:RECORD``):
    ``false_positive`` keeps the match from being raised again while neither record changes."""
    if decision not in {FALSE_POSITIVE, CONFIRMED}:
        raise InvalidInput(
            f"expected {FALSE_POSITIVE} or {CONFIRMED}, found {decision!r}", field="decision"
        )
    list_id, _, record_id = entry.partition(":")
    if not record_id:
        raise InvalidInput(
            f"expected LIST_ID:RECORD (e.g. us_ofac_sdn:12345), found {entry!r}", field="entry"
        )
    with workspace.transaction() as session:
        party = repository.load_party(session, party_id)
        if party is None:
            raise InvalidInput(f"no party {party_id!r} in the workspace", field="party")
        versions = [v for v in lists.current_versions(session) if v.list_id == list_id]
        stored = lists.load_entries(session, versions, record_id=record_id)
        if not stored:
            raise InvalidInput(
                f"no entry {record_id!r} in the list {list_id!r} in force", field="entry"
            )
        made = Decision(
            party_id=party_id,
            list_id=list_id,
            record_id=record_id,
            decision=decision,
            party_sha256=party_fingerprint(party),
            entry_sha256=stored[0].sha256,
            note=note,
            decided_by=decided_by,
            decided_at=datetime.now(UTC),
        )
        lists.record_decision(session, made)
    return made

"""Screening the parties of a supply chain: findings a due-diligence report can act on.

* ``PARTY.SANCTIONED`` — a party matches an entry of a sanctions list in force: the entry, its
  list and programmes, the score and every feature behind it. A match an analyst has dismissed
  (marked false positive) is not raised again while neither the party nor the entry changes.
* ``PARTY.SANCTIONED_OWNER`` — OFAC's 50 % rule over the parties' FtM Ownership and
  Directorship records (and those that came with the lists): a party owned 50 % or more, in
  aggregate, by sanctioned or blocked parties, with the ownership paths and percentages; a
  party possibly blocked (shares not known exactly), or controlled by a sanctioned party through
  directors, is raised at a lower severity with the reason.

The sanctioned set for the ownership rule is every party matched above (and not dismissed) and
every entity the lists name.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from followthemoney import EntityProxy, model
from followthemoney.exc import InvalidData

from oresight.core.findings import (
    DataGap,
    Evidence,
    EvidenceKind,
    Finding,
    FindingCode,
    RuleOutcome,
    Severity,
    Subject,
    SubjectType,
)
from oresight.core.parties import Party
from oresight.screening.lists.entries import ListEntry
from oresight.screening.match.index import MatchIndex
from oresight.screening.match.scoring import DEFAULT_THRESHOLD, Match
from oresight.screening.network.graph import Link, NetworkGraph
from oresight.screening.network.verdict import OwnershipStatus, OwnershipVerdict
from oresight.screening.ownership import assess_ownership

__all__ = [
    "INTEREST_RULE",
    "OWNERSHIP_RULE",
    "SANCTIONS_RULE",
    "PartyMatch",
    "find_red_flag_interests",
    "find_sanctioned_owners",
    "find_sanctioned_parties",
    "party_entity",
    "party_fingerprint",
]

SANCTIONS_RULE = "screening.sanctions"
OWNERSHIP_RULE = "screening.ownership"
INTEREST_RULE = "screening.red_flag_interest"
RULE_VERSION = "1"
CERTAIN = 0.9
"""From this score a match is reported as critical; below it (down to the threshold) as high."""
MATCHES_PER_PARTY = 3


@dataclass(frozen=True)
class PartyMatch:
    """A party of the workspace matched to a list entry."""

    party: Party
    entry: ListEntry
    match: Match


Dismissed = Callable[[Party, ListEntry], bool]
"""Whether an analyst has dismissed the match of a party with an entry (as they both are now)."""


def party_fingerprint(party: Party) -> str:
    """SHA-256 of the party as stored (schema and properties): a decision on a match holds while
    this stays the same."""
    body = {"id": party.id, "schema": party.schema_name, "properties": party.properties}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def party_entity(party: Party) -> EntityProxy | None:
    """The party as an FtM entity to screen: ``None`` for what is not a party that can be
    listed (relationships such as Ownership, addresses, documents) or has no name."""
    try:
        schema = model.get(party.schema_name)
    except InvalidData:
        return None
    if schema is None or not schema.matchable or not party.properties.get("name"):
        return None
    properties = {name: list(values) for name, values in party.properties.items()}
    return model.get_proxy({"id": party.id, "schema": party.schema_name, "properties": properties})


def find_sanctioned_parties(
    parties: Iterable[Party],
    entries: Sequence[ListEntry],
    *,
    index: MatchIndex | None = None,
    titles: Mapping[str, str] | None = None,
    dismissed: Dismissed | None = None,
    threshold: float = DEFAULT_THRESHOLD,
) -> tuple[RuleOutcome, list[PartyMatch]]:
    """Screen every party against the list entries; the findings and the matches kept.

    ``index`` is the entries' :class:`MatchIndex` when the caller has built it; ``titles`` names
    each list id for the reader."""
    screened = [(party, entity) for party in parties if (entity := party_entity(party))]
    if not entries:
        gap = DataGap(
            rule=SANCTIONS_RULE,
            missing="sanctions lists",
            explanation=(
                f"No sanctions list is loaded, so none of the {len(screened)} parties could be "
                "screened. Load the lists in force with `oresight lists load FILE...` (OFAC SDN, "
                "UN Security Council, EU FSF or OpenSanctions)."
            ),
        )
        return RuleOutcome(gaps=(gap,)), []
    by_entity = {entry.entity_id: entry for entry in entries}
    index = index or MatchIndex.build(entry.entity for entry in entries)
    findings: list[Finding] = []
    kept: list[PartyMatch] = []
    for party, entity in screened:
        for match in index.search(entity, limit=MATCHES_PER_PARTY, threshold=threshold):
            entry = by_entity.get(match.candidate_id)
            if entry is None or (dismissed is not None and dismissed(party, entry)):
                continue
            found = PartyMatch(party, entry, match)
            kept.append(found)
            findings.append(_sanctioned(found, threshold, (titles or {}).get(entry.list_id)))
    gaps: tuple[DataGap, ...] = ()
    if not screened:
        gaps = (
            DataGap(
                rule=SANCTIONS_RULE,
                missing="parties",
                explanation="The workspace holds no named party (FtM Person, Company, "
                "Organization, LegalEntity, Vessel...) to screen: ingest the supply chain's "
                "parties as FtM entities.",
            ),
        )
    return RuleOutcome(findings=tuple(findings), gaps=gaps), kept


def _sanctioned(found: PartyMatch, threshold: float, title: str | None) -> Finding:
    party, entry, match = found.party, found.entry, found.match
    listed = entry.entity.caption
    programmes = ", ".join(entry.programmes) or "no programme given"
    list_name = title or entry.list_id
    when = f", listed {entry.listed_on.isoformat()}" if entry.listed_on else ""
    explanation = (
        f"{party.label()} matches entry {entry.record_id} of {list_name}, '{listed}' "
        f"({entry.entity.schema.name}; programme {programmes}{when}), with score "
        f"{match.score:.2f} (threshold {threshold:.2f}): {match.explanation()}. A match is a "
        "lead, not a verdict: confirm it against identifiers and addresses, or mark it a false "
        "positive so that it is not raised again while neither record changes."
    )
    return Finding(
        code=FindingCode.PARTY_SANCTIONED,
        subject=Subject(type=SubjectType.PARTY, id=party.id, label=party.caption),
        severity=Severity.CRITICAL if match.score >= CERTAIN else Severity.HIGH,
        confidence=round(match.score, 3),
        title=f"{party.caption or party.id} matches {list_name}: {listed}",
        explanation=explanation,
        evidence=(
            Evidence(kind=EvidenceKind.PARTY, id=party.id, note="screened party"),
            Evidence(
                kind=EvidenceKind.LIST_ENTRY,
                id=f"{entry.list_id}:{entry.record_id}",
                note=f"{list_name} entry {entry.record_id}",
                data={
                    "list_id": entry.list_id,
                    "entity_id": entry.entity_id,
                    "name": listed,
                    "programmes": list(entry.programmes),
                    "listed_on": entry.listed_on.isoformat() if entry.listed_on else None,
                    "reference": entry.reference,
                    "score": round(match.score, 4),
                    "threshold": threshold,
                    "features": [
                        {"kind": f.kind.value, "effect": round(f.effect, 4), "detail": f.detail}
                        for f in match.features
                    ],
                    "source_record": entry.source_record,
                },
            ),
        ),
        rule=SANCTIONS_RULE,
        rule_version=RULE_VERSION,
    )


def find_sanctioned_owners(
    parties: Sequence[Party],
    matches: Sequence[PartyMatch],
    *,
    related: Sequence[EntityProxy] = (),
    listed: Mapping[str, str] | None = None,
    as_of: date,
    max_hops: int = 6,
) -> RuleOutcome:
    """OFAC's 50 % rule, and control through directors, over the parties' ownership records.

    The sanctioned set: the parties matched to list entries (``matches``) and the ``listed``
    entity ids (entities that came with the lists, id → reason)."""
    sanctioned: dict[str, str] = dict(listed or {})
    for found in matches:
        programmes = ", ".join(found.entry.programmes) or found.entry.list_id
        sanctioned.setdefault(
            found.party.id,
            f"matches {found.entry.list_id} entry {found.entry.record_id} ({programmes}), "
            f"score {found.match.score:.2f}",
        )
    graph = NetworkGraph.from_entities([*parties, *related], as_of=as_of)
    assessment = assess_ownership(graph, sanctioned, max_hops=max_hops)
    ours = {party.id: party for party in parties}
    findings = [
        _owned(verdict, ours[verdict.entity_id])
        for verdict in assessment.verdicts()
        if verdict.entity_id in ours
    ]
    return RuleOutcome(findings=tuple(findings))


def _owned(verdict: OwnershipVerdict, party: Party) -> Finding:
    status = verdict.status
    if status is OwnershipStatus.BLOCKED:
        severity, title = Severity.CRITICAL, "owned 50 % or more by sanctioned parties"
    elif status is OwnershipStatus.POSSIBLY_BLOCKED:
        severity, title = Severity.HIGH, "possibly owned 50 % or more by sanctioned parties"
    else:
        severity, title = Severity.MEDIUM, "controlled by a sanctioned party"
    records = sorted(
        {record for path in (*verdict.paths, *verdict.controlled_by) for link in path.links
         for record in link.records}
    )  # fmt: skip
    paths = [path.describe() for path in (*verdict.paths, *verdict.controlled_by)]
    evidence = [
        Evidence(
            kind=EvidenceKind.PARTY,
            id=party.id,
            note="party judged",
            data={
                "status": status.value,
                "aggregate_low_percent": float(verdict.aggregate.low),
                "aggregate_high_percent": float(verdict.aggregate.high),
                "paths": paths,
                "as_of": verdict.as_of.isoformat(),
            },
        ),
        *(
            Evidence(kind=EvidenceKind.PARTY, id=c.owner.id, note=c.owner.note())
            for c in verdict.contributions
        ),
        *(
            Evidence(kind=EvidenceKind.PARTY, id=record, note="ownership or control record")
            for record in records
        ),
    ]
    return Finding(
        code=FindingCode.PARTY_SANCTIONED_OWNER,
        subject=Subject(type=SubjectType.PARTY, id=party.id, label=party.caption),
        severity=severity,
        confidence=0.9 if status is OwnershipStatus.BLOCKED else 0.6,
        title=f"{party.caption or party.id} is {title}",
        explanation=verdict.explain(),
        evidence=tuple(evidence),
        rule=OWNERSHIP_RULE,
        rule_version=RULE_VERSION,
    )


def find_red_flag_interests(
    parties: Sequence[Party],
    operated: Mapping[str, Sequence[tuple[str, str]]],
    *,
    as_of: date,
) -> RuleOutcome:
    """A party's stakes in parties that operate sites in red-flag locations (OECD supplier red
    flag): one finding per holder, with each stake, the operated site and why it is flagged.

    ``operated`` maps the id of each party operating a site in a listed area to its (site
    label, reason) pairs. Ownership records in force on ``as_of`` are read; a holder that is
    itself an operator is flagged for its stakes in others only."""
    graph = NetworkGraph.from_entities(parties, as_of=as_of)
    ours = {party.id: party for party in parties}
    findings: list[Finding] = []
    for holder_id in sorted(ours):
        stakes = [link for link in graph.holdings_of(holder_id) if link.target in operated]
        if stakes:
            findings.append(_interest(ours[holder_id], stakes, operated, graph))
    return RuleOutcome(findings=tuple(findings))


def _interest(
    holder: Party,
    stakes: Sequence[Link],
    operated: Mapping[str, Sequence[tuple[str, str]]],
    graph: NetworkGraph,
) -> Finding:
    lines = []
    evidence = [Evidence(kind=EvidenceKind.PARTY, id=holder.id, note="holder of the stakes")]
    for link in stakes:
        sites = "; ".join(f"{label}: {why}" for label, why in operated[link.target])
        lines.append(f"{link.describe()} of {graph.label(link.target)}, which operates {sites}")
        evidence.append(
            Evidence(
                kind=EvidenceKind.PARTY,
                id=link.target,
                note="operator of a site in a red-flag location",
                data={
                    "share": str(link.share) if link.share is not None else None,
                    "records": list(link.records),
                    "sites": [label for label, _ in operated[link.target]],
                },
            )
        )
    name = holder.caption or holder.id
    return Finding(
        code=FindingCode.PARTY_RED_FLAG_LOCATION_INTEREST,
        subject=Subject(type=SubjectType.PARTY, id=holder.id, label=holder.caption),
        severity=Severity.MEDIUM,
        confidence=0.8,
        title=f"{name} holds interests in operators in red-flag locations",
        explanation=(
            f"{name} holds " + "; and ".join(lines) + ". Under the OECD guidance a supplier's "
            "shareholding or other interests in companies that operate in red-flag locations is a "
            "supplier red flag: enhanced due diligence on the holder and on the mineral it sells."
        ),
        evidence=tuple(evidence),
        rule=INTEREST_RULE,
        rule_version=RULE_VERSION,
    )

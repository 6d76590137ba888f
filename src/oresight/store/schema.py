"""Tables of the workspace database.

Domain objects are stored whole, as the JSON of their core type (``body``), next to the columns
that queries filter on. The JSON is the canonical serialisation of the pydantic model, so a row
loads back into an equal object, and its SHA-256 (``content_sha256``) tells a repeated record from
a conflicting one.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ID = String(512)
"""Identifiers are URIs; 512 characters holds every GS1, FtM and UUID form with room to spare."""


class Base(DeclarativeBase):
    """Declarative base with a naming convention, so migrations name constraints stably."""

    metadata = MetaData(naming_convention=NAMING)


class IngestRow(Base):
    """One file accepted into the workspace."""

    __tablename__ = "ingests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    format: Mapped[str] = mapped_column(String(32))
    ingested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    added: Mapped[int] = mapped_column(Integer)
    unchanged: Mapped[int] = mapped_column(Integer)
    updated: Mapped[int] = mapped_column(Integer)


class EventRow(Base):
    """A custody event (any EPCIS 2.0 type)."""

    __tablename__ = "events"

    event_id: Mapped[str] = mapped_column(ID, primary_key=True)
    type: Mapped[str] = mapped_column(String(32))
    event_time: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    biz_step: Mapped[str | None] = mapped_column(ID)
    location: Mapped[str | None] = mapped_column(ID, index=True)
    content_sha256: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)
    ingest_id: Mapped[int] = mapped_column(ForeignKey("ingests.id"))


class EventObjectRow(Base):
    """An object or class identifier an event mentions, for lineage queries by lot."""

    __tablename__ = "event_objects"

    event_id: Mapped[str] = mapped_column(
        ID, ForeignKey("events.event_id", ondelete="CASCADE"), primary_key=True
    )
    identifier: Mapped[str] = mapped_column(ID, primary_key=True, index=True)


class SiteRow(Base):
    """A site (mine, concession, facility, protected area...)."""

    __tablename__ = "sites"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    country: Mapped[str | None] = mapped_column(String(2))
    name: Mapped[str | None] = mapped_column(Text)
    content_sha256: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)
    ingest_id: Mapped[int] = mapped_column(ForeignKey("ingests.id"))


class PartyRow(Base):
    """A party or relationship, as an FtM entity."""

    __tablename__ = "parties"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    schema_name: Mapped[str] = mapped_column(String(64), index=True)
    caption: Mapped[str | None] = mapped_column(Text)
    content_sha256: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)
    ingest_id: Mapped[int] = mapped_column(ForeignKey("ingests.id"))


class AssessmentRow(Base):
    """One run of the analyses over the workspace."""

    __tablename__ = "assessments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    analyses: Mapped[str] = mapped_column(Text)
    """JSON list of the analyses that ran, with their rule versions."""
    finding_count: Mapped[int] = mapped_column(Integer)
    profile: Mapped[str | None] = mapped_column(String(200))
    """The risk profile the findings were scored under."""
    gaps: Mapped[str | None] = mapped_column(Text)
    """JSON list of the checks the rules could not make for lack of data."""
    risk: Mapped[str | None] = mapped_column(Text)
    """The risk assessment (scores, bands, recommendations) as JSON."""


class FindingRow(Base):
    """A finding of the latest assessment."""

    __tablename__ = "findings"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    code: Mapped[str] = mapped_column(String(64), index=True)
    severity: Mapped[str] = mapped_column(String(16))
    severity_rank: Mapped[int] = mapped_column(Integer, index=True)
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[str] = mapped_column(ID)
    rule: Mapped[str] = mapped_column(String(128))
    body: Mapped[str] = mapped_column(Text)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id"))


Index("ix_findings_subject", FindingRow.subject_type, FindingRow.subject_id)


class LedgerBundleRow(Base):
    """Up to 1,024 consecutive entries of the custody ledger (leaves: key and exact leaf bytes).

    Bundle ``idx`` holds entries ``1024 * idx`` to ``1024 * idx + count - 1``; only the last bundle
    is partial, and the next append rewrites it. ``data`` is packed as
    :mod:`oresight.store.ledger_packing` describes. On SQLite ``idx`` is the rowid.
    """

    __tablename__ = "ledger_bundles"

    idx: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=False
    )
    count: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class LedgerKeyRunRow(Base):
    """A run of the ledger's key index: the 8-byte key hashes of entries ``run`` to ``stop - 1``,
    sorted, in :class:`LedgerKeyBlockRow` blocks. Runs cover the log without gaps."""

    __tablename__ = "ledger_key_runs"

    run: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=False
    )
    stop: Mapped[int] = mapped_column(BigInteger)


class LedgerKeyBlockRow(Base):
    """About 512 ``(key hash, entry index)`` pairs of one run, in hash order; ``first_hash`` is
    the smallest, and equal hashes never straddle two blocks of a run."""

    __tablename__ = "ledger_key_blocks"

    run: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    first_hash: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    pairs: Mapped[bytes] = mapped_column(LargeBinary)


class LedgerTileRow(Base):
    """256 consecutive complete subtrees of one level and every complete subtree above them,
    up to 7 levels (as C2SP tlog-tiles groups a tree's hashes).

    Tile ``(level, idx)`` holds node levels ``8 * level`` to ``8 * level + 7``: its base row is
    nodes ``(8 * level, 256 * idx ..)``, of which ``width`` (1 to 256) are complete. ``hashes``
    is each node level's complete nodes in index order, the base level first, 32 bytes each.
    Only the right-edge tile of each level is partial; an append rewrites it.
    """

    __tablename__ = "ledger_tiles"

    level: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    width: Mapped[int] = mapped_column(Integer)
    hashes: Mapped[bytes] = mapped_column(LargeBinary)


class LedgerCheckpointRow(Base):
    """A signed checkpoint the log issued; the largest size is the committed tree size."""

    __tablename__ = "ledger_checkpoints"

    size: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    note: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class SanctionsListRow(Base):
    """One version of a sanctions list, as loaded from one file (identified by its SHA-256)."""

    __tablename__ = "sanctions_lists"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    list_id: Mapped[str] = mapped_column(String(64), index=True)
    title: Mapped[str] = mapped_column(Text)
    publisher: Mapped[str] = mapped_column(Text)
    published: Mapped[date | None] = mapped_column(Date, nullable=True)
    source: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    loaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    entries: Mapped[int] = mapped_column(Integer)
    related: Mapped[int] = mapped_column(Integer)


class ListEntryRow(Base):
    """A listed party of one list version: its FtM entity and the listing, as JSON (``body``)."""

    __tablename__ = "list_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    list_version: Mapped[int] = mapped_column(
        ForeignKey("sanctions_lists.id", ondelete="CASCADE"), index=True
    )
    record_id: Mapped[str] = mapped_column(ID)
    entity_id: Mapped[str] = mapped_column(ID)
    schema_name: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)
    content_sha256: Mapped[str] = mapped_column(String(64))
    """SHA-256 of ``body``: an entry that changes between versions gets another digest."""


class ListRelatedRow(Base):
    """An entity that came with a list version without being listed (FtM Ownership, ...)."""

    __tablename__ = "list_related"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    list_version: Mapped[int] = mapped_column(
        ForeignKey("sanctions_lists.id", ondelete="CASCADE"), index=True
    )
    body: Mapped[str] = mapped_column(Text)


class MatchDecisionRow(Base):
    """An analyst's decision on a match between a party and a list entry."""

    __tablename__ = "match_decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    party_id: Mapped[str] = mapped_column(ID, index=True)
    list_id: Mapped[str] = mapped_column(String(64))
    record_id: Mapped[str] = mapped_column(ID)
    decision: Mapped[str] = mapped_column(String(32))
    party_sha256: Mapped[str] = mapped_column(String(64))
    entry_sha256: Mapped[str] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    decided_by: Mapped[str | None] = mapped_column(Text, nullable=True)
    decided_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

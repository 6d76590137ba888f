"""Initial workspace schema: ingests, events, event objects, sites, parties, assessments, findings.

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Apply this migration."""
    op.create_table(
        "assessments",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("analyses", sa.Text(), nullable=False),
        sa.Column("finding_count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessments")),
    )
    op.create_table(
        "ingests",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("format", sa.String(length=32), nullable=False),
        sa.Column("ingested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("added", sa.Integer(), nullable=False),
        sa.Column("unchanged", sa.Integer(), nullable=False),
        sa.Column("updated", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ingests")),
    )
    with op.batch_alter_table("ingests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ingests_sha256"), ["sha256"], unique=False)

    op.create_table(
        "events",
        sa.Column("event_id", sa.String(length=512), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("event_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("biz_step", sa.String(length=512), nullable=True),
        sa.Column("location", sa.String(length=512), nullable=True),
        sa.Column("content_sha256", sa.String(length=64), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("ingest_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ingest_id"], ["ingests.id"], name=op.f("fk_events_ingest_id_ingests")
        ),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_events")),
    )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_events_event_time"), ["event_time"], unique=False)
        batch_op.create_index(batch_op.f("ix_events_location"), ["location"], unique=False)

    op.create_table(
        "findings",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("severity_rank", sa.Integer(), nullable=False),
        sa.Column("subject_type", sa.String(length=32), nullable=False),
        sa.Column("subject_id", sa.String(length=512), nullable=False),
        sa.Column("rule", sa.String(length=128), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            ["assessments.id"],
            name=op.f("fk_findings_assessment_id_assessments"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_findings")),
    )
    with op.batch_alter_table("findings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_findings_code"), ["code"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_findings_severity_rank"), ["severity_rank"], unique=False
        )
        batch_op.create_index("ix_findings_subject", ["subject_type", "subject_id"], unique=False)

    op.create_table(
        "parties",
        sa.Column("id", sa.String(length=512), nullable=False),
        sa.Column("schema_name", sa.String(length=64), nullable=False),
        sa.Column("caption", sa.Text(), nullable=True),
        sa.Column("content_sha256", sa.String(length=64), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("ingest_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ingest_id"], ["ingests.id"], name=op.f("fk_parties_ingest_id_ingests")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_parties")),
    )
    with op.batch_alter_table("parties", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_parties_schema_name"), ["schema_name"], unique=False)

    op.create_table(
        "sites",
        sa.Column("id", sa.String(length=512), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("content_sha256", sa.String(length=64), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("ingest_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ingest_id"], ["ingests.id"], name=op.f("fk_sites_ingest_id_ingests")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sites")),
    )
    with op.batch_alter_table("sites", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sites_kind"), ["kind"], unique=False)

    op.create_table(
        "event_objects",
        sa.Column("event_id", sa.String(length=512), nullable=False),
        sa.Column("identifier", sa.String(length=512), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.event_id"],
            name=op.f("fk_event_objects_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("event_id", "identifier", name=op.f("pk_event_objects")),
    )
    with op.batch_alter_table("event_objects", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_event_objects_identifier"), ["identifier"], unique=False
        )


def downgrade() -> None:
    """Revert this migration."""
    with op.batch_alter_table("event_objects", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_event_objects_identifier"))

    op.drop_table("event_objects")
    with op.batch_alter_table("sites", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sites_kind"))

    op.drop_table("sites")
    with op.batch_alter_table("parties", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_parties_schema_name"))

    op.drop_table("parties")
    with op.batch_alter_table("findings", schema=None) as batch_op:
        batch_op.drop_index("ix_findings_subject")
        batch_op.drop_index(batch_op.f("ix_findings_severity_rank"))
        batch_op.drop_index(batch_op.f("ix_findings_code"))

    op.drop_table("findings")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_events_location"))
        batch_op.drop_index(batch_op.f("ix_events_event_time"))

    op.drop_table("events")
    with op.batch_alter_table("ingests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ingests_sha256"))

    op.drop_table("ingests")
    op.drop_table("assessments")

"""Sanctions lists, versioned by file, their entries, and analysts' decisions on matches.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None

ID = sa.String(length=512)


def upgrade() -> None:
    """Apply this migration."""
    op.create_table(
        "sanctions_lists",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("list_id", sa.String(length=64), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("publisher", sa.Text(), nullable=False),
        sa.Column("published", sa.Date(), nullable=True),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("entries", sa.Integer(), nullable=False),
        sa.Column("related", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sanctions_lists")),
    )
    op.create_index(op.f("ix_sanctions_lists_list_id"), "sanctions_lists", ["list_id"])
    op.create_index(op.f("ix_sanctions_lists_sha256"), "sanctions_lists", ["sha256"])
    for table, columns in (
        (
            "list_entries",
            [
                sa.Column("record_id", ID, nullable=False),
                sa.Column("entity_id", ID, nullable=False),
                sa.Column("schema_name", sa.String(length=64), nullable=False),
                sa.Column("body", sa.Text(), nullable=False),
                sa.Column("content_sha256", sa.String(length=64), nullable=False),
            ],
        ),
        ("list_related", [sa.Column("body", sa.Text(), nullable=False)]),
    ):
        op.create_table(
            table,
            sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
            sa.Column("list_version", sa.Integer(), nullable=False),
            *columns,
            sa.ForeignKeyConstraint(
                ["list_version"],
                ["sanctions_lists.id"],
                name=op.f(f"fk_{table}_list_version_sanctions_lists"),
                ondelete="CASCADE",
            ),
            sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
        )
        op.create_index(op.f(f"ix_{table}_list_version"), table, ["list_version"])
    op.create_table(
        "match_decisions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("party_id", ID, nullable=False),
        sa.Column("list_id", sa.String(length=64), nullable=False),
        sa.Column("record_id", ID, nullable=False),
        sa.Column("decision", sa.String(length=32), nullable=False),
        sa.Column("party_sha256", sa.String(length=64), nullable=False),
        sa.Column("entry_sha256", sa.String(length=64), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("decided_by", sa.Text(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_match_decisions")),
    )
    op.create_index(op.f("ix_match_decisions_party_id"), "match_decisions", ["party_id"])


def downgrade() -> None:
    """Revert this migration."""
    op.drop_table("match_decisions")
    op.drop_table("list_related")
    op.drop_table("list_entries")
    op.drop_table("sanctions_lists")

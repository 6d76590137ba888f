"""Custody ledger: entries (leaves), tiles of complete-subtree hashes, signed checkpoints.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Apply this migration."""
    op.create_table(
        "ledger_checkpoints",
        sa.Column("size", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("note", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("size", name=op.f("pk_ledger_checkpoints")),
    )
    op.create_table(
        "ledger_entries",
        # INTEGER on SQLite makes idx the rowid: entries append to the end of the table's B-tree.
        sa.Column(
            "idx",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column("key_hash", sa.BigInteger(), nullable=False),
        sa.Column("key", sa.String(length=512), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("idx", name=op.f("pk_ledger_entries")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_ledger_entries_key_hash")),
    )
    op.create_table(
        "ledger_tiles",
        sa.Column("level", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("idx", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("hashes", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("level", "idx", name=op.f("pk_ledger_tiles")),
    )


def downgrade() -> None:
    """Revert this migration."""
    op.drop_table("ledger_tiles")
    op.drop_table("ledger_entries")
    op.drop_table("ledger_checkpoints")

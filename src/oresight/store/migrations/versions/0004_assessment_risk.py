"""Assessments record the risk profile, the checks the rules could not make, and the scores.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Apply this migration."""
    with op.batch_alter_table("assessments") as batch:
        batch.add_column(sa.Column("profile", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("gaps", sa.Text(), nullable=True))
        batch.add_column(sa.Column("risk", sa.Text(), nullable=True))


def downgrade() -> None:
    """Revert this migration."""
    with op.batch_alter_table("assessments") as batch:
        batch.drop_column("risk")
        batch.drop_column("gaps")
        batch.drop_column("profile")

"""Event times are stored in UTC, so that the database orders events as time does.

SQLite has no time zone type: a ``DateTime(timezone=True)`` column kept the wall-clock time as
the event was written, its offset dropped, so events written in different offsets were ordered
(and compared) by local clock instead of by instant. This rewrites every stored ``event_time``
from the event's own body (its ``event_time`` with offset) as the UTC instant. PostgreSQL's
``timestamptz`` already holds instants; rewriting it changes nothing there but is harmless.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None

_BATCH = 10_000

_events = sa.table(
    "events",
    sa.column("event_id", sa.String),
    sa.column("event_time", sa.DateTime(timezone=True)),
    sa.column("body", sa.Text),
)


def upgrade() -> None:
    """Rewrite each event's time as its UTC instant."""
    _rewrite(lambda written: written.astimezone(UTC))


def downgrade() -> None:
    """Back to the time as written (its offset dropped on SQLite)."""
    _rewrite(lambda written: written)


def _rewrite(convert: Callable[[datetime], datetime]) -> None:
    """Set every event's time from its body, a batch of event ids at a time (keyset order)."""
    connection = op.get_bind()
    update = (
        sa.update(_events)
        .where(_events.c.event_id == sa.bindparam("key"))
        .values(event_time=sa.bindparam("time"))
    )
    after = ""
    while True:
        rows = connection.execute(
            sa.select(_events.c.event_id, _events.c.body)
            .where(_events.c.event_id > after)
            .order_by(_events.c.event_id)
            .limit(_BATCH)
        ).all()
        if not rows:
            return
        connection.execute(
            update, [{"key": key, "time": convert(_time_of(body))} for key, body in rows]
        )
        after = rows[-1][0]


def _time_of(body: str | bytes) -> datetime:
    return datetime.fromisoformat(json.loads(body)["event_time"])

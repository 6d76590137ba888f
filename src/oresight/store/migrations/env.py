"""Alembic environment: migrations run on the connection that oresight hands over.

oresight runs migrations itself (``oresight.store.database.migrate``), passing an open connection
in ``config.attributes["connection"]``; a URL in the config is used otherwise (for the alembic CLI).
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine

from oresight.store.schema import Base

config = context.config
target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as conn:
        _run(conn)

"""Workspace folders and their databases: create, open, migrate.

A workspace is a folder holding ``workspace.json`` (what it is and which database it uses), the
SQLite database ``oresight.db`` in the embedded default, and the reports written from it. With a
database URL (PostgreSQL for a team), the folder keeps the reports and the URL comes from settings.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from oresight.core.errors import StoreError, WorkspaceError

MARKER = "workspace.json"
DATABASE_FILE = "oresight.db"
WORKSPACE_FORMAT = "oresight.workspace"
WORKSPACE_VERSION = 1


def sqlite_url(path: Path) -> str:
    """SQLAlchemy URL of a SQLite file."""
    return f"sqlite:///{path.resolve()}"


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets foreign keys on, a busy timeout and a write-ahead log."""
    try:
        engine = create_engine(url, future=True)
    except (SQLAlchemyError, ImportError, ValueError) as exc:
        raise WorkspaceError(f"cannot use database URL {_redact(url)}: {exc}") from exc
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # type: ignore[no-untyped-def]
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=5000")
            # 64 KiB pages (set before a new file's first table; an existing file keeps its
            # own) and a page cache of up to 64 MiB: a ledger append writes a few MB of bundles,
            # tiles and key-index runs, which then go to the log in few, large pages instead of
            # spilling mid-transaction. A write-ahead log: a commit appends its pages once
            # instead of journalling the old ones and rewriting in place, readers do not block
            # the writer, and with synchronous=NORMAL commits stay atomic and consistent (a
            # power loss may drop the last ones; checkpoints sync). The log is copied into the
            # file every 4,000 pages (256 MiB) rather than SQLite's 1,000: pages rewritten by
            # successive appends (right-edge bundles and tiles, merged key runs) are then copied
            # once, not each time; after a checkpoint the log file is cut back to 64 MiB.
            # (Measured in benchmarks/README.md.)
            cursor.execute("PRAGMA page_size=65536")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA cache_size=-65536")
            cursor.execute("PRAGMA wal_autocheckpoint=4000")
            cursor.execute("PRAGMA journal_size_limit=67108864")
            cursor.close()

    return engine


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the database schema to the newest Alembic revision (or to ``revision``, forwards or
    backwards, for tests and tooling)."""
    config = Config()
    config.set_main_option("script_location", str(resources.files("oresight.store") / "migrations"))
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            current = MigrationContext.configure(connection).get_current_revision()
            if revision == "head" or current is None or int(revision) >= int(current):
                command.upgrade(config, revision)
            else:
                command.downgrade(config, revision)
    except SQLAlchemyError as exc:
        raise StoreError(f"cannot migrate database {_redact(str(engine.url))}: {exc}") from exc
    except StoreError as exc:
        raise StoreError(f"cannot migrate database {_redact(str(engine.url))}: {exc}") from exc


def _redact(url: str) -> str:
    """The URL without its password, for messages."""
    if "://" in url and "@" in url:
        scheme, rest = url.split("://", 1)
        credentials, host = rest.rsplit("@", 1)
        user = credentials.split(":", 1)[0]
        return f"{scheme}://{user}:***@{host}"
    return url


@dataclass
class Workspace:
    """An opened workspace: its folder and its database."""

    path: Path
    engine: Engine
    _sessions: sessionmaker[Session]

    @property
    def reports_dir(self) -> Path:
        """Where reports of this workspace are written."""
        return self.path / "reports"

    @property
    def database_label(self) -> str:
        """The database in use, for people (no password)."""
        return _redact(self.engine.url.render_as_string(hide_password=True))

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session in one transaction: committed when the block ends, rolled back on error."""
        session = self._sessions()
        try:
            with session.begin():
                yield session
        except SQLAlchemyError as exc:
            raise StoreError(f"workspace database error: {exc}") from exc
        finally:
            session.close()

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()


def init_workspace(path: Path, *, database_url: str | None = None) -> Workspace:
    """Create (or re-open) a workspace at ``path`` and migrate its database."""
    path.mkdir(parents=True, exist_ok=True)
    marker = path / MARKER
    if not marker.exists():
        marker.write_text(
            json.dumps(
                {
                    "format": WORKSPACE_FORMAT,
                    "version": WORKSPACE_VERSION,
                    "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
                },
                indent=2,
            )
            + "\n",
            encoding="utf-8",
        )
    (path / "reports").mkdir(exist_ok=True)
    return open_workspace(path, database_url=database_url)


def open_workspace(path: Path, *, database_url: str | None = None) -> Workspace:
    """Open an initialised workspace, migrating its database to the newest schema."""
    marker = path / MARKER
    if not marker.is_file():
        raise WorkspaceError(
            f"{path} is not an oresight workspace (no {MARKER}); run `oresight init {path}` first"
        )
    try:
        meta = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise WorkspaceError(f"{marker}: unreadable workspace marker: {exc}") from exc
    if not isinstance(meta, dict) or meta.get("format") != WORKSPACE_FORMAT:
        raise WorkspaceError(f"{marker}: not an oresight workspace marker")
    url = database_url or sqlite_url(path / DATABASE_FILE)
    engine = make_engine(url)
    try:
        migrate(engine)
    except StoreError:
        engine.dispose()
        raise
    sessions = sessionmaker(engine, expire_on_commit=False)
    return Workspace(path=path, engine=engine, _sessions=sessions)


def table_names(engine: Engine) -> set[str]:
    """Names of the tables in the database (for checks and tests)."""
    return set(inspect(engine).get_table_names())

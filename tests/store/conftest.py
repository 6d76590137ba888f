"""Store fixtures: every store test runs on SQLite, and on PostgreSQL too when
``ORESIGHT_TEST_POSTGRES_URL`` is set (CI sets it). Each PostgreSQL test gets a schema of its own,
dropped afterwards, so tests never see each other's rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from oresight.store.database import Workspace, init_workspace
from tests.conftest import fresh_postgres_schema, needs_postgres

BACKENDS = ["sqlite", pytest.param("postgresql", marks=[pytest.mark.postgres, needs_postgres])]


@pytest.fixture
def database_url(request: pytest.FixtureRequest) -> Iterator[str | None]:
    """``None`` for the embedded SQLite default, or a PostgreSQL URL with a fresh schema."""
    if request.param == "sqlite":
        yield None
        return
    with fresh_postgres_schema() as url:
        yield url


@pytest.fixture
def workspace(tmp_path: Path, database_url: str | None) -> Iterator[Workspace]:
    """A fresh, migrated workspace on the backend under test."""
    ws = init_workspace(tmp_path / "ws", database_url=database_url)
    yield ws
    ws.close()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run every test that uses a database on each backend."""
    if "database_url" in metafunc.fixturenames:
        metafunc.parametrize("database_url", BACKENDS, indirect=True)

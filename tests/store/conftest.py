"""Store fixtures: every store test runs on SQLite, and on PostgreSQL too when
``ORESIGHT_TEST_POSTGRES_URL`` is set (CI sets it). Each PostgreSQL test gets a schema of its own,
dropped afterwards, so tests never see each other's rows.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy import create_engine, text

from oresight.store.database import Workspace, init_workspace

POSTGRES_URL = os.environ.get("ORESIGHT_TEST_POSTGRES_URL")

BACKENDS = [
    "sqlite",
    pytest.param(
        "postgresql",
        marks=[
            pytest.mark.postgres,
            pytest.mark.skipif(not POSTGRES_URL, reason="ORESIGHT_TEST_POSTGRES_URL is not set"),
        ],
    ),
]


@pytest.fixture
def database_url(request: pytest.FixtureRequest) -> Iterator[str | None]:
    """``None`` for the embedded SQLite default, or a PostgreSQL URL with a fresh schema."""
    if request.param == "sqlite":
        yield None
        return
    assert POSTGRES_URL is not None
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in POSTGRES_URL else "?"
    yield f"{POSTGRES_URL}{separator}options={quote(f'-csearch_path={schema}')}"
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


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

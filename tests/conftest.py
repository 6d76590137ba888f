"""Shared fixtures.

Fixture strategy: use the smallest data that has what a test needs. Tests build their own small
documents in code; conformance tests read real public data from ``../shared/data`` and skip, saying
why, when that folder is absent. Nothing here touches the network.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy import create_engine, text

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The shared public test data folder, or a skip when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared test data not found at {SHARED_DATA}")
    return SHARED_DATA


POSTGRES_URL = os.environ.get("ORESIGHT_TEST_POSTGRES_URL")
"""PostgreSQL server for the store tests (CI sets it); tests that need it skip without it."""

needs_postgres = pytest.mark.skipif(
    not POSTGRES_URL, reason="ORESIGHT_TEST_POSTGRES_URL is not set"
)


@contextmanager
def fresh_postgres_schema() -> Iterator[str]:
    """A URL of the test PostgreSQL whose search path is a new, empty schema, dropped after."""
    assert POSTGRES_URL is not None
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in POSTGRES_URL else "?"
    try:
        yield f"{POSTGRES_URL}{separator}options={quote(f'-csearch_path={schema}')}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

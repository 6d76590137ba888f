"""Ledger tests that need a workspace database reuse the store's backends (SQLite, PostgreSQL)."""

from tests.store.conftest import database_url, pytest_generate_tests, workspace

__all__ = ["database_url", "pytest_generate_tests", "workspace"]

"""Shared fixtures.

Fixture strategy: use the smallest data that has what a test needs. Tests build their own small
documents in code; conformance tests read real public data from ``../shared/data`` and skip, saying
why, when that folder is absent. Nothing here touches the network.
"""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The shared public test data folder, or a skip when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared test data not found at {SHARED_DATA}")
    return SHARED_DATA

"""Settings of oresight, all in one place, read from ``ORESIGHT_*`` environment variables.

Only interfaces (the CLI, later the API) read settings; every other layer takes explicit arguments.

- ``ORESIGHT_WORKSPACE``: the workspace folder used when ``--workspace`` is not given
  (default ``./oresight-workspace``).
- ``ORESIGHT_DATABASE_URL``: SQLAlchemy URL of the workspace database, e.g. PostgreSQL
  (default: the SQLite file inside the workspace).
- ``ORESIGHT_DEBUG``: when set, an internal error shows its traceback.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_WORKSPACE = Path("oresight-workspace")


@dataclass(frozen=True, slots=True)
class Settings:
    """Settings resolved from the environment."""

    workspace: Path
    database_url: str | None


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    """Read settings from ``environ`` (the process environment by default)."""
    env = dict(os.environ) if environ is None else environ
    workspace = Path(env.get("ORESIGHT_WORKSPACE") or DEFAULT_WORKSPACE)
    database_url = env.get("ORESIGHT_DATABASE_URL") or None
    return Settings(workspace=workspace, database_url=database_url)

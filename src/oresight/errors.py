"""Public home of oresight's errors (defined in :mod:`oresight.core.errors`)."""

from oresight.core.errors import (
    InvalidInput,
    OresightError,
    StoreError,
    UnknownFormat,
    WorkspaceError,
)

__all__ = ["InvalidInput", "OresightError", "StoreError", "UnknownFormat", "WorkspaceError"]

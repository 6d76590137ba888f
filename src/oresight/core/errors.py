"""The one error root of oresight and its kinds.

Every error carries what a user needs to fix the problem: the file, the record (index or id), the
field, and what was expected versus what was found. Interfaces translate these once (the CLI into a
message and exit code 2); nothing else catches them to print.
"""

from __future__ import annotations


class OresightError(Exception):
    """Root of every error that oresight raises on purpose."""


class InvalidInput(OresightError):
    """Input data that oresight cannot accept, located as precisely as possible."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        record: str | int | None = None,
        field: str | None = None,
    ) -> None:
        self.message = message
        self.file = file
        self.record = record
        self.field = field
        super().__init__(self.describe())

    def describe(self) -> str:
        """Render the error as one line: where, then what."""
        where: list[str] = []
        if self.file is not None:
            where.append(str(self.file))
        if self.record is not None:
            where.append(
                f"record {self.record}" if isinstance(self.record, int) else str(self.record)
            )
        if self.field is not None:
            where.append(f"field '{self.field}'")
        prefix = ": ".join(where)
        return f"{prefix}: {self.message}" if prefix else self.message

    def located(self, *, file: str | None = None, record: str | int | None = None) -> InvalidInput:
        """Return a copy that also names the file and/or record, keeping what is already known."""
        return InvalidInput(
            self.message,
            file=self.file if self.file is not None else file,
            record=self.record if self.record is not None else record,
            field=self.field,
        )


class UnknownFormat(InvalidInput):
    """A file whose format could not be recognised."""


class WorkspaceError(OresightError):
    """A workspace that is missing, not initialised, or unreachable."""


class StoreError(OresightError):
    """The workspace database refused an operation."""

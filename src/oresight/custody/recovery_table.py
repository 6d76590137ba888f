"""The recovery and grade table of CUSTODY.MASS_BALANCE, and its loader.

For each mineral, the table gives the most of an input's element that a process can put into its
output (per transition of ``ore:form``, such as ore to concentrate), and the typical grades of each
form as traded. Every row cites its source. The packaged table is ``data/recovery.yaml``; a user's
table can replace it through ``MassBalanceParams.recovery_table``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from oresight.core.errors import InvalidInput
from oresight.core.minerals import MaterialForm, Mineral
from oresight.core.yaml_text import parse_yaml
from oresight.custody.data_files import packaged_file_name, read_packaged_text, read_text_file

RECOVERY_FILE = "recovery.yaml"
"""The packaged table, under ``custody/data``."""


class _Cited(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    basis: str = Field(min_length=1)
    source: str = Field(min_length=1)
    year: int = Field(ge=1700, le=2100)

    def citation(self) -> str:
        return f"{self.basis}; {self.source} ({self.year})"


class _RecoveryRow(_Cited):
    source_form: MaterialForm = Field(alias="from")
    target_form: MaterialForm = Field(alias="to")
    max: float = Field(gt=0, le=1)


class _GradeRow(_Cited):
    low: float = Field(ge=0, le=100)
    high: float = Field(ge=0, le=100)

    @model_validator(mode="after")
    def _ordered(self) -> _GradeRow:
        if self.low > self.high:
            raise ValueError(f"low {self.low} is above high {self.high}")
        return self


class _DefaultRow(_Cited):
    max: float = Field(gt=0, le=1)


class _MineralRows(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    recoveries: tuple[_RecoveryRow, ...] = ()
    grades: dict[MaterialForm, _GradeRow] = Field(default_factory=dict)


class _TableFile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    version: Literal[1]
    default_recovery: _DefaultRow
    sources: dict[str, Any] = Field(default_factory=dict)
    """Named citations, referenced from the rows through YAML anchors."""
    minerals: dict[Mineral, _MineralRows]


@dataclass(frozen=True)
class MaxRecovery:
    """The most of an input's element that a process can put into its output, and why."""

    value: float
    process: str
    citation: str


@dataclass(frozen=True)
class GradeRange:
    """Typical element content (mass %) of a mineral in one form, with its source."""

    low: float
    high: float
    citation: str


@dataclass(frozen=True)
class RecoveryTable:
    """Maximum recoveries per mineral and form transition, and typical grades per form."""

    recoveries: Mapping[tuple[Mineral, MaterialForm, MaterialForm], MaxRecovery]
    grades: Mapping[tuple[Mineral, MaterialForm], GradeRange]
    default: MaxRecovery
    """The bound of any transition the table does not list: conservation of mass."""

    def max_recovery(
        self, mineral: Mineral, source: MaterialForm | None, target: MaterialForm | None
    ) -> MaxRecovery:
        """The bound for turning ``source`` into ``target``; the default where either is unknown."""
        if source is not None and target is not None:
            return self.recoveries.get((mineral, source, target), self.default)
        return self.default

    def typical_grade(self, mineral: Mineral, form: MaterialForm | None) -> GradeRange | None:
        """The typical grade range of a mineral in a form, where the table has one."""
        return self.grades.get((mineral, form)) if form is not None else None


def load_recovery_table(path: Path | None = None) -> RecoveryTable:
    """Read and check a recovery table (YAML); the packaged ``data/recovery.yaml`` by default.

    Raises :class:`InvalidInput` naming the file, the entry and the field of the first problem.
    """
    if path is None:
        name = packaged_file_name(RECOVERY_FILE)
        text = read_packaged_text(RECOVERY_FILE)
    else:
        name = str(path)
        text = read_text_file(path)
    raw = parse_yaml(text, file=name)
    try:
        parsed = _TableFile.model_validate(raw)
    except ValidationError as error:
        first = error.errors()[0]
        where = [str(part) for part in first["loc"]]
        raise InvalidInput(
            first["msg"],
            file=name,
            record=".".join(where[:-1]) or None,
            field=where[-1] if where else None,
        ) from None
    return _table(parsed, name)


def _table(parsed: _TableFile, name: str) -> RecoveryTable:
    recoveries: dict[tuple[Mineral, MaterialForm, MaterialForm], MaxRecovery] = {}
    grades: dict[tuple[Mineral, MaterialForm], GradeRange] = {}
    for mineral, rows in parsed.minerals.items():
        for index, row in enumerate(rows.recoveries):
            key = (mineral, row.source_form, row.target_form)
            if key in recoveries:
                raise InvalidInput(
                    f"{row.source_form.value} -> {row.target_form.value} is listed twice",
                    file=name,
                    record=f"minerals.{mineral.value}.recoveries.{index}",
                )
            process = f"{mineral.value} {row.source_form.value} → {row.target_form.value}"
            recoveries[key] = MaxRecovery(row.max, process, row.citation())
        for form, grade in rows.grades.items():
            grades[(mineral, form)] = GradeRange(grade.low, grade.high, grade.citation())
    default = parsed.default_recovery
    return RecoveryTable(
        recoveries,
        grades,
        MaxRecovery(default.max, "any other process (conservation of mass)", default.citation()),
    )


@lru_cache(maxsize=1)
def default_recovery_table() -> RecoveryTable:
    """The packaged recovery table, read once."""
    return load_recovery_table()

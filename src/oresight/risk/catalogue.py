"""The red-flag catalogue: what each finding code means for due diligence, and what to do about it.

The catalogue is data (``catalogue.yaml`` beside this module), loaded and validated here. For every
finding code it gives a title and description, the risks of the OECD Due Diligence Guidance's
Annex II model supply-chain policy that the red flag indicates, the OECD step it belongs to, the
provisions of Regulation (EU) 2017/821, the risk categories of Annex X of Regulation (EU) 2023/1542
and the Dodd-Frank section 1502 duties it matters for, its usual severity, and the step-3 response
with concrete mitigation measures.

``lint_catalogue`` checks the catalogue against the finding codes the code base raises, both ways,
and checks that its guidance is consistent with Annex II (see ``_ANNEX_II_SUSPEND``). The YAML
reading and error locating below are shared with :mod:`oresight.risk.profiles`.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, StringConstraints, ValidationError

from oresight.core.errors import InvalidInput
from oresight.core.findings import Severity
from oresight.core.yaml_text import parse_yaml

CATALOGUE_FORMAT = "oresight.risk-catalogue"
CATALOGUE_VERSION = 1
BUNDLED_CATALOGUE = "catalogue.yaml"
CODE_PATTERN = r"^[A-Z]+(\.[A-Z0-9_]+)+$"
MIN_MITIGATION_MEASURES = 2
MAX_MITIGATION_MEASURES = 4
MAX_LISTED_PROBLEMS = 5

Text = Annotated[str, StringConstraints(strict=True, strip_whitespace=True, min_length=1)]
CodeKey = Annotated[str, StringConstraints(strict=True, pattern=CODE_PATTERN)]


class AnnexIIRisk(StrEnum):
    """The risks named by the model supply-chain policy of Annex II of the OECD guidance."""

    SERIOUS_ABUSES = "serious_abuses"
    """Serious abuses associated with the extraction, transport or trade of minerals."""
    NON_STATE_ARMED_GROUPS = "non_state_armed_groups"
    """Direct or indirect support to non-state armed groups."""
    SECURITY_FORCES = "security_forces"
    """Public or private security forces that illegally control, tax or extort along the chain."""
    BRIBERY_AND_FRAUDULENT_ORIGIN = "bribery_and_fraudulent_origin"
    """Bribery, and fraudulent misrepresentation of the origin of minerals."""
    MONEY_LAUNDERING = "money_laundering"
    """Money laundering."""
    TAXES_FEES_ROYALTIES = "taxes_fees_royalties"
    """Taxes, fees and royalties due to governments left unpaid or undisclosed."""


class BatteryRiskCategory(StrEnum):
    """Short names for the social and environmental risk categories of Annex X, point 2, of
    Regulation (EU) 2023/1542 (batteries)."""

    AIR = "air"
    WATER = "water"
    SOIL = "soil"
    BIODIVERSITY = "biodiversity"
    HAZARDOUS_SUBSTANCES = "hazardous_substances"
    NOISE_AND_VIBRATION = "noise_and_vibration"
    PLANT_SAFETY = "plant_safety"
    ENERGY_USE = "energy_use"
    WASTE_AND_RESIDUES = "waste_and_residues"
    HUMAN_RIGHTS = "human_rights"
    """Human rights, including human health, labour rights and child labour."""
    LIFE_IN_COMMUNITY = "life_in_community"
    """Life in the community, including the rights of indigenous peoples."""


class RiskResponse(StrEnum):
    """The three step-3 responses of the OECD guidance, from mildest to strongest."""

    CONTINUE_WITH_MITIGATION = "continue_with_mitigation"
    """Continue trade while measurable risk mitigation is carried out."""
    TEMPORARY_SUSPENSION = "temporary_suspension"
    """Suspend trade temporarily while measurable risk mitigation is pursued."""
    DISENGAGE = "disengage"
    """Disengage from the supplier: mitigation failed or is not feasible, or the risk is grave."""

    @property
    def rank(self) -> int:
        """0 for continuing with mitigation up to 2 for disengaging."""
        return list(RiskResponse).index(self)

    def at_least(self, other: RiskResponse) -> RiskResponse:
        """The stronger of this response and ``other``."""
        return self if self.rank >= other.rank else other


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Regulations(_Strict):
    """Where a red flag matters in law; an empty list means the text does not reach it."""

    eu_2017_821: tuple[Text, ...] = ()
    """Articles of Regulation (EU) 2017/821 (3T and gold) the red flag bears on."""
    eu_2023_1542: tuple[BatteryRiskCategory, ...] = ()
    """Annex X risk categories of Regulation (EU) 2023/1542 (batteries) the red flag points to."""
    dodd_frank_1502: tuple[Text, ...] = ()
    """Duties under section 1502 of the Dodd-Frank Act (SEC Rule 13p-1, Form SD) it bears on."""

    def is_empty(self) -> bool:
        """Whether no regulation is referenced at all."""
        return not (self.eu_2017_821 or self.eu_2023_1542 or self.dodd_frank_1502)


class ResponseGuidance(_Strict):
    """The recommended step-3 response to a red flag, and how to mitigate it."""

    response: RiskResponse
    """The response at any severity not listed in ``by_severity``."""
    by_severity: dict[Severity, RiskResponse] = Field(default_factory=dict)
    """A different response for some severities (a weak lead, a grave one)."""
    mitigation: tuple[Text, ...] = Field(min_length=1)
    """Concrete measures, most urgent first."""

    def response_for(self, severity: Severity) -> RiskResponse:
        """The recommended response for a finding of this severity."""
        return self.by_severity.get(severity, self.response)


class CatalogueEntry(_Strict):
    """What one finding code means for due diligence."""

    title: Text
    description: Text
    oecd_annex_ii_risk: tuple[AnnexIIRisk, ...] = Field(min_length=1)
    """The Annex II risks the red flag indicates, the main one first."""
    oecd_step: Annotated[int, Field(strict=True, ge=1, le=5)]
    """The OECD due-diligence step whose work the red flag belongs to (1 to 5)."""
    regulations: Regulations
    default_severity: Severity
    """The severity rules usually give this red flag; a finding carries its own."""
    recommendation: ResponseGuidance


class Catalogue(_Strict):
    """Every finding code's entry, keyed by code."""

    format: Literal["oresight.risk-catalogue"]
    version: Literal[1]
    sources: dict[Text, Text] = Field(default_factory=dict)
    """The documents the entries refer to, by short name, with their full citation."""
    entries: dict[CodeKey, CatalogueEntry] = Field(min_length=1)
    _source: str = PrivateAttr(default="<memory>")

    @property
    def source(self) -> str:
        """The file the catalogue was read from."""
        return self._source

    def entry(self, code: str) -> CatalogueEntry:
        """The entry of ``code``; a catalogue without it is refused, naming the code."""
        try:
            return self.entries[code]
        except KeyError:
            raise InvalidInput(
                f"the risk catalogue has no entry for finding code {code}; add one",
                file=self.source,
                record=f"entry {code}",
            ) from None


def load_catalogue(path: str | Path | None = None) -> Catalogue:
    """Read and validate a catalogue: the bundled one, or the YAML file at ``path``."""
    if path is None:
        source = f"oresight/risk/{BUNDLED_CATALOGUE}"
        text = resources.files("oresight.risk").joinpath(BUNDLED_CATALOGUE).read_text("utf-8")
    else:
        source = str(path)
        text = read_text_file(Path(path), what="risk catalogue")
    data = parse_yaml_mapping(text, source=source, what="risk catalogue")
    try:
        catalogue = Catalogue.model_validate(data)
    except ValidationError as exc:
        raise located_validation_error(
            exc, file=source, data=data, records={"entries": "entry"}
        ) from None
    catalogue._source = source
    return catalogue


# Annex II asks to suspend or disengage at once where serious abuses or support to non-state armed
# groups are found; continuing with mitigation is offered only for the other risks.
_ANNEX_II_SUSPEND = frozenset({AnnexIIRisk.SERIOUS_ABUSES, AnnexIIRisk.NON_STATE_ARMED_GROUPS})


def lint_catalogue(catalogue: Catalogue, codes: Iterable[str]) -> list[str]:
    """Problems of the catalogue against the finding codes ``codes``; an empty list when none.

    Checks that every code has an entry and every entry is a code; that each entry cites at
    least one regulation, gives 2 to 4 mitigation measures without repeats, and never recommends
    continuing trade for a critical red flag of serious abuses or armed-group support.
    """
    known = set(codes)
    problems = [
        f"finding code {code} has no catalogue entry"
        for code in sorted(known - set(catalogue.entries))
    ]
    problems.extend(
        f"entry {code} is not a finding code the code base raises" + _did_you_mean(code, known)
        for code in sorted(set(catalogue.entries) - known)
    )
    for code, entry in sorted(catalogue.entries.items()):
        problems.extend(f"entry {code}: {problem}" for problem in _entry_problems(entry))
    return problems


def _entry_problems(entry: CatalogueEntry) -> list[str]:
    problems: list[str] = []
    if entry.regulations.is_empty():
        problems.append("regulations cites no regulation at all")
    measures = entry.recommendation.mitigation
    if not MIN_MITIGATION_MEASURES <= len(measures) <= MAX_MITIGATION_MEASURES:
        problems.append(
            f"recommendation.mitigation has {len(measures)} measure(s); give "
            f"{MIN_MITIGATION_MEASURES} to {MAX_MITIGATION_MEASURES} concrete ones"
        )
    if len(set(measures)) != len(measures):
        problems.append("recommendation.mitigation repeats a measure")
    if len(set(entry.oecd_annex_ii_risk)) != len(entry.oecd_annex_ii_risk):
        problems.append("oecd_annex_ii_risk repeats a risk")
    grave = _ANNEX_II_SUSPEND.intersection(entry.oecd_annex_ii_risk)
    at_critical = entry.recommendation.response_for(Severity.CRITICAL)
    if grave and at_critical is RiskResponse.CONTINUE_WITH_MITIGATION:
        names = ", ".join(sorted(grave))
        problems.append(
            f"indicates {names} but recommends continue_with_mitigation at critical severity; "
            "OECD Annex II asks to suspend or disengage"
        )
    return problems


def _did_you_mean(word: str, candidates: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, sorted(candidates), n=1)
    return f" (did you mean {close[0]}?)" if close else ""


# -- YAML documents with located errors (shared with profiles) ----------------------------------


def read_text_file(path: Path, *, what: str) -> str:
    """The UTF-8 text of ``path``, or an error naming the file and what it was meant to hold."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InvalidInput(f"{what} file not found", file=str(path)) from None
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"{what} file is not UTF-8 text: {exc.reason}", file=str(path)) from None
    except OSError as exc:
        raise InvalidInput(f"{what} file cannot be read: {exc.strerror}", file=str(path)) from None


def parse_yaml_mapping(text: str, *, source: str, what: str) -> dict[str, Any]:
    """Parse YAML whose top level must be a mapping; errors give the line and column."""
    data = parse_yaml(text, file=source, what=what)
    if not isinstance(data, dict):
        found = "an empty document" if data is None else f"a {type(data).__name__}"
        raise InvalidInput(f"a {what} must be a YAML mapping, found {found}", file=source)
    return data


def located_validation_error(
    error: ValidationError,
    *,
    file: str,
    data: Mapping[str, Any],
    records: Mapping[str, str],
) -> InvalidInput:
    """Turn pydantic's report into an ``InvalidInput`` naming the file, record and field.

    ``records`` names the collections whose items are records: top-level key -> label
    (``{"entries": "entry"}``), so that ``entries.X.title`` reads as entry X, field ``title``.
    Every problem is listed in the message (up to a few); the first one gives record and field.
    """
    problems = error.errors(include_url=False)
    record, field = _locate(problems[0], data, records)
    message = _problem_text(problems[0])
    others = [
        f"{' '.join(p for p in _locate(problem, data, records) if p)}: {_problem_text(problem)}"
        for problem in problems[1:MAX_LISTED_PROBLEMS]
    ]
    if others:
        message += "; also " + "; ".join(others)
    if len(problems) > MAX_LISTED_PROBLEMS:
        message += f"; and {len(problems) - MAX_LISTED_PROBLEMS} more problem(s)"
    return InvalidInput(message, file=file, record=record, field=field)


def _locate(
    problem: Mapping[str, Any], data: Mapping[str, Any], records: Mapping[str, str]
) -> tuple[str | None, str | None]:
    loc = [str(part) for part in problem["loc"] if part != "[key]"]
    # A validator that knows more than pydantic's location (a key, a rule path) puts it in ctx.
    loc.extend(str(part) for part in problem.get("ctx", {}).get("path", ()))
    record: str | None = None
    if len(loc) >= 2 and loc[0] in records:
        record = f"{records[loc[0]]} {_record_name(data.get(loc[0]), loc[1])}"
        loc = loc[2:]
    return record, ".".join(loc) or None


def _record_name(collection: object, key: str) -> str:
    if isinstance(collection, list) and key.isdigit():
        item = collection[int(key)] if int(key) < len(collection) else None
        name = item.get("name") if isinstance(item, dict) else None
        return f"{int(key) + 1}" + (f" ({name})" if isinstance(name, str) else "")
    return key


def _problem_text(problem: Mapping[str, Any]) -> str:
    kind = problem["type"]
    if kind == "missing":
        return "is required but missing"
    if kind == "extra_forbidden":
        return "is not a known field (check its spelling)"
    if "[key]" in problem["loc"]:
        return f"key {_short(problem['input'])}: {problem['msg']}"
    message = str(problem["msg"]).removeprefix("Value error, ")
    if kind == "value_error" or kind.startswith("oresight_"):
        return message  # our own validators already say what they found
    return f"{message} (found {_short(problem['input'])})"


def _short(value: object, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


__all__ = [
    "CATALOGUE_FORMAT",
    "CATALOGUE_VERSION",
    "AnnexIIRisk",
    "BatteryRiskCategory",
    "Catalogue",
    "CatalogueEntry",
    "Regulations",
    "ResponseGuidance",
    "RiskResponse",
    "lint_catalogue",
    "load_catalogue",
    "located_validation_error",
    "parse_yaml_mapping",
    "read_text_file",
]

"""Risk profiles: how one regulation, scheme, country or company weighs the red flags.

A profile is a YAML file (the bundled ones live in ``profiles/`` beside this module) that sets,
without code: per finding code whether it counts, its weight and an optional severity override;
the factor of each severity; the score thresholds of the risk bands, for one subject and for the
supply chain as a whole; escalations (a rule of :mod:`oresight.risk.rules` and what follows when
it fires: a stronger step-3 response, a higher band); and the parameters the workflows pass to
the pillars' rules (``rule_params``), such as a mass-balance tolerance.

A profile may ``extends`` a bundled one and change only what differs (see :func:`merge_profiles`).
The format is described, with an example, in docs/risk.md.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    PrivateAttr,
    StrictBool,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from oresight.core.errors import InvalidInput
from oresight.core.findings import FindingCode, Severity
from oresight.core.minerals import Mineral
from oresight.risk.catalogue import (
    RiskResponse,
    located_validation_error,
    parse_yaml_mapping,
    read_text_file,
)
from oresight.risk.rule_specs import parse_rule
from oresight.risk.rules import RiskRule

PROFILE_FORMAT = "oresight.risk-profile"
PROFILE_VERSION = 1
PROFILES_FOLDER = "profiles"
PROFILE_SUFFIXES = (".yaml", ".yml")
MAX_EXTENDS_DEPTH = 4

Text = Annotated[str, StringConstraints(strict=True, strip_whitespace=True, min_length=1)]
Name = Annotated[str, StringConstraints(strict=True, pattern=r"^[a-z0-9][a-z0-9-]*$")]
RuleName = Annotated[
    str, StringConstraints(strict=True, pattern=r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")
]
ParamName = Annotated[str, StringConstraints(strict=True, pattern=r"^[a-z][a-z0-9_]*$")]
Weight = Annotated[float, Field(strict=True, ge=0, allow_inf_nan=False)]
Threshold = Annotated[float, Field(strict=True, gt=0, allow_inf_nan=False)]


def _param_value(value: object) -> bool | int | float | str:
    if isinstance(value, bool | int | str) or (isinstance(value, float) and math.isfinite(value)):
        return value
    raise ValueError(
        "a rule parameter is a number, a text or true/false, "
        f"found {type(value).__name__} {value!r}"
    )


ParamValue = Annotated[bool | int | float | str, PlainValidator(_param_value)]


class RiskBand(StrEnum):
    """How risky a subject or a whole supply chain is; ordered low < medium < high < critical."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        """0 for low up to 3 for critical."""
        return list(RiskBand).index(self)

    def at_least(self, other: RiskBand) -> RiskBand:
        """The higher of this band and ``other``."""
        return self if self.rank >= other.rank else other


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class BandThresholds(_Strict):
    """Lowest scores of the medium, high and critical bands; any lower score is low."""

    medium: Threshold
    high: Threshold
    critical: Threshold

    @model_validator(mode="after")
    def _increasing(self) -> Self:
        if not self.medium < self.high < self.critical:
            raise ValueError(
                "band thresholds must rise: medium < high < critical, found "
                f"{self.medium:g}, {self.high:g}, {self.critical:g}"
            )
        return self

    def band_for(self, score: float) -> RiskBand:
        """The band a score falls in."""
        if score >= self.critical:
            return RiskBand.CRITICAL
        if score >= self.high:
            return RiskBand.HIGH
        if score >= self.medium:
            return RiskBand.MEDIUM
        return RiskBand.LOW


class Bands(_Strict):
    """Band thresholds for one subject's score and for the whole supply chain's."""

    subject: BandThresholds = BandThresholds(medium=1.5, high=3, critical=6)
    supply_chain: BandThresholds = BandThresholds(medium=3, high=8, critical=16)


class SeverityFactors(_Strict):
    """The factor each severity brings to a finding's points; must not fall as severity rises."""

    low: Threshold = 1.0
    medium: Threshold = 2.0
    high: Threshold = 4.0
    critical: Threshold = 8.0

    @model_validator(mode="after")
    def _rising(self) -> Self:
        if not self.low <= self.medium <= self.high <= self.critical:
            raise ValueError(
                "severity factors must not fall as severity rises: low <= medium <= high <= "
                f"critical, found {self.low:g}, {self.medium:g}, {self.high:g}, {self.critical:g}"
            )
        return self

    def factor(self, severity: Severity) -> float:
        """The factor of ``severity``."""
        return float(getattr(self, severity.value))


class CodeSetting(_Strict):
    """How a profile treats one finding code; what it leaves out follows the profile's defaults."""

    enabled: StrictBool = True
    """False leaves the code's findings out of scores and recommendations (listed as excluded)."""
    weight: Weight | None = None
    """Multiplies the code's points; the profile's ``default_weight`` when absent."""
    severity: Severity | None = None
    """Replaces the severity the rule gave, for scoring, escalation and the response."""
    note: Text | None = None
    """Why the profile treats the code so, for the reader of the assessment."""


def _rule_from_profile(value: object) -> RiskRule:
    try:
        return parse_rule(value, where="when")
    except InvalidInput as exc:
        inner = (exc.field or "when").removeprefix("when").lstrip(".")
        raise PydanticCustomError(
            "oresight_invalid_rule", exc.message, {"path": (inner,) if inner else ()}
        ) from None


def _rule_to_spec(rule: RiskRule) -> dict[str, Any]:
    return rule.to_spec()


ProfileRule = Annotated[
    RiskRule,
    PlainValidator(_rule_from_profile),
    PlainSerializer(_rule_to_spec, return_type=dict[str, Any]),
]


class Escalation(_Strict):
    """When ``when`` fires, what follows for the findings it picks and their subjects."""

    name: Name
    description: Text
    when: ProfileRule
    response: RiskResponse | None = None
    """The least response recommended for each picked finding."""
    subject_band: RiskBand | None = None
    """The least band of each subject of a picked finding."""
    supply_chain_band: RiskBand | None = None
    """The least band of the whole supply chain."""

    @model_validator(mode="after")
    def _has_effect(self) -> Self:
        if self.response is None and self.subject_band is None and self.supply_chain_band is None:
            raise ValueError(
                "an escalation must set at least one of response, subject_band, supply_chain_band"
            )
        return self


@dataclass(frozen=True, slots=True)
class EffectiveSetting:
    """A code's treatment under a profile, defaults applied."""

    enabled: bool
    weight: float
    severity: Severity | None


class Profile(_Strict):
    """A complete, validated risk profile."""

    format: Literal["oresight.risk-profile"]
    version: Literal[1]
    name: Name
    title: Text
    description: Text
    extends: Name | None = None
    """The bundled profile this one was built on, for the record."""
    minerals: tuple[Mineral, ...] = ()
    """The minerals the profile is meant for (informative; it scores any finding)."""
    references: tuple[Text, ...] = ()
    default_weight: Weight = 1.0
    severity_factors: SeverityFactors = SeverityFactors()
    bands: Bands = Bands()
    codes: dict[FindingCode, CodeSetting] = Field(default_factory=dict)
    rule_params: dict[RuleName, dict[ParamName, ParamValue]] = Field(default_factory=dict)
    """Parameters the workflows pass to a pillar rule, by the rule's name (``RULE``)."""
    escalations: tuple[Escalation, ...] = ()
    _source: str = PrivateAttr(default="<memory>")

    @field_validator("codes", mode="before")
    @classmethod
    def _known_codes(cls, value: object) -> object:
        if isinstance(value, Mapping):
            known = [code.value for code in FindingCode]
            for key in value:
                if key not in known:
                    close = difflib.get_close_matches(str(key), known, n=1)
                    hint = f" (did you mean {close[0]}?)" if close else ""
                    raise PydanticCustomError(
                        "oresight_unknown_code",
                        f"{key!r} is not a finding code{hint}",
                        {"path": (str(key),)},
                    )
        return value

    @model_validator(mode="after")
    def _unique_escalations(self) -> Self:
        names = [escalation.name for escalation in self.escalations]
        twice = sorted({name for name in names if names.count(name) > 1})
        if twice:
            raise ValueError(f"escalation names must be unique; given twice: {', '.join(twice)}")
        return self

    @property
    def source(self) -> str:
        """Where the profile was read from: ``bundled:NAME`` or a file path."""
        return self._source

    def setting_for(self, code: FindingCode) -> EffectiveSetting:
        """How this profile treats ``code``."""
        setting = self.codes.get(code, CodeSetting())
        weight = self.default_weight if setting.weight is None else setting.weight
        return EffectiveSetting(setting.enabled, weight, setting.severity)

    def params_for(self, rule: str) -> Mapping[str, bool | int | float | str]:
        """The parameters this profile sets for the pillar rule named ``rule`` (maybe none)."""
        return self.rule_params.get(rule, {})


def bundled_profiles() -> list[str]:
    """The names of the profiles shipped with oresight."""
    folder = resources.files("oresight.risk").joinpath(PROFILES_FOLDER)
    return sorted(
        item.name.rsplit(".", 1)[0]
        for item in folder.iterdir()
        if item.is_file() and item.name.endswith(PROFILE_SUFFIXES)
    )


def load_profile(name_or_path: str | Path) -> Profile:
    """The bundled profile of that name, or the profile in the YAML file at that path."""
    raw, source = _read_profile(name_or_path)
    data = _resolve_extends(raw, source=source, seen=(source,))
    try:
        profile = Profile.model_validate(data)
    except ValidationError as exc:
        raise located_validation_error(
            exc,
            file=source,
            data=data,
            records={"codes": "code", "escalations": "escalation", "rule_params": "rule"},
        ) from None
    if source.startswith("bundled:") and profile.name != source.removeprefix("bundled:"):
        raise InvalidInput(
            f"bundled profile file is named {source!r} but its name is {profile.name!r}",
            file=source,
            field="name",
        )
    profile._source = source
    return profile


def merge_profiles(base: Mapping[str, Any], child: Mapping[str, Any]) -> dict[str, Any]:
    """The raw profile ``child`` laid over ``base``: what the child sets wins.

    ``codes`` merge per code and, within a code, per field; ``rule_params`` per rule and
    parameter; ``bands`` per band set and ``severity_factors`` per severity; ``escalations``
    are added, one with the name of an inherited one replacing it. Everything else is replaced.
    """
    merged = dict(base)
    for key, value in child.items():
        inherited = base.get(key)
        if key in {"codes", "rule_params", "bands"}:
            merged[key] = _merge_nested(inherited, value)
        elif key == "severity_factors":
            merged[key] = _merge_flat(inherited, value)
        elif key == "escalations" and isinstance(inherited, list) and isinstance(value, list):
            merged[key] = _merge_escalations(inherited, value)
        else:
            merged[key] = value
    return merged


def _merge_flat(inherited: object, value: object) -> object:
    if isinstance(inherited, Mapping) and isinstance(value, Mapping):
        return {**inherited, **value}
    return value


def _merge_nested(inherited: object, value: object) -> object:
    if not (isinstance(inherited, Mapping) and isinstance(value, Mapping)):
        return value
    merged = dict(inherited)
    for item, setting in value.items():
        merged[item] = _merge_flat(inherited.get(item), setting)
    return merged


def _merge_escalations(inherited: list[Any], added: list[Any]) -> list[Any]:
    def name(item: object) -> object:
        return item.get("name") if isinstance(item, Mapping) else None

    replacing = {name(item): item for item in added if name(item) is not None}
    kept = [replacing.pop(name(item), item) for item in inherited]
    return kept + [item for item in added if name(item) not in {name(k) for k in kept}]


def _read_profile(name_or_path: str | Path) -> tuple[dict[str, Any], str]:
    text_form = str(name_or_path)
    names = bundled_profiles()
    if isinstance(name_or_path, str) and text_form in names:
        return _read_bundled(text_form), f"bundled:{text_form}"
    path = Path(name_or_path)
    looks_like_path = (
        isinstance(name_or_path, Path)
        or text_form.endswith(PROFILE_SUFFIXES)
        or "/" in text_form
        or "\\" in text_form
        or path.is_file()
    )
    if not looks_like_path:
        close = difflib.get_close_matches(text_form, names, n=1)
        hint = f"did you mean {close[0]}? " if close else ""
        raise InvalidInput(
            f"unknown risk profile {text_form!r}; {hint}bundled profiles: {', '.join(names)}; "
            "or give the path of a profile YAML file"
        )
    text = read_text_file(path, what="risk profile")
    return parse_yaml_mapping(text, source=text_form, what="risk profile"), text_form


def _read_bundled(name: str) -> dict[str, Any]:
    resource = resources.files("oresight.risk").joinpath(PROFILES_FOLDER, f"{name}.yaml")
    source = f"bundled:{name}"
    return parse_yaml_mapping(resource.read_text("utf-8"), source=source, what="risk profile")


def _resolve_extends(raw: dict[str, Any], *, source: str, seen: tuple[str, ...]) -> dict[str, Any]:
    base_name = raw.get("extends")
    if base_name is None:
        return raw
    names = bundled_profiles()
    if not isinstance(base_name, str) or base_name not in names:
        raise InvalidInput(
            f"extends names a bundled profile, one of {', '.join(names)}; found {base_name!r}",
            file=source,
            field="extends",
        )
    if raw.get("name") in (None, base_name):
        raise InvalidInput(
            f"a profile that extends {base_name} needs a name of its own",
            file=source,
            field="name",
        )
    base_source = f"bundled:{base_name}"
    if base_source in seen or len(seen) > MAX_EXTENDS_DEPTH:
        raise InvalidInput(
            f"profiles extend each other in a loop: {' -> '.join((*seen, base_source))}",
            file=source,
            field="extends",
        )
    base = _resolve_extends(_read_bundled(base_name), source=base_source, seen=(*seen, base_source))
    return merge_profiles(base, raw)


__all__ = [
    "PROFILE_FORMAT",
    "PROFILE_VERSION",
    "BandThresholds",
    "Bands",
    "CodeSetting",
    "EffectiveSetting",
    "Escalation",
    "Profile",
    "RiskBand",
    "SeverityFactors",
    "bundled_profiles",
    "load_profile",
    "merge_profiles",
]

"""Reading risk rules from profiles: the YAML form of :mod:`oresight.risk.rules`.

A rule is written as a mapping with one key naming its kind (``code``, ``code_family``,
``severity_at_least``, ``subject_type``, ``confidence_at_least``, ``all_of``, ``any_of``, ``not``,
``on_subjects_with``, ``count_at_least``), whose value is the rule's argument::

    when:
      all_of:
        - on_subjects_with: {code_family: CUSTODY}
        - count_at_least: 2
          of: {severity_at_least: high}
          distinct: codes
          per: subject

:func:`parse_rule` reads that form, with errors that name the path of the field at fault
(``when.all_of[1].count_at_least``) and suggest the closest known word; each rule's ``to_spec``
writes it back.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from enum import StrEnum
from typing import Any, TypeVar

from oresight.core.errors import InvalidInput
from oresight.core.findings import FindingCode, Severity, SubjectType
from oresight.risk.rules import (
    AllOf,
    AnyOf,
    CodeFamilyIs,
    CodeIs,
    ConfidenceAtLeast,
    CountAtLeast,
    Distinct,
    Not,
    OnSubjectsWith,
    Per,
    RiskRule,
    SeverityAtLeast,
    SubjectTypeIs,
)

_E = TypeVar("_E", bound=StrEnum)

_COUNT_OPTIONS = frozenset({"of", "distinct", "per"})


def parse_rule(spec: object, *, where: str = "when") -> RiskRule:
    """Build a rule from its profile form; errors name the field path (``when.all_of[1].code``)."""
    if isinstance(spec, RiskRule):
        return spec
    if not isinstance(spec, Mapping):
        raise InvalidInput(
            f"a rule is a mapping such as {{code: PARTY.SANCTIONED}}, found {_kind_of(spec)}",
            field=where,
        )
    kinds = [key for key in spec if key in _PARSERS]
    if len(kinds) != 1:
        found = ", ".join(map(str, spec)) or "nothing"
        raise InvalidInput(
            f"a rule needs exactly one of {', '.join(_PARSERS)}; found {found}"
            + _suggest(spec, _PARSERS),
            field=where,
        )
    kind = kinds[0]
    extra = set(spec) - {kind} - (_COUNT_OPTIONS if kind == "count_at_least" else set())
    if extra:
        raise InvalidInput(
            f"{kind} takes no other keys, found {', '.join(sorted(map(str, extra)))}",
            field=where,
        )
    return _PARSERS[kind](spec, f"{where}.{kind}")


def _kind_of(value: object) -> str:
    return "nothing" if value is None else f"a {type(value).__name__} ({value!r})"


def _suggest(spec: Mapping[Any, Any], options: Mapping[str, Any]) -> str:
    for key in spec:
        close = difflib.get_close_matches(str(key), list(options), n=1)
        if close:
            return f" (did you mean {close[0]}?)"
    return ""


def _enum_value(enum: type[_E], value: object, field: str) -> _E:
    allowed = [member.value for member in enum]
    if isinstance(value, str) and value in allowed:
        return enum(value)
    close = difflib.get_close_matches(str(value), allowed, n=1)
    hint = f" (did you mean {close[0]}?)" if close else ""
    raise InvalidInput(f"{value!r} is not one of {', '.join(allowed)}{hint}", field=field)


def _rule_list(value: object, field: str) -> tuple[RiskRule, ...]:
    if not isinstance(value, list):
        raise InvalidInput(f"expected a list of rules, found {_kind_of(value)}", field=field)
    return tuple(parse_rule(item, where=f"{field}[{index}]") for index, item in enumerate(value))


def _parse_code(spec: Mapping[str, Any], field: str) -> RiskRule:
    return CodeIs(_enum_value(FindingCode, spec["code"], field))


def _parse_family(spec: Mapping[str, Any], field: str) -> RiskRule:
    try:
        return CodeFamilyIs(str(spec["code_family"]))
    except InvalidInput as exc:
        raise InvalidInput(exc.message, field=field) from None


def _parse_severity(spec: Mapping[str, Any], field: str) -> RiskRule:
    return SeverityAtLeast(_enum_value(Severity, spec["severity_at_least"], field))


def _parse_subject(spec: Mapping[str, Any], field: str) -> RiskRule:
    return SubjectTypeIs(_enum_value(SubjectType, spec["subject_type"], field))


def _parse_confidence(spec: Mapping[str, Any], field: str) -> RiskRule:
    value = spec["confidence_at_least"]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidInput(f"expected a number from 0 to 1, found {_kind_of(value)}", field=field)
    try:
        return ConfidenceAtLeast(float(value))
    except InvalidInput as exc:
        raise InvalidInput(exc.message, field=field) from None


def _parse_combination(spec: Mapping[str, Any], field: str) -> RiskRule:
    kind = field.rsplit(".", 1)[-1]
    rules = _rule_list(spec[kind], field)
    try:
        return AllOf(rules) if kind == "all_of" else AnyOf(rules)
    except InvalidInput as exc:
        raise InvalidInput(exc.message, field=field) from None


def _parse_not(spec: Mapping[str, Any], field: str) -> RiskRule:
    return Not(parse_rule(spec["not"], where=field))


def _parse_subjects(spec: Mapping[str, Any], field: str) -> RiskRule:
    return OnSubjectsWith(parse_rule(spec["on_subjects_with"], where=field))


def _parse_count(spec: Mapping[str, Any], field: str) -> RiskRule:
    base = field.rsplit(".", 1)[0]
    if "of" not in spec:
        raise InvalidInput(
            "count_at_least needs 'of', the rule whose findings it counts", field=base
        )
    distinct = _enum_value(Distinct, spec.get("distinct", "findings"), f"{base}.distinct")
    per = _enum_value(Per, spec.get("per", "assessment"), f"{base}.per")
    of = parse_rule(spec["of"], where=f"{base}.of")
    try:
        return CountAtLeast(spec["count_at_least"], of, distinct, per)
    except InvalidInput as exc:
        raise InvalidInput(exc.message, field=field) from None


_PARSERS: dict[str, Callable[[Mapping[str, Any], str], RiskRule]] = {
    "code": _parse_code,
    "code_family": _parse_family,
    "severity_at_least": _parse_severity,
    "subject_type": _parse_subject,
    "confidence_at_least": _parse_confidence,
    "all_of": _parse_combination,
    "any_of": _parse_combination,
    "not": _parse_not,
    "on_subjects_with": _parse_subjects,
    "count_at_least": _parse_count,
}

RULE_KINDS = tuple(_PARSERS)
"""The keys that name a rule's kind in a profile."""


__all__ = ["RULE_KINDS", "parse_rule"]

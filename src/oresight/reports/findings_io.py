"""Findings in and out: the versioned JSON findings document, its schema, and a flat CSV.

The JSON document is what oresight hands to other tools and agencies; its JSON Schema ships beside
this module (``findings.schema.json``) and is documented field by field in ``docs/findings.md``.
Reading a document back validates it against that schema, checks that the summary agrees with the
findings, and recomputes every finding's id, so a document edited by hand cannot pass for one that
oresight wrote.
"""

from __future__ import annotations

import copy
import csv
import io
import json
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime
from functools import lru_cache
from importlib import resources
from typing import Any, cast

import jsonschema
from jsonschema.exceptions import best_match
from pydantic import ValidationError

from oresight.core.errors import InvalidInput
from oresight.core.findings import DataGap, Finding, Severity

DOCUMENT_FORMAT = "oresight.findings"
"""The value of the document's ``format`` field."""

DOCUMENT_VERSION = 1
"""The version of the findings document this module writes and reads."""

SCHEMA_RESOURCE = "findings.schema.json"
"""File name of the JSON Schema, inside the ``oresight.reports`` package."""

CSV_COLUMNS: tuple[str, ...] = (
    "id",
    "code",
    "severity",
    "confidence",
    "subject_type",
    "subject_id",
    "subject_label",
    "title",
    "explanation",
    "rule",
    "rule_version",
    "period_start",
    "period_end",
    "evidence",
)
"""The CSV header, in order."""

# Spreadsheet programs run a cell that starts with one of these as a formula; titles and
# explanations quote names taken from third-party lists, so a hostile name must not execute.
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

# RFC 3339 section 5.6 date-time; the offset is mandatory so that every time is unambiguous.
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")

# Long instances (a whole finding) make schema messages unreadable; the path says where anyway.
_MAX_MESSAGE = 300


def sort_findings(findings: Sequence[Finding]) -> list[Finding]:
    """Order findings as documents and reports show them.

    Most severe first, then by code and subject id; the finding id breaks remaining ties so that
    the order never depends on the order the pillars produced them in.
    """
    return sorted(findings, key=lambda f: (-f.severity.rank, f.code.value, f.subject.id, f.id))


def findings_document(
    findings: Sequence[Finding],
    *,
    workspace: str,
    generated_at: datetime,
    gaps: Sequence[DataGap] = (),
    risk: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Build the findings document (a JSON-ready mapping) described by ``findings.schema.json``.

    ``gaps`` are the checks the analyses could not make for lack of data; ``risk`` is the risk
    engine's scored assessment as JSON-ready data (see docs/risk.md), when there is one.

    ``generated_at`` and every finding's period must carry a UTC offset: a naive time cannot be
    placed on a timeline by whoever reads the document, so it is refused with :class:`InvalidInput`.
    """
    _require_aware(generated_at, what="generated_at", field="generated_at")
    ordered = sort_findings(findings)
    dumped: list[dict[str, Any]] = []
    for finding in ordered:
        for name in ("start", "end"):
            value = getattr(finding.period, name)
            if value is not None:
                _require_aware(
                    value,
                    what=f"finding {finding.id} ({finding.code.value}) period {name}",
                    field=f"period.{name}",
                )
        try:
            dumped.append(finding.model_dump(mode="json"))
        except ValueError as exc:  # pydantic's serialisation error is a ValueError
            raise InvalidInput(
                f"finding {finding.id} ({finding.code.value}): evidence data cannot be "
                f"written as JSON: {exc}",
                field="evidence.data",
            ) from exc
    document: dict[str, Any] = {
        "format": DOCUMENT_FORMAT,
        "version": DOCUMENT_VERSION,
        "generated_at": _format_time(generated_at),
        "workspace": workspace,
        "summary": _summary(ordered),
        "findings": dumped,
        "data_gaps": [
            {
                name: value
                for name, value in gap.model_dump(mode="json").items()
                if value is not None
            }
            for gap in gaps
        ],
    }
    if risk is not None:
        document["risk"] = dict(risk)
    return document


def findings_to_json(
    findings: Sequence[Finding],
    *,
    workspace: str,
    generated_at: datetime,
    gaps: Sequence[DataGap] = (),
    risk: Mapping[str, Any] | None = None,
) -> str:
    """The findings document as UTF-8-ready JSON text, indented, ending with a newline."""
    doc = findings_document(
        findings, workspace=workspace, generated_at=generated_at, gaps=gaps, risk=risk
    )
    try:
        # NaN and Infinity are not JSON; other tools would fail on them later, so fail here.
        text = json.dumps(doc, indent=2, ensure_ascii=False, allow_nan=False)
    except ValueError as exc:
        raise InvalidInput(
            f"findings cannot be written as JSON: {exc} (NaN or infinite number in evidence data?)",
            field="evidence.data",
        ) from exc
    return text + "\n"


def findings_to_csv(findings: Sequence[Finding]) -> str:
    """One CSV row per finding (columns :data:`CSV_COLUMNS`), in document order, with a header.

    Evidence is flattened to ``kind:id`` references joined by ``"; "``. Text cells that a
    spreadsheet would run as a formula are prefixed with a single quote.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for finding in sort_findings(findings):
        period = finding.period
        row = {
            "id": finding.id,
            "code": finding.code.value,
            "severity": finding.severity.value,
            "confidence": repr(finding.confidence),
            "subject_type": finding.subject.type.value,
            "subject_id": finding.subject.id,
            "subject_label": finding.subject.label or "",
            "title": finding.title,
            "explanation": finding.explanation,
            "rule": finding.rule,
            "rule_version": finding.rule_version,
            "period_start": _format_time(period.start) if period.start else "",
            "period_end": _format_time(period.end) if period.end else "",
            "evidence": "; ".join(f"{e.kind.value}:{e.id}" for e in finding.evidence),
        }
        writer.writerow(
            row[name] if name == "confidence" else _defuse_formula(row[name])
            for name in CSV_COLUMNS
        )
    return buffer.getvalue()


def findings_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of the findings document, as a fresh mapping."""
    return copy.deepcopy(_schema())


def validate_findings_document(doc: Mapping[str, Any]) -> None:
    """Check ``doc`` against the schema and its summary against its findings.

    Raises :class:`InvalidInput` whose ``field`` is the JSON path of the first problem
    (for example ``$.findings[2].severity``).
    """
    error = best_match(_validator().iter_errors(doc))
    if error is not None:
        message = error.message
        if len(message) > _MAX_MESSAGE:
            message = message[: _MAX_MESSAGE - 3] + "..."
        raise InvalidInput(
            f"findings document does not match its schema: {message}", field=error.json_path
        )
    _check_summary(doc)


def read_findings_document(data: str | bytes) -> list[Finding]:
    """Parse a findings JSON document back into findings, in the document's order.

    The document is validated first (see :func:`validate_findings_document`); then each finding's
    id is recomputed from its content and must equal the id the document states.
    """
    try:
        doc = json.loads(data, parse_constant=_refuse_constant)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"findings document is not valid JSON: {exc}") from exc
    if not isinstance(doc, dict):
        raise InvalidInput(
            f"findings document must be a JSON object, found {type(doc).__name__}", field="$"
        )
    validate_findings_document(doc)
    findings: list[Finding] = []
    for index, raw in enumerate(doc["findings"]):
        path = f"$.findings[{index}]"
        try:
            finding = Finding.model_validate(raw)
        except ValidationError as exc:
            raise InvalidInput(f"not a valid finding: {exc}", field=path) from exc
        if finding.id != raw["id"]:
            raise InvalidInput(
                f"finding id {raw['id']!r} does not match its content, which gives "
                f"{finding.id!r}: the finding was altered after it was raised",
                field=f"{path}.id",
            )
        findings.append(finding)
    return findings


def _summary(findings: Sequence[Finding]) -> dict[str, Any]:
    by_severity = Counter(f.severity for f in findings)
    by_code = Counter(f.code.value for f in findings)
    return {
        "total": len(findings),
        # Every severity is present, most severe first, so readers need no defaulting.
        "by_severity": {s.value: by_severity[s] for s in reversed(Severity)},
        "by_code": {code: by_code[code] for code in sorted(by_code)},
    }


def _check_summary(doc: Mapping[str, Any]) -> None:
    findings = doc["findings"]
    summary = doc["summary"]
    if summary["total"] != len(findings):
        raise InvalidInput(
            f"summary total is {summary['total']} but the document holds {len(findings)} findings",
            field="$.summary.total",
        )
    severities = Counter(f["severity"] for f in findings)
    for severity, stated in summary["by_severity"].items():
        if stated != severities[severity]:
            raise InvalidInput(
                f"summary counts {stated} {severity} findings, the document holds "
                f"{severities[severity]}",
                field=f"$.summary.by_severity.{severity}",
            )
    codes = Counter(f["code"] for f in findings)
    for code in sorted(set(codes) | set(summary["by_code"])):
        stated = summary["by_code"].get(code, 0)
        if stated != codes[code]:
            raise InvalidInput(
                f"summary counts {stated} {code} findings, the document holds {codes[code]}",
                field=f"$.summary.by_code['{code}']",
            )


def _require_aware(value: datetime, *, what: str, field: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInput(
            f"{what} {value.isoformat()} has no UTC offset; findings documents need "
            "unambiguous times",
            field=field,
        )


def _format_time(value: datetime) -> str:
    # The same rendering pydantic uses for the findings' own periods, so all times look alike.
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _defuse_formula(text: str) -> str:
    return "'" + text if text.startswith(_FORMULA_PREFIXES) else text


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _is_rfc3339(instance: object) -> bool:
    if not isinstance(instance, str):
        return True  # format applies to strings only; the type keyword judges the rest
    if not _RFC3339.match(instance):
        return False
    try:
        datetime.fromisoformat(instance)
    except ValueError:
        return False
    return True


@lru_cache(maxsize=1)
def _schema() -> dict[str, Any]:
    text = resources.files("oresight.reports").joinpath(SCHEMA_RESOURCE).read_text("utf-8")
    return cast(dict[str, Any], json.loads(text))


@lru_cache(maxsize=1)
def _validator() -> Any:
    # Our own date-time check, so that validation does not depend on which optional format
    # packages happen to be installed next to jsonschema.
    checker = jsonschema.FormatChecker(formats=())
    checker.checks("date-time")(_is_rfc3339)
    return jsonschema.Draft202012Validator(_schema(), format_checker=checker)


__all__ = [
    "CSV_COLUMNS",
    "DOCUMENT_FORMAT",
    "DOCUMENT_VERSION",
    "findings_document",
    "findings_schema",
    "findings_to_csv",
    "findings_to_json",
    "read_findings_document",
    "sort_findings",
    "validate_findings_document",
]

"""The findings document (JSON and its schema), the CSV export, and docs/findings.md."""

from __future__ import annotations

import copy
import csv
import io
import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from pydantic import ValidationError

from oresight.core.errors import InvalidInput
from oresight.core.findings import (
    Evidence,
    EvidenceKind,
    Finding,
    FindingCode,
    Period,
    Severity,
    Subject,
    SubjectType,
)
from oresight.reports.findings_io import (
    CSV_COLUMNS,
    findings_document,
    findings_schema,
    findings_to_csv,
    findings_to_json,
    read_findings_document,
    validate_findings_document,
)

GENERATED_AT = datetime(2024, 6, 1, 12, 30, tzinfo=UTC)
DOCS = Path(__file__).resolve().parents[2] / "docs" / "findings.md"


def _finding(
    code: FindingCode,
    severity: Severity,
    subject_id: str,
    *,
    title: str = "A red flag",
    evidence: tuple[Evidence, ...] | None = None,
    period: Period | None = None,
    label: str | None = None,
) -> Finding:
    return Finding(
        code=code,
        subject=Subject(type=SubjectType.LOT, id=subject_id, label=label),
        severity=severity,
        confidence=0.75,
        title=title,
        explanation=f"{code.value} raised on {subject_id}: 12.5 t out against 4.0 t in.",
        evidence=evidence or (Evidence(kind=EvidenceKind.EVENT, id=f"urn:uuid:{subject_id}"),),
        rule=f"rules.{code.value.lower()}",
        rule_version="1.0",
        period=period or Period(),
    )


@pytest.fixture
def findings() -> list[Finding]:
    """Several findings over every severity, given out of order on purpose."""
    return [
        _finding(FindingCode.TRADE_MIRROR_GAP, Severity.LOW, "flow-1"),
        _finding(
            FindingCode.CUSTODY_MASS_BALANCE,
            Severity.CRITICAL,
            "lot-9",
            label="Lot 9, cobalt hydroxide",
            evidence=(
                Evidence(
                    kind=EvidenceKind.EVENT,
                    id="urn:uuid:e1",
                    note="Transformation output",
                    data={"output_kg": 12500.0, "input_kg": 4000, "grade": [30, 31.5]},
                ),
                Evidence(kind=EvidenceKind.SITE, id="site:kolwezi-1", data={"ok": True}),
            ),
            period=Period(
                start=datetime(2024, 1, 1, tzinfo=UTC),
                end=datetime(2024, 3, 31, 23, 59, tzinfo=timezone(timedelta(hours=2))),
            ),
        ),
        _finding(FindingCode.PARTY_SANCTIONED, Severity.HIGH, "party-b"),
        _finding(FindingCode.CUSTODY_BROKEN_CHAIN, Severity.HIGH, "lot-2"),
        _finding(FindingCode.CUSTODY_BROKEN_CHAIN, Severity.HIGH, "lot-1"),
        _finding(FindingCode.ORIGIN_CAHRA, Severity.MEDIUM, "lot-3", title='=HYPERLINK("x")'),
    ]


def test_document_validates_against_the_schema(findings: list[Finding]) -> None:
    doc = findings_document(findings, workspace="ws-demo", generated_at=GENERATED_AT)
    schema = findings_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    ).validate(doc)
    validate_findings_document(doc)
    assert doc["format"] == "oresight.findings"
    assert doc["version"] == 1
    assert doc["generated_at"] == "2024-06-01T12:30:00Z"
    assert doc["workspace"] == "ws-demo"


def test_document_summary_and_order(findings: list[Finding]) -> None:
    doc = findings_document(findings, workspace="ws", generated_at=GENERATED_AT)
    assert doc["summary"] == {
        "total": 6,
        "by_severity": {"critical": 1, "high": 3, "medium": 1, "low": 1},
        "by_code": {
            "CUSTODY.BROKEN_CHAIN": 2,
            "CUSTODY.MASS_BALANCE": 1,
            "ORIGIN.CAHRA": 1,
            "PARTY.SANCTIONED": 1,
            "TRADE.MIRROR_GAP": 1,
        },
    }
    assert list(doc["summary"]["by_severity"]) == ["critical", "high", "medium", "low"]
    order = [(f["severity"], f["code"], f["subject"]["id"]) for f in doc["findings"]]
    assert order == [
        ("critical", "CUSTODY.MASS_BALANCE", "lot-9"),
        ("high", "CUSTODY.BROKEN_CHAIN", "lot-1"),
        ("high", "CUSTODY.BROKEN_CHAIN", "lot-2"),
        ("high", "PARTY.SANCTIONED", "party-b"),
        ("medium", "ORIGIN.CAHRA", "lot-3"),
        ("low", "TRADE.MIRROR_GAP", "flow-1"),
    ]
    first = doc["findings"][0]
    assert first["id"] == findings[1].id
    assert first["period"] == {"start": "2024-01-01T00:00:00Z", "end": "2024-03-31T23:59:00+02:00"}


def test_empty_document_is_valid() -> None:
    doc = findings_document([], workspace="ws", generated_at=GENERATED_AT)
    validate_findings_document(doc)
    assert doc["summary"]["total"] == 0
    assert doc["summary"]["by_code"] == {}
    assert read_findings_document(json.dumps(doc)) == []


def test_schema_enums_follow_the_core_enums() -> None:
    defs = findings_schema()["$defs"]
    assert defs["code"]["enum"] == [c.value for c in FindingCode]
    assert set(defs["severity"]["enum"]) == {s.value for s in Severity}
    assert defs["subject"]["properties"]["type"]["enum"] == [t.value for t in SubjectType]
    assert defs["evidence"]["properties"]["kind"]["enum"] == [k.value for k in EvidenceKind]
    assert set(defs["finding"]["required"]) == set(Finding.model_fields) | {"id"}


def test_findings_schema_returns_a_copy() -> None:
    findings_schema()["properties"].clear()
    assert "findings" in findings_schema()["properties"]


@pytest.mark.parametrize(
    ("breakage", "path"),
    [
        (lambda d: d["findings"][1].update(severity="urgent"), "$.findings[1].severity"),
        (lambda d: d["findings"][0]["evidence"][1].pop("kind"), "$.findings[0].evidence[1]"),
        (lambda d: d["findings"][2].update(confidence=1.5), "$.findings[2].confidence"),
        (lambda d: d["findings"][0]["subject"].update(extra="x"), "$.findings[0].subject"),
        (lambda d: d["findings"][3].update(code="CUSTODY.MADE_UP"), "$.findings[3].code"),
        (lambda d: d.update(version=2), "$.version"),
        (lambda d: d.update(generated_at="2024-06-01T12:30:00"), "$.generated_at"),
        (lambda d: d["findings"][0]["period"].update(end="yesterday"), "$.findings[0].period.end"),
        (lambda d: d["findings"][4].update(evidence=[]), "$.findings[4].evidence"),
        (lambda d: d["summary"].update(total=5), "$.summary.total"),
        (lambda d: d["summary"]["by_severity"].update(low=0), "$.summary.by_severity.low"),
    ],
)
def test_broken_document_is_rejected_naming_the_path(
    findings: list[Finding], breakage: Any, path: str
) -> None:
    doc = findings_document(findings, workspace="ws", generated_at=GENERATED_AT)
    broken = copy.deepcopy(doc)
    breakage(broken)
    with pytest.raises(InvalidInput) as caught:
        validate_findings_document(broken)
    assert caught.value.field == path
    assert path in str(caught.value)


def test_round_trip_gives_equal_findings(findings: list[Finding]) -> None:
    text = findings_to_json(findings, workspace="ws", generated_at=GENERATED_AT)
    assert text.endswith("\n")
    back = read_findings_document(text)
    assert back == sorted(findings, key=lambda f: (-f.severity.rank, f.code, f.subject.id))
    assert read_findings_document(text.encode("utf-8")) == back


def test_reading_refuses_an_altered_finding(findings: list[Finding]) -> None:
    doc = findings_document(findings, workspace="ws", generated_at=GENERATED_AT)
    doc["findings"][0]["evidence"][0]["id"] = "urn:uuid:someone-else"
    with pytest.raises(InvalidInput, match="does not match its content") as caught:
        read_findings_document(json.dumps(doc))
    assert caught.value.field == "$.findings[0].id"


@pytest.mark.parametrize(
    ("data", "match"),
    [
        ("{not json", "not valid JSON"),
        (b"\xff\xfe\x00", "not valid JSON"),
        ("[1, 2]", "must be a JSON object"),
        ('{"format": "oresight.findings", "version": NaN}', "not valid JSON"),
    ],
)
def test_reading_refuses_hostile_input(data: str | bytes, match: str) -> None:
    with pytest.raises(InvalidInput, match=match):
        read_findings_document(data)


def test_naive_times_are_refused(findings: list[Finding]) -> None:
    with pytest.raises(InvalidInput, match="no UTC offset"):
        findings_document(findings, workspace="ws", generated_at=datetime(2024, 6, 1))
    # A naive period cannot even be built: core refuses it before any writer sees it.
    with pytest.raises(ValidationError, match="UTC offset"):
        Period(end=datetime(2024, 1, 1))


def test_nan_in_evidence_data_is_written_as_null() -> None:
    odd = _finding(
        FindingCode.TRADE_PRICE_ANOMALY,
        Severity.LOW,
        "flow",
        evidence=(Evidence(kind=EvidenceKind.TRADE_ROW, id="r1", data={"ratio": float("nan")}),),
    )
    text = findings_to_json([odd], workspace="ws", generated_at=GENERATED_AT)
    assert "NaN" not in text
    assert json.loads(text)["findings"][0]["evidence"][0]["data"] == {"ratio": None}


def test_csv_has_a_header_and_one_row_per_finding(findings: list[Finding]) -> None:
    text = findings_to_csv(findings)
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    with io.StringIO(text, newline="") as stream:
        assert tuple(next(csv.reader(stream))) == CSV_COLUMNS
    assert len(rows) == len(findings)
    critical = rows[0]
    source = findings[1]
    assert critical == {
        "id": source.id,
        "code": "CUSTODY.MASS_BALANCE",
        "severity": "critical",
        "confidence": "0.75",
        "subject_type": "lot",
        "subject_id": "lot-9",
        "subject_label": "Lot 9, cobalt hydroxide",
        "title": "A red flag",
        "explanation": "CUSTODY.MASS_BALANCE raised on lot-9: 12.5 t out against 4.0 t in.",
        "rule": "rules.custody.mass_balance",
        "rule_version": "1.0",
        "period_start": "2024-01-01T00:00:00Z",
        "period_end": "2024-03-31T23:59:00+02:00",
        "evidence": "event:urn:uuid:e1; site:site:kolwezi-1",
    }
    assert [r["subject_id"] for r in rows] == [
        "lot-9",
        "lot-1",
        "lot-2",
        "party-b",
        "lot-3",
        "flow-1",
    ]
    assert rows[-1]["subject_label"] == ""
    assert rows[-1]["period_start"] == ""


def test_csv_defuses_spreadsheet_formulas(findings: list[Finding]) -> None:
    rows = list(csv.DictReader(io.StringIO(findings_to_csv(findings), newline="")))
    cahra = next(r for r in rows if r["code"] == "ORIGIN.CAHRA")
    assert cahra["title"] == '\'=HYPERLINK("x")'


def test_csv_of_no_findings_is_just_the_header() -> None:
    assert findings_to_csv([]) == ",".join(CSV_COLUMNS) + "\r\n"


def test_docs_describe_every_code_field_and_column() -> None:
    text = DOCS.read_text(encoding="utf-8")
    for code in FindingCode:
        assert f"`{code.value}`" in text, f"{code.value} is not documented in docs/findings.md"
    schema = findings_schema()
    fields = set(schema["properties"]) | set(schema["$defs"]["finding"]["properties"])
    fields |= set(schema["$defs"]["summary"]["properties"])
    fields |= set(schema["$defs"]["evidence"]["properties"])
    for name in sorted(fields | set(CSV_COLUMNS)):
        assert f"`{name}`" in text, f"field {name} is not documented in docs/findings.md"
    assert "src/oresight/reports/findings.schema.json" in text

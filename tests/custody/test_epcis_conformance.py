"""Conformance of the EPCIS reader and writer with the GS1 EPCIS 2.0 examples and JSON schema.

Reads the 47 JSON/JSON-LD examples published with EPCIS 2.0 from ``../shared/data`` (skipped
when absent), writes each back and validates it against ``EPCIS-JSON-Schema.json``. Reads too the
JSON-LD examples of the event hash reference implementation (github.com/RalphTro/
epcis-event-hash-generator) and checks the ids given to events without an eventID against its
``.hashes`` files.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from oresight.core.errors import InvalidInput
from oresight.custody.epcis import read_epcis, read_epcis_file, write_epcis
from oresight.custody.epcis_fields import parse_time

GS1_EPCIS = Path("traceability") / "epcis2" / "gs1-EPCIS"
EXAMPLE_COUNT = 47
HASH_EXAMPLES = (
    Path("traceability") / "epcis2" / "epcis-event-hash-generator" / "tests" / "examples"
)
HASH_EXAMPLE_COUNT = 22


@pytest.fixture(scope="module")
def examples(shared_data: Path) -> list[Path]:
    paths = sorted((shared_data / GS1_EPCIS / "JSON").rglob("*.jsonld"))
    assert len(paths) == EXAMPLE_COUNT
    return paths


@pytest.fixture(scope="module")
def validator(shared_data: Path) -> jsonschema.Draft7Validator:
    schema = json.loads((shared_data / GS1_EPCIS / "EPCIS-JSON-Schema.json").read_text())
    # jsonschema checks "uri" and "date-time" only with optional packages; these two small
    # checks make the formats count without them.
    checker = jsonschema.FormatChecker(formats=())

    @checker.checks("uri")
    def _uri(value: object) -> bool:
        return (
            not isinstance(value, str) or re.match(r"[A-Za-z][A-Za-z0-9+.-]*:", value) is not None
        )

    @checker.checks("date-time", raises=ValueError)
    def _date_time(value: object) -> bool:
        return not isinstance(value, str) or parse_time(value) is not None

    return jsonschema.Draft7Validator(schema, format_checker=checker)


def _written(path: Path) -> tuple[Any, dict[str, Any]]:
    doc = read_epcis_file(path)
    written = write_epcis(
        doc.events,
        document_id=doc.id,
        creation_date=doc.creation_date,
        namespaces=doc.namespaces,
    )
    return doc, written


def test_every_example_reads(examples: list[Path]) -> None:
    counted = 0
    for path in examples:
        doc = read_epcis_file(path)
        raw = json.loads(path.read_text(encoding="utf-8"))
        body = raw["epcisBody"]
        listed = body.get("eventList") or body["queryResults"]["resultsBody"]["eventList"]
        # Every listed event is read; none of the examples repeats an event.
        assert len(doc.events) == len(listed), path.name
        counted += 1
    assert counted == EXAMPLE_COUNT


def test_every_example_written_back_is_schema_valid(
    examples: list[Path], validator: jsonschema.Draft7Validator
) -> None:
    invalid = {}
    for path in examples:
        _, written = _written(path)
        errors = sorted(validator.iter_errors(written), key=lambda e: list(e.absolute_path))
        if errors:
            invalid[path.name] = f"{list(errors[0].absolute_path)}: {errors[0].message[:200]}"
    assert invalid == {}


def test_schema_check_is_not_vacuous(validator: jsonschema.Draft7Validator) -> None:
    # The same validator refuses a document the writer would never produce.
    bad = {
        "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2024-05-01",
        "epcisBody": {"eventList": [{"type": "ObjectEvent", "eventTime": "x"}]},
    }
    assert len(list(validator.iter_errors(bad))) >= 3


def test_every_example_round_trips_to_equal_events(examples: list[Path]) -> None:
    for path in examples:
        doc, written = _written(path)
        again = read_epcis(json.dumps(written), file=f"{path.name} (written)")
        assert again.events == doc.events, path.name
        assert again.namespaces == doc.namespaces, path.name
        assert again.id == doc.id and again.creation_date == doc.creation_date, path.name


def test_written_events_keep_the_source_content(examples: list[Path]) -> None:
    # Beyond equal core objects: each written event holds the same JSON as its source, but for
    # timestamps in another (equal) spelling and an empty epcList that may be left out.
    for path in examples:
        raw = json.loads(path.read_text(encoding="utf-8"))
        body = raw["epcisBody"]
        listed = body.get("eventList") or body["queryResults"]["resultsBody"]["eventList"]
        _, written = _written(path)
        for source, out in zip(listed, written["epcisBody"]["eventList"], strict=True):
            for key in set(source) | set(out):
                if key in ("eventTime", "recordTime"):
                    assert parse_time(source[key]) == parse_time(out[key]), (path.name, key)
                elif key == "epcList":
                    assert source.get(key, []) == out.get(key, []), path.name
                else:
                    assert source.get(key) == out.get(key), (path.name, key)


def test_full_combination_examples_keep_extensions(shared_data: Path) -> None:
    path = (
        shared_data
        / GS1_EPCIS
        / "JSON"
        / "WithFullCombinationOfFields"
        / "object_event_all_possible_fields.jsonld"
    )
    (event,) = read_epcis_file(path).events
    assert event.extensions["ext1:string"] == "string"
    assert event.extensions["ext1:object"]["ext2:object"]["ext2:object"] == {
        "ext3:string": "stringInObjectInObject"
    }
    assert event.namespaces == {
        "ext1": "http://example.com/ext1/",
        "ext2": "http://example.com/ext2/",
        "ext3": "http://example.com/ext3/",
    }
    assert event.ilmd is not None and event.ilmd["cbvmda:lotNumber"] == "ABC123"
    assert event.lot_master is None
    assert event.persistent_disposition == {
        "set": ["completeness_verified"],
        "unset": ["completeness_inferred"],
    }
    assert event.error_declaration is not None
    assert event.error_declaration["reason"] == "incorrect_data"


def test_query_document_example(shared_data: Path) -> None:
    doc = read_epcis_file(shared_data / GS1_EPCIS / "JSON" / "EPCISQueryDocument.jsonld")
    assert doc.kind == "EPCISQueryDocument"
    assert doc.header["queryName"] == "SimpleEventQuery"
    assert [e.biz_step for e in doc.events] == ["shipping", "receiving"]
    assert doc.events[1].extensions == {"example:myField": "Example of a vendor/user extension"}


def test_events_without_eventid_are_named_by_hash(examples: list[Path]) -> None:
    hashed = [
        e for path in examples for e in read_epcis_file(path).events if not e.event_id_declared
    ]
    assert len(hashed) == 7
    assert all(re.fullmatch(r"ni:///sha-256;[0-9a-f]{64}\?ver=CBV2\.0", e.event_id) for e in hashed)


# --- the event hash reference implementation's examples ---------------------------------------


def _declares_ignore_fields(document: dict[str, Any]) -> bool:
    """Whether a document lists ``<prefix>:ignoreFields`` in its header or query results.

    That list is a convention of the reference implementation, not of CBV: a repository names its
    own bookkeeping fields so that hash generators skip them.
    """
    holders = [document, document["epcisBody"].get("queryResults", {})]
    return any(key.endswith(":ignoreFields") for holder in holders for key in holder)


def test_every_hash_example_reads_and_hashes_as_the_reference(shared_data: Path) -> None:
    paths = sorted((shared_data / HASH_EXAMPLES).glob("*.jsonld"))
    assert len(paths) == HASH_EXAMPLE_COUNT
    hashed = 0
    ignoring = []
    for path in paths:
        if _declares_ignore_fields(json.loads(path.read_text(encoding="utf-8"))):
            ignoring.append(path.name)
            continue  # refused: see test_hash_examples_with_ignore_fields_are_refused
        doc = read_epcis_file(path)
        expected = path.with_suffix(".hashes").read_text(encoding="utf-8").split()
        assert len(doc.events) == len(expected), path.name
        for event, reference in zip(doc.events, expected, strict=True):
            # A declared eventID is kept as declared; only computed ids are the hash.
            if not event.event_id_declared:
                assert event.event_id == reference, path.name
                hashed += 1
    assert hashed == 35
    assert ignoring == [
        "epcisDocHavingEventWithIgnoreFields.jsonld",
        "epcisQueryDocHavingEventWithIgnoreFields.jsonld",
    ]


@pytest.mark.parametrize(
    "name",
    ["epcisDocHavingEventWithIgnoreFields", "epcisQueryDocHavingEventWithIgnoreFields"],
)
def test_hash_examples_with_ignore_fields_are_refused(shared_data: Path, name: str) -> None:
    # Both events declare the same eventID but only the first carries the fields that the
    # document's ignoreFields list names; without that (non-CBV) convention they differ, and a
    # repeated eventID with different content is refused.
    path = shared_data / HASH_EXAMPLES / f"{name}.jsonld"
    event_id = (
        "ni:///sha-256;b3d481c5590757ab8361a6cb0e924820feb3b61eb568e7d7703f21a96f76f51d?ver=CBV2.0"
    )
    with pytest.raises(InvalidInput) as caught:
        read_epcis_file(path)
    error = caught.value
    assert (error.file, error.record, error.field) == (
        str(path),
        f"event 2 (eventID {event_id})",
        "eventID",
    )
    assert error.message == f"eventID {event_id} repeats event 1 with different content"


def test_location_extensions_of_a_hash_example_are_kept_and_written_schema_valid(
    shared_data: Path, validator: jsonschema.Draft7Validator
) -> None:
    path = shared_data / HASH_EXAMPLES / "ReferenceEventHashAlgorithm3.jsonld"
    doc, written = _written(path)
    (event,) = doc.events
    assert event.read_point == "urn:epc:id:sgln:4012345.00011.0"
    assert event.read_point_extensions == {"example:myField1": "AB-12"}
    assert event.extensions == {"example:userExt": "CD-34"}
    assert list(validator.iter_errors(written)) == []
    source = json.loads(path.read_text(encoding="utf-8"))["epcisBody"]["eventList"][0]
    assert written["epcisBody"]["eventList"][0]["readPoint"] == source["readPoint"]
    again = read_epcis(json.dumps(written))
    assert again.events == doc.events

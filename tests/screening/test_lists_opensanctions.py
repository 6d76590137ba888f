"""OpenSanctions FtM JSON lines: listed parties with their sanctions, related entities kept."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from oresight.core.errors import InvalidInput
from oresight.screening.lists import parse_opensanctions, read_opensanctions

FTM = Path("screening") / "ftm"

COMPANY: dict[str, Any] = {
    "id": "NK-kivu-minerals",
    "schema": "Company",
    "properties": {"name": ["Kivu Minerals SARL"], "country": ["cd"]},
    "datasets": ["eu_fsf"],
    "target": True,
    "first_seen": "2024-01-02T10:00:00",
    "last_seen": "2026-02-01T08:00:00",
}
SANCTION: dict[str, Any] = {
    "id": "eu-fsf-sanction-1",
    "schema": "Sanction",
    "properties": {
        "entity": ["NK-kivu-minerals"],
        "program": ["DR Congo"],
        "programId": ["EU-COD"],
        "authority": ["Council of the European Union"],
        "listingDate": ["2023-07-20"],
    },
    "datasets": ["eu_fsf"],
    "target": False,
    "last_seen": "2026-02-03T08:00:00",
}
OWNER = {
    "id": "NK-owner",
    "schema": "Person",
    "properties": {"name": ["Jean Mwamba"]},
    "target": False,
}
OWNERSHIP = {
    "id": "own-1",
    "schema": "Ownership",
    "properties": {"owner": ["NK-owner"], "asset": ["NK-kivu-minerals"], "percentage": ["60"]},
    "target": False,
}


def lines(*entities: Any) -> bytes:
    return "".join(json.dumps(entity, ensure_ascii=False) + "\n" for entity in entities).encode()


def shared_file(shared_data: Path, name: str) -> Path:
    path = shared_data / FTM / name
    if not path.is_file():
        pytest.skip(f"the FtM fixture is not in the shared data ({path})")
    return path


def test_zala_cluster(shared_data: Path) -> None:
    path = shared_file(shared_data, "yente_zala_entities.ftm.json")
    raw = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    assert Counter(entity["schema"] for entity in raw) == {
        "Sanction": 41,
        "Ownership": 14,
        "Company": 11,
        "Address": 11,
        "Person": 6,
        "Family": 4,
        "Directorship": 3,
        "Passport": 1,
    }  # as PROVENANCE.md says
    sanctions: dict[str, list[dict[str, Any]]] = {}
    for entity in raw:
        if entity["schema"] == "Sanction":
            for target in entity["properties"]["entity"]:
                sanctions.setdefault(target, []).append(entity["properties"])
    listed = {e["id"] for e in raw if e["target"] and e["schema"] != "Sanction"} | set(sanctions)

    result = read_opensanctions(path)

    assert [entry.record_id for entry in result.entries] == [
        entity["id"] for entity in raw if entity["id"] in listed
    ]
    assert Counter(p.schema.name for p in result.related) == Counter(
        entity["schema"] for entity in raw if entity["id"] not in listed
    )
    assert len(result.entries) + len(result.related) == len(raw)
    by_id = {entity["id"]: entity for entity in raw}
    for entry in result.entries:
        entity_sanctions = sanctions.get(entry.record_id, [])
        expected = {
            code
            for props in entity_sanctions
            for code in props.get("programId") or props.get("program") or []
        }
        expected |= set(by_id[entry.record_id]["properties"].get("programId", []))
        assert set(entry.programmes) == expected
        dates = []
        for props in entity_sanctions:
            for prop in ("listingDate", "startDate"):
                full = [date.fromisoformat(v[:10]) for v in props.get(prop, []) if len(v) >= 10]
                if full:
                    dates.extend(full)
                    break
        assert entry.listed_on == min(dates, default=None)
        assert json.loads(entry.source_record)["id"] == entry.record_id
    (cst_id,) = [entity["id"] for entity in raw if entity["caption"] == "LLC CST"]
    (cst,) = [entry for entry in result.entries if entry.record_id == cst_id]
    assert len(sanctions[cst_id]) == 28
    assert cst.remarks is not None and len(cst.remarks.splitlines()) > 1
    seen = max(date.fromisoformat(entity["last_seen"][:10]) for entity in raw)
    assert result.published == seen


def test_t1_targets_without_sanctions(shared_data: Path) -> None:
    path = shared_file(shared_data, "yente_t1_entities.ftm.json")
    raw = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    result = read_opensanctions(path)
    assert [entry.entity.id for entry in result.entries] == [e["id"] for e in raw if e["target"]]
    assert [proxy.id for proxy in result.related] == [e["id"] for e in raw if not e["target"]]
    assert all(entry.programmes == () and entry.listed_on is None for entry in result.entries)
    kuzmenko = next(e for e in result.entries if e.record_id == "NK-2Ka3UvopqbpZmVDFjWd4LA")
    assert kuzmenko.entity.get("taxNumber") == ["366510784303"]
    assert kuzmenko.entity.caption == "Vitaly Yurievich KUZMENKO"


def test_sanction_fills_programme_and_listing_date() -> None:
    result = parse_opensanctions(lines(COMPANY, SANCTION, OWNER, OWNERSHIP), file="os.ftm.json")
    (entry,) = result.entries
    assert entry.entity.id == "NK-kivu-minerals"
    assert entry.programmes == ("EU-COD",)
    assert entry.listed_on == date(2023, 7, 20)
    assert entry.list_id == "opensanctions"
    assert entry.remarks == "Council of the European Union: DR Congo; EU-COD, listed 2023-07-20"
    assert [proxy.id for proxy in result.related] == ["eu-fsf-sanction-1", "NK-owner", "own-1"]
    ownership = result.related[2]
    assert ownership.get("owner") == ["NK-owner"]
    assert result.published == date(2026, 2, 3)


def test_sanctioned_entity_that_is_not_marked_target_is_listed() -> None:
    company = {**COMPANY, "target": False}
    properties = {
        "entity": ["NK-kivu-minerals"],
        "programId": ["EU-COD"],
        "listingDate": ["2023"],
        "startDate": ["2023-07-21"],
    }
    sanction = {**SANCTION, "properties": properties}
    (entry,) = parse_opensanctions(lines(company, sanction), file="os.ftm.json").entries
    assert entry.record_id == "NK-kivu-minerals"
    assert entry.listed_on == date(2023, 7, 21)  # a year alone is no listing date: startDate


@pytest.mark.parametrize(
    ("entity", "field", "words"),
    [
        ({**OWNER, "schema": "Minister"}, "schema", "unknown FtM schema 'Minister'"),
        ({**OWNER, "schema": "Thing"}, "schema", "abstract"),
        ({**OWNER, "properties": {"shoeSize": ["44"]}}, "properties.shoeSize", "unknown property"),
        (
            {**OWNER, "properties": {"name": [{"x": 1}]}},
            "properties.name",
            "list of strings",
        ),
        ({**OWNER, "id": ""}, "id", "no id"),
        ({**OWNER, "target": "yes"}, "target", "true or false"),
        ({**OWNER, "last_seen": "yesterday"}, "last_seen", "ISO date-time"),
    ],
)
def test_bad_entity_names_file_line_and_field(entity: Any, field: str, words: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_opensanctions(lines(COMPANY, SANCTION, entity), file="os.ftm.json")
    assert (caught.value.file, caught.value.record, caught.value.field) == (
        "os.ftm.json",
        "line 3",
        field,
    )
    assert words in caught.value.message


def test_malformed_line_and_duplicate_id_are_refused() -> None:
    data = lines(COMPANY) + b'{"id": "x", "schema": \n'
    with pytest.raises(InvalidInput) as caught:
        parse_opensanctions(data, file="os.ftm.json")
    assert caught.value.record == "line 2"
    assert "malformed JSON" in caught.value.message
    with pytest.raises(InvalidInput) as caught:
        parse_opensanctions(lines(COMPANY, SANCTION, COMPANY), file="os.ftm.json")
    assert (caught.value.record, caught.value.field) == ("line 3", "id")


def test_wrong_encoding_is_refused() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_opensanctions(lines(COMPANY).decode().encode("utf-16"), file="os.ftm.json")
    assert caught.value.file == "os.ftm.json"
    assert "not UTF-8" in caught.value.message

"""Parties from FollowTheMoney entities: validation, cleaning, fragments, round trips."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from oresight.core.errors import InvalidInput
from oresight.core.parties import Party
from oresight.screening.ftm import (
    looks_like_ftm,
    parties_to_ftm_lines,
    read_ftm_file,
    read_ftm_parties,
)

FILE = "parties.ftm.json"

TRADER = {
    "id": "co-kivu-minerals",
    "schema": "Company",
    "properties": {
        "name": ["Kivu Minerals SARL"],
        "country": ["CD"],
        "incorporationDate": ["2011-04-05"],
    },
}
OWNER = {
    "id": "pe-jean-b",
    "schema": "Person",
    "properties": {"name": ["Jean B."], "nationality": ["cd"], "birthDate": ["1970"]},
}
OWNERSHIP = {
    "id": "own-1",
    "schema": "Ownership",
    "properties": {"owner": ["pe-jean-b"], "asset": ["co-kivu-minerals"], "percentage": ["60"]},
}


def lines(*entities: Any) -> str:
    return "".join(json.dumps(entity) + "\n" for entity in entities)


def test_reads_entities_and_relationships() -> None:
    company, person, ownership = read_ftm_parties(lines(TRADER, OWNER, OWNERSHIP), file=FILE)
    assert company == Party(
        id="co-kivu-minerals",
        schema_name="Company",
        properties={
            "name": ("Kivu Minerals SARL",),
            "country": ("cd",),  # FtM cleans country codes to lower case
            "incorporationDate": ("2011-04-05",),
        },
        caption="Kivu Minerals SARL",
    )
    assert person.caption == "Jean B."
    assert ownership.schema_name == "Ownership"
    assert ownership.properties["owner"] == ("pe-jean-b",)
    assert ownership.caption == "Ownership"  # FtM falls back to the schema label


def test_cleans_values_and_drops_those_ftm_rejects() -> None:
    entity = {
        "id": "pe-1",
        "schema": "Person",
        "properties": {"name": ["  Ana  "], "country": ["Germany"], "birthDate": ["yesterday"]},
    }
    (party,) = read_ftm_parties(lines(entity))
    assert party.properties == {"name": ("Ana",), "country": ("de",)}


def test_reads_a_json_array_and_skips_blank_lines() -> None:
    as_array = read_ftm_parties(json.dumps([TRADER, OWNER]))
    as_lines = read_ftm_parties("\n" + lines(TRADER) + "\n  \n" + lines(OWNER))
    assert as_array == as_lines
    assert [party.id for party in as_array] == ["co-kivu-minerals", "pe-jean-b"]


def test_fragments_of_one_entity_are_merged() -> None:
    first = {"id": "le-1", "schema": "LegalEntity", "properties": {"name": ["Kivu"]}}
    second = {"id": "le-1", "schema": "Company", "properties": {"name": ["Kivu SARL"]}}
    (party,) = read_ftm_parties(lines(first, second))
    assert party.schema_name == "Company"
    assert party.properties["name"] == ("Kivu", "Kivu SARL")


def test_fragments_with_incompatible_schemas_are_refused() -> None:
    clash = {"id": "co-kivu-minerals", "schema": "Person", "properties": {}}
    with pytest.raises(InvalidInput, match="cannot be merged with Company") as caught:
        read_ftm_parties(lines(TRADER, clash), file=FILE)
    assert (caught.value.record, caught.value.field) == ("line 2", "schema")


HOSTILE = {
    "malformed JSON": ('{"id": "x", "schema": "Person"', None, "malformed JSON at column"),
    "NaN": ('{"id": "x", "schema": "Person", "n": NaN}', None, "NaN"),
    "not an object": ('["Person"]', None, "found a JSON list"),
    "no schema": ('{"id": "x"}', "schema", "no schema"),
    "unknown schema": ('{"id": "x", "schema": "Mine"}', "schema", "unknown FtM schema 'Mine'"),
    "abstract schema": ('{"id": "x", "schema": "Thing"}', "schema", "abstract"),
    "no id": ('{"schema": "Person"}', "id", "no id"),
    "blank id": ('{"id": "  ", "schema": "Person"}', "id", "no id"),
    "unknown property": (
        '{"id": "x", "schema": "Person", "properties": {"shoeSize": ["44"]}}',
        "properties.shoeSize",
        "unknown property 'shoeSize' for FtM schema Person",
    ),
    "reverse property": (
        '{"id": "x", "schema": "Person", "properties": {"ownershipOwner": ["own-1"]}}',
        "properties.ownershipOwner",
        "reverse property",
    ),
    "values not strings": (
        '{"id": "x", "schema": "Person", "properties": {"name": [{"a": 1}]}}',
        "properties.name",
        "list of strings",
    ),
    "properties not object": (
        '{"id": "x", "schema": "Person", "properties": ["name"]}',
        "properties",
        "object",
    ),
}


@pytest.mark.parametrize("case", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_line_is_located(case: tuple[str, str | None, str]) -> None:
    bad, field, fragment = case
    text = lines(TRADER) + "\n" + bad + "\n"
    with pytest.raises(InvalidInput) as caught:
        read_ftm_parties(text.encode(), file=FILE)
    error = caught.value
    assert (error.file, error.record, error.field) == (FILE, "line 3", field)
    assert fragment in error.message
    assert str(error).startswith(f"{FILE}: line 3")


def test_hostile_documents_name_the_file() -> None:
    with pytest.raises(InvalidInput, match="not UTF-8") as caught:
        read_ftm_parties(b'{"id": "\xff"}', file=FILE)
    assert caught.value.file == FILE
    with pytest.raises(InvalidInput, match="malformed JSON at line 2") as caught:
        read_ftm_parties('[\n{"id": }]', file=FILE)
    with pytest.raises(InvalidInput) as caught:
        read_ftm_parties(json.dumps([TRADER, {"id": "x", "schema": "Nope"}]), file=FILE)
    assert (caught.value.record, caught.value.field) == ("entity 1", "schema")


def test_round_trip_through_ftm_lines() -> None:
    parties = read_ftm_parties(lines(TRADER, OWNER, OWNERSHIP))
    text = parties_to_ftm_lines(parties)
    assert text.count("\n") == 3 and text.endswith("\n")
    assert json.loads(text.splitlines()[0])["caption"] == "Kivu Minerals SARL"
    assert read_ftm_parties(text) == parties
    assert parties_to_ftm_lines([]) == ""


def test_writer_refuses_parties_outside_the_ftm_model() -> None:
    party = Party(id="p-1", schema_name="Person", properties={"shoeSize": ("44",)})
    with pytest.raises(InvalidInput) as caught:
        parties_to_ftm_lines([party])
    assert (caught.value.record, caught.value.field) == ("p-1", "properties.shoeSize")


def test_looks_like_ftm() -> None:
    assert looks_like_ftm(TRADER)
    assert looks_like_ftm({"id": "x", "schema": "Ownership"})
    assert not looks_like_ftm({"id": "x", "schema": "Mine"})
    assert not looks_like_ftm({"type": "FeatureCollection", "features": []})
    assert not looks_like_ftm({"id": "x", "schema": "Person", "properties": []})


def test_read_ftm_file(tmp_path: Path) -> None:
    path = tmp_path / "parties.ftm.json"
    path.write_text(lines(TRADER, OWNER), encoding="utf-8")
    assert len(read_ftm_file(path)) == 2
    with pytest.raises(InvalidInput, match="cannot read the file") as caught:
        read_ftm_file(tmp_path / "absent.ftm.json")
    assert caught.value.file == str(tmp_path / "absent.ftm.json")


# --- real public files (../shared/data) --------------------------------------------------------


def ftm_files(shared_data: Path) -> list[Path]:
    files = sorted((shared_data / "screening" / "ftm").glob("*.ftm.json"))
    assert files, "no FtM fixtures in the shared data"
    return files


def test_every_shared_ftm_entity_parses_and_round_trips(shared_data: Path) -> None:
    schemata: set[str] = set()
    for path in ftm_files(shared_data):
        raw = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
        parties = read_ftm_file(path)
        assert [party.id for party in parties] == list(dict.fromkeys(e["id"] for e in raw))
        assert all(party.caption for party in parties)
        assert read_ftm_parties(parties_to_ftm_lines(parties)) == parties
        schemata.update(party.schema_name for party in parties)
    # Relationships are kept beside the parties they link.
    assert {"Ownership", "Directorship", "Family"} <= schemata


def test_shared_ftm_values_are_kept_as_published(shared_data: Path) -> None:
    # OpenSanctions data is already clean: apart from values that FtM's own type cleaning
    # refuses (a list of phone numbers in one string), every published value is kept as is.
    dropped = 0
    for path in ftm_files(shared_data):
        published = {}
        for line in path.read_text(encoding="utf-8").splitlines():
            if line:
                entity = json.loads(line)
                published[entity["id"]] = entity["properties"]
        for party in read_ftm_file(path):
            for name, values in published[party.id].items():
                kept = party.properties.get(name, ())
                assert set(kept) <= set(values)
                dropped += len(set(values) - set(kept))
    assert dropped == 1

"""Screening end to end: a sanctions list loaded, the workspace's parties screened by `assess`,
ownership through sanctioned owners, an analyst's decision kept, and `oresight screen`."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from oresight.store.database import open_workspace
from oresight.workflows.assess import stored_findings
from tests.cli.test_cli import invoke

# Fictional entries in the OFAC SDN legacy CSV layout: 12 columns, no header, -0- for null.
SDN_ROWS = [
    '9001,"KIVU GOLD TRADING SPRL",-0-,"DRCONGO",-0-,-0-,-0-,-0-,-0-,-0-,-0-,'
    '"Bukavu, Democratic Republic of the Congo; Registration ID 4411 (Congo)."',
    '9002,"MUKAMBA, Jean-Pierre","individual","DRCONGO",-0-,-0-,-0-,-0-,-0-,-0-,-0-,'
    '"DOB 12 Mar 1971; nationality Congo, Democratic Republic of the."',
    '9003,"OCEAN STAR SHIPPING LTD",-0-,"SDGT",-0-,-0-,-0-,-0-,-0-,-0-,-0-,-0-',
]


def _party(party_id: str, schema: str, **properties: list[str]) -> dict[str, Any]:
    return {"id": party_id, "schema": schema, "properties": properties}


PARTIES = [
    # A trader under a variant of a listed name (legal form spelled out, word order kept).
    _party("p-kivu", "Company", name=["Kivu Gold Trading"], country=["cd"]),
    # A front company 60 % owned by a listed person.
    _party("p-front", "Company", name=["Lwiro Minerals SARL"], country=["cd"]),
    _party("p-owner", "Person", name=["Jean-Pierre Mukamba"], birthDate=["1971-03-12"]),
    _party("own-1", "Ownership", owner=["p-owner"], asset=["p-front"], percentage=["60"]),
    # A clean smelter.
    _party("p-smelter", "Company", name=["Malaysia Smelting Corporation"], country=["my"]),
]


@pytest.fixture
def assessed(tmp_path: Path) -> Path:
    workspace = tmp_path / "ws"
    assert invoke("init", str(workspace)).exit_code == 0
    sdn = tmp_path / "sdn_2024-05-03.csv"
    sdn.write_bytes(("\r\n".join(SDN_ROWS) + "\r\n").encode("latin-1"))
    loaded = invoke("lists", "load", "-w", str(workspace), str(sdn))
    assert loaded.exit_code == 0, loaded.stderr
    parties = tmp_path / "parties.ftm.json"
    parties.write_text("".join(json.dumps(p) + "\n" for p in PARTIES), encoding="utf-8")
    assert invoke("ingest", "-w", str(workspace), str(parties)).exit_code == 0
    result = invoke("assess", "-w", str(workspace))
    assert result.exit_code == 0, result.stderr
    return workspace


def _findings(workspace: Path) -> dict[tuple[str, str], Any]:
    ws = open_workspace(workspace)
    try:
        found = stored_findings(ws)
    finally:
        ws.close()
    return {(f.code.value, f.subject.id): f for f in found}


def test_assess_screens_parties_and_their_owners(assessed: Path) -> None:
    found = _findings(assessed)
    assert set(found) == {
        ("PARTY.SANCTIONED", "p-kivu"),
        ("PARTY.SANCTIONED", "p-owner"),
        ("PARTY.SANCTIONED_OWNER", "p-front"),
    }
    kivu = found[("PARTY.SANCTIONED", "p-kivu")]
    entry = kivu.evidence[1]
    assert entry.id == "us_ofac_sdn:9001" and entry.data["programmes"] == ["DRCONGO"]
    assert "KIVU GOLD TRADING SPRL" in kivu.explanation and "threshold 0.70" in kivu.explanation
    front = found[("PARTY.SANCTIONED_OWNER", "p-front")]
    assert "60" in front.explanation and "Jean-Pierre Mukamba" in front.explanation
    assert front.evidence[0].data["status"] == "blocked"


def test_a_dismissed_match_is_not_raised_again_until_a_record_changes(
    assessed: Path, tmp_path: Path
) -> None:
    review = invoke(
        "review", "-w", str(assessed), "p-kivu", "us_ofac_sdn:9001", "--false-positive",
        "--note", "other company, other registration", "--by", "analyst",
    )  # fmt: skip
    assert review.exit_code == 0, review.stderr
    assert invoke("assess", "-w", str(assessed)).exit_code == 0
    assert ("PARTY.SANCTIONED", "p-kivu") not in _findings(assessed)
    # The party changes (a new country on record): the match is raised again.
    changed = tmp_path / "changed.ftm.json"
    moved = _party("p-kivu", "Company", name=["Kivu Gold Trading"], country=["cd", "rw"])
    changed.write_text(json.dumps(moved) + "\n", encoding="utf-8")
    assert invoke("ingest", "-w", str(assessed), str(changed)).exit_code == 0
    assert invoke("assess", "-w", str(assessed)).exit_code == 0
    assert ("PARTY.SANCTIONED", "p-kivu") in _findings(assessed)


def test_screen_explains_its_matches_and_review_names_bad_references(assessed: Path) -> None:
    result = invoke("screen", "-w", str(assessed), "Kivu Gold Trading Company", "--limit", "2")
    assert result.exit_code == 0, result.stderr
    text = re.sub(r"\s+", " ", result.stdout)
    assert "us_ofac_sdn:9001" in text and "KIVU GOLD TRADING SPRL" in text and "match" in text
    bad = invoke("review", "-w", str(assessed), "p-kivu", "9001")
    assert bad.exit_code == 2 and "LIST_ID:RECORD" in bad.stderr
    missing = invoke("review", "-w", str(assessed), "p-nobody", "us_ofac_sdn:9001")
    assert missing.exit_code == 2 and "p-nobody" in missing.stderr


def test_screen_without_lists_says_what_to_load(tmp_path: Path) -> None:
    workspace = tmp_path / "empty"
    assert invoke("init", str(workspace)).exit_code == 0
    result = invoke("screen", "-w", str(workspace), "Anyone")
    assert result.exit_code == 2 and "oresight lists load" in result.stderr


def test_known_name_words_need_no_lookup_in_rigours_database(
    assessed: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from oresight.screening.match import name_tokens

    cache = next((assessed / "cache").glob("name-symbols-rigour-*.json"))
    kept = json.loads(cache.read_text(encoding="utf-8"))
    # Every listed name's words were looked up when the list was loaded.
    assert {"mukamba", "jean", "pierre", "kivu", "ocean", "star"} <= set(kept)
    # A fresh process: nothing looked up yet, and the database must not be needed.
    monkeypatch.setattr(name_tokens, "_KNOWN_SYMBOLS", {})
    name_tokens.token_symbols.cache_clear()
    lookups: list[str] = []

    def counted(word: str) -> frozenset[str]:
        lookups.append(word)
        return frozenset()

    monkeypatch.setattr(name_tokens, "_lookup_symbols", counted)
    result = invoke("screen", "-w", str(assessed), "Pierre Jean Mukamba", "--schema", "Person")
    assert result.exit_code == 0, result.stderr
    assert "MUKAMBA, Jean-Pierre" in result.stdout
    assert lookups == []
    # A word never seen is looked up, and kept for the next run.
    result = invoke("screen", "-w", str(assessed), "Zebulon Mukamba", "--schema", "Person")
    assert result.exit_code == 0, result.stderr
    assert lookups == ["zebulon"]
    assert "zebulon" in json.loads(cache.read_text(encoding="utf-8"))


def test_a_cache_that_cannot_be_written_does_not_stop_screening(tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    assert invoke("init", str(workspace)).exit_code == 0
    (workspace / "cache").write_text("not a folder", encoding="utf-8")
    sdn = tmp_path / "sdn_2024-05-03.csv"
    sdn.write_bytes(("\r\n".join(SDN_ROWS) + "\r\n").encode("latin-1"))
    loaded = invoke("lists", "load", "-w", str(workspace), str(sdn))
    assert loaded.exit_code == 0, loaded.stderr
    result = invoke("screen", "-w", str(workspace), "Jean-Pierre Mukamba", "--schema", "Person")
    assert result.exit_code == 0, result.stderr
    assert "MUKAMBA, Jean-Pierre" in result.stdout
    assert (workspace / "cache").read_text(encoding="utf-8") == "not a folder"


def test_screen_shares_a_file_of_many_parties_among_workers(assessed: Path, tmp_path: Path) -> None:
    crowd = [_party(f"c{n}", "Company", name=[f"Zanzibar Clove Exporters {n}"]) for n in range(299)]
    listed = _party("c-listed", "Person", name=["Jean-Pierre Mukamba"])
    queries = tmp_path / "customers.ftm.json"
    queries.write_text("".join(json.dumps(p) + "\n" for p in [*crowd, listed]), encoding="utf-8")
    result = invoke("screen", "-w", str(assessed), str(queries), "--threshold", "0.7")
    assert result.exit_code == 0, result.stderr
    blocks = result.stdout.split("Zanzibar Clove Exporters")
    assert len(blocks) == 300  # every query answered, in order
    assert "MUKAMBA, Jean-Pierre" in result.stdout.split("Jean-Pierre Mukamba (Person)")[1]

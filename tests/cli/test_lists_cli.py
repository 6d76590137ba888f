"""`oresight lists load|show`: sanctions lists loaded by file, versioned, all or nothing."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from oresight.store.database import open_workspace
from oresight.workflows.screening import list_versions, screening_lists
from tests.cli.test_cli import invoke


def _plain(text: str) -> str:
    return re.sub(r"\s+", " ", text)


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    path = tmp_path / "ws"
    assert invoke("init", str(path)).exit_code == 0
    return path


@pytest.fixture
def ofac(shared_data: Path) -> Path:
    return shared_data / "screening" / "sanctions" / "ofac_sdn_2024-05-03.csv"


@pytest.fixture
def un(shared_data: Path) -> Path:
    return shared_data / "screening" / "sanctions" / "un_sc_consolidated_2018-10-29.xml"


def test_lists_load_show_and_reload(workspace: Path, ofac: Path, un: Path) -> None:
    result = invoke("lists", "load", "-w", str(workspace), str(ofac), str(un))
    assert result.exit_code == 0, result.stderr
    assert "new version" in result.stderr and "14,965" in result.stderr
    shown = invoke("lists", "show", "-w", str(workspace))
    assert shown.exit_code == 0
    assert "us_ofac_sdn" in shown.stdout and "2024-05-03" in shown.stdout
    assert "un_sc_consolidated" in shown.stdout and "1,093" in shown.stdout
    again = invoke("lists", "load", "-w", str(workspace), str(ofac))
    assert again.exit_code == 0 and "already loaded" in again.stderr
    ws = open_workspace(workspace)
    versions, current = list_versions(ws)
    lists = screening_lists(ws)
    ws.close()
    assert len(versions) == 2 and len(current) == 2
    drc = [e for e in lists.entries if "DRCONGO" in e.programmes]
    names = {name for e in drc for name in e.entity.get("name")}
    assert "CONGOCOM TRADING HOUSE" in names
    assert len(lists.entries) == 14_965 + 1_093


def test_a_bad_file_loads_nothing(workspace: Path, ofac: Path, tmp_path: Path) -> None:
    truncated = tmp_path / "un_truncated.xml"
    truncated.write_text('<?xml version="1.0"?>\n<CONSOLIDATED_LIST><INDIVIDUALS><INDIVIDUAL>')
    result = invoke("lists", "load", "-w", str(workspace), str(ofac), str(truncated))
    assert result.exit_code == 2
    assert "un_truncated.xml" in _plain(result.stderr) and "Traceback" not in result.stderr
    ws = open_workspace(workspace)
    versions, _ = list_versions(ws)
    ws.close()
    assert versions == []


def test_a_bad_date_and_an_empty_workspace_are_explained(workspace: Path, ofac: Path) -> None:
    shown = invoke("lists", "show", "-w", str(workspace))
    assert shown.exit_code == 0 and "No sanctions list loaded" in _plain(shown.stderr)
    bad = invoke("lists", "load", "-w", str(workspace), "--published", "3 May", str(ofac))
    assert bad.exit_code == 2 and "--published" in bad.stderr

"""The custody pillar's data-file reading: strict YAML and clear errors for the user's files."""

from __future__ import annotations

from pathlib import Path

import pytest

from oresight.core.errors import InvalidInput
from oresight.core.yaml_text import parse_yaml
from oresight.custody.data_files import read_text_file
from oresight.custody.travel_params import load_transport_modes


def test_a_key_given_twice_is_refused_with_its_line() -> None:
    with pytest.raises(
        InvalidInput, match=r"t\.yaml: not valid YAML at line 3.*'road' is given twice"
    ):
        parse_yaml("modes:\n  road: 1\n  road: 2\n", file="t.yaml")


def test_merged_keys_may_be_overridden() -> None:
    text = "base: &b {source: USGS, year: 2023}\nentry:\n  <<: *b\n  year: 2024\n"
    assert parse_yaml(text, file="t.yaml")["entry"] == {"source": "USGS", "year": 2024}


def test_user_files_that_cannot_be_read_are_named(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match=r"missing\.yaml: cannot read the file"):
        read_text_file(tmp_path / "missing.yaml")
    latin = tmp_path / "latin.yaml"
    latin.write_bytes("modes: {caf\u00e9: 1}".encode("latin-1"))
    with pytest.raises(InvalidInput, match=r"latin\.yaml: not UTF-8 text \(byte 11\)"):
        read_text_file(latin)
    bom = tmp_path / "bom.yaml"
    bom.write_bytes(b"\xef\xbb\xbfa: 1\n")
    assert read_text_file(bom) == "a: 1\n"


def test_a_speeds_table_with_a_repeated_mode_is_refused(tmp_path: Path) -> None:
    table = tmp_path / "speeds.yaml"
    table.write_text("modes:\n  road:\n    max_kmh: 90\n  road:\n    max_kmh: 900\n", "utf-8")
    with pytest.raises(InvalidInput, match="'road' is given twice"):
        load_transport_modes(table)
    with pytest.raises(InvalidInput, match="cannot read the file"):
        load_transport_modes(tmp_path / "none.yaml")

"""`oresight trade load|show|analyze`: files of every kind, all or nothing, findings out."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from oresight.store.database import open_workspace
from oresight.workflows.trade import loaded_files
from tests.cli.test_cli import invoke

COMTRADE = "trade/comtrade_cmm_data"


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    path = tmp_path / "ws"
    assert invoke("init", str(path)).exit_code == 0
    return path


def stored(workspace: Path) -> list[str]:
    ws = open_workspace(workspace)
    try:
        return [batch.file for batch in loaded_files(ws)]
    finally:
        ws.close()


def test_load_show_and_analyze_the_real_rows(workspace: Path, shared_data: Path) -> None:
    lithium = shared_data / COMTRADE / "lithium_trade_data.csv"
    usgs = shared_data / "trade/usgs_mcs2024_world/mcs2024-lithi_world.csv"
    loaded = invoke("trade", "load", "-w", str(workspace), str(lithium), str(usgs))
    assert loaded.exit_code == 0, loaded.stderr
    assert "175 of 175 rows kept" in loaded.stderr and "22 production rows" in loaded.stderr
    assert stored(workspace) == ["lithium_trade_data.csv", "mcs2024-lithi_world.csv"]
    again = invoke("trade", "load", "-w", str(workspace), str(lithium))
    assert "already loaded, skipped" in again.stderr
    shown = invoke("trade", "show", "-w", str(workspace))
    assert "lithium_trade_dat" in shown.stdout and "production" in shown.stdout
    assert "2020–2024" in shown.stdout and "175" in shown.stdout
    result = invoke(
        "trade", "analyze", "-w", str(workspace), "--hs", "2530", "--years", "2020-2024",
        "--format", "json",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    (gap,) = [f for f in document["findings"] if f["subject"]["id"] == "USA>CHN/253090"]
    assert gap["code"] == "TRADE.MIRROR_GAP" and "2020–2024" in gap["title"]
    # Australia's lithium exports have no fixed grade: a data gap, not a silent pass.
    assert any("lithium content" in g["missing"] for g in document["data_gaps"])


def test_severity_narrows_what_is_printed(workspace: Path, shared_data: Path) -> None:
    files = [
        str(path)
        for path in sorted((shared_data / COMTRADE).glob("*.csv"))
        if not path.name.startswith("heavy_ree")  # the same rows as light_ree
    ]
    assert invoke("trade", "load", "-w", str(workspace), *files).exit_code == 0
    every = json.loads(invoke("trade", "analyze", "-w", str(workspace), "-f", "json").stdout)
    high = invoke("trade", "analyze", "-w", str(workspace), "--severity", "high", "-f", "json")
    kept = json.loads(high.stdout)["findings"]
    assert kept and {f["severity"] for f in kept} == {"high"}
    assert (
        len(kept)
        == sum(f["severity"] == "high" for f in every["findings"])
        < len(every["findings"])
    )


def test_a_bad_file_loads_nothing(workspace: Path, shared_data: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    text = (shared_data / COMTRADE / "cobalt_trade_data.csv").read_text(encoding="utf-8")
    lines = text.splitlines()
    lines[3] = lines[3].replace(",C00,", ",C00,", 1)
    header = lines[0].split(",")
    cells = lines[3].split(",")
    cells[header.index("primaryValue")] = "lots"
    lines[3] = ",".join(cells)
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    good = shared_data / COMTRADE / "nickel_trade_data.csv"
    result = invoke("trade", "load", "-w", str(workspace), str(good), str(bad))
    assert result.exit_code == 2
    assert "bad.csv" in result.stderr and "primaryValue" in result.stderr
    assert "Traceback" not in result.stderr
    assert stored(workspace) == []


def test_files_given_together_that_repeat_flows_are_refused(
    workspace: Path, shared_data: Path
) -> None:
    light = shared_data / COMTRADE / "light_ree_trade_data.csv"
    heavy = shared_data / COMTRADE / "heavy_ree_trade_data.csv"  # the same rows
    result = invoke("trade", "load", "-w", str(workspace), str(light), str(heavy))
    assert result.exit_code == 2 and "given with it" in result.stderr
    assert stored(workspace) == []


def test_replace_supersedes_flows_of_another_file(
    workspace: Path, shared_data: Path, tmp_path: Path
) -> None:
    light = shared_data / COMTRADE / "light_ree_trade_data.csv"
    copy = tmp_path / "ree_revised.csv"
    shutil.copyfile(light, copy)
    with copy.open("a", encoding="utf-8") as handle:
        handle.write("\n")  # another file (digest), the same flows
    assert invoke("trade", "load", "-w", str(workspace), str(light)).exit_code == 0
    refused = invoke("trade", "load", "-w", str(workspace), str(copy))
    assert refused.exit_code == 2 and "--replace" in refused.stderr
    replaced = invoke("trade", "load", "-w", str(workspace), "--replace", str(copy))
    assert replaced.exit_code == 0, replaced.stderr
    assert "replaced" in replaced.stderr
    assert stored(workspace) == ["ree_revised.csv"]


def test_an_unknown_file_is_named_with_what_was_expected(workspace: Path, tmp_path: Path) -> None:
    odd = tmp_path / "odd.csv"
    odd.write_text("reporter;partner;value\nCOD;CHN;5\n", encoding="utf-8")
    result = invoke("trade", "load", "-w", str(workspace), str(odd))
    assert result.exit_code == 2
    assert "odd.csv" in result.stderr and "BACI" in result.stderr and "';'" in result.stderr


def test_analyze_without_data_says_what_to_do(workspace: Path) -> None:
    result = invoke("trade", "analyze", "-w", str(workspace))
    assert result.exit_code == 2 and "oresight trade load" in result.stderr


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--years", "2024-2020", "ends before it starts"),
        ("--years", "twenty", "expected a year"),
        ("--cif-fob", "3", "between 1 and 2"),
        ("--cif-fob-mode", "sea=1.05", "MODE=FACTOR"),
    ],
)
def test_bad_options_are_explained(
    workspace: Path, shared_data: Path, option: str, value: str, message: str
) -> None:
    lithium = shared_data / COMTRADE / "lithium_trade_data.csv"
    assert invoke("trade", "load", "-w", str(workspace), str(lithium)).exit_code == 0
    result = invoke("trade", "analyze", "-w", str(workspace), option, value)
    assert result.exit_code == 2 and message in result.stderr, result.stderr


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.filterwarnings("ignore::ResourceWarning")
def test_analyze_on_pyspark_gives_the_same_findings(workspace: Path, shared_data: Path) -> None:
    pytest.importorskip("pyspark", reason="the pyspark engine needs the spark extra")
    if shutil.which("java") is None:
        pytest.skip("PySpark needs a Java runtime (17)")
    lithium = shared_data / COMTRADE / "lithium_trade_data.csv"
    assert invoke("trade", "load", "-w", str(workspace), str(lithium)).exit_code == 0
    found = {}
    for engine in ("duckdb", "pyspark"):
        result = invoke(
            "trade", "analyze", "-w", str(workspace), "--engine", engine, "--format", "json"
        )
        assert result.exit_code == 0, result.stderr
        found[engine] = [f["id"] for f in json.loads(result.stdout)["findings"]]
    assert found["pyspark"] == found["duckdb"] and found["duckdb"]


def test_a_file_named_twice_is_loaded_once(workspace: Path, shared_data: Path) -> None:
    lithium = str(shared_data / COMTRADE / "lithium_trade_data.csv")
    result = invoke("trade", "load", "-w", str(workspace), lithium, lithium)
    assert result.exit_code == 0, result.stderr
    assert stored(workspace) == ["lithium_trade_data.csv"]

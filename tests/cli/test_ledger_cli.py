"""``oresight ledger`` end to end: submit, receipts, offline verification in a fresh process,
witnesses, audit of a tampered database, and ``ingest --ledger``."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest

from oresight.sim.demo import build_demo_world
from oresight.store.ledger_packing import pack_bundle, unpack_bundle
from tests.cli.test_cli import commissioning, epcis, invoke, write_json

PARTY = "demo-grands-lacs-minerais"


@pytest.fixture(scope="module")
def ledger_ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo workspace with every event in its ledger, receipts in ``receipts/``."""
    root = tmp_path_factory.mktemp("ledger")
    path = root / "ws"
    data = build_demo_world(root / "data")
    assert invoke("init", str(path)).exit_code == 0
    assert invoke("ingest", "-w", str(path), *map(str, data.files)).exit_code == 0
    assert invoke("assess", "-w", str(path)).exit_code == 0
    assert invoke("ledger", "init", "-w", str(path)).exit_code == 0
    assert invoke("ledger", "add-key", PARTY, "-w", str(path)).exit_code == 0
    result = invoke(
        "ledger",
        "submit",
        "-w",
        str(path),
        "--submitter",
        PARTY,
        "--receipts",
        str(path / "receipts"),
    )
    assert result.exit_code == 0, result.stderr
    events = sum(1 for _ in _demo_events(data.files))
    assert f"appended {events} event(s)" in " ".join(result.stderr.split())
    return path


def _demo_events(files: Iterable[Path]) -> Iterator[object]:
    """Every event of the demo's EPCIS documents."""
    for path in files:
        if path.suffix == ".jsonld":
            yield from json.loads(path.read_text(encoding="utf-8"))["epcisBody"]["eventList"]


def _run_fresh(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run ``python -m oresight`` in a new process, in a folder with no workspace."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ORESIGHT_")}
    return subprocess.run(
        [sys.executable, "-m", "oresight", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_receipt_verifies_offline_in_a_fresh_process(ledger_ws: Path, tmp_path: Path) -> None:
    receipt = sorted((ledger_ws / "receipts").iterdir())[0]
    (tmp_path / "bundle").write_bytes(receipt.read_bytes())
    (tmp_path / "log.pub").write_text((ledger_ws / "ledger" / "log.pub").read_text())
    (tmp_path / "parties.json").write_text((ledger_ws / "ledger" / "parties.json").read_text())
    done = _run_fresh(
        ["ledger", "verify-proof", "bundle", "--log-key", "log.pub", "--registry", "parties.json"],
        tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert "OK: entry" in done.stdout and "signature verified" in done.stdout
    assert not (tmp_path / "oresight-workspace").exists()


def test_a_wrong_key_or_a_damaged_bundle_is_refused(ledger_ws: Path, tmp_path: Path) -> None:
    receipt = sorted((ledger_ws / "receipts").iterdir())[0].read_bytes()
    other = tmp_path / "other"
    assert invoke("init", str(other)).exit_code == 0
    init = invoke("ledger", "init", "-w", str(other), "--origin", "oresight.local/ws")
    wrong_key = init.stdout.strip()
    bundle = tmp_path / "b"
    bundle.write_bytes(receipt)
    result = invoke("ledger", "verify-proof", str(bundle), "--log-key", wrong_key)
    assert result.exit_code == 2 and "checkpoint" in result.stderr
    log_key = (ledger_ws / "ledger" / "log.pub").read_text().strip()
    bundle.write_bytes(receipt[: len(receipt) // 2])
    truncated = invoke("ledger", "verify-proof", str(bundle), "--log-key", log_key)
    assert truncated.exit_code == 2 and "error" in truncated.stderr
    assert "Traceback" not in truncated.stderr


def test_submitting_again_adds_nothing(ledger_ws: Path) -> None:
    result = invoke("ledger", "submit", "-w", str(ledger_ws), "--submitter", PARTY)
    assert result.exit_code == 0 and "nothing new" in result.stderr


def test_witness_cosignatures_are_required_by_policy(ledger_ws: Path, tmp_path: Path) -> None:
    keys = []
    for name in ("witness-a.test", "witness-b.test"):
        made = invoke("ledger", "witness-key", name, "--out", str(tmp_path / name))
        assert made.exit_code == 0
        keys.append(made.stdout.strip())
    cosign = invoke(
        "ledger",
        "witness",
        "-w",
        str(ledger_ws),
        "--key",
        str(tmp_path / "witness-a.test"),
        "--state",
        str(tmp_path / "state-a.json"),
    )
    assert cosign.exit_code == 0, cosign.stderr
    event = json.loads(invoke("findings", "-w", str(ledger_ws), "-f", "json").stdout)["findings"][
        0
    ]["evidence"][0]["id"]
    bundle = tmp_path / "p"
    assert invoke("ledger", "proof", event, "-w", str(ledger_ws), "-o", str(bundle)).exit_code == 0
    log_key = (ledger_ws / "ledger" / "log.pub").read_text().strip()
    one = invoke(
        "ledger",
        "verify-proof",
        str(bundle),
        "--log-key",
        log_key,
        "--witness-key",
        keys[0],
        "--witness-key",
        keys[1],
        "--threshold",
        "1",
    )
    assert one.exit_code == 0, one.stderr
    assert "1 witness cosignature(s)" in " ".join(one.stdout.split())
    two = invoke(
        "ledger",
        "verify-proof",
        str(bundle),
        "--log-key",
        log_key,
        "--witness-key",
        keys[0],
        "--witness-key",
        keys[1],
    )
    assert two.exit_code == 2 and "witness" in two.stderr


def test_ingest_with_ledger_appends_the_new_events(ledger_ws: Path, tmp_path: Path) -> None:
    doc = write_json(tmp_path / "new.jsonld", epcis(commissioning("urn:uuid:new-1", "urn:lot:n")))
    result = invoke(
        "ingest",
        "-w",
        str(ledger_ws),
        str(doc),
        "--ledger",
        "--submitter",
        PARTY,
        "--receipts",
        str(tmp_path / "r"),
    )
    assert result.exit_code == 0, result.stderr
    assert [p.name for p in (tmp_path / "r").iterdir()] == ["urn_uuid_new-1.tlog-proof"]
    again = invoke("ingest", "-w", str(ledger_ws), str(doc), "--ledger", "--submitter", PARTY)
    assert again.exit_code == 0 and "nothing new" in again.stderr
    orphan = write_json(tmp_path / "o.jsonld", epcis(commissioning("urn:uuid:orphan", "urn:lot:o")))
    missing = invoke("ingest", "-w", str(ledger_ws), str(orphan), "--ledger")
    assert missing.exit_code == 2 and "--submitter" in missing.stderr
    assert "ingested" in missing.stderr and "oresight ledger submit" in missing.stderr


def test_audit_names_the_tampered_entry(tmp_path: Path) -> None:
    path = tmp_path / "ws"
    doc = write_json(
        tmp_path / "e.jsonld",
        epcis(*(commissioning(f"urn:uuid:t-{i}", f"urn:lot:{i}") for i in range(6))),
    )
    assert invoke("init", str(path)).exit_code == 0
    assert invoke("ledger", "init", "-w", str(path)).exit_code == 0
    assert invoke("ledger", "add-key", "demo-x", "-w", str(path)).exit_code == 0
    assert (
        invoke("ingest", "-w", str(path), str(doc), "--ledger", "--submitter", "demo-x").exit_code
        == 0
    )
    assert invoke("ledger", "audit", "-w", str(path)).exit_code == 0
    with sqlite3.connect(path / "oresight.db") as conn:
        count, blob = conn.execute("SELECT count, data FROM ledger_bundles").fetchone()
        keys, datas = unpack_bundle(blob, count, where="test")
        datas[3] = datas[3].replace(b"t-3", b"t-9")
        conn.execute("UPDATE ledger_bundles SET data = ?", (pack_bundle(keys, datas),))
    result = invoke("ledger", "audit", "-w", str(path))
    assert result.exit_code == 1
    assert "TAMPERED" in result.stdout and "3" in result.stdout.split("first:")[1]


def test_the_demo_puts_every_event_in_the_ledger_signed_by_its_owner(tmp_path: Path) -> None:
    path = tmp_path / "ws"
    result = invoke("demo", "-w", str(path))
    assert result.exit_code == 0, result.stderr
    log = invoke("ledger", "log", "-w", str(path), "--limit", "200")
    status = invoke("ledger", "status", "-w", str(path))
    events = sum(1 for _ in _demo_events((path / "demo-data" / "events").iterdir()))
    assert f"size {events}" in status.stdout
    parties = {line.split("│")[4].strip() for line in log.stdout.splitlines() if "urn:uuid" in line}
    assert len(parties) > 5  # many submitters, each with its own key
    proof = next((path / "ledger" / "proofs").iterdir())
    verified = invoke(
        "ledger",
        "verify-proof",
        str(proof),
        "--log-key",
        str(path / "ledger" / "log.pub"),
        "--registry",
        str(path / "ledger" / "parties.json"),
    )
    assert verified.exit_code == 0 and "signature verified" in verified.stdout
    assert invoke("ledger", "audit", "-w", str(path)).exit_code == 0


def test_a_remote_witness_cosigns_with_no_workspace(tmp_path: Path) -> None:
    operator = tmp_path / "operator"
    witness_dir = tmp_path / "witness"
    witness_dir.mkdir()
    assert invoke("init", str(operator)).exit_code == 0
    log_key = invoke("ledger", "init", "-w", str(operator)).stdout.strip()
    assert invoke("ledger", "add-key", "demo-x", "-w", str(operator)).exit_code == 0
    key = witness_dir / "w.key"
    public = invoke("ledger", "witness-key", "witness.test", "--out", str(key)).stdout.strip()
    state = witness_dir / "state.json"

    def round_trip(events: range, from_size: int) -> Any:
        doc = write_json(
            tmp_path / f"e{events.start}.jsonld",
            epcis(*(commissioning(f"urn:uuid:r-{i}", f"urn:lot:r{i}") for i in events)),
        )
        ingest = invoke(
            "ingest", "-w", str(operator), str(doc), "--ledger", "--submitter", "demo-x"
        )
        assert ingest.exit_code == 0, ingest.stderr
        request = tmp_path / "request"
        made = invoke(
            "ledger",
            "witness-request",
            "-w",
            str(operator),
            "--from",
            str(from_size),
            "-o",
            str(request),
        )
        assert made.exit_code == 0, made.stderr
        cosigned = witness_dir / "cosigned.note"
        return invoke(
            "ledger",
            "cosign",
            str(request),
            "--key",
            str(key),
            "--state",
            str(state),
            "--log-key",
            log_key,
            "-o",
            str(cosigned),
        ), cosigned

    first, cosigned = round_trip(range(3), 0)
    assert first.exit_code == 0, first.stderr
    assert invoke("ledger", "add-cosignature", str(cosigned), "-w", str(operator)).exit_code == 0
    stale, _ = round_trip(range(3, 8), 0)  # the proof must start where the witness stopped
    assert stale.exit_code == 2 and "--from 3" in " ".join(stale.stderr.split())
    second, cosigned = round_trip(range(8, 9), 3)
    assert second.exit_code == 0, second.stderr
    assert invoke("ledger", "add-cosignature", str(cosigned), "-w", str(operator)).exit_code == 0
    bundle = tmp_path / "p"
    assert (
        invoke("ledger", "proof", "urn:uuid:r-0", "-w", str(operator), "-o", str(bundle)).exit_code
        == 0
    )
    verified = invoke(
        "ledger", "verify-proof", str(bundle), "--log-key", log_key, "--witness-key", public
    )
    assert verified.exit_code == 0, verified.stderr
    assert "tree size 9, 1 witness cosignature(s)" in " ".join(verified.stdout.split())


def test_missing_files_are_bad_input_not_crashes(tmp_path: Path) -> None:
    nowhere = str(tmp_path / "nowhere")
    for args in (
        ["ledger", "verify-proof", nowhere, "--log-key", "x+00000000+AAAA"],
        ["ledger", "cosign", nowhere, "--key", nowhere, "--state", nowhere, "--log-key", "k"],
        ["ledger", "verify-proof", nowhere, "--log-key", "k", "--registry", nowhere],
    ):
        result = invoke(*args)
        assert result.exit_code == 2, (args, result.stderr)
        assert "nowhere" in result.stderr and "Traceback" not in result.stderr

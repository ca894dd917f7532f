"""``wattlab fl compare``: ledgers by phase, saving, JSON export, bad input exits 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest


def _wattlab(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "wattlab.cli", "fl", *args],
                          capture_output=True, text=True, timeout=300)


def test_compare_prints_phases_and_writes_json(tmp_path: Path) -> None:
    out = tmp_path / "ledgers.json"
    r = _wattlab("compare", "--clients", "4", "--windows", "50", "--rounds", "5", "--json",
                 str(out))
    assert r.returncode == 0, r.stderr
    assert "raw-upload" in r.stdout and "break-even" in r.stdout
    doc = json.loads(out.read_text())
    for side in ("central", "federated"):
        total = sum(e["energy_j"] for e in doc[side]["entries"])
        assert total == pytest.approx(doc[side]["total_j"], rel=1e-12)


@pytest.mark.parametrize(("args", "needle"), [
    (["--clients", "0"], "--clients"), (["--rounds", "0"], "--rounds"),
    (["--windows", "-5"], "--windows"), (["--radio", "wifi9"], "radio"),
    (["--central-upload", "zip"], "upload")])
def test_bad_input_exits_2_naming_the_field(args: list[str], needle: str) -> None:
    r = _wattlab("compare", *args)
    assert r.returncode == 2, r.stderr
    assert needle in r.stderr + r.stdout


def test_per_bit_only_drops_the_session_overheads(tmp_path: Path) -> None:
    full, bare = tmp_path / "full.json", tmp_path / "bare.json"
    base = ("compare", "--clients", "2", "--windows", "50", "--rounds", "3")
    assert _wattlab(*base, "--json", str(full)).returncode == 0
    assert _wattlab(*base, "--per-bit-only", "--json", str(bare)).returncode == 0
    phases = {e["phase"] for e in json.loads(full.read_text())["federated"]["entries"]}
    assert {"rrc-promotion", "rrc-tail", "listen", "uplink-retx"} <= phases
    bare_phases = {e["phase"] for e in json.loads(bare.read_text())["federated"]["entries"]}
    assert not bare_phases & {"rrc-promotion", "rrc-tail", "listen", "uplink-retx"}

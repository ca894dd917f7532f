"""`wattlab explore memory|cim|example`: outputs, resume, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from wattlab.commands.explore import app
from wattlab.errors import SpecError
from wattlab.explore import InfeasibleError

runner = CliRunner()

SMALL = """name = "small"
[dims]
me = { grid = [256, 512] }
clock = { grid = [1e9] }
onchip = { choice = ["sram_7nm_128mb", "sram3d"] }
onchip_mb = { grid = [128, 1024] }
offchip = { choice = ["hbm3", "lpddr5x"] }
units = { grid = [4, 16] }
devices = { grid = [1] }
"""


def test_memory_writes_outputs_and_resumes(tmp_path: Path) -> None:
    sp = tmp_path / "s.toml"
    sp.write_text(SMALL)
    out = tmp_path / "run"
    args = ["memory", "--space", str(sp), "--model", "llama-3.2-1b", "--phase", "prefill",
            "--out", str(out), "--backend", "serial", "--json"]
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    first = json.loads(res.output)
    assert first["summary"]["chunks_evaluated"] == 1 and first["front"]
    for f in ("results.csv", "front.csv", "pareto.png", "sensitivity.txt", "summary.json"):
        assert (out / f).exists(), f
    again = json.loads(runner.invoke(app, args).output)
    assert again["summary"]["chunks_resumed"] == 1 and again["summary"]["chunks_evaluated"] == 0
    assert again["front"] == first["front"]


def test_cim_table_and_example(tmp_path: Path) -> None:
    res = runner.invoke(app, ["example", "cim"])
    assert res.exit_code == 0 and "[dims]" in res.output
    sp = tmp_path / "c.toml"
    sp.write_text('[dims]\nal = { grid = [64, 256] }\npc = { grid = [16, 64] }\n'
                  'rows = { grid = [2, 8] }\ncols = { grid = [2, 8] }\n'
                  'interconnect = { choice = ["broadcast", "systolic"] }\n')
    res = runner.invoke(app, ["cim", "--space", str(sp), "--out", str(tmp_path / "c"),
                              "--constraint", "area budget: area_mm2 <= 100", "--backend", "serial"])
    assert res.exit_code == 0, res.output
    assert "Pareto front" in res.output and "interconnect" in res.output


def test_bad_input(tmp_path: Path) -> None:
    sp = tmp_path / "bad.toml"
    sp.write_text('[dims]\nme = { grid = [] }\n')
    res = runner.invoke(app, ["memory", "--space", str(sp), "--out", str(tmp_path / "x")])
    assert isinstance(res.exception, SpecError) and "me" in str(res.exception)
    sp.write_text(SMALL)
    res = runner.invoke(app, ["memory", "--space", str(sp), "--out", str(tmp_path / "y"),
                              "--constraint", "power cap: power_w <= 1", "--backend", "serial"])
    assert isinstance(res.exception, InfeasibleError) and "power cap" in str(res.exception)
    res = runner.invoke(app, ["memory", "--phase", "both", "--out", str(tmp_path / "z")])
    assert isinstance(res.exception, SpecError) and "phase" in str(res.exception)


def test_cim_model_bad_kind() -> None:
    res = runner.invoke(app, ["cim-model", "--cim", "optical"])
    assert isinstance(res.exception, SpecError) and "--cim" in str(res.exception)


@pytest.mark.slow
def test_cim_model_runs_minilm() -> None:
    pytest.importorskip("torch", reason="pip install 'wattlab[torch]'")
    res = runner.invoke(app, ["cim-model", "--model", "minilm", "--size", "1", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output[res.output.index('{"model"'):].splitlines()[0])
    assert out["on_substrate"] > 0.98 and out["energy_j"] > 0

"""`wattlab spiking convert|evaluate` on a user's own model file."""

from __future__ import annotations

import json

import pytest
import torch
from typer.testing import CliRunner

from wattlab.commands.spiking import app
from wattlab.errors import SpecError

runner = CliRunner()


@pytest.fixture
def user_model(tmp_path):
    torch.manual_seed(0)
    m = torch.nn.Sequential(torch.nn.Linear(20, 48), torch.nn.ReLU(), torch.nn.Linear(48, 5))
    path = tmp_path / "mlp.pt"
    torch.save(m, path)
    return path


def test_convert_user_model_json(user_model):
    res = runner.invoke(app, ["convert", "--model", str(user_model), "--input-dim", "20",
                              "--coding", "bitwise", "-T", "6", "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    s = data["summary"]
    assert s["layers"] == 2 and s["sops"] > 0 and s["energy_ann_j"] > 0
    assert "operations only" in s["boundary"]
    assert [r["layer"] for r in data["layers"]] == ["0", "2"]
    res = runner.invoke(app, ["convert", "--model", str(user_model), "--input-dim", "20",
                              "--boundary", "ops+memory", "--layers"])
    assert res.exit_code == 0 and "SRAM traffic" in res.output.replace("\n", " ")


def test_bad_input_names_the_argument(user_model, tmp_path):
    res = runner.invoke(app, ["convert", "--model", str(user_model), "--input-dim", "20",
                              "-T", "0"])
    assert res.exit_code == 2 and "--timesteps" in res.output  # click's range check
    cases = [(["--coding", "rate"], "--input-dim"),
             (["--input-dim", "20", "--granularity", "row"], "granularity"),
             (["--input-dim", "20", "--boundary", "all"], "boundary")]
    for args, word in cases:
        res = runner.invoke(app, ["convert", "--model", str(user_model), *args])
        assert isinstance(res.exception, SpecError), args
        assert word in str(res.exception)
    nolinear = tmp_path / "relu.pt"
    torch.save(torch.nn.Sequential(torch.nn.ReLU()), nolinear)
    res = runner.invoke(app, ["convert", "--model", str(nolinear), "--input-dim", "3"])
    assert isinstance(res.exception, SpecError) and "no torch.nn.Linear" in str(res.exception)
    res = runner.invoke(app, ["convert", "--model", str(tmp_path / "missing.pt")])
    assert isinstance(res.exception, SpecError)


def test_help_has_examples():
    for cmd in ("convert", "evaluate"):
        res = runner.invoke(app, [cmd, "--help"])
        assert res.exit_code == 0 and "Example: wattlab spiking" in res.output


def test_tiny_model_and_bounded_options():
    res = runner.invoke(app, ["convert", "--model", "tiny", "-T", "3", "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["summary"]["layers"] == 3
    res = runner.invoke(app, ["convert", "--model", "tiny", "-T", "100"])
    assert res.exit_code == 2 and "--timesteps" in res.output
    res = runner.invoke(app, ["evaluate", "-T", "99"])
    assert isinstance(res.exception, SpecError) and "--timesteps" in str(res.exception)

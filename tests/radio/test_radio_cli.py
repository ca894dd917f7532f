import pytest
from typer.testing import CliRunner

from wattlab.commands.radio import app, parse_range
from wattlab.errors import SpecError

runner = CliRunner()


def test_parse_range():
    assert parse_range("0:2:12", "ebn0").tolist() == [0, 2, 4, 6, 8, 10, 12]
    assert parse_range("1,5", "ebn0").tolist() == [1, 5]


@pytest.mark.parametrize("text", ["", "0:0:10", "a,b", "1:2", "nan"])
def test_parse_range_rejects(text):
    with pytest.raises(SpecError, match="ebn0"):
        parse_range(text, "ebn0")


def test_ber_command_prints_ci_and_theory():
    r = runner.invoke(app, ["ber", "--scheme", "bpsk", "--ebn0", "0,4", "--max-bits", "2e4"])
    assert r.exit_code == 0, r.output
    assert "95% CI" in r.output and "BPSK" in r.output


def test_energy_and_crossover_commands():
    r = runner.invoke(app, ["energy", "--scheme", "noisemod", "--distance", "1,10"])
    assert r.exit_code == 0 and "J" in r.output
    r = runner.invoke(app, ["crossover", "--carrier", "433e6,5.8e9"])
    assert r.exit_code == 0 and "433 MHz" in r.output


@pytest.mark.parametrize(
    "args, field",
    [
        (["ber", "--ebn0", ""], "ebn0"),
        (["ber", "--scheme", "sm-cim", "--n-tx", "3"], "n_tx"),
        (["ber", "--scheme", "cim", "--n-codes", "5"], "n_codes"),
        (["energy", "--distance", "0"], "distance"),
        (["energy", "--scheme", "wifi"], "scheme"),
    ],
)
def test_bad_input_is_a_spec_error(args, field):
    r = runner.invoke(app, args)
    assert isinstance(r.exception, SpecError) and field in str(r.exception)


def test_mounted_under_wattlab_and_bad_input_exits_2():
    import os
    import subprocess
    import sys
    from pathlib import Path

    src = str(Path(__file__).resolve().parents[2] / "src")
    env = {**os.environ, "PYTHONPATH": src}
    cmd = [sys.executable, "-m", "wattlab.cli", "radio", "energy", "--distance", "-1"]
    r = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    assert r.returncode == 2 and "distance" in r.stderr

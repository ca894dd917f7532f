import json

import pytest
from typer.testing import CliRunner

from wattlab.commands.fpga import app
from wattlab.errors import SpecError
from wattlab.substrates.fpga import vhdl

runner = CliRunner()


def test_lstm_prices_on_both_devices_json():
    res = runner.invoke(app, ["lstm", "--hidden", "4", "--period", "1 s", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert {r["policy"] for r in out["lifetime"]} >= {"on-off", "idle-waiting"}
    assert [r["device"] for r in out["pricing"]] == ["xc7s15", "ice40up5k"]
    assert out["spec"]["cycles_per_step"] == 4 * (5 + 1 + 2) + 2


@pytest.mark.skipif(vhdl.ghdl_path() is None, reason=vhdl.GHDL_HINT)
def test_lstm_simulates_and_writes_vhdl(tmp_path):
    res = runner.invoke(app, ["lstm", "--hidden", "3", "--simulate", "10", "--vhdl-out",
                              str(tmp_path), "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert out["simulation"]["mismatches"] == 0
    assert (tmp_path / "lstm_cell.vhd").exists() and (tmp_path / "lstm_tb.vhd").exists()


def test_missing_ghdl_is_exit_2_with_hint(monkeypatch):
    monkeypatch.setattr(vhdl, "ghdl_path", lambda: None)
    res = runner.invoke(app, ["lstm", "--hidden", "2", "--simulate", "5"])
    assert isinstance(res.exception, vhdl.GHDLMissingError)
    assert "apt-get install -y ghdl" in str(res.exception)


def test_bad_input_names_the_field():
    res = runner.invoke(app, ["lstm", "--bits", "4", "--frac", "4"])
    assert isinstance(res.exception, SpecError) and "frac_bits" in str(res.exception)
    res = runner.invoke(app, ["idle", "--p-idle", "10 mJ"])
    assert isinstance(res.exception, SpecError) and "--p-idle" in str(res.exception)
    res = runner.invoke(app, ["sensor", "--data", "sewer", "--no-simulate"])
    assert isinstance(res.exception, SpecError) and "--data" in str(res.exception)


def test_idle_crossover_and_policies():
    res = runner.invoke(app, ["idle", "--e-inf", "3.8 uJ", "--t-inf", "57 us", "--p-idle",
                              "10 mW", "--e-cfg", "5 mJ", "--t-cfg", "20 ms", "--period",
                              "40 ms,2 s", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert out["crossover_s"] == pytest.approx(57e-6 + 5e-3 / 10e-3)
    by = {(r["period_s"], r["policy"]): r["lifetime_h"] for r in out["rows"]}
    assert by[(0.04, "idle-waiting")] > by[(0.04, "on-off")]
    assert by[(2.0, "on-off")] > by[(2.0, "idle-waiting")]


def test_sensor_quick_search_json():
    pytest.importorskip("torch", reason="training the candidates needs torch")
    res = runner.invoke(app, ["sensor", "--layers", "1", "--neurons", "4,8", "--bits", "8",
                              "--steps", "15", "--samples", "300", "--no-simulate", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert len(out["candidates"]) == 2 and out["chosen"]["pareto"]
    assert {r["device"] for r in out["lifetime"]} == {"ice40up5k", "xc7s15"}


@pytest.mark.parametrize("argv,needle", [
    (["lstm", "--hidden", "0"], "hidden"),
    (["lstm", "--simulate", "100000"], "--simulate"),
    (["lstm", "--clock", "1e-320"], "--clock"),
    (["lstm", "--period", "nan"], "--period"),
    (["idle", "--budget", "inf"], "--budget"),
    (["idle", "--timeout", "-1"], "--timeout"),
    (["sensor", "--layers", "1000000", "--no-simulate"], "--layers"),
    (["sensor", "--target", "fpga9000", "--no-simulate"], "--target"),
])
def test_hostile_values_are_clear_errors(argv, needle):
    import contextlib
    import io

    from wattlab.cli import run

    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        rc = run(argv if argv[0] == "fpga" else ["fpga", *argv])
    assert rc == 2 and needle.strip("-") in err.getvalue()


def test_idle_never_prints_non_numbers():
    res = runner.invoke(app, ["idle", "--p-idle", "0", "--period", "1e-9,1"])
    assert res.exit_code == 0, res.output
    import re

    assert not re.search(r"\b(nan|-?inf)\b", res.output, re.IGNORECASE)
    assert "no crossover" in res.output and "infeasible" in res.output

"""`wattlab measure -- COMMAND` and the `measured` decorator (issue 18, part 1)."""

from __future__ import annotations

import csv
import json
import sys
import time
from pathlib import Path

import pytest

from wattlab.cli import run
from wattlab.errors import SpecError
from wattlab.measure import GridIntensity, MeterError, measure_command, measured

PY = sys.executable
SLEEP = [PY, "-c", "import time; time.sleep(0.2)"]

pytestmark = pytest.mark.filterwarnings("ignore")


def _no_rapl(tmp_path: Path) -> Path:
    return tmp_path / "no-powercap"


def test_real_short_command_gets_a_labelled_estimate(no_nvml, tmp_path):
    res = measure_command(SLEEP, "auto", rapl_root=_no_rapl(tmp_path))
    assert res.exit_code == 0 and res.complete
    (r,) = res.readings
    assert r.label.startswith("estimated:") and "children" in r.label
    assert r.time_s >= 0.2 and r.energy_j > 0 and r.complete


def test_estimate_counts_the_child_cpu_time(no_nvml, tmp_path):
    busy = [PY, "-c", "import time\nt=time.process_time()\nwhile time.process_time()-t<0.5: pass"]
    idle = measure_command(SLEEP, "estimate").readings[0]
    hot = measure_command(busy, "estimate").readings[0]

    def cpu_s(r):  # utilisation x wall x cores (cpu_2core): the CPU seconds the estimate saw
        return float(r.note.split()[-1]) * r.time_s * 2

    # a busy child's CPU time is counted (a loaded machine stretches its wall time, not this)
    assert cpu_s(hot) >= 0.45 > 0.3 > cpu_s(idle)


def test_fake_nvml_gpu_and_fake_rapl_tree(fake_nvml, rapl_tree, pc):
    fake_nvml(power_w=100.0)
    res = measure_command(SLEEP, ["gpu", "cpu"], rapl_root=rapl_tree, interval_s=0.05)
    by = {r.device: r for r in res.readings}
    assert by["gpu:0"].label == "measured:nvml"
    assert by["gpu:0"].mean_power_w == pytest.approx(100.0, rel=0.05)
    assert by["cpu:package-0"].label == "measured:rapl"
    assert res.complete and res.exit_code == 0


def test_failing_command_passes_exit_code_and_flags_incomplete(fake_nvml, tmp_path):
    fake_nvml(power_w=50.0)
    res = measure_command([PY, "-c", "import time, sys; time.sleep(0.1); sys.exit(7)"], "gpu",
                          rapl_root=_no_rapl(tmp_path))
    assert res.exit_code == 7 and not res.complete
    (r,) = res.readings
    assert not r.complete and "exited with code 7" in r.note
    assert r.energy_j == pytest.approx(50.0 * r.time_s, rel=0.05)  # energy up to that point


def test_killed_command_is_128_plus_signal(no_nvml):
    res = measure_command([PY, "-c", "import os, signal; os.kill(os.getpid(), signal.SIGTERM)"],
                          "estimate")
    assert res.exit_code == 128 + 15


@pytest.mark.parametrize("argv, needle", [([], "no command"), (["no-such-prog-xyz"], "not found"),
                                          ([""], "not a program")])
def test_bad_command_is_a_spec_error(argv, needle):
    with pytest.raises(SpecError, match=needle):
        measure_command(argv, "estimate")


def test_absent_device_is_an_error_before_the_command_runs(no_nvml, tmp_path):
    marker = tmp_path / "ran"
    with pytest.raises(MeterError, match="gpu"):
        measure_command([PY, "-c", f"open({str(marker)!r}, 'w')"], "gpu")
    assert not marker.exists()


def test_grid_intensity_from_registry_and_user():
    g = GridIntensity.default()
    assert g.evidence == "published" and "Ember" in g.source
    assert 100 < g.g_per_kwh < 1000
    assert g.grams(3.6e6) == pytest.approx(g.g_per_kwh)  # 1 kWh
    assert GridIntensity.given(56).evidence == "user"
    with pytest.raises(SpecError):
        GridIntensity.given(-1)


def test_decorator_meters_every_call_and_keeps_the_result(no_nvml):
    seen = []

    @measured(devices="estimate", on_done=seen.append)
    def work(x: int) -> int:
        time.sleep(0.02)
        return x * 2

    assert work(21) == 42
    assert work.last.readings[0].label.startswith("estimated:")
    assert work.last.time_s >= 0.02 and len(seen) == 1

    @measured
    def bare() -> str:
        return "ok"

    assert bare() == "ok" and bare.last is not None


def test_decorator_keeps_the_meter_when_the_function_raises(no_nvml):
    @measured(devices="estimate")
    def boom() -> None:
        raise ValueError("x")

    with pytest.raises(ValueError):
        boom()
    assert boom.last.readings  # energy up to the failure


# -- the CLI ----------------------------------------------------------------------------------

def test_cli_json_and_csv(no_nvml, tmp_path, capsys):
    out = tmp_path / "e.csv"
    rc = run(["measure", "--devices", "estimate", "--json", "--csv", str(out),
              "--grid-gco2-per-kwh", "100", "--", *SLEEP])
    assert rc == 0
    data = json.loads(capsys.readouterr().out)
    assert data["exit_code"] == 0 and data["grid"]["evidence"] == "user"
    r = data["readings"][0]
    assert r["label"].startswith("estimated:") and r["co2_g"] == pytest.approx(
        r["energy_j"] / 3.6e6 * 100)
    rows = list(csv.DictReader(out.open()))
    assert rows[0]["device"] == "cpu" and float(rows[0]["energy_j"]) > 0


def test_cli_passes_exit_code_through_and_says_incomplete(no_nvml, capsys):
    rc = run(["measure", "--devices", "estimate", "--", PY, "-c", "raise SystemExit(5)"])
    err = capsys.readouterr().err
    assert rc == 5 and "incomplete" in err and "estimated:" in err


@pytest.mark.parametrize("argv, needle", [
    (["measure"], "no command"),
    (["measure", "--", "no-such-prog-xyz"], "not found"),
    (["measure", "--devices", "gpu", "--", "true"], "gpu"),
    (["measure", "--devices", "tpu", "--", "true"], "tpu"),
    (["measure", "--interval", "0", "--", "true"], "--interval"),
    (["measure", "--grid-gco2-per-kwh", "nan", "--", "true"], "--grid-gco2-per-kwh"),
])
def test_cli_bad_input_is_exit_2(no_nvml, capsys, argv, needle):
    rc = run(argv)
    cap = capsys.readouterr()
    assert rc == 2 and needle in cap.out + cap.err
    assert "Traceback" not in cap.out + cap.err


def test_ctrl_c_is_passed_to_the_command_and_gives_130_with_readings(tmp_path):
    import os
    import signal
    import subprocess

    marker = tmp_path / "started"
    child = f"open({str(marker)!r}, 'w').close(); import time; time.sleep(60)"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(Path(__file__).resolve().parents[2] / "src"), os.environ.get("PYTHONPATH", "")]))
    proc = subprocess.Popen([PY, "-m", "wattlab", "measure", "--devices", "estimate", "--",
                             PY, "-c", child], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env)
    deadline = time.monotonic() + 120
    while not marker.exists() and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    assert marker.exists(), proc.communicate()
    proc.send_signal(signal.SIGINT)
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "incomplete" in err and "estimated:" in err and "resume" not in err

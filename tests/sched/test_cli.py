"""`wattlab sched simulate|generate`."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from wattlab.commands.sched import app
from wattlab.errors import SpecError

runner = CliRunner()


def flat(text: str) -> str:
    """Output with rich's line wrapping undone."""
    return " ".join(text.split())


def test_simulate_sample_all_policies(tmp_path: Path) -> None:
    out, png, acct = tmp_path / "r.json", tmp_path / "p.png", tmp_path / "acct"
    res = runner.invoke(app, ["simulate", "--policy", "all", "--json", str(out), "--plot", str(png),
                              "--sacct", str(acct)], terminal_width=200)
    assert res.exit_code == 0, res.output
    for name in ("fcfs-exclusive", "fcfs", "easy", "ecosched"):
        assert name in res.output
    doc = json.loads(out.read_text())
    assert set(doc["policies"]) == {"fcfs-exclusive", "fcfs", "easy", "ecosched"}
    for p in doc["policies"].values():
        assert p["ledger"]["job_gap"] == 0 and abs(p["ledger"]["energy_gap_rel"]) < 1e-9
        assert p["finished"] == 200
    assert png.stat().st_size > 1000


    rows = list(csv.DictReader((acct / "ecosched.csv").open()))
    assert len(rows) == 200 and {"JobID", "AllocTRES", "ConsumedEnergy"} <= set(rows[0])
    job_e = sum(float(r["ConsumedEnergy"]) for r in rows)
    led = doc["policies"]["ecosched"]["ledger"]
    assert job_e == pytest.approx(led["job_energy_j"], rel=1e-9)


def test_generate_then_replay_mixed_cluster(tmp_path: Path) -> None:
    trace = tmp_path / "t.csv"
    res = runner.invoke(app, ["generate", "--jobs", "60", "--nodes", "1xa100,1xv100", "--seed", "3",
                              "--out", str(trace)])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["simulate", "--trace", str(trace), "--nodes", "1xa100,1xv100",
                              "--policy", "fcfs,ecosched", "--no-interference"], terminal_width=200)
    assert res.exit_code == 0, res.output
    assert "A100" in flat(res.output) and "V100" in flat(res.output)


def test_swf_with_assigned_profiles_and_unrunnable(tmp_path: Path) -> None:
    swf = tmp_path / "t.swf"
    swf.write_text("1 0 0 100 4 -1 -1 4 -1 -1 1 1 1 7 1 -1 -1 -1\n"
                   "2 5 0 100 64 -1 -1 64 -1 -1 1 1 1 7 1 -1 -1 -1\n", encoding="utf-8")
    out = tmp_path / "r.json"
    res = runner.invoke(app, ["simulate", "--trace", str(swf), "--policy", "easy", "--json", str(out)],
                        terminal_width=200)
    assert res.exit_code == 0, res.output
    assert "assumed profile" in flat(res.output) and "unrunnable" in res.output
    doc = json.loads(out.read_text())
    assert doc["policies"]["easy"]["unrunnable"][0]["job"] == "2"


def test_user_scheduler(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "mypol.py").write_text(
        "from wattlab.systems.sched import Scheduler\n"
        "class Greedy(Scheduler):\n"
        "    name = 'greedy'\n"
        "    def schedule(self, view):\n"
        "        for j in view.waiting():\n"
        "            view.start(j, 1)\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    res = runner.invoke(app, ["simulate", "--policy", "fcfs", "--scheduler", "mypol:Greedy"],
                        terminal_width=200)
    assert res.exit_code == 0, res.output
    assert "greedy" in res.output
    sys.modules.pop("mypol", None)


def test_bad_input_is_a_spec_error(tmp_path: Path) -> None:
    res = runner.invoke(app, ["simulate", "--policy", "sjf"])
    assert isinstance(res.exception, SpecError) and "sjf" in str(res.exception)
    res = runner.invoke(app, ["simulate", "--nodes", "twoxh100"])
    assert isinstance(res.exception, SpecError)
    bad = tmp_path / "b.csv"
    bad.write_text("job_id,submit_s,gpus\na,0,1\n", encoding="utf-8")
    res = runner.invoke(app, ["simulate", "--trace", str(bad)])
    assert isinstance(res.exception, SpecError) and "runtime_s" in str(res.exception)
    res = runner.invoke(app, ["simulate", "--scheduler", "nope_mod:X"])
    assert isinstance(res.exception, SpecError)
    res = runner.invoke(app, ["simulate", "--column", "oops"])
    assert isinstance(res.exception, SpecError)


def test_help_has_an_example() -> None:
    for cmd in ("simulate", "generate"):
        res = runner.invoke(app, [cmd, "--help"], terminal_width=200)
        assert res.exit_code == 0 and "Example: wattlab sched" in flat(res.output)

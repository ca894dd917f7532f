import math
import os
import subprocess
import sys

import numpy as np
import pytest

from wattlab.params import default_registry
from wattlab.study import RunContext, all_studies


def wattlab(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": "src"}
    return subprocess.run([sys.executable, "-m", "wattlab.cli", "moe", *args], capture_output=True,
                          text=True, env=env, timeout=600)


@pytest.mark.parametrize("args, needle", [
    (["serve-sim", "--tiers", "0"], "capacity tier 0"),
    (["serve-sim", "--budget-gb", "0.001"], "smaller than one expert"),
    (["serve-sim", "--top-k", "200"], "top_k=200"),
    (["speculate", "--gamma", "0", "--model", "tiny"], "--gamma"),
])
def test_bad_input_exits_2_with_a_message(args, needle):
    r = wattlab(*args)
    assert r.returncode == 2, r.stderr
    assert needle in " ".join((r.stderr + r.stdout).split())


def test_serve_sim_prints_the_plans():
    r = wattlab("serve-sim", "--tokens", "1024", "--layers", "1")
    assert r.returncode == 0, r.stderr
    assert "npumoe" in r.stdout and "MODEL ONLY" in r.stdout


@pytest.mark.slow
def test_speculate_on_the_tiny_model_is_exact():
    r = wattlab("speculate", "--model", "tiny", "--gamma", "2", "--draft", "top1", "--tokens", "8")
    assert r.returncode == 0, r.stderr
    assert "True" in r.stdout and "energy/token" in r.stdout


@pytest.mark.parametrize("sid", ["npumoe.latency", "npumoe.energy"])
def test_npumoe_studies_run_and_label_the_model(sid):
    study = all_studies()[sid]
    out = study.run(RunContext("quick", np.random.default_rng(0), default_registry()))
    assert out.value is not None and math.isfinite(out.value) and out.value > 0
    assert any("MODEL ONLY" in n for n in out.notes)
    assert {r["baseline"] for r in out.tables["workloads"]} == {"gpu-only", "cpu-only"}


@pytest.mark.slow
def test_elmoe3d_studies_on_the_moefied_smollm2():
    pytest.importorskip("gguf", reason="loading the SmolLM2 GGUF needs gguf")
    for sid in ("elmoe3d.speedup", "elmoe3d.energy"):
        out = all_studies()[sid].run(RunContext("quick", np.random.default_rng(0), default_registry()))
        assert out.value is not None and out.value > 0
        assert all(r["identical_to_greedy"] for r in out.tables["measured_cpu"])

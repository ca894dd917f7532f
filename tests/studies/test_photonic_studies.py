"""The homodyne and LightMat-HP studies at quick scale (the model-based ones are marked slow)."""

from __future__ import annotations

import numpy as np
import pytest

from wattlab.params import default_registry
from wattlab.study import Outcome, RunContext, all_studies


def run(study_id: str) -> tuple[Outcome, str]:
    s = all_studies()[study_id]
    out = s.run(RunContext("quick", np.random.default_rng(0), default_registry()))
    return out, s.claim.judge(out.value)[0]


def test_throughput_identity_is_exact() -> None:
    out, verdict = run("homodyne-ptp.throughput")
    assert out.value == 1024.0  # 2 * 256 * 100 * 20e9 / 1e12, exactly
    assert verdict == "reproduced"
    pops = [r["formula_POPS"] for r in out.tables["throughput"]]
    assert pops[0] == pytest.approx(1.024) and pops[-1] == pytest.approx(6.5536)
    assert all(r["cost_model_POPS"] == pytest.approx(r["formula_POPS"])
               for r in out.tables["throughput"])


def test_tops_per_w_reports_its_boundary() -> None:
    out, _ = run("homodyne-ptp.tops-per-w")
    assert out.value is not None and 1 < out.value < 1e4
    by = [r["tops_per_w"] for r in out.tables["by_boundary"]]
    assert by == sorted(by)  # narrower boundary, higher TOPS/W
    assert "closest boundary" in " ".join(out.notes)
    assert "tops_per_w_sweep" in out.figures


def test_lightmat_exact_under_threshold() -> None:
    out, verdict = run("lightmat-hp.bit-exact")
    assert out.value == 0.0 and verdict == "reproduced"
    past = [r for r in out.tables["configs"] if not r["exact_condition"]]
    assert any(r["max_rel_err_vs_bfp"] > 0 for r in past)


@pytest.mark.parametrize("sid", ["lightmat-hp.energy-vs-digital", "lightmat-hp.latency-vs-digital"])
def test_lightmat_comparisons_mark_the_unchecked_source(sid: str) -> None:
    out, verdict = run(sid)
    assert out.value is not None and out.value > 0
    assert "UNCHECKED" in out.notes[0]
    assert verdict in ("reproduced", "trend-reproduced", "not-reproduced")


@pytest.mark.slow
def test_embedding_study_runs_on_the_real_model() -> None:
    pytest.importorskip("transformers", reason="needs the PyTorch bridge's models")
    out, verdict = run("homodyne-ptp.near-digital-embeddings")
    assert out.value is not None, out.needs
    assert -1.0 <= out.value <= 1.0
    assert verdict in ("reproduced", "not-reproduced")

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
    assert verdict == "reproduced"  # as arithmetic; the framework calls it an identity
    assert all_studies()["homodyne-ptp.throughput"].evidence == "identity"
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
    here, accuracy_point = out.tables["operating_points"]
    assert here["tops_per_w"] == out.value and accuracy_point["adc_bits"] == 12.0
    assert accuracy_point["tops_per_w"] < out.value / 10  # the mismatch the notes report
    assert any("NOT one operating point" in n for n in out.notes)


def test_lightmat_exactness_is_judged_on_the_noisy_homodyne_core() -> None:
    out, verdict = run("lightmat-hp.bit-exact")
    # at the priced point (2-bit slices, K_a=8, 3-bit DAC) nearly every word is wrong
    assert out.value == pytest.approx(0.9998, abs=0.001) and verdict == "not-reproduced"
    lo, hi = out.interval
    assert lo <= out.value <= hi and hi < 1.0
    one_bit = [r for r in out.tables["homodyne"] if r["slice_bits"] == 1]
    assert one_bit and one_bit[0]["wer"] == 0.0  # 1-bit slices survive the read noise
    sweep = out.tables["wer_vs_snr"]
    wer = [r["wer"] for r in sweep if r["slice_bits"] == 2]
    assert wer == sorted(wer) and wer[0] < 1e-3 < wer[-1]  # errors grow as the SNR falls
    past = [r for r in out.tables["configs"] if not r["exact_condition"]]
    assert any(r["max_rel_err_vs_bfp"] > 0 for r in past)


@pytest.mark.parametrize("sid", ["lightmat-hp.energy-vs-digital", "lightmat-hp.latency-vs-digital"])
def test_lightmat_comparisons_are_not_checkable_here(sid: str) -> None:
    out, verdict = run(sid)
    assert out.value is None and verdict == "not-checkable-here"
    assert "UNCHECKED" in out.notes[0] and "LLM-written summary" in out.needs
    assert all(r["energy_gain"] > 0 for r in out.tables["comparison"])


@pytest.mark.slow
def test_embedding_study_runs_on_the_real_model() -> None:
    pytest.importorskip("transformers", reason="needs the PyTorch bridge's models")
    out, verdict = run("homodyne-ptp.near-digital-embeddings")
    assert out.value is not None, out.needs
    assert -1.0 <= out.value <= 1.0
    assert verdict in ("reproduced", "not-reproduced")

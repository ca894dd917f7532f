"""The spiking studies at quick scale; the trained/model-based ones are marked slow."""

from __future__ import annotations

import numpy as np
import pytest

from wattlab.params import default_registry
from wattlab.study import Outcome, RunContext, all_studies

# seeded quick-scale values (CPU, torch 2.13, 1 thread); tolerances in the tests
ASN_ENERGY = 39.4   # % reduction vs the integer-ReLU twin, ops only
ASN_ACC = 0.67      # pp, ASN minus ANN on digits
MSTS = 1.0734       # allocated / uniform error at equal spikes
NEAR_FP16 = 532.6   # % perplexity gap at ternary bitwise T=4 (5-bit activations)


def run(study_id: str, params=None) -> tuple[Outcome, str]:
    s = all_studies()[study_id]
    out = s.run(RunContext("quick", np.random.default_rng(0), params or default_registry()))
    return out, s.assess(out).verdict


def test_hardware_studies_are_modelled_with_boundary_and_pinned():
    power, _v1 = run("spikemllm.power")
    thr, v2 = run("spikemllm.throughput")
    assert power.value == pytest.approx(25.0, rel=0.02)   # seeded quick value (assumptions)
    assert thr.value == pytest.approx(0.2154, rel=0.02)
    assert v2 == "not-reproduced"
    assert any("MODELLED" in n for n in power.notes)
    s = all_studies()["spikemllm.power"]
    assert "LPDDR5" in s.boundary and s.evidence == "modelled" and s.modelled is not None


def test_hardware_model_reads_its_assumptions():
    reg = default_registry()
    s = all_studies()["spikemllm.power"]
    ctx = RunContext("quick", np.random.default_rng(0), reg)
    base = s.modelled(ctx)
    hi = s.modelled(RunContext("quick", np.random.default_rng(0),
                               reg.with_value("spiking.firing_rate", 0.5, "test")))
    assert hi < base  # more spikes, more accelerator energy
    faster = all_studies()["spikemllm.throughput"].modelled(
        RunContext("quick", np.random.default_rng(0),
                   reg.with_value("spiking.acc_clock", 2e9, "test")))
    assert faster == pytest.approx(2 * all_studies()["spikemllm.throughput"].modelled(ctx),
                                   rel=1e-6)


def test_a_wattlab_import_error_is_a_bug_not_a_missing_package():
    from wattlab.studies.spiking import _needs_models

    with pytest.raises(ImportError):
        _needs_models(ModuleNotFoundError("x", name="wattlab.nothing"))
    out = _needs_models(ModuleNotFoundError("no torch", name="torch"))
    assert out.value is None and "pip install" in out.needs


@pytest.mark.slow
def test_asn_energy_prints_the_budget_and_is_pinned():
    pytest.importorskip("sklearn", reason="pip install 'wattlab[spiking]'")
    out, _verdict = run("asn.energy")
    assert any("0.358 spikes per neuron" in n for n in out.notes)
    assert out.value == pytest.approx(ASN_ENERGY, abs=5.0)
    assert {r["variant"] for r in out.tables["char_lm"]} == {"ann", "lif", "asn", "nasn"}
    lo, hi = out.interval  # over chunks of the evaluation text, which sum to the whole run
    assert lo < out.value < hi and hi - lo < 5.0


@pytest.mark.slow
def test_asn_accuracy_has_an_interval():
    pytest.importorskip("sklearn", reason="pip install 'wattlab[spiking]'")
    out, _ = run("asn.accuracy")
    assert out.interval is not None and out.interval[0] <= out.value <= out.interval[1]
    assert out.value == pytest.approx(ASN_ACC, abs=3.0)


@pytest.mark.slow
def test_msts_pinned():
    pytest.importorskip("sklearn", reason="pip install 'wattlab[spiking]'")
    out, _ = run("spikemllm.msts")
    if out.value is None:
        pytest.skip(out.needs)
    assert out.value == pytest.approx(MSTS, rel=0.05)
    assert any("No offline vision-language model" in n for n in out.notes)


@pytest.mark.slow
def test_near_fp16_pinned_with_interval():
    out, _verdict = run("spikemllm.near-fp16")
    if out.value is None:
        pytest.skip(out.needs)
    assert out.interval is not None
    assert out.value == pytest.approx(NEAR_FP16, rel=0.15)
    rows = {(r["coding"], r["T"]): r for r in out.tables["perplexity_vs_T"]}
    assert rows[("ternary_bitwise", 7)]["gap_pct"] < rows[("ternary_bitwise", 4)]["gap_pct"]

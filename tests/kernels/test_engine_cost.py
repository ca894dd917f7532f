import numpy as np
import pytest

from wattlab.errors import SpecError
from wattlab.kernels.engine_cost import (
    engine,
    gzkp_msm_cost,
    gzkp_ntt_cost,
    msm_cost,
    ntt_cost,
    ntt_work,
)
from wattlab.kernels.rns import RNSField
from wattlab.params import default_registry
from wattlab.study import RunContext, all_studies

P = default_registry()


def test_engine_rates_come_from_the_registry():
    e = engine(P, "tpu-v6e")
    u = P.value("zkp.matrix_engine.utilisation")
    assert e.int8_ops_per_s == pytest.approx(1836e12 * u)     # published 1836 TOPS per chip
    assert e.mem_bytes_per_s == pytest.approx(1638e9)         # 1638 GB/s, bits→bytes
    assert e.chips == 8
    with pytest.raises(SpecError, match="unknown engine"):
        engine(P, "tpu-v9")


def test_latency_is_the_max_over_units_and_work_scales():
    c = ntt_cost(P, "bls12-381", 16, batch=8)
    k = c.counts
    assert c.latency_s == pytest.approx(max(k["t_mxu_s"], k["t_vector_s"], k["t_memory_s"]))
    assert k["t_serial_s"] >= c.latency_s
    small, big = ntt_work(RNSField("bls12-381"), 12), ntt_work(RNSField("bls12-381"), 16)
    assert all(b > s for s, b in zip(small, big, strict=True))
    # MACs per element grow like the factor size (O(n·√n) total), unlike a butterfly's log n
    assert big[0] / 2**16 > small[0] / 2**12


def test_faster_vector_unit_never_slows_the_tpu_down():
    base = ntt_cost(P, "bls12-381", 16, batch=64).latency_s
    fast = P.with_value("dev.tpu_v6e.vector_ops_per_s", 4 * P.value("dev.tpu_v6e.vector_ops_per_s"),
                        "test")
    assert ntt_cost(fast, "bls12-381", 16, batch=64).latency_s <= base


def test_gpu_baseline_counts_butterflies():
    c = gzkp_ntt_cost(P, "bls12-381", 10)
    limbs = 8
    per_bfly = 2 * (2 * limbs**2 + limbs) + 4 * limbs
    assert c.counts["ops"] == 512 * 10 * per_bfly
    assert c.energy_total_j == pytest.approx(700 * c.latency_s)


def test_msm_costs_grow_with_points():
    a = msm_cost(P, "bls12-381-fq", 255, 12)
    b = msm_cost(P, "bls12-381-fq", 255, 14)
    assert b.latency_s > a.latency_s
    assert gzkp_msm_cost(P, "bls12-381-fq", 255, 14).latency_s > \
        gzkp_msm_cost(P, "bls12-381-fq", 255, 12).latency_s


@pytest.mark.parametrize("sid", ["morph.ntt-throughput-vs-gpu", "morph.msm-comparable-to-gpu",
                                 "morph.cpu-matrix-ntt-measured"])
def test_studies_run_quick(sid):
    study = all_studies()[sid]
    out = study.run(RunContext("quick", np.random.default_rng(0), P))
    assert out.value is not None and out.value > 0
    assert out.notes and out.tables
    verdict, _ = study.claim.judge(out.value)
    assert verdict in ("reproduced", "trend-reproduced", "not-reproduced")


@pytest.mark.parametrize("backend", ["numpy", "torch"])
@pytest.mark.parametrize("steps", [3, 5])
def test_modelled_mac_counts_equal_the_macs_the_kernels_issue(backend, steps):
    """The analytic counts (MatrixNTT.macs, used by the cost model) against the GEMM shapes the
    functional path really multiplies, for the float64 and the int8 kernels."""
    if backend == "torch":
        pytest.importorskip("torch", reason="the int8 GEMM backend needs torch")
    from wattlab.kernels.fields import BLS12_381_FR
    from wattlab.kernels.ntt import MatrixNTT

    plan = MatrixNTT(RNSField(BLS12_381_FR, backend=backend), 8, steps=steps)
    be, issued = plan.rns.backend, []
    inner = be.gemm

    def counting(c, a):
        groups = a.shape[0] if backend == "numpy" else c[0].shape[0]
        rows = c.shape[1] if backend == "numpy" else c[1].shape[1]
        issued.append(groups * rows * a.shape[1] * a.shape[2])
        return inner(c, a)

    x = plan.rns.to_rns(BLS12_381_FR.random(np.random.default_rng(0), (2, 256)))
    be.gemm = counting
    plan.forward(x)
    model = plan.macs(int8=backend == "torch")
    assert sum(issued) == 2 * (model["twiddle_gemm"] + model["crns_gemm"])

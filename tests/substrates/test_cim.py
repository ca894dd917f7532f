"""CIM substrates: exact digital CIM, analog CIM noise, macro configs, the array model, GEM3D."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wattlab.errors import SpecError
from wattlab.params import default_registry
from wattlab.substrates import Substrate
from wattlab.substrates.cim import (
    AnalogCimSubstrate,
    ArrayModel,
    DigitalCimSubstrate,
    Macro,
    analog_cim_int_gemm,
    digital_cim_int_gemm,
)
from wattlab.substrates.cim.gem3d import (
    Edram,
    ElementwiseUnit,
    Gem3dConstants,
    TransposeArray,
    measure_enob,
)
from wattlab.workloads.gemm import Gemm

REG = default_registry()
TRAN = Macro.from_registry("trancim", REG)


@settings(max_examples=25, deadline=None)
@given(m=st.integers(1, 9), k=st.integers(1, 70), n=st.integers(1, 11), ib=st.integers(2, 8),
       wb=st.integers(2, 8), seed=st.integers(0, 2**31 - 1))
def test_digital_cim_is_exact(m: int, k: int, n: int, ib: int, wb: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    a = rng.integers(-(1 << (ib - 1)), 1 << (ib - 1), (m, k))
    b = rng.integers(-(1 << (wb - 1)), 1 << (wb - 1), (k, n))
    assert np.array_equal(digital_cim_int_gemm(a, b, ib, wb), a @ b)
    assert np.array_equal(digital_cim_int_gemm(a, b, ib, wb, weight_planes=True), a @ b)


def test_digital_cim_rejects_out_of_range_and_bad_shapes() -> None:
    with pytest.raises(SpecError, match="8-bit"):
        digital_cim_int_gemm(np.array([[200]]), np.array([[1]]))
    with pytest.raises(SpecError, match="inner dimensions"):
        digital_cim_int_gemm(np.ones((2, 3), int), np.ones((4, 2), int))
    with pytest.raises(SpecError, match="integer"):
        digital_cim_int_gemm(np.ones((2, 3)), np.ones((3, 2), int))


def test_analog_cim_error_grows_with_noise_and_shrinks_with_adc_bits() -> None:
    rng = np.random.default_rng(0)
    a = rng.integers(-128, 128, (16, 256))
    b = rng.integers(-128, 128, (256, 32))
    ref = a @ b

    def err(**kw: float) -> float:
        out, _ = analog_cim_int_gemm(a, b, al=64, rng=np.random.default_rng(1), **kw)  # type: ignore[arg-type]
        return float(np.linalg.norm(out - ref) / np.linalg.norm(ref))

    assert err(adc_bits=12) < err(adc_bits=8) < err(adc_bits=5)
    assert err(adc_bits=8, noise_lsb=0.0) < err(adc_bits=8, noise_lsb=2.0)
    assert err(adc_bits=20) < 1e-3  # a fine ADC without noise reads the sums almost exactly


def test_substrates_satisfy_protocol_and_track_float_matmul() -> None:
    rng = np.random.default_rng(2)
    a, b = rng.standard_normal((8, 64)), rng.standard_normal((64, 16))
    for sub in (DigitalCimSubstrate(TRAN, REG), AnalogCimSubstrate(TRAN, REG, adc_bits=12, noise_lsb=0.5)):
        assert isinstance(sub, Substrate)
        out, cost = sub.matmul(a, b, rng=rng)
        rel = np.linalg.norm(out - a @ b) / np.linalg.norm(a @ b)
        assert rel < (0.02 if sub.name == "cim-digital" else 0.15)
        assert cost.energy_total_j > 0 and cost.latency_s > 0
        assert cost.counts["macs"] == 8 * 64 * 16
        # the functional path and the analytic path agree on the cost
        assert cost.energy_total_j == pytest.approx(sub.cost(Gemm(8, 64, 16)).energy_total_j)


def test_patch_runs_a_model_through_cim() -> None:
    torch = pytest.importorskip("torch", reason="pip install 'wattlab[torch]'")
    from wattlab.nn.patch import patch

    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(32, 64), torch.nn.ReLU(), torch.nn.Linear(64, 8))
    x = torch.randn(4, 32)
    ref = model(x).detach().numpy()
    with patch(model, DigitalCimSubstrate(TRAN, REG)) as h:
        out = model(x).detach().numpy()
    assert np.linalg.norm(out - ref) / np.linalg.norm(ref) < 0.05
    assert h.cost.energy_total_j > 0


def test_macro_from_cfg(tmp_path: Path) -> None:
    p = tmp_path / "fp.cfg"
    p.write_text("single_macro_al = 128\nsingle_macro_pc = 8\ninitial_scr = 8\nfrequency = 500\n"
                 "energy_efficiency = 19.5\narea = 0.146  # mm2\n")
    m = Macro.from_cfg(p)
    assert (m.al, m.pc, m.scr, m.freq, m.area_mm2) == (128, 8, 8, 500e6, 0.146)
    assert m == Macro.from_registry("fpcim", REG).__class__(**{**m.__dict__})
    p.write_text("single_macro_al = 0\nsingle_macro_pc = 8\nfrequency = 1\nenergy_efficiency = 1\narea = 1\n")
    with pytest.raises(SpecError, match="al"):
        Macro.from_cfg(p)
    p.write_text("single_macro_pc = 8\n")
    with pytest.raises(SpecError, match="single_macro_al"):
        Macro.from_cfg(p)


def _cols(**kw: object) -> dict[str, np.ndarray]:
    base: dict[str, object] = {"al": 256, "pc": 32, "scr": 1, "rows": 4, "cols": 4,
                               "interconnect": "systolic", "reduction": "tree"}
    base.update(kw)
    n = max(np.size(v) for v in base.values())
    return {k: (np.asarray(v) if np.size(v) > 1 else np.full(n, v)) for k, v in base.items()}


def test_array_cycles_match_closed_form_for_divisible_shapes() -> None:
    arr = ArrayModel(TRAN, REG)
    g = Gemm(16, 4 * 256 * 2, 4 * 32 * 3)  # 2 x 3 tiles exactly
    out = arr.gemm(_cols(interconnect="broadcast"), [g])
    assert out["utilization"][0] == pytest.approx(1.0)
    # weights do not fit (6 tiles > 1 set): each tile loads then computes, no overlap (scr = 1)
    t_cycle = 1 / TRAN.freq
    load = 4 * 256 * 4 * 32 * 8 / (REG.value("accelcim.weight_bw") * 16) * t_cycle
    comp = (16 * 8 + math.log2(4)) * t_cycle
    assert out["latency_s"][0] == pytest.approx(6 * (load + comp))


def test_systolic_fill_drain_and_broadcast_energy_scaling() -> None:
    arr = ArrayModel(TRAN, REG)
    g = Gemm(1, 256 * 8, 32 * 8)
    sides = np.array([2.0, 4, 8])
    s = arr.gemm(_cols(rows=sides, cols=sides), [g])
    b = arr.gemm(_cols(rows=sides, cols=sides, interconnect="broadcast"), [g])
    # systolic adds R + C - 2 cycles per tile over broadcast at the same clock
    tiles = np.ceil(2048 / (sides * 256)) * np.ceil(256 / (sides * 32))
    extra = (s["latency_s"] - b["latency_s"]) * TRAN.freq
    assert np.allclose(extra, tiles * (2 * sides - 2))
    # broadcast input energy per bit grows linearly with the row span C
    per_bit = b["e_input_j"] / (tiles * 8 * sides * 256)
    assert np.allclose(per_bit / sides, per_bit[0] / sides[0])


def test_reload_hidden_with_scr2_and_dominant_with_scr1() -> None:
    arr = ArrayModel(TRAN, REG)
    big = [Gemm(512, 4096, 4096)]
    one = arr.gemm(_cols(scr=1), big)
    two = arr.gemm(_cols(scr=2), big)
    assert two["latency_s"][0] < one["latency_s"][0]
    fit = [Gemm(512, 256, 32)]
    assert arr.gemm(_cols(), fit)["e_weight_load_j"][0] == 0  # resident: no reload


def test_gem3d_transpose_identities() -> None:
    k = Gem3dConstants.from_registry(REG)
    t = TransposeArray(32, k)
    x = np.random.default_rng(0).integers(0, 16, (32, 32))
    y, cost, cycles = t.transpose(x)
    assert np.array_equal(y, x.T) and cycles == 33
    assert cost.latency_s == pytest.approx(264e-9)
    assert cost.energy_total_j == pytest.approx(320.55e-9)
    assert cost.ops_per_s / 1e9 == pytest.approx(15.51, rel=1e-3)
    assert cost.ops_per_j / 1e9 == pytest.approx(12.77, rel=1e-3)
    assert 1 / ElementwiseUnit(k).cost(1).energy_total_j * 4 / 1e9 == pytest.approx(436.61)
    with pytest.raises(SpecError, match="4-bit"):
        t.transpose(x + 16)


def test_gem3d_enob_and_monotone_noise() -> None:
    rng = np.random.default_rng(3)
    assert measure_enob(ElementwiseUnit(), rng) == pytest.approx(4.78, abs=0.05)
    enobs = [measure_enob(ElementwiseUnit(noise_lsb=s), rng, 20_000) for s in (0.0, 1.0, 3.0, 6.0)]
    assert all(a > b for a, b in itertools.pairwise(enobs))
    a = rng.integers(0, 16, 1000)
    b = rng.integers(0, 16, 1000)
    prod, _ = ElementwiseUnit().hadamard(a, b, rng)
    assert np.mean(np.abs(prod - a * b)) < 5  # within a few 4-bit-product units


def test_edram_refresh() -> None:
    e = Edram()
    rng = np.random.default_rng(4)
    bits = rng.integers(0, 2, 50_000)
    ret = REG.value("gem3d.edram_retention")
    assert np.array_equal(e.hold(bits, 10 * ret, rng, refresh_s=ret / 10), bits)
    errs = [np.mean(e.hold(bits, w, rng) != bits) for w in (ret / 10, ret, 3 * ret)]
    assert errs[0] == 0 and errs[0] < errs[1] < errs[2]
    assert e.refresh_power(1024, 50e-6) > e.refresh_power(1024, 100e-6)


def test_substrate_settings_are_checked() -> None:
    with pytest.raises(SpecError, match="rows"):
        DigitalCimSubstrate(TRAN, REG, rows=0)
    with pytest.raises(SpecError, match="interconnect"):
        DigitalCimSubstrate(TRAN, REG, interconnect="mesh")
    with pytest.raises(SpecError, match="adc_bits"):
        AnalogCimSubstrate(TRAN, REG, adc_bits=0)
    with pytest.raises(SpecError, match="adc_gain"):
        AnalogCimSubstrate(TRAN, REG, adc_gain=0.5)

"""MemExplorer, AccelCIM and GEM3D-CIM studies: quick-scale seeded values pinned."""

from __future__ import annotations

import numpy as np
import pytest

from wattlab.params import default_registry
from wattlab.studies import accelcim, gem3d_cim, memexplorer
from wattlab.study import RunContext


def ctx(seed: int = 0) -> RunContext:
    return RunContext("quick", np.random.default_rng(seed), default_registry())


def _study(mod: object, sid: str):  # type: ignore[no-untyped-def]
    return next(s for s in mod.STUDIES if s.id == sid)  # type: ignore[attr-defined]


# pinned quick-scale values (model-only; tolerance 1 %: they move only when the model or the
# registry changes, and then this test should be updated deliberately)
MEMEXPLORER = {"memexplorer.prefill_vs_npu": 1.365, "memexplorer.prefill_vs_h100": 6.719,
               "memexplorer.decode_vs_npu": 1.489, "memexplorer.decode_vs_h100": 2.360}


@pytest.mark.parametrize(("sid", "value"), sorted(MEMEXPLORER.items()))
def test_memexplorer_ratios(sid: str, value: float) -> None:
    s = _study(memexplorer, sid)
    out = s.run(ctx())
    assert out.value == pytest.approx(value, rel=0.01)
    assert s.modelled(ctx()) == pytest.approx(out.value)
    assert out.tables["designs"]


def test_memexplorer_preference_and_flips() -> None:
    out = _study(memexplorer, "memexplorer.memory_preference").run(ctx())
    assert out.value == 1.0  # prefill -> 3D SRAM holds; decode -> LPDDR does not (HBM3E wins)
    flips = {r["entry"]: r["flips"] for r in out.tables["flips"]}
    assert flips["mem.sram3d.e_bit"] != "none in range"  # 3D SRAM loses once its energy is >= 4x
    joint = out.tables["decode_joint_scan"]
    assert joint[0]["memexplorer.uncore_static_power x1"] == "hbm3e"
    assert joint[1]["memexplorer.uncore_static_power x0.25"] == "lpddr5x"  # cheaper bits + less static


def test_accelcim_trends() -> None:
    sys = _study(accelcim, "accelcim.systolic_area_efficiency").run(ctx())
    assert sys.value == pytest.approx(1.218, rel=0.01)
    med = _study(accelcim, "accelcim.medium_macro").run(ctx())
    assert med.value == 1.0


@pytest.mark.parametrize(("sid", "value", "tol"), [
    ("gem3d.transpose_time", 264.0, 1e-9), ("gem3d.transpose_energy", 320.55, 1e-9),
    ("gem3d.transpose_gops", 15.515, 1e-3), ("gem3d.transpose_gops_per_w", 12.778, 1e-3),
    ("gem3d.elementwise_gops_per_w", 436.61, 1e-9)])
def test_gem3d_identities(sid: str, value: float, tol: float) -> None:
    assert _study(gem3d_cim, sid).run(ctx()).value == pytest.approx(value, rel=tol)


def test_gem3d_enob_interval() -> None:
    out = _study(gem3d_cim, "gem3d.adc_enob").run(ctx())
    assert out.interval is not None and out.interval[0] <= out.value <= out.interval[1]
    assert out.value == pytest.approx(4.78, abs=0.03)

"""Per-layer calibration through the bridge, and the patch factory's backwards compatibility."""

import pytest
import torch

from wattlab.errors import SpecError
from wattlab.nn.patch import patch
from wattlab.nn.spiking import SpikingConfig, convert
from wattlab.substrates.spiking import SpikingLinear


def _mlp():
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(16, 32), torch.nn.GELU(), torch.nn.Linear(32, 8),
                               torch.nn.Linear(8, 4))


def test_each_layer_calibrates_its_own_range():
    m = _mlp()
    x = torch.randn(64, 16) * 3
    ref = m(x)
    cfg = SpikingConfig(coding="ternary_bitwise", timesteps=7, granularity="tensor", skip=())
    with convert(m, cfg, [x]) as sm:
        subs = sm.layers
        assert set(subs) == {"0", "2", "3"}
        highs = {n: float(s.quantizer.hi) for n, s in subs.items()}
        assert len(set(highs.values())) == 3  # three different calibrated ranges
        out = m(x)
        rows = sm.table()
        assert {r["layer"] for r in rows} == {"0", "2", "3"}
        by = {r["layer"]: r for r in rows}
        assert by["0"]["saturated"] == 0  # the first layer sees exactly the calibration data
        # later layers see the upstream quantisation error too: a few values may leave range
        assert all(r["saturated_frac"] < 0.02 for r in rows)
        assert sm.summary()["ratio_ann_over_snn"] > 1
        assert "softmax" in sm.boundary
    assert float((out - ref).norm() / ref.norm()) < 0.05
    assert isinstance(m[0], torch.nn.Linear)  # restored


def test_saturation_counted_when_inputs_leave_the_calibrated_range():
    m = _mlp()
    cfg = SpikingConfig(coding="ternary_bitwise", timesteps=4, granularity="tensor", skip=())
    with convert(m, cfg, [torch.randn(32, 16)]) as sm:
        m(torch.randn(8, 16) * 10)
        assert sm.summary()["saturated"] > 0
        assert sm.layers["0"].quantizer.saturated > 0


def test_skip_keeps_layers_dense_and_bad_calibration_errors():
    m = _mlp()
    with convert(m, SpikingConfig(skip=("3",)), [torch.randn(4, 16)]) as sm:
        assert "3" not in sm.layers and isinstance(m[3], torch.nn.Linear)
    with pytest.raises(SpecError, match="calibration set is empty"):
        convert(m, SpikingConfig(), [])
    with pytest.raises(SpecError, match="layer '3'"):  # never reached by the calibration
        convert(m, SpikingConfig(granularity="tensor", skip=()),
                lambda model: model[:3](torch.randn(4, 16)))
    assert isinstance(m[0], torch.nn.Linear)  # a failed conversion restores the model
    with pytest.raises(SpecError, match=r"no torch\.nn\.Linear"):
        convert(torch.nn.Sequential(torch.nn.ReLU()), SpikingConfig(), [torch.randn(2, 3)])


def test_patch_factory_and_single_substrate_both_work():
    m = _mlp()
    x = torch.randn(5, 16)
    seen = []

    def factory(name, linear):
        seen.append((name, linear.in_features))
        return None if name == "2" else SpikingLinear(
            __import__("wattlab.substrates.spiking", fromlist=["Coding"]).Coding("rate", 64),
            granularity="token", name=name)

    with patch(m, factory) as h:
        m(x)
        assert set(h.substrates) == {"0", "3"} and set(h.layer_cost) == {"0", "3"}
        assert h.layer_cost["0"].counts["sops"] > 0
        assert isinstance(m[2], torch.nn.Linear)
    assert seen == [("0", 16), ("2", 32), ("3", 8)]
    from wattlab.substrates.spiking import Coding

    with patch(m, SpikingLinear(Coding("rate", 64), granularity="token")) as h:  # old style
        m(x)
        assert h.calls == 3 and len(h.substrates) == 3
    with pytest.raises(SpecError, match="returned None for all"):
        patch(m, lambda n, lin: None)

"""Central and FedAvg engines, planned ledgers, break-even arithmetic and links."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wattlab.errors import SpecError
from wattlab.params import Registry
from wattlab.systems.fl import (
    CLASSES,
    RADIOS,
    EnergyModel,
    FedSpec,
    FleetData,
    Link,
    ModelSpec,
    plan_central,
    plan_federated,
    radio_link,
    run_central,
    run_fedavg,
)
from wattlab.systems.fl.model import payload_bits
from wattlab.systems.fl.sweep import Affine, Comparison, compare


def _model(data: FleetData, hidden: int = 16, **kw: float) -> ModelSpec:
    return ModelSpec(data.n_features, len(CLASSES), hidden=hidden, **kw)  # type: ignore[arg-type]


def test_fedavg_learns_beyond_the_majority_class(fleet: FleetData,
                                                 energy: EnergyModel) -> None:
    res = run_fedavg(fleet, _model(fleet), FedSpec(rounds=25), energy, seed=1)
    majority = np.mean(fleet.y_test == np.bincount(fleet.y_test).argmax())
    assert len(res.accuracy) == 26
    assert res.final_accuracy > majority + 0.05


def test_one_client_full_batch_fedavg_equals_central_gd(fleet: FleetData,
                                                        energy: EnergyModel) -> None:
    """With one node, one local epoch and a full batch, FedAvg is centralised GD."""
    one = replace(fleet, x_train=fleet.x_train[:1], y_train=fleet.y_train[:1])
    model = _model(one, batch=one.y_train[0].size)
    fed = FedSpec(rounds=6, wire_dtype="float64")
    a, b = run_fedavg(one, model, fed, energy, 3), run_central(one, model, fed, energy, 3)
    for p, q in zip(a.params, b.params, strict=True):
        np.testing.assert_allclose(p, q, rtol=0, atol=1e-12)
    assert a.accuracy == b.accuracy


@pytest.mark.parametrize("hidden", [0, 16])
def test_run_ledgers_equal_planned_ledgers(fleet: FleetData, energy: EnergyModel,
                                           hidden: int) -> None:
    model, fed = _model(fleet, hidden), FedSpec(rounds=3)
    counts = [y.size for y in fleet.y_train]
    fl_run = run_fedavg(fleet, model, fed, energy, 0).ledger
    cl_run = run_central(fleet, model, fed, energy, 0).ledger
    fl_plan = plan_federated(counts, fleet.feature_flops_per_sample, fleet.n_features, model,
                             fed, energy)
    cl_plan = plan_central(counts, fleet.raw_bits_per_sample, fleet.feature_flops_per_sample,
                           fleet.n_features, model, fed, energy)
    assert fl_run.entries == fl_plan.entries
    assert cl_run.entries == cl_plan.entries


def test_bits_on_the_wire(fleet: FleetData, energy: EnergyModel) -> None:
    model, fed = _model(fleet), FedSpec(rounds=4)
    res = run_fedavg(fleet, model, fed, energy, 0)
    s = payload_bits([np.zeros(sh, np.float32) for sh in model.shapes])
    k = fleet.n_clients
    assert res.ledger.sum_of("bits", phase="uplink") == fed.rounds * k * s
    assert res.ledger.sum_of("bits", phase="downlink") == fed.rounds * k * s
    cl = run_central(fleet, model, fed, energy, 0).ledger
    raw = sum(y.size for y in fleet.y_train) * fleet.raw_bits_per_sample
    assert cl.sum_of("bits", phase="raw-upload") == raw
    assert math.isclose(cl.by("raw-upload" and "phase")["raw-upload"],
                        raw * energy.link.uplink_j(1.0), rel_tol=1e-12)


def test_affine_model_and_break_even_match_planned_ledgers(fleet: FleetData,
                                                          energy: EnergyModel) -> None:
    model, fed = _model(fleet, 64), FedSpec(rounds=20)
    cmp = compare(10, fleet.raw_bits_per_sample, fleet.feature_flops_per_sample,
                  fleet.n_features, model, fed, energy)

    def totals(v: int) -> tuple[float, float]:
        c = [v] * 10
        return (plan_central(c, fleet.raw_bits_per_sample, fleet.feature_flops_per_sample,
                             fleet.n_features, model, fed, energy).total_j,
                plan_federated(c, fleet.feature_flops_per_sample, fleet.n_features, model, fed,
                               energy).total_j)

    cl, fl = totals(137)
    assert cmp.central(137) == pytest.approx(cl, rel=1e-12)
    assert cmp.federated(137) == pytest.approx(fl, rel=1e-12)
    v_star = cmp.break_even
    assert 1 < v_star < 1e6
    below, above = totals(math.floor(v_star)), totals(math.ceil(v_star) + 1)
    assert below[1] > below[0] and above[1] < above[0]


@settings(max_examples=60, deadline=None)
@given(a_cl=st.floats(0, 10), b_cl=st.floats(0.01, 10), a_fl=st.floats(0.01, 100),
       b_fl=st.floats(0, 10), target=st.floats(0, 0.99))
def test_volume_for_is_the_smallest_volume_reaching_the_saving(
        a_cl: float, b_cl: float, a_fl: float, b_fl: float, target: float) -> None:
    cmp = Comparison(Affine(a_cl, b_cl), Affine(a_fl, b_fl))
    v = cmp.volume_for(target)
    if math.isinf(v):
        assert cmp.saving(1e12) < target + 1e-9
    else:
        assert cmp.saving(v) >= target - 1e-9
        if v > 1e-9:
            assert cmp.saving(v * (1 - 1e-6)) < target + 1e-9


def test_links(params: Registry) -> None:
    assert Link("f", 2e-9, 1e-9).uplink_j(10) == pytest.approx(2e-8)
    assert Link("c", lambda bits: 3.0 * bits, 0.0).uplink_j(2) == 6.0
    with pytest.raises(SpecError, match="uplink"):
        Link("bad", -1.0, 0.0).uplink_j(1)
    with pytest.raises(SpecError, match="radio"):
        radio_link("wifi7", params)
    lte = radio_link("lte", params)
    # Huang et al. 2012: alpha_u + beta / 6 Mbps = 438.39 nJ + 214.67 nJ per bit (±0.1%)
    assert lte.uplink_j(1.0) == pytest.approx(653.06e-9, rel=1e-3)
    per_bit = {r: radio_link(r, params).uplink_j(1.0) for r in RADIOS}
    assert per_bit["nbiot"] > per_bit["ltem"] > per_bit["lte"]


def test_bad_schedules_and_volumes(fleet: FleetData, energy: EnergyModel) -> None:
    with pytest.raises(SpecError, match="rounds"):
        FedSpec(rounds=0)
    with pytest.raises(SpecError, match="local_epochs"):
        FedSpec(local_epochs=0)
    model = _model(fleet)
    with pytest.raises(SpecError, match="n_per_client"):
        plan_federated([], 1.0, fleet.n_features, model, FedSpec(), energy)
    with pytest.raises(SpecError, match="n_per_client"):
        plan_central([10, -3], 1.0, 1.0, fleet.n_features, model, FedSpec(), energy)
    with pytest.raises(SpecError, match="n_clients"):
        compare(0, 1.0, 1.0, fleet.n_features, model, FedSpec(), energy)
    cmp = compare(2, 1.0, 1.0, fleet.n_features, model, FedSpec(), energy)
    with pytest.raises(SpecError, match="samples_per_client"):
        cmp.saving(-1.0)


def test_central_feature_upload_variant(fleet: FleetData, energy: EnergyModel) -> None:
    model, fed = _model(fleet), FedSpec(rounds=3)
    counts = [y.size for y in fleet.y_train]
    led = plan_central(counts, fleet.raw_bits_per_sample, fleet.feature_flops_per_sample,
                       fleet.n_features, model, fed, energy, upload="features")
    assert led.sum_of("bits", phase="feature-upload") == sum(counts) * fleet.n_features * 32
    assert led.sum_of("flops", phase="client-features") == (
        sum(counts) * fleet.feature_flops_per_sample)
    assert "server-features" not in led.by("phase") and "raw-upload" not in led.by("phase")
    with pytest.raises(SpecError, match="upload"):
        plan_central(counts, 1.0, 1.0, fleet.n_features, model, fed, energy, upload="zip")

"""The Flower simulation gives the NumPy engine's global model, accuracy and ledger."""

from __future__ import annotations

import numpy as np
import pytest

from wattlab.systems.fl import CLASSES, EnergyModel, FedSpec, FleetData, ModelSpec, run_fedavg


@pytest.mark.slow
def test_flower_matches_numpy_fedavg(fleet: FleetData, energy: EnergyModel) -> None:
    pytest.importorskip("flwr", reason="flwr[simulation] is optional (extra 'fl')")
    from wattlab.systems.fl.flower import run_flower

    model = ModelSpec(fleet.n_features, len(CLASSES), hidden=16)
    fed = FedSpec(rounds=5)
    assert fleet.n_clients >= 10
    ref = run_fedavg(fleet, model, fed, energy, seed=5)
    got = run_flower(fleet, model, fed, energy, seed=5)
    # Same data, seeds and local training; Flower averages the float32 updates in float32 and
    # in reply order, the NumPy engine in float64: parameters agree to float32 rounding.
    for a, b in zip(ref.params, got.params, strict=True):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-5)
    np.testing.assert_allclose(ref.accuracy, got.accuracy, atol=0.01)  # ≤ 1 of 200 test windows
    assert got.ledger.total_j == pytest.approx(ref.ledger.total_j, rel=1e-12)
    assert sorted(got.ledger.by("phase")) == sorted(ref.ledger.by("phase"))

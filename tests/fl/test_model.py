"""The NumPy classifier: gradients, training, payload counting, bad input."""

from __future__ import annotations

import numpy as np
import pytest

from wattlab.errors import SpecError
from wattlab.systems.fl.model import (
    ModelSpec,
    _grads,
    accuracy,
    init_params,
    local_train,
    payload_bits,
)


def _loss(params: list[np.ndarray], x: np.ndarray, y: np.ndarray, decay: float) -> float:
    from wattlab.systems.fl.model import logits

    z = logits(params, x)
    z = z - z.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    reg = 0.5 * decay * sum(float((w**2).sum()) for w in params[::2])
    return float(-logp[np.arange(y.size), y].mean()) + reg


@pytest.mark.parametrize("hidden", [0, 5])
def test_gradients_match_finite_differences(hidden: int) -> None:
    rng = np.random.default_rng(0)
    spec = ModelSpec(4, 3, hidden=hidden, weight_decay=0.01)
    params = init_params(spec, rng)
    x, y = rng.normal(size=(7, 4)), rng.integers(0, 3, 7)
    grads = _grads(params, x, y, spec.weight_decay)
    eps = 1e-6
    for p, g in zip(params, grads, strict=True):
        for idx in list(np.ndindex(p.shape))[:6]:
            old = p[idx]
            p[idx] = old + eps
            up = _loss(params, x, y, spec.weight_decay)
            p[idx] = old - eps
            down = _loss(params, x, y, spec.weight_decay)
            p[idx] = old
            assert g[idx] == pytest.approx((up - down) / (2 * eps), abs=1e-6)


def test_training_learns_a_separable_problem() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(400, 2))
    y = (x[:, 0] + x[:, 1] > 0).astype(int)
    spec = ModelSpec(2, 2, hidden=8)
    start = init_params(spec, rng)
    trained = local_train(start, x, y, spec, 20, np.random.default_rng(2))
    assert accuracy(trained, x, y) > 0.95
    assert accuracy(start, x, y) < accuracy(trained, x, y)


def test_param_count_and_flops() -> None:
    spec = ModelSpec(26, 4, hidden=32)
    assert spec.n_params == sum(p.size for p in init_params(spec, np.random.default_rng(0)))
    assert spec.n_params == 26 * 32 + 32 + 32 * 4 + 4
    assert spec.train_flops_per_sample == 6 * (26 * 32 + 32 * 4)


def test_payload_counts_header_and_data() -> None:
    arrays = [np.zeros((10, 3), np.float32), np.zeros(3, np.float32)]
    bits = payload_bits(arrays)
    data_bits = 8 * sum(a.nbytes for a in arrays)
    assert data_bits < bits < data_bits + 8 * 2 * 256  # .npy header ≤ 256 B per array
    assert payload_bits([a.astype(np.float64) for a in arrays]) > bits


def test_payload_matches_flower_count_bytes() -> None:
    flwr_app = pytest.importorskip("flwr.app", reason="flwr is optional (extra 'fl')")
    arrays = [np.ones((26, 32), np.float32), np.ones(32, np.float32)]
    assert payload_bits(arrays) == 8 * flwr_app.ArrayRecord(arrays).count_bytes()


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"hidden": -1}, "hidden"), ({"lr": 0.0}, "lr"), ({"batch": 0}, "batch"),
    ({"n_features": 0}, "n_features")])
def test_bad_model_spec(kwargs: dict[str, float], field: str) -> None:
    base: dict[str, float] = {"n_features": 4, "n_classes": 2}
    with pytest.raises(SpecError, match=field):
        ModelSpec(**{**base, **kwargs})  # type: ignore[arg-type]

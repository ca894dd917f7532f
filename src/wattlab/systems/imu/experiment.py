"""End-to-end IMU experiments: train and evaluate on synthetic rooms, BasicMotions accuracy, and
the accuracy-vs-energy trade-off over the number of IMUs and the sampling rate."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from wattlab.params import Registry, default_registry
from wattlab.systems.imu.data import basic_motions
from wattlab.systems.imu.energy import camera_pipeline, imu_pipeline, ratio
from wattlab.systems.imu.model import (
    Evaluation,
    ModelSpec,
    TrainedModel,
    classify,
    evaluate,
    sequence_tokens,
    train,
    train_classifier,
)
from wattlab.systems.imu.synth import SENSOR_SETS, dataset


@dataclass
class RunResult:
    model: TrainedModel
    evaluation: Evaluation
    macs: int


def run(n_imus: int, rate: float, rng: np.random.Generator, *, n_train: int = 120,
        n_test: int = 40, duration: float = 12.0, spec: ModelSpec | None = None,
        params: Registry | None = None) -> RunResult:
    """Synthesize rooms, train on ``n_imus`` IMUs at ``rate`` Hz, evaluate on fresh rooms."""
    reg = params or default_registry()
    spec = spec or ModelSpec()
    g = reg.value("phys.standard_gravity")
    tr = dataset(n_train, rng, duration, rate, reg)
    te = dataset(n_test, rng, duration, rate, reg)
    m = train(tr, SENSOR_SETS[n_imus], g, spec)
    prior = np.stack([s.layout for s in tr]).mean(0)
    ev = evaluate(m, te, g, prior)
    return RunResult(m, ev, m.macs(sequence_tokens(duration, spec.patch_s)))


def tradeoff(rng: np.random.Generator, device: str, imus: tuple[int, ...] = (1, 2, 3),
             rates: tuple[float, ...] = (100.0, 50.0, 25.0), *, n_train: int = 120,
             n_test: int = 40, duration: float = 12.0, spec: ModelSpec | None = None,
             params: Registry | None = None) -> list[dict[str, Any]]:
    """Root-ATE, layout IoU and energy per hour for each (number of IMUs, rate)."""
    reg = params or default_registry()
    cam = camera_pipeline(device, reg)
    rows = []
    for n in imus:
        for r in rates:
            res = run(n, r, rng, n_train=n_train, n_test=n_test, duration=duration, spec=spec,
                      params=reg)
            e = imu_pipeline(device, n, r, res.macs, res.model.n_params, reg)
            rows.append({"imus": n, "sensors": "+".join(SENSOR_SETS[n]), "rate_hz": r,
                         "root_ate_m": round(res.evaluation.ate_m, 3),
                         "floor_iou": round(res.evaluation.iou["floor"], 3),
                         "furniture_iou": round(res.evaluation.iou["furniture"], 3),
                         "energy_j_per_h": round(e.total_j, 2),
                         "camera_over_imu": round(ratio(cam, e), 1)})
    return rows


def basic_motions_accuracy(spec: ModelSpec | None = None) -> dict[str, Any] | None:
    """Activity accuracy of the transformer encoder on BasicMotions (None when no package ships it)."""
    bm = basic_motions()
    if bm is None:
        return None
    spec = spec or ModelSpec(epochs=60, batch=8)
    net, mu, sd = train_classifier(bm.x_train, bm.y_train, len(bm.classes), spec)
    pred = classify(net, mu, sd, bm.x_test)
    acc = float(np.mean(pred == bm.y_test))
    return {"accuracy": acc, "n_test": int(bm.y_test.size), "classes": bm.classes,
            "source": bm.source}

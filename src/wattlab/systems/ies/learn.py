"""Forecasters of PV, building electricity, heat, cooling and IT load: trained by mean squared
error (predict-then-optimise, PTO) or end-to-end through the dispatch (decision-focused, DFL).

The forecaster is a small per-step MLP on calendar and weather-forecast features. DFL starts
from the PTO weights and minimises the *realised cost* of the plan its forecasts produce: the
day-ahead LP is a differentiable layer (``cvxpylayers``), with a small quadratic smoothing term
on the plan (Wilder et al. 2019, a stated choice: an LP's solution is piecewise constant in its
parameters, so its exact gradient is zero almost everywhere), and the realised cost is the
recourse settlement of :func:`wattlab.systems.ies.dispatch.realised_cost`. Evaluation always
re-solves the exact LP (HiGHS) on the forecasts.

The SPO+ surrogate applies to uncertainty in an LP's *cost vector*; here the uncertain loads
sit in the constraints' right-hand sides, so SPO+ does not apply and DFL needs cvxpylayers
(``pip install 'wattlab[ies]'``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from wattlab.errors import MissingDependencyError, SpecError
from wattlab.systems.ies.dispatch import _KW, _KWH, PLAN_VARS, _cached, realised_cost, solve
from wattlab.systems.ies.plant import Plant
from wattlab.systems.ies.profiles import N_FEATURES, TARGETS, Day, check_finite


@dataclass(frozen=True)
class TrainSpec:
    """Training settings (optimiser choices, not physical quantities)."""

    hidden: int = 32
    pto_epochs: int = 400
    pto_lr: float = 1e-2
    dfl_epochs: int = 6
    dfl_lr: float = 3e-3
    batch: int = 8
    smoothing: float = 0.05
    seed: int = 0


@dataclass
class Result:
    """Realised cost (USD per day, mean over test days) of each method, and the gains."""

    costs: dict[str, float]
    per_day: dict[str, np.ndarray]
    mse: dict[str, float]
    train_s: dict[str, float]
    history: list[float] = field(default_factory=list)
    models: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def dfl_gain(self) -> float:
        """Fractional realised-cost reduction of DFL over PTO (positive: DFL better)."""
        return (self.costs["pto"] - self.costs["dfl"]) / self.costs["pto"]

    def gain_interval(self, rng: np.random.Generator, n: int = 1000) -> tuple[float, float]:
        """95 % bootstrap interval of the gain over test days."""
        a, b = self.per_day["pto"], self.per_day["dfl"]
        idx = rng.integers(0, a.size, (n, a.size))
        g = (a[idx].mean(1) - b[idx].mean(1)) / a[idx].mean(1)
        return float(np.percentile(g, 2.5)), float(np.percentile(g, 97.5))


def _torch() -> Any:
    try:
        import torch
    except ImportError:  # pragma: no cover
        raise MissingDependencyError("torch", "torch", "IES forecaster training") from None
    return torch


class Forecaster:
    """Per-step MLP: features (T, F) -> non-negative targets (5, T) in W."""

    def __init__(self, scale: np.ndarray, hidden: int = 32, seed: int = 0) -> None:
        torch = _torch()
        torch.manual_seed(seed)
        self.scale = torch.as_tensor(np.asarray(scale, dtype=np.float64))
        self.net = torch.nn.Sequential(
            torch.nn.Linear(N_FEATURES, hidden), torch.nn.Tanh(),
            torch.nn.Linear(hidden, hidden), torch.nn.Tanh(),
            torch.nn.Linear(hidden, len(TARGETS))).double()

    def forward(self, feats: Any) -> Any:
        """(B, T, F) tensor -> (B, 5, T) tensor in W."""
        torch = _torch()
        y = torch.nn.functional.softplus(self.net(feats)) * self.scale
        return y.transpose(-1, -2)

    def predict(self, day: Day) -> np.ndarray:
        torch = _torch()
        with torch.no_grad():
            out = self.forward(torch.as_tensor(day.features[None]))[0].numpy()
        return check_finite("forecast", out)


def _stack(days: list[Day]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    steps = {d.steps for d in days}
    if len(steps) != 1:
        raise SpecError(f"training days have different step counts {sorted(steps)}")
    return (np.stack([d.features for d in days]), np.stack([d.targets for d in days]),
            np.stack([d.buy for d in days]))


def train_pto(days: list[Day], spec: TrainSpec) -> Forecaster:
    """Fit the forecaster by mean squared error on scaled targets (full batch, Adam)."""
    torch = _torch()
    x, y, _ = _stack(days)
    scale = np.maximum(y.mean(axis=(0, 2)), 1.0)
    model = Forecaster(scale, spec.hidden, spec.seed)
    xt, yt = torch.as_tensor(x), torch.as_tensor(y)
    st = model.scale[None, :, None]
    opt = torch.optim.Adam(model.net.parameters(), lr=spec.pto_lr)
    for _ in range(spec.pto_epochs):
        opt.zero_grad()
        loss = (((model.forward(xt) - yt) / st) ** 2).mean()
        loss.backward()
        opt.step()
    return model


def _layer(plant: Plant, steps: int, dt: float, smoothing: float) -> Any:
    try:
        from cvxpylayers.torch import CvxpyLayer
    except ImportError:
        raise MissingDependencyError("cvxpylayers", "ies",
                                     "decision-focused training through the dispatch LP") from None
    prob, par, d = _cached(plant, steps, dt, smoothing)
    params = [par[n] for n in (*TARGETS, "buy", "sell")]
    return CvxpyLayer(prob, parameters=params, variables=[d["vars"][n] for n in PLAN_VARS])


def train_dfl(days: list[Day], plant: Plant, spec: TrainSpec, init: Forecaster,
              history: list[float] | None = None) -> Forecaster:
    """Fine-tune ``init`` on the realised cost of its plans through the differentiable LP."""
    torch = _torch()
    x, y, buy = _stack(days)
    steps, dt = days[0].steps, days[0].dt
    layer = _layer(plant, steps, dt, spec.smoothing)
    model = Forecaster(init.scale.numpy(), spec.hidden, spec.seed)
    model.net.load_state_dict(init.net.state_dict())
    xt, yt, bt = torch.as_tensor(x), torch.as_tensor(y), torch.as_tensor(buy)
    # per-day normaliser: the perfect-information cost, so every day weighs alike
    norm = torch.as_tensor([max(solve(plant, d).cost, 1.0) for d in days])
    opt = torch.optim.Adam(model.net.parameters(), lr=spec.dfl_lr)
    g = np.random.default_rng(spec.seed)
    for _ in range(spec.dfl_epochs):
        order = g.permutation(len(days))
        total = 0.0
        for i in range(0, len(days), spec.batch):
            b = order[i:i + spec.batch]
            fc = model.forward(xt[b]) / _KW
            sol = layer(*[fc[:, k, :] for k in range(len(TARGETS))], bt[b] * _KWH,
                        bt[b] * _KWH * plant.export_ratio,
                        solver_args={"solve_method": "Clarabel"})
            plan = {n: torch.clamp(s, min=0.0) * _KW for n, s in zip(PLAN_VARS, sol, strict=True)}
            cost = realised_cost(plan, yt[b], bt[b], plant, dt, relu=torch.relu)
            loss = (cost / norm[b]).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += float(loss.detach()) * len(b)
        if history is not None:
            history.append(total / len(days))
    return model


def evaluate(model: Forecaster, days: list[Day], plant: Plant) -> np.ndarray:
    """Realised cost (USD) of the exact LP plan on each day's forecast."""
    out = []
    for d in days:
        plan = solve(plant, d, model.predict(d)).plan
        out.append(float(realised_cost(plan, d.targets, d.buy, plant, d.dt)))
    return np.array(out)


def compare(train: list[Day], test: list[Day], plant: Plant, spec: TrainSpec | None = None) -> Result:
    """Train PTO then DFL on ``train``; realised cost of both and of perfect information on
    ``test``."""
    torch = _torch()
    spec = spec or TrainSpec()
    with torch.random.fork_rng():
        t0 = time.perf_counter()
        pto = train_pto(train, spec)
        t1 = time.perf_counter()
        hist: list[float] = []
        dfl = train_dfl(train, plant, spec, pto, hist)
        t2 = time.perf_counter()
    per = {"pto": evaluate(pto, test, plant), "dfl": evaluate(dfl, test, plant),
           "oracle": np.array([solve(plant, d).cost for d in test])}

    def mse(m: Forecaster) -> float:
        sc = m.scale.numpy()[:, None]
        return float(np.mean([np.mean(((m.predict(d) - d.targets) / sc) ** 2) for d in test]))

    return Result(costs={k: float(v.mean()) for k, v in per.items()}, per_day=per,
                  mse={"pto": mse(pto), "dfl": mse(dfl)},
                  train_s={"pto": t1 - t0, "dfl": t2 - t1}, history=hist,
                  models={"pto": pto, "dfl": dfl})

"""Placement: which device runs each operator, and which experts stay resident on the NPU.

``assign`` is an exact Viterbi DP over a chain of operators: the state is the device of the
previous operator, a change of device costs ``sync_s`` (time, with static power burnt meanwhile),
and a static-shape device may run only operators marked ``static``. The objective is energy or
latency; the SoC's static power is charged over every second, so both are additive.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from wattlab.errors import SpecError
from wattlab.systems.moe.devices import Engine

Objective = Literal["energy", "latency"]


@dataclass(frozen=True)
class Op:
    name: str
    flops: float
    nbytes: float
    dispatches: float = 1.0
    static: bool = False  # fixed shapes: eligible for a static-shape accelerator


@dataclass(frozen=True)
class Placement:
    devices: tuple[str, ...]
    latency_s: float
    energy_j: float
    energy_by_device: Mapping[str, float]
    syncs: int


def _step(dev: Engine, op: Op, static_w: float) -> tuple[float, float]:
    t = dev.time(op.flops, op.nbytes, op.dispatches)
    return t, dev.energy(t) + static_w * t


def evaluate(ops: Sequence[Op], devices: Mapping[str, Engine], choice: Sequence[str],
             sync_s: float, static_w: float) -> Placement:
    """Latency and energy of a given assignment (SpecError if it breaks a device's rule)."""
    t = e = 0.0
    by: dict[str, float] = {}
    syncs = 0
    for i, (op, name) in enumerate(zip(ops, choice, strict=True)):
        dev = devices[name]
        if dev.static_only and not op.static:
            raise SpecError(f"operator '{op.name}' has dynamic shapes; device '{name}' runs only static ones")
        dt, de = _step(dev, op, static_w)
        t, e = t + dt, e + de
        by[name] = by.get(name, 0.0) + de
        if i and choice[i - 1] != name:
            syncs += 1
            t, e = t + sync_s, e + static_w * sync_s
            by["sync"] = by.get("sync", 0.0) + static_w * sync_s
    return Placement(tuple(choice), t, e, by, syncs)


def assign(ops: Sequence[Op], devices: Mapping[str, Engine], sync_s: float, static_w: float,
           objective: Objective = "energy") -> Placement:
    """The optimal device per operator for ``objective`` (Viterbi DP; exact for a chain)."""
    if objective not in ("energy", "latency"):
        raise SpecError(f"objective={objective!r}: use 'energy' or 'latency'")
    names = list(devices)
    inf = float("inf")
    score = np.full(len(names), inf)
    back: list[np.ndarray] = []
    for i, op in enumerate(ops):
        new, arg = np.full(len(names), inf), np.zeros(len(names), dtype=int)
        for d, name in enumerate(names):
            dev = devices[name]
            if dev.static_only and not op.static:
                continue
            t, e = _step(dev, op, static_w)
            own = e if objective == "energy" else t
            if i == 0:
                new[d] = own
                continue
            sync = static_w * sync_s if objective == "energy" else sync_s
            trans = score + np.where(np.arange(len(names)) == d, 0.0, sync)
            arg[d] = int(np.argmin(trans))
            new[d] = trans[arg[d]] + own
        score = new
        back.append(arg)
    if not ops or not np.isfinite(score).any():
        raise SpecError("no device can run this operator chain (is every operator static-only?)")
    d = int(np.argmin(score))
    path = [d]
    for arg in reversed(back[1:]):
        d = int(arg[d])
        path.append(d)
    return evaluate(ops, devices, [names[j] for j in reversed(path)], sync_s, static_w)


def brute_force(ops: Sequence[Op], devices: Mapping[str, Engine], sync_s: float, static_w: float,
                objective: Objective = "energy") -> Placement:
    """Exhaustive search (small chains only), the oracle for ``assign``."""
    best: Placement | None = None
    for choice in itertools.product(list(devices), repeat=len(ops)):
        try:
            p = evaluate(ops, devices, choice, sync_s, static_w)
        except SpecError:
            continue
        key = p.energy_j if objective == "energy" else p.latency_s
        if best is None or key < (best.energy_j if objective == "energy" else best.latency_s):
            best = p
    if best is None:
        raise SpecError("no feasible assignment")
    return best


def choose_resident(popularity: np.ndarray, expert_bytes: float, budget_bytes: float,
                    benefit_per_use: np.ndarray | float = 1.0) -> np.ndarray:
    """Bool mask of experts kept resident on the NPU: a greedy knapsack on popularity x benefit
    per byte (exact when experts are equal-sized, as here)."""
    if budget_bytes < expert_bytes:
        raise SpecError(f"memory budget {budget_bytes:.3g} B is smaller than one expert "
                        f"({expert_bytes:.3g} B); raise the budget or shrink the experts")
    value = np.asarray(popularity) * benefit_per_use
    n = min(int(budget_bytes // expert_bytes), len(value))
    mask = np.zeros(len(value), dtype=bool)
    mask[np.argsort(-value, kind="stable")[:n]] = True
    return mask & (value > 0) if n < len(value) else mask

"""Non-learning solutions of the aerial-RIS EE problem, to keep the learning honest.

* :func:`random_search`: the best of ``budget`` uniformly random configurations per channel;
* :func:`alternating_optimisation`: block-coordinate ascent — exhaustive search over the discrete
  block (port choice × AAV point), then one variable at a time over a grid (each RIS phase, each
  amplitude, the harvesting split, each downlink and uplink power), repeated for a few sweeps.
  The current value is always a candidate, so EE never decreases. Exact over the grids, practical
  at small N (the evaluation count grows as sweeps × (combos + N·grid + ...)).

Both see the true channel of each row (the learned policies see only the observation).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from wattlab.systems.wireless.ris import Action, Channels, RisModel


@dataclass
class Solution:
    action: Action
    score: np.ndarray  # (B,) Metrics.score: EE (bit/J) where every QoS floor is met
    evaluations: int  # per channel row


def random_search(model: RisModel, ch: Channels, rng: np.random.Generator, budget: int = 512) -> Solution:
    """Best of ``budget`` random configurations for each channel row."""
    B, c = ch.batch, model.cfg
    rows = np.repeat(np.arange(B), budget)
    disc = rng.integers(0, c.n_discrete, B * budget)
    cont = rng.uniform(-1, 1, (B * budget, c.n_continuous))
    a = model.action(disc, cont)
    ee = model.evaluate(ch, a, rows).score.reshape(B, budget)
    best = ee.argmax(axis=1)
    return Solution(a.take(np.arange(B) * budget + best), ee[np.arange(B), best], budget)


def _grids(model: RisModel, n: int) -> dict[str, np.ndarray]:
    phy = model.phy
    geo = np.concatenate([[0.0], np.geomspace(1 / 64, 1.0, n - 1)])
    return {
        "theta": np.linspace(-np.pi, np.pi, n, endpoint=False),
        "amp": phy.a_max * geo,
        "rho": phy.rho_max * np.linspace(0, 1, n),
        "p_dl": phy.p_bs_max / model.cfg.n_dl * geo,
        "p_ul": phy.p_ul_max * geo,
    }


def alternating_optimisation(
    model: RisModel,
    ch: Channels,
    rng: np.random.Generator,
    *,
    sweeps: int = 3,
    grid: int = 8,
    starts: int = 3,
    start: Action | None = None,
    extra_starts: tuple[Action, ...] = (),
) -> Solution:
    """Block-coordinate ascent on the score for every channel row at once, from ``starts``
    starting points (the default configuration at full power, then the same at a low power with
    random phases, then random configurations) plus ``extra_starts`` (e.g. another variant's
    solution, projected onto this variant's constraints); the best end point per row is kept."""
    if start is not None or (starts <= 1 and not extra_starts):
        return _ao(model, ch, rng, sweeps, grid, start)
    best: Solution | None = None
    total = 0
    inits: list[Action | None] = []
    for k in range(max(starts, 1)):
        a0 = model.default_action(ch.batch)
        if k == 1:
            a0.p_dl /= 8
            a0.p_ul /= 8
        elif k > 1:
            a0 = model.action(
                rng.integers(0, model.cfg.n_discrete, ch.batch),
                rng.uniform(-1, 1, (ch.batch, model.cfg.n_continuous)),
            )
        if k >= 1:
            a0.theta = rng.uniform(-np.pi, np.pi, a0.theta.shape)
        inits.append(a0)
    inits += [model.project(x) for x in extra_starts]
    for init in inits:
        sol = _ao(model, ch, rng, sweeps, grid, init)
        total += sol.evaluations
        if best is None:
            best = sol
        else:
            better = sol.score > best.score
            for f in ("ports", "pos", "theta", "amp", "rho", "p_dl", "p_ul"):
                getattr(best.action, f)[better] = getattr(sol.action, f)[better]
            best.score = np.where(better, sol.score, best.score)
    assert best is not None
    best.evaluations = total
    return best


def _ao(
    model: RisModel, ch: Channels, rng: np.random.Generator, sweeps: int, grid: int, start: Action | None
) -> Solution:
    c = model.cfg
    B = ch.batch
    a = start.copy() if start is not None else model.default_action(B)
    if start is None:
        a.theta = rng.uniform(-np.pi, np.pi, a.theta.shape)
    grids = _grids(model, grid)
    evals = 0
    ee = model.evaluate(ch, a).score

    def try_candidates(set_fn, n_cand: int) -> None:
        nonlocal a, ee, evals
        rows = np.repeat(np.arange(B), n_cand)
        cand = a.take(rows)
        set_fn(cand, np.tile(np.arange(n_cand), B))
        val = model.evaluate(ch, cand, rows).score.reshape(B, n_cand)
        evals += n_cand
        best = val.argmax(axis=1)
        better = val[np.arange(B), best] > ee
        pick = np.where(better, np.arange(B) * n_cand + best, -1)
        chosen = cand.take(np.where(better, pick, 0))
        for f in ("ports", "pos", "theta", "amp", "rho", "p_dl", "p_ul"):
            cur = getattr(a, f)
            cur[better] = getattr(chosen, f)[better]
        ee = np.where(better, val[np.arange(B), best], ee)

    combos = model.combos
    nd = c.n_discrete
    for _ in range(sweeps):
        if nd > 1:

            def set_disc(x: Action, k: np.ndarray) -> None:
                x.ports, x.pos = combos[k // c.n_positions], k % c.n_positions

            try_candidates(set_disc, nd)
        for n in range(c.n_elements):

            def set_theta(x: Action, k: np.ndarray, n: int = n) -> None:
                x.theta[:, n] = grids["theta"][k]

            try_candidates(set_theta, grid)
            if c.ris == "multi-functional":

                def set_amp(x: Action, k: np.ndarray, n: int = n) -> None:
                    x.amp[:, n] = grids["amp"][k]

                try_candidates(set_amp, grid)
        if c.ris == "multi-functional":

            def set_rho(x: Action, k: np.ndarray) -> None:
                x.rho = grids["rho"][k]

            try_candidates(set_rho, grid)
        for u in range(c.n_dl):

            def set_pdl(x: Action, k: np.ndarray, u: int = u) -> None:
                x.p_dl[:, u] = grids["p_dl"][k]

            try_candidates(set_pdl, grid)
        for u in range(c.n_ul):

            def set_pul(x: Action, k: np.ndarray, u: int = u) -> None:
                x.p_ul[:, u] = grids["p_ul"][k]

            try_candidates(set_pul, grid)
    return Solution(a, ee, evals)

"""NSGA-II over a :class:`Space` through pymoo (extra ``explore``), vectorised per generation.

Each generation's population is decoded from the unit cube, filtered by the space constraints
and evaluated in one call. With a checkpoint directory, each generation's evaluations are stored
(``chunk_<gen>.npz`` with the decision matrix); a rerun with the same seed replays pymoo's
deterministic sequence and serves every stored generation from disk (the decision matrix is
compared, so nothing stale is reused), evaluating only the generations that had not finished.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from wattlab.errors import require
from wattlab.explore.search import (
    Evaluator,
    Limit,
    Objective,
    SearchResult,
    _assemble,
    _Checkpoint,
    _evaluate_cols,
    _meta,
    _progress,
)
from wattlab.explore.space import Columns, Space

_BAD = 1e300  # objective value pymoo sees for a configuration the space constraints exclude


def run_nsga2(space: Space, evaluate: Evaluator, objs: Sequence[Objective], limits: Sequence[Limit], *,
              n: int, pop_size: int, seed: int, checkpoint: Path | None,
              progress: bool | None) -> SearchResult:
    require("pymoo", extra="explore", purpose="method='nsga2'")
    from pymoo.algorithms.moo.nsga2 import NSGA2
    from pymoo.core.problem import Problem
    from pymoo.optimize import minimize

    n_gen = max(1, math.ceil(n / pop_size))
    ck = _Checkpoint(checkpoint, _meta(space, evaluate, "nsga2", n=n, pop_size=pop_size, seed=seed,
                                      objectives=[str(o) for o in objs],
                                      limits=[lim.describe() for lim in limits]))
    done = ck.done()
    parts: dict[int, tuple[Columns, dict[str, int], int]] = {}
    state = {"gen": 0, "resumed": 0, "evaluated": 0}
    bar = _progress(progress, n_gen, f"{space.name} (nsga2)")
    names = space.names

    class _Problem(Problem):
        def __init__(self) -> None:
            super().__init__(n_var=len(names), n_obj=len(objs), n_ieq_constr=len(limits) + 1,
                             xl=0.0, xu=1.0, vtype=float)

        def _evaluate(self, x: np.ndarray, out: dict[str, Any], *args: Any, **kwargs: Any) -> None:
            g = state["gen"]
            state["gen"] += 1
            cols = space.decode(x)
            ok, _ = space.feasible(cols)
            res = None
            if g in done:
                c, ex, _m, extra = ck.load(g)
                if "ok" in extra and np.array_equal(extra.get("x", np.empty(0)), x):
                    res, mask, excluded = c, extra["ok"].astype(bool), ex
                    state["resumed"] += 1
            if res is None:
                res, excluded = _evaluate_cols(space, evaluate, cols)
                mask = ok
                ck.save(g, res, excluded, len(x), {"x": x, "ok": ok})
                state["evaluated"] += 1
            parts[g] = (res, excluded, len(x))
            f = np.full((len(x), len(objs)), _BAD)
            gv = np.zeros((len(x), len(limits) + 1))
            gv[~mask, 0] = 1.0
            if mask.any():
                for j, o in enumerate(objs):
                    if o.metric not in res:
                        from wattlab.errors import SpecError

                        raise SpecError(f"objective '{o}': the evaluator returns no metric "
                                        f"'{o.metric}' (it returns {sorted(set(res) - set(names))})")
                    f[mask, j] = o.signed(res[o.metric])
                for j, lim in enumerate(limits):
                    if lim.metric in res:
                        gv[mask, j + 1] = lim.violation(res[lim.metric])
            f[~np.isfinite(f)] = _BAD
            out["F"], out["G"] = f, gv
            if bar:
                bar.advance(bar.task_ids[0])

    try:
        minimize(_Problem(), NSGA2(pop_size=pop_size), ("n_gen", n_gen), seed=seed, verbose=False)
    finally:
        if bar:
            bar.stop()
    res = _assemble(space, list(objs), list(limits), parts, "nsga2", "serial",
                    state["resumed"], state["evaluated"])
    res.notes.append(f"NSGA-II: population {pop_size}, {n_gen} generations, seed {seed}; "
                     f"{res.considered} evaluations (points repeat across generations)")
    return res


__all__ = ["run_nsga2"]

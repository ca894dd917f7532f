"""Search a :class:`~wattlab.explore.space.Space` with a vectorised evaluator.

``evaluate(cols) -> metrics``: ``cols`` maps each dimension (and fixed value) to a NumPy array
of one value per configuration; the evaluator returns a mapping of metric name to an array of
the same length. There is no Python loop per configuration anywhere in the engine; ``Cost``
objects are built only for the points a caller reports (:meth:`SearchResult.costs`).

Methods: ``grid`` (exhaustive, in chunks of the flattened grid), ``random`` (``n`` samples,
chunk ``k`` seeded with ``(seed, k)``) and ``nsga2`` (pymoo; extra ``explore``). Each chunk (or
NSGA-II generation) is written to ``checkpoint`` as soon as it finishes; a rerun with the same
space, evaluator, method and settings loads the finished chunks and evaluates only the rest.
The checkpoint identifies the evaluator by its ``fingerprint()`` method when it has one
(include parameter digests there), else by module and qualified name: edited evaluator code
under the same name is not detected. Output limits (power cap, area budget, iso-throughput) are
applied after evaluation, so a
resumed search may tighten or relax them without re-evaluating anything (NSGA-II excepted: its
limits steer the search).
"""

from __future__ import annotations

import json
import math
import os
import re
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from wattlab.cluster import probe
from wattlab.errors import SpecError
from wattlab.explore.pareto import pareto_mask
from wattlab.explore.space import Columns, Space
from wattlab.files import atomic_write

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from wattlab.cost import Cost
    from wattlab.explore.sensitivity import Sensitivity

Evaluator = Callable[[Columns], Mapping[str, np.ndarray]]
Method = Literal["grid", "random", "nsga2"]
Backend = Literal["process", "serial", "ray"]


class InfeasibleError(SpecError):
    """No configuration met the constraints; the message names the one(s) that excluded all.
    ``result`` holds everything that was evaluated."""

    def __init__(self, message: str, result: SearchResult) -> None:
        super().__init__(message)
        self.result = result


@dataclass(frozen=True)
class Objective:
    """A metric to minimise or maximise."""

    metric: str
    sense: Literal["min", "max"] = "min"

    @classmethod
    def parse(cls, o: str | Objective) -> Objective:
        if isinstance(o, Objective):
            return o
        sense, _, name = str(o).strip().rpartition(":")
        if not name or sense not in ("", "min", "max") or not name.isidentifier():
            raise SpecError(f"objective {o!r} must be 'metric', 'min:metric' or 'max:metric'")
        return cls(name, "max" if sense == "max" else "min")

    def signed(self, v: np.ndarray) -> np.ndarray:
        v = np.asarray(v, dtype=float)
        return -v if self.sense == "max" else v

    def __str__(self) -> str:
        return f"{self.sense}:{self.metric}"


_LIMIT = re.compile(r"^\s*([A-Za-z_]\w*)\s*(<=|>=)\s*([-+0-9.eE]+)\s*$")


@dataclass(frozen=True)
class Limit:
    """An output constraint ``metric <= value`` or ``metric >= value`` (after evaluation)."""

    metric: str
    op: Literal["<=", ">="]
    value: float
    name: str = ""

    def __post_init__(self) -> None:
        if self.op not in ("<=", ">="):
            raise SpecError(f"limit on '{self.metric}': op must be '<=' or '>=', got {self.op!r}")
        if not math.isfinite(self.value):
            raise SpecError(f"limit on '{self.metric}': value must be finite, got {self.value!r}")
        if not self.name:
            object.__setattr__(self, "name", f"{self.metric} {self.op} {self.value:g}")

    @classmethod
    def parse(cls, s: str | Limit) -> Limit:
        if isinstance(s, Limit):
            return s
        label, _, expr = str(s).rpartition(":") if ":" in str(s) else ("", "", str(s))
        m = _LIMIT.match(expr)
        if not m:
            raise SpecError(f"constraint {s!r} must read 'metric <= number' or 'metric >= number' "
                            "(optionally 'label: metric <= number'), e.g. 'power_w <= 300'")
        try:
            v = float(m.group(3))
        except ValueError as e:
            raise SpecError(f"constraint {s!r}: {m.group(3)!r} is not a number") from e
        return cls(m.group(1), m.group(2), v, label.strip())  # type: ignore[arg-type]

    def ok(self, v: np.ndarray) -> np.ndarray:
        v = np.asarray(v, dtype=float)
        return (v <= self.value) if self.op == "<=" else (v >= self.value)

    def violation(self, v: np.ndarray) -> np.ndarray:
        """pymoo form: <= 0 when met, scaled by |value|."""
        scale = abs(self.value) or 1.0
        v = np.asarray(v, dtype=float)
        return ((v - self.value) if self.op == "<=" else (self.value - v)) / scale

    def describe(self) -> str:
        expr = f"{self.metric} {self.op} {self.value:g}"
        return expr if self.name == expr else f"{self.name} ({expr})"


def power_cap(watts: float, metric: str = "power_w") -> Limit:
    """Mean power at most ``watts``."""
    return Limit(metric, "<=", watts, "power cap")


def area_budget(mm2: float, metric: str = "area_mm2") -> Limit:
    """Area at most ``mm2``."""
    return Limit(metric, "<=", mm2, "area budget")


def iso_throughput(value: float, metric: str = "throughput", rel_tol: float = 0.0) -> Limit:
    """Throughput at least ``value`` (within ``rel_tol`` below it)."""
    return Limit(metric, ">=", value * (1.0 - rel_tol), "iso-throughput")


# -- chunk evaluation (module level: picklable for process pools and Ray) -----------------

def _check_metrics(out: Mapping[str, Any], n: int) -> dict[str, np.ndarray]:
    if not isinstance(out, Mapping):
        raise SpecError(f"the evaluator must return a mapping of metric -> array, got {type(out).__name__}")
    res = {}
    for k, v in out.items():
        a = np.asarray(v)
        if a.shape == ():
            a = np.full(n, a)
        if a.shape != (n,):
            raise SpecError(f"the evaluator returned metric '{k}' with shape {a.shape}; expected "
                            f"({n},), one value per configuration")
        res[str(k)] = a
    return res


def _evaluate_cols(space: Space, evaluate: Evaluator, cols: Columns) -> tuple[Columns, dict[str, int]]:
    ok, excluded = space.feasible(cols)
    keep = {k: v[ok] for k, v in cols.items()} if not ok.all() else cols
    n = int(ok.sum())
    metrics = _check_metrics(evaluate(keep), n) if n else {}
    clash = set(metrics) & set(space.names)
    if clash:
        raise SpecError(f"the evaluator returned metric(s) {sorted(clash)} named like dimensions")
    return {**{k: keep[k] for k in space.names}, **metrics}, excluded


def _run_chunk(task: tuple[Space, Evaluator, str, int, int, int, int],
               ) -> tuple[int, Columns, dict[str, int], int]:
    return _run_chunk_args(*task)


def _run_chunk_args(space: Space, evaluate: Evaluator, method: str, k: int, start: int, stop: int,
                    seed: int) -> tuple[int, Columns, dict[str, int], int]:
    if method == "grid":
        cols = space.chunk(start, stop)
    else:
        cols = space.sample(stop - start, np.random.default_rng([seed, k]))
    n = len(next(iter(cols.values())))
    out, excluded = _evaluate_cols(space, evaluate, cols)
    return k, out, excluded, n


# -- checkpoint ----------------------------------------------------------------------------

class _Checkpoint:
    def __init__(self, root: Path | None, meta: dict[str, Any]) -> None:
        self.root, self.meta = root, meta
        if root is None:
            return
        root.mkdir(parents=True, exist_ok=True)
        mf = root / "meta.json"
        if mf.exists():
            old = json.loads(mf.read_text())
            if old != json.loads(json.dumps(meta, default=repr)):
                diff = sorted(k for k in set(old) | set(meta)
                              if json.dumps(old.get(k), default=repr)
                              != json.dumps(meta.get(k), default=repr))
                raise SpecError(f"checkpoint {root} was written by a different search (differs in "
                                f"{diff}); use a new --checkpoint directory or delete this one")
        else:
            atomic_write(mf, json.dumps(meta, indent=1, default=repr).encode())

    def path(self, k: int) -> Path:
        assert self.root is not None
        return self.root / f"chunk_{k:06d}.npz"

    def done(self) -> set[int]:
        if self.root is None:
            return set()
        return {int(p.stem.split("_")[1]) for p in self.root.glob("chunk_*.npz")}

    def save(self, k: int, cols: Columns, excluded: Mapping[str, int], n: int,
             extra: Mapping[str, np.ndarray] | None = None) -> None:
        if self.root is None:
            return
        import io

        buf = io.BytesIO()
        arrays = {f"c_{name}": np.asarray(v) for name, v in cols.items()}
        arrays.update({f"x_{name}": np.asarray(v) for name, v in (extra or {}).items()})
        arrays["_info"] = np.frombuffer(json.dumps({"excluded": dict(excluded), "n": n}).encode(),
                                        dtype=np.uint8)
        np.savez(buf, **arrays)  # type: ignore[arg-type]
        atomic_write(self.path(k), buf.getvalue())

    def load(self, k: int) -> tuple[Columns, dict[str, int], int, dict[str, np.ndarray]]:
        with np.load(self.path(k), allow_pickle=False) as z:
            info = json.loads(bytes(z["_info"]).decode())
            cols = {name[2:]: z[name] for name in z.files if name.startswith("c_")}
            extra = {name[2:]: z[name] for name in z.files if name.startswith("x_")}
        return cols, info["excluded"], info["n"], extra


# -- result --------------------------------------------------------------------------------

@dataclass
class SearchResult:
    """Every evaluated configuration (columns), which met all limits, and how the search ran."""

    space: Space
    objectives: list[Objective]
    limits: list[Limit]
    columns: Columns
    method: str
    backend: str
    considered: int
    excluded: dict[str, int]
    limit_excluded: dict[str, int] = field(default_factory=dict)
    resumed_chunks: int = 0
    evaluated_chunks: int = 0
    elapsed_s: float = 0.0
    notes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        n = self.n
        ok = np.ones(n, dtype=bool)
        for lim in self.limits:
            if lim.metric not in self.columns:
                raise SpecError(f"constraint '{lim.describe()}': the evaluator returns no metric "
                                f"'{lim.metric}' (it returns {self.metrics})")
            m = lim.ok(self.columns[lim.metric])
            self.limit_excluded[lim.name] = int(np.count_nonzero(~m))
            ok &= m
        for o in self.objectives:
            if o.metric not in self.columns and n:
                raise SpecError(f"objective '{o}': the evaluator returns no metric '{o.metric}' "
                                f"(it returns {self.metrics})")
        self.feasible = ok

    @property
    def n(self) -> int:
        return len(next(iter(self.columns.values()))) if self.columns else 0

    @property
    def metrics(self) -> list[str]:
        return [k for k in self.columns if k not in self.space.names]

    def objective_matrix(self, idx: np.ndarray | None = None) -> np.ndarray:
        idx = np.arange(self.n) if idx is None else idx
        return np.stack([o.signed(self.columns[o.metric][idx]) for o in self.objectives], axis=1)

    def front(self) -> np.ndarray:
        """Indices of the feasible Pareto-optimal points (over all objectives)."""
        idx = np.flatnonzero(self.feasible)
        if not len(idx) or not self.objectives:
            return idx
        return idx[pareto_mask(self.objective_matrix(idx))]

    def best(self, objective: str | Objective | None = None) -> int:
        """Index of the best feasible point for one objective (default: the first)."""
        o = Objective.parse(objective) if objective is not None else self.objectives[0]
        idx = np.flatnonzero(self.feasible)
        if not len(idx):
            raise SpecError("no feasible point: " + explain_infeasible(self))
        v = o.signed(self.columns[o.metric][idx])
        return int(idx[int(np.nanargmin(v))])

    def row(self, i: int) -> dict[str, Any]:
        return {k: _scalar(v[i]) for k, v in self.columns.items()}

    def table(self, idx: Sequence[int] | np.ndarray | None = None,
              limit: int | None = None) -> list[dict[str, Any]]:
        idx = self.front() if idx is None else np.asarray(idx)
        if self.objectives and len(idx):
            idx = idx[np.argsort(self.objective_matrix(idx)[:, 0], kind="stable")]
        return [self.row(int(i)) for i in idx[:limit]]

    def costs(self, cost: Callable[[dict[str, Any]], Cost], idx: Sequence[int] | None = None) -> list[Cost]:
        """``Cost`` objects for the reported points only (default: the Pareto front)."""
        return [cost(self.row(int(i))) for i in (self.front() if idx is None else idx)]

    def to_pandas(self) -> Any:
        import pandas as pd

        df = pd.DataFrame(self.columns)
        df["feasible"] = self.feasible
        return df

    def sensitivity(self, objective: str | None = None, target: str | None = None) -> Sensitivity:
        from wattlab.explore.sensitivity import sensitivity

        return sensitivity(self, objective=objective, target=target)

    def figure(self, x: str | None = None, y: str | None = None, color: str | None = None) -> Figure:
        """Scatter of the feasible points with the Pareto front on the first two objectives."""
        from matplotlib.figure import Figure

        if len(self.objectives) < 2 and (x is None or y is None):
            raise SpecError("a Pareto plot needs two objectives (or name x= and y=)")
        ox = Objective.parse(x) if x else self.objectives[0]
        oy = Objective.parse(y) if y else self.objectives[1]
        fig = Figure(figsize=(6.5, 4.5))
        ax = fig.subplots()
        feas = np.flatnonzero(self.feasible)
        infeas = np.flatnonzero(~self.feasible)
        if len(infeas):
            sel = infeas[:: max(1, len(infeas) // 20000)]
            ax.scatter(self.columns[ox.metric][sel], self.columns[oy.metric][sel], s=3, c="0.85",
                       label="excluded by a limit")
        if len(feas):
            sel = feas[:: max(1, len(feas) // 20000)]
            cvals = self.columns.get(color) if color else None
            if cvals is not None and cvals.dtype.kind in "US":
                for lab in np.unique(cvals[sel]):
                    s = sel[cvals[sel] == lab]
                    ax.scatter(self.columns[ox.metric][s], self.columns[oy.metric][s], s=4,
                               label=f"{color}={lab}")
            else:
                ax.scatter(self.columns[ox.metric][sel], self.columns[oy.metric][sel], s=4,
                           c="tab:blue", label="feasible")
            f2 = feas[pareto_mask(np.stack([ox.signed(self.columns[ox.metric][feas]),
                                            oy.signed(self.columns[oy.metric][feas])], axis=1))]
            f2 = f2[np.argsort(self.columns[ox.metric][f2])]
            ax.plot(self.columns[ox.metric][f2], self.columns[oy.metric][f2], "k.-", label="Pareto front")
        for axis, o in (("x", ox), ("y", oy)):
            v = self.columns[o.metric][feas] if len(feas) else np.array([1.0])
            if np.all(v > 0) and v.max() / max(v.min(), 1e-300) > 100:
                ax.set(**{f"{axis}scale": "log"})
        ax.set(xlabel=str(ox), ylabel=str(oy), title=f"{self.space.name}: {len(feas)} of "
               f"{self.n} evaluated points feasible")
        ax.legend(fontsize=7)
        return fig

    def summary(self) -> dict[str, Any]:
        return {"space": self.space.name, "method": self.method, "backend": self.backend,
                "considered": self.considered, "evaluated": self.n,
                "feasible": int(self.feasible.sum()), "front": len(self.front()),
                "excluded_by_space_constraints": self.excluded,
                "excluded_by_limits": self.limit_excluded,
                "chunks_resumed": self.resumed_chunks, "chunks_evaluated": self.evaluated_chunks,
                "elapsed_s": round(self.elapsed_s, 3), "notes": self.notes}


def _scalar(v: Any) -> Any:
    return v.item() if hasattr(v, "item") else v


def explain_infeasible(r: SearchResult) -> str:
    """Which constraint(s) excluded everything, with the closest value reached."""
    if r.considered == 0:
        return f"space '{r.space.name}' produced no configurations"
    if r.n == 0:
        parts = [f"'{k}' excluded {v} of {r.considered}" for k, v in r.excluded.items() if v]
        total = [k for k, v in r.excluded.items() if v == r.considered]
        head = (f"space constraint(s) {total} alone exclude every configuration"
                if total else "the space constraints together exclude every configuration")
        return f"{head} ({'; '.join(parts)})"
    lines = []
    alone = []
    for lim in r.limits:
        v = np.asarray(r.columns[lim.metric], dtype=float)
        bad = r.limit_excluded.get(lim.name, 0)
        closest = np.nanmin(v) if lim.op == "<=" else np.nanmax(v)
        lines.append(f"'{lim.describe()}' excluded {bad} of {r.n} (closest {lim.metric} = {closest:.4g})")
        if bad == r.n:
            alone.append(lim.describe())
    head = (f"constraint(s) {alone} alone exclude every evaluated configuration" if alone
            else "no single constraint excludes everything, but together they do")
    return f"{head}: " + "; ".join(lines)


# -- the search ----------------------------------------------------------------------------

def _progress(enabled: bool | None, total: int, what: str) -> Any:
    if enabled is None:
        enabled = sys.stderr.isatty()
    if not enabled:
        return None
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    p = Progress(TextColumn("{task.description}", style="bold", markup=False), BarColumn(),
                 MofNCompleteColumn(),
                 TimeRemainingColumn(), transient=True)
    p.start()
    p.add_task(what, total=total)
    return p


def _meta(space: Space, evaluate: Evaluator, method: str, **kw: Any) -> dict[str, Any]:
    ev = getattr(evaluate, "fingerprint", None)
    ev_id = ev() if callable(ev) else f"{getattr(evaluate, '__module__', '?')}." \
        f"{getattr(evaluate, '__qualname__', type(evaluate).__qualname__)}"
    return json.loads(json.dumps({"space": space.describe(), "evaluator": ev_id, "method": method, **kw},
                                 default=repr))


def search(space: Space, evaluate: Evaluator, *, objectives: Sequence[str | Objective] = (),
           constraints: Sequence[str | Limit] = (), method: Method = "grid", n: int | None = None,
           seed: int = 0, chunk_size: int = 50_000, checkpoint: str | Path | None = None,
           backend: Backend = "process", workers: int | None = None, cluster: str | None = None,
           progress: bool | None = None, allow_infeasible: bool = False, pop_size: int = 100,
           stop_after: int | None = None) -> SearchResult:
    """Evaluate ``space`` with ``evaluate`` and return every point, the feasible set and the front.

    ``method``: ``grid`` (every grid point), ``random`` (``n`` samples), ``nsga2`` (``n``
    evaluations, population ``pop_size``; needs pymoo). ``constraints`` are output limits such
    as ``"power_w <= 300"`` or :func:`power_cap`; configuration constraints belong to the space.
    ``backend``: ``process`` (a local process pool of ``workers``; runs inline when there is
    one chunk or one worker), ``serial``, or ``ray`` (``cluster`` = a Ray address, or None for a
    local Ray with ``workers`` CPUs). ``checkpoint``: a directory; finished chunks are kept
    there and a rerun resumes. ``stop_after``: evaluate at most this many new chunks, then
    return what is done (simulates an interruption; used by tests).
    Raises :class:`InfeasibleError` naming the constraint that excluded everything unless
    ``allow_infeasible``.
    """
    objs = [Objective.parse(o) for o in objectives]
    limits = [Limit.parse(c) for c in constraints]
    if method not in ("grid", "random", "nsga2"):
        raise SpecError(f"method must be 'grid', 'random' or 'nsga2', got {method!r}")
    if backend not in ("process", "serial", "ray"):
        raise SpecError(f"backend must be 'process', 'serial' or 'ray', got {backend!r}")
    if chunk_size < 1:
        raise SpecError(f"chunk_size must be >= 1, got {chunk_size}")
    if n is not None and n < 1:
        raise SpecError(f"n (samples or evaluations) must be >= 1, got {n}")
    if pop_size < 2:
        raise SpecError(f"pop_size must be >= 2, got {pop_size}")
    if workers is not None and workers < 1:
        raise SpecError(f"workers must be >= 1, got {workers}")
    t0 = time.perf_counter()
    if method == "nsga2":
        from wattlab.explore.nsga import run_nsga2

        if not objs:
            raise SpecError("method 'nsga2' needs at least one objective")
        res = run_nsga2(space, evaluate, objs, limits, n=n or 10_000, pop_size=pop_size, seed=seed,
                        checkpoint=Path(checkpoint) if checkpoint else None, progress=progress)
        res.elapsed_s = time.perf_counter() - t0
        return _finish(res, allow_infeasible)

    if method == "grid":
        total = space.size
    else:
        if not n or n < 1:
            raise SpecError("method 'random' needs n >= 1 samples (--n on the command line)")
        total = n
    bounds = [(k, s, min(s + chunk_size, total)) for k, s in enumerate(range(0, total, chunk_size))]
    ck = _Checkpoint(Path(checkpoint) if checkpoint else None,
                     _meta(space, evaluate, method, n=total, seed=seed, chunk_size=chunk_size))
    done = ck.done() & {k for k, _, _ in bounds}
    parts: dict[int, tuple[Columns, dict[str, int], int]] = {}
    for k in sorted(done):
        c, ex, m, _ = ck.load(k)
        parts[k] = (c, ex, m)
    todo = [(space, evaluate, method, k, s, e, seed) for k, s, e in bounds if k not in done]
    if stop_after is not None:
        todo = todo[:stop_after]
    nworkers = workers or os.cpu_count() or 1
    used = backend
    if backend == "process" and (len(todo) <= 1 or nworkers == 1):
        used = "serial"
    bar = _progress(progress, len(bounds), f"{space.name} ({method})")
    if bar:
        bar.update(bar.task_ids[0], completed=len(done))

    def finished(k: int, c: Columns, ex: dict[str, int], m: int) -> None:
        ck.save(k, c, ex, m)
        parts[k] = (c, ex, m)
        if bar:
            bar.advance(bar.task_ids[0])

    try:
        if used == "serial":
            for t in todo:
                finished(*_run_chunk(t))
        elif used == "process":
            _run_pool(todo, nworkers, finished)
        else:
            _run_ray(todo, nworkers, cluster, finished)
    finally:
        if bar:
            bar.stop()
    res = _assemble(space, objs, limits, parts, method, used, len(done), len(todo))
    if used != backend:
        res.notes.append(f"backend '{backend}' ran inline: {len(todo)} chunk(s) to evaluate, "
                         f"{nworkers} worker(s)")
    if stop_after is not None and len(parts) < len(bounds):
        res.notes.append(f"stopped after {len(todo)} new chunk(s); {len(bounds) - len(parts)} "
                         "remain (rerun with the same checkpoint to finish)")
    res.elapsed_s = time.perf_counter() - t0
    return _finish(res, allow_infeasible or (stop_after is not None and len(parts) < len(bounds)))


def _finish(res: SearchResult, allow_infeasible: bool) -> SearchResult:
    if not allow_infeasible and not res.feasible.any():
        raise InfeasibleError("infeasible search: " + explain_infeasible(res), res)
    return res


def _assemble(space: Space, objs: list[Objective], limits: list[Limit],
              parts: Mapping[int, tuple[Columns, dict[str, int], int]], method: str, backend: str,
              resumed: int, evaluated: int) -> SearchResult:
    keys = sorted(parts)
    excluded: dict[str, int] = {c.name: 0 for c in space.constraints}
    considered = 0
    for k in keys:
        for name, v in parts[k][1].items():
            excluded[name] = excluded.get(name, 0) + v
        considered += parts[k][2]
    nonempty = [parts[k][0] for k in keys if parts[k][0] and len(next(iter(parts[k][0].values())))]
    if nonempty:
        names = list(nonempty[0])
        cols = {name: np.concatenate([p[name] for p in nonempty]) for name in names}
    else:
        cols = {}
    return SearchResult(space, objs, limits, cols, method, backend, considered, excluded,
                        resumed_chunks=resumed, evaluated_chunks=evaluated)


def _run_pool(todo: list[Any], workers: int, finished: Callable[..., None]) -> None:
    import multiprocessing as mp
    import pickle

    try:
        pickle.dumps(todo[0][:2])
    except Exception as e:
        raise SpecError("backend 'process' needs a picklable space and evaluator (a module-level "
                        f"function or an instance of a module-level class): {e}; or use "
                        "backend='serial'") from e
    ctx = mp.get_context("fork") if sys.platform.startswith("linux") else None
    with ProcessPoolExecutor(max_workers=min(workers, len(todo)), mp_context=ctx) as pool:
        it: Iterator[Any] = iter(todo)
        pending = set()
        for t in it:
            pending.add(pool.submit(_run_chunk, t))
            if len(pending) >= 2 * workers:
                break
        while pending:
            fin, pending = wait(pending, return_when=FIRST_COMPLETED)
            for f in fin:
                finished(*f.result())
                nxt = next(it, None)
                if nxt is not None:
                    pending.add(pool.submit(_run_chunk, nxt))


def _run_ray(todo: list[Any], workers: int, cluster: str | None, finished: Callable[..., None]) -> None:
    from wattlab.errors import require

    ray = require("ray", extra="dist", purpose="backend='ray'")
    started = False
    if cluster is not None:
        probe(cluster)
    if not ray.is_initialized():
        kw: dict[str, Any] = {"address": cluster, "ignore_reinit_error": True,
                              "log_to_driver": False, "include_dashboard": False}
        if cluster is None:
            kw["num_cpus"] = workers
        what = "start" if cluster is None else f"connect to {cluster!r}"
        try:
            ray.init(**kw)  # from the calling (main) thread: Ray's driver needs it
        except SpecError:
            raise
        except Exception as exc:
            raise SpecError(f"Ray could not {what}: {exc}; check the cluster address, or use "
                            "backend='process'") from exc
        started = True
    try:
        if not todo:
            return
        task = ray.remote(_run_chunk_args)
        space_ref, ev_ref = ray.put(todo[0][0]), ray.put(todo[0][1])
        pending = [task.remote(space_ref, ev_ref, *t[2:]) for t in todo]
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            finished(*ray.get(done[0]))
    finally:
        if started:
            ray.shutdown()


__all__ = ["Evaluator", "InfeasibleError", "Limit", "Objective", "SearchResult", "area_budget",
           "explain_infeasible", "iso_throughput", "power_cap", "search"]

"""The design-space engine: spaces, search methods, limits, Pareto, checkpoint/resume, sensitivity."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from wattlab.errors import SpecError
from wattlab.explore import (
    Choice,
    Constraint,
    Grid,
    InfeasibleError,
    Range,
    Space,
    area_budget,
    pareto,
    pareto_mask,
    power_cap,
    search,
)


def roofline(c: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """A toy accelerator: compute vs memory bound, energy with static power."""
    peak = c["rows"] * c["cols"] * c["clock"] * 2
    bw = np.where(c["mem"] == "hbm", 3e12, 0.5e12)
    t = np.maximum(1e12 / peak, 1e10 / bw)
    e = 1.0 + 1e10 * 8 * np.where(c["mem"] == "hbm", 4e-12, 2e-12) + c["rows"] * c["cols"] * 1e-3 * t
    return {"energy_j": e, "latency_s": t, "power_w": e / t, "area_mm2": c["rows"] * c["cols"] * 1e-3}


class Counting:
    """A picklable evaluator that counts the configurations it saw (in-process only)."""

    def __init__(self) -> None:
        self.seen = 0

    def __call__(self, c: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        self.seen += len(c["rows"])
        return roofline(c)


SPACE = Space([Grid("rows", [32, 64, 128, 256]), Grid("cols", [32, 64, 128, 256]),
               Range("clock", 0.5e9, 2e9, n=5, log=True), Choice("mem", ["hbm", "lpddr"])],
              name="toy")


def test_grid_enumerates_every_point_in_c_order() -> None:
    assert SPACE.size == 4 * 4 * 5 * 2
    g = SPACE.grid()
    assert len({(r, c, k, m) for r, c, k, m in zip(g["rows"], g["cols"], g["clock"], g["mem"],
                                                    strict=True)}) == SPACE.size
    assert g["mem"][:2].tolist() == ["hbm", "lpddr"] and g["rows"][0] == 32
    part = SPACE.chunk(7, 19)
    assert part["clock"].tolist() == g["clock"][7:19].tolist()
    assert np.isclose(g["clock"].max(), 2e9) and np.isclose(g["clock"].min(), 0.5e9)


@pytest.mark.parametrize(("make", "word"), [
    (lambda: Grid("rows", []), "rows"),
    (lambda: Grid("rows", [1, 1]), "rows"),
    (lambda: Grid("rows", [1, float("nan")]), "rows"),
    (lambda: Range("clock", 2.0, 1.0), "clock"),
    (lambda: Range("clock", 0.0, 1.0, log=True), "clock"),
    (lambda: Range("clock", 0.1, 0.9, integer=True), "clock"),
    (lambda: Choice("mem", []), "mem"),
    (lambda: Choice("mem", ["a", 1]), "mem"),
    (lambda: Space([Grid("a", [1]), Grid("a", [2])]), "'a'"),
    (lambda: Space([Grid("a", [1])], [Constraint("c", "b < 2")]), "'b'"),
    (lambda: Space([]), "no dimensions"),
    (lambda: Space([Range("a", 0, 1)]).size, "'a'"),
])
def test_bad_dimensions_name_the_dimension(make: Any, word: str) -> None:
    with pytest.raises(SpecError, match=word):
        make()


def test_constraints_and_limits_are_counted() -> None:
    sp = Space(SPACE.dims, [Constraint("square", "rows == cols")], name="sq")
    res = search(sp, roofline, objectives=["min:energy_j", "min:latency_s"],
                 constraints=[power_cap(1e5), area_budget(20.0)], backend="serial")
    assert res.considered == SPACE.size and res.n == 4 * 5 * 2
    assert res.excluded["square"] == SPACE.size - res.n
    assert np.all(res.columns["rows"] == res.columns["cols"])
    assert res.limit_excluded["area budget"] == np.count_nonzero(res.columns["area_mm2"] > 20)
    assert np.all(res.columns["area_mm2"][res.feasible] <= 20)


def test_infeasible_search_names_the_constraint() -> None:
    with pytest.raises(InfeasibleError, match=r"power cap.*alone exclude.*closest power_w"):
        search(SPACE, roofline, objectives=["energy_j"], constraints=[power_cap(1e-3),
                                                                      area_budget(1e9)],
               backend="serial")
    sp = Space(SPACE.dims, [Constraint("none", "rows > 1000")])
    with pytest.raises(InfeasibleError, match="none"):
        search(sp, roofline, objectives=["energy_j"], backend="serial")


def test_pareto_matches_brute_force() -> None:
    rng = np.random.default_rng(3)
    for k in (1, 2, 3, 4):
        f = rng.integers(0, 8, size=(700, k)).astype(float)
        brute = np.array([not np.any(np.all(f <= p, axis=1) & np.any(f < p, axis=1)) for p in f])
        assert np.array_equal(pareto_mask(f), brute), k
    cols = {"e": np.array([1.0, 2.0, 3.0]), "t": np.array([3.0, 4.0, 1.0])}
    assert pareto(cols, ["min:e", "min:t"]).tolist() == [0, 2]
    assert pareto(cols, ["max:e", "max:t"]).tolist() == [1, 2]


def test_front_is_feasible_and_non_dominated() -> None:
    res = search(SPACE, roofline, objectives=["min:energy_j", "min:latency_s"], backend="serial")
    front = res.front()
    f = res.objective_matrix()
    for i in front:
        assert not np.any(np.all(f <= f[i], axis=1) & np.any(f < f[i], axis=1))
    assert len(res.table()) == len(front)


def test_random_is_seeded_and_covers_ranges() -> None:
    a = search(SPACE, roofline, objectives=["energy_j"], method="random", n=500, chunk_size=128,
               backend="serial", seed=4)
    b = search(SPACE, roofline, objectives=["energy_j"], method="random", n=500, chunk_size=128,
               backend="serial", seed=4)
    assert a.n == 500 and np.array_equal(a.columns["clock"], b.columns["clock"])
    assert a.columns["clock"].min() >= 0.5e9 and a.columns["clock"].max() <= 2e9
    assert len(np.unique(a.columns["clock"])) > 100


def test_checkpoint_resume_recomputes_nothing(tmp_path: Path) -> None:
    ev = Counting()
    part = search(SPACE, ev, objectives=["energy_j"], chunk_size=30, checkpoint=tmp_path,
                  backend="serial", stop_after=2)
    assert ev.seen == 60 and part.evaluated_chunks == 2
    full = search(SPACE, ev, objectives=["energy_j"], chunk_size=30, checkpoint=tmp_path,
                  backend="serial")
    assert ev.seen == SPACE.size  # only the 100 unfinished configurations were evaluated
    assert full.resumed_chunks == 2 and full.n == SPACE.size
    ref = search(SPACE, roofline, objectives=["energy_j"], backend="serial")
    assert np.allclose(np.sort(full.columns["energy_j"]), np.sort(ref.columns["energy_j"]))
    again = search(SPACE, ev, objectives=["energy_j"], chunk_size=30, checkpoint=tmp_path,
                   backend="serial")
    assert ev.seen == SPACE.size and again.evaluated_chunks == 0
    with pytest.raises(SpecError, match="different search"):
        search(SPACE, ev, objectives=["energy_j"], chunk_size=31, checkpoint=tmp_path,
               backend="serial")


def test_process_pool_equals_serial() -> None:
    a = search(SPACE, roofline, objectives=["energy_j"], chunk_size=37, backend="process", workers=2)
    b = search(SPACE, roofline, objectives=["energy_j"], backend="serial")
    assert a.backend == "process"
    assert np.array_equal(a.columns["energy_j"], b.columns["energy_j"])


def test_unpicklable_evaluator_is_a_clear_error() -> None:
    with pytest.raises(SpecError, match="picklable"):
        search(SPACE, lambda c: roofline(c), objectives=["energy_j"], chunk_size=37, workers=2)


def test_evaluator_shape_and_missing_metric_errors() -> None:
    with pytest.raises(SpecError, match="shape"):
        search(SPACE, lambda c: {"energy_j": np.ones(3)}, objectives=["energy_j"], backend="serial")
    with pytest.raises(SpecError, match="no metric 'tops'"):
        search(SPACE, roofline, objectives=["max:tops"], backend="serial")
    with pytest.raises(SpecError, match="metric <= number"):
        search(SPACE, roofline, objectives=["energy_j"], constraints=["power_w < 3"])
    with pytest.raises(SpecError, match="n \\(samples"):
        search(SPACE, roofline, objectives=["energy_j"], method="random", n=-3)
    with pytest.raises(SpecError, match="method"):
        search(SPACE, roofline, objectives=["energy_j"], method="anneal")  # type: ignore[arg-type]


def test_nsga2_finds_front_points() -> None:
    pytest.importorskip("pymoo", reason="NSGA-II needs pip install 'wattlab[explore]'")
    res = search(SPACE, roofline, objectives=["min:energy_j", "min:latency_s", "min:area_mm2"],
                 method="nsga2", n=400, pop_size=40, seed=1)
    assert res.considered == 400
    grid = search(SPACE, roofline, objectives=["min:energy_j", "min:latency_s", "min:area_mm2"],
                  backend="serial")
    # NSGA-II reaches the grid's best energy within 10 % (the clock is continuous here)
    assert res.columns["energy_j"][res.best()] <= 1.1 * grid.columns["energy_j"][grid.best()]


def test_nsga2_resume(tmp_path: Path) -> None:
    pytest.importorskip("pymoo", reason="NSGA-II needs pip install 'wattlab[explore]'")
    ev = Counting()
    a = search(SPACE, ev, objectives=["energy_j", "latency_s"], method="nsga2", n=200, pop_size=20,
               checkpoint=tmp_path)
    first = ev.seen
    b = search(SPACE, ev, objectives=["energy_j", "latency_s"], method="nsga2", n=200, pop_size=20,
               checkpoint=tmp_path)
    assert ev.seen == first and b.evaluated_chunks == 0 and b.resumed_chunks == 10
    assert np.array_equal(a.columns["energy_j"], b.columns["energy_j"])


def test_sensitivity_finds_the_flipping_dimension() -> None:
    # Memory choice flips with the clock: slow clocks are compute-bound (cheap LPDDR wins),
    # fast clocks are memory-bound on LPDDR (HBM's speed lowers static energy).
    def ev(c: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        hbm = c["mem"] == "hbm"
        e = np.where(hbm, 2.0, 1.0) + np.where(hbm, 0.0, c["clock"] / 1e9)
        return {"energy_j": e}

    sp = Space([Range("clock", 0.5e9, 2e9, n=4), Choice("mem", ["hbm", "lpddr"]), Grid("x", [1, 2])])
    s = search(sp, ev, objectives=["energy_j"], backend="serial").sensitivity()
    assert s.target == "mem"
    assert [f["dimension"] for f in s.flips] == ["clock"]
    assert "lpddr" in s.flips[0]["change"] and "hbm" in s.flips[0]["change"]
    assert "flips mem" in s.text()


def test_space_file(tmp_path: Path) -> None:
    p = tmp_path / "s.toml"
    p.write_text('name = "f"\n[dims]\nrows = { grid = [32, 64] }\nmem = { choice = ["hbm", "lpddr"] }\n'
                 'clock = { range = [1e9, 2e9], n = 3 }\n[constraints]\nsmall = "rows * clock < 1e11"\n')
    sp = Space.from_file(p)
    assert sp.size == 12 and sp.name == "f"
    assert sp.feasible(sp.grid())[0].sum() == 10  # 64 x 2e9 is out
    p.write_text('[dims]\nrows = { grid = [] }\n')
    with pytest.raises(SpecError, match="rows"):
        Space.from_file(p)
    p.write_text('[dims]\nrows = { grid = [1], choice = ["a"] }\n')
    with pytest.raises(SpecError, match="exactly one"):
        Space.from_file(p)


@pytest.mark.slow
def test_ray_backend_equals_serial() -> None:
    pytest.importorskip("ray", reason="pip install 'wattlab[dist]'")
    a = search(SPACE, roofline, objectives=["energy_j"], chunk_size=37, backend="ray", workers=2)
    b = search(SPACE, roofline, objectives=["energy_j"], backend="serial")
    assert a.backend == "ray"
    assert np.array_equal(np.sort(a.columns["energy_j"]), np.sort(b.columns["energy_j"]))


def test_unreachable_ray_cluster_is_a_clear_error() -> None:
    pytest.importorskip("ray", reason="pip install 'wattlab[dist]'")
    t = time.perf_counter()
    with pytest.raises(SpecError, match=r"127\.0\.0\.1:1"):
        search(SPACE, roofline, objectives=["energy_j"], chunk_size=37, backend="ray",
               cluster="127.0.0.1:1")
    with pytest.raises(SpecError, match="host:port"):
        search(SPACE, roofline, objectives=["energy_j"], chunk_size=37, backend="ray",
               cluster="nowhere")
    assert time.perf_counter() - t < 10

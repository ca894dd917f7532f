"""Event-simulation speed of the FPGA duty-cycle node: vectorised schedule vs the event loop.

Run: PYTHONPATH=src python benchmarks/bench_idle.py  (prints and writes docs/benchmarks/idle.md)
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from wattlab.params import default_registry
from wattlab.systems.fpga_idle import IDLE_WAITING, ON_OFF, Arrivals, NodeModel, simulate


def _rate(fn, repeats: int = 3) -> tuple[float, int]:  # type: ignore[no-untyped-def]
    best, n = float("inf"), 0
    for _ in range(repeats):
        t = time.perf_counter()
        r = fn()
        best = min(best, time.perf_counter() - t)
        n = r.requests_simulated
    return n / best, n


def main() -> None:
    m = NodeModel.from_params(default_registry())
    rows = []
    arr = Arrivals("fixed", 0.04)
    for pol, budget in ((IDLE_WAITING, 420.0), (ON_OFF, 4147.0)):
        def run(loop: bool, p=pol, b=budget):  # type: ignore[no-untyped-def]
            return simulate(m, p, arr, b, np.random.default_rng(0), force_loop=loop)

        vec, n = _rate(lambda r=run: r(False))
        looped, _ = _rate(lambda r=run: r(True))
        rows.append((pol.name, "fixed 40 ms", n, vec, looped))
    exp, n = _rate(lambda: simulate(m, IDLE_WAITING, Arrivals("exponential", 0.04), 42.0,
                                    np.random.default_rng(0)))
    rows.append(("idle-waiting", "exponential, mean 40 ms (event loop)", n, exp, exp))
    lines = ["# FPGA duty-cycle event simulation (`wattlab.systems.fpga_idle.simulate`)", "",
             "Command: `PYTHONPATH=src python benchmarks/bench_idle.py` (best of 3, one core; "
             "absolute rates vary with machine load, the speed-up column is the figure to compare).",
             "",
             "| policy | arrivals | requests | vectorised (req/s) | event loop (req/s) "
             "| speed-up |",
             "|---|---|---|---|---|---|"]
    for name, kind, n, vec, loop in rows:
        lines.append(f"| {name} | {kind} | {n:,} | {vec:,.0f} | {loop:,.0f} "
                     f"| {vec / loop:.1f}x |")
    text = "\n".join(lines) + "\n"
    print(text)
    out = Path(__file__).resolve().parents[1] / "docs" / "benchmarks" / "idle.md"
    out.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()

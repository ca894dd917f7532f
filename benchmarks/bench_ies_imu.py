"""Speed of the IES dispatch LP and of the IES / IMU quick studies.

Goals (issue 16): one day at 15-minute resolution solved in < 1 s; each quick study < 1 min on
2 cores. Baseline in the same run: building and solving the LP from scratch every time (what a
naive cvxpy script does) against re-solving the cached, parametrised (DPP) problem.

Run: PYTHONPATH=src OMP_NUM_THREADS=1 python benchmarks/bench_ies_imu.py
(prints and writes docs/benchmarks/ies_imu.md)
"""

from __future__ import annotations

import platform
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _timing import best_of

from wattlab.params import default_registry
from wattlab.study import RunContext, all_studies
from wattlab.systems.ies import Plant, solve, synth_day
from wattlab.systems.ies.dispatch import _cached, _problem


def main() -> None:
    warnings.simplefilter("ignore")
    reg = default_registry()
    plant = Plant.from_params(reg)
    rng = np.random.default_rng(0)
    days = [synth_day(int(d), 96, rng, reg) for d in (15, 100, 200, 300)]
    t0 = time.perf_counter()
    solve(plant, days[0])
    first = time.perf_counter() - t0          # includes building the problem
    cached = best_of(lambda: [solve(plant, d) for d in days], 3) / len(days)

    def rebuild() -> None:
        for d in days:
            _cached.cache_clear()
            solve(plant, d)

    fresh = best_of(rebuild, 3) / len(days)
    _problem(plant, 96, 900.0, 0.0)
    rows = [("dispatch LP, 96 steps, first solve (import cvxpy + build + solve)", first),
            ("dispatch LP, 96 steps, rebuild every day (baseline)", fresh),
            ("dispatch LP, 96 steps, cached DPP problem", cached)]
    studies = []
    for sid in ("ies.heat-recovery-share", "ies.dfl-gain", "imu-sensing.camera-ratio"):
        s = all_studies()[sid]
        t = time.perf_counter()
        out = s.run(RunContext("quick", np.random.default_rng(0), reg))
        studies.append((sid, time.perf_counter() - t, out.value))
    cpu = subprocess.run("lscpu | grep -i 'model name'", shell=True, capture_output=True,
                         text=True).stdout.split(":", 1)[-1].strip()
    lines = ["# IES dispatch and IES/IMU quick studies", "",
             "Command: `PYTHONPATH=src OMP_NUM_THREADS=1 python benchmarks/bench_ies_imu.py`", "",
             f"Machine: {cpu or platform.processor()} (shared 2-core VM, other jobs running; "
             "flags: see `lscpu | grep -i flags`).", "",
             "| what | time (s) |", "|---|---|"]
    lines += [f"| {n} | {v:.4f} |" for n, v in rows]
    lines += [f"| speed-up of the cached problem over rebuilding | {fresh / cached:.1f}x |"]
    lines += ["", "| quick study | wall (s) | value |", "|---|---|---|"]
    lines += [f"| {sid} | {t:.1f} | {v:.3f} |" for sid, t, v in studies]
    text = "\n".join(lines) + "\n"
    print(text)
    out = Path(__file__).parent.parent / "docs" / "benchmarks" / "ies_imu.md"
    out.write_text(text)


if __name__ == "__main__":
    main()

"""Meter overhead against a bare one-second window, per back-end.

Two measures, each as a fraction of the window:
- edge cost: the time ``with meter(...)`` adds around an empty block (enter + exit);
- throughput cost: a fixed pure-Python workload (holds the GIL, the worst case for the sampler
  thread) sized to ~1 s bare, timed bare and inside the meter, interleaved; median over repeats.
Back-ends here: the CPU estimate (real /proc/stat and process time), RAPL on a fake powercap tree
(1 s polling thread), NVML counter and NVML sampled power (10 Hz thread) on the fake pynvml of
wattlab.measure.testing: wattlab's own machinery, not the driver's call cost.

Run: PYTHONPATH=src python benchmarks/bench_meter.py [--repeats N] [--out docs/benchmarks/meter.md]
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from wattlab.measure import meter
from wattlab.measure.testing import FakeNvml, make_zone


def work(n: int) -> int:
    s = 0
    for i in range(n):
        s += i * i
    return s


def size_for_one_second() -> int:
    n = 200_000
    while True:
        t = time.perf_counter()
        work(n)
        dt = time.perf_counter() - t
        if dt > 0.2:
            return int(n / dt)
        n *= 2


def backends(tmp: Path) -> dict[str, Callable[[], Any]]:
    root = tmp / "powercap"
    make_zone(root, "intel-rapl:0", "package-0", 1_000_000, 262_143_328_850)
    nores = tmp / "none"

    def nvml(counter: bool) -> Callable[[], Any]:
        def make() -> Any:
            sys.modules["pynvml"] = FakeNvml(counter=counter)
            return meter("gpu", rapl_root=nores, sample_s=0.1)
        return make

    return {
        "none (noise floor: no meter vs no meter)": contextlib.nullcontext,
        "estimate (cpu_2core, process)": lambda: meter("estimate"),
        "rapl (fake tree, 1 s poll)": lambda: meter("cpu", rapl_root=root),
        "nvml counter (fake pynvml)": nvml(True),
        "nvml sampled 10 Hz (fake pynvml)": nvml(False),
    }


def edge_cost(make: Callable[[], Any], repeats: int) -> float:
    ts = []
    for _ in range(repeats):
        m = make()
        t = time.perf_counter()
        with m:
            pass
        ts.append(time.perf_counter() - t)
    return statistics.median(ts)


def poll_cost_per_s(make: Callable[[], Any], calls: int = 2000) -> float:
    """Seconds per second of window spent in the sampler's polls (median call time × rate)."""
    m = make()
    total = 0.0
    with m:
        for ch in getattr(m, "_channels", []):
            if ch.poll_s is None:
                continue
            ts = []
            for _ in range(calls):
                t = time.perf_counter()
                ch.poll(t)
                ts.append(time.perf_counter() - t)
            total += statistics.median(ts) / ch.poll_s
    return total


def throughput_cost(make: Callable[[], Any], n: int,
                    repeats: int) -> tuple[float, float, float]:
    """Median (wall ratio - 1), (process CPU-time ratio - 1) and bare wall time."""
    wall, cpu, bare_ts = [], [], []
    for i in range(repeats):
        runs = {}
        for metered in ((False, True) if i % 2 == 0 else (True, False)):  # alternate the order
            m = make() if metered else contextlib.nullcontext()
            t, c = time.perf_counter(), time.process_time()
            with m:
                work(n)
            runs[metered] = (time.perf_counter() - t, time.process_time() - c)
        wall.append(runs[True][0] / runs[False][0])
        cpu.append(runs[True][1] / runs[False][1])
        bare_ts.append(runs[False][0])
    return statistics.median(wall) - 1, statistics.median(cpu) - 1, statistics.median(bare_ts)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--out", type=Path, default=Path("docs/benchmarks/meter.md"))
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    saved = sys.modules.get("pynvml")
    n = size_for_one_second()
    rows = []
    with tempfile.TemporaryDirectory() as d:
        for name, make in backends(Path(d)).items():
            edge = edge_cost(make, 50)
            poll = poll_cost_per_s(make)
            thr, cpu, bare = throughput_cost(make, n, args.repeats)
            rows.append((name, edge, poll, thr, cpu, bare))
            print(f"{name:36s} edge {edge * 1e3:7.3f} ms  polls {poll * 1e3:7.3f} ms/s  "
                  f"total {(edge + poll):.1e} of 1 s  wall {thr:+.2%}  cpu {cpu:+.2%} "
                  f"(bare {bare:.2f} s)")
    if saved is not None:
        sys.modules["pynvml"] = saved
    lines = [
        "# Meter overhead",
        "",
        f"Command: `PYTHONPATH=src python benchmarks/bench_meter.py --repeats {args.repeats}`",
        "",
        "Machine: 2-core shared CPU VM (other jobs running), Python "
        f"{sys.version.split()[0]}.",
        "Workload: a pure-Python loop sized to ~1 s bare (holds the",
        "GIL, the worst case for the sampler thread). Edge cost = median time of an empty",
        "metered block over 50 runs. Poll cost = median time of one background poll × polls",
        "per second. **Overhead / 1 s = (edge + poll cost) / 1 s**: the headline figure, built",
        "from directly timed parts. Wall and CPU cost = median of (metered / bare − 1) over",
        f"{args.repeats} interleaved pairs (order alternated), in wall time and in this",
        "process's CPU time (which includes the sampler thread). Other jobs on the shared machine",
        "make both ratios noisy (several %, either sign, CPU time included): they bound the",
        "effect but cannot resolve it (see the noise-floor row, which compares two unmetered",
        "runs), so the overhead column is the figure to use.",
        "",
        "| back-end | edge (ms) | polls (ms per s) | overhead / 1 s | wall cost | CPU-time cost "
        "| bare (s) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, edge, poll, thr, cpu, bare in rows:
        lines.append(f"| {name} | {edge * 1e3:.3f} | {poll * 1e3:.3f} | {edge + poll:.1e} "
                     f"| {thr:+.2%} | {cpu:+.2%} | {bare:.2f} |")
    lines += ["", "NVML rows use the fake pynvml of `wattlab.measure.testing`: they time wattlab's",
              "machinery, not the driver. Real NVML calls cost more; the issue's target (< 1 % of a",
              "1 s window) leaves 10 ms for the two counter reads. Re-run on a GPU machine to",
              "check it with the real driver.", ""]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()

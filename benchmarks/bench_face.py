"""The face's speed figures (issue 18), each against a baseline measured in the same run.

    PYTHONPATH=src python benchmarks/bench_face.py            # writes docs/benchmarks/face.md
    PYTHONPATH=src python benchmarks/bench_face.py --quick-run  # also times reproduce --quick

* ``import wattlab`` vs ``import numpy`` (goal ≤ 1.5×) and ``wattlab --help`` start-up: median
  CPU time (user + sys) of fresh processes — CPU time, not wall, because the machine is shared.
* The matrix NTT in the default configuration (no thread variables): the kernels' own BLAS limit
  vs BLAS's default thread count (the behaviour before).
* The HTML report of 50 synthetic studies in headless Chromium: the page's own ready time
  (``data-ready-ms``: parse, layout of the SVG figures, the table script) and the wall time of
  the whole browser run; rendering the report files in Python.
* ``wattlab measure`` overhead: wall time of ``true`` under the meter vs bare.
* ``--quick-run``: ``wattlab reproduce --quick`` of every study in the default configuration
  (``--jobs`` one per core, no thread variables) against ``--jobs 1``: wall time, the sum of the
  studies' times and the peak memory of the whole process tree.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _timing import run_with_memory

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
ENV = dict(os.environ, PYTHONPATH=str(ROOT / "src"), OMP_NUM_THREADS="1")


def cpu_of(argv: list[str], n: int = 7, env: dict[str, str] | None = None) -> float:
    """Median user+sys CPU seconds of ``n`` fresh runs of ``argv``."""
    out = []
    for _ in range(n):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run(argv, env=env or ENV, check=True, capture_output=True)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        out.append((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime))
    return statistics.median(out)


def wall_of(argv: list[str], n: int = 7) -> float:
    out = []
    for _ in range(n):
        t = time.perf_counter()
        subprocess.run(argv, env=ENV, check=True, capture_output=True)
        out.append(time.perf_counter() - t)
    return statistics.median(out)


def startup_rows() -> list[tuple[str, str]]:
    base = cpu_of([PY, "-c", "pass"])
    numpy = cpu_of([PY, "-c", "import numpy"])
    wl = cpu_of([PY, "-c", "import wattlab"])
    cli = cpu_of([PY, "-c", "import wattlab.cli"])
    helps = cpu_of([PY, "-m", "wattlab", "--help"])
    measure = cpu_of([PY, "-m", "wattlab", "measure", "--help"])
    return [
        ("`import wattlab` vs `import numpy` (CPU, median of 7 fresh processes)",
         f"{wl:.3f} s vs {numpy:.3f} s = {wl / numpy:.2f}× (interpreter alone {base:.3f} s)"),
        ("`import wattlab.cli` (commands mounted lazily)", f"{cli:.3f} s CPU"),
        ("`wattlab --help` / `wattlab measure --help`",
         f"{helps:.3f} s / {measure:.3f} s CPU"),
    ]


def ntt_rows() -> list[tuple[str, str]]:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import bench_zkp

    return bench_zkp.default_config_rows(14)


def report_rows() -> list[tuple[str, str]]:
    sys.path.insert(0, str(ROOT))
    from tests.report import chromium
    from tests.report.records import records

    from wattlab.params import default_registry
    from wattlab.report import write_report

    rows = []
    with tempfile.TemporaryDirectory() as d:
        recs = records(50, 12, failed=2)
        t = time.perf_counter()
        write_report(recs, Path(d), default_registry())
        rows.append(("writing the report of 50 studies (md, html, json)",
                     f"{time.perf_counter() - t:.2f} s"))
        if chromium.find() is None:
            rows.append(("report of 50 studies in Chromium", "skipped: chromium not installed"))
            return rows
        ready, walls = [], []
        for _ in range(5):
            page = chromium.open_page(Path(d) / "report.html")
            assert not page.console, page.console
            ready.append(page.ready_ms or float("nan"))
            walls.append(page.seconds)
        size = (Path(d) / "report.html").stat().st_size
        rows.append(("report of 50 studies in headless Chromium (goal < 2 s)",
                     f"page ready at {statistics.median(ready):.0f} ms (median of 5; "
                     f"{min(ready):.0f}–{max(ready):.0f}); whole browser run incl. start-up "
                     f"{statistics.median(walls):.2f} s; {size / 1024:.0f} KiB HTML; "
                     "no console messages"))
    return rows


def measure_rows() -> list[tuple[str, str]]:
    bare = cpu_of(["true"], 9)
    sub = cpu_of([PY, "-m", "wattlab", "measure", "--devices", "estimate", "--no-carbon",
                  "--json", "--", "true"], 7)
    return [("`wattlab measure -- true` vs bare `true` (CPU, median)",
             f"{sub:.3f} s vs {bare:.4f} s: start-up (Python, the CLI, numpy, the registry), "
             "spent before the window opens; the window's own overhead is bench_meter.py's "
             "(< 1% of a 1 s window)")]


def quick_run(out: Path) -> list[tuple[str, str]]:
    """``wattlab reproduce --quick`` in the default configuration a user gets (no thread
    variables, ``--jobs`` left to its default) against ``--jobs 1`` in the same run."""
    env = {k: v for k, v in ENV.items() if k != "OMP_NUM_THREADS"}
    rows = []
    for label, extra in (("default (--jobs: one per core)", []), ("baseline --jobs 1", ["--jobs", "1"])):
        d = out / label.split()[0]
        wall, rc, peak = run_with_memory(
            [PY, "-m", "wattlab", "reproduce", "--quick", "--out", str(d), *extra], env)
        data = json.loads((d / "results.json").read_text())
        times = {r["id"]: float(r.get("wall_s") or 0.0) for r in data}
        sens = sum(float(r.get("sensitivity_s") or 0.0) for r in data)
        top = sorted(times.items(), key=lambda kv: -kv[1])[:6]
        rows += [(f"`reproduce --quick`, all {len(data)} studies, {label} (goal < 120 s, < 4 GiB)",
                  f"{wall:.0f} s wall, exit {rc}; sum of study times {sum(times.values()):.0f} s "
                  f"(sensitivity pass {sens:.0f} s); peak memory of the process tree "
                  f"{peak:.2f} GiB (PSS)"),
                 (f"slowest studies ({label})", "; ".join(f"{k} {v:.1f} s" for k, v in top))]
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(ROOT / "docs/benchmarks/face.md"))
    ap.add_argument("--quick-run", action="store_true", help="also time reproduce --quick")
    args = ap.parse_args()
    load0 = os.getloadavg()
    rows = startup_rows() + ntt_rows() + report_rows() + measure_rows()
    if args.quick_run:
        with tempfile.TemporaryDirectory() as d:
            rows += quick_run(Path(d))
    load1 = os.getloadavg()
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError, StopIteration):
        cpu = next(line.split(":", 1)[1].strip() for line in
                   Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name"))
    cmd = "PYTHONPATH=src python benchmarks/bench_face.py" + (" --quick-run" if args.quick_run
                                                             else "")
    lines = ["# The face: start-up, fast defaults, the report in a browser", "",
             f"Command: `{cmd}`", "",
             f"Machine: {cpu}, {os.cpu_count()} CPUs, shared with other jobs: load average "
             f"{load0[0]:.1f} at start, {load1[0]:.1f} at end. CPU times are given where wall "
             "time would measure the other jobs.", "",
             "| measurement | result |", "|---|---|"]
    lines += [f"| {a} | {b} |" for a, b in rows]
    text = "\n".join(lines) + "\n"
    print(text)
    out = Path(args.out)
    old = out.read_text() if out.exists() else ""
    notes = old[old.index("\n## Notes"):] if "\n## Notes" in old else ""  # hand-written, kept
    out.write_text(text + notes)


if __name__ == "__main__":
    main()

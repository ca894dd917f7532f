"""Foundation benchmarks: `import wattlab` time and `wattlab reproduce --quick` time and memory.

Run: python benchmarks/bench_foundation.py [--only ID ...]
Import time is compared with `import numpy` (its heaviest dependency) measured in the same run.
Peak memory is the summed PSS of the run's whole process tree (the CLI, the fork server and
its workers), sampled every 0.25 s: what the 4 GiB goal bounds.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

from _timing import run_with_memory


def import_time(stmt: str, repeats: int = 7) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", stmt], check=True)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", nargs="*", default=[])
    args = ap.parse_args()
    bare = import_time("pass")
    numpy_s = import_time("import numpy") - bare
    wattlab_s = import_time("import wattlab") - bare
    torch_free = import_time("import wattlab, sys; assert 'torch' not in sys.modules") - bare
    print(f"import numpy   {numpy_s * 1e3:7.1f} ms")
    print(f"import wattlab {wattlab_s * 1e3:7.1f} ms  ({wattlab_s / numpy_s:.2f}x numpy; "
          f"torch not imported: {torch_free * 1e3:.1f} ms)")
    with tempfile.TemporaryDirectory() as out:
        cmd = [sys.executable, "-m", "wattlab.cli", "reproduce", "--quick", "--out", out]
        for i in args.only:
            cmd += ["--only", i]
        wall, rc, peak = run_with_memory(cmd, dict(os.environ))
    print(f"reproduce --quick: {wall:.1f} s wall, exit {rc}, peak memory of the process tree "
          f"{peak:.2f} GiB (PSS)")


if __name__ == "__main__":
    main()

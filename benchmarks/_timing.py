"""Shared helpers for the benchmark scripts (run them from the repository root): timing, thread
pinning and result files."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def best_of(fn: Callable[[], Any], repeat: int = 5) -> float:
    """The fastest of ``repeat`` wall-clock runs of ``fn`` (least disturbed by other load)."""
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def blas_threads_env() -> dict[str, str]:
    """OPENBLAS_NUM_THREADS from ``--threads N`` on the command line, if given: for
    ``os.environ.update`` before the first NumPy import (OpenBLAS reads it when it loads)."""
    if "--threads" not in sys.argv:
        return {}
    return {"OPENBLAS_NUM_THREADS": sys.argv[sys.argv.index("--threads") + 1]}


def parse_with_threads(ap: argparse.ArgumentParser) -> argparse.Namespace:
    """``ap``'s arguments plus ``--threads`` (see :func:`blas_threads_env`), with torch pinned."""
    ap.add_argument("--threads", type=int, default=0,
                    help="torch and OpenBLAS threads (0: the libraries' defaults)")
    args = ap.parse_args()
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    return args


def save_result(name: str, data: dict[str, Any]) -> None:
    """Write ``data`` as JSON to benchmarks/results/``name``."""
    path = Path(__file__).parent / "results" / name
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(data, indent=2))


def _tree(pid: int) -> list[int]:
    """``pid`` and every process below it (a fork server's workers included)."""
    out = [pid]
    with contextlib.suppress(OSError):
        for task in os.listdir(f"/proc/{pid}/task"):
            for child in Path(f"/proc/{pid}/task/{task}/children").read_text().split():
                out += _tree(int(child))
    return out


def _pss_kib(pid: int) -> int:
    with contextlib.suppress(OSError, StopIteration, ValueError):
        return int(next(line.split()[1] for line in
                        Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()
                        if line.startswith("Pss:")))
    return 0


def run_with_memory(argv: list[str], env: dict[str, str]) -> tuple[float, int, float]:
    """Wall seconds, exit code and the peak summed PSS (GiB) of the process tree, sampled every
    0.25 s (shared pages counted once, split between the processes sharing them)."""
    t = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak = 0
    while proc.poll() is None:
        peak = max(peak, sum(_pss_kib(p) for p in _tree(proc.pid)))
        time.sleep(0.25)
    return time.perf_counter() - t, proc.returncode, peak / 2**20

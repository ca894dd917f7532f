"""Shared helpers for the benchmark scripts (run them from the repository root): timing, thread
pinning and result files."""

from __future__ import annotations

import argparse
import json
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

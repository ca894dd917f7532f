"""Benchmark the parameter registry load and the physics helpers.

Run from the repository root: PYTHONPATH=src python benchmarks/bench_params.py
(prints, and writes docs/benchmarks/params.json).
Speeds are reported as ratios against a baseline measured in the same run.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import numpy as np
from _timing import best_of

from wattlab import physics as P
from wattlab.params import _parse_file, default_registry


def main() -> dict[str, float]:
    reg = default_registry()  # pays the one-off pydantic import outside the timings
    data = resources.files("wattlab.params") / "data"
    texts = [(f.name, f.read_text(encoding="utf-8"))
             for f in sorted(data.iterdir(), key=lambda f: f.name) if f.name.endswith(".toml")]

    def parse_all() -> None:
        sources: dict = {}
        for name, text in texts:
            for p in _parse_file(text, name, sources).values():
                sources[p.source.key] = p.source

    n_entries = len(reg)
    t_parse = best_of(parse_all)

    n = 10_000
    enob = np.linspace(2.0, 16.0, n)
    rate = np.geomspace(1e3, 1e10, n)
    t_vec = best_of(lambda: P.adc_energy_j(reg, enob, rate))
    t_loop = best_of(lambda: [P.adc_energy_j(reg, float(b), float(f))
                              for b, f in zip(enob[:500], rate[:500], strict=True)], 3) * n / 500
    t_scale = best_of(lambda: [P.scale_energy(reg, 1e-12, 45, 7) for _ in range(200)], 3) / 200
    results = {
        "registry_entries": n_entries,
        "registry_parse_ms": t_parse * 1e3,
        "registry_parse_us_per_entry": t_parse / n_entries * 1e6,
        "adc_vectorised_ms_per_10k": t_vec * 1e3,
        "adc_scalar_loop_ms_per_10k": t_loop * 1e3,
        "adc_vectorised_speedup": t_loop / t_vec,
        "scale_energy_us_per_call": t_scale * 1e6,
    }
    for k, v in results.items():
        print(f"{k:32s} {v:10.3g}")
    out = Path("docs/benchmarks/params.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    return results


if __name__ == "__main__":
    main()

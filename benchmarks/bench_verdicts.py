"""Cost of the sensitivity pass against the quick run it belongs to (goal: at most +30%).

Every study record carries its total wall time and the part of it the sensitivity pass took
(``sensitivity_s``, timed inside the same worker process), so one ``reproduce --quick`` run gives
the baseline (the run without the pass) and the pass side by side.

Run: PYTHONPATH=src python benchmarks/bench_verdicts.py [--only ID ...] [--results results.json]
(without ``--results`` it runs ``reproduce --quick`` into a temporary folder, no cache; prints
and writes docs/benchmarks/verdicts.md).
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any


def _cpu() -> str:
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
    except OSError:
        return platform.processor()
    keep = [ln.strip() for ln in out.splitlines() if ln.lower().startswith(("model name", "flags"))]
    return "\n".join(k[:200] + (" ..." if len(k) > 200 else "") for k in keep)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--only", action="append", default=None)
    ap.add_argument("--results", type=Path, action="append", default=None,
                    help="read results.json files instead of running reproduce --quick "
                         "(repeatable; a later file's record replaces an earlier one's)")
    args = ap.parse_args()
    wall = None
    if args.results is None:
        from wattlab.reproduce import reproduce

        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            reproduce(args.only, scale="quick", out=Path(tmp))
            wall = time.perf_counter() - t0
            records = json.loads((Path(tmp) / "results.json").read_text())
    else:
        by_id: dict[str, dict[str, Any]] = {}
        for f in args.results:
            for r in json.loads(f.read_text()):
                by_id[r["id"]] = r
        records = list(by_id.values())
    rows: list[tuple[str, float | None, float | None, str, str]] = []
    records_any: list[dict[str, Any]] = list(records)
    for r in records_any:
        if "error" in r and r.get("error"):
            rows.append((r["id"], None, None, "", "error"))
            continue
        total, sens = r.get("wall_s") or 0.0, r.get("sensitivity_s") or 0.0
        path = r.get("sensitivity_path") or ("not assessed" if any(
            "sensitivity not assessed" in n for n in r.get("notes", [])) else "no assumed key")
        rows.append((r["id"], total - sens, sens, path, ", ".join(r.get("decided_by") or [])))
    base = sum(b for _, b, _, _, _ in rows if b is not None)
    extra = sum(s for _, _, s, _, _ in rows if s is not None)
    lines = [
        "# Sensitivity pass: cost against the quick run",
        "",
        "Goal (issue 10): the sensitivity pass adds at most 30% to `wattlab reproduce --quick`.",
        "Each record's wall time splits into the study's run and the pass (timed in the same",
        "worker process), so one run gives the baseline and the pass side by side.",
        "",
        "Command: `PYTHONPATH=src python benchmarks/bench_verdicts.py"
        + "".join(f" --results {f}" for f in args.results or []) + "`",
        "",
        "```",
        _cpu(),
        "```",
        "",
        f"**Total: runs {base:.1f} s, sensitivity pass {extra:.1f} s = +{extra / base:.1%}**"
        + (f" (reproduce wall {wall:.0f} s)" if wall else ""),
        "",
        "| study | run (s) | pass (s) | pass / run | path | decided by |",
        "|---|---|---|---|---|---|",
    ]
    for sid, b, s, path, dec in rows:
        if b is None or s is None:
            lines.append(f"| `{sid}` | — | — | — | {path} | {dec} |")
        else:
            ratio = f"{s / b:.0%}" if b > 0 else "—"
            lines.append(f"| `{sid}` | {b:.2f} | {s:.2f} | {ratio} | {path} | {dec} |")
    text = "\n".join(lines) + "\n"
    print(text)
    out = Path(__file__).resolve().parents[1] / "docs" / "benchmarks" / "verdicts.md"
    out.write_text(text)


if __name__ == "__main__":
    main()

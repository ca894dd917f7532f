"""Synthetic study records for the report tests and the report benchmark (no study is run)."""

from __future__ import annotations

from typing import Any

from wattlab.records import StudyRecord

VERDICTS = ["reproduced", "trend-reproduced", "not-reproduced", "not-checkable-here",
            "identity", "consistency", "paper-data"]
EVIDENCE = ["modelled", "measured", "identity", "consistency", "paper-data"]
UNITS = ["x", "1", "J", "%", "TOPS/W"]


def records(n: int = 6, papers: int = 3, *, failed: int = 1) -> list[dict[str, Any]]:
    """``n`` records over ``papers`` papers: every verdict, evidence kind and unit appears;
    the last ``failed`` records are failed studies (with a traceback)."""
    out: list[dict[str, Any]] = []
    for i in range(n):
        p = i % papers
        sid = f"paper{p}.claim{i}"
        if i >= n - failed:
            out.append({"id": sid, "error": "ValueError: boom <b>", "wall_s": 1.5,
                        "traceback": "Traceback (most recent call last):\n  File x\nValueError: boom"})
            continue
        verdict = VERDICTS[i % len(VERDICTS)]
        value = None if verdict == "not-checkable-here" else 10.0 * (1.7 ** ((i % 9) - 4))
        rec = StudyRecord(
            id=sid, paper=f"Paper number {p}: a title", arxiv=f"2401.{p:05d}",
            claim=f"claim {i} holds", metric="speed-up", unit=UNITS[i % len(UNITS)],
            paper_value=10.0, tolerance=0.25, claim_kind="at_least" if i % 7 == 3 else "approx",
            value=value, interval=[value * 0.8, value * 1.2] if value and i % 2 else None,
            verdict=verdict, gap=None if value is None else value / 10.0 - 1.0,
            evidence=EVIDENCE[i % len(EVIDENCE)], boundary="chip only, no host",
            needs="pip install thing" if value is None else "",
            notes=["a note"], scale="quick", seed=0, wall_s=0.5 + i,
            costs={"baseline": {"energy_j": {"dram": 3.0, "mac": 1.0, "leak": 0.2},
                                "energy_total_j": 4.2, "latency_s": 1e-3, "area_mm2": {},
                                "counts": {}, "boundary": ["dram", "mac", "leak"], "sources": {}},
                   "proposed": {"energy_j": {"dram": 0.5, "mac": 1.0},
                                "energy_total_j": 1.5, "latency_s": 1e-3, "area_mm2": {},
                                "counts": {}, "boundary": ["dram", "mac"], "sources": {}}}
            if i % 2 == 0 else {},
            tables={"sweep": [{"n": 1, "energy (J)": 2.0}, {"n": 2, "energy (J)": 3.5}]},
        )
        out.append(rec.to_dict())
    return out

"""The reproduction report: Markdown, self-contained HTML and ``results.json``."""

from __future__ import annotations

import base64
import json
import math
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from wattlab.params import Registry

#: Fields of each ``results.json`` record (one per study).
RESULT_FIELDS = ("id", "paper", "arxiv", "metric", "unit", "paper_value", "value", "interval",
                 "verdict", "gap", "evidence", "boundary", "inputs_from_paper", "needs", "error")


def fmt(x: Any) -> str:
    """A number for people: four significant digits, or '—' for none."""
    if x is None:
        return "—"
    if isinstance(x, float):
        if not math.isfinite(x):
            return str(x)
        return f"{x:.4g}"
    return str(x)


def verdict_label(r: dict[str, Any]) -> str:
    """The verdict as shown: with "interval straddles" and "decided by assumed KEY" when so."""
    if "error" in r:
        return "error"
    v = str(r["verdict"])
    extra = []
    if r.get("straddles"):
        extra.append("interval straddles the band")
    decided = r.get("decided_by") or []
    if decided:
        extra.append("decided by assumed " + ", ".join(decided))
    return f"{v} ({'; '.join(extra)})" if extra else v


def value_text(r: dict[str, Any]) -> str:
    """The value with its unit and, when estimated from samples, its interval."""
    iv = r.get("interval")
    text = f"{fmt(r.get('value'))} {r.get('unit', '')}".strip()
    return f"{text} [{fmt(iv[0])}, {fmt(iv[1])}]" if iv else text


def summary_counts(records: Sequence[dict[str, Any]]) -> dict[str, int]:
    """Verdicts counted by name (identity, consistency and paper-data apart from reproductions),
    plus how many verdicts an assumed parameter decides."""
    counts: dict[str, int] = {}
    for r in records:
        k = "error" if "error" in r else str(r["verdict"])
        counts[k] = counts.get(k, 0) + 1
    decided = sum(1 for r in records if "error" not in r and r.get("decided_by"))
    if decided:
        counts["decided by an assumed parameter"] = decided
    return counts


def gap_text(r: dict[str, Any]) -> str:
    """The gap to the paper: relative, or absolute (in the claim's unit) when the paper value is 0."""
    gap = r.get("gap")
    if gap is None:
        return "—"
    return f"{gap:+.1%}" if r.get("paper_value") else f"{gap:+.4g} {r.get('unit', '')}".strip()


def paper_text(r: dict[str, Any]) -> str:
    """The paper's value with its kind: '≥ 10 x' for a lower bound, '≤ 1 x' for an upper one."""
    sign = {"at_least": "≥ ", "at_most": "≤ "}.get(str(r.get("claim_kind")), "")
    return f"{sign}{fmt(r.get('paper_value'))} {r.get('unit', '')}".strip()


def slug(name: str) -> str:
    """A file-name-safe form of a figure name."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-") or "figure"


def result_record(r: dict[str, Any]) -> dict[str, Any]:
    """The ``results.json`` view of a study record."""
    return {k: r.get(k) for k in RESULT_FIELDS if k in r or k != "error"}


def _env() -> Environment:
    env = Environment(loader=PackageLoader("wattlab.report", "templates"),
                      autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True,
                      keep_trailing_newline=True)
    env.filters["fmt"] = fmt
    env.filters["slug"] = slug
    env.filters["pct"] = lambda x: "—" if x is None else f"{x:+.1%}"
    env.filters["b64"] = lambda h: base64.b64encode(bytes.fromhex(h)).decode()
    env.globals["verdict_label"] = verdict_label
    env.globals["gap_text"] = gap_text
    env.globals["paper_text"] = paper_text
    env.globals["value_text"] = value_text
    return env


def write_report(records: Sequence[dict[str, Any]], out: Path, params: Registry) -> None:
    """Write ``report.md``, ``report.html``, ``results.json`` and ``figures/`` into ``out``."""
    from wattlab.reproduce import atomic_write, sources_used

    out.mkdir(parents=True, exist_ok=True)
    for r in records:
        for name, hexpng in r.get("figures", {}).items():
            atomic_write(out / "figures" / r["id"] / f"{slug(name)}.png", bytes.fromhex(hexpng))
    counts = summary_counts(records)
    ctx = {"records": records, "sources": sources_used(records), "counts": counts,
           "generated": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
           "params_digest": params.digest()}
    env = _env()
    atomic_write(out / "results.json", json.dumps([result_record(r) for r in records], indent=2))
    atomic_write(out / "report.md", env.get_template("report.md.j2").render(**ctx))
    atomic_write(out / "report.html", env.get_template("report.html.j2").render(**ctx))


__all__ = ["write_report"]

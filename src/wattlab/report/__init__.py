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

#: The fields every ``results.json`` record has (see ``wattlab.records.StudyRecord``).
RESULT_FIELDS = ("id", "paper", "arxiv", "metric", "unit", "paper_value", "value", "interval",
                 "verdict", "gap", "evidence", "boundary", "inputs_from_paper", "needs",
                 "decided_by", "sensitivity")


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


def summary_line(records: Sequence[dict[str, Any]]) -> str:
    """Reproductions, the other kinds of evidence (counted apart), verdicts decided by an
    assumed parameter, and errors — one line."""
    c = summary_counts(records)
    own = [f"{c[k]} {k}" for k in ("reproduced", "trend-reproduced", "not-reproduced",
                                    "not-checkable-here") if c.get(k)]
    apart = [f"{c[k]} {k}" for k in ("identity", "consistency", "paper-data") if c.get(k)]
    parts = [", ".join(own) or "no verdicts"]
    if apart:
        parts.append("counted apart (not reproductions): " + ", ".join(apart))
    decided = c.get("decided by an assumed parameter", 0)
    parts.append(f"{decided} verdict{'s' if decided != 1 else ''} decided by an assumed parameter")
    if c.get("error"):
        parts.append(f"{c['error']} error{'s' if c['error'] != 1 else ''}")
    return " · ".join(parts)


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
    """The ``results.json`` view of a study record: ``StudyRecord.to_json`` with figure paths."""
    from wattlab.records import StudyRecord

    paths = {name: f"figures/{r['id']}/{slug(name)}.png" for name in r.get("figures", {})}
    return StudyRecord.from_dict(r).to_json(paths)


def sensitivity_rows(r: dict[str, Any]) -> list[dict[str, Any]]:
    """The sensitivity table of a record: one row per assumed key."""
    return [{"assumed key": p["key"], "nominal": p["nominal"], "low": p["low"],
             "high": p["high"], "value at low": p["value_low"], "value at high": p["value_high"],
             "verdict at low": p["verdict_low"], "verdict at high": p["verdict_high"],
             "decides": "yes" if p["key"] in (r.get("decided_by") or []) else ""}
            for p in r.get("sensitivity") or []]


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
    env.globals["sensitivity_rows"] = sensitivity_rows
    return env


def write_report(records: Sequence[dict[str, Any]], out: Path, params: Registry) -> None:
    """Write ``report.md``, ``report.html``, ``results.json`` (with ``results.schema.json``
    beside it) and ``figures/`` into ``out``."""
    from wattlab.reproduce import atomic_write, sources_used

    out.mkdir(parents=True, exist_ok=True)
    for r in records:
        for name, hexpng in r.get("figures", {}).items():
            atomic_write(out / "figures" / r["id"] / f"{slug(name)}.png", bytes.fromhex(hexpng))
    counts = summary_counts(records)
    ctx = {"records": records, "sources": sources_used(records), "counts": counts,
           "summary": summary_line(records),
           "generated": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
           "params_digest": params.digest()}
    env = _env()
    from wattlab.records import json_schema

    atomic_write(out / "results.json", json.dumps([result_record(r) for r in records], indent=2))
    atomic_write(out / "results.schema.json", json.dumps(json_schema(), indent=2))
    atomic_write(out / "report.md", env.get_template("report.md.j2").render(**ctx))
    atomic_write(out / "report.html", env.get_template("report.html.j2").render(**ctx))


__all__ = ["write_report"]

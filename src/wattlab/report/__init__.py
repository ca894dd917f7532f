"""The reproduction report: Markdown, self-contained HTML and ``results.json``."""

from __future__ import annotations

import base64
import json
import math
import os
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader

from wattlab.files import atomic_write, umask
from wattlab.params import Registry
from wattlab.report import charts

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


def unit_text(unit: Any) -> str:
    """A unit as people write it: nothing for a dimensionless '1', '×' for a factor."""
    u = str(unit or "").strip()
    if u in ("1", ""):
        return ""
    if u in ("x", "×", "X"):
        return "×"
    return u


def with_unit(x: Any, unit: Any) -> str:
    """A number and its unit: '3.2 J', '10×', '0.5' (dimensionless)."""
    u = unit_text(unit)
    if x is None:
        return "—"
    if u == "×":
        return f"{fmt(x)}×"
    return f"{fmt(x)} {u}".strip()


def value_text(r: dict[str, Any]) -> str:
    """The value with its unit and, when estimated from samples, its interval."""
    iv = r.get("interval")
    text = with_unit(r.get("value"), r.get("unit"))
    return f"{text} [{fmt(iv[0])}, {fmt(iv[1])}]" if iv else text


def rerun_command(r: dict[str, Any], out: str = "wattlab-report") -> str:
    """The command that reruns one study alone (its traceback is then in the report)."""
    return f"wattlab reproduce --only {r['id']} --jobs 1 --out {out}"


def error_help(r: dict[str, Any]) -> str:
    """What to do about a failed study, in one sentence (the command is :func:`rerun_command`)."""
    err = str(r.get("error", ""))
    if err.startswith("worker failed") or "BrokenProcessPool" in err:
        return ("The worker process died (often out of memory): rerun it alone; if it dies "
                "again, free memory or use a larger machine.")
    if "MemoryError" in err:
        return "It ran out of memory: close other work and rerun it alone."
    if "ModuleNotFoundError" in err or "ImportError" in err:
        return ("A package it needs is missing or broken: install wattlab's extras "
                "(pip install -e '.[all]') and rerun it.")
    return ("This is a bug in the study or its inputs, not a verdict: rerun it alone and "
            "report it with the traceback.")


def traceback_tail(r: dict[str, Any], lines: int = 12) -> str:
    """The last lines of a failed study's traceback ('' when there is none)."""
    tb = str(r.get("traceback") or "").rstrip().splitlines()
    return "\n".join(tb[-lines:])


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
    if r.get("paper_value"):
        return f"{gap:+.1%}"
    u = unit_text(r.get("unit"))
    return f"{gap:+.4g}×" if u == "×" else f"{gap:+.4g} {u}".strip()


def paper_text(r: dict[str, Any]) -> str:
    """The paper's value with its kind: '≥ 10 x' for a lower bound, '≤ 1 x' for an upper one."""
    sign = {"at_least": "≥ ", "at_most": "≤ "}.get(str(r.get("claim_kind")), "")
    return f"{sign}{with_unit(r.get('paper_value'), r.get('unit'))}"


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


_DOI = re.compile(r"^(?:doi:\s*)?(10\.\d{4,9}/\S+)$", re.IGNORECASE)
_ARXIV = re.compile(r"^arxiv:\s*([A-Za-z.-]*/?\d{4}\.?\d{0,5}(?:v\d+)?)$", re.IGNORECASE)


def safe_url(url: Any) -> str:
    """``url`` as a link target if it is http(s), a DOI or an arXiv id, else '' (no link).

    ``doi:10.x/y`` becomes https://doi.org/10.x/y; ``arXiv:2401.01234`` https://arxiv.org/abs/...
    Anything else (javascript:, data:, relative paths) is never linked.
    """
    from urllib.parse import quote, urlsplit

    text = str(url or "").strip()
    if any(ord(c) < 32 or c in "\"'<>` " for c in text):
        return ""
    m = _DOI.match(text)
    if m and text.lower().startswith("doi:"):
        return "https://doi.org/" + quote(m.group(1), safe="/:;()._-")
    m = _ARXIV.match(text)
    if m:
        return "https://arxiv.org/abs/" + quote(m.group(1), safe="/._-")
    parts = urlsplit(text)
    if parts.scheme.lower() in ("http", "https") and parts.netloc:
        return text
    return ""


_MD_SPECIAL = str.maketrans({"<": "&lt;", ">": "&gt;", "|": "\\|", "[": "\\[", "]": "\\]",
                             "\n": " ", "\r": " ", "`": "\\`"})


def md_escape(x: Any) -> Any:
    """Text for a Markdown cell: no raw HTML, no links, no table breaks (numbers pass through)."""
    return x.translate(_MD_SPECIAL) if isinstance(x, str) else x


def _env(html: bool = True) -> Environment:
    # Autoescape is decided here, not by the template's name ("report.html.j2" ends in .j2).
    env = Environment(loader=PackageLoader("wattlab.report", "templates"),
                      autoescape=html, trim_blocks=True, lstrip_blocks=True,
                      keep_trailing_newline=True, finalize=None if html else md_escape)
    env.filters["safe_url"] = safe_url
    env.filters["fmt"] = fmt
    env.filters["slug"] = slug
    env.filters["pct"] = lambda x: "—" if x is None else f"{x:+.1%}"
    env.filters["b64"] = lambda h: base64.b64encode(bytes.fromhex(h)).decode()
    env.globals["verdict_label"] = verdict_label
    env.globals["gap_text"] = gap_text
    env.globals["paper_text"] = paper_text
    env.globals["value_text"] = value_text
    env.globals["sensitivity_rows"] = sensitivity_rows
    env.globals["unit_text"] = unit_text
    env.globals["with_unit"] = with_unit
    env.globals["error_help"] = error_help
    env.globals["rerun_command"] = rerun_command
    env.globals["traceback_tail"] = traceback_tail
    env.globals["group_by_paper"] = charts.group_by_paper
    env.globals["cost_svg"] = charts.cost_svg
    env.globals["tornado_svg"] = charts.tornado_svg
    env.globals["ratio"] = charts.ratio
    env.globals["cost_components"] = cost_components
    return env


def cost_components(costs: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """One study's costs as one table: a row per component, a column per cost (joules)."""
    comps: list[str] = []
    for c in costs.values():
        comps += [k for k in (c.get("energy_j") or {}) if k not in comps]
    return [{"component": k, **{name: (c.get("energy_j") or {}).get(k) for name, c in
                                costs.items()}} for k in comps]


def sources_used(records: Sequence[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Every parameter any study used, by key."""
    out: dict[str, dict[str, Any]] = {}
    for r in records:
        out.update(r.get("params", {}))
    return dict(sorted(out.items()))


def write_report(records: Sequence[dict[str, Any]], out: Path, params: Registry) -> None:
    """Write ``report.md``, ``report.html``, ``results.json`` (with ``results.schema.json``
    beside it) and ``figures/`` into ``out``.

    Everything is rendered first; only a whole report replaces the previous one (each file
    atomically; ``figures/`` as a whole, so a narrower rerun leaves no stale figure folders).
    """
    import shutil
    import tempfile


    figures: dict[Path, bytes] = {}
    for r in records:
        rid = str(r["id"])
        if not rid or rid.startswith(".") or "/" in rid or "\\" in rid:
            raise ValueError(f"study id {rid!r} cannot name a figure folder")
        for name, hexpng in r.get("figures", {}).items():
            figures[Path(rid) / f"{slug(name)}.png"] = bytes.fromhex(hexpng)
    counts = summary_counts(records)
    ctx = {"records": records, "sources": sources_used(records), "counts": counts,
           "summary": summary_line(records), "papers": charts.group_by_paper(records),
           "summary_svg": charts.summary_svg(records), "out": str(out),
           "total_wall_s": sum(float(r.get("wall_s") or 0.0) for r in records),
           "generated": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
           "params_digest": params.digest()}
    from wattlab.records import json_schema

    files = {
        "results.json": json.dumps([result_record(r) for r in records], indent=2),
        "results.schema.json": json.dumps(json_schema(), indent=2),
        "report.md": _env(html=False).get_template("report.md.j2").render(**ctx),
        "report.html": _env(html=True).get_template("report.html.j2").render(**ctx),
    }
    out.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(dir=out, prefix=".figures-"))
    try:
        os.chmod(stage, 0o777 & ~umask())
        for rel, png in figures.items():
            atomic_write(stage / rel, png)
        old = out / "figures"
        trash = out / f".figures-old-{os.getpid()}"
        if old.exists():
            os.replace(old, trash)
        os.replace(stage, old)
        shutil.rmtree(trash, ignore_errors=True)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    if not figures:
        shutil.rmtree(out / "figures", ignore_errors=True)
    for name, text in files.items():
        atomic_write(out / name, text)


__all__ = ["safe_url", "write_report"]

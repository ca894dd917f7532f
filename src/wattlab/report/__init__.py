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

from jinja2 import Environment, PackageLoader

from wattlab.params import Registry

#: Fields of each ``results.json`` record (one per study).
RESULT_FIELDS = ("id", "paper", "arxiv", "metric", "unit", "paper_value", "value", "verdict", "gap",
                 "basis", "boundary", "consistency_check", "inputs_from_paper", "needs", "error")


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
    if "error" in r:
        return "error"
    v = str(r["verdict"])
    return f"{v} (consistency check)" if r.get("consistency_check") and v != "not-checkable-here" else v


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
    return env


def write_report(records: Sequence[dict[str, Any]], out: Path, params: Registry) -> None:
    """Write ``report.md``, ``report.html``, ``results.json`` and ``figures/`` into ``out``.

    Everything is rendered first; only a whole report replaces the previous one (each file
    atomically; ``figures/`` as a whole, so a narrower rerun leaves no stale figure folders).
    """
    import os
    import shutil
    import tempfile

    from wattlab.reproduce import atomic_write, params_digest, sources_used

    figures: dict[Path, bytes] = {}
    for r in records:
        rid = str(r["id"])
        if not rid or rid.startswith(".") or "/" in rid or "\\" in rid:
            raise ValueError(f"study id {rid!r} cannot name a figure folder")
        for name, hexpng in r.get("figures", {}).items():
            figures[Path(rid) / f"{slug(name)}.png"] = bytes.fromhex(hexpng)
    counts: dict[str, int] = {}
    for r in records:
        counts[verdict_label(r).split(" ")[0]] = counts.get(verdict_label(r).split(" ")[0], 0) + 1
    ctx = {"records": records, "sources": sources_used(records), "counts": counts,
           "generated": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
           "params_digest": params_digest(params)}
    files = {
        "results.json": json.dumps([result_record(r) for r in records], indent=2),
        "report.md": _env(html=False).get_template("report.md.j2").render(**ctx),
        "report.html": _env(html=True).get_template("report.html.j2").render(**ctx),
    }
    out.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(dir=out, prefix=".figures-"))
    try:
        os.chmod(stage, 0o777 & ~_umask())
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


def _umask() -> int:
    import os

    mask = os.umask(0)
    os.umask(mask)
    return mask


__all__ = ["safe_url", "write_report"]

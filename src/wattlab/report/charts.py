"""Inline SVG charts for the report: the summary figure and one cost chart per study.

Hand-written SVG (no plotting library, no script, no external file) so the HTML report stays
self-contained and renders fast. Every text is XML-escaped.

* :func:`summary_svg`: for every claim, the ratio wattlab/paper on a log axis, the paper's
  tolerance band around 1, colour by verdict, marker by evidence kind, grouped by paper.
* :func:`cost_svg`: the energy of each cost of one study as a stacked bar by component
  (share of the bar's total; the total in joules at the bar's end).
* :func:`tornado_svg`: one study's sensitivity pass, each assumed key's value at its low and
  high end against the nominal, the paper's value and tolerance band.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape
from typing import Any

#: Fill colour per verdict (the same hues as the table's row classes).
VERDICT_COLOURS = {
    "reproduced": "#2e8b3a", "trend-reproduced": "#d4a017", "not-reproduced": "#c0392b",
    "not-checkable-here": "#7b7bb8", "identity": "#888888", "consistency": "#888888",
    "paper-data": "#888888", "error": "#6b0000",
}
#: Marker per evidence kind.
EVIDENCE_MARKERS = {"measured": "circle", "modelled": "square", "identity": "diamond",
                    "consistency": "triangle", "paper-data": "cross"}
#: Cost bars share one energy scale when their totals are within this factor.
SAME_SCALE = 50.0
#: Ratios beyond these ends are drawn at the end with an arrow.
RATIO_MIN, RATIO_MAX = 1e-3, 1e3
_PALETTE = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1",
            "#ff9da7", "#9c755f", "#bab0ac"]


def verdict_key(r: dict[str, Any]) -> str:
    return "error" if "error" in r else str(r.get("verdict") or "not-checkable-here")


def ratio(r: dict[str, Any]) -> float | None:
    """wattlab value / paper value, when both are finite and positive."""
    v, p = r.get("value"), r.get("paper_value")
    if "error" in r or v is None or p is None:
        return None
    try:
        v, p = float(v), float(p)
    except (TypeError, ValueError):
        return None
    if not (math.isfinite(v) and math.isfinite(p)) or v <= 0 or p <= 0:
        return None
    return v / p


def _marker(kind: str, x: float, y: float, colour: str, title: str) -> str:
    s = 5.0
    t = f"<title>{escape(title)}</title>"
    shape = EVIDENCE_MARKERS.get(kind, "circle")
    if shape == "square":
        return (f'<rect x="{x - s:.1f}" y="{y - s:.1f}" width="{2 * s:.1f}" height="{2 * s:.1f}" '
                f'fill="{colour}" stroke="#222" stroke-width="0.6">{t}</rect>')
    if shape == "diamond":
        pts = (f"{x:.1f},{y - s - 1:.1f} {x + s + 1:.1f},{y:.1f} {x:.1f},{y + s + 1:.1f} "
               f"{x - s - 1:.1f},{y:.1f}")
        return f'<polygon points="{pts}" fill="{colour}" stroke="#222" stroke-width="0.6">{t}</polygon>'
    if shape == "triangle":
        pts = f"{x:.1f},{y - s - 1:.1f} {x + s + 1:.1f},{y + s:.1f} {x - s - 1:.1f},{y + s:.1f}"
        return f'<polygon points="{pts}" fill="{colour}" stroke="#222" stroke-width="0.6">{t}</polygon>'
    if shape == "cross":
        return (f'<path d="M{x - s:.1f},{y - s:.1f}L{x + s:.1f},{y + s:.1f}M{x - s:.1f},{y + s:.1f}'
                f'L{x + s:.1f},{y - s:.1f}" stroke="{colour}" stroke-width="2.5">{t}</path>')
    return (f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{s:.1f}" fill="{colour}" stroke="#222" '
            f'stroke-width="0.6">{t}</circle>')


def _band(r: dict[str, Any]) -> tuple[float, float] | None:
    """The ratio band the claim accepts (approx: 1 ± tol; at_least: ≥ 1; at_most: ≤ 1)."""
    kind = r.get("claim_kind", "approx")
    tol = r.get("tolerance")
    if kind == "at_least":
        return 1.0, RATIO_MAX
    if kind == "at_most":
        return RATIO_MIN, 1.0
    if tol is None or not math.isfinite(float(tol)) or tol <= 0:
        return None
    return max(1.0 - float(tol), RATIO_MIN), 1.0 + float(tol)


def group_by_paper(records: Sequence[dict[str, Any]]) -> list[tuple[str, list[dict[str, Any]]]]:
    """Records grouped by paper, papers in first-appearance order (failed ones by id prefix)."""
    by_prefix = {str(r["id"]).split(".")[0]: str(r["paper"]) for r in records if r.get("paper")}
    groups: dict[str, list[dict[str, Any]]] = {}
    for r in records:
        prefix = str(r["id"]).split(".")[0]
        paper = r.get("paper") or by_prefix.get(prefix) or f"{prefix} (the study failed)"
        groups.setdefault(str(paper), []).append(r)
    return list(groups.items())


def summary_svg(records: Sequence[dict[str, Any]], width: int = 900) -> str:
    """The summary figure (see the module docstring) as an inline ``<svg>`` element."""
    groups = group_by_paper(records)
    row_h, label_w, right_w = 16, 300, 175
    plot_w = width - label_w - right_w
    n_rows = sum(len(g) + 1 for _, g in groups)
    top, bottom = 30, 70
    height = top + n_rows * row_h + bottom
    lo, hi = math.log10(RATIO_MIN), math.log10(RATIO_MAX)

    def xpos(q: float) -> float:
        q = min(max(q, RATIO_MIN), RATIO_MAX)
        return label_w + (math.log10(q) - lo) / (hi - lo) * plot_w

    out = [f'<svg id="summary-figure" xmlns="http://www.w3.org/2000/svg" role="img" '
           f'viewBox="0 0 {width} {height}" width="100%" '
           f'style="max-width:{width}px;font:11px system-ui,sans-serif" '
           f'aria-label="wattlab value / paper value for every claim, log axis">']
    # axis and grid
    for k in range(int(lo), int(hi) + 1):
        x = xpos(10.0**k)
        out.append(f'<line x1="{x:.1f}" y1="{top - 6}" x2="{x:.1f}" y2="{height - bottom + 4}" '
                   f'stroke="{"#333" if k == 0 else "#ddd"}" stroke-width="{1.2 if k == 0 else 1}"/>')
        label = "1" if k == 0 else (f"{10.0**k:g}" if abs(k) <= 2 else f"1e{k}")
        out.append(f'<text x="{x:.1f}" y="{top - 10}" text-anchor="middle">{label}</text>')
        out.append(f'<text x="{x:.1f}" y="{height - bottom + 16}" text-anchor="middle">'
                   f'{label}</text>')
    out.append(f'<text x="{label_w + plot_w / 2:.1f}" y="{height - bottom + 32}" '
               'text-anchor="middle">wattlab value / paper value (log scale; shaded: the '
               "paper's tolerance)</text>")
    y = top
    for paper, rs in groups:
        out.append(f'<text x="4" y="{y + 12}" font-weight="bold">'
                   f'{escape(_short(paper, 60))}</text>')
        y += row_h
        for r in rs:
            cy = y + row_h / 2
            vk = verdict_key(r)
            colour = VERDICT_COLOURS.get(vk, "#555")
            out.append(f'<a href="#{escape(str(r["id"]))}"><text x="14" y="{cy + 4:.1f}" '
                       f'fill="#1a4a8a">{escape(_short(str(r["id"]), 44))}</text></a>')
            band = _band(r)
            if band is not None and "error" not in r:
                x0, x1 = xpos(band[0]), xpos(band[1])
                out.append(f'<rect x="{x0:.1f}" y="{y + 2}" width="{max(x1 - x0, 1.5):.1f}" '
                           f'height="{row_h - 4}" fill="#2e8b3a" fill-opacity="0.15"/>')
            q = ratio(r)
            label = vk
            if q is not None:
                iv = r.get("interval")
                pv = float(r["paper_value"])
                if iv and pv > 0 and iv[0] > 0 and iv[1] > 0:
                    out.append(f'<line x1="{xpos(iv[0] / pv):.1f}" y1="{cy:.1f}" '
                               f'x2="{xpos(iv[1] / pv):.1f}" y2="{cy:.1f}" stroke="{colour}" '
                               'stroke-width="1.5"/>')
                title = (f"{r['id']}: {vk}; wattlab/paper = {q:.3g}; evidence "
                         f"{r.get('evidence') or '?'}")
                out.append(_marker(str(r.get("evidence") or ""), xpos(q), cy, colour, title))
                if not RATIO_MIN < q < RATIO_MAX:
                    edge = "◀" if q <= RATIO_MIN else "▶"
                    out.append(f'<text x="{xpos(q) + (-16 if q <= RATIO_MIN else 8):.1f}" '
                               f'y="{cy + 4:.1f}" fill="{colour}">{edge}</text>')
                label = f"{q:.3g}× · {vk}"
            else:
                why = "failed" if "error" in r else ("no value" if r.get("value") is None
                                                     else "no ratio (paper value 0)")
                out.append(f'<text x="{label_w + 4}" y="{cy + 4:.1f}" fill="{colour}" '
                           f'font-style="italic">— {why}</text>')
            out.append(f'<text x="{label_w + plot_w + 8}" y="{cy + 4:.1f}" fill="{colour}">'
                       f'{escape(label)}</text>')
            y += row_h
    # legend
    ly = height - bottom + 48
    x = 4.0
    for v in ("reproduced", "trend-reproduced", "not-reproduced", "not-checkable-here",
              "identity", "error"):
        out.append(f'<rect x="{x:.0f}" y="{ly - 9}" width="10" height="10" '
                   f'fill="{VERDICT_COLOURS[v]}"/><text x="{x + 14:.0f}" y="{ly}">'
                   f'{"identity / consistency / paper-data" if v == "identity" else v}</text>')
        x += 14 + 7 * len(v) + (150 if v == "identity" else 20)
    x = 4.0
    for kind in EVIDENCE_MARKERS:
        out.append(_marker(kind, x + 5, ly + 13, "#bbb", kind))
        out.append(f'<text x="{x + 14:.0f}" y="{ly + 17}">{kind}</text>')
        x += 30 + 7 * len(kind)
    out.append("</svg>")
    return "".join(out)


def _short(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def cost_svg(costs: dict[str, dict[str, Any]], width: int = 760) -> str:
    """One chart for one study's costs: a stacked bar per cost, segments = its components'
    energy, the total in joules at the end. Bar lengths are proportional to energy when the
    totals are within :data:`SAME_SCALE` of each other; otherwise each bar is its own 100 %
    (the chart then says so). '' when there is nothing to draw."""
    from wattlab.units import format_si

    bars = []
    for name, c in costs.items():
        parts = {k: float(v) for k, v in (c.get("energy_j") or {}).items()
                 if isinstance(v, int | float) and math.isfinite(v) and v > 0}
        total = sum(parts.values())
        if total > 0:
            bars.append((name, parts, total, c.get("energy_total_j")))
    if not bars:
        return ""
    comps: list[str] = []
    for _, parts, _, _ in bars:
        comps += [k for k in parts if k not in comps]
    colour = {k: _PALETTE[i % len(_PALETTE)] for i, k in enumerate(comps)}
    label_w, right_w, bar_h, gap = 190, 90, 18, 6
    plot_w = width - label_w - right_w
    legend_rows = math.ceil(len(comps) / 4)
    biggest = max(b[2] for b in bars)
    same = biggest / min(b[2] for b in bars) <= SAME_SCALE
    height = 8 + len(bars) * (bar_h + gap) + 16 + legend_rows * 16 + 16
    out = [f'<svg class="cost-chart" xmlns="http://www.w3.org/2000/svg" role="img" '
           f'viewBox="0 0 {width} {height}" width="100%" '
           f'style="max-width:{width}px;font:11px system-ui,sans-serif">']
    y = 8
    for name, parts, total, shown in bars:
        out.append(f'<text x="0" y="{y + 13}">{escape(_short(name, 30))}</text>')
        x = float(label_w)
        length = plot_w * (total / biggest if same else 1.0)
        for k, v in parts.items():
            w = v / total * length
            out.append(f'<rect x="{x:.1f}" y="{y}" width="{max(w, 0.5):.1f}" height="{bar_h}" '
                       f'fill="{colour[k]}"><title>{escape(k)}: {escape(format_si(v, "J"))} '
                       f'({v / total:.1%})</title></rect>')
            x += w
        tot = shown if isinstance(shown, int | float) and math.isfinite(shown) else total
        out.append(f'<text x="{x + 6:.1f}" y="{y + 13}">'
                   f'{escape(format_si(float(tot), "J"))}</text>')
        y += bar_h + gap
    scale = ("bar length ∝ energy" if same else
             f"each bar is 100 % of its own energy (totals differ by > {SAME_SCALE:g}×)")
    out.append(f'<text x="0" y="{y + 10}" fill="#555">{escape(scale)}</text>')
    y += 22
    for i, k in enumerate(comps):
        lx = (i % 4) * (width / 4)
        ly = y + (i // 4) * 16
        out.append(f'<rect x="{lx:.0f}" y="{ly}" width="10" height="10" fill="{colour[k]}"/>'
                   f'<text x="{lx + 14:.0f}" y="{ly + 9}">{escape(_short(k, 28))}</text>')
    out.append("</svg>")
    return "".join(out)


def _value_band(r: dict[str, Any]) -> tuple[float, float] | None:
    """The values the claim accepts (the study's ``Claim.band``), from the record's fields."""
    from wattlab.study import Claim

    p, tol = r.get("paper_value"), r.get("tolerance")
    if p is None or tol is None:
        return None
    return Claim("", "", "", float(p), rel_tol=float(tol), kind=r.get("claim_kind", "approx")).band()


def tornado_svg(r: dict[str, Any], width: int = 760) -> str:
    """The sensitivity pass of one study record: per assumed key (largest swing on top) a bar
    from the nominal to the value at the key's low end (×0.5 or range end) and one to its high
    end, "flips" where the verdict changes; the nominal, the paper's value and its tolerance
    band (clipped to the drawn range) as guides. '' when the pass has no finite value."""
    pts = [p for p in r.get("sensitivity") or []
           if any(isinstance(p.get(k), int | float) and math.isfinite(p[k])
                  for k in ("value_low", "value_high"))]
    centre = next((float(v) for v in (r.get("sensitivity_nominal"), r.get("value"))
                   if isinstance(v, int | float) and math.isfinite(v)), None)
    if not pts or centre is None:
        return ""

    def ends(p: dict[str, Any]) -> list[float]:
        return [float(p[k]) for k in ("value_low", "value_high")
                if isinstance(p.get(k), int | float) and math.isfinite(p[k])]

    pts.sort(key=lambda p: -(max(ends(p)) - min(ends(p))))
    values = [v for p in pts for v in ends(p)] + [centre]
    paper = r.get("paper_value")
    paper = float(paper) if isinstance(paper, int | float) and math.isfinite(paper) else None
    lo, hi = min(values + ([paper] if paper is not None else [])), \
        max(values + ([paper] if paper is not None else []))
    if hi == lo:
        lo, hi = lo - (abs(lo) or 1.0) * 0.1, hi + (abs(hi) or 1.0) * 0.1
    pad = 0.04 * (hi - lo)
    lo, hi = lo - pad, hi + pad
    label_w, flip_w, row_h, top = 240, 40, 16, 20
    plot_w = width - label_w - flip_w
    height = top + len(pts) * row_h + 52

    def x(v: float) -> float:
        return label_w + (min(max(v, lo), hi) - lo) / (hi - lo) * plot_w

    unit = str(r.get("unit") or "")
    out = [f'<svg class="tornado" xmlns="http://www.w3.org/2000/svg" role="img" '
           f'viewBox="0 0 {width} {height}" width="100%" '
           f'style="max-width:{width}px;font:11px system-ui,sans-serif">']
    band = _value_band(r)
    if band is not None and band[1] >= lo and band[0] <= hi:
        out.append(f'<rect x="{x(band[0]):.1f}" y="{top - 4}" width="{x(band[1]) - x(band[0]):.1f}" '
                   f'height="{len(pts) * row_h + 8}" fill="#2e8b3a" opacity="0.12">'
                   f'<title>tolerance band</title></rect>')
    decided = set(r.get("decided_by") or [])
    for i, p in enumerate(pts):
        y = top + i * row_h
        key = str(p.get("key"))
        out.append(f'<text x="{label_w - 6}" y="{y + 11}" text-anchor="end">'
                   f'{escape(_short(key, 40))}<title>{escape(key)}</title></text>')
        for end, colour in (("low", "#4e79a7"), ("high", "#e15759")):
            v = p.get(f"value_{end}")
            if not (isinstance(v, int | float) and math.isfinite(v)):
                continue
            a, b = sorted((x(centre), x(float(v))))
            tip = (f"{key} = {p.get(end)} ({end} end): {float(v):.4g} {unit}, "
                   f"{p.get(f'verdict_{end}')}")
            out.append(f'<rect x="{a:.1f}" y="{y + 2}" width="{max(b - a, 1.0):.1f}" height="12" '
                       f'fill="{colour}" opacity="0.8"><title>{escape(tip)}</title></rect>')
        if key in decided:
            out.append(f'<text x="{width - flip_w + 4}" y="{y + 11}" fill="#c0392b">flips</text>')
    bottom = top + len(pts) * row_h + 4
    out.append(f'<line x1="{x(centre):.1f}" y1="{top - 6}" x2="{x(centre):.1f}" y2="{bottom}" '
               f'stroke="#222"><title>nominal {centre:.4g}</title></line>')
    if paper is not None:
        out.append(f'<line x1="{x(paper):.1f}" y1="{top - 6}" x2="{x(paper):.1f}" y2="{bottom}" '
                   f'stroke="#777" stroke-dasharray="4 3"><title>paper {paper:.4g}</title></line>')
    for k in range(5):
        v = lo + k * (hi - lo) / 4
        out.append(f'<text x="{x(v):.1f}" y="{bottom + 14}" text-anchor="middle" fill="#555">'
                   f'{v:.3g}</text>')
    legend = (f"{r.get('metric', '')} ({unit}): blue = key at its low end (×0.5), red = high end "
              "(×2); black = nominal; dashed = paper; green = tolerance band")
    out.append(f'<text x="0" y="{bottom + 34}" fill="#555">{escape(_short(legend, 130))}</text>')
    out.append("</svg>")
    return "".join(out)


__all__ = ["cost_svg", "group_by_paper", "ratio", "summary_svg", "tornado_svg"]

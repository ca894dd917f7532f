"""What ENOB and which array does a model need on the homodyne photonic GEMM, and what does it cost?

``fit(evaluate)`` answers it for any model: ``evaluate(substrate)`` runs the user's model with
every GEMM on ``substrate`` (``None`` = digital reference) and returns a quality metric
(perplexity, accuracy, cosine...). The fit sweeps the laser power (hence the noise-budget ENOB),
finds the lowest point within ``tolerance`` of the digital metric (reported as noise-budget ENOB
and as the SNR measured on the model's own GEMM outputs), records the model's GEMM shapes, and
prices them on each candidate array at the same optical power per homodyne unit.

``design_space()`` gives TOPS/W against ENOB for the homodyne array and for LightMat-HP sliced
BFP (against its equivalent mantissa bits), with the digital int8/fp16 baselines.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from wattlab.cost import Cost
from wattlab.errors import SpecError
from wattlab.params import Registry, default_registry
from wattlab.substrates.bfp import plan
from wattlab.substrates.digital_baseline import Precision, digital_gemm_cost
from wattlab.substrates.photonic import HomodyneConfig, HomodyneProcessor
from wattlab.workloads.gemm import Gemm

if TYPE_CHECKING:
    from matplotlib.figure import Figure

DEFAULT_POWERS = tuple(10.0 ** e for e in np.arange(-3.0, 1.01, 0.5))
DEFAULT_ARRAYS = ((64, 64), (128, 128), (256, 100), (256, 256))
#: Digital baselines and the precision bits they are plotted at (fp16: 11 significand bits).
DIGITAL: tuple[tuple[Precision, int], ...] = (("int8", 8), ("fp16", 11))


def laser_power_for_enob(enob: float, config: HomodyneConfig, params: Registry, *,
                         lo: float = 1e-6, hi: float = 1e4) -> float | None:
    """Least laser power (W) whose noise budget reaches ``enob``; None if out of reach."""
    def at(p: float) -> float:
        return HomodyneProcessor(replace(config, laser_power=p), params).noise_budget().enob

    if at(hi) < enob:
        return None
    if at(lo) >= enob:
        return lo
    a, b = math.log(lo), math.log(hi)
    for _ in range(50):
        mid = (a + b) / 2
        a, b = (a, mid) if at(math.exp(mid)) >= enob else (mid, b)
    return math.exp(b)


class Recorder:
    """A substrate wrapper that records every GEMM shape it forwards, the ADC saturations, and
    (``measure=True``) the output SNR against the exact product: signal and error power summed
    over all calls."""

    def __init__(self, inner: Any, *, measure: bool = True) -> None:
        self.inner, self.measure, self.gemms = inner, measure, []  # type: ignore[var-annotated]
        self.name, self.torch_native = f"recorded({inner.name})", inner.torch_native
        self.saturations, self.signal, self.error = 0.0, 0.0, 0.0

    def matmul(self, a: Any, b: Any, *, rng: np.random.Generator) -> tuple[Any, Cost]:
        out, cost = self.inner.matmul(a, b, rng=rng)
        self.gemms.append(Gemm.of(tuple(a.shape), tuple(b.shape)))
        self.saturations += cost.counts.get("adc_saturations", 0.0)
        if self.measure:
            exact = np.asarray(a) @ np.asarray(b)
            self.signal += float(np.sum(np.square(exact, dtype=np.float64)))
            self.error += float(np.sum(np.square(np.asarray(out) - exact, dtype=np.float64)))
        return out, cost

    def cost(self, gemm: Gemm) -> Cost:
        return self.inner.cost(gemm)

    @property
    def snr_db(self) -> float:
        """Output SNR over all calls so far (inf when exact)."""
        if self.error == 0:
            return math.inf
        return 10 * math.log10(self.signal / self.error) if self.signal else -math.inf


@dataclass(frozen=True)
class FitPoint:
    """One sweep point: ``enob``/``snr_db`` from the noise budget (full-scale drive),
    ``measured_snr_db`` over the model's own GEMM outputs."""

    laser_power_w: float
    enob: float
    snr_db: float
    measured_snr_db: float
    metric: float
    rel_change: float
    saturations: float


@dataclass
class FitResult:
    """The sweep, the ENOB needed, and what the model's GEMMs cost on each array."""

    reference: float
    tolerance: float
    metric_name: str
    higher_is_better: bool
    points: list[FitPoint]
    needed: FitPoint | None
    costs: list[dict[str, Any]] = field(default_factory=list)

    def table(self) -> list[dict[str, Any]]:
        return [{"laser_power_w": p.laser_power_w, "enob": round(p.enob, 3),
                 "budget_snr_db": round(p.snr_db, 2),
                 "measured_snr_db": round(p.measured_snr_db, 2), self.metric_name: p.metric,
                 "rel_change": p.rel_change, "adc_saturations": p.saturations,
                 "within_tolerance": p.rel_change <= self.tolerance} for p in self.points]

    def figure(self) -> Figure:
        from matplotlib.figure import Figure

        fig = Figure(figsize=(10, 4))
        ax, bx = fig.subplots(1, 2)
        xs = [p.measured_snr_db for p in self.points]
        ax.plot(xs, [p.metric for p in self.points], "o-", label="photonic")
        for p in self.points:
            ax.annotate(f"{p.enob:.1f} ENOB", (p.measured_snr_db, p.metric), fontsize=7,
                        textcoords="offset points", xytext=(3, 3))
        ax.axhline(self.reference, color="k", ls="--", label="digital")
        if self.needed:
            ax.axvline(self.needed.measured_snr_db, color="g", ls=":",
                       label=f"needed: {self.needed.measured_snr_db:.1f} dB")
        ax.set(xlabel="measured GEMM output SNR (dB); labels: noise-budget ENOB",
               ylabel=self.metric_name, yscale="log" if not self.higher_is_better else "linear",
               title=f"within {self.tolerance:.1%} of digital")
        ax.legend()
        if self.costs:
            names = [f"{c['rows']}x{c['cols']}" for c in self.costs]
            bx.bar(names, [c["tops_per_w"] or 0.0 for c in self.costs])
            bx.set(ylabel="TOPS/W (full boundary)", title="the model's GEMMs at the needed point")
        else:
            bx.text(0.5, 0.5, "tolerance not reached in this sweep:\nno array priced",
                    ha="center", va="center")
            bx.axis("off")
        return fig


def _rel_change(metric: float, ref: float, higher_is_better: bool) -> float:
    d = (ref - metric) if higher_is_better else (metric - ref)
    return d / abs(ref) if ref else d


def fit(evaluate: Callable[[Any], float], *, metric_name: str = "metric",
        higher_is_better: bool = False, tolerance: float = 0.01,
        base: HomodyneConfig | None = None, laser_powers: Sequence[float] = DEFAULT_POWERS,
        arrays: Sequence[tuple[int, int]] = DEFAULT_ARRAYS, params: Registry | None = None,
        rng: np.random.Generator | None = None) -> FitResult:
    """Sweep ENOB (through the laser power) for ``evaluate`` and price the needed point."""
    if not (math.isfinite(tolerance) and tolerance > 0):
        raise SpecError(f"tolerance must be a positive fraction, got {tolerance!r}")
    if not laser_powers or any(not (math.isfinite(p) and p > 0) for p in laser_powers):
        raise SpecError(f"laser_powers must be positive watts, got {list(laser_powers)!r}")
    params = params if params is not None else default_registry()
    base = base or HomodyneConfig()
    rng = rng if rng is not None else np.random.default_rng(0)
    ref = float(evaluate(None))
    points, gemms = [], []  # type: list[FitPoint], list[Gemm]
    for p in sorted(laser_powers):
        proc = HomodyneProcessor(replace(base, laser_power=p), params)
        rec = Recorder(proc)
        metric = float(evaluate(rec))
        gemms = gemms or rec.gemms
        nb = proc.noise_budget()
        points.append(FitPoint(p, nb.enob, nb.snr_db, rec.snr_db, metric,
                               _rel_change(metric, ref, higher_is_better), rec.saturations))
    needed = next((pt for pt in points if pt.rel_change <= tolerance), None)
    result = FitResult(ref, tolerance, metric_name, higher_is_better, points, needed)
    if needed is not None and gemms:
        result.costs = price(gemms, needed.laser_power_w, base, arrays, params)
    return result


def price(gemms: Sequence[Gemm], laser_power: float, base: HomodyneConfig,
          arrays: Sequence[tuple[int, int]], params: Registry) -> list[dict[str, Any]]:
    """Cost of ``gemms`` on each array with the optical power per homodyne unit that
    ``laser_power`` gives on ``base`` (equal per-unit power: the same SNR per unit, up to the
    fan-out tree's stage count)."""
    per_unit = laser_power / (base.rows * base.cols)
    rows = []
    for r, c in arrays:
        power = per_unit * r * c
        proc = HomodyneProcessor(replace(base, rows=r, cols=c, laser_power=power), params)
        total = Cost()
        for g in gemms:
            total = total + proc.cost(g)
        rows.append({"rows": r, "cols": c, "laser_power_w": power,
                     "enob": proc.noise_budget().enob, "energy_j": total.energy_total_j,
                     "latency_s": total.latency_s, "tops_per_w": total.tops_per_w,
                     "boundary": ", ".join(sorted(total.boundary))})
    return rows


def design_space(params: Registry | None = None, *, gemm: Gemm | None = None,
                 enobs: Sequence[float] = (3, 4, 5, 6, 7, 8, 9),
                 mant_bits: Sequence[int] = (4, 6, 8, 10, 12),
                 homodyne: HomodyneConfig | None = None,
                 lightmat_hw: HomodyneConfig | None = None,
                 lightmat_enob: float = 8.0) -> list[dict[str, Any]]:
    """TOPS/W vs precision bits for homodyne (ENOB), LightMat-HP (mantissa bits) and digital.

    Three one-dimensional spaces searched exhaustively with :func:`wattlab.explore.search`
    (serial: each homodyne point bisects its laser power, a scalar solve per point)."""
    from wattlab.explore.search import search
    from wattlab.explore.space import Choice, Grid, Space

    params = params if params is not None else default_registry()
    gemm = gemm or Gemm(1024, 4096, 1024)
    homodyne = homodyne or HomodyneConfig()
    lightmat_hw = lightmat_hw or HomodyneConfig(rows=64, cols=64, baud=10e9)
    hw, lm = homodyne, lightmat_hw

    def homodyne_eval(c: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        tpw, power = [], []
        for e in c["bits"]:
            cfg = replace(hw, adc_bits=float(math.ceil(e) + 1), dac_bits=math.ceil(e) + 1)
            p = laser_power_for_enob(float(e), cfg, params)
            power.append(math.nan if p is None else p)
            tpw.append(HomodyneProcessor(replace(cfg, laser_power=p), params).cost(gemm).tops_per_w
                       if p is not None else math.nan)
        return {"tops_per_w": np.array(tpw), "laser_w": np.array(power)}

    def lightmat_eval(c: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        tpw, s, ka = [], [], []
        for b in c["bits"]:
            best = plan(int(b), lightmat_enob, gemm, block=32, hw=lm, params=params)[0]
            tpw.append(2e-12 / best.energy_per_mac_j if best.exact else math.nan)
            s.append(best.slice_bits)
            ka.append(best.k_a)
        return {"tops_per_w": np.array(tpw), "slice_bits": np.array(s), "k_a": np.array(ka)}

    def digital_eval(c: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        return {"tops_per_w": np.array([
            digital_gemm_cost(gemm, str(p), params, rows=hw.rows,  # type: ignore[arg-type]
                              cols=hw.cols).tops_per_w for p in c["precision"]])}

    def tpw(v: Any) -> float | None:
        return None if not math.isfinite(v) else float(v)

    def run(space: Space, ev: Any) -> dict[str, np.ndarray]:
        return search(space, ev, backend="serial", progress=False, allow_infeasible=True).columns

    rows: list[dict[str, Any]] = []
    h = run(Space([Grid("bits", list(enobs))], name="homodyne-enob"), homodyne_eval)
    for e, t, p in zip(h["bits"], h["tops_per_w"], h["laser_w"], strict=True):
        rows.append({"substrate": "homodyne", "bits": e.item(), "tops_per_w": tpw(t),
                     "detail": f"{homodyne.rows}x{homodyne.cols} @ {homodyne.baud / 1e9:g} GBd, "
                               f"laser {p if math.isfinite(p) else math.nan:.3g} W"})
    b = run(Space([Grid("bits", list(mant_bits))], name="lightmat-bits"), lightmat_eval)
    for bits, t, s, ka in zip(b["bits"], b["tops_per_w"], b["slice_bits"], b["k_a"], strict=True):
        rows.append({"substrate": "lightmat-bfp", "bits": bits.item(), "tops_per_w": tpw(t),
                     "detail": f"s={s}, K_a={ka}, core ENOB {lightmat_enob:g}"})
    d = run(Space([Choice("precision", [p for p, _ in DIGITAL])], name="digital"), digital_eval)
    for prec, t in zip(d["precision"], d["tops_per_w"], strict=True):
        rows.append({"substrate": f"digital-{prec}", "bits": dict(DIGITAL)[str(prec)],  # type: ignore[index]
                     "tops_per_w": float(t), "detail": "7 nm-scaled Horowitz MAC + TPUv4i SRAM"})
    return rows


def design_space_figure(rows: Sequence[dict[str, Any]]) -> Figure:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.5, 4.2))
    ax = fig.subplots()
    for name, style in (("homodyne", "o-"), ("lightmat-bfp", "s-")):
        pts = [(r["bits"], r["tops_per_w"]) for r in rows
               if r["substrate"] == name and r["tops_per_w"]]
        if pts:
            ax.plot(*zip(*pts, strict=True), style, label=name)
    for r in rows:
        if r["substrate"].startswith("digital"):
            ax.plot(r["bits"], r["tops_per_w"], "k*", ms=12)
            ax.annotate(r["substrate"], (r["bits"], r["tops_per_w"]), textcoords="offset points",
                        xytext=(5, 5))
    ax.set(xlabel="precision: ENOB (homodyne) / mantissa bits (BFP) / format bits (digital)",
           ylabel="TOPS/W (full boundary: laser, DAC+mod, TIA, ADC, SRAM, digital, static)",
           yscale="log", title="design space (modelled)")
    ax.legend()
    return fig


__all__ = ["FitPoint", "FitResult", "Recorder", "design_space", "design_space_figure", "fit",
           "laser_power_for_enob", "price"]

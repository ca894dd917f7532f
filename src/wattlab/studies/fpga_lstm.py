"""Studies of "Energy Efficient LSTM Accelerators for Embedded FPGAs through Parameterised
Architecture Design" (Qian, Ling, Schiele; ARCS 2023; arXiv 2604.19293).

Only the abstract is known: 11.89 GOP/s/W during real-time inference at 32,873 samples/s on the
Elastic Node (Spartan-7 XC7S15). wattlab prices its own generated, GHDL-verified LSTM cell with
the catalogue's XC7S15 figures (static power, clock and per-resource energies are assumptions)
at an assumed configuration (H = 20, I = 1, one timestep per sample). The roundup's "59.19 %
better energy efficiency" from 8-bit quantisation and hard activations is in no abstract: it is
labelled unchecked, and the study reports what those two choices buy under wattlab's model.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from wattlab.params import Registry
from wattlab.study import Claim, Outcome, RunContext, Study
from wattlab.substrates.fpga import BitTrueLSTM, LSTMSpec, LSTMWeights, QFormat
from wattlab.substrates.fpga.energy import FPGADevice, Pricing, device_sources, price_lstm
from wattlab.systems.soft_sensor.data import traffic_series

PAPER = ("Energy Efficient LSTM Accelerators for Embedded FPGAs through Parameterised "
         "Architecture Design")
ARXIV = "2604.19293"
BOUNDARY = ("FPGA device only: static power over the inference time plus the generated cell's "
            "dynamic energy (LUTs, FFs, DSPs, clock tree, weight-ROM reads); board, MCU, "
            "regulators and I/O are outside")
DEVICE = "xc7s15"
_P = "fpga_lstm."
PAPER_THROUGHPUT = 32873.0  # samples/s, the abstract's operating point (the claim below)


def paper_config(params: Registry, **kw: Any) -> tuple[LSTMSpec, int]:
    h, i, t = (round(v) for v in params.values(_P + "hidden_size", _P + "input_size",
                                                     _P + "seq_len"))
    return LSTMSpec(i, h, **kw), t


def _price(params: Registry, **kw: Any) -> tuple[Pricing, LSTMSpec]:
    spec, t = paper_config(params, **kw)
    dev = FPGADevice.from_registry(DEVICE, params)
    return price_lstm(spec, t, dev, params), spec


def _ghdl_note(spec: LSTMSpec, rng: np.random.Generator) -> str:
    from wattlab.substrates.fpga import vhdl

    if vhdl.ghdl_path() is None:
        return "GHDL absent: the generated cell was not simulated here (" + vhdl.GHDL_HINT + ")."
    from wattlab.errors import WattlabError

    w = LSTMWeights.random(spec, rng, 0.5)
    x = rng.integers(spec.fmt.min_int, spec.fmt.max_int + 1, (20, 2, spec.input_size))
    try:
        hs, cs, cyc = vhdl.simulate_lstm(w, x)
    except (WattlabError, OSError) as exc:
        return f"GHDL could not simulate the generated cell here: {exc}"
    ref = BitTrueLSTM(w).run(x)
    bad = int((hs != ref.h_seq).sum() + (cs != ref.c_seq).sum())
    return (f"GHDL simulated the generated cell of this configuration on 40 random timesteps: "
            f"{bad} mismatches against the bit-true model, {int(cyc[0, 0])} cycles per timestep "
            f"(analytic model: {spec.cycles_per_step()}).")


def _efficiency(ctx: RunContext) -> Outcome:
    p = ctx.params
    pr, spec = _price(p)
    out = Outcome(value=pr.gops_per_w, costs={"one sample, Q(8,4) hard, XC7S15": pr.cost(
        device_sources(FPGADevice.from_registry(DEVICE, p), p))})
    out.tables["pricing"] = [pr.as_row()]
    out.notes += [
        f"Configuration (assumed): I = {spec.input_size}, H = {spec.hidden_size}, {spec.fmt}, hard "
        f"activations, DSP multipliers; {spec.ops_per_step()} ops per timestep (MAC = 2 ops).",
        f"Modelled {pr.throughput:,.0f} samples/s at {pr.power_w * 1e3:.1f} mW "
        f"({pr.static_j / pr.energy_j:.0%} of the energy is static power).",
        _ghdl_note(spec, ctx.rng),
    ]
    # the paper's operating point: the hidden size whose modelled throughput is nearest 32,873/s
    dev = FPGADevice.from_registry(DEVICE, p)
    rows = []
    for h in range(8, 129):
        s = LSTMSpec(spec.input_size, h)
        rows.append((abs(dev.clock_hz / s.cycles(1) - PAPER_THROUGHPUT), h))
    h_op = min(rows)[1]
    pr_op = price_lstm(LSTMSpec(spec.input_size, h_op), 1, dev, p)
    out.tables["at the paper's 32,873 samples/s operating point"] = [{"hidden": h_op,
                                                                       **pr_op.as_row()}]
    out.notes.append(f"At the paper's throughput (H = {h_op} gives {pr_op.throughput:,.0f} "
                     f"samples/s in wattlab's FSM) the model gives {pr_op.gops_per_w:.2f} GOP/s/W.")
    return out


def _throughput(ctx: RunContext) -> Outcome:
    pr, spec = _price(ctx.params)
    out = Outcome(value=pr.throughput)
    rows = []
    for h in (10, 20, 32, 48, 64):
        s = LSTMSpec(spec.input_size, h)
        rows.append({"hidden": h, "cycles_per_step": s.cycles_per_step(),
                     "samples_per_s": round(FPGADevice.from_registry(DEVICE, ctx.params).clock_hz
                                            / s.cycles_per_step(), 1)})
    out.tables["throughput by hidden size (100 MHz)"] = rows
    out.notes.append("Throughput is the analytic cycle model of the generated FSM (held equal to "
                     "GHDL's simulated cycle counts by tests/fpga) at the catalogue clock; the "
                     "paper's own design pipelines differently, so the size that gives its "
                     "32,873 samples/s is not known.")
    return out


VARIANTS: tuple[tuple[str, int, int, str], ...] = (
    ("16-bit, LUT (ROM) activations", 16, 8, "lut"),
    ("16-bit, hard activations", 16, 8, "hard"),
    ("8-bit, LUT (ROM) activations", 8, 4, "lut"),
    ("8-bit, hard activations", 8, 4, "hard"),
)


def _accuracy(ctx: RunContext, hidden: int) -> list[dict[str, Any]]:
    """Train float and fake-quantised LSTMs briefly; MSE on held-out windows (reported only)."""
    import torch

    from wattlab.substrates.fpga.lstm import make_fake_quant_lstm

    steps, window = (60, 8) if ctx.quick else (600, 24)
    y = traffic_series(ctx.rng, 2000)
    idx = np.arange(len(y) - window - 1)
    xs = np.stack([y[i:i + window] for i in idx])[..., None]
    ts = y[idx + window]
    split = int(0.8 * len(idx))
    rows = []
    seed = int(ctx.rng.integers(2**31))
    for name, fmt, hard in (("float, sigmoid/tanh", None, False), ("float, hard", None, True),
                            ("Q(16,8), hard", QFormat(16, 8), True),
                            ("Q(8,4), hard", QFormat(8, 4), True)):
        torch.manual_seed(seed)
        m = make_fake_quant_lstm(1, hidden, fmt, hard)
        head = torch.nn.Linear(hidden, 1)
        opt = torch.optim.Adam([*m.parameters(), *head.parameters()], lr=0.02)
        xt, tt = torch.tensor(xs, dtype=torch.float32), torch.tensor(ts, dtype=torch.float32)
        g = np.random.default_rng(seed)
        for _ in range(steps):
            b = torch.as_tensor(g.integers(0, split, 64))
            loss = ((head(m(xt[b])[0][:, -1]).squeeze(-1) - tt[b]) ** 2).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
        with torch.no_grad():
            pred = head(m(xt[split:])[0][:, -1]).squeeze(-1)
            mse = float(((pred - tt[split:]) ** 2).mean())
        rows.append({"model": name, "test_mse": round(mse, 5), "train_steps": steps})
    return rows


def _gain(ctx: RunContext) -> Outcome:
    p = ctx.params
    priced = {name: _price(p, fmt=QFormat(w, f), activation=act)[0]
              for name, w, f, act in VARIANTS}
    base, best = priced[VARIANTS[0][0]], priced[VARIANTS[-1][0]]
    gain = (best.gops_per_w / base.gops_per_w - 1) * 100
    out = Outcome(value=gain)
    out.tables["variants (XC7S15)"] = [{"variant": k, **v.as_row()} for k, v in priced.items()]
    q8 = priced[VARIANTS[2][0]].gops_per_w / base.gops_per_w - 1
    hard = priced[VARIANTS[1][0]].gops_per_w / base.gops_per_w - 1
    out.notes += [
        "UNCHECKED CLAIM: '59.19 % better energy efficiency via 8-bit quantisation and replacing "
        "complex activation functions' comes from the roundup; no abstract or mirror of arXiv "
        "2604.19293 contains it. The verdict compares wattlab's model with an unverified number.",
        f"Under wattlab's model (baseline 16-bit + ROM activations): 8-bit alone +{q8:.0%}, hard "
        f"activations alone +{hard:.0%}, both +{gain / 100:.0%} GOP/s/W. Cycles are equal in all "
        "variants (same FSM), so the gain is dynamic energy only: static power, the same in all, "
        "dilutes it.",
    ]
    try:
        import torch  # noqa: F401
    except ImportError:
        out.notes.append("torch absent: accuracy of the variants not measured "
                         "(pip install 'wattlab[torch]').")
    else:
        spec, _ = paper_config(p)
        out.tables["accuracy (synthetic traffic-like series; reported, not asserted)"] = \
            _accuracy(ctx, spec.hidden_size)
    return out


def _efficiency_modelled(ctx: RunContext) -> float:
    return _price(ctx.params)[0].gops_per_w


def _throughput_modelled(ctx: RunContext) -> float:
    return _price(ctx.params)[0].throughput


def _gain_value(params: Registry) -> float:
    base = _price(params, fmt=QFormat(16, 8), activation="lut")[0]
    best = _price(params, fmt=QFormat(8, 4), activation="hard")[0]
    return (best.gops_per_w / base.gops_per_w - 1) * 100


def _gain_modelled(ctx: RunContext) -> float:
    return _gain_value(ctx.params)


STUDIES = [
    Study(id="fpga-lstm.efficiency", paper=PAPER, arxiv=ARXIV,
          claim=Claim("11.89 GOP/s/W during real-time inference (XC7S15)", "energy efficiency",
                      "GOP/s/W", 11.89, rel_tol=0.1),
          run=_efficiency, evidence="modelled", boundary=BOUNDARY,
          inputs_from_paper=("32,873 samples/s: the operating point of the second table",),
          modelled=_efficiency_modelled),
    Study(id="fpga-lstm.throughput", paper=PAPER, arxiv=ARXIV,
          claim=Claim("32,873 samples/s in real-time inference", "throughput", "samples/s",
                      PAPER_THROUGHPUT, rel_tol=0.1),
          run=_throughput, evidence="modelled", boundary="cycle model at the catalogue clock",
          modelled=_throughput_modelled),
    Study(id="fpga-lstm.roundup-gain", paper=PAPER, arxiv=ARXIV,
          claim=Claim("roundup (UNCHECKED, not in the abstract): 59.19 % better energy efficiency "
                      "from 8-bit quantisation and hard activations", "efficiency gain", "%",
                      59.19, rel_tol=0.1, trend_threshold=0.0),
          run=_gain, evidence="modelled", boundary=BOUNDARY, modelled=_gain_modelled),
]

"""Centralised vs decentralised learning for railway predictive maintenance (arXiv 2604.19377).

The paper reports that distributed models keep about 90% accuracy and cut overall electricity
use by up to 70%. Its model, data, radio and number of rounds are not public, so the saving is
swept over raw-data volume, model size and rounds (energy from the ledger of each setting),
and the accuracy is measured by really training both ways on synthetic railway vibration.

The energy value is taken at one stated setting (the study's default point: 10 nodes, 300
windows per node, hidden 32, 20 rounds) on the Huang et al. (2012) LTE model at its median
throughputs, including the RRC promotion and tail of every transfer session, the nodes'
listening power between rounds and HARQ retransmissions at the 10% BLER link-adaptation
target; the sweep shows the volume below which centralised training is cheaper.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from wattlab.params import Registry
from wattlab.params.memo import memoized
from wattlab.study import Claim, Outcome, RunContext, Study
from wattlab.systems.fl import (
    CLASSES,
    RADIOS,
    EnergyModel,
    FedSpec,
    FleetData,
    ModelSpec,
    RailSpec,
    generate_fleet,
    run_central,
    run_fedavg,
    standardise,
)
from wattlab.systems.fl.energy import Sessions
from wattlab.systems.fl.sweep import Comparison, compare

PAPER = "Towards Energy Impact on AI-Powered 6G IoT Networks: Centralized vs. Decentralized"
ARXIV = "2604.19377"
TARGET_SAVING = 0.70
TARGET_ACCURACY = 0.90


@dataclass(frozen=True)
class Grid:
    """The sweep: nodes, samples per node trained on, hidden widths, rounds."""

    n_clients: int
    trained_volumes: tuple[int, ...]
    hidden: tuple[int, ...]
    rounds: tuple[int, ...]
    default_volume: int = 300
    default_hidden: int = 32
    default_rounds: int = 20

    @classmethod
    def for_scale(cls, quick: bool) -> Grid:
        if quick:
            return cls(10, (100, 300), (0, 32, 256), (5, 10, 20, 40))
        return cls(10, (100, 300, 1000), (0, 16, 32, 128, 512), (5, 10, 20, 40, 80))


@memoized(maxsize=8)
def _fleet_data(n_clients: int, volume: int, rail: Registry, seed: tuple[int, ...]) -> FleetData:
    spec = RailSpec(n_clients=n_clients, samples_per_client=volume)
    return standardise(generate_fleet(spec, rail, np.random.default_rng(list(seed))))


def _fleet(ctx: RunContext, grid: Grid, volume: int) -> FleetData:
    """The paper's synthetic fleet (the same in both studies), built once per size and rail
    physics: the sensitivity points that leave the ``fl.rail.*`` keys alone share it."""
    return _fleet_data(grid.n_clients, volume, ctx.params.only("fl.rail."), tuple(ctx.paper_seed))


def _subset(data: FleetData, volume: int) -> FleetData:
    """The first ``volume`` training samples of every node (same pooled test set)."""
    return replace(data, x_train=tuple(x[:volume] for x in data.x_train),
                   y_train=tuple(y[:volume] for y in data.y_train))


def _curves(data: FleetData, hidden: int, rounds: int, energy: EnergyModel,
            seed: int) -> tuple[list[float], list[float], Any, Any]:
    model = ModelSpec(data.n_features, len(CLASSES), hidden=hidden)
    fed = FedSpec(rounds=rounds)
    cl, fl = run_central(data, model, fed, energy, seed), run_fedavg(data, model, fed, energy,
                                                                     seed)
    return cl.accuracy, fl.accuracy, cl, fl


def _comparison(data: FleetData, hidden: int, rounds: int, energy: EnergyModel,
                central_upload: str = "raw") -> Comparison:
    model = ModelSpec(data.n_features, len(CLASSES), hidden=hidden)
    return compare(data.n_clients, data.raw_bits_per_sample, data.feature_flops_per_sample,
                   data.n_features, model, FedSpec(rounds=rounds), energy, central_upload)


def _count(samples: float) -> str:
    return "never" if math.isinf(samples) else f"{samples:.0f}"


def _fmt_volume(samples: float, bits: float) -> str:
    if math.isinf(samples):
        return "never"
    return f"{samples:.0f} windows ({samples * bits / 8e6:.3g} MB) per node"


# --- claim 1: energy saving -----------------------------------------------------------------

def _energy_study(ctx: RunContext) -> Outcome:
    grid = Grid.for_scale(ctx.quick)
    energy = EnergyModel.default(ctx.params, "lte")
    seed = int(ctx.rng.integers(2**31))
    data = _fleet(ctx, grid, max(grid.trained_volumes))
    bits = data.raw_bits_per_sample
    rows, be_rows, curves = [], [], {}
    for h in grid.hidden:
        for v in grid.trained_volumes:
            cl_acc, fl_acc, *_ = _curves(_subset(data, v), h, max(grid.rounds), energy, seed)
            curves[(h, v)] = (cl_acc, fl_acc)
        for r in grid.rounds:
            cmp = _comparison(data, h, r, energy)
            be_rows.append({"hidden": h, "rounds": r,
                            "n_params": ModelSpec(data.n_features, len(CLASSES), h).n_params,
                            "break_even_windows": cmp.break_even,
                            "windows_for_70pct": cmp.volume_for(TARGET_SAVING),
                            "asymptotic_saving": cmp.asymptotic_saving})
            for v in grid.trained_volumes:
                cl_acc, fl_acc = curves[(h, v)]
                rows.append({"hidden": h, "rounds": r, "windows_per_node": v,
                             "raw_MB_per_node": v * bits / 8e6,
                             "E_central_J": cmp.central(v), "E_federated_J": cmp.federated(v),
                             "saving": cmp.saving(v), "cheaper": _cheaper(cmp.saving(v)),
                             "break_even_windows": cmp.break_even,
                             "acc_central": cl_acc[r], "acc_federated": fl_acc[r]})
    ok = [r for r in rows if r["acc_federated"] >= r["acc_central"] - 0.03]
    best = max(ok, key=lambda r: r["saving"])
    near = [r for r in rows if abs(r["saving"] - TARGET_SAVING) <= 0.05]
    never = [f"h={r['hidden']}, R={r['rounds']}" for r in be_rows
             if math.isinf(r["windows_for_70pct"])]
    default = _comparison(data, grid.default_hidden, grid.default_rounds, energy)
    radios: list[dict[str, Any]] = []
    for name in RADIOS:
        em = EnergyModel.default(ctx.params, name)
        cmp = _comparison(data, grid.default_hidden, grid.default_rounds, em)
        radios.append({"radio": name, "uplink_J_per_bit": em.link.uplink_j(1.0),
                       "saving_at_default": cmp.saving(grid.default_volume),
                       "asymptotic_saving": cmp.asymptotic_saving,
                       "break_even_windows": cmp.break_even})
    feat = _comparison(data, grid.default_hidden, grid.default_rounds, energy, "features")
    value = default.saving(grid.default_volume)
    flip = _sign_flip(default, bits)
    layers = _overhead_layers(data, grid, energy)
    out = Outcome(value, tables={"sweep": rows, "break_even": be_rows, "radios": radios,
                                 "sign_flip": flip, "overheads": layers})
    s = energy.sessions
    out.notes += [
        f"Value: the saving 1 − E_FL/E_CL at the stated setting: {grid.n_clients} nodes, "
        f"{grid.default_volume} windows per node, hidden {grid.default_hidden}, "
        f"{grid.default_rounds} rounds (the study's default point, assumed), LTE radio of "
        "Huang et al. (2012) at its median throughputs with RRC promotion "
        f"({s.promotion_j:.3g} J) and tail ({s.tail_j:.3g} J, {s.tail_s:.3g} s) per session, "
        f"listening at {s.listen_w * 1e3:.3g} mW for {s.listen_s:.3g} s per round "
        f"(fl.round.wait, assumed), BLER {s.bler:g} (TS 36.213 CQI target) and "
        f"{s.batch_windows:g} raw windows per centralised upload session (assumed): "
        f"{value:.1%} ({'FL' if value > 0 else 'centralised'} is cheaper). The largest "
        f"saving over the sweep among settings whose FL accuracy is within 3 points of "
        f"centralised is {best['saving']:.1%} at hidden={best['hidden']}, "
        f"rounds={best['rounds']}, {best['windows_per_node']} windows/node.",
        "Sign flip: centralised training is cheaper below the break-even volume and FL above "
        "it; at the stated setting " + "; ".join(
            f"{r['windows_per_node']} windows: {r['saving']:+.0%} ({r['cheaper']})"
            for r in flip) + f". Break-even {_fmt_volume(default.break_even, bits)}.",
        "What the session overheads do at the stated setting (saving as terms are added): "
        + "; ".join(f"{r['model']}: {r['saving']:+.1%} (break-even "
                    f"{_count(r['break_even_windows'])} windows)" for r in layers)
        + ". The LTE tail (seconds at about 1 W after every transfer) dwarfs the bits of a "
        "small model update, so FL pays it every round while centralised training pays it "
        "once per upload batch. Promotion, tail and listening figures are the commonly quoted "
        "Huang et al. values, not re-read from the paper (labelled assumed).",
        "Savings within ±5 points of 70% in the sweep: "
        + ("; ".join(f"h={r['hidden']}, R={r['rounds']}, {r['windows_per_node']} windows: "
                     f"{r['saving']:.0%}" for r in near[:8]) if near else "none")
        + f". Windows per node (of {bits / 8e3:.3g} kB) from which FL saves 70%, per hidden "
        "width h and rounds R: " + "; ".join(
            f"h={h}: " + ", ".join(f"R{r['rounds']} {_count(r['windows_for_70pct'])}"
                                   for r in be_rows if r["hidden"] == h) for h in grid.hidden)
        + ". Never reaching 70% (asymptotic saving below it): "
        + (", ".join(never) if never else "none") + ".",
        f"At the default point (h={grid.default_hidden}, R={grid.default_rounds}) FL breaks "
        f"even at {_fmt_volume(default.break_even, bits)}; the saving tends to "
        f"{default.asymptotic_saving:.1%} for large volumes: the ceiling is set by the node's "
        "feature extraction and local training energy against the radio energy of the raw "
        "windows that centralised training uploads.",
        f"Saving at the default point ({grid.default_volume} windows/node) per radio: "
        + "; ".join(f"{r['radio']} ({r['uplink_J_per_bit'] * 1e9:.0f} nJ/bit up): "
                    f"{r['saving_at_default']:.1%}" for r in radios)
        + " (promotion, tail and listening are charged on lte only; BLER on all)"
        + ". If centralised training uploaded on-node features instead "
        f"of raw windows, FL would save {feat.saving(grid.default_volume):.1%} at the default "
        f"point (break-even {_fmt_volume(feat.break_even, bits)}): the paper's gain hinges on "
        "what the centralised baseline transmits.",
        "Assumed, not from the paper: the data (synthetic axle-box vibration, 4 classes, "
        "non-IID nodes), the model (NumPy MLP), FedAvg with all nodes each round and one local "
        "epoch, centralised epochs = rounds, 16-bit raw samples, the edge board (6.4 W at an "
        "assumed 1 GFLOP/s), an A100 at TDP and 30% utilisation with PUE 1.58, node-side radio "
        "energy only (base stations and core network not counted), a round's download and "
        "upload sharing one RRC session when local training ends within the tail, "
        "centralised uploads in batches of fl.central.batch_windows windows, the wait per "
        "round (fl.round.wait), retransmissions until success. Taken from the paper: only "
        "the 70% figure compared against.",
        "The paper's own setting (volume, model, rounds, radio) is not known: the value is at "
        "the study's stated default point, and the sweep tables show settings on both sides "
        "of the break-even; the verdict is for that point, not for the paper's setting.",
    ]
    out.figure("energy_vs_volume", _plot_energy(data, grid, energy))
    out.figure("accuracy_per_round", _plot_accuracy(curves, grid))
    return out


def _cheaper(saving: float) -> str:
    """Which architecture costs less (``break-even`` within 0.5% of each other)."""
    if abs(saving) < 5e-3:
        return "break-even"
    return "FL" if saving > 0 else "central"


def _sign_flip(cmp: Comparison, bits: float) -> list[dict[str, Any]]:
    """Saving over a volume scan that brackets the break-even (the sign flip)."""
    be = cmp.break_even
    centre = be if math.isfinite(be) and be > 0 else 300.0
    vols = sorted({max(1, round(centre * f)) for f in (0.01, 0.1, 0.3, 0.5, 1.0, 2.0, 3.0,
                                                        10.0, 100.0)})
    return [{"windows_per_node": v, "raw_MB_per_node": v * bits / 8e6,
             "E_central_J": cmp.central(v), "E_federated_J": cmp.federated(v),
             "saving": cmp.saving(v), "cheaper": _cheaper(cmp.saving(v))} for v in vols]


def _overhead_layers(data: FleetData, grid: Grid, energy: EnergyModel) -> list[dict[str, Any]]:
    """The saving at the default point as the session overheads are added one by one."""
    s = energy.sessions
    steps = [("per-bit only", Sessions()),
             ("+ retransmissions", Sessions(bler=s.bler, batch_windows=s.batch_windows)),
             ("+ RRC promotion and tail", replace(s, listen_w=0.0)),
             ("+ listening between rounds (all)", s)]
    out = []
    for name, sess in steps:
        cmp = _comparison(data, grid.default_hidden, grid.default_rounds,
                          replace(energy, sessions=sess))
        out.append({"model": name, "saving": cmp.saving(grid.default_volume),
                    "break_even_windows": cmp.break_even,
                    "E_central_J": cmp.central(grid.default_volume),
                    "E_federated_J": cmp.federated(grid.default_volume)})
    return out


def _energy_value(ctx: RunContext) -> float:
    """The study's value without training: the saving at the stated default point."""
    grid = Grid.for_scale(ctx.quick)
    data = _fleet(ctx, grid, grid.default_volume)
    cmp = _comparison(data, grid.default_hidden, grid.default_rounds,
                      EnergyModel.default(ctx.params, "lte"))
    return cmp.saving(grid.default_volume)


# --- claim 2: accuracy ----------------------------------------------------------------------

def _accuracy_study(ctx: RunContext) -> Outcome:
    grid = Grid.for_scale(ctx.quick)
    energy = EnergyModel.default(ctx.params, "lte")
    seed = int(ctx.rng.integers(2**31))
    data = _fleet(ctx, grid, grid.default_volume)
    cl_acc, fl_acc, cl, fl = _curves(data, grid.default_hidden, grid.default_rounds, energy,
                                     seed)
    majority = float(np.mean(data.y_test == np.bincount(data.y_test).argmax()))
    from wattlab.systems.radio.montecarlo import wilson

    n_test = len(data.y_test)
    lo, hi = wilson(fl_acc[-1] * n_test, n_test)  # test windows as Bernoulli trials
    out = Outcome(fl_acc[-1], interval=(lo, hi), costs={"central": cl.ledger.to_cost(ctx.params),
                                     "federated": fl.ledger.to_cost(ctx.params)},
                  tables={"accuracy_per_round": [
                      {"round": i, "acc_central": c, "acc_federated": f}
                      for i, (c, f) in enumerate(zip(cl_acc, fl_acc, strict=True))],
                      "ledger_federated_by_phase": [
                          {"phase": k, "energy_J": v} for k, v in fl.ledger.by("phase").items()],
                      "ledger_central_by_phase": [
                          {"phase": k, "energy_J": v} for k, v in cl.ledger.by("phase").items()]})
    out.notes += [
        f"Value: FedAvg test accuracy after {grid.default_rounds} rounds ({grid.n_clients} "
        f"non-IID nodes, {grid.default_volume} windows each, MLP with {grid.default_hidden} "
        f"hidden units); centralised training reaches {cl_acc[-1]:.1%}; always predicting "
        f"'healthy' gives {majority:.1%}. Interval: 95% Wilson over the {n_test} test windows.",
        "Consistency check, not an independent reproduction: the generator's fault severity "
        "was chosen so that centralised training lands near 90%, the paper's figure. What the "
        f"run does show is the FL-to-central gap ({100 * (fl_acc[-1] - cl_acc[-1]):+.1f} points) "
        "under "
        "non-IID nodes at equal passes over the data.",
        f"Energy at this point (LTE): central {cl.ledger.total_j:.3g} J, federated "
        f"{fl.ledger.total_j:.3g} J (saving {1 - fl.ledger.total_j / cl.ledger.total_j:.1%}).",
    ]
    if not ctx.quick:
        out.notes.append(_flower_note(data, grid, energy, seed, fl))
    return out


def _flower_note(data: FleetData, grid: Grid, energy: EnergyModel, seed: int, ref: Any) -> str:
    from wattlab.errors import MissingDependencyError
    from wattlab.systems.fl.flower import run_flower

    model = ModelSpec(data.n_features, len(CLASSES), hidden=grid.default_hidden)
    try:
        fl = run_flower(data, model, FedSpec(rounds=grid.default_rounds), energy, seed)
    except MissingDependencyError as exc:
        return f"Flower cross-check skipped: {exc}"
    diff = max(float(np.abs(a - b).max()) for a, b in zip(fl.params, ref.params, strict=True))
    return (f"Flower cross-check (flwr ServerApp/ClientApp, FedAvg, {grid.n_clients} nodes, "
            f"{grid.default_rounds} rounds): accuracy {fl.final_accuracy:.1%} vs NumPy engine "
            f"{ref.final_accuracy:.1%}; largest parameter difference {diff:.2g} (float32 "
            f"aggregation order); ledger {fl.ledger.total_j:.6g} J vs {ref.ledger.total_j:.6g} J.")


# --- plots ----------------------------------------------------------------------------------

def _plot_energy(data: FleetData, grid: Grid, energy: EnergyModel) -> Any:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.4, 4.2))
    ax = fig.add_subplot()
    v = np.geomspace(1, 1e5, 200)
    mb = v * data.raw_bits_per_sample / 8e6
    settings = [(grid.default_hidden, grid.default_rounds), (max(grid.hidden), max(grid.rounds))]
    for (h, r), style in zip(settings, ("-", ":"), strict=True):
        cmp = _comparison(data, h, r, energy)
        ax.loglog(mb, cmp.central(v), "k" + style, label=f"centralised (h={h}, R={r})")
        ax.loglog(mb, cmp.federated(v), "C0" + style, label=f"federated (h={h}, R={r})")
        for target, mark in ((0.0, "o"), (TARGET_SAVING, "s")):
            x = cmp.volume_for(target)
            if 1 <= x <= 1e5:
                ax.plot(x * data.raw_bits_per_sample / 8e6, cmp.central(x) * (1 - target),
                        "C3" + mark, label=("break-even" if target == 0 else "70% saving")
                        if style == "-" else None)
    ax.set_xlabel("raw data per node (MB)")
    ax.set_ylabel(f"energy, {grid.n_clients} nodes (J)")
    ax.set_title("Centralised vs federated training energy (LTE)")
    ax.legend(fontsize=7)
    return fig


def _plot_accuracy(curves: dict[tuple[int, int], tuple[list[float], list[float]]],
                   grid: Grid) -> Any:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.4, 4.2))
    ax = fig.add_subplot()
    v = grid.default_volume
    for i, h in enumerate(grid.hidden):
        cl_acc, fl_acc = curves[(h, v)]
        ax.plot(fl_acc, f"C{i}-", label=f"federated, h={h}")
        ax.plot(cl_acc, f"C{i}--", label=f"centralised (per epoch), h={h}")
    ax.axhline(TARGET_ACCURACY, color="gray", lw=0.8, label="paper: ≈90%")
    ax.set_xlabel("round (FL) / epoch (central)")
    ax.set_ylabel("test accuracy")
    ax.set_title(f"Accuracy per round, {v} windows per node")
    ax.legend(fontsize=7)
    return fig


STUDIES = [
    Study(
        id="fl-vs-central.energy-saving", expected_s=9, version=2,
        paper=PAPER,
        arxiv=ARXIV,
        claim=Claim(text="Distributed learning cuts overall electricity use by up to 70% "
                         "compared with centralised training",
                    metric="energy saving 1 − E_FL/E_CL at 10 nodes, 300 windows/node, "
                           "hidden 32, 20 rounds, on the Huang et al. 2012 LTE model with "
                           "RRC promotion/tail, listening and 10% BLER HARQ", unit="1",
                    paper_value=TARGET_SAVING, rel_tol=0.1, kind="approx",
                    trend_threshold=0.0),
        run=_energy_study,
        evidence="modelled",
        boundary="node radio (raw upload or model exchange, both directions, with RRC "
                 "promotion and tail per session, HARQ retransmissions, and FL nodes' "
                 "listening between rounds), node feature extraction and training, server "
                 "features/training/aggregation with PUE; not base stations, core network, "
                 "sensing or the nodes' board idle power",
        inputs_from_paper=("the 70% figure (compared against only)",),
        modelled=_energy_value,
    ),
    Study(
        id="fl-vs-central.accuracy", expected_s=5, version=2,
        paper=PAPER,
        arxiv=ARXIV,
        claim=Claim(text="Distributed models keep about 90% accuracy",
                    metric="FedAvg test accuracy", unit="1", paper_value=TARGET_ACCURACY,
                    rel_tol=0.05, kind="approx"),
        run=_accuracy_study,
        evidence="consistency",
        boundary="accuracy of the trained model on a pooled held-out test set",
        inputs_from_paper=("the 90% figure; the generator's fault severity was set so that "
                           "centralised accuracy lands near it",),
    ),
]

"""Auto-builder: search small integer-only MLPs and LSTMs (layers, neurons, bits), train each
with fake quantisation, score the *bit-true integer* model's accuracy against latency and energy
per inference on the catalogue FPGAs, keep the Pareto front, choose one, export it to VHDL and
check it bit-exact in GHDL.

Choice rule (a design choice, stated): the lowest-energy model on the target device whose
validation MAPE is within ``tolerance`` (relative) of the best MAPE found.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from wattlab.errors import SpecError
from wattlab.params import Registry
from wattlab.substrates.fpga import BitTrueLSTM, LSTMSpec, LSTMWeights, QFormat
from wattlab.substrates.fpga.energy import FPGADevice, Pricing, price_lstm, price_mlp
from wattlab.substrates.fpga.mlp import IntegerMLP
from wattlab.systems.soft_sensor.data import Task

Kind = Literal["mlp", "lstm"]


@dataclass(frozen=True)
class Candidate:
    kind: Kind
    layers: int      # hidden layers (MLP) / stacked cells (LSTM: 1 supported)
    neurons: int     # width of each hidden layer / LSTM hidden size
    bits: int        # W; F = W - 3 (range +-4)

    @property
    def fmt(self) -> QFormat:
        return QFormat(self.bits, self.bits - 3)

    @property
    def label(self) -> str:
        return f"{self.kind} {self.layers}x{self.neurons} {self.bits}-bit"


@dataclass(frozen=True)
class SearchSpace:
    kinds: tuple[Kind, ...] = ("mlp",)
    layers: tuple[int, ...] = (1, 2, 3)
    neurons: tuple[int, ...] = (8, 16, 32)
    bits: tuple[int, ...] = (4, 6, 8)

    def __post_init__(self) -> None:
        for k in self.kinds:
            if k not in ("mlp", "lstm"):
                raise SpecError(f"'kinds' contains {k!r}; choose 'mlp' and/or 'lstm'")
        if any(b < 4 or b > 16 for b in self.bits):
            raise SpecError(f"'bits' {self.bits}: each must lie in [4, 16] (F = W - 3)")
        if any(n < 1 for n in (*self.layers, *self.neurons)):
            raise SpecError("'layers' and 'neurons' must be >= 1")

    def candidates(self) -> list[Candidate]:
        out = []
        for kind, lay, neu, bits in itertools.product(self.kinds, self.layers, self.neurons,
                                                      self.bits):
            if kind == "lstm" and lay != 1:
                continue
            out.append(Candidate(kind, lay, neu, bits))
        return out


@dataclass
class Built:
    """A trained candidate as integer hardware: the MLP, or the LSTM cell plus its head."""

    cand: Candidate
    mlp: IntegerMLP | None = None
    cell: LSTMWeights | None = None
    head: IntegerMLP | None = None
    seq_len: int = 1

    def predict_int(self, x_int: NDArray[np.int64]) -> NDArray[np.int64]:
        if self.mlp is not None:
            flat = x_int.reshape(len(x_int), -1)
            return self.mlp.run(flat)[:, 0]
        assert self.cell is not None and self.head is not None
        h = BitTrueLSTM(self.cell).run(x_int).h
        return self.head.run(h)[:, 0]

    def price(self, device: FPGADevice, params: Registry) -> dict[str, Any]:
        if self.mlp is not None:
            p = price_mlp(self.mlp.sizes, self.mlp.fmt, self.mlp.acc_bits, device, params)
            return _row(p, [p])
        assert self.cell is not None and self.head is not None
        p1 = price_lstm(self.cell.spec, self.seq_len, device, params)
        p2 = price_mlp(self.head.sizes, self.head.fmt, self.head.acc_bits, device, params)
        return _row(p1, [p1, p2])


def _row(first: Pricing, parts: Sequence[Pricing]) -> dict[str, Any]:
    e = sum(p.energy_j for p in parts)
    t = sum(p.latency_s for p in parts)
    st = sum(p.static_j for p in parts)
    return {"energy_j": e, "latency_s": t, "static_j": st, "dynamic_j": e - st,
            "cycles": sum(p.cycles for p in parts), "fits": all(p.fits for p in parts),
            "luts": first.resources.luts, "dsps": first.resources.dsps}


def train(cand: Candidate, task: Task, steps: int, seed: int, lr: float = 0.01) -> Built:
    """Fake-quantised training (straight-through), then conversion to integer hardware."""
    import torch

    from wattlab.substrates.fpga.lstm import make_fake_quant_lstm
    from wattlab.substrates.fpga.mlp import make_fake_quant_mlp

    torch.manual_seed(seed)
    g = np.random.default_rng(seed)
    fmt = cand.fmt
    xt = torch.tensor(task.x_train, dtype=torch.float32)
    yt = torch.tensor(task.y_train, dtype=torch.float32)
    if cand.kind == "mlp":
        d = int(np.prod(task.x_train.shape[1:]))
        sizes = [d] + [cand.neurons] * cand.layers + [1]
        net = make_fake_quant_mlp(sizes, fmt)
        xt = xt.reshape(len(xt), -1)
        params = list(net.parameters())

        def fwd(xb: Any) -> Any:
            return net(xb)[:, 0]
    else:
        if not task.sequence:
            raise SpecError("an LSTM candidate needs a sequence task (e.g. WaterFlow)")
        cell = make_fake_quant_lstm(task.x_train.shape[2], cand.neurons, fmt)
        head = make_fake_quant_mlp([cand.neurons, 1], fmt)
        params = [*cell.parameters(), *head.parameters()]

        def fwd(xb: Any) -> Any:
            return head(cell(xb)[0][:, -1])[:, 0]
    opt = torch.optim.Adam(params, lr=lr)
    for _ in range(steps):
        b = torch.as_tensor(g.integers(0, len(xt), 128))
        loss = ((fwd(xt[b]) - yt[b]) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    if cand.kind == "mlp":
        return Built(cand, mlp=IntegerMLP.from_torch(list(net.linears), fmt))
    # one sigmoid unit shared by i, f, o: 8 multipliers, so the cell fits the iCE40's 8 DSPs
    spec = LSTMSpec(task.x_train.shape[2], cand.neurons, fmt=fmt, shared_act=True)
    return Built(cand, cell=LSTMWeights.from_torch(spec, cell),
                 head=IntegerMLP.from_torch(list(head.linears), fmt),
                 seq_len=task.x_train.shape[1])


def evaluate(built: Built, task: Task) -> dict[str, float]:
    fmt = built.cand.fmt
    y_int = built.predict_int(fmt.quantize(task.x_val))
    pred = task.physical(fmt.to_float(y_int))
    true = task.physical(task.y_val)
    mape = float(np.mean(np.abs(pred - true) / np.maximum(np.abs(true), 1e-12)) * 100)
    rmse = float(np.sqrt(np.mean((pred - true) ** 2)))
    return {"mape_pct": mape, "rmse": rmse}


def pareto_mask(objectives: NDArray[np.float64]) -> NDArray[np.bool_]:
    """Non-dominated rows of (n, k) objectives to minimise (vectorised)."""
    f = np.asarray(objectives, dtype=float)
    le = (f[:, None, :] <= f[None, :, :]).all(-1)
    lt = (f[:, None, :] < f[None, :, :]).any(-1)
    dominates = le & lt  # [j, i]: j dominates i
    return np.asarray(~dominates.any(0), dtype=bool)


@dataclass
class SearchResult:
    rows: list[dict[str, Any]]
    built: list[Built]
    front: list[int]
    chosen: int
    target: str
    notes: list[str] = field(default_factory=list)


def search(task: Task, space: SearchSpace, params: Registry, rng: np.random.Generator, *,
           steps: int = 200, devices: Sequence[str] = ("xc7s15", "ice40up5k"),
           target: str = "ice40up5k", tolerance: float = 0.25) -> SearchResult:
    """Train and score every candidate; Pareto front on (MAPE, energy on ``target``)."""
    if target not in devices:
        raise SpecError(f"'target' {target!r} must be one of the searched devices {list(devices)}")
    devs = {d: FPGADevice.from_registry(d, params) for d in devices}
    rows, built = [], []
    for cand in space.candidates():
        if cand.kind == "lstm" and not task.sequence:
            continue
        b = train(cand, task, steps, int(rng.integers(2**31)))
        row: dict[str, Any] = {"model": cand.label, "kind": cand.kind, "layers": cand.layers,
                               "neurons": cand.neurons, "bits": cand.bits, **evaluate(b, task)}
        for name, dev in devs.items():
            pr = b.price(dev, params)
            row[f"{name}_energy_uJ"] = pr["energy_j"] * 1e6
            row[f"{name}_latency_us"] = pr["latency_s"] * 1e6
            row[f"{name}_static_uJ"] = pr["static_j"] * 1e6
            row[f"{name}_fits"] = pr["fits"]
        rows.append(row)
        built.append(b)
    if not rows:
        raise SpecError("the search space holds no candidate for this task")
    obj = np.array([[r["mape_pct"], r[f"{target}_energy_uJ"]] for r in rows])
    ok = np.array([r[f"{target}_fits"] and math.isfinite(r["mape_pct"]) for r in rows])
    if not ok.any():
        raise SpecError(f"no candidate fits the resources of '{target}' (LUTs, DSPs, block RAM); "
                        "search smaller models or another --target")
    mask = pareto_mask(np.where(ok[:, None], obj, np.inf)) & ok
    front = [int(i) for i in np.flatnonzero(mask)]
    for i, r in enumerate(rows):
        r["pareto"] = bool(mask[i])
    best = min(obj[i, 0] for i in front)
    good = [i for i in front if obj[i, 0] <= best * (1 + tolerance)]
    chosen = min(good, key=lambda i: obj[i, 1])
    return SearchResult(rows, built, front, chosen, target)


def export_and_check(b: Built, task: Task, out_dir: Path | None = None, n_vectors: int = 200
                     ) -> dict[str, Any]:
    """Write the chosen model's VHDL and simulate it in GHDL on validation inputs: mismatches
    against the bit-true model and simulated vs analytic cycles."""
    from wattlab.substrates.fpga import vhdl

    fmt = b.cand.fmt
    x = fmt.quantize(task.x_val[:n_vectors])
    files: dict[str, str] = {}
    if b.mlp is not None:
        m = b.mlp
        files.update(vhdl.emit_mlp(m.weights, m.biases, fmt, m.acc_bits))
        if out_dir is not None:
            vhdl.write_design(files, out_dir)
        y, cyc = vhdl.simulate_mlp(m.weights, m.biases, fmt, m.acc_bits, x.reshape(len(x), -1))
        ref = m.run(x.reshape(len(x), -1))
        return {"vectors": len(x), "mismatches": int((y != ref).sum()),
                "cycles_sim": int(cyc[0]), "cycles_model": vhdl.mlp_cycles(m.sizes),
                "files": sorted(files)}
    assert b.cell is not None and b.head is not None
    files.update(vhdl.emit_lstm_cell(b.cell))
    hd = b.head
    files.update(vhdl.emit_mlp(hd.weights, hd.biases, fmt, hd.acc_bits, prefix="head"))
    if out_dir is not None:
        vhdl.write_design(files, out_dir)
    hs, cs, cyc = vhdl.simulate_lstm(b.cell, x)
    res = BitTrueLSTM(b.cell).run(x)
    y, cyc2 = vhdl.simulate_mlp(hd.weights, hd.biases, fmt, hd.acc_bits, hs[:, -1], prefix="head")
    bad = int((hs != res.h_seq).sum() + (cs != res.c_seq).sum() + (y != hd.run(res.h)).sum())
    return {"vectors": len(x), "mismatches": bad,
            "cycles_sim": int(cyc.sum(axis=1)[0] + cyc2[0]),
            "cycles_model": b.cell.spec.cycles(b.seq_len) + vhdl.mlp_cycles(hd.sizes),
            "files": sorted(files)}

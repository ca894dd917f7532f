"""Activation quantiser, ``SpikingLinear`` and the spiking substrate.

A spiking linear layer quantises its input ``x`` to ``L`` integer levels ``q`` (an
``ActivationQuantizer`` calibrated per layer), sends ``q`` as spikes ``s[T, M, K]`` under a
``Coding``, and computes ``y = sum_t w_t * (W_int @ s_t)``, then rescales. Weights are
quantised per output channel to ``weight_bits`` (SpikeMLLM-style W-int / A-spike), so all
accumulations are integer-exact and the fast path ``W_int @ q`` (one integer matmul) gives the
*identical* output; SOPs on the fast path come from ``Coding.spike_count(q)`` without building
the spikes, which a test holds equal to the per-timestep count.

SOPs = sum_t nnz(s_t) * fan-out (N). Unsigned codings need a zero point: its correction
``z * rowsum(W_int)`` is one dense add per output (counted as ``zero_point_adds``) -- and a zero
activation then costs ``z`` spikes, which is why signed (ternary) codings suit LLM activations.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import torch

from wattlab.cost import Cost
from wattlab.errors import SpecError
from wattlab.substrates.spiking.coding import Coding
from wattlab.substrates.spiking.names import GRANULARITIES as _GRAN
from wattlab.workloads.gemm import Gemm

Granularity = Literal["tensor", "token", "channel"]
Path = Literal["fast", "timestep"]
GRANULARITIES = _GRAN
_F32_EXACT = 2 ** 24


@dataclass
class ActivationQuantizer:
    """Quantise activations to the levels of ``coding``.

    ``granularity``: ``tensor`` (one static range, calibrated), ``channel`` (a static range per
    input channel, calibrated) or ``token`` (a dynamic range per row, computed on the fly; never
    saturates). Static ranges come from ``observe`` on calibration data then ``freeze``; values
    outside the calibrated range are clamped and *counted* in ``saturated``.
    ``clip`` < 1 calibrates on that quantile of |x| (tensor granularity) instead of the max.
    """

    coding: Coding
    granularity: Granularity = "tensor"
    clip: float = 1.0
    name: str = ""
    lo: torch.Tensor | None = None
    hi: torch.Tensor | None = None
    observed: int = 0
    saturated: int = 0
    quantised: int = 0
    _samples: list[torch.Tensor] = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        if self.granularity not in GRANULARITIES:
            raise SpecError(f"granularity must be one of {GRANULARITIES}, got "
                            f"{self.granularity!r}")
        if not 0.5 < self.clip <= 1.0:
            raise SpecError(f"clip must be in (0.5, 1], got {self.clip!r}")

    @property
    def frozen(self) -> bool:
        return self.granularity == "token" or self.hi is not None

    def observe(self, x: torch.Tensor) -> None:
        """Record calibration activations ``x[M, K]``."""
        x = x.detach().float()
        if x.numel() == 0:
            return
        self.observed += x.shape[0]
        if self.granularity == "token":
            return
        if self.granularity == "channel":
            lo, hi = x.amin(0), x.amax(0)
        elif self.clip < 1.0:
            flat = x.flatten()
            if flat.numel() > 65536:
                flat = flat[torch.randperm(flat.numel(), generator=torch.Generator().manual_seed(0))
                            [:65536]]
            self._samples.append(flat)
            lo, hi = x.min().reshape(1), x.max().reshape(1)
        else:
            lo, hi = x.min().reshape(1), x.max().reshape(1)
        self.lo = lo if self.lo is None else torch.minimum(self.lo, lo)
        self.hi = hi if self.hi is None else torch.maximum(self.hi, hi)

    def freeze(self) -> None:
        """Fix the static range from what was observed; error if nothing was."""
        where = f" of layer {self.name!r}" if self.name else ""
        if self.observed == 0:
            raise SpecError(f"the activation quantiser{where} saw no calibration data: the "
                            f"calibration set is empty or never reached this layer; pass at "
                            f"least one non-empty text (or batch)")
        if self.granularity == "token":
            return
        assert self.lo is not None and self.hi is not None
        if self.clip < 1.0 and self._samples:
            s = torch.cat(self._samples)
            lo = torch.quantile(s, 1 - self.clip).reshape(1)
            hi = torch.quantile(s, self.clip).reshape(1)
            self.lo, self.hi = lo, hi
            self._samples.clear()

    def scales(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(scale, zero point) broadcastable against ``x[M, K]``."""
        if self.granularity == "token":
            lo, hi = x.amin(1, keepdim=True), x.amax(1, keepdim=True)
        else:
            if self.hi is None or self.lo is None:
                where = f" of layer {self.name!r}" if self.name else ""
                raise SpecError(f"the activation quantiser{where} is not calibrated; run "
                                f"calibration (wattlab.nn.spiking.convert) first")
            lo, hi = self.lo.view(1, -1), self.hi.view(1, -1)
        c = self.coding
        if c.signed:
            amax = torch.maximum(hi.abs(), lo.abs())
            scale = amax / c.qmax
            zero = torch.zeros_like(scale)
        else:
            lo, hi = torch.minimum(lo, torch.zeros_like(lo)), torch.maximum(hi, torch.zeros_like(hi))
            scale = (hi - lo) / (c.levels - 1)
            zero = torch.round(-lo / torch.where(scale > 0, scale, torch.ones_like(scale)))
        scale = torch.where(scale > 0, scale, torch.ones_like(scale))
        return scale, zero

    def quantize(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, int]:
        """(q, scale, zero, saturated count) with ``x ~ scale * (q - zero)``; ``q`` holds
        integer values in float32 (exact: |q| < 2^16)."""
        x = x.detach().float()
        scale, zero = self.scales(x)
        raw = torch.round(x / scale) + zero
        c = self.coding
        sat = int(((raw < c.qmin) | (raw > c.qmax)).sum())
        q = raw.clamp_(c.qmin, c.qmax)
        self.saturated += sat
        self.quantised += x.numel()
        return q, scale, zero, sat


def quantize_weight(w: torch.Tensor, bits: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Symmetric per-output-channel integer weights: ``w[K, N] ~ w_int * scale[N]``."""
    if not isinstance(bits, int) or bits < 2:
        raise SpecError(f"weight_bits must be an integer >= 2, got {bits!r}")
    qmax = 2 ** (bits - 1) - 1
    amax = w.detach().float().abs().amax(0, keepdim=True)
    scale = torch.where(amax > 0, amax / qmax, torch.ones_like(amax))
    return torch.round(w.detach().float() / scale).clamp(-qmax, qmax), scale


def _exact_matmul(q: torch.Tensor, w: torch.Tensor, row_bound: float,
                  per_term: float) -> torch.Tensor:
    """Exact integer ``q[M, K] @ w[K, N]`` (integer-valued inputs) with float32 BLAS.

    A float32 sum of integers is exact while every partial sum stays below 2^24. ``row_bound``
    bounds sum_k |q_mk| * max|w| over rows: below 2^24 one float32 matmul is exact. Otherwise K
    is cut into chunks of at most 2^24 / ``per_term`` (the largest |q*w|), each chunk runs in
    float32 and the chunks are added in float64 (exact).
    """
    _m, k = q.shape
    if row_bound < _F32_EXACT:
        return q.to(torch.float32) @ w.to(torch.float32)
    kc = int((_F32_EXACT - 1) // max(per_term, 1.0))
    if kc < 1:
        return q.to(torch.float64) @ w.to(torch.float64)
    qf, wf = q.to(torch.float32), w.to(torch.float32)
    acc = (qf[:, :kc] @ wf[:kc]).to(torch.float64)
    for i in range(kc, k, kc):
        acc += (qf[:, i:i + kc] @ wf[i:i + kc]).to(torch.float64)
    return acc


def spiking_matmul(q: torch.Tensor, w_int: torch.Tensor, coding: Coding, *,
                   path: Path = "fast", wmax: float | None = None
                   ) -> tuple[torch.Tensor, dict[str, int]]:
    """Integer accumulate ``q[M, K] @ w_int[K, N]`` through spikes; (acc, counts).

    ``timestep``: makes the spikes ``s_t`` of each timestep, computes ``W @ s_t`` and
    accumulates ``sum_t w_t * (W @ s_t)`` (a silent timestep is skipped).
    ``fast``: one integer matmul ``q @ w_int``; counts from ``coding.spike_count(q)``.
    Both are exact (integer-valued floats, float64 where float32 could round) and so give
    identical results.
    Counts: ``sops`` (spikes x fan-out), ``spikes``, ``neuron_updates`` (M*K*T encoder steps),
    ``macs`` (the dense product), ``weight_reads`` (K*N), ``outputs`` (M*N).
    """
    if path not in ("fast", "timestep"):
        raise SpecError(f"path must be 'fast' or 'timestep', got {path!r}")
    q = torch.as_tensor(q)
    m, k = q.shape
    n = w_int.shape[1]
    if wmax is None:
        wmax = float(w_int.abs().max()) if w_int.numel() else 0.0
    qmax = max(abs(coding.qmin), abs(coding.qmax))
    row_bound = qmax * wmax * k  # worst case; tighten from the data only when needed
    if row_bound >= _F32_EXACT and m:
        mag = (q % (1 << coding.T)) if coding.kind == "twos_complement" else q.abs()
        row_bound = float(mag.sum(1, dtype=torch.float64).max()) * wmax
    exact32 = row_bound < _F32_EXACT
    if path == "fast":
        acc = _exact_matmul(q, w_int, row_bound, qmax * wmax)
        spikes = coding.spike_count(q)
    else:
        dt = torch.float32 if exact32 else torch.float64
        acc = torch.zeros(m, n, dtype=dt)
        spikes = 0
        w32 = w_int.to(torch.float32)
        per_step = coding.spike_counts_per_step(q)
        for wt, st, nz in zip(coding.weights(), coding.steps(q), per_step, strict=True):
            if nz and exact32:  # a silent timestep costs nothing
                acc.addmm_(st, w32, alpha=wt)
            elif nz:
                acc += wt * (st @ w32).to(dt)  # each step's product is exact in float32
            spikes += nz
    if not exact32:
        acc = acc.to(torch.float64)
    return acc, {"sops": spikes * n, "spikes": spikes, "neuron_updates": m * k * coding.T,
                 "macs": m * k * n, "weight_reads": k * n, "outputs": m * n}


class SpikingLinear:
    """The spiking substrate for one layer (or shared): ``matmul(x, W.T)`` through spikes.

    ``torch_native``: receives torch tensors from ``wattlab.nn.patch``. While ``calibrating``
    is true it only observes activations and returns the exact product. The returned Cost holds
    counts (SOPs, spikes, neuron updates, saturated values, dense-equivalent MACs) and, when an
    ``energy`` model (``SpikeEnergy``) is given, energies under its boundary.
    """

    torch_native = True

    def __init__(self, coding: Coding, *, granularity: Granularity = "token",
                 weight_bits: int = 8, path: Path = "fast", clip: float = 1.0,
                 energy: Any = None, name: str = "") -> None:
        if path not in ("fast", "timestep"):
            raise SpecError(f"path must be 'fast' or 'timestep', got {path!r}")
        quantize_weight(torch.zeros(1, 1), weight_bits)  # validates weight_bits
        self.coding, self.weight_bits, self.path, self.energy = coding, weight_bits, path, energy
        self.quantizer = ActivationQuantizer(coding, granularity, clip, name=name)
        self.layer = name
        self.name = f"spiking-{coding.kind}-T{coding.T}"
        self.calibrating = False
        self._wkey: tuple[int, int, int] | None = None
        self._w: tuple[torch.Tensor, torch.Tensor, torch.Tensor, float] | None = None

    def _weights(self, b: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, float]:
        key = (b.data_ptr(), b._version, b.shape[1])
        if self._w is None or self._wkey != key:
            w = b.detach().float()
            if self.quantizer.granularity == "channel":
                scale, _ = self.quantizer.scales(torch.zeros(1, w.shape[0]))
                w = w * scale.view(-1, 1)  # fold the per-channel input scale into W
            w_int, w_scale = quantize_weight(w, self.weight_bits)
            self._w = (w_int, w_scale, w_int.sum(0, keepdim=True), float(w_int.abs().max()))
            self._wkey = key
        return self._w

    def dequantized_input(self, a: torch.Tensor) -> torch.Tensor:
        """What the layer 'sees': ``scale * (q - zero)`` (for the quantised-ANN reference)."""
        q, scale, zero, _ = self.quantizer.quantize(a)
        return scale * (q - zero)

    def matmul(self, a: Any, b: Any, *, rng: Any = None) -> tuple[torch.Tensor, Cost]:
        if self.calibrating:
            self.quantizer.observe(a)
            return a @ b, Cost()
        w_int, w_scale, w_rowsum, wmax = self._weights(b)
        q, scale, zero, sat = self.quantizer.quantize(a)
        acc, counts = spiking_matmul(q, w_int, self.coding, path=self.path, wmax=wmax)
        zp_adds = 0
        if not self.coding.signed:
            if self.quantizer.granularity == "channel":
                acc = acc - zero.to(acc.dtype) @ w_int.to(acc.dtype)
            else:
                acc = acc - zero.to(acc.dtype) * w_rowsum.to(acc.dtype)
            zp_adds = acc.numel()
        row_scale = scale if self.quantizer.granularity != "channel" else 1.0
        out = (acc * row_scale * w_scale).to(a.dtype)
        counts = {**counts, "saturated": sat, "quantised": int(q.numel()),
                  "zero_point_adds": zp_adds, "timesteps": self.coding.T}
        return out, self._cost(counts)

    def _cost(self, counts: dict[str, int]) -> Cost:
        if self.energy is None:
            return Cost(counts={k: float(v) for k, v in counts.items() if k != "timesteps"})
        return self.energy.spiking_cost(counts, self.coding, self.weight_bits)

    def cost(self, gemm: Gemm) -> Cost:
        """Analytic cost at full firing (every level at its largest spike count): an upper bound.

        The functional path counts the spikes really sent; this bound takes the worst case per
        activation (``T`` spikes for bitwise, ``max|q|`` for rate codings).
        """
        c = self.coding
        per = max(abs(c.qmin), abs(c.qmax)) if c.kind in ("rate", "ternary_rate") else c.T
        m = gemm.m * gemm.batch
        spikes = m * gemm.k * per
        counts = {"sops": spikes * gemm.n, "spikes": spikes, "neuron_updates": m * gemm.k * c.T,
                  "macs": m * gemm.k * gemm.n, "weight_reads": gemm.k * gemm.n * gemm.batch,
                  "outputs": m * gemm.n, "saturated": 0, "quantised": m * gemm.k,
                  "zero_point_adds": 0 if c.signed else m * gemm.n, "timesteps": c.T}
        return self._cost(counts)


__all__ = ["GRANULARITIES", "ActivationQuantizer", "Granularity", "SpikingLinear",
           "quantize_weight", "spiking_matmul"]

"""Homodyne time-multiplexed outer-product photonic GEMM (Zhou et al., arXiv 2604.18496).

An ``rows x cols`` array of balanced homodyne detectors. Row modulator ``i`` streams ``a_i(t)``
and column modulator ``j`` streams ``b_j(t)``; optical fan-out brings both fields to unit
``(i, j)``, whose integrator collects ``Q_ij = sum_t a_i(t) b_j(t)`` over ``k_int`` symbols before
one ADC read. A GEMM ``a[M, K] @ b[K, N]`` is tiled into ``ceil(M/rows) * ceil(N/cols)`` output
tiles, each streaming ``K`` symbols in ``ceil(K/k_int)`` integration windows summed digitally.

Numerics (vectorised over cells, symbols and windows; noise drawn per group of windows):
per-row/per-column digital prescale to the modulator range, DAC quantisation of the drive,
sinusoidal modulator transfer (with optional arcsine pre-distortion and a reduced drive swing),
residual field from the finite extinction ratio, fan-out and coupling loss, shot noise of both
beams, thermal noise (receiver current noise plus kT/C of the integrator), laser RIN, and an ADC
with a symmetric full scale whose saturations are counted in ``Cost.counts["adc_saturations"]``.

Stated modelling assumptions (the paper's abstract does not give them) [I]:
- half the laser power feeds the row modulators, half the column modulators;
- RIN is drawn independently per cell and its per-window power uses the row/column energy
  product divided by ``k_int`` (exact when the symbols' squares are uncorrelated);
- ``full_scale=None`` is an automatic gain control that sets the ADC full scale per group of
  windows to ``fs_crest`` x the RMS of the noise-free charge (calibration on the same data);
- the integration window is ``min(k_int, K)`` symbols long (a short last window is zero-padded);
  thermal noise is always that of a full ``k_int`` window (conservative for short windows);
- ``smooth_alpha`` (default 0.5): before the per-row/per-column prescale, channel ``k`` of ``a``
  is divided and row ``k`` of ``b`` multiplied by ``max|a_k|^alpha / max|b_k|^(1-alpha)``
  (SmoothQuant-style migration of activation outliers, exact in the noise-free limit; the
  factors are computed per call from the operands, i.e. dynamically); None disables it;
- ``calibrate=True`` subtracts the offset the residual field adds, eps*(sum a + sum b) + K eps^2,
  computed digitally from the intended values (a one-time extinction calibration).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from functools import cache, cached_property
from typing import Any, Literal

import numpy as np

from wattlab.components import ADC, DAC, MAC, Laser, Memory, PerAction, Static
from wattlab.cost import Cost
from wattlab.errors import SpecError
from wattlab.params import Registry, default_registry
from wattlab.physics import ktc_noise_voltage_v, shot_noise_current_a
from wattlab.workloads.gemm import Gemm

Encoding = Literal["bipolar", "offset", "differential"]
#: Elements of the (windows, rows, cols) intermediate materialised at once.
GROUP_ELEMENTS = 1 << 22

_KEYS = ("pgemm.laser_optical_power", "photonic.laser_wpe", "photonic.pd_responsivity",
         "pgemm.coupling_loss_db", "pgemm.modulator_insertion_loss_db",
         "pgemm.splitter_excess_loss_db", "pgemm.modulator_extinction_ratio_db",
         "photonic.laser_rin", "pgemm.tia_noise_psd", "pgemm.integrator_capacitance",
         "phys.elementary_charge", "phys.boltzmann", "phys.room_temperature")
#: Bits of each digital result written back to SRAM (fp32 accumulators).
RESULT_BITS = 32


def check_bits(name: str, value: float, lo: float, hi: float) -> None:
    """SpecError unless ``lo <= value <= hi`` (a bit width or ENOB)."""
    if not (isinstance(value, (int, float)) and math.isfinite(value) and lo <= value <= hi):
        raise SpecError(f"{name} must lie in [{lo:g}, {hi:g}] bits, got {value!r}")


def check_operands(a: Any, b: Any) -> tuple[np.ndarray, np.ndarray, Gemm]:
    """NumPy views of ``a[..., K]`` and ``b[K, N]``, their GEMM; SpecError on bad shapes/values."""
    a, b = np.asarray(a), np.asarray(b)
    gemm = Gemm.of(a.shape, b.shape)
    for name, x in (("a", a), ("b", b)):
        if not np.issubdtype(x.dtype, np.number) or np.iscomplexobj(x):
            raise SpecError(f"operand {name} must be a real numeric array, got dtype {x.dtype}")
        if not np.isfinite(x).all():
            raise SpecError(f"operand {name} contains NaN or infinite values; a photonic GEMM "
                            "needs finite inputs (check the layer feeding it)")
    return a, b, gemm


def work_dtype(a: np.ndarray, b: np.ndarray) -> type[np.floating[Any]]:
    return np.float32 if a.dtype == np.float32 and b.dtype == np.float32 else np.float64


def adc_quantise(q: np.ndarray, fs: float | np.ndarray, bits: float) -> tuple[np.ndarray, int]:
    """Symmetric mid-tread ADC: LSB = fs / 2^(bits-1), outputs clipped to +-fs.

    Returns the quantised values and the number of saturated conversions (inputs beyond the
    top code's decision threshold, fs + LSB/2). ``bits`` may be fractional (an ENOB).
    """
    half = 2.0 ** (bits - 1)
    lsb = np.asarray(fs, dtype=q.dtype) / half
    code = np.divide(q, lsb, dtype=q.dtype)
    edge = half + 0.5  # inputs past the top code's decision threshold saturate
    sat = int(np.count_nonzero(code > edge)) + int(np.count_nonzero(code < -edge))
    np.rint(code, out=code)
    np.clip(code, -half, half, out=code)
    code *= lsb
    return code, sat


@cache
def _torch() -> Any:
    """torch when installed (faster GEMM and Gaussian draws on CPU), else None."""
    try:
        import torch
    except ImportError:
        return None
    return torch


def window_products(xa: np.ndarray, xb: np.ndarray) -> np.ndarray:
    """``xa[W, M, k] @ xb[W, k, N]``: torch batched GEMM when installed, else NumPy per window."""
    torch = _torch()
    if torch is not None:
        return np.asarray(torch.from_numpy(np.ascontiguousarray(xa))
                          @ torch.from_numpy(np.ascontiguousarray(xb)))
    q = np.empty((xa.shape[0], xa.shape[1], xb.shape[2]), dtype=np.result_type(xa, xb))
    for w in range(q.shape[0]):
        np.matmul(xa[w], xb[w], out=q[w])
    return q


def gaussian(rng: np.random.Generator, shape: tuple[int, ...], dtype: Any) -> np.ndarray:
    """Standard normal draws. With torch installed they come from a torch generator seeded by
    ``rng`` (about 4x faster); runs are reproducible for a given ``rng`` and backend."""
    torch = _torch()
    if torch is None:
        return rng.standard_normal(shape, dtype=dtype)
    gen = torch.Generator().manual_seed(int(rng.integers(2**63 - 1)))
    tdt = torch.float32 if np.dtype(dtype) == np.float32 else torch.float64
    return np.asarray(torch.randn(shape, generator=gen, dtype=tdt))


@dataclass(frozen=True)
class HomodyneConfig:
    """Array geometry, symbol rate, converters, encoding and gain setting (SI units)."""

    rows: int = 256
    cols: int = 100
    baud: float = 128e9
    k_int: int = 256
    dac_bits: int = 8
    adc_bits: float = 8
    full_scale: float | None = None
    fs_crest: float = 6.0
    encoding: Encoding = "bipolar"
    drive_swing: float = 1.0
    predistort: bool = True
    laser_power: float | None = None
    smooth_alpha: float | None = 0.5
    calibrate: bool = True
    ideal: bool = False

    def __post_init__(self) -> None:
        for name in ("rows", "cols", "k_int"):
            v = getattr(self, name)
            if not isinstance(v, int) or v < 1:
                raise SpecError(f"HomodyneConfig.{name} must be a positive integer, got {v!r}")
        if not (math.isfinite(self.baud) and self.baud > 0):
            raise SpecError(f"HomodyneConfig.baud must be a positive symbol rate in Bd, "
                            f"got {self.baud!r}")
        check_bits("HomodyneConfig.dac_bits", self.dac_bits, 1, 16)
        if not isinstance(self.dac_bits, int):
            raise SpecError(f"HomodyneConfig.dac_bits must be an integer, got {self.dac_bits!r}")
        check_bits("HomodyneConfig.adc_bits", self.adc_bits, 1, 24)
        if self.full_scale is not None and not 0 < self.full_scale <= 1:
            raise SpecError(f"HomodyneConfig.full_scale is a fraction (0, 1] of the largest window "
                            f"sum k_int, or None for automatic gain; got {self.full_scale!r}")
        if not (math.isfinite(self.fs_crest) and self.fs_crest > 0):
            raise SpecError(f"HomodyneConfig.fs_crest must be > 0, got {self.fs_crest!r}")
        if self.encoding not in ("bipolar", "offset", "differential"):
            raise SpecError(f"HomodyneConfig.encoding must be 'bipolar', 'offset' or "
                            f"'differential', got {self.encoding!r}")
        if not 0 < self.drive_swing <= 1:
            raise SpecError(f"HomodyneConfig.drive_swing is a fraction (0, 1] of the half-wave "
                            f"drive, got {self.drive_swing!r}")
        if self.smooth_alpha is not None and not 0 <= self.smooth_alpha <= 1:
            raise SpecError(f"HomodyneConfig.smooth_alpha must lie in [0, 1] or be None, "
                            f"got {self.smooth_alpha!r}")
        if self.laser_power is not None and not (math.isfinite(self.laser_power)
                                                 and self.laser_power > 0):
            raise SpecError(f"HomodyneConfig.laser_power must be > 0 W, got {self.laser_power!r}")

    @property
    def passes(self) -> int:
        """Optical passes per product: 4 for differential (++, +-, -+, --), else 1."""
        return 4 if self.encoding == "differential" else 1

    @property
    def peak_ops_per_s(self) -> float:
        """2 ops per unit per symbol: 2 * rows * cols * baud."""
        return 2.0 * self.rows * self.cols * self.baud


@dataclass(frozen=True)
class NoiseBudget:
    """Noise per integration window at full-scale drive, in units of one full-scale symbol."""

    full_scale: float
    sigma: dict[str, float]

    @property
    def sigma_total(self) -> float:
        return math.sqrt(sum(s * s for s in self.sigma.values()))

    @property
    def snr_db(self) -> float:
        """Full-scale signal over total noise (power ratio, dB)."""
        return 20 * math.log10(self.full_scale / self.sigma_total)

    @property
    def enob(self) -> float:
        """log2(2 FS / (sqrt(12) sigma_total)): equals the ADC bits when only it is noisy."""
        return math.log2(2 * self.full_scale / (math.sqrt(12) * self.sigma_total))


class HomodyneProcessor:
    """The substrate: ``matmul`` computes through the model, ``cost`` prices a GEMM shape."""

    name = "photonic-homodyne"
    torch_native = False

    def __init__(self, config: HomodyneConfig | None = None,
                 params: Registry | None = None) -> None:
        self.config = config or HomodyneConfig()
        self.params = params if params is not None else default_registry()

    # -- physics -------------------------------------------------------------------------------
    @cached_property
    def _phys(self) -> dict[str, float]:
        """Per-window noise coefficients in units of the full-scale symbol charge q1."""
        c, p = self.config, self.params
        (p_laser, _, resp, couple, il, excess, er, rin_db, psd, cap) = p.values(*_KEYS[:10])
        p_laser = c.laser_power or p_laser

        def per_cell(n_split: int, n_src: int) -> float:
            loss_db = couple + il + excess * math.ceil(math.log2(max(n_split, 1)))
            return p_laser / 2 / n_src / n_split * 10 ** (-loss_db / 10)

        pa, pb = per_cell(c.cols, c.rows), per_cell(c.rows, c.cols)
        t = 1.0 / c.baud
        q1 = 2 * resp * math.sqrt(pa * pb) * t  # charge of one symbol at full field on both
        # charge variances per symbol (C^2): shot noise of the photocurrent over t (bandwidth
        # 1/2t) and, per window, the receiver noise plus the integrator's kT/C
        shot_a, shot_b = ((float(shot_noise_current_a(p, resp * x, 1 / (2 * t))) * t) ** 2
                          for x in (pa, pb))
        thermal = psd * c.k_int * t / 2 + (float(ktc_noise_voltage_v(p, cap)) * cap) ** 2
        return {"shot_a": shot_a / q1**2, "shot_b": shot_b / q1**2,
                "thermal": thermal / q1**2, "rin": 10 ** (rin_db / 10) * c.baud / 2,
                "leak": 10 ** (-er / 20), "q1": q1}

    def noise_budget(self, full_scale: float | None = None) -> NoiseBudget:
        """Sigma of each noise source per window at full-scale drive on every symbol.

        ``full_scale`` (fraction of ``k_int``) defaults to the config's, or 1 under automatic gain.
        """
        c, ph = self.config, self._phys
        frac = full_scale if full_scale is not None else (c.full_scale or 1.0)
        fs = frac * c.k_int
        k = c.k_int
        levels = max(2 ** (c.dac_bits - 1) - 1, 1)
        norm = math.sin(math.pi / 2 * c.drive_swing)
        step = math.pi / 2 * c.drive_swing / norm / levels  # field step at the steepest slope
        sig = {"shot": math.sqrt((ph["shot_a"] + ph["shot_b"]) * k),
               "thermal": math.sqrt(ph["thermal"]),
               "rin": math.sqrt(ph["rin"] * k),
               "dac": math.sqrt(2 * k * step**2 / 12),
               "adc": fs / 2 ** (c.adc_bits - 1) / math.sqrt(12)}
        return NoiseBudget(fs, sig)

    # -- numerics ------------------------------------------------------------------------------
    def _fields(self, x: np.ndarray) -> np.ndarray:
        """Optical field for target values x in [-1, 1]: DAC quantisation of the (optionally
        arcsine pre-distorted) drive, sinusoidal transfer, residual field at null."""
        c = self.config
        if c.ideal:
            return x
        dt = x.dtype.type
        sw = c.drive_swing
        norm = math.sin(math.pi / 2 * sw)
        levels = max(2 ** (c.dac_bits - 1) - 1, 1)
        if c.predistort:
            v = np.multiply(x, dt(norm))
            np.arcsin(v, out=v)
            v *= dt(2 / math.pi / sw * levels)
        else:
            v = np.multiply(x, dt(levels))
        np.rint(v, out=v)
        v *= dt(math.pi / 2 * sw / levels)
        np.sin(v, out=v)
        v *= dt(1 / norm)
        v += dt(self._phys["leak"])
        return v

    def window_reads(self, xa: np.ndarray, xb: np.ndarray, *, rng: np.random.Generator,
                     full_scale: float | None = None) -> tuple[np.ndarray, int]:
        """ADC reads of one optical pass: xa[W, M, k], xb[W, k, N] in [-1, 1] -> [W, M, N].

        Units: one full-scale symbol = 1. ``full_scale`` overrides the config's (fraction of k_int).
        """
        c = self.config
        ea, eb = self._fields(xa), self._fields(xb)
        q = window_products(ea, eb)
        if c.ideal:
            return q, 0
        ph = self._phys
        sa = np.einsum("wmk,wmk->wm", ea, ea)
        sb = np.einsum("wkn,wkn->wn", eb, eb)
        std = np.multiply(sa[:, :, None], (ph["rin"] / c.k_int) * sb[:, None, :])
        std += (ph["shot_a"] * sa)[:, :, None]
        std += (ph["shot_b"] * sb + ph["thermal"])[:, None, :]
        np.sqrt(std, out=std)
        frac = full_scale if full_scale is not None else c.full_scale
        if frac is None:
            rms = float(np.sqrt(np.mean(np.square(q, dtype=np.float64))))
            fs = min(max(c.fs_crest * rms, np.finfo(q.dtype).tiny), float(c.k_int))
        else:
            fs = frac * c.k_int
        noisy = gaussian(rng, q.shape, q.dtype)
        noisy *= std
        noisy += q
        reads, sat = adc_quantise(noisy, fs, c.adc_bits)
        if c.calibrate:  # remove the residual field's known offset eps*(sum a + sum b) + k eps^2
            eps = ph["leak"]
            reads -= (eps * xa.sum(axis=2) + eps**2 * xa.shape[2])[:, :, None]
            reads -= (eps * xb.sum(axis=1))[:, None, :]
        return reads, sat

    def signed_reads(self, xa: np.ndarray, xb: np.ndarray, *, rng: np.random.Generator,
                     full_scale: float | None = None) -> tuple[np.ndarray, int]:
        """Signed window products through the configured encoding (see ``window_reads``)."""
        enc = self.config.encoding
        if enc == "bipolar":
            return self.window_reads(xa, xb, rng=rng, full_scale=full_scale)
        if enc == "offset":
            ua, ub = (xa + 1) / 2, (xb + 1) / 2
            q, sat = self.window_reads(ua, ub, rng=rng, full_scale=full_scale)
            corr = 2 * ua.sum(axis=2)[:, :, None] + 2 * ub.sum(axis=1)[:, None, :] - xa.shape[2]
            return 4 * q - corr, sat
        parts = [(sa_ * sb_, *self.window_reads(np.maximum(sa_ * xa, 0), np.maximum(sb_ * xb, 0),
                                                rng=rng, full_scale=full_scale))
                 for sa_, sb_ in ((1, 1), (1, -1), (-1, 1), (-1, -1))]
        out = np.sum([sg * q for sg, q, _ in parts], axis=0)
        return out, sum(s for _, _, s in parts)

    def matmul(self, a: Any, b: Any, *, rng: np.random.Generator) -> tuple[np.ndarray, Cost]:
        """``a[..., K] @ b[K, N]`` through the photonic model, and what it cost."""
        a, b, gemm = check_operands(a, b)
        dt = work_dtype(a, b)
        a2 = a.reshape(gemm.m, gemm.k).astype(dt, copy=False)
        b2 = b.astype(dt, copy=False)
        if self.config.smooth_alpha is not None:  # migrate channel outliers from a into b
            ca, cb = np.max(np.abs(a2), axis=0), np.max(np.abs(b2), axis=1)
            alpha = self.config.smooth_alpha
            sk = np.where((ca > 0) & (cb > 0), ca**alpha / np.where(cb > 0, cb, 1) ** (1 - alpha),
                          1.0).astype(dt)
            a2, b2 = a2 / sk, b2 * sk[:, None]
        sa = np.max(np.abs(a2), axis=1)
        sb = np.max(np.abs(b2), axis=0)
        sa[sa == 0], sb[sb == 0] = 1, 1
        k = min(self.config.k_int, gemm.k)
        w = -(-gemm.k // k)
        pad = w * k - gemm.k
        xa = np.ascontiguousarray(  # (W, M, k): one contiguous block per window for BLAS
            np.pad(a2 / sa[:, None], ((0, 0), (0, pad))).reshape(gemm.m, w, k).transpose(1, 0, 2))
        xb = np.pad(b2 / sb[None, :], ((0, pad), (0, 0))).reshape(w, k, gemm.n)
        acc = np.zeros((gemm.m, gemm.n), dtype=dt)
        sat = 0
        group = max(1, GROUP_ELEMENTS // (gemm.m * gemm.n))
        for g in range(0, w, group):
            reads, s = self.signed_reads(xa[g:g + group], xb[g:g + group], rng=rng)
            acc += reads.sum(axis=0, dtype=dt)
            sat += s
        out = acc * sa[:, None] * sb[None, :]
        return out.reshape(*a.shape[:-1], gemm.n), self.cost(gemm, saturations=sat)

    # -- cost ----------------------------------------------------------------------------------
    def cost(self, gemm: Gemm, *, saturations: int = 0) -> Cost:
        """Energy by component, latency, area and counts for ``gemm`` on this array, composed
        from the shared components (:mod:`wattlab.components`)."""
        c, p = self.config, self.params
        m, k, n, batch, passes = gemm.m, gemm.k, gemm.n, gemm.batch, c.passes
        win = min(c.k_int, k)  # symbols per integration window (as in matmul)
        tm, tn, w = -(-m // c.rows), -(-n // c.cols), -(-k // win)
        slots = batch * passes * tm * tn * w * win
        latency = slots / c.baud
        mod_symbols = batch * passes * w * win * (m * tn + n * tm)
        reads = batch * passes * m * n * w
        add = MAC(p, "int32", name="digital_accumulate")
        parts = [
            Laser(p, c.laser_power or p.value("pgemm.laser_optical_power")).on(latency),
            PerAction(p, "pgemm.modulator_energy_per_symbol", "modulators_dacs", "symbols").act(mod_symbols),
            DAC(p, c.dac_bits, name="modulators_dacs").convert(mod_symbols),
            PerAction(p, "photonic.albireo_tia_e_moderate", "detectors_tias", "reads").act(reads),
            ADC(p, c.adc_bits, c.baud / win, fom="schreier").convert(reads),
            Memory(p, "sram_7nm_4mb", name="sram").access(mod_symbols * c.dac_bits
                                                          + batch * m * n * RESULT_BITS),
            add.add(reads),
            replace(add, name="digital_prescale").add(batch * (m * k + k * n + m * n)),
            Static(p, "pgemm.static_power_per_cell", c.rows * c.cols).over(latency),
        ]
        total = sum(parts, Cost())
        counts = {"macs": float(gemm.macs), "ops": float(gemm.ops), "adc_conversions": float(reads),
                  "dac_conversions": float(mod_symbols), "symbol_slots": float(slots),
                  "tiles": float(batch * passes * tm * tn), "adc_saturations": float(saturations)}
        return Cost(energy_j=total.energy_j, latency_s=latency,
                    area_mm2={"homodyne_array": c.rows * c.cols * p.value("pgemm.cell_area") * 1e6},
                    counts=counts, sources={**total.sources, **p.subset("pgemm.cell_area", *_KEYS)})


__all__ = ["HomodyneConfig", "HomodyneProcessor", "NoiseBudget", "adc_quantise", "check_bits",
           "check_operands", "gaussian", "window_products"]
